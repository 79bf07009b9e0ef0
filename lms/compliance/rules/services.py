"""Editing requirements and their rules, and previewing a change's effect before it is
saved (DESIGN.md section 4; the admin pages are in rules_views.py).

A rule has layers: the national baseline shipped with the product, the partnership's
override and, where a requirement allows it, an organisation's override. A field left
empty (None) in a layer takes its value from the layer below. The services here set or
clear the partnership and organisation layers, allow or forbid organisation overrides,
edit a requirement's details and create local requirements. Each one checks the change,
writes it, records an audit event and recomputes the maintained status table for the
people it can affect.

`preview(change, now=...)` answers "what would this do?" without writing anything: the
proposed rule is built in memory, each affected person's status under it comes from the
pure calculation, and their status under the current rules is read from the status table.
Every change goes through `_plan`, so a preview and a save check exactly the same things.
"""
from __future__ import annotations

import calendar
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from lms.accounts.models import PersonRole, User
from lms.audit import services as audit
from lms.compliance import engine, services
from lms.compliance.models import STRENGTHS, ComplianceStatus, Requirement, RequirementRule
from lms.core.errors import DomainError, NotFound
from lms.core.time import format_date, london_today
from lms.extensions import db
from lms.organisations.models import JobRole, Organisation
from lms.records.models import DELIVERY_MODES

# --- vocabulary ---------------------------------------------------------------------------

# The fields a partnership or organisation layer may set (the engine's fields), and the
# note that explains why.
RULE_FIELDS = tuple(services.RULE_FIELDS)
LAYER_FIELDS = RULE_FIELDS + ("note",)

KIND_NAMES = {
    "interval": "Interval: valid for a number of months from the last completion",
    "once": "Once: done once, with no expiry unless a period is set",
    "academic-year": "Academic year: one completion in each September to August year",
    "rolling-hours": "Rolling hours: a number of CPD hours within a rolling period",
    "per-edition": "Per edition: acknowledge each new edition of a document",
}
KIND_SHORT = {
    "interval": "interval",
    "once": "once",
    "academic-year": "academic-year",
    "rolling-hours": "rolling-hours",
    "per-edition": "per-edition",
}

_COMMON = ("induction_days", "counts_from", "qualifying_modes")
_DEADLINE = ("due_soon_days", "grace_days")
FIELDS_BY_KIND = {
    "interval": ("period_months",) + _DEADLINE + _COMMON,
    "once": ("period_months",) + _DEADLINE + _COMMON,
    "academic-year": ("deadline_day", "deadline_month") + _DEADLINE + _COMMON,
    "rolling-hours": ("hours_required", "window_months") + _DEADLINE + _COMMON,
    "per-edition": ("edition_date",) + _COMMON,
}

FIELD_LABELS = {
    "period_months": "Period",
    "hours_required": "Hours required",
    "window_months": "Rolling period",
    "due_soon_days": "Due-soon window",
    "induction_days": "Time allowed for new starters",
    "grace_days": "Grace period",
    "deadline_day": "Deadline day",
    "deadline_month": "Deadline month",
    "edition_date": "Date of the current edition",
    "counts_from": "Other requirements whose training counts",
    "qualifying_modes": "Kinds of activity that count",
    "note": "Note",
}

STATUS_LABELS = {
    engine.OVERDUE: "Overdue",
    engine.DUE_SOON: "Due soon",
    engine.CURRENT: "Current",
    engine.NOT_YET_DUE: "Not yet due",
    engine.NOT_APPLICABLE: "Not required",
}
# The order statuses are listed in, most urgent first.
STATUS_ORDER = (engine.OVERDUE, engine.DUE_SOON, engine.NOT_YET_DUE, engine.CURRENT, engine.NOT_APPLICABLE)

# Words the admin pages' addresses use, so no requirement may have them as its code.
RESERVED_CODES = frozenset({"new", "id"})
CODE_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_MONTHS = 120
MAX_DAYS = 365
MAX_HOURS = Decimal(999)
CHUNK = 1000


# --- the values a layer sets ---------------------------------------------------------------

@dataclass(frozen=True)
class RuleValues:
    """What one layer (partnership or organisation) sets. None: take the value from the
    layer below. For the two lists, an empty tuple means "none" and None means "as below"."""

    period_months: int | None = None
    hours_required: Decimal | None = None
    window_months: int | None = None
    due_soon_days: int | None = None
    induction_days: int | None = None
    grace_days: int | None = None
    deadline_day: int | None = None
    deadline_month: int | None = None
    edition_date: date | None = None
    counts_from: tuple[str, ...] | None = None
    qualifying_modes: tuple[str, ...] | None = None
    note: str | None = None

    def rule_fields(self) -> dict:
        """The engine fields, as a layer dict (lists as lists)."""
        values = {}
        for name in RULE_FIELDS:
            value = getattr(self, name)
            values[name] = list(value) if isinstance(value, tuple) else value
        return values

    @property
    def sets_nothing(self) -> bool:
        return all(getattr(self, name) is None for name in LAYER_FIELDS)

    @classmethod
    def of(cls, rule: RequirementRule | None) -> "RuleValues":
        """The values stored in a layer."""
        if rule is None:
            return cls()
        values = {name: getattr(rule, name) for name in LAYER_FIELDS}
        for name in ("counts_from", "qualifying_modes"):
            if values[name] is not None:
                values[name] = tuple(values[name])
        if values["hours_required"] is not None:
            values["hours_required"] = Decimal(values["hours_required"])
        return cls(**values)


