"""Catalogue services: load courses from files, list and filter courses."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Integer, Select, String, bindparam, cast, func, literal_column, or_, select, union_all
from sqlalchemy.orm import selectinload

from lms.catalogue.course_files import CourseSource, Problem, read_all
from lms.catalogue.models import LEVELS, Course, CourseVersion, Lesson, course_job_role, course_sector
from lms.core.errors import NotFound
from lms.core.pagination import Page, clamp_page
from lms.extensions import db
from lms.organisations.models import JobRole, Sector
from lms.signals import course_requirements_changed

# The baseline requirements of DESIGN.md section 4, by code. Courses may count towards these.
REQUIREMENTS = {
    "staff-safeguarding": "Whole-staff safeguarding training",
    "staff-annual-update": "Annual safeguarding update for school staff",
    "dsl-role-training": "DSL role training",
    "dsl-annual-update": "DSL annual knowledge update",
    "governor-training": "Safeguarding training for governors and trustees",
    "safer-recruitment": "Safer recruitment training",
    "eyfs-annex-c": "Early years safeguarding training (EYFS Annex C)",
    "health-l1": "Safeguarding children, health level 1",
    "health-l2": "Safeguarding children, health level 2",
    "health-l3": "Safeguarding children, health level 3",
    "health-l4": "Safeguarding children, health level 4",
    "vcs-safeguarding": "Safeguarding training for voluntary and community organisations",
}
REQUIREMENT_CODES = tuple(REQUIREMENTS)


def requirement_names() -> dict[str, str]:
    """Every requirement's name by code: the baseline, and any the partnership has added
    (read from the requirements table, which the compliance feature owns)."""
    names = dict(REQUIREMENTS)
    table = db.metadata.tables["requirement"]
    names.update(dict(db.session.execute(select(table.c.code, table.c.name)).all()))
    return names


def known_codes() -> dict[str, set[str]]:
    return {
        "sectors": set(db.session.scalars(select(Sector.code))),
        "job_roles": set(db.session.scalars(select(JobRole.code))),
        "requirements": set(requirement_names()),
    }


def check_course_files(root: Path) -> tuple[list[CourseSource], list[Problem]]:
    return read_all(root, known_codes())


@dataclass
class SyncResult:
    created: list[str] = field(default_factory=list)
    new_versions: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def summary(self) -> str:
        parts = []
        for label, codes in (("new", self.created), ("new version", self.new_versions), ("unchanged", self.unchanged)):
            if codes:
                parts.append(f"{label}: {', '.join(codes)}")
        return "; ".join(parts) or "no courses found"


def requirements_changed(course_ids: list[int], *, now: datetime) -> None:
    """Tell the features that count completions towards requirements (compliance) that
    what these courses count towards has changed, so they work it out again in the
    caller's transaction."""
    if course_ids:
        course_requirements_changed.send(None, course_ids=list(course_ids), now=now)


def sync_courses(sources: list[CourseSource], *, now: datetime) -> SyncResult:
    """Load parsed course folders. A course whose content hash differs from its latest
    version gets a new version; an unchanged course is left alone, so syncing twice adds
    nothing. When a course's requirements change, the statuses of those who completed it
    are worked out again. The caller commits (or rolls back: nothing is half-loaded)."""
    result = SyncResult()
    recount: list[int] = []
    sectors = {s.code: s for s in db.session.scalars(select(Sector))}
    roles = {r.code: r for r in db.session.scalars(select(JobRole))}
    for source in sources:
        course = db.session.scalar(
            select(Course).where(Course.code == source.code).options(selectinload(Course.versions))
        )
        latest = course.versions[-1] if course is not None and course.versions else None
        if latest is not None and latest.content_hash == source.content_hash:
            result.unchanged.append(source.code)
            continue
        if course is None:
            course = Course(code=source.code, managed_by="files", created_at=now)
            db.session.add(course)
            result.created.append(source.code)
        else:
            result.new_versions.append(source.code)
        course.title = source.title
        course.summary = source.summary
        course.learning_outcomes = source.learning_outcomes
        course.delivery_mode = source.delivery_mode
        course.cpd_hours = source.cpd_hours
        course.level = source.level
        course.estimated_minutes = source.estimated_minutes
        if course.id is not None and sorted(course.requirement_codes or []) != sorted(source.requirements):
            recount.append(course.id)
        course.requirement_codes = source.requirements
        course.asks_for_evaluation = source.evaluation
        course.audience_sectors = [sectors[code] for code in source.sectors]
        course.audience_roles = [roles[code] for code in source.job_roles]
        course.managed_by = "files"
        course.updated_at = now
        version = CourseVersion(
            number=(latest.number + 1) if latest else 1,
            content_hash=source.content_hash,
            pass_mark=source.pass_mark,
            questions=source.questions,
            created_at=now,
            lessons=[
                Lesson(
                    position=lesson.position,
                    slug=lesson.slug,
                    title=lesson.title,
                    minutes=lesson.minutes,
                    body_markdown=lesson.body_markdown,
                    body_html=lesson.body_html,
                )
                for lesson in source.lessons
            ],
        )
        course.versions.append(version)
    db.session.flush()
    requirements_changed(recount, now=now)
    return result


