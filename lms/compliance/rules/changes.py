"""A proposed change to a requirement or its rule, checked: the kinds of change (a
partnership rule, an organisation's rule, a requirement's details, a new local
requirement), the checks each must pass (a DomainError naming the field), and whose status
it can change. Every change goes through plan_change, so a preview and a save check
exactly the same things. Nothing here writes to the session.
"""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Iterable

from sqlalchemy import select

from lms.accounts.models import PersonRole, User
from lms.catalogue.models import DELIVERY_MODES
from lms.compliance import engine
from lms.compliance.models import STRENGTHS, Requirement
from lms.compliance.rules.layers import (
    FIELD_LABELS,
    FIELDS_BY_KIND,
    KIND_SHORT,
    RULE_FIELDS,
    RequirementDetails,
    RuleValues,
    Scenario,
    empty_scenario,
    layer_dict,
)
from lms.core.errors import DomainError
from lms.extensions import db
from lms.organisations.models import JobRole, Organisation

# Words the admin pages' addresses use, so no requirement may have them as its code.
RESERVED_CODES = frozenset({"new", "id"})
CODE_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_MONTHS = 120
MAX_DAYS = 365
MAX_HOURS = Decimal(999)


# --- proposed changes (what preview and the services take) --------------------------------

@dataclass(frozen=True)
class PartnershipRuleChange:
    """Set the partnership's layer to `values`, or remove it (values None)."""

    requirement: Requirement
    values: RuleValues | None


@dataclass(frozen=True)
class OrganisationRuleChange:
    """Set an organisation's layer to `values`, or remove it (values None)."""

    requirement: Requirement
    organisation: Organisation
    values: RuleValues | None


@dataclass(frozen=True)
class DetailsChange:
    requirement: Requirement
    details: RequirementDetails


@dataclass(frozen=True)
class NewRequirement:
    """A local requirement. Its rule is kept as the partnership's layer: there is no
    national baseline for it."""

    code: str
    name: str
    kind: str
    job_role_codes: tuple[str, ...]
    values: RuleValues
    description: str | None = None
    source: str | None = None
    strength: str = "local"


Change = PartnershipRuleChange | OrganisationRuleChange | DetailsChange | NewRequirement


@dataclass(frozen=True)
class Plan:
    """A checked change: the requirement's state before and after, and whose status it
    can change."""

    before: Scenario
    after: Scenario
    requirement_id: int | None
    organisation_id: int | None  # only this organisation's people
    role_codes: frozenset[str]


def plan_change(change: Change) -> Plan:
    """Check a proposed change (DomainError naming the field) and describe its effect."""
    if isinstance(change, PartnershipRuleChange):
        requirement = change.requirement
        before = Scenario.current(requirement)
        first_field = FIELDS_BY_KIND[requirement.kind][0]
        if change.values is None or change.values.sets_nothing:
            if before.partnership is None and change.values is not None:
                raise DomainError("Enter a value in at least one field", field=first_field)
            if before.partnership is None:
                raise DomainError("The partnership has not set its own rule for this requirement", field=first_field)
            if before.national is None:
                raise DomainError(
                    "This is a local requirement: its rule is the partnership's, so it can be changed but not removed",
                    field=first_field,
                )
            after = before.changed(partnership=None)
        else:
            _check_values(requirement.kind, change.values, own_code=requirement.code)
            after = before.changed(partnership=layer_dict(change.values))
        _check_effective(after.kind, after.values_for(None), national=before.national is not None)
        _check_organisations(after, national=before.national is not None)
        return Plan(before, after, requirement.id, None, before.job_roles)

    if isinstance(change, OrganisationRuleChange):
        requirement = change.requirement
        if not requirement.organisation_overrides:
            raise DomainError(
                f"Organisations may not set their own rule for {requirement.name}. Allow organisation rules first",
                field="organisation",
            )
        organisation = change.organisation
        if organisation is None or organisation.id is None:
            raise DomainError("Select an organisation", field="organisation")
        before = Scenario.current(requirement)
        organisations = dict(before.organisations)
        if change.values is None:
            if organisation.id not in organisations:
                raise DomainError(f"{organisation.name} has not set its own rule for this requirement", field="organisation")
            organisations.pop(organisation.id)
        else:
            _check_values(requirement.kind, change.values, own_code=requirement.code)
            if change.values.sets_nothing:
                if organisation.id not in organisations:
                    raise DomainError("Enter a value in at least one field", field=FIELDS_BY_KIND[requirement.kind][0])
                organisations.pop(organisation.id)
            else:
                organisations[organisation.id] = layer_dict(change.values)
        after = before.changed(organisations=organisations)
        _check_effective(after.kind, after.values_for(organisation.id), national=before.national is not None)
        return Plan(before, after, requirement.id, organisation.id, before.job_roles)

    if isinstance(change, DetailsChange):
        requirement = change.requirement
        details = check_details(change.details)
        before = Scenario.current(requirement)
        after = before.changed(
            active=details.active,
            job_roles=frozenset(details.job_role_codes),
            overrides_allowed=details.organisation_overrides,
        )
        _check_organisations(after, national=before.national is not None, field="organisation_overrides")
        return Plan(before, after, requirement.id, None, before.job_roles | after.job_roles)

    if isinstance(change, NewRequirement):
        _check_new(change)
        before = empty_scenario(change.code, change.kind)
        after = before.changed(
            active=True, job_roles=frozenset(change.job_role_codes), partnership=layer_dict(change.values),
        )
        _check_effective(change.kind, after.values_for(None), national=False)
        return Plan(before, after, None, None, after.job_roles)

    raise TypeError(f"not a change: {change!r}")


