"""Session times and places in words, for pages, emails, the sign-in sheet and the API."""
from __future__ import annotations

from datetime import datetime

from lms.bookings.models import TrainingSession
from lms.core.time import to_london


def clock(value: datetime) -> str:
    """'9:30am', '2pm' in Europe/London."""
    local = to_london(value)
    hour = local.hour % 12 or 12
    suffix = "am" if local.hour < 12 else "pm"
    minute = "" if local.minute == 0 else f":{local.minute:02d}"
    return f"{hour}{minute}{suffix}"


def day(value: datetime) -> str:
    """'Thursday 29 October 2026' in Europe/London."""
    local = to_london(value)
    return f"{local:%A} {local.day} {local:%B %Y}"


def session_when(session: TrainingSession) -> str:
    """'Thursday 29 October 2026, 9:30am to 12:30pm', or across days when it runs over."""
    start, end = to_london(session.starts_at), to_london(session.ends_at)
    if start.date() == end.date():
        return f"{day(session.starts_at)}, {clock(session.starts_at)} to {clock(session.ends_at)}"
    return f"{day(session.starts_at)}, {clock(session.starts_at)} to {day(session.ends_at)}, {clock(session.ends_at)}"


def session_where(session: TrainingSession) -> str:
    """The venue on one line, or "Online"."""
    if session.is_online:
        return "Online"
    parts = [session.venue_name, *(session.venue_address or "").splitlines(), session.venue_postcode]
    return ", ".join(part.strip() for part in parts if part and part.strip())
