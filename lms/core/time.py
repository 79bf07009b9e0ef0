"""Time: everything is stored in UTC and shown in Europe/London.

Services take `now` as an argument; only the edges (views, jobs, CLI) call utcnow().
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def as_utc(value: datetime) -> datetime:
    """An aware UTC datetime; naive values are taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def to_london(value: datetime) -> datetime:
    return as_utc(value).astimezone(LONDON)


def london_today(now: datetime) -> date:
    return to_london(now).date()


def format_datetime(value: datetime | None) -> str:
    """'23 November 2026 at 3:40pm' in Europe/London (GOV.UK style)."""
    if value is None:
        return ""
    local = to_london(value)
    hour = local.hour % 12 or 12
    suffix = "am" if local.hour < 12 else "pm"
    minute = "" if local.minute == 0 else f":{local.minute:02d}"
    return f"{local.day} {local:%B %Y} at {hour}{minute}{suffix}"


def format_date(value: date | datetime | None) -> str:
    """'23 November 2026' (a datetime is first put into Europe/London)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_london(value).date()
    return f"{value.day} {value:%B %Y}"


def add_months(value, months: int):
    """`value` plus a number of months (negative to go back), clamped to the month's end:
    31 Aug + 6 months = 28 Feb (29 in a leap year); 29 Feb + 12 months = 28 Feb. Works on
    dates and datetimes (the time of day is kept)."""
    import calendar

    index = value.year * 12 + (value.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    day = min(value.day, calendar.monthrange(year, month)[1])
    return value.replace(year=year, month=month, day=day)
