"""The compliance calculation, as pure functions of plain values: no database, no clock.

`evaluate(rule, completions, roles, as_of)` says where a person stands on one requirement.
The answer is a *timeline* that holds until something changes (a new completion, a role
change, a rule edit): the status before any deadline, the day "due soon" starts and the
day "overdue" starts. `status_on(timeline, day)` reads it for any day, so the maintained
status table can store the timeline and answer "as of" questions without recomputing.

Kinds of rule (DESIGN.md section 4):
- interval: valid for `period_months` from the last qualifying completion; None = no expiry
- once: done once; behaves as interval when the partnership sets a period
- academic-year: one completion in each 1 Sep - 31 Aug year, by the deadline (30 Sep)
  in the following year
- rolling-hours: at least `hours_required` hours within the last `window_months`
- per-edition: a completion on or after the current edition's date
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Iterable

from lms.core.time import add_months

CURRENT = "current"
DUE_SOON = "due-soon"
OVERDUE = "overdue"
NOT_YET_DUE = "not-yet-due"
NOT_APPLICABLE = "not-applicable"
STATUSES = (OVERDUE, DUE_SOON, NOT_YET_DUE, CURRENT, NOT_APPLICABLE)

KINDS = ("interval", "once", "academic-year", "rolling-hours", "per-edition")


@dataclass(frozen=True)
class Rule:
    """The effective rule for one requirement, after the layers are merged."""

    code: str
    kind: str
    job_roles: frozenset[str]
    period_months: int | None = None
    hours_required: Decimal | None = None
    window_months: int | None = None
    due_soon_days: int | None = None
    induction_days: int = 90
    grace_days: int = 0
    deadline_month: int = 9
    deadline_day: int = 30
    edition_date: date | None = None
    # Completions that count: towards these requirement codes (the rule's own code is
    # always included), or of these delivery modes (e.g. twilights for the DSL update).
    counts_from: frozenset[str] = frozenset()
    qualifying_modes: frozenset[str] = frozenset()

    @property
    def soon_days(self) -> int:
        """The due-soon window: as set, else by period (DESIGN.md: 60 days for 12-month
        rules, 90 for 24, 120 for 36)."""
        if self.due_soon_days is not None:
            return self.due_soon_days
        months = self.period_months if self.kind != "rolling-hours" else self.window_months
        if self.kind == "academic-year" or months is None or months <= 12:
            return 60
        if months <= 24:
            return 90
        return 120


@dataclass(frozen=True)
class Fact:
    """One completion, as the engine needs it."""

    completed_on: date
    hours: Decimal
    requirement_codes: frozenset[str]
    delivery_mode: str
    # False for self-reported external CPD nobody has verified yet.
    verified: bool = True


@dataclass(frozen=True)
class RoleSpell:
    job_role: str
    started_on: date
    ended_on: date | None = None

    def holds_on(self, day: date) -> bool:
        return self.started_on <= day and (self.ended_on is None or self.ended_on >= day)


@dataclass(frozen=True)
class Timeline:
    """Where a person stands on a requirement until something changes.

    Before `due_soon_from` (or `overdue_from` if there is no due-soon period) the status
    is `first_status`; from `due_soon_from` it is due soon; from `overdue_from` overdue.
    `due_on` is the date shown ("valid until" / "due by"); None means no expiry."""

    applicable: bool
    first_status: str = CURRENT
    due_on: date | None = None
    due_soon_from: date | None = None
    overdue_from: date | None = None
    last_completed_on: date | None = None
    hours_counted: Decimal | None = None
    hours_required: Decimal | None = None
    # The answer would be different without unverified self-reported CPD.
    rests_on_unverified: bool = False


@dataclass(frozen=True)
class Result:
    requirement: str
    status: str
    due_on: date | None
    overdue_since: date | None
    last_completed_on: date | None
    hours_counted: Decimal | None = None
    hours_required: Decimal | None = None
    rests_on_unverified: bool = False

    @property
    def hours_needed(self) -> Decimal | None:
        if self.hours_required is None:
            return None
        return max(self.hours_required - (self.hours_counted or Decimal(0)), Decimal(0))


def status_on(timeline: Timeline, day: date) -> str:
    if not timeline.applicable:
        return NOT_APPLICABLE
    if timeline.overdue_from is not None and day >= timeline.overdue_from:
        return OVERDUE
    if timeline.due_soon_from is not None and day >= timeline.due_soon_from:
        return DUE_SOON
    return timeline.first_status


def qualifies(rule: Rule, fact: Fact) -> bool:
    return bool(fact.requirement_codes & (rule.counts_from | {rule.code})) or fact.delivery_mode in rule.qualifying_modes


def _applicable_since(rule: Rule, roles: Iterable[RoleSpell], as_of: date) -> date | None:
    """The start of the unbroken spell of applicable roles that includes `as_of`, or None
    when no applicable role is held that day."""
    spells = sorted((r for r in roles if r.job_role in rule.job_roles and r.started_on <= as_of), key=lambda r: r.started_on)
    if not any(spell.holds_on(as_of) for spell in spells):
        return None
    start = None
    reach: date | None = None  # the furthest end date of the spell being built (None = open)
    for spell in spells:
        if start is None or (reach is not None and spell.started_on > reach + timedelta(days=1)):
            start, reach = spell.started_on, spell.ended_on
        elif reach is not None:
            reach = None if spell.ended_on is None else max(reach, spell.ended_on)
    return start


def _with_deadline(rule: Rule, due_on: date, last: date | None, first: str = CURRENT, **extra) -> Timeline:
    overdue_from = due_on + timedelta(days=rule.grace_days + 1)
    due_soon_from = due_on - timedelta(days=rule.soon_days)
    if last is not None:
        due_soon_from = max(due_soon_from, min(last + timedelta(days=1), due_on))
    return Timeline(
        applicable=True, first_status=first, due_on=due_on, due_soon_from=due_soon_from,
        overdue_from=overdue_from, last_completed_on=last, **extra,
    )


def _not_done(rule: Rule, since: date, last: date | None = None, **extra) -> Timeline:
    """Never met: not yet due until the induction deadline, then overdue."""
    deadline = since + timedelta(days=rule.induction_days)
    return Timeline(
        applicable=True, first_status=NOT_YET_DUE, due_on=deadline, due_soon_from=None,
        overdue_from=deadline + timedelta(days=1), last_completed_on=last, **extra,
    )


def _academic_year_start(day: date) -> int:
    return day.year if day.month >= 9 else day.year - 1


def timeline(rule: Rule, completions: Iterable[Fact], roles: Iterable[RoleSpell], as_of: date) -> Timeline:
    """Where the person stands. When unverified facts (self-reported CPD nobody has
    verified) count and the answer without them would differ (another status, date or
    number of hours), the timeline is marked `rests_on_unverified`."""
    facts = list(completions)
    line = _timeline(rule, facts, roles, as_of)
    if not line.applicable:
        return line
    unverified = [f for f in facts if not f.verified and f.completed_on <= as_of and qualifies(rule, f)]
    if not unverified:
        return line
    without = _timeline(rule, [f for f in facts if f.verified], roles, as_of)
    if _answer(without) != _answer(line):
        return replace(line, rests_on_unverified=True)
    return line


def _answer(line: Timeline) -> tuple:
    """What a page shows of a timeline (not which completion was the last)."""
    return (line.first_status, line.due_on, line.due_soon_from, line.overdue_from, line.hours_counted)


def _timeline(rule: Rule, completions: Iterable[Fact], roles: Iterable[RoleSpell], as_of: date) -> Timeline:
    since = _applicable_since(rule, roles, as_of)
    if since is None:
        return Timeline(applicable=False, first_status=NOT_APPLICABLE)
    facts = sorted((f for f in completions if f.completed_on <= as_of and qualifies(rule, f)), key=lambda f: f.completed_on)
    last = facts[-1].completed_on if facts else None

    if rule.kind == "rolling-hours":
        required = Decimal(rule.hours_required or 0)
        months = rule.window_months or 36
        window_start = add_months(as_of, -months)
        counted = sum((f.hours for f in facts if f.completed_on >= window_start), Decimal(0))
        extra = {"hours_counted": counted, "hours_required": required}
        total = Decimal(0)
        for fact in reversed(facts):  # most recent first: the oldest needed expires first
            total += fact.hours
            if total >= required:
                return _with_deadline(rule, add_months(fact.completed_on, months), last, **extra)
        return _not_done(rule, since, last, **extra)

    if rule.kind == "per-edition":
        edition = rule.edition_date
        done = [f for f in facts if edition is None or f.completed_on >= edition]
        if done:
            return Timeline(applicable=True, first_status=CURRENT, last_completed_on=done[-1].completed_on)
        start = max(since, edition) if edition else since
        return _not_done(rule, start, last)

    if last is None:
        return _not_done(rule, since)

    if rule.kind == "academic-year":
        year = _academic_year_start(last)
        due_on = date(year + 1, rule.deadline_month, rule.deadline_day)
        return _with_deadline(rule, due_on, last)

    # interval and once
    if rule.period_months is None:
        return Timeline(applicable=True, first_status=CURRENT, last_completed_on=last)
    return _with_deadline(rule, add_months(last, rule.period_months), last)


def evaluate(rule: Rule, completions: Iterable[Fact], roles: Iterable[RoleSpell], as_of: date) -> Result:
    line = timeline(rule, completions, roles, as_of)
    status = status_on(line, as_of)
    overdue_since = line.overdue_from if status == OVERDUE else None
    return Result(
        requirement=rule.code,
        status=status,
        due_on=line.due_on if line.applicable else None,
        overdue_since=overdue_since,
        last_completed_on=line.last_completed_on,
        hours_counted=line.hours_counted,
        hours_required=line.hours_required,
        rests_on_unverified=line.rests_on_unverified,
    )
