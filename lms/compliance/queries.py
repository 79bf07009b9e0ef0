"""Read-only queries behind the compliance pages.

- A person's training needs (the practitioner page and a lead's view of one person) come
  from the pure calculation, services.person_compliance, with the courses that count.
- The staff matrix and the admin overview read the maintained status table: the status on
  a day is services.status_expression(as_of), worked out in SQL, so a page runs the same
  few statements whether an organisation has 5 people or 500.
- The admin overview reads the kept counts (ComplianceCount: per organisation, sector,
  type and area, per requirement and for all) when asked about the day they hold, so it
  reads a few rows per table whatever the number of people; for any other day it counts
  the status table.

Plain functions over the ORM; they take the date to report on and never read the request.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache

from sqlalchemy import Float, and_, bindparam, case, cast, exists, func, literal, or_, select, union_all

from lms.accounts.models import PersonRole, User
from lms.catalogue.models import Course
from lms.compliance import engine, services
from lms.compliance.models import STRENGTHS, ComplianceCount, ComplianceStatus, Requirement
from lms.extensions import db
from lms.organisations.models import Area, JobRole, Organisation, OrganisationType, Sector
from lms.core.pagination import clamp_page, page_count
from lms.core.pagination import Page

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
        applicable): the words alone tell the statuses apart."""
        if self.status == engine.NOT_APPLICABLE:
            return "—"
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
    rules = services.load_rules()
    effective = rules.for_organisation(person.organisation_id)
    results = services.person_compliance(person, as_of=as_of, rules=rules)
    courses = courses_for_rules({item.requirement.code: effective[item.requirement.code] for item in results})
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


# --- the staff matrix: the status table for one organisation -------------------------------

SORT_NAME = "name"


@dataclass
class MatrixFilters:
    requirement: str | None = None  # a requirement code: only that column, only people it applies to
    status: str | None = None  # people with this status (on the chosen requirement, or on any)
    job_role_id: int | None = None  # people who currently hold this role
    search: str | None = None  # part of a name or email address
    sort: str = SORT_NAME  # "name", "-name", "<code>" (most urgent first) or "-<code>"


@dataclass
class MatrixRow:
    person_id: int
    name: str
    email: str
    roles: list[str]
    cells: dict[str, Cell]  # by requirement code; missing = not applicable
    line: list[Cell] = field(default_factory=list)  # the cells in the matrix's column order

    def cell(self, code: str) -> Cell:
        return self.cells.get(code, NOT_APPLICABLE_CELL)


@dataclass
class Matrix:
    organisation: Organisation
    as_of: date
    requirements: list[Requirement]  # the columns
    rows: list[MatrixRow]
    page: Page | None = None  # None when every row is included (exports)


@dataclass
class RequirementSummary:
    requirement: Requirement
    counts: dict[str, int]
    people: int  # people in scope (those it does not apply to are people - applicable)

    @property
    def applicable(self) -> int:
        return sum(self.counts.values())

    @property
    def not_applicable(self) -> int:
        return max(self.people - self.applicable, 0)

    def percent(self, status: str) -> int:
        return round(100 * self.counts.get(status, 0) / self.applicable) if self.applicable else 0


def organisation_requirements(organisation_id: int) -> list[Requirement]:
    """Active requirements that apply to at least one open account at the organisation,
    in the requirements' order (one statement): the matrix's possible columns."""
    in_use = (
        select(ComplianceStatus.requirement_id)
        .join(User, User.id == ComplianceStatus.user_id)
        .where(User.organisation_id == organisation_id, User.active.is_(True))
    )
    return list(
        db.session.scalars(
            select(Requirement)
            .where(Requirement.active.is_(True), Requirement.id.in_(in_use))
            .order_by(Requirement.position, Requirement.code)
        )
    )


@dataclass
class MatrixColumns:
    """The requirements that apply to someone at an organisation (the matrix's possible
    columns), and, when the kept counts hold the day asked about, its statuses counted per
    requirement for everyone there ({requirement id: {status: number}}), which is the
    matrix summary when no job role or name narrows it."""

    requirements: list[Requirement]
    kept: dict[int, dict[str, int]] | None = None


