"""Sessions of courses and the bookings people make on them.

The model is `TrainingSession`: "session" already means the Flask session and the database
session. Booking rules live in services.py; these classes only hold the data.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Column, ForeignKey, Index, String, Table, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import User
from lms.catalogue.models import Course
from lms.core.db_types import UTCDateTime
from lms.extensions import db
from lms.organisations.models import Area, JobRole, Organisation, OrganisationType, Sector

session_trainer = Table(
    "session_trainer",
    db.metadata,
    Column("session_id", ForeignKey("training_session.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True),
)

session_sector = Table(
    "session_sector",
    db.metadata,
    Column("session_id", ForeignKey("training_session.id", ondelete="CASCADE"), primary_key=True),
    Column("sector_id", ForeignKey("sector.id", ondelete="CASCADE"), primary_key=True),
)

session_job_role = Table(
    "session_job_role",
    db.metadata,
    Column("session_id", ForeignKey("training_session.id", ondelete="CASCADE"), primary_key=True),
    Column("job_role_id", ForeignKey("job_role.id", ondelete="CASCADE"), primary_key=True),
)

# Statuses of a booking. "offered": a waiting-list place offered a freed place until
# offer_expires_at. The ended ones keep `ended_reason` (see ENDED_REASONS).
STATUSES = {
    "requested": "Awaiting approval",
    "booked": "Booked",
    "waitlisted": "On the waiting list",
    "offered": "Place offered",
    "cancelled": "Cancelled",
    "attended": "Attended",
    "partly-attended": "Partly attended",
    "no-show": "Did not attend",
}
# A person has at most one booking in these statuses per session.
LIVE_STATUSES = ("requested", "booked", "waitlisted", "offered", "attended", "partly-attended", "no-show")
# These hold one of the session's places.
PLACE_STATUSES = ("booked", "offered", "attended", "partly-attended", "no-show")
# Marked on the register.
ATTENDANCE_STATUSES = ("attended", "partly-attended", "no-show")

ENDED_REASONS = {
    "cancelled": "Cancelled",
    "late-cancelled": "Cancelled after the cut-off",
    "substituted": "Place passed to a colleague",
    "offer-expired": "Offer not taken in time",
    "offer-declined": "Offer declined",
    "refused": "Not approved",
    "session-cancelled": "Session cancelled",
}


class TrainingSession(db.Model):
    """One dated run of a course: face-to-face, virtual, outreach, twilight or event."""

    __tablename__ = "training_session"
    __table_args__ = (Index("ix_training_session_course_starts", "course_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # "in-person" (a venue) or "online" (a joining link shown only to those booked).
    location_kind: Mapped[str] = mapped_column(String(20), default="in-person")
    venue_name: Mapped[str | None] = mapped_column(String(200))
    venue_address: Mapped[str | None] = mapped_column(Text)
    venue_postcode: Mapped[str | None] = mapped_column(String(10))
    access_notes: Mapped[str | None] = mapped_column(Text)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("area.id"), index=True)
    joining_url: Mapped[str | None] = mapped_column(String(500))
    joining_notes: Mapped[str | None] = mapped_column(Text)
    capacity: Mapped[int]
    minimum: Mapped[int] = mapped_column(default=0)
    signup_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    signup_closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    cancellation_working_days: Mapped[int] = mapped_column(default=3)
    requires_approval: Mapped[bool] = mapped_column(default=False)
    # Outreach: closed to the people of one organisation.
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    notes: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="scheduled")  # scheduled | cancelled
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_reason: Mapped[str | None] = mapped_column(Text)
    # Raised on every change people were told about; the .ics SEQUENCE.
    sequence: Mapped[int] = mapped_column(default=0)
    # Touched by every booking change: the row lock that keeps places from being oversold.
    lock_version: Mapped[int] = mapped_column(default=0)
    # The secret in the QR code for self check-in.
    checkin_code: Mapped[str] = mapped_column(String(40), unique=True)
    # When the under-minimum alert went to the admins (once).
    minimum_alert_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    course: Mapped[Course] = relationship(lazy="joined")
    area: Mapped[Area | None] = relationship()
    organisation: Mapped[Organisation | None] = relationship()
    trainers: Mapped[list[User]] = relationship(secondary=session_trainer, order_by=User.full_name)
    audience_sectors: Mapped[list[Sector]] = relationship(secondary=session_sector, order_by=Sector.position)
    audience_roles: Mapped[list[JobRole]] = relationship(secondary=session_job_role, order_by=JobRole.position)
    bookings: Mapped[list["Booking"]] = relationship(back_populates="session", order_by="Booking.id")

    @property
    def is_online(self) -> bool:
        return self.location_kind == "online"

    @property
    def is_cancelled(self) -> bool:
        return self.status == "cancelled"

    @property
    def hours(self) -> Decimal:
        """The CPD hours a full attendance gives: the course's hours."""
        return Decimal(self.course.cpd_hours)

    def __repr__(self) -> str:
        return f"<TrainingSession {self.id} {self.course_id} {self.starts_at:%Y-%m-%d %H:%M}>"


