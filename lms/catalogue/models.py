from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, Column, ForeignKey, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.db_types import UTCDateTime
from lms.extensions import db
from lms.organisations.models import JobRole, Sector

LEVELS = {1: "Awareness", 2: "Practitioner", 3: "Specialist and DSL"}

# How a course is delivered, by code. A completion keeps the mode it was done in, which
# may also be "external" (CPD done elsewhere) or "imported" (history from an old system).
DELIVERY_MODES = {
    "elearning": "E-learning",
    "face-to-face": "Face-to-face",
    "virtual": "Virtual",
    "outreach": "Outreach",
    "twilight": "DSL network twilight",
    "event": "Event",
    "external": "External CPD",
    "imported": "Imported record",
}

course_sector = Table(
    "course_sector",
    db.metadata,
    Column("course_id", ForeignKey("course.id", ondelete="CASCADE"), primary_key=True),
    Column("sector_id", ForeignKey("sector.id", ondelete="CASCADE"), primary_key=True),
)

course_job_role = Table(
    "course_job_role",
    db.metadata,
    Column("course_id", ForeignKey("course.id", ondelete="CASCADE"), primary_key=True),
    Column("job_role_id", ForeignKey("job_role.id", ondelete="CASCADE"), primary_key=True),
)


DEFAULT_FOLLOWUP_WEEKS = 12
MAX_FOLLOWUP_WEEKS = 104


class Course(db.Model):
    """A course in the catalogue, whatever its delivery mode. E-learning courses also have
    versions of their content; the other modes run as sessions."""

    __tablename__ = "course"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)
    learning_outcomes: Mapped[list] = mapped_column(JSON, default=list)
    delivery_mode: Mapped[str] = mapped_column(String(20), index=True)
    cpd_hours: Mapped[Decimal] = mapped_column(db.Numeric(6, 2))
    level: Mapped[int] = mapped_column(default=1)
    estimated_minutes: Mapped[int | None]
    # Requirement codes (DESIGN.md section 4) the course counts towards.
    requirement_codes: Mapped[list] = mapped_column(JSON, default=list)
    # "files" when the course is managed from courses/<code>/, "admin" when made in the admin pages.
    managed_by: Mapped[str] = mapped_column(String(10), default="admin")
    # Whether people evaluate the course before they get its certificate.
    asks_for_evaluation: Mapped[bool] = mapped_column(default=False)
    # Weeks after attendance that people are asked whether they have used what they
    # learned (impact follow-up); None: the course asks for no follow-up.
    followup_weeks: Mapped[int | None] = mapped_column(default=DEFAULT_FOLLOWUP_WEEKS)
    active: Mapped[bool] = mapped_column(default=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    audience_sectors: Mapped[list[Sector]] = relationship(secondary=course_sector, order_by=Sector.position)
    audience_roles: Mapped[list[JobRole]] = relationship(secondary=course_job_role, order_by=JobRole.position)
    versions: Mapped[list["CourseVersion"]] = relationship(
        back_populates="course", order_by="CourseVersion.number", cascade="all, delete-orphan"
    )

    @property
    def level_name(self) -> str:
        return LEVELS.get(self.level, str(self.level))

    def __repr__(self) -> str:
        return f"<Course {self.code}>"


class CourseVersion(db.Model):
    """The content of an e-learning course as loaded from its folder at one time. A change
    of content makes a new version; enrolments keep the version they started."""

    __tablename__ = "course_version"
    __table_args__ = (UniqueConstraint("course_id", "number", name="uq_course_version_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    content_hash: Mapped[str] = mapped_column(String(64))
    pass_mark: Mapped[int]
    # [{"id", "text", "options": [{"id", "text"}], "answers": [...], "feedback": {"correct", "incorrect"}}]
    questions: Mapped[list] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    course: Mapped[Course] = relationship(back_populates="versions")
    lessons: Mapped[list["Lesson"]] = relationship(
        back_populates="version", order_by="Lesson.position", cascade="all, delete-orphan"
    )

    @property
    def total_minutes(self) -> int:
        return sum(lesson.minutes for lesson in self.lessons)


class Lesson(db.Model):
    __tablename__ = "lesson"
    __table_args__ = (UniqueConstraint("version_id", "position", name="uq_lesson_position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("course_version.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    slug: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(200))
    minutes: Mapped[int]
    body_markdown: Mapped[str] = mapped_column(Text)
    # Rendered and sanitised when the course is loaded, never at request time.
    body_html: Mapped[str] = mapped_column(Text)

    version: Mapped[CourseVersion] = relationship(back_populates="lessons")


class CourseInterest(db.Model):
    """"Tell me when there are dates": a person's interest in a course with none planned."""

    __tablename__ = "course_interest"
    __table_args__ = (UniqueConstraint("course_id", "user_id", name="uq_course_interest"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
