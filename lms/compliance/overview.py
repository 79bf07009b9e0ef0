"""The admin overview: statuses counted by sector, organisation type, area and
organisation. It reads the kept counts (ComplianceCount: per organisation, sector, type
and area, per requirement and for all) when asked about the day they hold, so it reads a
few rows per table whatever the number of people; for any other day it counts the
status table.

Plain functions over the ORM; they take the date to report on and never read the request.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from sqlalchemy import Float, bindparam, case, cast, func, literal, select, union_all

from lms.accounts.models import User
from lms.compliance import engine, services
from lms.compliance.models import ComplianceCount, ComplianceStatus, Requirement
from lms.compliance.queries import URGENCY, kept_numbers, window_page
from lms.core.pagination import Page, paginate
from lms.extensions import db
from lms.organisations.models import Area, Organisation, OrganisationType, Sector

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
        found[row[0]][row[1]] = GroupCounts(row[1], row[2] or f"No {row[0]}", kept_numbers(row, 4))
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
    if sort == "name":
        order = (func.lower(Organisation.name), Organisation.id)
    else:
        share = cast(sums[engine.OVERDUE], Float) / total
        order = (share.desc(), func.lower(Organisation.name), Organisation.id)
    found = paginate(grouped.order_by(*order), page=page, per_page=per_page, rows=True)
    items = []
    for row in found.items:
        entry = GroupCounts(row.id, row.name)
        for value in URGENCY:
            entry.counts[value] = int(getattr(row, value.replace("-", "_")) or 0)
        items.append(entry)
    found.items = items
    return found


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
    organisations alongside (one statement; two for a page past the end), rather than
    lms.core.pagination.paginate's count and page: the admin overview's statements are a
    fixed figure the compliance benchmark checks (benchmarks/README.md, "Compliance")."""
    per_page = max(1, per_page)
    statement = _kept_organisations_statement(sort if sort == "name" else "overdue", requirement_id is not None)
    rows, total, number = window_page(statement, page, per_page, _kept_params(as_of, requirement_id), count_at=6)
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
