"""Courses made and changed by partnership admins: the face-to-face, virtual, outreach,
twilight and event courses that run as sessions. E-learning courses come from their
courses/<code>/ folders (`flask lms courses sync`) and are changed there, never here.

Every check is here, not in the form, so the pages and any other caller get the same
messages; a DomainError names the field it is about and nothing is changed. Each course
made or changed is in the audit log. A change to the requirements a course counts towards
changes the compliance of everyone who completed it: the catalogue says so
(lms.signals.course_requirements_changed) and their statuses are worked out again in the
same transaction.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select

from lms.accounts.models import User
from lms.audit import services as audit
from lms.catalogue.course_files import CODE_PATTERN  # the same codes as course folders
from lms.catalogue.models import DEFAULT_FOLLOWUP_WEEKS, DELIVERY_MODES, LEVELS, MAX_FOLLOWUP_WEEKS, Course
from lms.catalogue.services import requirement_names, requirements_changed
from lms.core.errors import DomainError, Forbidden
from lms.extensions import db
from lms.organisations.models import JobRole, Sector

# Courses run on dates (bookings.services.BOOKABLE_MODES): what an admin can make here.
ADMIN_MODES = ("face-to-face", "virtual", "outreach", "twilight", "event")
MODE_NAMES = {mode: DELIVERY_MODES[mode] for mode in ADMIN_MODES}
MAX_HOURS = Decimal("100")
MAX_OUTCOMES = 12


@dataclass
class CourseValues:
    """What the course form says about a course. `code` is only read when making one."""

    code: str = ""
    title: str = ""
    summary: str = ""
    learning_outcomes: list[str] = field(default_factory=list)
    delivery_mode: str | None = None
    cpd_hours: Decimal | None = None
    level: int | None = None
    sector_codes: list[str] = field(default_factory=list)
    job_role_codes: list[str] = field(default_factory=list)
    requirement_codes: list[str] = field(default_factory=list)
    asks_for_evaluation: bool = False
    followup_weeks: int | None = DEFAULT_FOLLOWUP_WEEKS
    active: bool = True


_AUDITED = ["title", "summary", "learning_outcomes", "delivery_mode", "cpd_hours", "level", "requirement_codes",
            "asks_for_evaluation", "followup_weeks", "active"]


def _snapshot(course: Course) -> dict:
    """The audited fields, with the hours as text ("1.5"), as JSON holds them."""
    values = audit.snapshot(course, _AUDITED)
    if values["cpd_hours"] is not None:
        values["cpd_hours"] = format(Decimal(values["cpd_hours"]).normalize(), "f")
    return values


def _check(values: CourseValues) -> tuple[list[Sector], list[JobRole], list[str]]:
    """Raise a DomainError for the first thing wrong; return the audience's rows and the
    requirement codes in the requirements' order."""
    title = values.title.strip()
    if not title:
        raise DomainError("Enter the course title", field="title")
    if len(title) > 200:
        raise DomainError("The course title must be 200 characters or fewer", field="title")
    if not values.summary.strip():
        raise DomainError("Enter a summary of the course", field="summary")
    if len(values.summary) > 2000:
        raise DomainError("The summary must be 2,000 characters or fewer", field="summary")
    if len(values.learning_outcomes) > MAX_OUTCOMES:
        raise DomainError(f"Give at most {MAX_OUTCOMES} learning outcomes, one a line", field="learning_outcomes")
    if any(len(outcome) > 300 for outcome in values.learning_outcomes):
        raise DomainError("Each learning outcome must be 300 characters or fewer", field="learning_outcomes")
    if values.delivery_mode not in ADMIN_MODES:
        raise DomainError("Select how the course is delivered", field="delivery_mode")
    if values.cpd_hours is None:
        raise DomainError("Enter the CPD hours, like 3 or 1.5", field="cpd_hours")
    if not Decimal("0.25") <= values.cpd_hours <= MAX_HOURS or (values.cpd_hours * 4) % 1:
        raise DomainError("CPD hours must be from 0.25 to 100, in quarter hours, like 3 or 1.5", field="cpd_hours")
    if values.level not in LEVELS:
        raise DomainError("Select the course's level", field="level")
    if values.followup_weeks is not None and not 1 <= values.followup_weeks <= MAX_FOLLOWUP_WEEKS:
        raise DomainError(f"The follow-up must be from 1 to {MAX_FOLLOWUP_WEEKS} weeks after attendance, or leave it empty "
                          "for none", field="followup_weeks")
    sectors = list(db.session.scalars(select(Sector).where(Sector.code.in_(values.sector_codes))))
    if len(sectors) != len(set(values.sector_codes)):
        raise DomainError("Select sectors from the list", field="sector_codes")
    roles = list(db.session.scalars(select(JobRole).where(JobRole.code.in_(values.job_role_codes))))
    if len(roles) != len(set(values.job_role_codes)):
        raise DomainError("Select job roles from the list", field="job_role_codes")
    order = list(requirement_names())
    if set(values.requirement_codes) - set(order):
        raise DomainError("Select requirements from the list", field="requirement_codes")
    return sectors, roles, sorted(set(values.requirement_codes), key=order.index)