def latest_version(course: Course) -> CourseVersion | None:
    return db.session.scalar(
        select(CourseVersion).where(CourseVersion.course_id == course.id).order_by(CourseVersion.number.desc()).limit(1)
    )


def get_course(code: str, *, include_retired: bool = False) -> Course:
    query = select(Course).where(Course.code == code)
    if not include_retired:
        query = query.where(Course.active.is_(True))
    course = db.session.scalar(query)
    if course is None:
        raise NotFound(f"No course has the code {code}")
    return course


@dataclass
class CourseFilters:
    keyword: str = ""
    modes: list[str] = field(default_factory=list)
    levels: list[int] = field(default_factory=list)
    sector: str | None = None
    job_role: str | None = None

    def shape(self) -> tuple[bool, bool, bool, bool, bool]:
        """Which filters are in use: it decides the SQL, while their values are only
        parameters."""
        return (bool(self.keyword.strip()), bool(self.modes), bool(self.levels), bool(self.sector),
                bool(self.job_role))

    def parameters(self) -> dict[str, object]:
        """The values of the bound parameters of `_filter_conditions(self.shape())`."""
        values: dict[str, object] = {}
        if self.keyword.strip():
            # % and _ are matched as themselves.
            escaped = self.keyword.strip().lower().replace("/", "//").replace("%", "/%").replace("_", "/_")
            values["keyword_pattern"] = f"%{escaped}%"
        if self.modes:
            values["modes"] = list(self.modes)
        if self.levels:
            values["levels"] = list(self.levels)
        if self.sector:
            values["sector"] = self.sector
        if self.job_role:
            values["job_role"] = self.job_role
        return values


def _filter_conditions(shape: tuple[bool, bool, bool, bool, bool]) -> list:
    """The WHERE conditions for active courses matching filters of this shape, with the
    filters' values as bound parameters (named as in CourseFilters.parameters). An empty
    audience means everyone."""
    keyword, modes, levels, sector, job_role = shape
    conditions = [Course.active.is_(True)]
    if keyword:
        pattern = bindparam("keyword_pattern", type_=String)
        conditions.append(or_(*(func.lower(column).like(pattern, escape="/")
                                for column in (Course.title, Course.summary, Course.code))))
    if modes:
        conditions.append(Course.delivery_mode.in_(bindparam("modes", expanding=True)))
    if levels:
        conditions.append(Course.level.in_(bindparam("levels", expanding=True)))
    if sector:
        in_sector = (select(course_sector.c.course_id).join(Sector)
                     .where(Sector.code == bindparam("sector", type_=String)))
        conditions.append(or_(Course.id.in_(in_sector), Course.id.not_in(select(course_sector.c.course_id))))
    if job_role:
        in_role = (select(course_job_role.c.course_id).join(JobRole)
                   .where(JobRole.code == bindparam("job_role", type_=String)))
        conditions.append(or_(Course.id.in_(in_role), Course.id.not_in(select(course_job_role.c.course_id))))
    return conditions


def list_courses(filters: CourseFilters) -> Select:
    """Active courses matching the filters, by title. An empty audience means everyone.
    Callers add the loading options for what they show."""
    query = select(Course).where(*_filter_conditions(filters.shape())).order_by(Course.title)
    parameters = filters.parameters()
    return query.params(**parameters) if parameters else query


# --- the catalogue list page ------------------------------------------------------------
# The list is the busiest public page, so it runs three statements whatever the filters,
# the page or the number of courses, and they are built once (per shape of filters) and
# only executed with new parameters on each request: building a SQLAlchemy statement
# costs more in Python than SQLite takes to run these ones.

CATALOGUE_PAGE_SIZE = 20


@dataclass(frozen=True)
class FilterOption:
    code: str
    name: str


@dataclass(frozen=True)
class CourseListing:
    """What the catalogue list shows of one course: plain values, no ORM object."""

    code: str
    title: str
    summary: str
    delivery_mode: str
    cpd_hours: Decimal
    level: int
    audience: tuple[str, ...]  # sector names, in their display order; empty means everyone

    @property
    def level_name(self) -> str:
        return LEVELS.get(self.level, str(self.level))


@dataclass
class CatalogueListing:
    """One page of courses (CourseListing items) and the choices of the filter form."""

    page: Page
    sectors: list[FilterOption]  # every sector but "public", in display order
    job_roles: list[FilterOption]  # the active job roles, in display order


