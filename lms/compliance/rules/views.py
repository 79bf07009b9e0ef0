"""The partnership admin's pages for training requirements and their rules: the list, a
requirement's layers and history, the partnership's and organisations' rules, a
requirement's details and new local requirements.

Every change can be previewed before it is saved: "Preview" shows its effect on today's
statuses ("This change makes 312 people overdue...") with a "Save this change" button
that posts the same values again (hidden fields, with the CSRF token). "Save" applies it.
Thin views: form -> rules.services -> commit -> flash -> redirect; a DomainError becomes
an error on the field it names. The blueprint `rules` is nested in `compliance`
(endpoints compliance.rules.*), under /admin/requirements.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from wtforms import SelectChoice

from lms.compliance import services as compliance
from lms.compliance.models import STRENGTHS, Requirement
from lms.compliance.rules import layers, preview, services, wording
from lms.compliance.rules.changes import DetailsChange, NewRequirement, OrganisationRuleChange, PartnershipRuleChange
from lms.compliance.rules.layers import FIELDS_BY_KIND, KIND_NAMES, RequirementDetails, RuleValues
from lms.compliance.rules.forms import (
    ChooseKindForm,
    ConfirmForm,
    DetailsForm,
    NewRequirementForm,
    OrganisationRuleForm,
    RuleForm,
    UnverifiedCpdForm,
)
from lms.core.auth import actor, admin_required
from lms.core.errors import DomainError
from lms.core.forms import attempt, fail
from lms.core.time import utcnow
from lms.extensions import db
from lms.organisations.models import JobRole, Organisation
from lms.catalogue.models import DELIVERY_MODES

bp = Blueprint("rules", __name__, url_prefix="/admin/requirements", template_folder="templates")

# Form fields the preview page does not carry back: the token is rendered afresh and the
# button says what to do.
NOT_CARRIED = {"csrf_token", "action"}


# --- helpers --------------------------------------------------------------------------------

def _carried() -> list[tuple[str, str]]:
    """The posted values, to send again from the preview page."""
    return [(name, value) for name in request.form for value in request.form.getlist(name) if name not in NOT_CARRIED]


def _action() -> str:
    return request.form.get("action", "") if request.method == "POST" else ""


def _requirement_names() -> dict[str, str]:
    rows = db.session.execute(select(Requirement.code, Requirement.name).order_by(Requirement.position, Requirement.id))
    return dict(rows.all())


def _requirement_choices(exclude: str | None = None) -> list[SelectChoice]:
    return [SelectChoice(code, name) for code, name in _requirement_names().items() if code != exclude]


def _job_role_choices() -> list[SelectChoice]:
    rows = db.session.execute(select(JobRole.code, JobRole.name).where(JobRole.active.is_(True)).order_by(JobRole.position, JobRole.name))
    return [SelectChoice(code, name) for code, name in rows]


def _organisation_choices() -> list[SelectChoice]:
    rows = db.session.execute(
        select(Organisation.id, Organisation.name).where(Organisation.active.is_(True)).order_by(Organisation.name, Organisation.id)
    )
    return [SelectChoice("", "Select an organisation")] + [SelectChoice(str(row.id), row.name) for row in rows]


def _setup_rule_form(form: RuleForm, requirement_code: str | None, inherited: dict | None, below: str | None) -> None:
    """Choices, and hints saying what a blank field falls back to."""
    form.counts_from.choices = _requirement_choices(exclude=requirement_code)
    form.qualifying_modes.choices = [SelectChoice(code, name) for code, name in DELIVERY_MODES.items()]
    if inherited is None or below is None:
        inherited, below = dict(compliance.DEFAULTS), "the default"
    for name in ("period_months", "hours_required", "window_months", "due_soon_days", "induction_days", "grace_days", "edition_date"):
        value = inherited.get(name)
        if name == "due_soon_days" and value is None:
            words = "the default for the period (60 days up to 12 months, 90 up to 24, 120 beyond)"
        elif value is None and name == "period_months":
            words = "no period, so no expiry"
        elif value is None:
            words = "not set"
        else:
            words = wording.field_words(name, value)
        if below == "the default" and name in ("period_months", "hours_required", "window_months", "edition_date"):
            continue  # a new rule's own values: nothing to fall back to
        form._fields[name].description = f"Leave blank to use {below}: {words}."
    form.counts_from.description = "Completions of the requirement’s own courses always count."


def _preview_or_error(form, change, **page):
    """Render the preview page, or put the service's error on the form (None)."""
    try:
        result = preview.preview(change, now=utcnow())
    except DomainError as error:
        fail(error, form)
        return None
    return render_template("compliance/rules/preview.html", form=ConfirmForm(), preview=result, carry=_carried(), **page)


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# --- the list and a requirement's page ------------------------------------------------------