def matrix_columns(organisation_id: int, *, as_of: date) -> MatrixColumns:
    """MatrixColumns from the organisation's kept counts (one statement), or from the
    status table (organisation_requirements, one more) when it has none kept: before the
    first rebuild, or when nobody there has a requirement."""
    rows = db.session.execute(_KEPT_COLUMNS, {"organisation_id": organisation_id}).all()
    if not rows:
        return MatrixColumns(organisation_requirements(organisation_id))
    requirements = [row[0] for row in rows]
    kept = {row[0].id: _kept_numbers(row, 2) for row in rows} if rows[0][1] == as_of else None
    return MatrixColumns(requirements, kept)


_KEPT_COLUMNS = (
    select(Requirement, ComplianceCount.as_of, *[getattr(ComplianceCount, c) for c in services.COUNT_COLUMNS.values()])
    .join(
        ComplianceCount,
        and_(
            ComplianceCount.requirement_id == Requirement.id,
            ComplianceCount.scope == services.ORGANISATION,
            ComplianceCount.scope_id == bindparam("organisation_id"),
        ),
    )
    .where(Requirement.active.is_(True))
    .order_by(Requirement.position, Requirement.code)
)


def _people_in_scope(organisation_id: int, filters: MatrixFilters):
    """(query, parameters): open accounts at the organisation, narrowed by the job-role and
    name filters (the filters about people, not statuses). Run the query, or any statement
    built on it, with the parameters."""
    query = _scope_statement(filters.job_role_id is not None)
    params = {"organisation_id": organisation_id}
    if filters.job_role_id is not None:
        params["job_role_id"] = filters.job_role_id
    search = " ".join((filters.search or "").split()).lower()
    if search:
        query = query.where(
            or_(
                func.lower(User.full_name).contains(search, autoescape=True),
                func.lower(User.email).contains(search, autoescape=True),
            )
        )
    return query, params


@lru_cache(maxsize=2)
def _scope_statement(by_job_role: bool):
    """The people-in-scope query with the organisation (and job role) as bound parameters,
    built once per shape: building a statement costs more than running it here."""
    query = select(User.id).where(User.organisation_id == bindparam("organisation_id"), User.active.is_(True))
    if by_job_role:
        query = query.where(
            exists(
                select(PersonRole.id).where(
                    PersonRole.user_id == User.id,
                    PersonRole.job_role_id == bindparam("job_role_id"),
                    PersonRole.ended_on.is_(None),
                )
            )
        )
    return query


def _filtered_people(organisation_id: int, filters: MatrixFilters, requirements: list[Requirement], *, as_of: date):
    """_people_in_scope (query, parameters), the query also narrowed by the requirement and
    status filters."""
    query, params = _people_in_scope(organisation_id, filters)
    by_code = {r.code: r for r in requirements}
    chosen = by_code.get(filters.requirement or "")
    if chosen is None and filters.status is None:
        return query, params
    conditions = [ComplianceStatus.user_id == User.id]
    if chosen is not None:
        conditions.append(ComplianceStatus.requirement_id == chosen.id)
    else:
        conditions.append(ComplianceStatus.requirement_id.in_([r.id for r in requirements]))
    if filters.status is not None:
        conditions.append(services.status_expression(as_of) == filters.status)
    # Correlate on User only: the sort may join the status table in the outer query too.
    return query.where(exists(select(ComplianceStatus.id).where(*conditions).correlate(User))), params


def _sorted(query, sort: str, requirements: list[Requirement], *, as_of: date):
    """The people query with names and emails, in the order asked for. A status sort puts
    the most urgent first (overdue, due soon, not yet due, current, not applicable), the
    earliest date first within a status; '-' reverses it."""
    query = query.add_columns(User.full_name, User.email)
    name_order = (func.lower(User.full_name), User.id)
    descending = sort.startswith("-")
    key = sort[1:] if descending else sort
    by_code = {r.code: r for r in requirements}
    if key in by_code:
        requirement = by_code[key]
        query = query.outerjoin(
            ComplianceStatus,
            and_(ComplianceStatus.user_id == User.id, ComplianceStatus.requirement_id == requirement.id),
        )
        status = services.status_expression(as_of)
        rank = case(
            (ComplianceStatus.id.is_(None), literal(len(URGENCY))),
            *[(status == value, literal(index)) for index, value in enumerate(URGENCY)],
            else_=literal(len(URGENCY)),
        )
        no_date = case((ComplianceStatus.due_on.is_(None), 1), else_=0)
        if descending:
            return query.order_by(rank.desc(), no_date.desc(), ComplianceStatus.due_on.desc(), *name_order)
        return query.order_by(rank, no_date, ComplianceStatus.due_on, *name_order)
    if key == SORT_NAME and descending:
        return query.order_by(func.lower(User.full_name).desc(), User.id.desc())
    return query.order_by(*name_order)


