"""Organisation pages: a setting lead's staff list, and the admin pages for organisations,
"my organisation is not listed" requests, setting leads and reference data.

Thin views: form -> service -> commit -> flash -> redirect. A DomainError becomes an error
on the named form field so the GOV.UK error summary links to it.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import SelectChoice

from lms.core.auth import admin_required, setting_lead_required
from lms.core.errors import DomainError, Forbidden, NotFound
from lms.core.forms import apply_domain_error
from lms.core.time import utcnow
from lms.extensions import db
from lms.organisations import services
from lms.organisations.forms import (
    AddSettingLeadForm,
    ConfirmForm,
    LinkRequestForm,
    OrganisationFilterForm,
    OrganisationForm,
    ReferenceForm,
    RejectRequestForm,
    StaffFilterForm,
)
from lms.organisations.models import Area, JobRole, Organisation, OrganisationType, Sector

bp = Blueprint("organisations", __name__, template_folder="templates")

PER_PAGE = 25


# --- helpers --------------------------------------------------------------------------

def _actor():
    return current_user._get_current_object()


def _int_or_none(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _page_number() -> int:
    return max(1, _int_or_none(request.args.get("page")) or 1)


def _apply_error(form, error: DomainError) -> None:
    """Put a service's error on the field it names (or the first visible field), so the
    error summary links to it."""
    first = next(f.name for f in form if f.type not in ("CSRFTokenField", "SubmitField", "HiddenField"))
    apply_domain_error(form, error, default_field=first)


def _fail(error: DomainError) -> None:
    """Roll back what a service flushed before it raised; NotFound/Forbidden become 404/403."""
    db.session.rollback()
    if isinstance(error, NotFound):
        abort(404)
    if isinstance(error, Forbidden):
        abort(403)


def _filter_args(form) -> dict:
    """The non-empty filter values, to carry into pagination links."""
    return {name: field.data for name, field in form._fields.items() if field.data not in (None, "")}


def _choices(rows, blank: str | None = None) -> list[SelectChoice]:
    items = [SelectChoice(str(row.id), row.name) for row in rows]
    return [SelectChoice("", blank), *items] if blank is not None else items


def _organisation_form_choices(form: OrganisationForm) -> None:
    types = services.list_reference(OrganisationType)
    form.type.choices = [SelectChoice("", "Select a type")] + [
        SelectChoice(str(t.id), f"{t.name} ({t.sector.name})") for t in types
    ]
    form.sector.choices = _choices(services.list_reference(Sector), blank="Same as the type's sector")
    form.area.choices = _choices(services.list_reference(Area), blank="No area")


# --- a setting lead's staff -----------------------------------------------------------

@bp.get("/organisation/staff")
@setting_lead_required
def staff():
    actor = _actor()
    if actor.is_admin:
        organisations = services.organisation_choices(active_only=False)
    else:
        organisations = [(org.id, org.name) for org in actor.led_organisations]
    names = dict(organisations)
    filters = StaffFilterForm(request.args)
    filters.organisation.choices = [SelectChoice("", "All organisations")] + [
        SelectChoice(str(i), n) for i, n in organisations
    ]
    selected = _int_or_none(filters.organisation.data)
    if filters.organisation.data and selected not in names:
        abort(404)
    page = services.paginate(
        services.staff_of(actor, [selected] if selected else None, search=filters.q.data),
        page=_page_number(),
        per_page=PER_PAGE,
    )
    if selected:
        heading_org = names[selected]
    elif len(organisations) == 1:
        heading_org = organisations[0][1]
    else:
        heading_org = None
    return render_template(
        "organisations/staff.html",
        filters=filters,
        page=page,
        pagination_args=_filter_args(filters),
        show_organisation_filter=len(organisations) > 1,
        show_organisation_column=len(organisations) > 1 and not selected,
        heading_org=heading_org,
    )


@bp.get("/organisation/staff/<int:user_id>")
@setting_lead_required
def staff_member(user_id: int):
    try:
        person = services.get_staff_member(_actor(), user_id)
    except DomainError as error:
        _fail(error)
    return render_template("organisations/staff_member.html", person=person)


# --- admin: organisations -------------------------------------------------------------

STATUS_FILTER = {"active": True, "inactive": False, "all": None}


@bp.get("/admin/organisations")
@admin_required
def admin_organisations():
    filters = OrganisationFilterForm(request.args)
    filters.type.choices = _choices(services.list_reference(OrganisationType), blank="All types")
    filters.sector.choices = _choices(services.list_reference(Sector), blank="All sectors")
    filters.area.choices = _choices(services.list_reference(Area), blank="All areas")
    status = filters.status.data if filters.status.data in STATUS_FILTER else "active"
    query = services.list_organisations(
        search=filters.q.data,
        type_id=_int_or_none(filters.type.data),
        sector_id=_int_or_none(filters.sector.data),
        area_id=_int_or_none(filters.area.data),
        active=STATUS_FILTER[status],
    )
    page = services.paginate(query, page=_page_number(), per_page=PER_PAGE)
    counts = services.people_counts([org.id for org in page.items])
    return render_template(
        "organisations/admin/organisations.html",
        filters=filters,
        page=page,
        counts=counts,
        pagination_args=_filter_args(filters),
        pending_requests=services.count_pending_requests(),
    )


@bp.route("/admin/organisations/new", methods=["GET", "POST"])
@admin_required
def admin_organisation_new():
    form = OrganisationForm()
    _organisation_form_choices(form)
    if form.validate_on_submit():
        try:
            organisation = services.create_organisation(_actor(), now=utcnow(), **form.service_fields())
            similar = services.find_similar_organisations(organisation.name, exclude_id=organisation.id)
        except DomainError as error:
            _fail(error)
            _apply_error(form, error)
        else:
            name, organisation_id = organisation.name, organisation.id
            similar_names = [s.organisation.name for s in similar]
            db.session.commit()
            flash(f"{name} has been added", "success")
            if similar_names:
                flash("Check it is not a duplicate of: " + "; ".join(similar_names), "info")
            return redirect(url_for(".admin_organisation", organisation_id=organisation_id))
    return render_template(
        "organisations/admin/organisation_form.html",
        form=form,
        heading="Add an organisation",
        back=url_for(".admin_organisations"),
    )


def _get_organisation(organisation_id: int):
    try:
        return services.get_organisation(organisation_id)
    except NotFound:
        abort(404)


@bp.route("/admin/organisations/<int:organisation_id>/edit", methods=["GET", "POST"])
@admin_required
def admin_organisation_edit(organisation_id: int):
    organisation = _get_organisation(organisation_id)
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
    _organisation_form_choices(form)
    if form.validate_on_submit():
        try:
            changed = services.update_organisation(_actor(), organisation, now=utcnow(), **form.service_fields())
        except DomainError as error:
            _fail(error)
            _apply_error(form, error)
            organisation = _get_organisation(organisation_id)
        else:
            name = organisation.name
            db.session.commit()
            flash(f"{name} has been updated" if changed else "Nothing was changed", "success" if changed else "info")
            return redirect(url_for(".admin_organisation", organisation_id=organisation_id))
    return render_template(
        "organisations/admin/organisation_form.html",
        form=form,
        organisation=organisation,
        heading=f"Change {organisation.name}",
        back=url_for(".admin_organisation", organisation_id=organisation_id),
    )


def _render_organisation(organisation, lead_form):
    leads = services.list_setting_leads(organisation)
    return render_template(
        "organisations/admin/organisation.html",
        organisation=organisation,
        leads=leads,
        people=services.people_counts([organisation.id])[organisation.id],
        form=lead_form,
        confirm_form=ConfirmForm(),
    )


@bp.get("/admin/organisations/<int:organisation_id>")
@admin_required
def admin_organisation(organisation_id: int):
    return _render_organisation(_get_organisation(organisation_id), AddSettingLeadForm())


@bp.post("/admin/organisations/<int:organisation_id>/leads")
@admin_required
def admin_add_lead(organisation_id: int):
    organisation = _get_organisation(organisation_id)
    form = AddSettingLeadForm()
    if form.validate_on_submit():
        try:
            person = services.find_person_by_email(form.email.data)
            services.add_setting_lead(_actor(), person, organisation, now=utcnow())
        except DomainError as error:
            _fail(error)
            _apply_error(form, error)
            organisation = _get_organisation(organisation_id)
        else:
            works_here = person.organisation_id == organisation.id
            message = f"{person.full_name} is now a setting lead for {organisation.name}"
            warning = (
                f"{person.full_name} is not recorded as working at {organisation.name}. "
                "Check this is right: as a setting lead they can see everyone who works there."
            )
            db.session.commit()
            flash(message, "success")
            if not works_here:
                flash(warning, "info")
            return redirect(url_for(".admin_organisation", organisation_id=organisation_id))
    return _render_organisation(organisation, form)


@bp.post("/admin/organisations/<int:organisation_id>/leads/<int:user_id>/remove")
@admin_required
def admin_remove_lead(organisation_id: int, user_id: int):
    from lms.accounts.models import User

    organisation = _get_organisation(organisation_id)
    person = db.session.get(User, user_id)
    if person is None or not ConfirmForm().validate_on_submit():
        abort(404 if person is None else 400)
    try:
        services.remove_setting_lead(_actor(), person, organisation, now=utcnow())
    except DomainError as error:
        _fail(error)
        flash(error.message, "info")
    else:
        message = f"{person.full_name} is no longer a setting lead for {organisation.name}"
        db.session.commit()
        flash(message, "success")
    return redirect(url_for(".admin_organisation", organisation_id=organisation_id))


def _set_active(organisation_id: int, active: bool):
    organisation = _get_organisation(organisation_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        services.set_organisation_active(_actor(), organisation, active, now=utcnow())
    except DomainError as error:
        _fail(error)
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


# --- admin: organisation requests -----------------------------------------------------

REQUEST_STATUS_LABELS = {
    services.PENDING: "Waiting for a decision",
    services.APPROVED: "Added",
    services.LINKED: "Linked to an existing organisation",
    services.REJECTED: "Rejected",
}


@bp.get("/admin/organisation-requests")
@admin_required
def admin_requests():
    status = request.args.get("status", services.PENDING)
    if status not in services.REQUEST_STATUSES:
        status = services.PENDING
    page = services.paginate(services.list_requests(status=status), page=_page_number(), per_page=PER_PAGE)
    return render_template(
        "organisations/admin/requests.html",
        page=page,
        status=status,
        statuses=REQUEST_STATUS_LABELS,
        pagination_args={"status": status},
    )


def _get_request(request_id: int):
    try:
        return services.get_request(request_id)
    except NotFound:
        abort(404)


def _decided(org_request):
    flash(f"This request has already been {org_request.status}", "info")
    return redirect(url_for(".admin_request", request_id=org_request.id))


@bp.get("/admin/organisation-requests/<int:request_id>")
@admin_required
def admin_request(request_id: int):
    org_request = _get_request(request_id)
    similar = services.possible_duplicates(org_request) if org_request.status == services.PENDING else []
    return render_template(
        "organisations/admin/request.html",
        org_request=org_request,
        similar=similar,
        statuses=REQUEST_STATUS_LABELS,
        confirm_form=ConfirmForm(),
    )


@bp.route("/admin/organisation-requests/<int:request_id>/approve", methods=["GET", "POST"])
@admin_required
def admin_request_approve(request_id: int):
    org_request = _get_request(request_id)
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
    _organisation_form_choices(form)
    form.submit.label.text = "Add organisation and approve"
    if form.validate_on_submit():
        try:
            organisation = services.approve_request(
                _actor(), org_request, now=utcnow(), organisation_fields=form.service_fields()
            )
        except DomainError as error:
            _fail(error)
            org_request = _get_request(request_id)
            if org_request.status != services.PENDING:
                return _decided(org_request)
            _apply_error(form, error)
        else:
            name, person = organisation.name, org_request.requested_by.full_name
            db.session.commit()
            flash(f"{name} has been added and {person} recorded as working there. We have emailed them.", "success")
            return redirect(url_for(".admin_requests"))
    return render_template(
        "organisations/admin/organisation_form.html",
        form=form,
        org_request=org_request,
        similar=services.possible_duplicates(org_request),
        heading="Approve: add a new organisation",
        back=url_for(".admin_request", request_id=request_id),
    )


@bp.route("/admin/organisation-requests/<int:request_id>/link", methods=["GET", "POST"])
@admin_required
def admin_request_link(request_id: int):
    org_request = _get_request(request_id)
    if org_request.status != services.PENDING:
        return _decided(org_request)
    similar = services.possible_duplicates(org_request)
    form = LinkRequestForm()
    suggested = {s.organisation.id: s.organisation.name for s in similar}
    others = [(i, n) for i, n in services.organisation_choices() if i not in suggested]
    form.organisation.choices = [SelectChoice("", "Select an organisation")] + [
        SelectChoice(str(i), n) for i, n in [*suggested.items(), *others]
    ]
    if form.validate_on_submit():
        organisation = None
        organisation_id = _int_or_none(form.organisation.data)
        if organisation_id is not None:
            organisation = db.session.get(Organisation, organisation_id)
        try:
            services.link_request(_actor(), org_request, organisation, now=utcnow())
        except DomainError as error:
            _fail(error)
            org_request = _get_request(request_id)
            if org_request.status != services.PENDING:
                return _decided(org_request)
            _apply_error(form, error)
        else:
            name, person = organisation.name, org_request.requested_by.full_name
            db.session.commit()
            flash(f"{person} has been recorded as working at {name}. We have emailed them.", "success")
            return redirect(url_for(".admin_requests"))
    return render_template(
        "organisations/admin/request_link.html", form=form, org_request=org_request, similar=similar
    )


@bp.route("/admin/organisation-requests/<int:request_id>/reject", methods=["GET", "POST"])
@admin_required
def admin_request_reject(request_id: int):
    org_request = _get_request(request_id)
    if org_request.status != services.PENDING:
        return _decided(org_request)
    form = RejectRequestForm()
    if form.validate_on_submit():
        try:
            services.reject_request(_actor(), org_request, form.reason.data, now=utcnow())
        except DomainError as error:
            _fail(error)
            org_request = _get_request(request_id)
            if org_request.status != services.PENDING:
                return _decided(org_request)
            _apply_error(form, error)
        else:
            name = org_request.name
            db.session.commit()
            flash(f"The request to add {name} has been rejected. We have emailed the reason.", "success")
            return redirect(url_for(".admin_requests"))
    return render_template("organisations/admin/request_reject.html", form=form, org_request=org_request)


# --- admin: reference data ------------------------------------------------------------

REFERENCE_KINDS = {
    "sectors": {"model": Sector, "title": "Sectors", "singular": "sector",
                "usage": "Organisations"},
    "organisation-types": {"model": OrganisationType, "title": "Organisation types", "singular": "organisation type",
                           "usage": "Organisations"},
    "areas": {"model": Area, "title": "Areas", "singular": "area", "usage": "Organisations"},
    "job-roles": {"model": JobRole, "title": "Job roles", "singular": "job role",
                  "usage": "People holding it"},
}


def _kind(kind: str) -> dict:
    if kind not in REFERENCE_KINDS:
        abort(404)
    return {"slug": kind, **REFERENCE_KINDS[kind]}


def _get_reference(kind: dict, item_id: int):
    try:
        return services.get_reference(kind["model"], item_id)
    except NotFound:
        abort(404)


@bp.get("/admin/reference")
@admin_required
def admin_reference_index():
    return render_template("organisations/admin/reference_index.html", kinds=REFERENCE_KINDS)


@bp.get("/admin/reference/<kind>")
@admin_required
def admin_reference(kind: str):
    kind = _kind(kind)
    return render_template(
        "organisations/admin/reference_list.html",
        kind=kind,
        items=services.list_reference(kind["model"]),
        usage=services.reference_usage(kind["model"]),
    )


def _reference_form(kind: dict, *, editing: bool, data: dict | None = None) -> ReferenceForm:
    form = ReferenceForm(data=data)
    if editing:
        del form.code
    else:
        del form.position
    if kind["model"] is OrganisationType:
        form.sector.choices = _choices(services.list_reference(Sector), blank="Select a sector")
    else:
        del form.sector
    return form


@bp.route("/admin/reference/<kind>/new", methods=["GET", "POST"])
@admin_required
def admin_reference_new(kind: str):
    kind = _kind(kind)
    form = _reference_form(kind, editing=False)
    if form.validate_on_submit():
        sector = form.sector.data if "sector" in form else None
        try:
            item = services.create_reference(
                _actor(), kind["model"], code=form.code.data, name=form.name.data, sector_id=sector, now=utcnow()
            )
        except DomainError as error:
            _fail(error)
            _apply_error(form, error)
        else:
            name = item.name
            db.session.commit()
            flash(f"{name} has been added", "success")
            return redirect(url_for(".admin_reference", kind=kind["slug"]))
    return render_template("organisations/admin/reference_form.html", form=form, kind=kind, item=None)


@bp.route("/admin/reference/<kind>/<int:item_id>/edit", methods=["GET", "POST"])
@admin_required
def admin_reference_edit(kind: str, item_id: int):
    kind = _kind(kind)
    item = _get_reference(kind, item_id)
    data = None
    if request.method == "GET":
        data = {"name": item.name, "position": str(services.reference_position(item))}
        if kind["model"] is OrganisationType:
            data["sector"] = str(item.sector_id)
    form = _reference_form(kind, editing=True, data=data)
    if form.validate_on_submit():
        sector = form.sector.data if "sector" in form else None
        try:
            changed = services.update_reference(
                _actor(), item, name=form.name.data, position=int(form.position.data), sector_id=sector, now=utcnow()
            )
        except DomainError as error:
            _fail(error)
            _apply_error(form, error)
            item = _get_reference(kind, item_id)
        else:
            name = item.name
            db.session.commit()
            flash(f"{name} has been updated" if changed else "Nothing was changed", "success" if changed else "info")
            return redirect(url_for(".admin_reference", kind=kind["slug"]))
    return render_template(
        "organisations/admin/reference_form.html",
        form=form,
        kind=kind,
        item=item,
        usage=services.reference_usage(kind["model"]).get(item.id, 0),
        confirm_form=ConfirmForm(),
    )


def _set_job_role_active(item_id: int, active: bool):
    kind = _kind("job-roles")
    role = _get_reference(kind, item_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        services.set_job_role_active(_actor(), role, active, now=utcnow())
    except DomainError as error:
        _fail(error)
        flash(error.message, "info")
    else:
        name = role.name
        db.session.commit()
        flash(f"{name} has been {'reactivated' if active else 'deactivated'}", "success")
    return redirect(url_for(".admin_reference", kind="job-roles"))


@bp.post("/admin/reference/job-roles/<int:item_id>/deactivate")
@admin_required
def admin_job_role_deactivate(item_id: int):
    return _set_job_role_active(item_id, False)


@bp.post("/admin/reference/job-roles/<int:item_id>/reactivate")
@admin_required
def admin_job_role_reactivate(item_id: int):
    return _set_job_role_active(item_id, True)
