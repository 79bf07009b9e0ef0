"""Compliance services: effective rules from the layers, a person's status from the pure
calculation, and the maintained status table."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Iterable

from sqlalchemy import and_, case, delete, func, insert, literal, select
from sqlalchemy.orm import selectinload

from lms.accounts.models import PersonRole, User
from lms.catalogue.models import Course
from lms.compliance import engine
from lms.compliance.models import ComplianceStatus, Requirement, RequirementRule
from lms.core.time import london_today
from lms.extensions import db
from lms.organisations.models import JobRole
from lms.records.models import Completion

RULE_FIELDS = (
    "period_months", "hours_required", "window_months", "due_soon_days", "induction_days", "grace_days",
    "deadline_month", "deadline_day", "edition_date", "counts_from", "qualifying_modes",
)
DEFAULTS = {"induction_days": 90, "grace_days": 0, "deadline_month": 9, "deadline_day": 30}


# --- rules ------------------------------------------------------------------------------

@dataclass(frozen=True)
class RuleSet:
    """Every active requirement's effective rule: partnership-wide, and per organisation
    where an organisation has its own."""

    requirements: dict[str, Requirement]
    partnership: dict[str, engine.Rule]
    by_organisation: dict[int, dict[str, engine.Rule]]

    def for_organisation(self, organisation_id: int | None) -> dict[str, engine.Rule]:
        if organisation_id is not None and organisation_id in self.by_organisation:
            return self.by_organisation[organisation_id]
        return self.partnership


def merge_layers(requirement: Requirement, layers: list[RequirementRule]) -> engine.Rule:
    values = dict(DEFAULTS)
    for layer in layers:  # national, then partnership, then organisation
        for name in RULE_FIELDS:
            value = getattr(layer, name)
            if value is not None:
                values[name] = value
    return engine.Rule(
        code=requirement.code,
        kind=requirement.kind,
        job_roles=frozenset(role.code for role in requirement.job_roles),
        period_months=values.get("period_months"),
        hours_required=Decimal(values["hours_required"]) if values.get("hours_required") is not None else None,
        window_months=values.get("window_months"),
        due_soon_days=values.get("due_soon_days"),
        induction_days=values["induction_days"],
        grace_days=values["grace_days"],
        deadline_month=values["deadline_month"],
        deadline_day=values["deadline_day"],
        edition_date=values.get("edition_date"),
        counts_from=frozenset(values.get("counts_from") or ()),
        qualifying_modes=frozenset(values.get("qualifying_modes") or ()),
    )


_LAYER_ORDER = {"national": 0, "partnership": 1, "organisation": 2}


def load_rules() -> RuleSet:
    requirements = list(
        db.session.scalars(
            select(Requirement)
            .where(Requirement.active.is_(True))
            .options(selectinload(Requirement.job_roles), selectinload(Requirement.rules))
            .order_by(Requirement.position)
        )
    )
    partnership: dict[str, engine.Rule] = {}
    organisation_layers: dict[int, dict[str, RequirementRule]] = defaultdict(dict)
    for requirement in requirements:
        base = sorted((r for r in requirement.rules if r.layer != "organisation"), key=lambda r: _LAYER_ORDER[r.layer])
        partnership[requirement.code] = merge_layers(requirement, base)
        if requirement.organisation_overrides:
            for rule in requirement.rules:
                if rule.layer == "organisation" and rule.organisation_id is not None:
                    organisation_layers[rule.organisation_id][requirement.code] = rule
    by_organisation: dict[int, dict[str, engine.Rule]] = {}
    for organisation_id, overrides in organisation_layers.items():
        rules = dict(partnership)
        for requirement in requirements:
            if requirement.code in overrides:
                base = sorted((r for r in requirement.rules if r.layer != "organisation"), key=lambda r: _LAYER_ORDER[r.layer])
                rules[requirement.code] = merge_layers(requirement, base + [overrides[requirement.code]])
        by_organisation[organisation_id] = rules
    return RuleSet({r.code: r for r in requirements}, partnership, by_organisation)


# --- the inputs of the calculation -------------------------------------------------------

def facts_for(user_ids: Iterable[int]) -> dict[int, list[engine.Fact]]:
    """Each person's completions as engine facts, in one query."""
    ids = list(user_ids)
    result: dict[int, list[engine.Fact]] = defaultdict(list)
    if not ids:
        return result
    rows = db.session.execute(
        select(
            Completion.user_id, Completion.completed_on, Completion.cpd_hours, Completion.delivery_mode,
            Course.requirement_codes,
        )
        .outerjoin(Course, Course.id == Completion.course_id)
        .where(Completion.user_id.in_(ids))
    )
    for user_id, completed_on, hours, mode, codes in rows:
        result[user_id].append(
            engine.Fact(completed_on=completed_on, hours=Decimal(hours or 0), requirement_codes=frozenset(codes or ()), delivery_mode=mode)
        )
    return result


def roles_for(user_ids: Iterable[int]) -> dict[int, list[engine.RoleSpell]]:
    ids = list(user_ids)
    result: dict[int, list[engine.RoleSpell]] = defaultdict(list)
    if not ids:
        return result
    rows = db.session.execute(
        select(PersonRole.user_id, JobRole.code, PersonRole.started_on, PersonRole.ended_on)
        .join(JobRole, JobRole.id == PersonRole.job_role_id)
        .where(PersonRole.user_id.in_(ids))
    )
    for user_id, code, started_on, ended_on in rows:
        result[user_id].append(engine.RoleSpell(job_role=code, started_on=started_on, ended_on=ended_on))
    return result