@dataclass(frozen=True)
class RequirementDetails:
    """A requirement's editable details. The code is not here: codes never change."""

    name: str
    description: str | None
    source: str | None
    strength: str
    job_role_codes: tuple[str, ...]
    active: bool
    organisation_overrides: bool

    @classmethod
    def of(cls, requirement: Requirement) -> "RequirementDetails":
        return cls(
            name=requirement.name,
            description=requirement.description,
            source=requirement.source,
            strength=requirement.strength,
            job_role_codes=tuple(role.code for role in requirement.job_roles),
            active=requirement.active,
            organisation_overrides=requirement.organisation_overrides,
        )


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


# --- a requirement's layers, in memory ----------------------------------------------------

def _layer_dict(rule: RequirementRule | RuleValues | None) -> dict | None:
    if rule is None:
        return None
    if isinstance(rule, RuleValues):
        return rule.rule_fields()
    return {name: getattr(rule, name) for name in RULE_FIELDS}


@dataclass
class _Scenario:
    """Everything that decides a requirement's effective rules: the current state read from
    the database, or a proposed state built from it. Nothing here touches the session."""

    code: str
    kind: str
    active: bool
    job_roles: frozenset[str]
    national: dict | None
    partnership: dict | None
    organisations: dict[int, dict]
    overrides_allowed: bool
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def current(cls, requirement: Requirement) -> "_Scenario":
        national = next((r for r in requirement.rules if r.layer == "national"), None)
        partnership = next((r for r in requirement.rules if r.layer == "partnership"), None)
        organisations = {
            r.organisation_id: _layer_dict(r)
            for r in requirement.rules
            if r.layer == "organisation" and r.organisation_id is not None
        }
        return cls(
            code=requirement.code,
            kind=requirement.kind,
            active=requirement.active,
            job_roles=frozenset(role.code for role in requirement.job_roles),
            national=_layer_dict(national),
            partnership=_layer_dict(partnership),
            organisations=organisations,
            overrides_allowed=requirement.organisation_overrides,
        )

    def changed(self, **values) -> "_Scenario":
        return replace(self, _cache={}, **values)

    def layers_for(self, organisation_id: int | None) -> list[dict]:
        layers = [layer for layer in (self.national, self.partnership) if layer is not None]
        if self.overrides_allowed and organisation_id in self.organisations:
            layers.append(self.organisations[organisation_id])
        return layers

    def values_for(self, organisation_id: int | None) -> dict:
        """The merged field values (the defaults, then each layer that sets a value)."""
        values = dict(services.DEFAULTS)
        for layer in self.layers_for(organisation_id):
            for name in RULE_FIELDS:
                if layer.get(name) is not None:
                    values[name] = layer[name]
        return values

    def rule_for(self, organisation_id: int | None) -> engine.Rule | None:
        """The engine rule for a person of this organisation; None when the requirement is
        not in force. Built by the same merge as services.load_rules."""
        if not self.active:
            return None
        key = organisation_id if (self.overrides_allowed and organisation_id in self.organisations) else None
        if key not in self._cache:
            requirement = SimpleNamespace(
                code=self.code, kind=self.kind, job_roles=[SimpleNamespace(code=c) for c in sorted(self.job_roles)]
            )
            layers = [SimpleNamespace(**{name: layer.get(name) for name in RULE_FIELDS}) for layer in self.layers_for(key)]
            self._cache[key] = services.merge_layers(requirement, layers)
        return self._cache[key]


@dataclass(frozen=True)
class _Plan:
    """A checked change: the requirement's state before and after, and whose status it
    can change."""

    before: _Scenario
    after: _Scenario
    requirement_id: int | None
    organisation_id: int | None  # only this organisation's people
    role_codes: frozenset[str]


def _empty_scenario(code: str, kind: str) -> _Scenario:
    return _Scenario(
        code=code, kind=kind, active=False, job_roles=frozenset(), national=None, partnership=None,
        organisations={}, overrides_allowed=False,
    )


