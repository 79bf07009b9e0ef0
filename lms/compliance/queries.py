"""Read-only queries behind the compliance pages: the words for statuses and dates, a
matrix cell, and one person's training needs (the practitioner page and a lead's view of
one person), which come from the pure calculation, services.person_compliance, with the
courses that count. The staff matrix's reads are in matrix.py, the admin overview's in
overview.py; the two helpers they share are at the end.

Plain functions over the ORM; they take the date to report on and never read the request.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import bindparam, func, select

from lms.accounts.models import User
from lms.catalogue.models import Course
from lms.compliance import engine, kept_rules, services
from lms.compliance.models import STRENGTHS, Requirement
from lms.core.pagination import page_count
from lms.extensions import db

# --- words for statuses and dates ------------------------------------------------------

STATUS_LABELS = {
    engine.OVERDUE: "Overdue",
    engine.DUE_SOON: "Due soon",
    engine.NOT_YET_DUE: "Not yet due",
    engine.CURRENT: "Current",
    engine.NOT_APPLICABLE: "Not applicable",
}
# GOV.UK tag colours. The tag always carries the words too: colour is never the only cue.
STATUS_TAG_CLASSES = {
    engine.OVERDUE: "govuk-tag--red",
    engine.DUE_SOON: "govuk-tag--orange",
    engine.NOT_YET_DUE: "",  # the default tag (blue)
    engine.CURRENT: "govuk-tag--green",
    engine.NOT_APPLICABLE: "govuk-tag--grey",
}
# Said beside every status that rests on self-reported CPD nobody has verified yet.
UNVERIFIED_WORDS = "unverified CPD"
UNVERIFIED_SENTENCE = "This rests on self-reported CPD that a setting lead has not verified yet."
# Most urgent first: the order of the practitioner page and of a status sort.
URGENCY = (engine.OVERDUE, engine.DUE_SOON, engine.NOT_YET_DUE, engine.CURRENT)
# The statuses the filters and the counts offer (a status row is always applicable).
FILTER_STATUSES = {status: STATUS_LABELS[status] for status in URGENCY}

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_LONG_MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
    "November", "December",
)


def short_date(value: date) -> str:
    """'11 Sep 2026', for table cells (independent of the server's locale)."""
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"


def long_date(value: date) -> str:
    """'11 September 2026'."""
    return f"{value.day} {_LONG_MONTHS[value.month - 1]} {value.year}"


def hours_number(value: Decimal | float | None) -> str:
    """2 -> '2', 1.50 -> '1.5'."""
    return f"{Decimal(value or 0):.2f}".rstrip("0").rstrip(".")


def strength_label(code: str | None) -> str:
    return STRENGTHS.get(code or "", code or "Not recorded")


@dataclass(frozen=True)
class Cell:
    """One person's status on one requirement, as the matrix shows it."""

    status: str
    due_on: date | None = None
    overdue_since: date | None = None
    # The status rests on self-reported CPD nobody has verified yet.
    unverified: bool = False

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def tag_classes(self) -> str:
        return STATUS_TAG_CLASSES[self.status]

    @property
    def applicable(self) -> bool:
        return self.status != engine.NOT_APPLICABLE

    @property
    def text(self) -> str:
        """'Overdue since 11 Sep 2026', 'Due 10 Sep 2026' (due soon), 'Not yet due (by 30
        Jan 2027)' (a new starter), 'Current to 10 Sep 2026', 'No expiry' or '—' (not
        applicable): the words alone tell the statuses apart. A status that rests on
        unverified self-reported CPD ends '(unverified CPD)'."""
        if self.status == engine.NOT_APPLICABLE:
            return "—"
        if self.unverified:
            return f"{self._words()} ({UNVERIFIED_WORDS})"
        return self._words()

    def _words(self) -> str:
        if self.status == engine.OVERDUE:
            if self.overdue_since is not None:
                return f"Overdue since {short_date(self.overdue_since)}"
            return "Overdue"
        if self.due_on is None:
            return "No expiry"
        if self.status == engine.CURRENT:
            return f"Current to {short_date(self.due_on)}"
        if self.status == engine.NOT_YET_DUE:
            return f"Not yet due (by {short_date(self.due_on)})"
        return f"Due {short_date(self.due_on)}"


NOT_APPLICABLE_CELL = Cell(engine.NOT_APPLICABLE)


# --- one person: the pure calculation ------------------------------------------------------

@dataclass(frozen=True)
class Need:
    """A requirement that applies to a person, where they stand, and the courses that count."""

    requirement: Requirement
    rule: engine.Rule
    result: engine.Result
    courses: list[Course]

    @property
    def status(self) -> str:
        return self.result.status

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def tag_classes(self) -> str:
        return STATUS_TAG_CLASSES[self.status]

    @property
    def strength(self) -> str:
        return strength_label(self.requirement.strength)

    @property
    def unverified(self) -> bool:
        return self.result.rests_on_unverified

    @property
    def is_hours_rule(self) -> bool:
        return self.rule.kind == "rolling-hours"

    @property
    def status_text(self) -> str:
        """The sentence beside the tag. Never a made-up date: no due date, no date shown."""
        result = self.result
        if result.status == engine.OVERDUE:
            since = result.overdue_since or result.due_on
            text = f"Overdue since {long_date(since)}" if since else "Overdue"
            if result.due_on is not None and since != result.due_on:
                text += f" (it was due by {long_date(result.due_on)})"
            return text
        if result.status == engine.DUE_SOON:
            return f"Due by {long_date(result.due_on)}" if result.due_on else "Due soon"
        if result.status == engine.NOT_YET_DUE:
            who = "New edition" if self.rule.kind == "per-edition" else "New starter"
            return f"{who}: due by {long_date(result.due_on)}" if result.due_on else who
        # current
        if result.due_on is not None:
            return f"Valid until {long_date(result.due_on)}"
        if self.rule.kind == "per-edition":
            return "Done for the current edition"
        return "No national expiry"

    @property
    def hours_text(self) -> str | None:
        """'6 of 12 hours in the last 36 months; 6 more needed' for hours rules."""
        if not self.is_hours_rule or self.result.hours_required is None:
            return None
        counted = self.result.hours_counted or Decimal(0)
        text = (
            f"{hours_number(counted)} of {hours_number(self.result.hours_required)} hours "
            f"in the last {self.rule.window_months or 36} months"
        )
        needed = self.result.hours_needed or Decimal(0)
        if needed > 0:
            text += f"; {hours_number(needed)} more needed"
        return text


def courses_for_rules(rules: dict[str, engine.Rule]) -> dict[str, list[Course]]:
    """The active courses that count towards each requirement: those whose
    requirement_codes include it, or whose delivery mode the rule accepts (one statement;
    the catalogue is small)."""
    courses = list(db.session.scalars(select(Course).where(Course.active.is_(True)).order_by(Course.title)))
    result: dict[str, list[Course]] = {}
    for code, rule in rules.items():
        result[code] = [
            course for course in courses
            if code in (course.requirement_codes or ()) or course.delivery_mode in rule.qualifying_modes
        ]
    return result


def training_needs(person: User, *, as_of: date) -> list[Need]:
    """Every requirement that applies to `person` on `as_of`, most urgent first (overdue,
    due soon, not yet due, current), then in the requirements' own order."""
    kept = kept_rules.rule_set()
    rules = kept.rules
    effective = rules.for_organisation(person.organisation_id)
    results = services.person_compliance(person, as_of=as_of, rules=rules)
    courses = kept.courses_for({item.requirement.code: effective[item.requirement.code] for item in results})
    return by_urgency([
        Need(item.requirement, effective[item.requirement.code], item.result, courses[item.requirement.code])
        for item in results
    ])


_URGENCY_ORDER = {status: index for index, status in enumerate(URGENCY)}


def by_urgency(needs: list[Need]) -> list[Need]:
    """Most urgent first (overdue, due soon, not yet due, current), then in the
    requirements' own order."""
    return sorted(needs, key=lambda need: (_URGENCY_ORDER.get(need.status, len(_URGENCY_ORDER)),
                                           need.requirement.position, need.requirement.code))


# --- shared by the matrix and the overview ---------------------------------------------------

def kept_numbers(row, offset: int) -> dict[str, int]:
    """{status: count} from a row's count columns (in services.COUNT_COLUMNS order), leaving
    out the noughts as the status table's counts do."""
    return {value: int(number) for value, number in zip(services.COUNT_COLUMNS, row[offset:offset + 4]) if number}


def window_page(query, page: int, per_page: int, params: dict | None, *, count_at: int) -> tuple[list, int, int]:
    """(rows, total, page number) for one page of `query`, whose column `count_at` is
    count(*) OVER () (the number of rows without the limit). One statement for a page that
    exists; a page past the end is answered with the last page, which takes another.

    Kept rather than lms.core.pagination.paginate (two statements, a count and the page):
    folding the count into the page took the staff matrix from 10 statements a request to
    9 (benchmarks/README.md, "6 December 2026", measured at size M), and db.paginate
    returns only the first column of each row, where these rows are several columns."""
    number = max(1, page)
    paged = query.limit(bindparam("limit")).offset(bindparam("offset"))
    rows = db.session.execute(paged, dict(params or {}, limit=per_page, offset=(number - 1) * per_page)).all()
    if rows:
        return rows, rows[0][count_at], number
    if number == 1:
        return rows, 0, 1
    total = db.session.scalar(select(func.count()).select_from(query.subquery()), params or {}) or 0
    last = page_count(total, per_page)
    rows = db.session.execute(paged, dict(params or {}, limit=per_page, offset=(last - 1) * per_page)).all()
    return rows, total, last
