from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import User
from lms.core.db_types import UTCDateTime
from lms.extensions import db

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

SOURCES = ("elearning", "attendance", "external", "imported")


class Completion(db.Model):
    """One completed piece of training. The only thing that writes here is
    records.services.record_completion, called by e-learning, registers, external CPD and
    the history import.

    `source_ref` names what produced the completion (an enrolment, a booking, an import
    row) and is unique per source, so the same thing can never be recorded twice, even
    by two requests at once. `organisation_id` and `sector_id` are the person's at the
    time, for reports by sector."""

    __tablename__ = "completion"
    __table_args__ = (
        UniqueConstraint("source", "source_ref", name="uq_completion_source_ref"),
        Index("ix_completion_user_completed_on", "user_id", "completed_on"),
        Index("ix_completion_completed_on", "completed_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    course_id: Mapped[int | None] = mapped_column(ForeignKey("course.id"), index=True)
    course_version_id: Mapped[int | None] = mapped_column(ForeignKey("course_version.id"))
    title: Mapped[str] = mapped_column(String(200))
    delivery_mode: Mapped[str] = mapped_column(String(20))
    completed_on: Mapped[date]
    cpd_hours: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    score: Mapped[int | None]
    source: Mapped[str] = mapped_column(String(20))
    source_ref: Mapped[str] = mapped_column(String(100))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    sector_id: Mapped[int | None] = mapped_column(ForeignKey("sector.id"), index=True)
    self_reported: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