@bp.get("/")
@admin_required
def index():
    return render_template(
        "compliance/rules/index.html", summaries=services.list_requirements(), strengths=STRENGTHS,
        unverified_cpd_counts=compliance.unverified_cpd_counts(),
    )


@bp.route("/unverified-cpd", methods=["GET", "POST"])
@admin_required
def unverified_cpd():
    """The partnership's setting for self-reported CPD nobody has verified yet."""
    form = UnverifiedCpdForm()
    if request.method == "GET":
        form.unverified_cpd_counts.data = "yes" if compliance.unverified_cpd_counts() else "no"
    elif form.validate_on_submit():
        done, recomputed = attempt(
            form, lambda: services.set_unverified_cpd_counts(form.counts, actor=actor(), now=utcnow()),
            default_field="unverified_cpd_counts",
        )
        if done:
            if recomputed is None:
                flash("The setting was already saved as this", "info")
            else:
                flash(f"Setting saved. Statuses worked out again for {recomputed:,} "
                      f"{'person' if recomputed == 1 else 'people'} with unverified CPD", "success")
            return redirect(url_for(".index"))
    return render_template("compliance/rules/unverified_cpd.html", form=form), 400 if form.errors else 200


@bp.get("/id/<int:requirement_id>")
@admin_required
def by_id(requirement_id: int):
    """A requirement by its id (the audit log links here)."""
    requirement = services.get_requirement_by_id(requirement_id)
    return redirect(url_for(".requirement", code=requirement.code))


@bp.get("/<code>")
@admin_required
def requirement(code: str):
    requirement = services.get_requirement(code)
    rule = layers.effective_rule(requirement)
    national = layers.national_layer(requirement)
    names = _requirement_names()
    overrides = [
        (layer, wording.values_words(layers.layer_dict(layer), kind=requirement.kind, names=names))
        for layer in layers.organisation_layers(requirement)
    ]
    return render_template(
        "compliance/rules/requirement.html",
        requirement=requirement,
        words=wording.describe_rule(rule, national_baseline=national is not None),
        national=national,
        partnership=layers.partnership_layer(requirement),
        rows=wording.layer_rows(requirement, rule),
        overrides=overrides,
        events=services.history(requirement),
        strengths=STRENGTHS,
        kinds=KIND_NAMES,
    )


# --- the partnership's rule -----------------------------------------------------------------

@bp.route("/<code>/partnership", methods=["GET", "POST"])
@admin_required
def partnership_rule(code: str):
    requirement = services.get_requirement(code)
    fields = FIELDS_BY_KIND[requirement.kind]
    national = layers.national_layer(requirement)
    inherited = layers.inherited_values(requirement) if national is not None else None
    form = RuleForm()
    _setup_rule_form(form, requirement.code, inherited, "the national rule" if national is not None else None)
    if request.method == "GET":
        form.fill(RuleValues.of(layers.partnership_layer(requirement)), inherited=inherited)
    action = _action()
    if action in ("preview", "save") and form.validate_on_submit():
        values = form.values(fields=fields, inherited=inherited)
        if action == "save":
            ok, _ = attempt(
                form,
                lambda: services.set_partnership_rule(requirement, values, actor=actor(), now=utcnow()),
                default_field=fields[0],
            )
            if ok:
                flash(f"The partnership’s rule for {requirement.name} is saved", "success")
                return redirect(url_for(".requirement", code=requirement.code))
        else:
            page = _preview_or_error(
                form,
                PartnershipRuleChange(requirement, values),
                requirement=requirement,
                heading="Check the effect of the partnership’s rule",
                action_url=url_for(".partnership_rule", code=requirement.code),
                save_label="Save this change",
                can_change=True,
            )
            if page is not None:
                return page
    return render_template(
        "compliance/rules/form.html",
        form=form,
        requirement=requirement,
        fields=fields,
        heading="Change the partnership’s rule" if national is not None else "Change the rule",
        national=national,
        organisation=None,
    )


