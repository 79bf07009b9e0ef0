"""Working days in England: weekends and England and Wales bank holidays are not working
days. Used for the cancellation cut-off ("3 working days before the session")."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache

import holidays

from lms.core.time import LONDON, as_utc


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year).keys())


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def working_days_before(day: date, count: int) -> date:
    """The working day `count` working days before `day` (0: `day` itself)."""
    current = day
    remaining = count
    while remaining > 0:
        current -= timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return current


def end_of_london_day(day: date) -> datetime:
    """The first moment after `day` ends in Europe/London, in UTC."""
    return as_utc(datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=LONDON))