# --- one person --------------------------------------------------------------------------

@dataclass(frozen=True)
class PersonRequirement:
    requirement: Requirement
    result: engine.Result


def person_compliance(user: User, *, as_of: date, rules: RuleSet | None = None, include_not_applicable: bool = False) -> list[PersonRequirement]:
    """The pure calculation for one person, every active requirement, as of a date."""
    rules = rules or load_rules()
    facts = facts_for([user.id])[user.id]
    roles = roles_for([user.id])[user.id]
    results = []
    for code, rule in rules.for_organisation(user.organisation_id).items():
        result = engine.evaluate(rule, facts, roles, as_of)
        if result.status != engine.NOT_APPLICABLE or include_not_applicable:
            results.append(PersonRequirement(rules.requirements[code], result))
    return results


# --- the status table ---------------------------------------------------------------------

def _rows_for(user_ids: list[int], organisation_of: dict[int, int | None], rules: RuleSet, as_of: date) -> list[dict]:
    facts = facts_for(user_ids)
    roles = roles_for(user_ids)
    rows = []
    for user_id in user_ids:
        for code, rule in rules.for_organisation(organisation_of.get(user_id)).items():
            line = engine.timeline(rule, facts.get(user_id, ()), roles.get(user_id, ()), as_of)
            if not line.applicable:
                continue
            rows.append({
                "user_id": user_id,
                "requirement_id": rules.requirements[code].id,
                "applicable": True,
                "first_status": line.first_status,
                "due_on": line.due_on,
                "due_soon_from": line.due_soon_from,
                "overdue_from": line.overdue_from,
                "last_completed_on": line.last_completed_on,
                "hours_counted": line.hours_counted,
                "hours_required": line.hours_required,
                "computed_on": as_of,
            })
    return rows


def refresh_status(user_ids: Iterable[int], *, now: datetime, rules: RuleSet | None = None) -> int:
    """Recompute the status rows of these people (in the caller's transaction)."""
    ids = sorted(set(user_ids))
    if not ids:
        return 0
    rules = rules or load_rules()
    as_of = london_today(now)
    total = 0
    for start in range(0, len(ids), 1000):
        chunk = ids[start:start + 1000]
        organisation_of = dict(db.session.execute(select(User.id, User.organisation_id).where(User.id.in_(chunk))).all())
        rows = _rows_for(chunk, organisation_of, rules, as_of)
        db.session.execute(delete(ComplianceStatus).where(ComplianceStatus.user_id.in_(chunk)))
        if rows:
            # render_nulls keeps this one executemany instead of one per pattern of NULLs.
            db.session.execute(insert(ComplianceStatus).execution_options(render_nulls=True), rows)
        total += len(rows)
    return total


def rebuild_status_table(*, now: datetime, chunk: int = 2000) -> int:
    """Recompute every person's rows (the nightly job). Returns the number of rows."""
    rules = load_rules()
    total = 0
    last_id = 0
    while True:
        ids = list(db.session.scalars(select(User.id).where(User.id > last_id).order_by(User.id).limit(chunk)))
        if not ids:
            break
        total += refresh_status(ids, now=now, rules=rules)
        last_id = ids[-1]
    db.session.execute(
        delete(ComplianceStatus).where(ComplianceStatus.user_id.not_in(select(User.id)))
    )
    return total


def status_expression(as_of: date):
    """SQL for a status row's status on a day: the table-side twin of engine.status_on."""
    return case(
        (and_(ComplianceStatus.overdue_from.is_not(None), ComplianceStatus.overdue_from <= as_of), literal(engine.OVERDUE)),
        (and_(ComplianceStatus.due_soon_from.is_not(None), ComplianceStatus.due_soon_from <= as_of), literal(engine.DUE_SOON)),
        else_=ComplianceStatus.first_status,
    )


def table_statuses(user_ids: Iterable[int], *, as_of: date) -> dict[tuple[int, str], tuple]:
    """{(user_id, requirement code): (status, due_on)} read from the status table."""
    ids = list(user_ids)
    rows = db.session.execute(
        select(ComplianceStatus.user_id, Requirement.code, status_expression(as_of), ComplianceStatus.due_on)
        .join(Requirement, Requirement.id == ComplianceStatus.requirement_id)
        .where(ComplianceStatus.user_id.in_(ids))
    )
    return {(user_id, code): (status, due_on) for user_id, code, status, due_on in rows}


def status_counts(*, as_of: date, group_by, filters=()) -> list:
    """Counts of statuses grouped by a column reachable from User (organisation, sector,
    type, area): [(group value, status, count)]."""
    from lms.organisations.models import Organisation

    status = status_expression(as_of).label("status")
    query = (
        select(group_by, status, func.count())
        .select_from(ComplianceStatus)
        .join(User, User.id == ComplianceStatus.user_id)
        .join(Organisation, Organisation.id == User.organisation_id)
        .where(User.active.is_(True), *filters)
        .group_by(group_by, status)
    )
    return db.session.execute(query).all()


# --- keeping the table up to date ---------------------------------------------------------

def _on_completion(sender, completion, now, **extra):
    refresh_status([completion.user_id], now=now)


def _on_completions(sender, user_ids, now, **extra):
    refresh_status(user_ids, now=now)


def _on_person_changed(sender, user, now, **extra):
    refresh_status([user.id], now=now)


def connect_signals() -> None:
    from lms.signals import completion_recorded, completions_recorded, person_changed

    completion_recorded.connect(_on_completion, weak=False)
    completions_recorded.connect(_on_completions, weak=False)
    person_changed.connect(_on_person_changed, weak=False)
