"""What a Safeguarding Week adds to its Programme: the theme, lead boards and description
(WeekDetails), its events (WeekEvent, each a TrainingSession of its own event course),
public registrations without an account (PublicRegistration, with the links emailed to
manage them and the per-address attempts that limit abuse) and the public engagement an
admin records per event (EventEngagement)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.bookings.models import TrainingSession
from lms.core.db_types import UTCDateTime
from lms.extensions import db
from lms.organisations.models import Organisation
from lms.programmes.models import Programme

# What an event is, by code.
EVENT_KINDS = {
    "launch": "Launch event",
    "face-to-face": "Face-to-face session",
    "online": "Online session",
    "drop-in": "Drop-in",
    "stall": "Stall",
}
# Who an event is for, by code.
AUDIENCES = {
    "professionals": "Professionals",
    "public": "Members of the public",
    "both": "Professionals and the public",
}
# A public registration's statuses. The first two hold one of the event's places.
REGISTRATION_STATUSES = {
    "awaiting-confirmation": "Place held, awaiting confirmation",
    "confirmed": "Place confirmed",
    "waitlisted": "On the waiting list",
    "cancelled": "Cancelled",
    "lapsed": "Not confirmed in time",
}
HOLDING_STATUSES = ("awaiting-confirmation", "confirmed")
LIVE_REGISTRATION_STATUSES = ("awaiting-confirmation", "confirmed", "waitlisted")

# What an admin may record about an event's public engagement, by code.
ENGAGEMENT_MEASURES = {
    "public-attended": "Members of the public attending",
    "conversations": "Conversations at the stall",
    "leaflets": "Leaflets and information cards given",
    "referrals": "Safeguarding referrals made on the day",
    "safe-space-visits": "Visits to the safe space",
}


class WeekDetails(db.Model):
    """One Safeguarding Week: a Programme of kind "safeguarding-week" and what it adds."""

    __tablename__ = "safeguarding_week"

    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id", ondelete="CASCADE"), primary_key=True)
    theme: Mapped[str] = mapped_column(String(200))
    # The boards leading the week, one a line.
    lead_boards: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str | None] = mapped_column(Text)

    programme: Mapped[Programme] = relationship()

    @property
    def boards(self) -> list[str]:
        return [line.strip() for line in (self.lead_boards or "").splitlines() if line.strip()]


class WeekEvent(db.Model):
    """An event of the week: a session on the booking engine and what the week adds."""

    __tablename__ = "week_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("training_session.id", ondelete="CASCADE"), unique=True)
    # The London day the event is on (its session's start), for the programme by day.
    day: Mapped[date] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(20))
    audience: Mapped[str] = mapped_column(String(20))
    # A drop-in (or stall) has no booking: people just come.
    drop_in: Mapped[bool] = mapped_column(default=False)
    organiser_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    programme: Mapped[Programme] = relationship()
    session: Mapped[TrainingSession] = relationship(lazy="joined")
    organiser: Mapped[Organisation] = relationship(lazy="joined")

    @property
    def kind_name(self) -> str:
        return EVENT_KINDS.get(self.kind, self.kind)

    @property
    def audience_name(self) -> str:
        return AUDIENCES.get(self.audience, self.audience)

    @property
    def for_public(self) -> bool:
        return self.audience in ("public", "both")

    @property
    def for_professionals(self) -> bool:
        return self.audience in ("professionals", "both")

    @property
    def title(self) -> str:
        return self.session.course.title


class PublicRegistration(db.Model):
    """A member of the public's registration for an event: a name and an email, no
    account. Both are erased a set time after the week (PUBLIC_REGISTRATION_RETENTION_DAYS),
    leaving the row, its status and times for the counts."""

    __tablename__ = "public_registration"
    __table_args__ = (
        # One live registration per email per event, whatever the concurrency.
        Index(
            "uq_public_registration_live",
            "session_id",
            "email_key",
            unique=True,
            sqlite_where=text("status IN ('awaiting-confirmation', 'confirmed', 'waitlisted')"),
            postgresql_where=text("status IN ('awaiting-confirmation', 'confirmed', 'waitlisted')"),
        ),
        Index("ix_public_registration_session_status", "session_id", "status", "queued_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("week_event.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("training_session.id", ondelete="CASCADE"))
    name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    # The email in lower case: one registration per email per event.
    email_key: Mapped[str | None] = mapped_column(String(320))
    status: Mapped[str] = mapped_column(String(30))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Waiting-list order.
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # When a place was given (on registering, or from the waiting list).
    placed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A held place not confirmed by then lapses and is freed.
    hold_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # When the person followed the emailed link and confirmed.
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lapsed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The event's session.sequence the registrant was last told about (a change of time or
    # place, or the event's cancellation, raises it: they are then told again).
    sequence_seen: Mapped[int] = mapped_column(default=0)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    event: Mapped[WeekEvent] = relationship()

    @property
    def status_name(self) -> str:
        return REGISTRATION_STATUSES.get(self.status, self.status)

    @property
    def holds_place(self) -> bool:
        return self.status in HOLDING_STATUSES

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_REGISTRATION_STATUSES


class RegistrationLink(db.Model):
    """A link emailed to a registrant to confirm, manage or cancel their registration: a
    random token of which only the SHA-256 digest is kept. Every email carries a new one;
    all of a registration's links work until its personal data is erased."""

    __tablename__ = "public_registration_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("public_registration.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    registration: Mapped[PublicRegistration] = relationship()


class RegistrationAttempt(db.Model):
    """One public registration attempt from an address, counted in the database so the
    per-address limit holds across worker processes. Pruned after a day."""

    __tablename__ = "public_registration_attempt"
    __table_args__ = (Index("ix_public_registration_attempt_address", "address", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class EventEngagement(db.Model):
    """A count an admin recorded about an event's public engagement."""

    __tablename__ = "week_engagement"
    __table_args__ = (UniqueConstraint("event_id", "measure", name="uq_week_engagement_event_measure"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("week_event.id", ondelete="CASCADE"))
    measure: Mapped[str] = mapped_column(String(30))
    count: Mapped[int]
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    @property
    def measure_name(self) -> str:
        return ENGAGEMENT_MEASURES.get(self.measure, self.measure)