def _cells(user_ids, requirements: list[Requirement], *, as_of: date, params: dict | None = None) -> dict[int, dict[str, Cell]]:
    """{person: {requirement code: Cell}} from the status table, in one statement.
    `user_ids` is a list, or a subquery of ids run with `params`."""
    codes = {r.id: r.code for r in requirements}
    result: dict[int, dict[str, Cell]] = {}
    if not codes:
        return result
    values = dict(params or {}, requirement_ids=list(codes))
    if isinstance(user_ids, list):
        rows = db.session.execute(_cells_statement(as_of), dict(values, user_ids=user_ids))
    else:
        rows = db.session.execute(_cells_query(as_of, ComplianceStatus.user_id.in_(user_ids)), values)
    made: dict[tuple, Cell] = {}
    for user_id, requirement_id, value, due_on, overdue_from in rows:
        since = overdue_from if value == engine.OVERDUE else None
        key = (value, due_on, since)
        cell = made.get(key)
        if cell is None:
            cell = made[key] = Cell(value, due_on, since)
        result.setdefault(user_id, {})[codes[requirement_id]] = cell
    return result


@lru_cache(maxsize=64)
def _cells_statement(as_of: date):
    """_cells' statement for a list of people, per day, with the people and requirements
    as bound parameters."""
    return _cells_query(as_of, ComplianceStatus.user_id.in_(bindparam("user_ids", expanding=True)))


def _cells_query(as_of: date, people):
    """The status rows of `people` (a condition) for the requirements bound as
    `requirement_ids`, with the status on `as_of`."""
    return select(
        ComplianceStatus.user_id, ComplianceStatus.requirement_id, services.status_expression(as_of),
        ComplianceStatus.due_on, ComplianceStatus.overdue_from,
    ).where(people, ComplianceStatus.requirement_id.in_(bindparam("requirement_ids", expanding=True)))


def _roles(user_ids, params: dict | None = None) -> dict[int, list[str]]:
    """The job roles each person holds now, in the roles' order (one statement).
    `user_ids` is a list, or a subquery of ids run with `params`."""
    result: dict[int, list[str]] = {}
    if isinstance(user_ids, list):
        rows = db.session.execute(_ROLES_STATEMENT, {"user_ids": user_ids})
    else:
        rows = db.session.execute(_roles_query(PersonRole.user_id.in_(user_ids)), params or {})
    for user_id, name in rows:
        result.setdefault(user_id, []).append(name)
    return result


def _roles_query(people):
    return (
        select(PersonRole.user_id, JobRole.name)
        .join(JobRole, JobRole.id == PersonRole.job_role_id)
        .where(people, PersonRole.ended_on.is_(None))
        .order_by(JobRole.position, JobRole.name)
    )


_ROLES_STATEMENT = _roles_query(PersonRole.user_id.in_(bindparam("user_ids", expanding=True)))


def _columns(requirements: list[Requirement], filters: MatrixFilters) -> list[Requirement]:
    chosen = [r for r in requirements if r.code == filters.requirement]
    return chosen or requirements


