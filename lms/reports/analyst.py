"""What analysts read into Power BI or Excel (DESIGN.md section 8, "For analysts"): the
training record as a feed of completions that can be read again from where the last read
stopped (`changed_since`), with the completions taken off the record since, and compliance counted by organisation and requirement in one
table. The uptake figures as a long table are services.long_table.

Plain queries: they take what to read, never the request, and run a fixed number of
statements whatever the number of rows.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Select, case, func, select

from lms.accounts.models import User
from lms.catalogue.models import Course
from lms.compliance import engine
from lms.compliance import services as compliance
from lms.compliance.models import ComplianceCount, ComplianceStatus, Requirement
from lms.core.errors import DomainError
from lms.extensions import db
from lms.organisations.models import Area, Organisation, OrganisationType, Sector
from lms.records.models import Completion, CompletionRemoval
from lms.reports.services import AppliedFilter, filter_conditions

# --- the completions feed -----------------------------------------------------------------------------


def completions_feed(
    filters: list[AppliedFilter],
    *,
    start: date | None = None,
    end: date | None = None,
    changed_since: datetime | None = None,
    people: Select | None = None,
) -> Select:
    """Completions as rows for analysts, oldest change first (updated_at, then id, so a
    page boundary never moves): each with the person's id, the course and delivery mode,
    the organisation at the time with its type and area codes now, and the sector code at
    the time. Limited to `filters` (resolved uptake filters, on the same terms as the
    uptake figures), completed from `start` to `end` (both included), changed after
    `changed_since`, and to the people ids `people` selects (None: everyone). One
    statement for a page."""
    organisation_type, area, sector = OrganisationType.__table__.alias("feed_type"), Area.__table__.alias("feed_area"), \
        Sector.__table__.alias("feed_sector")
    conditions, _ = filter_conditions(filters)
    if start is not None:
        conditions.append(Completion.completed_on >= start)
    if end is not None:
        conditions.append(Completion.completed_on <= end)
    if changed_since is not None:
        conditions.append(Completion.updated_at > changed_since)
    if people is not None:
        conditions.append(Completion.user_id.in_(people))
    return (
        select(
            Completion.id, Completion.user_id.label("person_id"), Completion.title, Course.code.label("course"),
            Completion.delivery_mode, Completion.completed_on, Completion.cpd_hours, Completion.score,
            Completion.source, Completion.self_reported, Completion.organisation_id,
            Organisation.name.label("organisation"), organisation_type.c.code.label("organisation_type"),
            area.c.code.label("area"), sector.c.code.label("sector"), Completion.created_at, Completion.updated_at,
        )
        .select_from(Completion)
        .outerjoin(Course, Course.id == Completion.course_id)
        .outerjoin(Organisation, Organisation.id == Completion.organisation_id)
        .outerjoin(organisation_type, organisation_type.c.id == Organisation.type_id)
        .outerjoin(area, area.c.id == Organisation.area_id)
        .outerjoin(sector, sector.c.id == Completion.sector_id)
        .where(*conditions)
        .order_by(Completion.updated_at, Completion.id)
    )


def removals_feed(*, changed_since: datetime | None = None, people: Select | None = None) -> Select:
    """Completions taken off the record, for analysts, oldest first (removed_at, then id):
    each with the completion's id and when it went. Removed after `changed_since`, and of
    the people ids `people` selects (None: everyone). One statement for a page."""
    conditions = []
    if changed_since is not None:
        conditions.append(CompletionRemoval.removed_at > changed_since)
    if people is not None:
        conditions.append(CompletionRemoval.user_id.in_(people))
    return (
        select(CompletionRemoval.completion_id.label("id"), CompletionRemoval.user_id.label("person_id"),
               CompletionRemoval.removed_at)
        .where(*conditions)
        .order_by(CompletionRemoval.removed_at, CompletionRemoval.id)
    )


def lead_people(organisation_ids: list[int]) -> Select:
    """The ids of the people recorded at these organisations now (a setting lead's staff)."""
    return select(User.id).where(User.organisation_id.in_(organisation_ids))


# --- compliance by organisation and requirement -------------------------------------------------------

@dataclass(frozen=True)
class ComplianceCountRow:
    organisation_id: int
    organisation: str
    organisation_type: str
    sector: str
    area: str | None
    requirement: str
    current: int
    due_soon: int
    overdue: int
    not_yet_due: int
    total: int


def _codes(table, codes: tuple[str, ...], what: str, field: str) -> list[int]:
    """The ids of these codes; an unknown one is a DomainError listing the known ones."""
    found = dict(db.session.execute(select(table.code, table.id).where(table.code.in_(codes))).all())
    unknown = [code for code in codes if code not in found]
    if unknown:
        allowed = list(db.session.scalars(select(table.code).order_by(table.position, table.code)))
        raise DomainError(f"{field} must be one or more of these {what} codes, separated by commas: "
                          f"{', '.join(allowed)}. “{unknown[0][:40]}” is not one of them", field=field)
    return [found[code] for code in codes]


def compliance_by_organisation(
    *,
    as_of: date,
    organisation_ids: list[int] | None = None,
    sectors: tuple[str, ...] = (),
    organisation_types: tuple[str, ...] = (),
    areas: tuple[str, ...] = (),
    requirements: tuple[str, ...] = (),
) -> list[ComplianceCountRow]:
    """Statuses counted by organisation and requirement, as the admin overview counts them
    (open accounts recorded at an organisation, active requirements, each person once per
    requirement that applies to them), by organisation name then requirement. From the
    kept counts when they hold `as_of`, else from the status table: two statements (the
    day the counts hold, then the rows), and one more per filter given (its codes)."""
    conditions = []
    if organisation_ids is not None:
        conditions.append(Organisation.id.in_(organisation_ids))
    for codes, model, what, field, column in (
        (sectors, Sector, "sector", "sector", Organisation.sector_id),
        (organisation_types, OrganisationType, "organisation type", "organisation_type", Organisation.type_id),
        (areas, Area, "area", "area", Organisation.area_id),
        (requirements, Requirement, "requirement", "requirement", Requirement.id),
    ):
        if codes:
            conditions.append(column.in_(_codes(model, codes, what, field)))
    kept = compliance.counted_day() == as_of
    names = (Organisation.id, Organisation.name, OrganisationType.code, Sector.code, Area.code, Requirement.code)
    if kept:
        numbers = [getattr(ComplianceCount, compliance.COUNT_COLUMNS[s]) for s in STATUSES] + [ComplianceCount.total_count]
        statement = (
            select(*names, *numbers)
            .select_from(ComplianceCount)
            .join(Organisation, Organisation.id == ComplianceCount.scope_id)
            .join(Requirement, Requirement.id == ComplianceCount.requirement_id)
            .where(ComplianceCount.as_of == as_of, ComplianceCount.scope == compliance.ORGANISATION)
        )
    else:
        status = compliance.status_expression(as_of)
        numbers = [func.sum(case((status == s, 1), else_=0)) for s in STATUSES] + [func.count()]
        statement = (
            select(*names, *numbers)
            .select_from(ComplianceStatus)
            .join(User, User.id == ComplianceStatus.user_id)
            .join(Organisation, Organisation.id == User.organisation_id)
            .join(Requirement, Requirement.id == ComplianceStatus.requirement_id)
            .where(User.active.is_(True))
            .group_by(*names, func.lower(Organisation.name), Requirement.position)
        )
    statement = (
        statement.join(OrganisationType, OrganisationType.id == Organisation.type_id)
        .join(Sector, Sector.id == Organisation.sector_id)
        .outerjoin(Area, Area.id == Organisation.area_id)
        .where(Requirement.active.is_(True), *conditions)
        .order_by(func.lower(Organisation.name), Organisation.id, Requirement.position, Requirement.code)
    )
    return [
        ComplianceCountRow(row[0], row[1], row[2], row[3], row[4], row[5], *(int(n or 0) for n in row[6:]))
        for row in db.session.execute(statement)
    ]


STATUSES = (engine.CURRENT, engine.DUE_SOON, engine.OVERDUE, engine.NOT_YET_DUE)