# --- checks -------------------------------------------------------------------------------

def _known_requirement_codes() -> set[str]:
    return set(db.session.scalars(select(Requirement.code)))


def _known_role_codes() -> set[str]:
    return set(db.session.scalars(select(JobRole.code)))


def _check_whole(value, name: str, low: int, high: int, unit: str) -> None:
    if value is None:
        return
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise DomainError(f"{FIELD_LABELS[name]} must be between {low} and {high} {unit}", field=name)


def _check_values(kind: str, values: RuleValues, *, own_code: str | None) -> None:
    """The values one layer sets, on their own."""
    allowed = FIELDS_BY_KIND.get(kind, ())
    for name in RULE_FIELDS:
        if getattr(values, name) is not None and name not in allowed:
            raise DomainError(f"{FIELD_LABELS[name]} does not apply to a {KIND_SHORT.get(kind, kind)} rule", field=name)
    _check_whole(values.period_months, "period_months", 1, MAX_MONTHS, "months")
    _check_whole(values.window_months, "window_months", 1, MAX_MONTHS, "months")
    for name in ("due_soon_days", "induction_days", "grace_days"):
        _check_whole(getattr(values, name), name, 0, MAX_DAYS, "days")
    if values.hours_required is not None:
        hours = values.hours_required
        if not isinstance(hours, Decimal) or not hours.is_finite():
            raise DomainError("Hours required must be a number, like 12 or 1.5", field="hours_required")
        if hours <= 0:
            raise DomainError("Hours required must be more than 0", field="hours_required")
        if hours > MAX_HOURS:
            raise DomainError(f"Hours required must be {MAX_HOURS} or fewer", field="hours_required")
        if hours != hours.quantize(Decimal("0.01")):
            raise DomainError("Hours required must have no more than 2 decimal places", field="hours_required")
    _check_whole(values.deadline_month, "deadline_month", 1, 12, "(a month number)")
    _check_whole(values.deadline_day, "deadline_day", 1, 31, "(a day of the month)")
    if values.edition_date is not None and not isinstance(values.edition_date, date):
        raise DomainError("Date of the current edition must be a real date", field="edition_date")
    if values.counts_from is not None:
        known = _known_requirement_codes()
        for code in values.counts_from:
            if code == own_code:
                raise DomainError("A requirement's own training always counts: do not list it", field="counts_from")
            if code not in known:
                raise DomainError(f"There is no requirement with the code {code!r}", field="counts_from")
    if values.qualifying_modes is not None:
        for mode in values.qualifying_modes:
            if mode not in DELIVERY_MODES:
                raise DomainError(f"There is no kind of activity with the code {mode!r}", field="qualifying_modes")
    if values.note is not None and len(values.note) > 2000:
        raise DomainError("Note must be 2,000 characters or fewer", field="note")