def matrix(
    organisation: Organisation,
    *,
    as_of: date,
    filters: MatrixFilters,
    requirements: list[Requirement],
    page: int | None = 1,
    per_page: int = 50,
) -> Matrix:
    """People (rows) by requirements (columns) for one organisation, from the status
    table. `requirements` are organisation_requirements(...). With `page` None every row is
    returned (for exports). Three statements for a page (people with their number,
    statuses, roles; one more for a page past the end); three for everything."""
    columns = _columns(requirements, filters)
    people, params = _filtered_people(organisation.id, filters, requirements, as_of=as_of)
    pager = None
    if page is not None:
        per_page = max(1, per_page)
        if filters.search or filters.requirement or filters.status:
            counted = _sorted(people, filters.sort, requirements, as_of=as_of).add_columns(func.count().over())
        else:
            counted = _plain_page_query(
                filters.job_role_id is not None, filters.sort, _sort_requirement(filters.sort, requirements), as_of,
            )
        page_rows, total, number = _window_page(counted, page, per_page, params, count_at=3)
        found = [(user_id, name, email) for user_id, name, email, _ in page_rows]
        ids = [row[0] for row in found]
        cells = _cells(ids, columns, as_of=as_of) if ids else {}
        roles = _roles(ids) if ids else {}
    else:
        found = db.session.execute(_sorted(people, filters.sort, requirements, as_of=as_of), params).all()
        ids_query = people.subquery()
        id_select = select(ids_query.c.id)
        cells = _cells(id_select, columns, as_of=as_of, params=params)
        roles = _roles(id_select, params)
    codes = [r.code for r in columns]
    rows = []
    for user_id, name, email in found:
        mine = cells.get(user_id, {})
        line = [mine.get(code, NOT_APPLICABLE_CELL) for code in codes]
        rows.append(MatrixRow(person_id=user_id, name=name, email=email, roles=roles.get(user_id, []), cells=mine, line=line))
    if page is not None:
        pager = Page(items=rows, total=total, page=number, per_page=per_page)
    return Matrix(organisation=organisation, as_of=as_of, requirements=columns, rows=rows, page=pager)


@dataclass(frozen=True)
class _SortKey:
    """The one requirement a status sort needs (its code and id), without the ORM object."""

    code: str
    id: int


def _sort_requirement(sort: str, requirements: list[Requirement]) -> _SortKey | None:
    code = sort.lstrip("-")
    return next((_SortKey(r.code, r.id) for r in requirements if r.code == code), None)


@lru_cache(maxsize=256)
def _plain_page_query(by_job_role: bool, sort: str, sort_requirement: _SortKey | None, as_of: date):
    """The people, in order, with their number as a window count, for the matrix without
    name, requirement or status filters: the commonest view, so it is built once per sort
    and day and then run with the organisation, job role, limit and offset as parameters."""
    people = _scope_statement(by_job_role)
    ordered = _sorted(people, sort, [sort_requirement] if sort_requirement else [], as_of=as_of)
    return ordered.add_columns(func.count().over())


def matrix_summary(
    organisation: Organisation, *, as_of: date, filters: MatrixFilters, requirements: list[Requirement],
    people: int | None = None, kept: dict[int, dict[str, int]] | None = None,
) -> tuple[int, list[RequirementSummary]]:
    """(people, counts per requirement and status) for the people the job-role and name
    filters select (the requirement and status filters narrow the table, not the summary).
    Two statements, or one when the caller already knows how many people that is, or none
    when it also has the organisation's kept counts for the day (MatrixColumns.kept) and
    no job role or name narrows them."""
    scope, params = _people_in_scope(organisation.id, filters)
    if people is None:
        people = db.session.scalar(select(func.count()).select_from(scope.subquery()), params) or 0
    counts: dict[int, dict[str, int]] = {}
    if kept is not None and filters.job_role_id is None and not filters.search:
        counts = kept
    elif requirements:
        params = dict(params, requirement_ids=[r.id for r in requirements])
        if filters.search:
            statement = _summary_statement(scope, as_of)
        else:
            statement = _kept_summary_statement(filters.job_role_id is not None, as_of)
        for requirement_id, value, number in db.session.execute(statement, params):
            counts.setdefault(requirement_id, {})[value] = number
    return people, [RequirementSummary(r, counts.get(r.id, {}), people) for r in requirements]


