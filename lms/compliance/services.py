"""Compliance services: effective rules from the layers, a person's status from the pure
calculation, the maintained status table, and the counts the admin overview reads.

The counts (ComplianceCount) hold, for one day, how many open accounts at each
organisation have each status on each requirement. The nightly rebuild counts every
organisation for its own day. Between rebuilds the counts are kept for that same day:
refresh_status counts again the organisations of the people it recomputes, and a person
who moves organisation, or whose account is closed, reopened or deleted through the ORM,
has both organisations counted again before the transaction commits (session events, so
the services that make those changes need not know about the counts). A change made with
bulk SQL that bypasses the ORM is put right by the next nightly rebuild."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Iterable

from sqlalchemy import Float, and_, case, cast, delete, event, func, insert, inspect, literal, or_, select, text, true
from sqlalchemy.orm import Session, selectinload

from lms.accounts.models import PersonRole, User
from lms.catalogue.models import Course
from lms.compliance import engine
from lms.compliance.models import ComplianceCount, CompliancePolicy, ComplianceStatus, Requirement, RequirementRule
from lms.core.time import london_today
from lms.extensions import db
from lms.organisations.models import JobRole, Organisation
from lms.records.models import Completion, ExternalActivity

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


def load_rules(session: Session | None = None) -> RuleSet:
    """Every active requirement's effective rule, read now (through `session`, by default
    the app's). Pages that only read the rules use kept_rules.rule_set(), which reuses a
    copy while nothing it is built from has changed."""
    requirements = list(
        (session or db.session).scalars(
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

def get_policy() -> CompliancePolicy:
    """The partnership's compliance settings: the one row, or (before anyone has saved
    them) the defaults, unsaved."""
    return db.session.get(CompliancePolicy, 1) or CompliancePolicy(id=1, unverified_cpd_counts=True)


def unverified_cpd_counts() -> bool:
    """Does self-reported CPD count before a setting lead verifies it?"""
    return bool(get_policy().unverified_cpd_counts)


def people_with_unverified_cpd():
    """A SELECT of the ids of people who have self-reported CPD nobody has verified."""
    return (
        select(Completion.user_id)
        .join(ExternalActivity, ExternalActivity.completion_id == Completion.id)
        .where(ExternalActivity.verified_at.is_(None))
        .distinct()
    )


def facts_for(user_ids: Iterable[int], *, count_unverified: bool | None = None) -> dict[int, list[engine.Fact]]:
    """Each person's completions as engine facts, in one query. Self-reported CPD nobody
    has verified is left out when the partnership's setting says it does not count
    (`count_unverified`, read from the policy when not given), and otherwise included
    as an unverified fact, so the statuses resting on it are marked."""
    ids = list(user_ids)
    result: dict[int, list[engine.Fact]] = defaultdict(list)
    if not ids:
        return result
    unverified = and_(ExternalActivity.id.is_not(None), ExternalActivity.verified_at.is_(None))
    query = (
        select(
            Completion.user_id, Completion.completed_on, Completion.cpd_hours, Completion.delivery_mode,
            Course.requirement_codes, ExternalActivity.requirement_codes, unverified,
        )
        .outerjoin(Course, Course.id == Completion.course_id)
        .outerjoin(ExternalActivity, ExternalActivity.completion_id == Completion.id)
        .where(Completion.user_id.in_(ids))
    )
    if count_unverified is None:  # the policy, read in the same statement
        counts = select(CompliancePolicy.unverified_cpd_counts).where(CompliancePolicy.id == 1).scalar_subquery()
        count_unverified = func.coalesce(counts, true())
    if count_unverified is not True:
        query = query.where(or_(ExternalActivity.id.is_(None), ExternalActivity.verified_at.is_not(None), count_unverified))
    # A course's completion counts towards the course's requirements; external CPD
    # (no course) towards the ones its person said it counts towards.
    for user_id, completed_on, hours, mode, codes, external_codes, is_unverified in db.session.execute(query):
        result[user_id].append(
            engine.Fact(completed_on=completed_on, hours=Decimal(hours or 0),
                        requirement_codes=frozenset(codes or ()) | frozenset(external_codes or ()), delivery_mode=mode,
                        verified=not is_unverified)
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
                "rests_on_unverified": line.rests_on_unverified,
            })
    return rows


def _write_status(ids: list[int], rules: RuleSet, as_of: date) -> tuple[int, set[int]]:
    """Recompute the status rows of these people: (rows written, their organisations)."""
    total = 0
    organisations: set[int] = set()
    for start in range(0, len(ids), 1000):
        chunk = ids[start:start + 1000]
        organisation_of = dict(db.session.execute(select(User.id, User.organisation_id).where(User.id.in_(chunk))).all())
        organisations.update(value for value in organisation_of.values() if value is not None)
        rows = _rows_for(chunk, organisation_of, rules, as_of)
        db.session.execute(delete(ComplianceStatus).where(ComplianceStatus.user_id.in_(chunk)))
        if rows:
            # render_nulls keeps this one executemany instead of one per pattern of NULLs.
            db.session.execute(insert(ComplianceStatus).execution_options(render_nulls=True), rows)
        total += len(rows)
    return total, organisations


def refresh_status(user_ids: Iterable[int], *, now: datetime, rules: RuleSet | None = None) -> int:
    """Recompute the status rows of these people (in the caller's transaction), then count
    their organisations again for the overview."""
    ids = sorted(set(user_ids))
    if not ids:
        return 0
    rules = rules or load_rules()
    total, organisations = _write_status(ids, rules, london_today(now))
    recount_organisations(organisations)
    return total


def rebuild_status_table(*, now: datetime, chunk: int = 2000) -> int:
    """Recompute every person's rows, then every organisation's counts for today (the
    nightly job). Returns the number of status rows."""
    rules = load_rules()
    as_of = london_today(now)
    total = 0
    last_id = 0
    while True:
        ids = list(db.session.scalars(select(User.id).where(User.id > last_id).order_by(User.id).limit(chunk)))
        if not ids:
            break
        total += _write_status(ids, rules, as_of)[0]
        last_id = ids[-1]
    db.session.execute(
        delete(ComplianceStatus).where(ComplianceStatus.user_id.not_in(select(User.id)))
    )
    rebuild_counts(as_of)
    return total


def vacuum_rebuilt_tables() -> bool:
    """After the nightly rebuild is committed: on PostgreSQL, VACUUM (ANALYZE) the status
    table and the kept counts, which the rebuild has rewritten. Otherwise every row it
    replaced stays behind as a dead one until autovacuum comes (if it is on at all), and
    the pages' index scans step over them on statistics from before. VACUUM cannot run in
    a transaction, so it has a connection of its own. Nothing on SQLite (True if it ran)."""
    if db.engine.dialect.name != "postgresql":
        return False
    tables = ", ".join(model.__table__.name for model in (ComplianceStatus, ComplianceCount))
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f"VACUUM (ANALYZE) {tables}"))
    return True


@lru_cache(maxsize=64)
def status_expression(as_of: date):
    """SQL for a status row's status on a day: the table-side twin of engine.status_on.
    Kept per day (SQL expressions never change once built), as the busiest pages use it."""
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


# --- the counts the admin overview reads ----------------------------------------------------

COUNT_COLUMNS = {
    engine.OVERDUE: "overdue_count",
    engine.DUE_SOON: "due_soon_count",
    engine.NOT_YET_DUE: "not_yet_due_count",
    engine.CURRENT: "current_count",
}
_ALL_COUNT_COLUMNS = [*COUNT_COLUMNS.values(), "total_count"]
_INSERT_COLUMNS = ["as_of", "scope", "scope_id", "requirement_id", *_ALL_COUNT_COLUMNS]
_ORGANISATION_COLUMNS = [*_INSERT_COLUMNS, "sort_name", "overdue_share"]  # an organisation's rows add its sort keys
ORGANISATION = "organisation"
# One row of this scope (no group, no requirement, no people) keeps the day the counts hold
# even when nobody is counted at all (every account closed, no requirement applying), so
# changes after that are still counted rather than waiting for the nightly rebuild.
DAY = "day"
GROUP_SCOPES = ("sector", "type", "area")  # ComplianceCount.scope of the groups, and Organisation's columns
_STALE = "compliance_count_stale"  # session.info: organisations to count again
_REGROUP = "compliance_count_regroup"  # session.info: every group (or every count) to count again


def _group_column(scope: str):
    return {"sector": Organisation.sector_id, "type": Organisation.type_id, "area": Organisation.area_id}[scope]


def organisation_counts_query(as_of: date, organisation_ids: Iterable[int] | None = None) -> list:
    """The organisation rows of ComplianceCount worked out from the status table, for
    open accounts recorded at an organisation: one per organisation and requirement, and
    one per organisation for all active requirements together, each with the
    organisation's sort keys (_ORGANISATION_COLUMNS). Two INSERT ... SELECTs' SELECTs."""
    status = status_expression(as_of)
    conditions = [User.active.is_(True)]
    if organisation_ids is not None:
        conditions.append(User.organisation_id.in_(list(organisation_ids)))
    sums = [func.sum(case((status == value, 1), else_=0)) for value in COUNT_COLUMNS]
    day = literal(as_of, type_=ComplianceCount.as_of.type)
    scope = literal(ORGANISATION, type_=ComplianceCount.scope.type)
    keys = [func.lower(Organisation.name), cast(sums[0], Float) / func.count()]
    base = (
        select()
        .select_from(ComplianceStatus)
        .join(User, User.id == ComplianceStatus.user_id)
        .join(Organisation, Organisation.id == User.organisation_id)
        .where(*conditions)
    )
    per_requirement = base.add_columns(
        day, scope, Organisation.id, ComplianceStatus.requirement_id, *sums, func.count(), *keys
    ).group_by(Organisation.id, Organisation.name, ComplianceStatus.requirement_id)
    every_requirement = (
        base.join(Requirement, Requirement.id == ComplianceStatus.requirement_id)
        .where(Requirement.active.is_(True))
        .add_columns(
            day, scope, Organisation.id, literal(None, type_=ComplianceCount.requirement_id.type), *sums,
            func.count(), *keys,
        )
        .group_by(Organisation.id, Organisation.name)
    )
    return [per_requirement, every_requirement]


def _group_counts_query(as_of: date, scope: str, group_ids: set | None):
    """One group scope's rows, added up from the organisation rows (one SELECT)."""
    column = _group_column(scope)
    conditions = [ComplianceCount.scope == ORGANISATION]
    if group_ids is not None:
        known = sorted(i for i in group_ids if i is not None)
        either = [column.in_(known)] if known else []
        if None in group_ids:
            either.append(column.is_(None))
        conditions.append(or_(*either))
    return (
        select(
            literal(as_of, type_=ComplianceCount.as_of.type), literal(scope, type_=ComplianceCount.scope.type),
            column, ComplianceCount.requirement_id,
            *[func.sum(getattr(ComplianceCount, name)) for name in _ALL_COUNT_COLUMNS],
        )
        .select_from(ComplianceCount)
        .join(Organisation, Organisation.id == ComplianceCount.scope_id)
        .where(*conditions)
        .group_by(column, ComplianceCount.requirement_id)
    )


def counted_day() -> date | None:
    """The day the counts hold, or None before the first rebuild (one statement: the
    day row, or any row counted before the day row was kept)."""
    day_row = select(ComplianceCount.as_of).where(ComplianceCount.scope == DAY).limit(1).scalar_subquery()
    any_row = select(ComplianceCount.as_of).limit(1).scalar_subquery()
    return db.session.scalar(select(func.coalesce(day_row, any_row)))


def rebuild_counts(as_of: date) -> None:
    """Count everything again, for `as_of`: the organisations from the status table, then
    the groups from the organisations (seven statements, with the DELETE and the day row)."""
    _lock_everything()
    db.session.execute(delete(ComplianceCount))
    db.session.add(ComplianceCount(as_of=as_of, scope=DAY, scope_id=None, requirement_id=None,
                                   **{column: 0 for column in _ALL_COUNT_COLUMNS}))
    for query in organisation_counts_query(as_of):
        db.session.execute(insert(ComplianceCount).from_select(_ORGANISATION_COLUMNS, query))
    for scope in GROUP_SCOPES:
        db.session.execute(insert(ComplianceCount).from_select(_INSERT_COLUMNS, _group_counts_query(as_of, scope, None)))
    db.session.info.pop(_STALE, None)
    db.session.info.pop(_REGROUP, None)


def recount_organisations(organisation_ids: Iterable[int]) -> None:
    """Count these organisations again, and the sectors, types and areas they belong to,
    for the day the counts already hold (nothing is kept before the first rebuild). Also
    counts what this transaction's session events asked for: the organisations people
    moved out of or into or closed their accounts at, every group when an organisation
    changed sector, type or area, and everything when a requirement was switched on or
    off.

    On PostgreSQL, transaction-level advisory locks, taken in one order (the rebuild's
    shared lock, then organisations, then groups), make two transactions that count the
    same organisation or group take turns, so the second counts with the first's rows."""
    db.session.flush()  # so the session events have seen every change to people
    ids = set(organisation_ids) | db.session.info.pop(_STALE, set())
    regroup = db.session.info.pop(_REGROUP, None)
    if not ids and not regroup:
        return
    as_of = counted_day()
    if as_of is None:
        return
    if regroup == "everything":
        rebuild_counts(as_of)
        return
    ordered = sorted(ids)
    _lock(0, [0], shared=True)
    _lock(1, ordered)
    groups: dict[str, set] = {scope: set() for scope in GROUP_SCOPES}
    for start in range(0, len(ordered), 500):
        chunk = ordered[start:start + 500]
        # The groups they belong to now, and those their kept rows were counted in.
        for sector, type_, area in db.session.execute(
            select(Organisation.sector_id, Organisation.type_id, Organisation.area_id).where(Organisation.id.in_(chunk))
        ):
            groups["sector"].add(sector)
            groups["type"].add(type_)
            groups["area"].add(area)
        db.session.execute(
            delete(ComplianceCount).where(ComplianceCount.scope == ORGANISATION, ComplianceCount.scope_id.in_(chunk))
        )
        for query in organisation_counts_query(as_of, chunk):
            db.session.execute(insert(ComplianceCount).from_select(_ORGANISATION_COLUMNS, query))
    for number, scope in enumerate(GROUP_SCOPES, start=2):
        group_ids = None if regroup else groups[scope]
        if group_ids is not None:
            _lock(number, sorted(0 if i is None else i for i in group_ids))
        else:
            _lock(number, [-1])
        condition = [ComplianceCount.scope == scope]
        if group_ids is not None:
            known = [i for i in group_ids if i is not None]
            either = [ComplianceCount.scope_id.in_(known)] if known else []
            if None in group_ids:
                either.append(ComplianceCount.scope_id.is_(None))
            condition.append(or_(*either))
        db.session.execute(delete(ComplianceCount).where(*condition))
        db.session.execute(insert(ComplianceCount).from_select(_INSERT_COLUMNS, _group_counts_query(as_of, scope, group_ids)))


_LOCK_SPACE = 0x4C4D53  # advisory lock namespace of the counts ("LMS"), plus 0-4 below


def _lock(kind: int, keys: list[int], *, shared: bool = False) -> None:
    """PostgreSQL transaction-level advisory locks on (kind, key), taken in key order:
    kind 0 the rebuild, 1 organisations, 2-4 sectors, types and areas (key 0 for "none",
    -1 for every group of the kind). Nothing on SQLite, where one writer at a time has the
    whole database."""
    if db.session.get_bind().dialect.name != "postgresql" or not keys:
        return
    keys = sorted(set(keys))
    if kind in (2, 3, 4) and keys != [-1]:
        # Whoever counts every group of this kind holds key -1: wait for them first.
        _lock(kind, [-1], shared=True)
    function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    db.session.execute(
        text(f"SELECT {function}(:space, key) FROM (SELECT unnest(CAST(:keys AS integer[])) AS key ORDER BY 1) AS keys"),
        {"space": _LOCK_SPACE + kind, "keys": keys},
    )


def _lock_everything() -> None:
    _lock(0, [0])


def _note_changes(session: Session) -> None:
    """Remember what the counts must follow, before it is flushed: the organisations (before
    and after) of people who move, whose account is closed or reopened, or who are
    deleted; an organisation that is renamed; every group when an organisation changes
    sector, type or area; everything when a requirement is switched on or off."""
    for instance in (*session.dirty, *session.deleted):
        if isinstance(instance, User):
            state = inspect(instance)
            organisation = state.attrs.organisation_id.history
            if instance in session.deleted or organisation.has_changes() or state.attrs.active.history.has_changes():
                session.info.setdefault(_STALE, set()).update(
                    value for value in (*organisation.deleted, *organisation.added, *organisation.unchanged)
                    if value is not None
                )
        elif isinstance(instance, Organisation):
            state = inspect(instance)
            if instance in session.deleted or any(state.attrs[name].history.has_changes() for name in ("sector_id", "type_id", "area_id")):
                if session.info.get(_REGROUP) != "everything":
                    session.info[_REGROUP] = "groups"
            if state.attrs.name.history.has_changes() and instance.id is not None:
                session.info.setdefault(_STALE, set()).add(instance.id)  # its rows keep its name for sorting
        elif isinstance(instance, Requirement):
            if instance in session.deleted or inspect(instance).attrs.active.history.has_changes():
                session.info[_REGROUP] = "everything"


def _before_flush(session, flush_context, instances) -> None:
    _note_changes(session)


def _before_commit(session) -> None:
    _note_changes(session)
    if session.info.get(_STALE) or session.info.get(_REGROUP):
        recount_organisations(())


def _after_rollback(session) -> None:
    session.info.pop(_STALE, None)
    session.info.pop(_REGROUP, None)


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
    for name, listener in (("before_flush", _before_flush), ("before_commit", _before_commit),
                           ("after_rollback", _after_rollback)):
        if not event.contains(db.session, name, listener):
            event.listen(db.session, name, listener)
