"""The emails a booking sends, queued in the caller's transaction. Those about a place
(booked, offered, changed, cancelled) carry the session as an .ics attachment; the
joining link for an online session goes only to people with a place."""
from __future__ import annotations

import base64
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from lms.accounts.models import SettingLead, User
from lms.bookings import ics
from lms.bookings.formatting import session_when, session_where
from lms.bookings.models import Booking, TrainingSession
from lms.core.time import format_datetime
from lms.core.urls import external_url
from lms.extensions import db
from lms.notifications.services import queue_templated_email


def _attachment(booking: Booking, *, now: datetime, cancelled: bool = False, tentative: bool = False) -> list[dict]:
    session = booking.session
    content = ics.booking_ics(
        session, base_url=current_app.config["BASE_URL"].rstrip("/"), now=now, cancelled=cancelled, tentative=tentative,
        booking=booking,
    )
    name = f"{session.course.code}-{session.id}.ics".lower()
    return [{"filename": name, "content_type": "text/calendar", "content": base64.b64encode(content).decode("ascii")}]


def _send(booking: Booking, template: str, subject: str, *, now: datetime, key: str, ics_kind: str | None = None, **context) -> None:
    session = booking.session
    person = booking.user
    attachments = None
    if ics_kind is not None:
        attachments = _attachment(booking, now=now, cancelled=ics_kind == "cancel", tentative=ics_kind == "tentative")
    queue_templated_email(
        person.email,
        template,
        now=now,
        subject=f"{subject}: {session.course.title}",
        user=person,
        category="booking",
        dedupe_key=key,
        attachments=attachments,
        name=person.full_name,
        booking=booking,
        session=session,
        when=session_when(session),
        where=session_where(session),
        session_link=external_url("bookings.session", session_id=session.id),
        bookings_link=external_url("bookings.mine"),
        emails_link=external_url("notifications.emails"),
        **context,
    )


def booking_made(booking: Booking, *, now: datetime) -> None:
    """Booked (with the .ics and, online, the joining details), on the waiting list, or
    waiting for approval."""
    stamp = f"{(booking.confirmed_at or booking.queued_at):%Y%m%d%H%M%S%f}"
    if booking.status == "booked":
        _send(booking, "booking_confirmed", "Booked", now=now, key=f"booking:{booking.id}:booked:{stamp}", ics_kind="request",
              booked_by=booking.booked_by)
    elif booking.status == "waitlisted":
        _send(booking, "booking_waitlisted", "On the waiting list", now=now, key=f"booking:{booking.id}:waitlisted:{stamp}",
              booked_by=booking.booked_by)
    elif booking.status == "requested":
        _send(booking, "booking_requested", "Waiting for approval", now=now, key=f"booking:{booking.id}:requested")


def approval_requested(booking: Booking, *, now: datetime) -> None:
    """Tell the person's setting leads there is a request to decide."""
    leads = db.session.scalars(
        select(User).join(SettingLead, SettingLead.user_id == User.id).where(
            SettingLead.organisation_id == booking.organisation_id, User.id != booking.user_id, User.active.is_(True)
        ).order_by(User.id)
    )
    for lead in leads:
        queue_templated_email(
            lead.email,
            "booking_approval_needed",
            now=now,
            subject=f"Booking request from {booking.user.full_name}: {booking.session.course.title}",
            user=lead,
            category="booking",
            dedupe_key=f"booking:{booking.id}:approval:{lead.id}",
            name=lead.full_name,
            person=booking.user,
            session=booking.session,
            when=session_when(booking.session),
            where=session_where(booking.session),
            requests_link=external_url("bookings.staff.requests"),
        )


def request_decided(booking: Booking, *, approved: bool, now: datetime) -> None:
    if approved:
        booking_made(booking, now=now)
    else:
        _send(booking, "booking_refused", "Booking not approved", now=now, key=f"booking:{booking.id}:refused")


def has_calendar_event(booking: Booking) -> bool:
    """Whether the person was sent an event for this booking (a place or an offer), which
    an ending must then take off their calendar."""
    return booking.confirmed_at is not None or booking.offered_at is not None


def booking_cancelled(booking: Booking, *, now: datetime) -> None:
    removes = has_calendar_event(booking)
    _send(booking, "booking_cancelled", "Booking cancelled", now=now, key=f"booking:{booking.id}:cancelled",
          ics_kind="cancel" if removes else None, removes_event=removes,
          late=booking.ended_reason == "late-cancelled")


def place_offered(booking: Booking, *, now: datetime) -> None:
    _send(booking, "booking_offer", "A place is free for you", now=now,
          key=f"booking:{booking.id}:offer:{booking.offered_at:%Y%m%d%H%M%S%f}", ics_kind="tentative",
          expires=format_datetime(booking.offer_expires_at),
          accept_link=external_url("bookings.booking", booking_id=booking.id))


def offer_expired(booking: Booking, *, now: datetime) -> None:
    _send(booking, "booking_offer_expired", "Offer ended", now=now, key=f"booking:{booking.id}:offer-expired",
          ics_kind="cancel", removes_event=True)


def session_changed(booking: Booking, *, now: datetime) -> None:
    session = booking.session
    _send(booking, "booking_session_changed", "Session changed", now=now,
          key=f"session:{session.id}:changed:{session.sequence}:{booking.id}",
          ics_kind="request" if booking.status == "booked" else ("tentative" if booking.status == "offered" else None))


def session_cancelled(booking: Booking, *, now: datetime) -> None:
    session = booking.session
    _send(booking, "booking_session_cancelled", "Session cancelled", now=now,
          key=f"session:{session.id}:cancelled:{booking.id}",
          ics_kind="cancel" if has_calendar_event(booking) else None, removes_event=has_calendar_event(booking),
          reason=session.cancelled_reason)


def session_reminder(booking: Booking, *, now: datetime) -> None:
    # Once per booking and date: a session moved to a new date is reminded of again.
    starts = booking.session.starts_at
    _send(booking, "booking_reminder", "Reminder", now=now, key=f"booking:{booking.id}:reminder:{starts:%Y%m%d%H%M}",
          ics_kind="request")


def under_minimum(session: TrainingSession, *, booked: int, now: datetime) -> None:
    admins = db.session.scalars(select(User).where(User.is_admin.is_(True), User.active.is_(True)).order_by(User.id))
    for admin in admins:
        queue_templated_email(
            admin.email,
            "booking_under_minimum",
            now=now,
            subject=f"Under the minimum: {session.course.title}, {session_when(session)}",
            user=admin,
            category="booking",
            dedupe_key=f"session:{session.id}:under-minimum:{admin.id}",
            name=admin.full_name,
            session=session,
            booked=booked,
            when=session_when(session),
            where=session_where(session),
            manage_link=external_url("bookings.sessions.show", session_id=session.id),
        )


def dates_available(person: User, session: TrainingSession, *, now: datetime) -> None:
    """To someone on a course's interest list: there is now a date to book."""
    queue_templated_email(
        person.email,
        "booking_dates_available",
        now=now,
        subject=f"New date: {session.course.title}",
        user=person,
        category="booking",
        dedupe_key=f"interest:{session.course_id}:{person.id}:{session.id}",
        name=person.full_name,
        session=session,
        when=session_when(session),
        where=session_where(session),
        session_link=external_url("bookings.session", session_id=session.id),
        emails_link=external_url("notifications.emails"),
    )