def _summary_statement(scope, as_of: date):
    """Statuses counted per requirement for the people `scope` selects, with the
    requirements as a bound parameter. It starts from the people (a join, not IN
    (subquery)), so SQLite walks their few rows rather than the whole status table's
    index."""
    people_in_scope = scope.subquery()
    statuses = (
        select(ComplianceStatus.requirement_id, services.status_expression(as_of).label("status"))
        .select_from(people_in_scope)
        .join(ComplianceStatus, ComplianceStatus.user_id == people_in_scope.c.id)
        .where(ComplianceStatus.requirement_id.in_(bindparam("requirement_ids", expanding=True)))
        .subquery()
    )
    return select(statuses.c.requirement_id, statuses.c.status, func.count()).group_by(
        statuses.c.requirement_id, statuses.c.status
    )


@lru_cache(maxsize=64)
def _kept_summary_statement(by_job_role: bool, as_of: date):
    """_summary_statement without a name search, built once per shape and day."""
    return _summary_statement(_scope_statement(by_job_role), as_of)


# --- the admin overview: counts by sector, type, area and organisation ----------------------

@dataclass
class GroupCounts:
    """Statuses counted for one group (a sector, type, area or organisation)."""

    key: int | None
    name: str
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def count(self, status: str) -> int:
        return self.counts.get(status, 0)

    def percent(self, status: str) -> int:
        return round(100 * self.count(status) / self.total) if self.total else 0


OVERVIEW_GROUPS = {
    "sector": ("Sector", Sector),
    "type": ("Organisation type", OrganisationType),
    "area": ("Area", Area),
}


def _counted(requirement_id: int | None):
    """The status rows the overview counts: open accounts with an organisation, one
    requirement or all active ones."""
    conditions = [User.active.is_(True), Requirement.active.is_(True)]
    if requirement_id is not None:
        conditions.append(ComplianceStatus.requirement_id == requirement_id)
    return conditions


_GROUP_COLUMNS = {"sector": Organisation.sector_id, "type": Organisation.type_id, "area": Organisation.area_id}


def _kept_counts(scope: str, requirement_given: bool) -> list:
    """Conditions on ComplianceCount for one scope: the day bound as `as_of`, and one
    requirement bound as `requirement_id` or all of them together."""
    return [
        ComplianceCount.as_of == bindparam("as_of"),
        ComplianceCount.scope == scope,
        ComplianceCount.requirement_id == bindparam("requirement_id") if requirement_given
        else ComplianceCount.requirement_id.is_(None),
    ]


def _kept_params(as_of: date, requirement_id: int | None, **more) -> dict:
    return dict(more, as_of=as_of, **({} if requirement_id is None else {"requirement_id": requirement_id}))


def _kept_numbers(row, offset: int) -> dict[str, int]:
    """{status: count} from a row's count columns (in services.COUNT_COLUMNS order), leaving
    out the noughts as the status table's counts do."""
    return {value: int(number) for value, number in zip(services.COUNT_COLUMNS, row[offset:offset + 4]) if number}


def overview_by(group: str, *, as_of: date, requirement_id: int | None = None, counted: bool = False) -> list[GroupCounts]:
    """Counts of statuses by sector, organisation type or area (one statement). Each
    counts a person's requirement once: someone with three requirements counts three
    times unless a requirement is chosen. With `counted` it reads the kept counts instead
    of the status table (see overview)."""
    _, model = OVERVIEW_GROUPS[group]
    column = _GROUP_COLUMNS[group]
    if counted:
        return _kept_groups((group,), as_of=as_of, requirement_id=requirement_id)[group]
    # The status is worked out in a subquery and grouped outside it, so the grouping
    # does not repeat an expression with bound dates (PostgreSQL would not match them).
    statuses = (
        select(column.label("key"), services.status_expression(as_of).label("status"))
        .select_from(ComplianceStatus)
        .join(Requirement, Requirement.id == ComplianceStatus.requirement_id)
        .join(User, User.id == ComplianceStatus.user_id)
        .join(Organisation, Organisation.id == User.organisation_id)
        .where(*_counted(requirement_id))
        .subquery()
    )
    query = (
        select(statuses.c.key, model.name, statuses.c.status, func.count())
        .select_from(statuses)
        .outerjoin(model, model.id == statuses.c.key)
        .group_by(statuses.c.key, model.name, model.position, statuses.c.status)
        .order_by(model.position, model.name)
    )
    groups: dict[int | None, GroupCounts] = {}
    for key, name, value, number in db.session.execute(query):
        entry = groups.setdefault(key, GroupCounts(key, name or f"No {group}"))
        entry.counts[value] = entry.counts.get(value, 0) + number
    return _groups_in_order(groups)


