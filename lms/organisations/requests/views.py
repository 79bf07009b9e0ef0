"""The admin pages for requests to add an organisation (/admin/organisation-requests):
the queue, a request, and approving, linking or rejecting it. Thin views: form ->
service -> commit -> flash -> redirect."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from wtforms import SelectChoice

from lms.core.auth import actor, admin_required
from lms.core.errors import DomainError
from lms.core.forms import apply_domain_error, fail
from lms.core.pagination import paginate
from lms.core.time import utcnow
from lms.extensions import db
from lms.organisations.forms import ConfirmForm, OrganisationForm, first_field, organisation_form_choices
from lms.organisations.models import Organisation
from lms.organisations.requests import services
from lms.organisations.requests.forms import LinkRequestForm, RejectRequestForm
from lms.organisations.services import as_id, organisation_choices

bp = Blueprint("requests", __name__, url_prefix="/admin/organisation-requests", template_folder="templates")

PER_PAGE = 25

STATUS_LABELS = {
    services.PENDING: "Waiting for a decision",
    services.APPROVED: "Added",
    services.LINKED: "Linked to an existing organisation",
    services.REJECTED: "Rejected",
}


@bp.get("")
@admin_required
def index():
    status = request.args.get("status", services.PENDING)
    if status not in services.REQUEST_STATUSES:
        status = services.PENDING
    page = paginate(services.list_requests(status=status), page=request.args.get("page", 1, type=int), per_page=PER_PAGE)
    return render_template(
        "organisations/requests/index.html",
        page=page,
        status=status,
        statuses=STATUS_LABELS,
        pagination_args={"status": status},
    )


def _decided(org_request):
    flash(f"This request has already been {org_request.status}", "info")
    return redirect(url_for(".show", request_id=org_request.id))


@bp.get("/<int:request_id>")
@admin_required
def show(request_id: int):
    org_request = services.get_request(request_id)
    similar = services.possible_duplicates(org_request) if org_request.status == services.PENDING else []
    return render_template(
        "organisations/requests/show.html",
        org_request=org_request,
        similar=similar,
        statuses=STATUS_LABELS,
        confirm_form=ConfirmForm(),
    )


@bp.route("/<int:request_id>/approve", methods=["GET", "POST"])
@admin_required
def approve(request_id: int):
    org_request = services.get_request(request_id)
    if org_request.status != services.PENDING:
        return _decided(org_request)
    initial = None
    if request.method == "GET":
        initial = {
            "name": org_request.name,
            "type": str(org_request.type_id),
            "sector": "",
            "area": str(org_request.area_id) if org_request.area_id else "",
            "urn": org_request.urn or "",
            "address": org_request.address or "",
            "postcode": org_request.postcode or "",
        }
    form = OrganisationForm(data=initial)
    organisation_form_choices(form)
    form.submit.label.text = "Add organisation and approve"
    if form.validate_on_submit():
        try:
            organisation = services.approve_request(
                actor(), org_request, now=utcnow(), organisation_fields=form.service_fields()
            )
        except DomainError as error:
            fail(error)
            org_request = services.get_request(request_id)
            if org_request.status != services.PENDING:
                return _decided(org_request)
            apply_domain_error(form, error, first_field(form))
        else:
            name, person = organisation.name, org_request.requested_by.full_name
            db.session.commit()
            flash(f"{name} has been added and {person} recorded as working there. We have emailed them.", "success")
            return redirect(url_for(".index"))
    return render_template(
        "organisations/organisation_form.html",
        form=form,
        org_request=org_request,
        similar=services.possible_duplicates(org_request),
        heading="Approve: add a new organisation",
        back=url_for(".show", request_id=request_id),
    )


@bp.route("/<int:request_id>/link", methods=["GET", "POST"])
@admin_required
def link(request_id: int):
    org_request = services.get_request(request_id)
    if org_request.status != services.PENDING:
        return _decided(org_request)
    similar = services.possible_duplicates(org_request)
    form = LinkRequestForm()
    suggested = {s.organisation.id: s.organisation.name for s in similar}
    others = [(i, n) for i, n in organisation_choices() if i not in suggested]
    form.organisation.choices = [SelectChoice("", "Select an organisation")] + [
        SelectChoice(str(i), n) for i, n in [*suggested.items(), *others]
    ]
    if form.validate_on_submit():
        organisation = None
        organisation_id = as_id(form.organisation.data)
        if organisation_id is not None:
            organisation = db.session.get(Organisation, organisation_id)
        try:
            services.link_request(actor(), org_request, organisation, now=utcnow())
        except DomainError as error:
            fail(error)
            org_request = services.get_request(request_id)
            if org_request.status != services.PENDING:
                return _decided(org_request)
            apply_domain_error(form, error, first_field(form))
        else:
            name, person = organisation.name, org_request.requested_by.full_name
            db.session.commit()
            flash(f"{person} has been recorded as working at {name}. We have emailed them.", "success")
            return redirect(url_for(".index"))
    return render_template("organisations/requests/link.html", form=form, org_request=org_request, similar=similar)


@bp.route("/<int:request_id>/reject", methods=["GET", "POST"])
@admin_required
def reject(request_id: int):
    org_request = services.get_request(request_id)
    if org_request.status != services.PENDING:
        return _decided(org_request)
    form = RejectRequestForm()
    if form.validate_on_submit():
        try:
            services.reject_request(actor(), org_request, form.reason.data, now=utcnow())
        except DomainError as error:
            fail(error)
            org_request = services.get_request(request_id)
            if org_request.status != services.PENDING:
                return _decided(org_request)
            apply_domain_error(form, error, first_field(form))
        else:
            name = org_request.name
            db.session.commit()
            flash(f"The request to add {name} has been rejected. We have emailed the reason.", "success")
            return redirect(url_for(".index"))
    return render_template("organisations/requests/reject.html", form=form, org_request=org_request)
