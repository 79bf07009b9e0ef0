"""Catalogue services: load courses from files, list and filter courses."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import selectinload

from lms.catalogue.course_files import CourseSource, Problem, read_all
from lms.catalogue.models import Course, CourseVersion, Lesson, course_job_role, course_sector
from lms.core.errors import NotFound
from lms.extensions import db
from lms.organisations.models import JobRole, Sector

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


def sync_courses(sources: list[CourseSource], *, now: datetime) -> SyncResult:
    """Load parsed course folders. A course whose content hash differs from its latest
    version gets a new version; an unchanged course is left alone, so syncing twice adds
    nothing. The caller commits (or rolls back: nothing is half-loaded)."""
    result = SyncResult()
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
        course.requirement_codes = source.requirements
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


def list_courses(filters: CourseFilters) -> Select:
    """Active courses matching the filters, by title. An empty audience means everyone.
    Callers add the loading options for what they show."""
    query = select(Course).where(Course.active.is_(True)).order_by(Course.title)
    if filters.keyword:
        keyword = filters.keyword.strip().lower()  # % and _ are matched as themselves
        query = query.where(
            or_(
                func.lower(Course.title).contains(keyword, autoescape=True),
                func.lower(Course.summary).contains(keyword, autoescape=True),
                func.lower(Course.code).contains(keyword, autoescape=True),
            )
        )
    if filters.modes:
        query = query.where(Course.delivery_mode.in_(filters.modes))
    if filters.levels:
        query = query.where(Course.level.in_(filters.levels))
    if filters.sector:
        in_sector = select(course_sector.c.course_id).join(Sector).where(Sector.code == filters.sector)
        any_sector = select(course_sector.c.course_id)
        query = query.where(or_(Course.id.in_(in_sector), Course.id.not_in(any_sector)))
    if filters.job_role:
        in_role = select(course_job_role.c.course_id).join(JobRole).where(JobRole.code == filters.job_role)
        any_role = select(course_job_role.c.course_id)
        query = query.where(or_(Course.id.in_(in_role), Course.id.not_in(any_role)))
    return query


def register_interest(person, course: Course, *, now: datetime) -> bool:
    """Add the person to the course's interest list; False if they were already on it."""
    from sqlalchemy.exc import IntegrityError

    from lms.catalogue.models import CourseInterest

    if course.delivery_mode == "elearning":
        from lms.core.errors import DomainError

        raise DomainError("E-learning can be started at any time", field="course")
    exists = db.session.scalar(
        select(CourseInterest.id).where(CourseInterest.course_id == course.id, CourseInterest.user_id == person.id)
    )
    if exists:
        return False
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
