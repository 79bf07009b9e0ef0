"""The emails a public registration sends, queued in the caller's transaction. Each
carries a new link to confirm, manage or cancel the registration: a long random token of
which only the digest is stored (RegistrationLink). Every email's dedupe key starts with
KEY_PREFIX, so the retention job can find and delete them with the registrant's data."""
from __future__ import annotations

import base64
from datetime import datetime

from flask import current_app

from lms.bookings import ics
from lms.bookings.formatting import session_when, session_where
from lms.core.time import format_datetime
from lms.core.tokens import hash_token, new_token
from lms.core.urls import external_url
from lms.extensions import db
from lms.notifications.services import queue_templated_email
from lms.programmes.week.models import PublicRegistration, RegistrationLink

KEY_PREFIX = "public-registration:"

SUBJECTS = {
    "held": "Confirm your place",
    "waitlisted": "You are on the waiting list",
    "again": "Your registration",
    "given": "A place is yours: confirm it",
    "given-confirmed": "A place is yours",
    "confirmed": "Your place is confirmed",
    "cancelled": "Registration cancelled",
    "lapsed": "Your place was not confirmed in time",
    "reminder": "Reminder: tomorrow",
    "changed": "Changed: new details",
    "event-cancelled": "Cancelled",
}


def new_link(registration: PublicRegistration, *, now: datetime) -> str:
    """A new link to the registration's page (the token is never stored, only its digest)."""
    token = new_token(32)
    db.session.add(RegistrationLink(registration_id=registration.id, token_hash=hash_token(token), created_at=now))
    return external_url("programmes.week.registration", token=token)


def _send(registration: PublicRegistration, kind: str, *, now: datetime, key: str) -> None:
    event = registration.event
    session = event.session
    link = new_link(registration, now=now) if kind not in ("cancelled", "lapsed", "event-cancelled") else None
    attachments = None
    if kind in ("confirmed", "given-confirmed", "reminder", "changed") and registration.status == "confirmed":
        content = ics.booking_ics(session, base_url=current_app.config["BASE_URL"].rstrip("/"), now=now)
        attachments = [{"filename": f"event-{event.id}.ics", "content_type": "text/calendar",
                        "content": base64.b64encode(content).decode("ascii")}]
    queue_templated_email(
        registration.email,
        "public_registration",
        now=now,
        subject=f"{SUBJECTS[kind]}: {event.title}",
        category="booking",
        dedupe_key=f"{KEY_PREFIX}{registration.id}:{key}",
        attachments=attachments,
        kind=kind,
        name=registration.name,
        registration=registration,
        event=event,
        session=session,
        when=session_when(session),
        where=session_where(session),
        link=link,
        hold_until=format_datetime(registration.hold_expires_at) if registration.hold_expires_at else None,
        programme_link=external_url("programmes.week.programme", programme_id=event.programme_id),
        partnership=current_app.config["PARTNERSHIP_NAME"],
    )


def _stamp(value: datetime | None) -> str:
    return f"{value:%Y%m%d%H%M%S%f}" if value is not None else "none"


def registration_made(registration: PublicRegistration, *, now: datetime) -> None:
    kind = "held" if registration.status == "awaiting-confirmation" else "waitlisted"
    _send(registration, kind, now=now, key=kind)


def registration_again(registration: PublicRegistration, *, now: datetime) -> None:
    """The same email registered again: a fresh link, at most once an hour."""
    _send(registration, "again", now=now, key=f"again:{now:%Y%m%d%H}")


def place_given(registration: PublicRegistration, *, now: datetime) -> None:
    kind = "given-confirmed" if registration.status == "confirmed" else "given"
    _send(registration, kind, now=now, key=f"given:{_stamp(registration.placed_at)}")


def registration_confirmed(registration: PublicRegistration, *, now: datetime) -> None:
    _send(registration, "confirmed", now=now, key="confirmed")


def registration_cancelled(registration: PublicRegistration, *, now: datetime) -> None:
    _send(registration, "cancelled", now=now, key="cancelled")


def registration_lapsed(registration: PublicRegistration, *, now: datetime) -> None:
    _send(registration, "lapsed", now=now, key="lapsed")


def reminder(registration: PublicRegistration, *, now: datetime) -> None:
    _send(registration, "reminder", now=now, key="reminder")


def event_changed(registration: PublicRegistration, *, now: datetime) -> None:
    _send(registration, "changed", now=now, key=f"changed:{registration.sequence_seen}")


def event_cancelled(registration: PublicRegistration, *, now: datetime) -> None:
    _send(registration, "event-cancelled", now=now, key="event-cancelled")