@lru_cache(maxsize=1)
def _options_statement():
    """Every sector (the form offers all but "public"; the list names any in an audience)
    and the active job roles: (kind 0 or 1, id, code, name, position)."""
    sectors = select(literal_column("0").label("kind"), Sector.id, Sector.code, Sector.name, Sector.position)
    roles = select(literal_column("1").label("kind"), JobRole.id, JobRole.code, JobRole.name, JobRole.position).where(
        JobRole.active.is_(True)
    )
    return union_all(sectors, roles).order_by("kind", "position", "id")


@lru_cache(maxsize=64)
def _listing_statements(shape: tuple[bool, bool, bool, bool, bool]):
    """(count, page of rows) for filters of this shape. The page takes `limit` and
    `offset` parameters, and gives each course's audience as its sector ids joined by
    commas (or NULL), so the audiences need no statement of their own."""
    conditions = _filter_conditions(shape)
    count = select(func.count(Course.id)).where(*conditions)
    audience = (
        select(func.aggregate_strings(cast(course_sector.c.sector_id, String), ","))
        .where(course_sector.c.course_id == Course.id)
        .scalar_subquery()
    )
    rows = (
        select(Course.code, Course.title, Course.summary, Course.delivery_mode, Course.cpd_hours, Course.level,
               audience.label("audience"))
        .where(*conditions)
        .order_by(Course.title, Course.id)  # titles may repeat, and pages must not overlap
        .limit(bindparam("limit", type_=Integer))
        .offset(bindparam("offset", type_=Integer))
    )
    return count, rows


def catalogue_listing(filters: CourseFilters, *, page: int = 1,
                      per_page: int = CATALOGUE_PAGE_SIZE) -> CatalogueListing:
    """One page of the active courses matching the filters, by title, and the filter
    form's choices, in three statements: the choices, the count and the page. A page past
    the end shows the last page."""
    sectors: list[FilterOption] = []
    job_roles: list[FilterOption] = []
    sector_names: dict[int, str] = {}  # in display order
    for kind, option_id, code, name, _ in db.session.execute(_options_statement()):
        if kind:
            job_roles.append(FilterOption(code, name))
        else:
            sector_names[option_id] = name
            if code != "public":
                sectors.append(FilterOption(code, name))
    sector_order = {sector_id: index for index, sector_id in enumerate(sector_names)}

    # Not lms.core.pagination.paginate (db.paginate builds its count and page statements on
    # every call, and pages ORM objects): statements built once and plain rows brought the
    # list to 1.9-2.4 x /health through gunicorn at size M, from 2.55-2.73 x before
    # (benchmarks/README.md, bench_pages.py); tests/catalogue/test_listing.py holds the
    # three statements.
    per_page = max(1, per_page)
    count, rows_statement = _listing_statements(filters.shape())
    parameters = filters.parameters()
    total = db.session.execute(count, parameters).scalar() or 0
    page = clamp_page(page, total, per_page)
    items = []
    for row in db.session.execute(rows_statement, {**parameters, "limit": per_page, "offset": (page - 1) * per_page}):
        ids = sorted((int(i) for i in row.audience.split(",")), key=sector_order.get) if row.audience else ()
        items.append(CourseListing(
            code=row.code, title=row.title, summary=row.summary, delivery_mode=row.delivery_mode,
            cpd_hours=row.cpd_hours, level=row.level, audience=tuple(sector_names[i] for i in ids),
        ))
    return CatalogueListing(Page(items=items, total=total, page=page, per_page=per_page), sectors, job_roles)


def register_interest(person, course: Course, *, now: datetime) -> bool:
    """Add the person to the course's interest list (again, if they were told about a date
    before); False if they are already waiting to hear."""
    from sqlalchemy.exc import IntegrityError

    from lms.catalogue.models import CourseInterest

    if course.delivery_mode == "elearning":
        from lms.core.errors import DomainError

        raise DomainError("E-learning can be started at any time", field="course")
    existing = db.session.scalar(
        select(CourseInterest).where(CourseInterest.course_id == course.id, CourseInterest.user_id == person.id)
    )
    if existing is not None:
        if existing.notified_at is None:
            return False
        # Told about a date before: wait for the next one.
        existing.notified_at = None
        existing.created_at = now
        return True
    try:
        with db.session.begin_nested():
            db.session.add(CourseInterest(course_id=course.id, user_id=person.id, created_at=now))
    except IntegrityError:
        return False
    return True


def is_interested(person, course: Course) -> bool:
    from lms.catalogue.models import CourseInterest

    return db.session.scalar(
        select(CourseInterest.id).where(CourseInterest.course_id == course.id, CourseInterest.user_id == person.id)
    ) is not None
