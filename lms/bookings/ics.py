"""iCalendar (.ics) for sessions: one event per session, in Europe/London with its
VTIMEZONE, so a calendar shows the right local time on both sides of a clock change.

A person's event has their booking's UID (`booking_uid`), so a change (a higher
SEQUENCE) or a cancellation replaces the event they already have rather than adding a
second one, and booking again after cancelling starts a fresh event that no earlier
cancellation can hide. The public feed uses the session's UID (`session_uid`)."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from urllib.parse import urlsplit

from icalendar import Calendar, Event, vCalAddress

from lms.bookings.models import Booking, TrainingSession
from lms.core.time import LONDON, as_utc, to_london

PRODID = "-//Safeguarding Partnership Training//Sessions//EN"


def session_uid(session: TrainingSession, base_url: str) -> str:
    host = urlsplit(base_url).hostname or "localhost"
    return f"session-{session.id}@{host}"


def booking_uid(booking: Booking, base_url: str) -> str:
    host = urlsplit(base_url).hostname or "localhost"
    return f"booking-{booking.id}@{host}"


def _location(session: TrainingSession, *, include_joining: bool) -> str:
    if session.is_online:
        return session.joining_url if include_joining and session.joining_url else "Online"
    parts = [session.venue_name or "", *(session.venue_address or "").splitlines(), session.venue_postcode or ""]
    return ", ".join(part.strip() for part in parts if part and part.strip())


def _event(
    session: TrainingSession,
    *,
    base_url: str,
    now: datetime,
    cancelled: bool,
    include_joining: bool,
    tentative: bool = False,
    uid: str | None = None,
) -> Event:
    event = Event()
    event.add("uid", uid or session_uid(session, base_url))
    event.add("dtstamp", as_utc(now))  # DTSTAMP is always UTC
    event.add("sequence", session.sequence + (1 if cancelled and not session.is_cancelled else 0))
    event.add("summary", f"{session.course.title} ({session.course.code})")
    event.add("dtstart", to_london(session.starts_at))
    event.add("dtend", to_london(session.ends_at))
    event.add("location", _location(session, include_joining=include_joining))
    url = f"{base_url}/sessions/{session.id}"
    event.add("url", url)
    lines = [session.course.summary.strip(), "", f"Details and your booking: {url}"]
    if session.is_online and include_joining and session.joining_url:
        lines += ["", f"Join online: {session.joining_url}"]
        if session.joining_notes:
            lines.append(session.joining_notes.strip())
    if not session.is_online and session.access_notes:
        lines += ["", f"Access: {session.access_notes.strip()}"]
    event.add("description", "\n".join(lines))
    if cancelled:
        event.add("status", "CANCELLED")
    elif tentative:
        event.add("status", "TENTATIVE")
    else:
        event.add("status", "CONFIRMED")
    for trainer in session.trainers:
        organizer = vCalAddress(f"mailto:{trainer.email}")
        organizer.params["cn"] = trainer.full_name
        event.add("organizer", organizer)
        break
    return event


def _calendar(method: str | None) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    return calendar


def booking_ics(
    session: TrainingSession,
    *,
    base_url: str,
    now: datetime,
    cancelled: bool = False,
    tentative: bool = False,
    booking: Booking | None = None,
) -> bytes:
    """The event for one person's place (METHOD:PUBLISH, STATUS:CONFIRMED), a place on
    offer (STATUS:TENTATIVE) or its cancellation (METHOD:CANCEL, STATUS:CANCELLED, a
    higher SEQUENCE). Pass the `booking` so the UID is the booking's (see the module's
    note); without it the session's UID is used. The joining link of an online session is
    in a confirmed place's event only: a place on offer is not yet the person's."""
    uid = booking_uid(booking, base_url) if booking is not None else None
    calendar = _calendar("CANCEL" if cancelled else "PUBLISH")
    calendar.add_component(
        _event(session, base_url=base_url, now=now, cancelled=cancelled,
               include_joining=not (cancelled or tentative), tentative=tentative, uid=uid)
    )
    calendar.add_missing_timezones()
    return calendar.to_ical()


def feed_ics(sessions: Iterable[TrainingSession], *, base_url: str, now: datetime, name: str) -> bytes:
    """A public feed of upcoming sessions (never the joining links)."""
    calendar = _calendar("PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", str(LONDON))
    for session in sessions:
        calendar.add_component(
            _event(session, base_url=base_url, now=now, cancelled=session.is_cancelled, include_joining=False)
        )
    calendar.add_missing_timezones()
    return calendar.to_ical()
