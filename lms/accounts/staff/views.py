"""A setting lead's staff list and a person's page (/organisation/staff): the people
recorded as working at the organisations they lead, the people asking to join them (to
confirm, or to say they do not work here), and recording that someone has left. Admins
see every organisation's."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from wtforms import SelectChoice

from lms.accounts.staff import services
from lms.accounts.staff.forms import DecideJoinRequestForm, RecordLeavingForm, StaffFilterForm
from lms.core.auth import actor, setting_lead_required
from lms.core.errors import DomainError
from lms.core.forms import fail
from lms.core.pagination import paginate
from lms.core.time import utcnow
from lms.core.urls import url_for_each
from lms.extensions import db
from lms.organisations.services import organisation_choices

bp = Blueprint("staff", __name__, url_prefix="/organisation/staff", template_folder="templates")

PER_PAGE = 25


def _int_or_none(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


@bp.get("")
@setting_lead_required
def index():
    person = actor()
    if person.is_admin:
        organisations = organisation_choices(active_only=False)
    else:
        organisations = [(org.id, org.name) for org in person.led_organisations]
    names = dict(organisations)
    filters = StaffFilterForm(request.args)
    filters.organisation.choices = [SelectChoice("", "All organisations")] + [
        SelectChoice(str(i), n) for i, n in organisations
    ]
    selected = _int_or_none(filters.organisation.data)
    if filters.organisation.data and selected not in names:
        abort(404)
    page = paginate(
        services.staff_of(person, [selected] if selected else None, search=filters.q.data),
        page=request.args.get("page", 1, type=int),
        per_page=PER_PAGE,
    )
    asking = paginate(
        services.join_requests_for(person, [selected] if selected else None),
        page=request.args.get("asking_page", 1, type=int),
        per_page=PER_PAGE,
    )
    if selected:
        heading_org = names[selected]
    elif len(organisations) == 1:
        heading_org = organisations[0][1]
    else:
        heading_org = None
    return render_template(
        "accounts/staff/index.html",
        filters=filters,
        page=page,
        asking=asking,
        asking_links=asking.govuk_pagination(
            url_for_each(".index", "asking_page", **{
                name: field.data for name, field in filters._fields.items() if field.data not in (None, "")
            }, _anchor="asking-to-join"),
            label="People asking to join pages",
        ),
        decide_form=DecideJoinRequestForm(),
        pagination_args={name: field.data for name, field in filters._fields.items() if field.data not in (None, "")},
        show_organisation_filter=len(organisations) > 1,
        show_organisation_column=len(organisations) > 1 and not selected,
        heading_org=heading_org,
    )


@bp.get("/<int:user_id>")
@setting_lead_required
def member(user_id: int):
    person = services.get_staff_member(actor(), user_id)  # NotFound: the 404 page
    return render_template("accounts/staff/member.html", person=person, may_record_leaving=_may_record_leaving(person))


def _may_record_leaving(person) -> bool:
    viewer = actor()
    return (
        person.organisation_id is not None and person.active and person.id != viewer.id
        and services.accounts.leads(viewer, person.organisation_id)
    )


def _back_to_staff(organisation_id: int) -> str:
    viewer = actor()
    if viewer.is_admin or len(services.led_organisation_ids(viewer)) > 1:
        return url_for(".index", organisation=organisation_id) + "#asking-to-join"
    return url_for(".index") + "#asking-to-join"


@bp.post("/join-requests/<int:request_id>/confirm")
@setting_lead_required
def confirm_join_request(request_id: int):
    join_request = services.get_join_request(actor(), request_id)  # NotFound: the 404 page
    return _decide(join_request, services.confirm_join_request,
                   "{name} is now on the staff of {organisation}.")


@bp.post("/join-requests/<int:request_id>/decline")
@setting_lead_required
def decline_join_request(request_id: int):
    join_request = services.get_join_request(actor(), request_id)
    return _decide(join_request, services.decline_join_request,
                   "You have said that {name} does not work at {organisation}. We have told them by email.")


def _decide(join_request, action, message: str):
    back = _back_to_staff(join_request.organisation_id)
    name, organisation = join_request.user.full_name, join_request.organisation.name
    form = DecideJoinRequestForm()
    if not form.validate_on_submit():  # a missing or stale CSRF token
        flash("Something went wrong. Try again.", "error")
        return redirect(back)
    try:
        action(actor(), join_request, now=utcnow())
    except DomainError as error:
        fail(error)
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(message.format(name=name, organisation=organisation), "success")
    return redirect(back)


@bp.route("/<int:user_id>/left", methods=["GET", "POST"])
@setting_lead_required
def record_leaving(user_id: int):
    person = services.get_staff_member(actor(), user_id)
    if not _may_record_leaving(person):
        abort(404)
    organisation = person.organisation
    form = RecordLeavingForm()
    if form.validate_on_submit():
        try:
            services.record_leaving(actor(), person, ended_on=form.ended_on.data, now=utcnow())
        except DomainError as error:
            fail(error, form, default_field="ended_on")
        else:
            db.session.commit()
            flash(f"{person.full_name} is recorded as having left {organisation.name}. Their training history stays.",
                  "success")
            return redirect(url_for(".index"))
    return render_template("accounts/staff/left.html", form=form, person=person, organisation=organisation)