@bp.route("/<code>/partnership/remove", methods=["GET", "POST"])
@admin_required
def remove_partnership_rule(code: str):
    requirement = services.get_requirement(code)
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            services.clear_partnership_rule(requirement, actor=actor(), now=utcnow())
        except DomainError as error:
            fail(error)
            flash(error.message, "error")
            return redirect(url_for(".requirement", code=requirement.code))
        db.session.commit()
        flash(f"The partnership’s rule for {requirement.name} is removed: the national rule applies", "success")
        return redirect(url_for(".requirement", code=requirement.code))
    try:
        result = preview.preview(PartnershipRuleChange(requirement, None), now=utcnow())
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for(".requirement", code=requirement.code))
    return render_template(
        "compliance/rules/preview.html",
        form=form,
        preview=result,
        carry=[],
        requirement=requirement,
        heading="Remove the partnership’s rule",
        action_url=url_for(".remove_partnership_rule", code=requirement.code),
        save_label="Remove the partnership’s rule",
        can_change=False,
    )


# --- organisations' rules -------------------------------------------------------------------

def _organisation(value) -> Organisation | None:
    organisation_id = _int_or_none(value)
    return db.session.get(Organisation, organisation_id) if organisation_id is not None else None


@bp.route("/<code>/organisation-rule", methods=["GET", "POST"])
@admin_required
def organisation_rule(code: str):
    requirement = services.get_requirement(code)
    if not requirement.organisation_overrides:
        flash(f"Organisations may not set their own rule for {requirement.name}. You can allow it in the requirement’s details.", "error")
        return redirect(url_for(".requirement", code=requirement.code))
    fields = FIELDS_BY_KIND[requirement.kind]
    form = OrganisationRuleForm()
    form.organisation.choices = _organisation_choices()
    chosen = _organisation(request.form.get("organisation") if request.method == "POST" else request.args.get("organisation"))
    inherited = layers.inherited_values(requirement, below_organisation=True)
    _setup_rule_form(form, requirement.code, inherited, "the partnership’s rule")
    if request.method == "GET":
        layer = layers.organisation_layer(requirement, chosen.id) if chosen else None
        form.fill(RuleValues.of(layer), inherited=inherited)
        form.organisation.data = str(chosen.id) if chosen else ""
    action = _action()
    if action in ("preview", "save") and form.validate_on_submit():
        if chosen is None:
            form.organisation.errors = list(form.organisation.errors) + ["Select an organisation"]
        else:
            values = form.values(fields=fields, inherited=inherited)
            if action == "save":
                ok, _ = attempt(
                    form,
                    lambda: services.set_organisation_rule(requirement, chosen, values, actor=actor(), now=utcnow()),
                    default_field="organisation",
                )
                if ok:
                    flash(f"{chosen.name}’s own rule for {requirement.name} is saved", "success")
                    return redirect(url_for(".requirement", code=requirement.code))
            else:
                page = _preview_or_error(
                    form,
                    OrganisationRuleChange(requirement, chosen, values),
                    requirement=requirement,
                    heading=f"Check the effect of {chosen.name}’s own rule",
                    action_url=url_for(".organisation_rule", code=requirement.code),
                    save_label="Save this change",
                    can_change=True,
                )
                if page is not None:
                    return page
    return render_template(
        "compliance/rules/form.html",
        form=form,
        requirement=requirement,
        fields=fields,
        heading="An organisation’s own rule",
        national=layers.national_layer(requirement),
        organisation=chosen,
    )


@bp.route("/<code>/organisation-rule/<int:organisation_id>/remove", methods=["GET", "POST"])
@admin_required
def remove_organisation_rule(code: str, organisation_id: int):
    requirement = services.get_requirement(code)
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None or layers.organisation_layer(requirement, organisation_id) is None:
        abort(404)
    form = ConfirmForm()
    back = url_for(".requirement", code=requirement.code)
    if request.method == "POST" and form.validate_on_submit():
        try:
            services.clear_organisation_rule(requirement, organisation, actor=actor(), now=utcnow())
        except DomainError as error:
            fail(error)
            flash(error.message, "error")
            return redirect(back)
        db.session.commit()
        flash(f"{organisation.name}’s own rule for {requirement.name} is removed: the partnership’s rule applies", "success")
        return redirect(back)
    try:
        result = preview.preview(OrganisationRuleChange(requirement, organisation, None), now=utcnow())
    except DomainError as error:
        flash(error.message, "error")
        return redirect(back)
    return render_template(
        "compliance/rules/preview.html",
        form=form,
        preview=result,
        carry=[],
        requirement=requirement,
        heading=f"Remove {organisation.name}’s own rule",
        action_url=url_for(".remove_organisation_rule", code=requirement.code, organisation_id=organisation.id),
        save_label=f"Remove {organisation.name}’s rule",
        can_change=False,
    )


