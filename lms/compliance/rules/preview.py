"""The effect of a proposed change, before it is saved: "This change makes 312 people
overdue, 40 due soon; 1,204 stay current." Nothing is written: the proposed rule is built
in memory (changes.plan_change), each affected person's status under it comes from the
pure calculation, and their status under the current rules is read from the status table.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select

from lms.accounts.models import User
from lms.compliance import engine, services as compliance
from lms.compliance.models import ComplianceStatus
from lms.compliance.rules.changes import Change, affected_people, plan_change
from lms.compliance.rules.wording import describe_change
from lms.core.time import london_today
from lms.extensions import db
from lms.organisations.models import Organisation

STATUS_LABELS = {
    engine.OVERDUE: "Overdue",
    engine.DUE_SOON: "Due soon",
    engine.CURRENT: "Current",
    engine.NOT_YET_DUE: "Not yet due",
    engine.NOT_APPLICABLE: "Not required",
}
# The order statuses are listed in, most urgent first.
STATUS_ORDER = (engine.OVERDUE, engine.DUE_SOON, engine.NOT_YET_DUE, engine.CURRENT, engine.NOT_APPLICABLE)

CHUNK = 1000


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
        select(ComplianceStatus.user_id, compliance.status_expression(as_of), ComplianceStatus.due_on).where(
            ComplianceStatus.requirement_id == requirement_id, ComplianceStatus.user_id.in_(user_ids)
        )
    )
    return {user_id: (status, due_on) for user_id, status, due_on in rows}


def preview(change: Change, *, now: datetime, sample_size: int = 5) -> Preview:
    """The effect of a change on today's statuses, without writing anything.

    Before: each person's row in the status table (no row: not required). After: the pure
    calculation with the proposed rule, built in memory. People whose requirement does not
    apply either side are left out."""
    plan = plan_change(change)
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
        facts = compliance.facts_for(chunk)
        roles = compliance.roles_for(chunk)
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
