"""The staff matrix: people (rows) by requirements (columns) for one organisation, and
its summary counts, read from the maintained status table. The status on a day is
services.status_expression(as_of), worked out in SQL, so a page runs the same few
statements whether an organisation has 5 people or 500. The statements of the commonest
shapes are built once per process and run with bound parameters (benchmarks/README.md,
"Compliance").

Plain functions over the ORM; they take the date to report on and never read the request.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from sqlalchemy import and_, bindparam, case, exists, func, literal, or_, select

from lms.accounts.models import PersonRole, User
from lms.compliance import engine, services
from lms.compliance.models import ComplianceCount, ComplianceStatus, Requirement
from lms.compliance.queries import NOT_APPLICABLE_CELL, URGENCY, Cell, kept_numbers, window_page
from lms.core.pagination import Page
from lms.extensions import db
from lms.organisations.models import JobRole, Organisation

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
    kept = {row[0].id: kept_numbers(row, 2) for row in rows} if rows[0][1] == as_of else None
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
    for user_id, requirement_id, value, due_on, overdue_from, unverified in rows:
        since = overdue_from if value == engine.OVERDUE else None
        key = (value, due_on, since, bool(unverified))
        cell = made.get(key)
        if cell is None:
            cell = made[key] = Cell(value, due_on, since, bool(unverified))
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
        ComplianceStatus.due_on, ComplianceStatus.overdue_from, ComplianceStatus.rests_on_unverified,
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
        page_rows, total, number = window_page(counted, page, per_page, params, count_at=3)
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
