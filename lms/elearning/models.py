from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import User
from lms.catalogue.models import Course, CourseVersion
from lms.core.db_types import UTCDateTime
from lms.extensions import db


class Enrolment(db.Model):
    """A person taking an e-learning course, on the version they started."""

    __tablename__ = "enrolment"
    __table_args__ = (
        # At most one enrolment in progress per person and course.
        Index(
            "uq_enrolment_in_progress",
            "user_id",
            "course_id",
            unique=True,
            sqlite_where=text("status = 'in-progress'"),
            postgresql_where=text("status = 'in-progress'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("course_version.id"))
    status: Mapped[str] = mapped_column(String(20), default="in-progress")  # in-progress | completed | withdrawn
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime)
    enrolled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    lessons_read: Mapped[list] = mapped_column(JSON, default=list)  # lesson positions
    last_position: Mapped[int] = mapped_column(default=1)
    last_activity_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completion_id: Mapped[int | None] = mapped_column(ForeignKey("completion.id"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    enrolled_by: Mapped[User | None] = relationship(foreign_keys=[enrolled_by_id])
    course: Mapped[Course] = relationship()
    version: Mapped[CourseVersion] = relationship()
    attempts: Mapped[list["QuizAttempt"]] = relationship(
        back_populates="enrolment", order_by="QuizAttempt.number", cascade="all, delete-orphan"
    )


class QuizAttempt(db.Model):
    """One go at a course's quiz. `layout` keeps the shuffled order shown to the person."""

    __tablename__ = "quiz_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolment.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # [{"question": id, "options": [ids in shown order]}]
    layout: Mapped[list] = mapped_column(JSON)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answers: Mapped[dict | None] = mapped_column(JSON)  # {question id: [option ids]}
    correct: Mapped[int | None]
    score: Mapped[int | None]  # percent
    passed: Mapped[bool | None]

    enrolment: Mapped[Enrolment] = relationship(back_populates="attempts")