def _check_effective(kind: str, values: dict, *, national: bool) -> None:
    """The merged rule must make sense for its kind."""
    if kind == "interval" and values.get("period_months") is None:
        raise DomainError("An interval rule needs a period in months", field="period_months")
    if kind == "rolling-hours" and values.get("hours_required") is None:
        raise DomainError("Enter the hours required", field="hours_required")
    if kind == "rolling-hours" and values.get("window_months") is None and not national:
        raise DomainError("Enter the rolling period in months", field="window_months")
    if kind == "per-edition" and values.get("edition_date") is None and not national:
        raise DomainError("Enter the date of the current edition", field="edition_date")
    if kind == "academic-year":
        month, day = values["deadline_month"], values["deadline_day"]
        if not 9 <= month <= 12:
            # The deadline falls in the term after the academic year (1 Sep - 31 Aug) it is for.
            raise DomainError("Deadline month must be from 9 (September) to 12 (December)", field="deadline_month")
        if day > calendar.monthrange(2023, month)[1]:
            raise DomainError(f"Deadline must be a real date: {calendar.month_name[month]} has no day {day}", field="deadline_day")


def _check_organisations(scenario: Scenario, *, national: bool, field: str | None = None) -> None:
    """Each organisation rule in force must still make sense on top of the layers below
    (a deadline day that was fine with the partnership's month may not be with a new one)."""
    if not scenario.overrides_allowed:
        return
    for organisation_id in scenario.organisations:
        try:
            _check_effective(scenario.kind, scenario.values_for(organisation_id), national=national)
        except DomainError as error:
            organisation = db.session.get(Organisation, organisation_id)
            name = organisation.name if organisation is not None else "An organisation"
            raise DomainError(f"{name}’s own rule would not work with this change: {error.message}", field=field or error.field) from None


def clean_text(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def check_details(details: RequirementDetails) -> RequirementDetails:
    name = clean_text(details.name)
    if not name:
        raise DomainError("Enter the requirement's name", field="name")
    if len(name) > 200:
        raise DomainError("Name must be 200 characters or fewer", field="name")
    description = clean_text(details.description)
    if description and len(description) > 5000:
        raise DomainError("Description must be 5,000 characters or fewer", field="description")
    source = clean_text(details.source)
    if source and len(source) > 200:
        raise DomainError("Source must be 200 characters or fewer", field="source")
    if details.strength not in STRENGTHS:
        raise DomainError("Select the strength of this requirement", field="strength")
    roles = tuple(dict.fromkeys(details.job_role_codes))
    if not roles:
        raise DomainError("Select at least one job role this requirement applies to", field="job_roles")
    known = _known_role_codes()
    for code in roles:
        if code not in known:
            raise DomainError(f"There is no job role with the code {code!r}", field="job_roles")
    return replace(details, name=name, description=description, source=source, job_role_codes=roles)


def _check_new(new: NewRequirement) -> None:
    code = (new.code or "").strip()
    if not code:
        raise DomainError("Enter a code", field="code")
    if len(code) > 40 or not CODE_PATTERN.match(code):
        raise DomainError(
            "Code must be 40 characters or fewer, in lower-case letters, numbers and single hyphens, like first-aid-awareness",
            field="code",
        )
    if code in RESERVED_CODES:
        raise DomainError(f"The code {code} is reserved by the service. Choose another", field="code")
    if code in _known_requirement_codes():
        raise DomainError(f"There is already a requirement with the code {code}. Codes never change or get reused", field="code")
    if new.kind not in engine.KINDS:
        raise DomainError("Select the kind of rule", field="kind")
    check_details(
        RequirementDetails(
            name=new.name, description=new.description, source=new.source, strength=new.strength,
            job_role_codes=new.job_role_codes, active=True, organisation_overrides=False,
        )
    )
    _check_values(new.kind, new.values, own_code=code)


# --- who a change can affect --------------------------------------------------------------

def _people_query(role_codes: Iterable[str], *, organisation_id: int | None, active_only: bool):
    holders = (
        select(PersonRole.user_id)
        .join(JobRole, JobRole.id == PersonRole.job_role_id)
        .where(JobRole.code.in_(sorted(set(role_codes))))
    )
    query = select(User.id).where(User.id.in_(holders))
    if organisation_id is not None:
        query = query.where(User.organisation_id == organisation_id)
    if active_only:
        query = query.where(User.active.is_(True))
    return query


def affected_people(plan: Plan, *, active_only: bool) -> list[int]:
    """Everyone holding (or having held) one of the roles concerned, in the organisation
    concerned. A superset of those whose status can change: the rest stay as they are."""
    if not plan.role_codes:
        return []
    query = _people_query(plan.role_codes, organisation_id=plan.organisation_id, active_only=active_only)
    return list(db.session.scalars(query.order_by(User.id)))