def _plan(change: Change) -> _Plan:
    """Check a proposed change (DomainError naming the field) and describe its effect."""
    if isinstance(change, PartnershipRuleChange):
        requirement = change.requirement
        before = _Scenario.current(requirement)
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
            after = before.changed(partnership=_layer_dict(change.values))
        _check_effective(after.kind, after.values_for(None), national=before.national is not None)
        _check_organisations(after, national=before.national is not None)
        return _Plan(before, after, requirement.id, None, before.job_roles)

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
        before = _Scenario.current(requirement)
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
                organisations[organisation.id] = _layer_dict(change.values)
        after = before.changed(organisations=organisations)
        _check_effective(after.kind, after.values_for(organisation.id), national=before.national is not None)
        return _Plan(before, after, requirement.id, organisation.id, before.job_roles)

    if isinstance(change, DetailsChange):
        requirement = change.requirement
        details = _check_details(change.details)
        before = _Scenario.current(requirement)
        after = before.changed(
            active=details.active,
            job_roles=frozenset(details.job_role_codes),
            overrides_allowed=details.organisation_overrides,
        )
        _check_organisations(after, national=before.national is not None, field="organisation_overrides")
        return _Plan(before, after, requirement.id, None, before.job_roles | after.job_roles)

    if isinstance(change, NewRequirement):
        _check_new(change)
        before = _empty_scenario(change.code, change.kind)
        after = before.changed(
            active=True, job_roles=frozenset(change.job_role_codes), partnership=_layer_dict(change.values),
        )
        _check_effective(change.kind, after.values_for(None), national=False)
        return _Plan(before, after, None, None, after.job_roles)

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


def _check_organisations(scenario: _Scenario, *, national: bool, field: str | None = None) -> None:
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


