from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import User
from lms.core.db_types import UTCDateTime
from lms.extensions import db

SOURCES = ("elearning", "attendance", "external", "imported")


class Completion(db.Model):
    """One completed piece of training. The only thing that writes here is
    records.services.record_completion, called by e-learning, registers, external CPD and
    the history import.

    `source_ref` names what produced the completion (an enrolment, a booking, an import
    row) and is unique per source, so the same thing can never be recorded twice, even
    by two requests at once. `organisation_id` and `sector_id` are the person's at the
    time, for reports by sector. `updated_at` moves whenever the writer changes it."""

    __tablename__ = "completion"
    __table_args__ = (
        UniqueConstraint("source", "source_ref", name="uq_completion_source_ref"),
        Index("ix_completion_user_completed_on", "user_id", "completed_on"),
        # Reports read a period of completions by date and group them by sector, organisation,
        # course or delivery mode, counting distinct people: every column they need is in
        # this index, so a report never reads the table itself.
        Index("ix_completion_report", "completed_on", "sector_id", "organisation_id", "course_id", "delivery_mode", "user_id"),
        # The analysts' feed (GET /api/v1/completions) reads what changed since a moment, in order.
        Index("ix_completion_updated_at", "updated_at", "id"),
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
    # When it was recorded or last corrected (hours, title, date, course), kept by
    # records.services, for analysts reading the record again from where they stopped.
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
    # The details of external CPD the person logged themselves (source "external").
    external: Mapped["ExternalActivity | None"] = relationship(
        back_populates="completion", cascade="all, delete-orphan", uselist=False,
    )


class CompletionRemoval(db.Model):
    """A completion taken off the record (records.services.remove_completion): its id, whose
    it was and where, and when it went, so analysts refreshing the record from where they
    stopped (GET /api/v1/completions/removed) can delete it too. Kept as long as the
    record: a few rows a week."""

    __tablename__ = "completion_removal"
    __table_args__ = (Index("ix_completion_removal_removed_at", "removed_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    completion_id: Mapped[int] = mapped_column(index=True)  # the row is gone: no foreign key
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id", ondelete="SET NULL"))
    removed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ExternalActivity(db.Model):
    """What a person told us about CPD they did elsewhere (a local-authority DSL course, a
    conference, an online course), one-to-one with its completion (source "external",
    self-reported). It has no course, so the requirement codes it counts towards are kept
    here. A setting lead of the person's organisation (or an admin) may verify it, or say
    they cannot (with a reason): either way it stays on the record.

    The evidence file, if any, is stored under `evidence_path` (a random name) in the
    EVIDENCE_FOLDER, never under the name it was uploaded with (`evidence_name`, kept for
    downloading it)."""

    __tablename__ = "external_activity"

    id: Mapped[int] = mapped_column(primary_key=True)
    completion_id: Mapped[int] = mapped_column(ForeignKey("completion.id", ondelete="CASCADE"), unique=True)
    provider: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    requirement_codes: Mapped[list] = mapped_column(JSON, default=list)
    evidence_name: Mapped[str | None] = mapped_column(String(200))
    evidence_path: Mapped[str | None] = mapped_column(String(100), unique=True)
    evidence_content_type: Mapped[str | None] = mapped_column(String(50))
    evidence_size: Mapped[int | None]
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    rejected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rejected_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    completion: Mapped[Completion] = relationship(back_populates="external")
    verified_by: Mapped[User | None] = relationship(foreign_keys=[verified_by_id])
    rejected_by: Mapped[User | None] = relationship(foreign_keys=[rejected_by_id])

    @property
    def verified(self) -> bool:
        return self.verified_at is not None