# --- a requirement's details --------------------------------------------------------------------

def _details_from(form: DetailsForm) -> RequirementDetails:
    return RequirementDetails(
        name=form.name.data or "",
        description=form.description.data,
        source=form.source.data,
        strength=form.strength.data or "",
        job_role_codes=tuple(form.job_roles.data or ()),
        active=form.active.data == "yes",
        organisation_overrides=form.organisation_overrides.data == "yes",
    )


@bp.route("/<code>/edit", methods=["GET", "POST"])
@admin_required
def edit(code: str):
    requirement = services.get_requirement(code)
    form = DetailsForm()
    form.job_roles.choices = _job_role_choices()
    if request.method == "GET":
        details = RequirementDetails.of(requirement)
        form.name.data = details.name
        form.description.data = details.description
        form.source.data = details.source
        form.strength.data = details.strength
        form.job_roles.data = list(details.job_role_codes)
        form.active.data = "yes" if details.active else "no"
        form.organisation_overrides.data = "yes" if details.organisation_overrides else "no"
    action = _action()
    if action in ("preview", "save") and form.validate_on_submit():
        for name in ("active", "organisation_overrides"):
            if form._fields[name].data not in ("yes", "no"):
                form._fields[name].errors = list(form._fields[name].errors) + ["Select yes or no"]
        if not any(field.errors for field in form):
            details = _details_from(form)
            if action == "save":
                ok, changed = attempt(
                    form, lambda: services.update_requirement(requirement, details, actor=actor(), now=utcnow()),
                    default_field="name",
                )
                if ok:
                    flash(f"{requirement.name} is saved" if changed else "Nothing was changed", "success")
                    return redirect(url_for(".requirement", code=requirement.code))
            else:
                page = _preview_or_error(
                    form,
                    DetailsChange(requirement, details),
                    requirement=requirement,
                    heading="Check the effect of these changes",
                    action_url=url_for(".edit", code=requirement.code),
                    save_label="Save this change",
                    can_change=True,
                )
                if page is not None:
                    return page
    return render_template("compliance/rules/details.html", form=form, requirement=requirement)


# --- a new local requirement --------------------------------------------------------------------

@bp.route("/new", methods=["GET", "POST"])
@admin_required
def new():
    kind = request.args.get("kind", "")
    if kind not in KIND_NAMES:
        choose = ChooseKindForm(formdata=request.args if "kind" in request.args else None)
        if "kind" in request.args:
            choose.validate()
            if not choose.kind.errors:
                choose.kind.errors = ["Select the kind of rule"]
        return render_template("compliance/rules/new_kind.html", form=choose)
    fields = FIELDS_BY_KIND[kind]
    form = NewRequirementForm()
    form.job_roles.choices = _job_role_choices()
    _setup_rule_form(form, None, None, None)
    if request.method == "GET":
        form.strength.data = "local"
    action = _action()
    if action in ("preview", "save") and form.validate_on_submit():
        new_requirement = NewRequirement(
            code=(form.code.data or "").strip(),
            name=form.name.data or "",
            kind=kind,
            job_role_codes=tuple(form.job_roles.data or ()),
            values=form.values(fields=fields),
            description=form.description.data,
            source=form.source.data,
            strength=form.strength.data or "",
        )
        if action == "save":
            ok, created = attempt(
                form, lambda: services.create_requirement(new_requirement, actor=actor(), now=utcnow()),
                default_field="code",
            )
            if ok:
                flash(f"{created.name} is added", "success")
                return redirect(url_for(".requirement", code=created.code))
        else:
            page = _preview_or_error(
                form,
                new_requirement,
                requirement=None,
                heading="Check the effect of this new requirement",
                action_url=url_for(".new", kind=kind),
                save_label="Add this requirement",
                can_change=True,
            )
            if page is not None:
                return page
    return render_template("compliance/rules/new.html", form=form, kind=kind, kinds=KIND_NAMES, fields=fields)