def overview_groups(*, as_of: date, requirement_id: int | None = None, counted: bool = False) -> dict[str, list[GroupCounts]]:
    """overview_by for every grouping (sector, type, area), in OVERVIEW_GROUPS order. From
    the kept counts that is one statement (the three groupings' rows together); from the
    status table, one per grouping."""
    if not counted:
        return {group: overview_by(group, as_of=as_of, requirement_id=requirement_id) for group in OVERVIEW_GROUPS}
    return _kept_groups(tuple(OVERVIEW_GROUPS), as_of=as_of, requirement_id=requirement_id)


def _kept_groups(groups: tuple[str, ...], *, as_of: date, requirement_id: int | None) -> dict[str, list[GroupCounts]]:
    """{grouping: its rows} from the kept counts for `as_of`, for the groupings asked for,
    in one statement (their rows together). No rows when the counts hold another day."""
    rows = db.session.execute(_kept_groups_statement(groups, requirement_id is not None), _kept_params(as_of, requirement_id))
    found: dict[str, dict[int | None, GroupCounts]] = {group: {} for group in groups}
    for row in rows:
        found[row[0]][row[1]] = GroupCounts(row[1], row[2] or f"No {row[0]}", _kept_numbers(row, 4))
    return {group: _groups_in_order(found[group]) for group in groups}


@lru_cache(maxsize=16)
def _kept_groups_statement(groups: tuple[str, ...], requirement_given: bool):
    """_kept_groups' statement, built once per shape (the day and requirement are bound)."""
    parts = []
    for group in groups:
        _, model = OVERVIEW_GROUPS[group]
        parts.append(
            select(
                literal(group).label("grouping"), ComplianceCount.scope_id.label("key"), model.name.label("name"),
                model.position.label("position"),
                *[getattr(ComplianceCount, c).label(c) for c in services.COUNT_COLUMNS.values()],
            )
            .select_from(ComplianceCount)
            .outerjoin(model, model.id == ComplianceCount.scope_id)
            .where(*_kept_counts(group, requirement_given))
        )
    rows_of = (union_all(*parts) if len(parts) > 1 else parts[0]).subquery()
    return select(rows_of).order_by(rows_of.c.grouping, rows_of.c.position, rows_of.c.name)


def _groups_in_order(groups: dict[int | None, GroupCounts]) -> list[GroupCounts]:
    """In the query's order, with the group of organisations that have none last."""
    ordered = [g for k, g in groups.items() if k is not None]
    if None in groups:
        ordered.append(groups[None])
    return ordered


def overview_total(groups: list[GroupCounts]) -> GroupCounts:
    """Everything counted, from any one complete grouping (no extra statement)."""
    total = GroupCounts(None, "Everyone counted")
    for group in groups:
        for status, number in group.counts.items():
            total.counts[status] = total.counts.get(status, 0) + number
    return total


ORGANISATION_SORTS = ("overdue", "name")