def _clean_text(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _check_details(details: RequirementDetails) -> RequirementDetails:
    name = _clean_text(details.name)
    if not name:
        raise DomainError("Enter the requirement's name", field="name")
    if len(name) > 200:
        raise DomainError("Name must be 200 characters or fewer", field="name")
    description = _clean_text(details.description)
    if description and len(description) > 5000:
        raise DomainError("Description must be 5,000 characters or fewer", field="description")
    source = _clean_text(details.source)
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
    _check_details(
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


def affected_people(plan: _Plan, *, active_only: bool) -> list[int]:
    """Everyone holding (or having held) one of the roles concerned, in the organisation
    concerned. A superset of those whose status can change: the rest stay as they are."""
    if not plan.role_codes:
        return []
    query = _people_query(plan.role_codes, organisation_id=plan.organisation_id, active_only=active_only)
    return list(db.session.scalars(query.order_by(User.id)))


def _refresh(plan: _Plan, *, now: datetime) -> int:
    ids = affected_people(plan, active_only=False)
    services.refresh_status(ids, now=now)
    return len(ids)


# --- preview ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Move:
    before: str
    after: str
    count: int
    sample: tuple[str, ...]

    @property
    def key(self) -> str:
        return f"{self.before}->{self.after}"


@dataclass
class Preview:
    """The effect of a proposed change on the people it can affect, as of one day."""

    as_of: date
    people: int  # people for whom the requirement applies before or after the change
    transitions: dict[str, int]  # "current->overdue": count (unchanged statuses included)
    before: dict[str, int]
    after: dict[str, int]
    due_dates_changed: int
    samples: dict[str, list[str]]
    differences: list[tuple[str, str, str]] = field(default_factory=list)  # (what, now, after)

    @property
    def moves(self) -> list[Move]:
        """The status changes, largest first."""
        moves = []
        for key, count in self.transitions.items():
            before, after = key.split("->")
            if before != after:
                moves.append(Move(before, after, count, tuple(self.samples.get(key, ()))))
        return sorted(moves, key=lambda m: (-m.count, STATUS_ORDER.index(m.after), STATUS_ORDER.index(m.before)))

    @property
    def stays(self) -> list[tuple[str, int]]:
        pairs = [(s, self.transitions.get(f"{s}->{s}", 0)) for s in STATUS_ORDER if s != engine.NOT_APPLICABLE]
        return [(status, count) for status, count in pairs if count]

    @property
    def changed(self) -> int:
        return sum(move.count for move in self.moves)

    def totals(self) -> list[tuple[str, int, int]]:
        """(status, before, after) for each status either side has."""
        return [
            (status, self.before.get(status, 0), self.after.get(status, 0))
            for status in STATUS_ORDER
            if self.before.get(status, 0) or self.after.get(status, 0)
        ]

    @property
    def summary(self) -> str:
        """"This change makes 312 people overdue, 40 due soon; 1,204 stay current." """
        if not self.people:
            return "No one holds the job roles concerned, so this change affects no one at the moment."
        into: Counter = Counter()
        for move in self.moves:
            into[move.after] += move.count
        made = [f"{into[s]:,} {_status_words(s)}" for s in STATUS_ORDER if s != engine.NOT_APPLICABLE and into[s]]
        if made:  # "312 people overdue, 40 due soon"
            first = next(s for s in STATUS_ORDER if s != engine.NOT_APPLICABLE and into[s])
            made[0] = f"{_people(into[first])} {_status_words(first)}"
        clauses = []
        if made:
            clauses.append("makes " + ", ".join(made))
        if into[engine.NOT_APPLICABLE]:
            clauses.append(f"means {_people(into[engine.NOT_APPLICABLE])} no longer need{'s' if into[engine.NOT_APPLICABLE] == 1 else ''} it")
        stays = [f"{count:,} stay{'s' if count == 1 else ''} {_status_words(status)}" for status, count in self.stays]
        if clauses:
            text = "This change " + " and ".join(clauses)
        else:
            text = "This change does not change anyone's status"
        if stays:
            text += "; " + ", ".join(stays)
        if self.due_dates_changed:
            text += f". Due dates change for {_people(self.due_dates_changed)}"
        return text + "."


def _people(count: int) -> str:
    return f"{count:,} {'person' if count == 1 else 'people'}"


def _status_words(status: str) -> str:
    return STATUS_LABELS[status].lower()


def _table_rows(requirement_id: int | None, user_ids: list[int], as_of: date) -> dict[int, tuple[str, date | None]]:
    """Each person's status on a day for one requirement, read from the status table."""
    if requirement_id is None or not user_ids:
        return {}
    rows = db.session.execute(
        select(ComplianceStatus.user_id, services.status_expression(as_of), ComplianceStatus.due_on).where(
            ComplianceStatus.requirement_id == requirement_id, ComplianceStatus.user_id.in_(user_ids)
        )
    )
    return {user_id: (status, due_on) for user_id, status, due_on in rows}


def preview(change: Change, *, now: datetime, sample_size: int = 5) -> Preview:
    """The effect of a change on today's statuses, without writing anything.

    Before: each person's row in the status table (no row: not required). After: the pure
    calculation with the proposed rule, built in memory. People whose requirement does not
    apply either side are left out."""
    plan = _plan(change)
    as_of = london_today(now)
    transitions: Counter = Counter()
    before_totals: Counter = Counter()
    after_totals: Counter = Counter()
    moved: dict[str, list[int]] = defaultdict(list)
    due_dates_changed = 0
    people = 0
    ids = affected_people(plan, active_only=True)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        organisation_of = dict(db.session.execute(select(User.id, User.organisation_id).where(User.id.in_(chunk))).all())
        table = _table_rows(plan.requirement_id, chunk, as_of)
        facts = services.facts_for(chunk)
        roles = services.roles_for(chunk)
        for user_id in chunk:
            before, before_due = table.get(user_id, (engine.NOT_APPLICABLE, None))
            rule = plan.after.rule_for(organisation_of.get(user_id))
            if rule is None:
                after, after_due = engine.NOT_APPLICABLE, None
            else:
                result = engine.evaluate(rule, facts.get(user_id, ()), roles.get(user_id, ()), as_of)
                after, after_due = result.status, result.due_on
            if before == engine.NOT_APPLICABLE and after == engine.NOT_APPLICABLE:
                continue
            people += 1
            key = f"{before}->{after}"
            transitions[key] += 1
            before_totals[before] += 1
            after_totals[after] += 1
            if before != after:
                moved[key].append(user_id)
            elif before_due != after_due:
                due_dates_changed += 1
    return Preview(
        as_of=as_of,
        people=people,
        transitions=dict(transitions),
        before=dict(before_totals),
        after=dict(after_totals),
        due_dates_changed=due_dates_changed,
        samples=_samples(moved, sample_size),
        differences=describe_change(change, plan),
    )


def _samples(moved: dict[str, list[int]], size: int) -> dict[str, list[str]]:
    """A few names for each status change (alphabetical), in one query."""
    if not moved or size <= 0:
        return {}
    wanted: dict[int, str] = {}
    ordered: dict[str, list[tuple[str, int]]] = {}
    for start_key, user_ids in moved.items():
        ordered[start_key] = []
        for start in range(0, len(user_ids), CHUNK):
            chunk = user_ids[start:start + CHUNK]
            rows = db.session.execute(
                select(User.id, User.full_name).where(User.id.in_(chunk)).order_by(User.full_name, User.id).limit(size)
            )
            ordered[start_key].extend((name, user_id) for user_id, name in rows)
        ordered[start_key] = sorted(ordered[start_key])[:size]
        wanted.update({user_id: name for name, user_id in ordered[start_key]})
    organisations = dict(
        db.session.execute(
            select(User.id, Organisation.name)
            .join(Organisation, Organisation.id == User.organisation_id)
            .where(User.id.in_(list(wanted)))
        ).all()
    )
    return {
        key: [f"{name} ({organisations[user_id]})" if user_id in organisations else name for name, user_id in people]
        for key, people in ordered.items()
    }


# --- words ----------------------------------------------------------------------------------

def format_hours(value) -> str:
    number = format(Decimal(value).normalize(), "f")
    return f"{number} hour{'' if number == '1' else 's'}"


def _months(value: int) -> str:
    return f"{value} month{'' if value == 1 else 's'}"


def _days(value: int) -> str:
    return f"{value} day{'' if value == 1 else 's'}"


def describe_rule(rule: engine.Rule | None, *, national_baseline: bool = True) -> str:
    """An effective rule in words: "Every 24 months", "Once; no national expiry",
    "12 hours in any 36 months", "By 30 September each academic year"."""
    if rule is None:
        return "Not in force"
    if rule.kind in ("interval", "once"):
        if rule.period_months is not None:
            return f"Every {_months(rule.period_months)}"
        if rule.kind == "once":
            return "Once; no national expiry" if national_baseline else "Once; no expiry"
        return "No expiry"
    if rule.kind == "academic-year":
        return f"By {rule.deadline_day} {calendar.month_name[rule.deadline_month]} each academic year"
    if rule.kind == "rolling-hours":
        hours = format_hours(rule.hours_required or 0)
        return f"{hours} in any {_months(rule.window_months or 36)}"
    if rule.kind == "per-edition":
        if rule.edition_date is not None:
            return f"Each new edition (current edition from {format_date(rule.edition_date)})"
        return "Each new edition"
    return rule.kind


def _requirement_names() -> dict[str, str]:
    return dict(db.session.execute(select(Requirement.code, Requirement.name)).all())


def field_words(name: str, value, *, requirement_names: dict[str, str] | None = None) -> str:
    """One field's value in words ("36 months", "2 hours", "DSL role training")."""
    if value is None:
        return "Not set"
    if name in ("period_months", "window_months"):
        return _months(value)
    if name in ("due_soon_days", "induction_days", "grace_days"):
        return _days(value)
    if name == "hours_required":
        return format_hours(value)
    if name == "deadline_month":
        return calendar.month_name[value] if 1 <= value <= 12 else str(value)
    if name == "edition_date":
        return format_date(value)
    if name == "counts_from":
        names = requirement_names if requirement_names is not None else _requirement_names()
        return ", ".join(names.get(code, code) for code in value) if value else "None"
    if name == "qualifying_modes":
        return ", ".join(DELIVERY_MODES.get(mode, mode) for mode in value) if value else "None"
    return str(value)


@dataclass(frozen=True)
class LayerRow:
    """One line of the layers table: a field as each layer sets it, and what is in force."""

    name: str
    label: str
    national: str
    partnership: str
    effective: str


def layer_rows(requirement: Requirement, rule: engine.Rule | None = None) -> list[LayerRow]:
    """The fields that matter for the requirement's kind, layer by layer."""
    scenario = _Scenario.current(requirement)
    rule = rule or scenario.changed(active=True).rule_for(None)
    names = _requirement_names()
    national, partnership = scenario.national or {}, scenario.partnership or {}
    rows = []
    for name in FIELDS_BY_KIND[requirement.kind]:
        if name == "deadline_month":
            continue
        if name == "deadline_day":
            rows.append(
                LayerRow(
                    name, "Deadline",
                    _deadline_words(national), _deadline_words(partnership),
                    f"{rule.deadline_day} {calendar.month_name[rule.deadline_month]}",
                )
            )
            continue
        effective_value = getattr(rule, name)
        if name == "due_soon_days":
            effective = f"{_days(rule.soon_days)}" + (" (by period)" if rule.due_soon_days is None else "")
        elif name in ("counts_from", "qualifying_modes"):
            effective = field_words(name, sorted(effective_value), requirement_names=names)
        elif name == "period_months" and effective_value is None:
            effective = "No expiry"
        else:
            effective = field_words(name, effective_value, requirement_names=names)
        rows.append(
            LayerRow(
                name, FIELD_LABELS[name],
                _layer_words(national, name, names), _layer_words(partnership, name, names), effective,
            )
        )
    return rows


def _layer_words(layer: dict, name: str, names: dict[str, str]) -> str:
    return field_words(name, layer.get(name), requirement_names=names)


def _deadline_words(layer: dict) -> str:
    day, month = layer.get("deadline_day"), layer.get("deadline_month")
    if day is None and month is None:
        return "Not set"
    if day is None:
        return f"{calendar.month_name[month]} (day from below)"
    if month is None:
        return f"Day {day} (month from below)"
    return f"{day} {calendar.month_name[month]}"


def values_words(values: dict, *, kind: str, names: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """The fields a layer sets, in words, for the organisation overrides table."""
    names = names if names is not None else _requirement_names()
    words = []
    for name in FIELDS_BY_KIND.get(kind, ()):
        if name == "deadline_month":
            continue
        if name == "deadline_day":
            if values.get("deadline_day") is not None or values.get("deadline_month") is not None:
                words.append(("Deadline", _deadline_words(values)))
            continue
        if values.get(name) is not None:
            words.append((FIELD_LABELS[name], field_words(name, values[name], requirement_names=names)))
    return words


def _has_deadline(rule: engine.Rule) -> bool:
    """Whether a completion under this rule ever falls due (so a due-soon window and a
    grace period mean something)."""
    if rule.kind in ("interval", "once"):
        return rule.period_months is not None
    return rule.kind != "per-edition"


def describe_change(change: Change, plan: _Plan | None = None) -> list[tuple[str, str, str]]:
    """(what, now, after) for the things a change alters, in words."""
    plan = plan or _plan(change)
    rows: list[tuple[str, str, str]] = []
    national = plan.before.national is not None
    if isinstance(change, OrganisationRuleChange):
        organisation_id = change.organisation.id
        before_rule, after_rule = plan.before.rule_for(organisation_id), plan.after.rule_for(organisation_id)
    else:
        before_rule, after_rule = plan.before.rule_for(None), plan.after.rule_for(None)
    before_words = describe_rule(before_rule, national_baseline=national)
    after_words = describe_rule(after_rule, national_baseline=national)
    if isinstance(change, NewRequirement):
        before_words = "Does not exist"
    if before_words != after_words:
        rows.append(("Rule", before_words, after_words))
    if before_rule is not None and after_rule is not None:
        names = _requirement_names()
        compared = ["induction_days", "counts_from", "qualifying_modes"]
        if _has_deadline(before_rule) and _has_deadline(after_rule):
            compared[:0] = ["due_soon_days", "grace_days"]
        for name in compared:
            old, new = getattr(before_rule, name), getattr(after_rule, name)
            if name == "due_soon_days":
                old, new = before_rule.soon_days, after_rule.soon_days
            if old != new:
                if isinstance(old, frozenset):
                    old, new = sorted(old), sorted(new)
                rows.append(
                    (FIELD_LABELS[name], field_words(name, old, requirement_names=names), field_words(name, new, requirement_names=names))
                )
    if plan.before.job_roles != plan.after.job_roles:
        role_names = dict(db.session.execute(select(JobRole.code, JobRole.name)).all())
        words = lambda codes: ", ".join(role_names.get(c, c) for c in sorted(codes, key=lambda c: role_names.get(c, c))) or "None"
        rows.append(("Job roles", words(plan.before.job_roles) if not isinstance(change, NewRequirement) else "None", words(plan.after.job_roles)))
    if isinstance(change, DetailsChange) and plan.before.active != plan.after.active:
        rows.append(("In use", "Yes" if plan.before.active else "No", "Yes" if plan.after.active else "No"))
    if isinstance(change, DetailsChange) and plan.before.overrides_allowed != plan.after.overrides_allowed:
        rows.append((
            "Organisations may set their own rule",
            "Yes" if plan.before.overrides_allowed else "No",
            "Yes" if plan.after.overrides_allowed else "No",
        ))
    return rows


# --- reading ------------------------------------------------------------------------------

@dataclass(frozen=True)
class RequirementSummary:
    requirement: Requirement
    rule: engine.Rule
    words: str
    layers: str
    organisation_layers: int


def _with_layers():
    return select(Requirement).options(
        selectinload(Requirement.job_roles),
        selectinload(Requirement.rules).selectinload(RequirementRule.organisation),
    )


def list_requirements() -> list[RequirementSummary]:
    """Every requirement (in use or not) with its effective rule, in three queries."""
    requirements = db.session.scalars(_with_layers().order_by(Requirement.position, Requirement.id)).all()
    summaries = []
    for requirement in requirements:
        scenario = _Scenario.current(requirement)
        rule = scenario.changed(active=True).rule_for(None)
        organisation_layers = len(scenario.organisations)
        layers = []
        if scenario.national is not None:
            layers.append("National")
        if scenario.partnership is not None:
            layers.append("Partnership override" if scenario.national is not None else "Partnership (local requirement)")
        if organisation_layers:
            layers.append(
                f"{organisation_layers} organisation override{'s' if organisation_layers != 1 else ''}"
                + ("" if requirement.organisation_overrides else " (not in force)")
            )
        summaries.append(
            RequirementSummary(
                requirement=requirement,
                rule=rule,
                words=describe_rule(rule, national_baseline=scenario.national is not None),
                layers=", ".join(layers) or "None",
                organisation_layers=organisation_layers,
            )
        )
    return summaries


def get_requirement(code: str) -> Requirement:
    requirement = db.session.scalar(_with_layers().where(Requirement.code == code))
    if requirement is None:
        raise NotFound("There is no requirement with this code")
    return requirement


def get_requirement_by_id(requirement_id: int) -> Requirement:
    requirement = db.session.get(Requirement, requirement_id)
    if requirement is None:
        raise NotFound("There is no requirement with this id")
    return requirement


def partnership_layer(requirement: Requirement) -> RequirementRule | None:
    return next((r for r in requirement.rules if r.layer == "partnership"), None)


def national_layer(requirement: Requirement) -> RequirementRule | None:
    return next((r for r in requirement.rules if r.layer == "national"), None)


def organisation_layer(requirement: Requirement, organisation_id: int) -> RequirementRule | None:
    return next(
        (r for r in requirement.rules if r.layer == "organisation" and r.organisation_id == organisation_id), None
    )


def organisation_layers(requirement: Requirement) -> list[RequirementRule]:
    rules = [r for r in requirement.rules if r.layer == "organisation" and r.organisation is not None]
    return sorted(rules, key=lambda r: (r.organisation.name.lower(), r.organisation_id))


def effective_rule(requirement: Requirement, organisation_id: int | None = None) -> engine.Rule:
    """The rule in force (as if the requirement were in use)."""
    return _Scenario.current(requirement).changed(active=True).rule_for(organisation_id)


def inherited_values(requirement: Requirement, *, below_organisation: bool = False) -> dict:
    """The merged values of the layers below the one being edited: below the partnership
    (the national rule and the defaults) or below an organisation (national and
    partnership)."""
    scenario = _Scenario.current(requirement)
    layers = [scenario.national, scenario.partnership] if below_organisation else [scenario.national]
    values = dict(services.DEFAULTS)
    for layer in layers:
        for name in RULE_FIELDS:
            if layer is not None and layer.get(name) is not None:
                values[name] = layer[name]
    return values


def history(requirement: Requirement, *, limit: int = 50):
    """Audit events about this requirement, newest first."""
    return audit.events_about("requirement", requirement.id, limit=limit)


# --- saving -------------------------------------------------------------------------------

def _audit_value(value):
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, tuple):
        return list(value)
    return value


def _snapshot(rule: RequirementRule | None) -> dict:
    if rule is None:
        return {}
    return {name: _audit_value(getattr(rule, name)) for name in LAYER_FIELDS}


def _values_snapshot(values: RuleValues) -> dict:
    return {name: _audit_value(getattr(values, name)) for name in LAYER_FIELDS}


def _write_layer(rule: RequirementRule, values: RuleValues, *, actor, now: datetime) -> None:
    for name in LAYER_FIELDS:
        value = getattr(values, name)
        if isinstance(value, tuple):
            value = list(value)
        if name == "note":
            value = _clean_text(value)
        setattr(rule, name, value)
    rule.updated_at = now
    rule.updated_by = actor


def _diff(before: dict, after: dict) -> tuple[dict, dict]:
    keys = [k for k in dict.fromkeys(list(before) + list(after)) if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


def set_partnership_rule(requirement: Requirement, values: RuleValues, *, actor: User, now: datetime) -> RequirementRule | None:
    """Set the partnership's rule for a requirement (values that set nothing remove it)."""
    values = replace(values, note=_clean_text(values.note))
    plan = _plan(PartnershipRuleChange(requirement, values))
    if values.sets_nothing:
        clear_partnership_rule(requirement, actor=actor, now=now)
        return None
    rule = partnership_layer(requirement)
    before, after = _diff(_snapshot(rule), _values_snapshot(values))
    if not after:
        return rule  # nothing changes
    if rule is None:
        rule = RequirementRule(layer="partnership")
        requirement.rules.append(rule)
    _write_layer(rule, values, actor=actor, now=now)
    db.session.flush()
    words = describe_rule(plan.after.rule_for(None), national_baseline=plan.before.national is not None)
    audit.record(
        actor, "requirement.rule-update", target=requirement, before=before, after=after, now=now,
        summary=f"Partnership rule for {requirement.name} set: {words}",
    )
    _refresh(plan, now=now)
    return rule


def clear_partnership_rule(requirement: Requirement, *, actor: User, now: datetime) -> None:
    """Remove the partnership's rule: the national baseline applies again."""
    plan = _plan(PartnershipRuleChange(requirement, None))
    rule = partnership_layer(requirement)
    before = {k: v for k, v in _snapshot(rule).items() if v is not None}
    requirement.rules.remove(rule)
    db.session.flush()
    words = describe_rule(plan.after.rule_for(None), national_baseline=plan.before.national is not None)
    audit.record(
        actor, "requirement.rule-clear", target=requirement, before=before, after={k: None for k in before}, now=now,
        summary=f"Partnership rule for {requirement.name} removed: back to the national rule ({words})",
    )
    _refresh(plan, now=now)


def set_organisation_rule(
    requirement: Requirement, organisation: Organisation, values: RuleValues, *, actor: User, now: datetime
) -> RequirementRule | None:
    """Set an organisation's own rule, where the requirement allows it (values that set
    nothing remove it)."""
    values = replace(values, note=_clean_text(values.note))
    plan = _plan(OrganisationRuleChange(requirement, organisation, values))
    if values.sets_nothing:
        clear_organisation_rule(requirement, organisation, actor=actor, now=now)
        return None
    rule = organisation_layer(requirement, organisation.id)
    before, after = _diff(_snapshot(rule), _values_snapshot(values))
    if not after:
        return rule  # nothing changes
    if rule is None:
        rule = RequirementRule(layer="organisation", organisation=organisation)
        requirement.rules.append(rule)
    _write_layer(rule, values, actor=actor, now=now)
    db.session.flush()
    words = describe_rule(plan.after.rule_for(organisation.id), national_baseline=plan.before.national is not None)
    audit.record(
        actor, "requirement.organisation-rule-update", target=requirement,
        before={"organisation": organisation.name, **before}, after={"organisation": organisation.name, **after}, now=now,
        summary=f"{organisation.name}'s own rule for {requirement.name} set: {words}",
    )
    _refresh(plan, now=now)
    return rule


def clear_organisation_rule(requirement: Requirement, organisation: Organisation, *, actor: User, now: datetime) -> None:
    plan = _plan(OrganisationRuleChange(requirement, organisation, None))
    rule = organisation_layer(requirement, organisation.id)
    before = {k: v for k, v in _snapshot(rule).items() if v is not None}
    requirement.rules.remove(rule)
    db.session.flush()
    audit.record(
        actor, "requirement.organisation-rule-clear", target=requirement,
        before={"organisation": organisation.name, **before}, after={"organisation": organisation.name, **{k: None for k in before}},
        now=now, summary=f"{organisation.name}'s own rule for {requirement.name} removed: the partnership's rule applies",
    )
    _refresh(plan, now=now)


def update_requirement(requirement: Requirement, details: RequirementDetails, *, actor: User, now: datetime) -> bool:
    """Change a requirement's name, description, source, strength, job roles, whether it is
    in use and whether organisations may set their own rule. The code never changes.
    Returns whether anything changed."""
    plan = _plan(DetailsChange(requirement, details))
    details = _check_details(details)
    before = _details_snapshot(requirement)
    roles = {role.code: role for role in db.session.scalars(select(JobRole).where(JobRole.code.in_(details.job_role_codes)))}
    requirement.name = details.name
    requirement.description = details.description
    requirement.source = details.source
    requirement.strength = details.strength
    requirement.active = details.active
    requirement.organisation_overrides = details.organisation_overrides
    if set(roles) != {role.code for role in requirement.job_roles}:
        requirement.job_roles = [roles[code] for code in details.job_role_codes]
    before, after = _diff(before, _details_snapshot(requirement))
    if not after:
        return False
    db.session.flush()
    audit.record(
        actor, "requirement.update", target=requirement, before=before, after=after, now=now,
        summary=f"Requirement {requirement.name} ({requirement.code}) changed: " + ", ".join(audit.readable_key(k).lower() for k in after),
    )
    if {"job_roles", "active", "organisation_overrides"} & set(after):
        _refresh(plan, now=now)
    return True


def set_organisation_overrides(requirement: Requirement, allowed: bool, *, actor: User, now: datetime) -> bool:
    """Allow or forbid organisations to set their own rule for a requirement. Forbidding
    keeps any organisation rules on file but puts them out of force."""
    details = replace(RequirementDetails.of(requirement), organisation_overrides=bool(allowed))
    return update_requirement(requirement, details, actor=actor, now=now)


def _details_snapshot(requirement: Requirement) -> dict:
    return {
        "name": requirement.name,
        "description": requirement.description,
        "source": requirement.source,
        "strength": requirement.strength,
        "job_roles": sorted(role.code for role in requirement.job_roles),
        "active": requirement.active,
        "organisation_overrides": requirement.organisation_overrides,
    }


def create_requirement(new: NewRequirement, *, actor: User, now: datetime) -> Requirement:
    """Add a local requirement with its rule (kept as the partnership's layer)."""
    new = replace(new, code=(new.code or "").strip(), values=replace(new.values, note=_clean_text(new.values.note)))
    plan = _plan(new)
    details = _check_details(
        RequirementDetails(
            name=new.name, description=new.description, source=new.source, strength=new.strength,
            job_role_codes=new.job_role_codes, active=True, organisation_overrides=False,
        )
    )
    roles = {role.code: role for role in db.session.scalars(select(JobRole).where(JobRole.code.in_(details.job_role_codes)))}
    position = (db.session.scalar(select(func.max(Requirement.position))) or 0) + 1
    requirement = Requirement(
        code=new.code, name=details.name, description=details.description, kind=new.kind, source=details.source,
        strength=details.strength, position=position, active=True, organisation_overrides=False,
        job_roles=[roles[code] for code in details.job_role_codes],
    )
    db.session.add(requirement)
    rule = RequirementRule(layer="partnership")
    requirement.rules.append(rule)
    _write_layer(rule, new.values, actor=actor, now=now)
    db.session.flush()
    after = {"code": requirement.code, "kind": requirement.kind, **_details_snapshot(requirement)}
    after.update({k: v for k, v in _snapshot(rule).items() if v is not None})
    audit.record(
        actor, "requirement.create", target=requirement, after=after, now=now,
        summary=f"Local requirement {requirement.name} ({requirement.code}) added: "
        + describe_rule(plan.after.rule_for(None), national_baseline=False),
    )
    _refresh(plan, now=now)
    return requirement
