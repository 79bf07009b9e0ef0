"""The partnership admin's pages for managing people (/admin/people), and making people
setting leads of an organisation (whose page, organisations.views, shows the setting leads
through the organisation_admin_page hook answered here). The admin's dashboard, /admin,
is pages.views'.

Thin views: form -> admin.services -> commit -> flash -> redirect. A DomainError becomes
an error on the form field it names, so the GOV.UK error summary links to it.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from markupsafe import Markup
from sqlalchemy import select
from wtforms import SelectChoice

from lms.accounts.admin import forms, services
from lms.accounts.models import User
from lms.audit import services as audit
from lms.core.auth import actor, admin_required
from lms.core.errors import DomainError
from lms.core.forms import attempt, fail
from lms.core.pagination import paginate
from lms.core.time import utcnow
from lms.extensions import db
from lms.organisations import services as organisations
from lms.organisations.models import JobRole, Organisation, PersonRole, Sector
from lms.organisations.views import render_organisation
from lms.signals import organisation_admin_page, organisation_people

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")

PEOPLE_PER_PAGE = 50
# Pages other features build (an organisation's, API tokens), linked by path so these
# pages do not depend on their endpoint names.
OTHER_ADMIN_PAGES = {
    "organisation": "/admin/organisations/{id}",
    "api_tokens": "/admin/people/{id}/api-tokens",
}


@bp.context_processor
def other_admin_pages():
    return {"other_pages": OTHER_ADMIN_PAGES}


# --- choices --------------------------------------------------------------------------


def _organisation_choices(blank: str) -> list[SelectChoice]:
    rows = db.session.execute(
        select(Organisation.id, Organisation.name)
        .where(Organisation.active.is_(True))
        .order_by(Organisation.name, Organisation.id)
    )
    return [SelectChoice("", blank)] + [SelectChoice(str(row.id), row.name) for row in rows]


def _job_role_choices(blank: str) -> list[SelectChoice]:
    rows = db.session.execute(
        select(JobRole.id, JobRole.name).where(JobRole.active.is_(True)).order_by(JobRole.position, JobRole.name)
    )
    return [SelectChoice("", blank)] + [SelectChoice(str(row.id), row.name) for row in rows]


def _sector_choices(blank: str) -> list[SelectChoice]:
    rows = db.session.execute(select(Sector.id, Sector.name).order_by(Sector.position, Sector.name))
    return [SelectChoice("", blank)] + [SelectChoice(str(row.id), row.name) for row in rows]


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _page_number() -> int:
    page = _int_or_none(request.args.get("page")) or 1
    return max(page, 1)


# --- people ---------------------------------------------------------------------------


@bp.get("/people")
@admin_required
def people():
    form = forms.PeopleFilterForm(formdata=request.args)
    form.organisation.choices = _organisation_choices("Any organisation")
    form.sector.choices = _sector_choices("Any sector")
    form.job_role.choices = _job_role_choices("Any job role")
    filters = services.PeopleFilter(
        text=form.q.data or "",
        organisation_id=_int_or_none(form.organisation.data),
        sector_id=_int_or_none(form.sector.data),
        job_role_id=_int_or_none(form.job_role.data),
        access=form.access.data if form.access.data in services.ACCESS else None,
        status=form.status.data if form.status.data in services.STATUSES else None,
    )
    pager = paginate(services.people_query(filters), page=_page_number(), per_page=PEOPLE_PER_PAGE)
    filtered = any(request.args.get(name) for name in ("q", "organisation", "sector", "job_role", "access", "status"))
    return render_template(
        "accounts/admin/people.html",
        filter_form=form,
        pager=pager,
        filtered=filtered,
        person_status=services.person_status,
        statuses=services.STATUSES,
    )


def _person_or_404(person_id: int) -> User:
    return services.get_person(person_id)  # NotFound: the 404 page


@bp.get("/people/<int:person_id>")
@admin_required
def person(person_id: int):
    person = _person_or_404(person_id)
    return render_template(
        "accounts/admin/person.html",
        person=person,
        status=services.person_status(person),
        statuses=services.STATUSES,
        employments=services.employment_history(person),
        live_sessions=services.live_session_count(person, now=utcnow()),
        events=audit.events_about("user", person.id, limit=10),
        button_form=forms.ConfirmForm(),
    )


@bp.route("/people/new", methods=["GET", "POST"])
@admin_required
def create_person():
    form = forms.CreatePersonForm()
    form.organisation.choices = _organisation_choices("Select an organisation")
    form.job_role.choices = _job_role_choices("Select a job role")
    if form.validate_on_submit():
        access = set(form.access.data or [])
        data = services.NewPerson(
            full_name=form.full_name.data,
            email=form.email.data,
            organisation_id=_int_or_none(form.organisation.data),
            job_role_id=_int_or_none(form.job_role.data),
            started_on=form.started_on.data,
            is_admin="admin" in access,
            is_trainer="trainer" in access,
            leads_organisation="setting-lead" in access,
        )
        ok, person = attempt(
            form, lambda: services.create_person(actor(), data, now=utcnow()), default_field="full_name"
        )
        if ok:
            flash(
                f"Account created for {person.full_name}. We have emailed them an invitation to set a password",
                "success",
            )
            return redirect(url_for(".person", person_id=person.id))
    return render_template("accounts/admin/create_person.html", form=form)


@bp.route("/people/<int:person_id>/edit", methods=["GET", "POST"])
@admin_required
def edit_person(person_id: int):
    person = _person_or_404(person_id)
    form = forms.EditPersonForm(obj=person)
    if form.validate_on_submit():
        ok, email_changed = attempt(
            form,
            lambda: services.edit_person(
                actor(), person, full_name=form.full_name.data, email=form.email.data, now=utcnow()
            ),
            default_field="full_name",
        )
        if ok:
            message = f"Details saved for {person.full_name}"
            if email_changed:
                message += f". We have sent a link to {person.email} to confirm the new address"
            flash(message, "success")
            return redirect(url_for(".person", person_id=person.id))
    return render_template("accounts/admin/edit_person.html", form=form, person=person)


@bp.route("/people/<int:person_id>/access", methods=["GET", "POST"])
@admin_required
def access(person_id: int):
    person = _person_or_404(person_id)
    form = forms.AccessForm()
    if request.method == "GET":
        form.access.data = [name for name, flag in (("admin", person.is_admin), ("trainer", person.is_trainer)) if flag]
    if form.validate_on_submit():
        chosen = set(form.access.data or [])
        ok, _ = attempt(
            form,
            lambda: services.set_access(
                actor(), person, is_admin="admin" in chosen, is_trainer="trainer" in chosen, now=utcnow()
            ),
            default_field="access",
        )
        if ok:
            flash(f"Access saved for {person.full_name}", "success")
            return redirect(url_for(".person", person_id=person.id))
    return render_template("accounts/admin/access.html", form=form, person=person, is_self=person.id == actor().id)


@bp.route("/people/<int:person_id>/close", methods=["GET", "POST"])
@admin_required
def close_account(person_id: int):
    person = _person_or_404(person_id)
    form = forms.ConfirmForm()
    form.submit.label.text = "Close account"
    if form.validate_on_submit():
        ok, sessions = attempt(
            form, lambda: services.close_account(actor(), person, now=utcnow()), default_field="submit"
        )
        if ok:
            signed_out = f" and signed them out of {sessions} browser{'s' if sessions != 1 else ''}" if sessions else ""
            flash(f"Closed the account of {person.full_name}{signed_out}", "success")
            return redirect(url_for(".person", person_id=person.id))
    return render_template(
        "accounts/admin/close_account.html",
        form=form,
        person=person,
        live_sessions=services.live_session_count(person, now=utcnow()),
        is_self=person.id == actor().id,
    )


def _button_action(person: User, action, success):
    """A one-button action on the person page: errors are shown there as a message."""
    form = forms.ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        result = action()
    except DomainError as error:
        fail(error)
        flash(error.message, "error")
        return redirect(url_for(".person", person_id=person.id))
    db.session.commit()
    flash(success(result), "success")
    return redirect(url_for(".person", person_id=person.id))


@bp.post("/people/<int:person_id>/reopen")
@admin_required
def reopen_account(person_id: int):
    person = _person_or_404(person_id)
    return _button_action(
        person,
        lambda: services.reopen_account(actor(), person, now=utcnow()),
        lambda _: f"Reopened the account of {person.full_name}. They can sign in again",
    )


@bp.post("/people/<int:person_id>/resend")
@admin_required
def resend_email(person_id: int):
    person = _person_or_404(person_id)
    return _button_action(
        person,
        lambda: services.resend_account_email(actor(), person, now=utcnow()),
        lambda kind: f"We have sent a new {kind} email to {person.email}",
    )


@bp.route("/people/<int:person_id>/organisation", methods=["GET", "POST"])
@admin_required
def change_organisation(person_id: int):
    person = _person_or_404(person_id)
    form = forms.ChangeOrganisationForm()
    form.organisation.choices = _organisation_choices("Select an organisation")
    if form.validate_on_submit():
        organisation = db.session.get(Organisation, _int_or_none(form.organisation.data) or 0)
        ok, _ = attempt(
            form,
            lambda: services.change_person_organisation(
                actor(), person, organisation, on=form.started_on.data, now=utcnow()
            ),
            default_field="organisation",
        )
        if ok:
            flash(f"{person.full_name} now works for {person.organisation.name}", "success")
            return redirect(url_for(".person", person_id=person.id))
    return render_template("accounts/admin/change_organisation.html", form=form, person=person)


@bp.route("/people/<int:person_id>/roles/add", methods=["GET", "POST"])
@admin_required
def add_role(person_id: int):
    person = _person_or_404(person_id)
    form = forms.AddRoleForm()
    form.job_role.choices = _job_role_choices("Select a job role")
    if form.validate_on_submit():
        job_role = db.session.get(JobRole, _int_or_none(form.job_role.data) or 0)
        ok, role = attempt(
            form,
            lambda: services.add_job_role(
                actor(), person, job_role, started_on=form.started_on.data, now=utcnow()
            ),
            default_field="job_role",
        )
        if ok:
            flash(f"Added the job role {role.job_role.name} to {person.full_name}", "success")
            return redirect(url_for(".person", person_id=person.id))
    return render_template("accounts/admin/add_role.html", form=form, person=person)


@bp.route("/people/<int:person_id>/roles/<int:role_id>/end", methods=["GET", "POST"])
@admin_required
def end_role(person_id: int, role_id: int):
    person = _person_or_404(person_id)
    role = db.session.get(PersonRole, role_id)
    if role is None or role.user_id != person.id:
        abort(404)
    form = forms.EndRoleForm()
    if form.validate_on_submit():
        ok, _ = attempt(
            form,
            lambda: services.end_job_role(actor(), person, role, ended_on=form.ended_on.data, now=utcnow()),
            default_field="ended_on",
        )
        if ok:
            flash(f"Ended the job role {role.job_role.name} of {person.full_name}", "success")
            return redirect(url_for(".person", person_id=person.id))
    return render_template("accounts/admin/end_role.html", form=form, person=person, role=role)


# --- an organisation's setting leads ----------------------------------------------------


@bp.post("/organisations/<int:organisation_id>/leads")
@admin_required
def add_lead(organisation_id: int):
    organisation = organisations.get_organisation(organisation_id)
    form = forms.AddSettingLeadForm()
    if form.validate_on_submit():
        try:
            person = services.find_person_by_email(form.email.data)
            organisations.add_setting_lead(actor(), person, organisation, now=utcnow())
        except DomainError as error:
            fail(error, form, default_field="email")
            organisation = organisations.get_organisation(organisation_id)
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
            return redirect(url_for("organisations.admin_organisation", organisation_id=organisation_id))
    return render_organisation(organisation, lead_form=form)


@bp.post("/organisations/<int:organisation_id>/leads/<int:user_id>/remove")
@admin_required
def remove_lead(organisation_id: int, user_id: int):
    organisation = organisations.get_organisation(organisation_id)
    person = db.session.get(User, user_id)
    if person is None or not forms.ConfirmForm().validate_on_submit():
        abort(404 if person is None else 400)
    try:
        organisations.remove_setting_lead(actor(), person, organisation, now=utcnow())
    except DomainError as error:
        fail(error)
        flash(error.message, "info")
    else:
        message = f"{person.full_name} is no longer a setting lead for {organisation.name}"
        db.session.commit()
        flash(message, "success")
    return redirect(url_for("organisations.admin_organisation", organisation_id=organisation_id))


def _leads_panel(sender, *, organisation, lead_form=None, **_):
    """The organisation_admin_page hook: the organisation's setting leads, and the form to
    add one."""
    return Markup(render_template(
        "accounts/admin/organisation_leads.html",
        organisation=organisation,
        leads=services.list_setting_leads(organisation),
        form=lead_form or forms.AddSettingLeadForm(),
        confirm_form=forms.ConfirmForm(),
    ))


def _people_counts(sender, *, organisation_ids, **_):
    """The organisation_people hook."""
    return services.people_counts(organisation_ids)


def connect_signals() -> None:
    organisation_admin_page.connect(_leads_panel, weak=False)
    organisation_people.connect(_people_counts, weak=False)