def _require_admin(actor: User) -> None:
    if not actor.is_admin:
        raise Forbidden("Only partnership admins can make or change courses")


def _apply(course: Course, values: CourseValues, checked: tuple[list[Sector], list[JobRole], list[str]],
           now: datetime) -> None:
    sectors, roles, requirement_codes = checked
    course.title = values.title.strip()
    course.summary = values.summary.strip()
    course.learning_outcomes = [outcome.strip() for outcome in values.learning_outcomes if outcome.strip()]
    course.delivery_mode = values.delivery_mode
    course.cpd_hours = values.cpd_hours
    course.level = values.level
    course.estimated_minutes = None
    course.requirement_codes = requirement_codes
    course.asks_for_evaluation = values.asks_for_evaluation
    course.followup_weeks = values.followup_weeks
    course.audience_sectors = sorted(sectors, key=lambda s: s.position)
    course.audience_roles = sorted(roles, key=lambda r: r.position)
    course.active = values.active
    course.updated_at = now


def create_course(values: CourseValues, *, actor: User, now: datetime) -> Course:
    """Make a course run on dates. The code is the course's for good: capital letters,
    digits and single hyphens, like DSL-NEW."""
    _require_admin(actor)
    code = values.code.strip().upper()
    if not code:
        raise DomainError("Enter a course code, like DSL-NEW", field="code")
    if len(code) > 30 or not CODE_PATTERN.match(code):
        raise DomainError(
            "The course code must be up to 30 capital letters and digits, with single hyphens between them, like DSL-NEW",
            field="code",
        )
    if db.session.scalar(select(func.count(Course.id)).where(Course.code == code)):
        raise DomainError(f"There is already a course with the code {code}", field="code")
    checked = _check(values)
    course = Course(code=code, managed_by="admin", created_at=now)
    _apply(course, values, checked, now)
    db.session.add(course)
    db.session.flush()
    audit.record(actor, "course.create", target=course, now=now, summary=f"Added the course {code}: {course.title}",
                 after=_snapshot(course))
    return course


def update_course(course: Course, values: CourseValues, *, actor: User, now: datetime) -> bool:
    """Change a course made here (not its code). Returns whether anything changed."""
    _require_admin(actor)
    if course.managed_by == "files":
        raise DomainError(
            f"{course.code} is an e-learning course kept in courses/{course.code}/: change it there and sync",
            field="title",
        )
    checked = _check(values)
    before = _snapshot(course)
    before_audience = ([s.code for s in course.audience_sectors], [r.code for r in course.audience_roles])
    codes_before = list(course.requirement_codes or [])
    _apply(course, values, checked, now)
    after = _snapshot(course)
    audience = ([s.code for s in course.audience_sectors], [r.code for r in course.audience_roles])
    if before == after and before_audience == audience:
        db.session.expire(course, ["updated_at"])  # nothing changed: keep the old time
        return False
    old, new = audit.changed(before, after)
    if before_audience != audience:
        old["audience"], new["audience"] = before_audience, audience
    audit.record(actor, "course.update", target=course, now=now, summary=f"Changed the course {course.code}",
                 before=old, after=new)
    db.session.flush()
    if sorted(codes_before) != sorted(course.requirement_codes):
        requirements_changed([course.id], now=now)
    return True


def values_of(course: Course) -> CourseValues:
    """A course as the form's values."""
    return CourseValues(
        code=course.code,
        title=course.title,
        summary=course.summary,
        learning_outcomes=list(course.learning_outcomes or []),
        delivery_mode=course.delivery_mode,
        cpd_hours=course.cpd_hours,
        level=course.level,
        sector_codes=[s.code for s in course.audience_sectors],
        job_role_codes=[r.code for r in course.audience_roles],
        requirement_codes=list(course.requirement_codes or []),
        asks_for_evaluation=course.asks_for_evaluation,
        followup_weeks=course.followup_weeks,
        active=course.active,
    )


def list_all() -> list[Course]:
    """Every course, live ones first, then by title (one statement)."""
    return list(db.session.scalars(select(Course).order_by(Course.active.desc(), func.lower(Course.title), Course.code)))
