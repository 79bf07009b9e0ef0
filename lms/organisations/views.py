"""The organisations admin pages: the list, adding and changing an organisation, its page
and deactivating it. The feature's blueprint nests its sub-features': reference data
(organisations.reference) and requests to add an organisation (organisations.requests).

What these pages show about people (how many work at each organisation, an
organisation's setting leads) comes from the accounts feature, above this one, through the
organisation_people and organisation_admin_page hooks (lms.signals).

Thin views: form -> service -> commit -> flash -> redirect. A DomainError becomes an error
on the named form field so the GOV.UK error summary links to it.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from markupsafe import Markup

from lms.core.auth import actor, admin_required
from lms.core.errors import DomainError
from lms.core.forms import fail
from lms.core.pagination import paginate
from lms.core.time import utcnow
from lms.extensions import db
from lms.organisations import services
from lms.organisations.forms import (
    ConfirmForm,
    OrganisationFilterForm,
    OrganisationForm,
    choices,
    first_field,
    organisation_form_choices,
)
from lms.organisations.models import Area, OrganisationType, Sector
from lms.organisations.reference.views import bp as reference_bp
from lms.organisations.requests.services import count_pending_requests
from lms.organisations.requests.views import bp as requests_bp
from lms.signals import organisation_admin_page, organisation_people

bp = Blueprint("organisations", __name__, template_folder="templates")
bp.register_blueprint(reference_bp)
bp.register_blueprint(requests_bp)

PER_PAGE = 25


# --- helpers --------------------------------------------------------------------------

def _int_or_none(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def people_counts(organisation_ids: list[int]) -> dict[int, int]:
    """How many people (open accounts) work at each organisation, as the accounts feature
    answers the organisation_people hook."""
    counts = {organisation_id: 0 for organisation_id in organisation_ids}
    for _, answer in organisation_people.send(None, organisation_ids=organisation_ids):
        counts.update(answer or {})
    return counts


def _filter_args(form) -> dict:
    """The non-empty filter values, to carry into pagination links."""
    return {name: field.data for name, field in form._fields.items() if field.data not in (None, "")}


# --- the list -------------------------------------------------------------------------

STATUS_FILTER = {"active": True, "inactive": False, "all": None}


@bp.get("/admin/organisations")
@admin_required
def admin_organisations():
    filters = OrganisationFilterForm(request.args)
    filters.type.choices = choices(services.list_reference(OrganisationType), blank="All types")
    filters.sector.choices = choices(services.list_reference(Sector), blank="All sectors")
    filters.area.choices = choices(services.list_reference(Area), blank="All areas")
    status = filters.status.data if filters.status.data in STATUS_FILTER else "active"
    query = services.list_organisations(
        search=filters.q.data,
        type_id=_int_or_none(filters.type.data),
        sector_id=_int_or_none(filters.sector.data),
        area_id=_int_or_none(filters.area.data),
        active=STATUS_FILTER[status],
    )
    page = paginate(query, page=request.args.get("page", 1, type=int), per_page=PER_PAGE)
    counts = people_counts([org.id for org in page.items])
    return render_template(
        "organisations/organisations.html",
        filters=filters,
        page=page,
        counts=counts,
        pagination_args=_filter_args(filters),
        pending_requests=count_pending_requests(),
    )


# --- adding and changing --------------------------------------------------------------

@bp.route("/admin/organisations/new", methods=["GET", "POST"])
@admin_required
def admin_organisation_new():
    form = OrganisationForm()
    organisation_form_choices(form)
    if form.validate_on_submit():
        try:
            organisation = services.create_organisation(actor(), now=utcnow(), **form.service_fields())
            similar = services.find_similar_organisations(organisation.name, exclude_id=organisation.id)
        except DomainError as error:
            fail(error, form, default_field=first_field(form))
        else:
            name, organisation_id = organisation.name, organisation.id
            similar_names = [s.organisation.name for s in similar]
            db.session.commit()
            flash(f"{name} has been added", "success")
            if similar_names:
                flash("Check it is not a duplicate of: " + "; ".join(similar_names), "info")
            return redirect(url_for(".admin_organisation", organisation_id=organisation_id))
    return render_template(
        "organisations/organisation_form.html",
        form=form,
        heading="Add an organisation",
        back=url_for(".admin_organisations"),
    )


@bp.route("/admin/organisations/<int:organisation_id>/edit", methods=["GET", "POST"])
@admin_required
def admin_organisation_edit(organisation_id: int):
    organisation = services.get_organisation(organisation_id)
    initial = None
    if request.method == "GET":
        initial = {
            "name": organisation.name,
            "type": str(organisation.type_id),
            "sector": "" if organisation.sector_id == organisation.type.sector_id else str(organisation.sector_id),
            "area": str(organisation.area_id) if organisation.area_id else "",
            "urn": organisation.urn or "",
            "address": organisation.address or "",
            "postcode": organisation.postcode or "",
        }
    form = OrganisationForm(data=initial)
    organisation_form_choices(form)
    if form.validate_on_submit():
        try:
            changed = services.update_organisation(actor(), organisation, now=utcnow(), **form.service_fields())
        except DomainError as error:
            fail(error, form, default_field=first_field(form))
            organisation = services.get_organisation(organisation_id)
        else:
            name = organisation.name
            db.session.commit()
            flash(f"{name} has been updated" if changed else "Nothing was changed", "success" if changed else "info")
            return redirect(url_for(".admin_organisation", organisation_id=organisation_id))
    return render_template(
        "organisations/organisation_form.html",
        form=form,
        organisation=organisation,
        heading=f"Change {organisation.name}",
        back=url_for(".admin_organisation", organisation_id=organisation_id),
    )


# --- an organisation's page -----------------------------------------------------------

def render_organisation(organisation, lead_form=None):
    """An organisation's admin page. `lead_form` is a setting-lead form to show with its
    errors (the accounts feature's page for adding a lead renders this page again)."""
    panels = [
        Markup(html)
        for _, html in organisation_admin_page.send(None, organisation=organisation, lead_form=lead_form)
        if html
    ]
    return render_template(
        "organisations/organisation.html",
        organisation=organisation,
        people=people_counts([organisation.id])[organisation.id],
        panels=panels,
        form=lead_form,  # for the error summary of the form a panel shows
        confirm_form=ConfirmForm(),
    )


@bp.get("/admin/organisations/<int:organisation_id>")
@admin_required
def admin_organisation(organisation_id: int):
    return render_organisation(services.get_organisation(organisation_id))


def _set_active(organisation_id: int, active: bool):
    organisation = services.get_organisation(organisation_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        services.set_organisation_active(actor(), organisation, active, now=utcnow())
    except DomainError as error:
        fail(error)
        flash(error.message, "info")
    else:
        name = organisation.name
        db.session.commit()
        flash(f"{name} has been {'reactivated' if active else 'deactivated'}", "success")
    return redirect(url_for(".admin_organisation", organisation_id=organisation_id))


@bp.post("/admin/organisations/<int:organisation_id>/deactivate")
@admin_required
def admin_organisation_deactivate(organisation_id: int):
    return _set_active(organisation_id, False)


@bp.post("/admin/organisations/<int:organisation_id>/reactivate")
@admin_required
def admin_organisation_reactivate(organisation_id: int):
    return _set_active(organisation_id, True)