def overview_organisations(
    *, as_of: date, requirement_id: int | None = None, sort: str = "overdue", page: int = 1, per_page: int = 25,
    counted: bool = False,
) -> Page:
    """One page of organisations with their counts (two statements), by the share of
    statuses that are overdue (highest first) or by name. With `counted` it reads the
    kept counts instead of the status table."""
    if counted:
        return _kept_organisations(as_of=as_of, requirement_id=requirement_id, sort=sort, page=page, per_page=per_page)
    status = services.status_expression(as_of)
    sums = {value: func.sum(case((status == value, 1), else_=0)) for value in URGENCY}
    total = func.count(ComplianceStatus.id)
    grouped = (
        select(
            Organisation.id, Organisation.name,
            *[expression.label(value.replace("-", "_")) for value, expression in sums.items()],
            total.label("total"),
        )
        .select_from(ComplianceStatus)
        .join(Requirement, Requirement.id == ComplianceStatus.requirement_id)
        .join(User, User.id == ComplianceStatus.user_id)
        .join(Organisation, Organisation.id == User.organisation_id)
        .where(*_counted(requirement_id))
        .group_by(Organisation.id, Organisation.name)
    )
    count = db.session.scalar(select(func.count()).select_from(grouped.subquery())) or 0
    per_page = max(1, per_page)
    number = clamp_page(page, count, per_page)
    if sort == "name":
        order = (func.lower(Organisation.name), Organisation.id)
    else:
        share = cast(sums[engine.OVERDUE], Float) / total
        order = (share.desc(), func.lower(Organisation.name), Organisation.id)
    rows = db.session.execute(grouped.order_by(*order).limit(per_page).offset((number - 1) * per_page))
    items = []
    for row in rows:
        entry = GroupCounts(row.id, row.name)
        for value in URGENCY:
            entry.counts[value] = int(getattr(row, value.replace("-", "_")) or 0)
        items.append(entry)
    return Page(items=items, total=count, page=number, per_page=per_page)


def overview(
    *, as_of: date, requirement_id: int | None = None, sort: str = "overdue", page: int = 1, per_page: int = 25,
) -> tuple[dict[str, list[GroupCounts]], Page]:
    """The admin overview's tables: counts by sector, type and area (overview_groups) and
    a page of organisations (overview_organisations). From the kept counts when they hold
    `as_of` (two statements), else from the status table: kept counts for another day, or
    none yet, give no rows, and an empty answer is counted again there, where it is quick."""
    groups = _kept_groups(tuple(OVERVIEW_GROUPS), as_of=as_of, requirement_id=requirement_id)
    counted = bool(groups["sector"])  # every kept organisation row is in a sector row
    if not counted:
        groups = overview_groups(as_of=as_of, requirement_id=requirement_id)
    organisations = overview_organisations(
        as_of=as_of, requirement_id=requirement_id, sort=sort, page=page, per_page=per_page, counted=counted,
    )
    return groups, organisations


def _kept_organisations(*, as_of: date, requirement_id: int | None, sort: str, page: int, per_page: int) -> Page:
    """overview_organisations from the kept counts: one row per organisation, read in
    order from an index on the organisation's kept sort keys, with the number of
    organisations alongside (one statement; two for a page past the end)."""
    per_page = max(1, per_page)
    statement = _kept_organisations_statement(sort if sort == "name" else "overdue", requirement_id is not None)
    rows, total, number = _window_page(statement, page, per_page, _kept_params(as_of, requirement_id), count_at=6)
    items = []
    for row in rows:
        entry = GroupCounts(row[0], row[1])
        for value, amount in zip(services.COUNT_COLUMNS, row[2:6]):
            entry.counts[value] = int(amount or 0)
        items.append(entry)
    return Page(items=items, total=total, page=number, per_page=per_page)


@lru_cache(maxsize=4)
def _kept_organisations_statement(sort: str, requirement_given: bool):
    """The organisations' kept rows in the page's order, each with the number of them (a
    scalar subquery, worked out once: a window count would make the database read every
    row before it could stop at the page)."""
    conditions = _kept_counts(services.ORGANISATION, requirement_given)
    if sort == "name":
        order = (ComplianceCount.sort_name, ComplianceCount.scope_id)
    else:
        order = (ComplianceCount.overdue_share.desc(), ComplianceCount.sort_name, ComplianceCount.scope_id)
    number = select(func.count()).select_from(ComplianceCount).where(*conditions).scalar_subquery()
    return (
        select(
            Organisation.id, Organisation.name, *[getattr(ComplianceCount, c) for c in services.COUNT_COLUMNS.values()],
            number,
        )
        .select_from(ComplianceCount)
        .join(Organisation, Organisation.id == ComplianceCount.scope_id)
        .where(*conditions)
        .order_by(*order)
    )


def _window_page(query, page: int, per_page: int, params: dict | None, *, count_at: int) -> tuple[list, int, int]:
    """(rows, total, page number) for one page of `query`, whose column `count_at` is
    count(*) OVER () (the number of rows without the limit). One statement for a page that
    exists; a page past the end is answered with the last page, which takes another."""
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