class Booking(db.Model):
    __tablename__ = "booking"
    __table_args__ = (
        # One live booking per person per session, whatever the concurrency.
        Index(
            "uq_booking_live",
            "session_id",
            "user_id",
            unique=True,
            sqlite_where=text("status <> 'cancelled'"),
            postgresql_where=text("status <> 'cancelled'"),
        ),
        Index("ix_booking_session_status", "session_id", "status", "queued_at"),
        Index("ix_booking_user_status", "user_id", "status"),
        # Places by status, then session: the places still "booked" (not yet attended or
        # absent) are those on sessions to come and the registers not yet marked, never the
        # whole history (pages.registers_query).
        Index("ix_booking_status_session", "status", "session_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("training_session.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20))
    # The person's organisation when they booked (charges and reports by organisation).
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    booked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Waiting-list order: when the person joined the list (or asked, for requests).
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    offered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    offer_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str | None] = mapped_column(Text)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    ended_reason: Mapped[str | None] = mapped_column(String(30))
    cancellation_note: Mapped[str | None] = mapped_column(Text)
    # Set on the colleague's booking when a place is passed on.
    substitute_for_id: Mapped[int | None] = mapped_column(ForeignKey("booking.id", ondelete="SET NULL"))
    # Register.
    attendance_hours: Mapped[Decimal | None] = mapped_column(db.Numeric(6, 2))
    marked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    marked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completion_id: Mapped[int | None] = mapped_column(ForeignKey("completion.id", ondelete="SET NULL"))
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    session: Mapped[TrainingSession] = relationship(back_populates="bookings")
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    organisation: Mapped[Organisation | None] = relationship()
    booked_by: Mapped[User | None] = relationship(foreign_keys=[booked_by_id])
    substitute_for: Mapped["Booking | None"] = relationship(remote_side=[id], foreign_keys=[substitute_for_id])

    @property
    def status_name(self) -> str:
        if self.status == "cancelled" and self.ended_reason:
            return ENDED_REASONS.get(self.ended_reason, "Cancelled")
        return STATUSES.get(self.status, self.status)

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_STATUSES

    @property
    def holds_place(self) -> bool:
        return self.status in PLACE_STATUSES

    @property
    def is_late_cancellation(self) -> bool:
        return self.status == "cancelled" and self.ended_reason == "late-cancelled"

    def __repr__(self) -> str:
        return f"<Booking {self.id} session={self.session_id} user={self.user_id} {self.status}>"


class ChargeRate(db.Model):
    """What the partnership charges an organisation type for a no-show or a late
    cancellation (pence), for sessions on or after `applies_from` (a London date) until
    the type's next rate. Rates are never overwritten by a later change, so a report
    for a past period prices each event at the rate of its session's day. A type with
    no rate on a day charges nothing."""

    __tablename__ = "charge_rate"
    __table_args__ = (UniqueConstraint("organisation_type_id", "applies_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_type_id: Mapped[int] = mapped_column(ForeignKey("organisation_type.id", ondelete="CASCADE"))
    applies_from: Mapped[date]
    no_show_pence: Mapped[int] = mapped_column(default=0)
    late_cancellation_pence: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)  # when it was last set

    organisation_type: Mapped[OrganisationType] = relationship()

