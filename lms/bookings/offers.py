"""Places offered from the waiting list: taking one, turning it down, and offers that run
out. The engine makes the offers (services.fill_places) whenever a place comes free while
sign-up is open; a place an offer gives back goes on to the next person the same way."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from lms.accounts.models import User
from lms.bookings import emails
from lms.bookings.models import Booking, TrainingSession
from lms.bookings.services import cancel, check_may_act_for, fill_places, lock
from lms.core.errors import DomainError
from lms.core.time import as_utc, format_datetime
from lms.extensions import db


def accept_offer(booking: Booking, *, actor: User, now: datetime) -> Booking:
    check_may_act_for(actor, booking.user, booking.organisation_id)
    lock(booking.session)
    db.session.refresh(booking)
    if booking.status != "offered":
        raise DomainError("There is no place on offer for this booking", field="booking")
    if as_utc(now) >= as_utc(booking.offer_expires_at):
        raise DomainError(f"The offer ended on {format_datetime(booking.offer_expires_at)}", field="booking")
    booking.status = "booked"
    booking.confirmed_at = now
    booking.offer_expires_at = None
    db.session.flush()
    emails.booking_made(booking, now=now)
    return booking


def decline_offer(booking: Booking, *, actor: User, now: datetime) -> Booking:
    """Turn down a place on offer: the booking ends ("offer-declined") and the place goes
    to the next person on the waiting list."""
    if booking.status != "offered":
        raise DomainError("There is no place on offer for this booking", field="booking")
    return cancel(booking, actor=actor, now=now)


def expire_offers(*, now: datetime) -> int:
    """Offers not taken in time end; their places go to the next people while sign-up is
    open (a scheduled job; idempotent)."""
    session_ids = list(db.session.scalars(
        select(Booking.session_id).where(Booking.status == "offered", Booking.offer_expires_at <= now)
        .distinct().order_by(Booking.session_id)
    ))
    expired = 0
    for session_id in session_ids:
        session = lock(db.session.get(TrainingSession, session_id))
        stale = list(db.session.scalars(
            select(Booking).where(
                Booking.session_id == session_id, Booking.status == "offered", Booking.offer_expires_at <= now
            ).order_by(Booking.offered_at, Booking.id)
        ))
        for booking in stale:
            booking.status = "cancelled"
            booking.ended_reason = "offer-expired"
            booking.cancelled_at = now
            booking.offer_expires_at = None
            emails.offer_expired(booking, now=now)
            expired += 1
        db.session.flush()
        fill_places(session, now=now)
    return expired
