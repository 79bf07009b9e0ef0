"""Working days in England and the cancellation cut-off built on them."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from lms.bookings import services
from lms.bookings.workdays import end_of_london_day, is_working_day, working_days_before
from lms.core.time import LONDON

pytestmark = pytest.mark.no_database


@pytest.mark.parametrize("day, working", [
    (date(2026, 12, 7), True),    # Monday
    (date(2026, 12, 5), False),   # Saturday
    (date(2026, 12, 6), False),   # Sunday
    (date(2026, 12, 25), False),  # Christmas Day, a Friday
    (date(2026, 12, 28), False),  # Boxing Day falls on a Saturday: the Monday is the holiday
    (date(2026, 4, 3), False),    # Good Friday
    (date(2026, 4, 6), False),    # Easter Monday
    (date(2026, 5, 4), False),    # Early May bank holiday
    (date(2026, 8, 31), False),   # Summer bank holiday (England, not Scotland's first Monday)
    (date(2026, 8, 3), True),     # Scotland's summer holiday is a working day in England
    (date(2026, 3, 17), True),    # St Patrick's Day: a holiday in Northern Ireland only
    (date(2027, 12, 27), False),  # Christmas Day 2027 is a Saturday: substitute Monday
    (date(2027, 12, 28), False),  # and Boxing Day's substitute Tuesday
])
def test_is_working_day(day, working):
    assert is_working_day(day) is working


def test_working_days_before_skips_weekends_and_bank_holidays():
    # Tuesday 8 December 2026: Monday 7, Friday 4, Thursday 3.
    assert working_days_before(date(2026, 12, 8), 3) == date(2026, 12, 3)
    assert working_days_before(date(2026, 12, 8), 0) == date(2026, 12, 8)
    # Tuesday 29 December 2026: Mon 28 (holiday), the weekend, Fri 25 (holiday), then
    # Thu 24, Wed 23, Tue 22.
    assert working_days_before(date(2026, 12, 29), 3) == date(2026, 12, 22)
    # Tuesday 7 April 2026: Easter Monday, the weekend and Good Friday are skipped.
    assert working_days_before(date(2026, 4, 7), 2) == date(2026, 4, 1)
    # Across a new year: Monday 4 January 2027 - Fri 1 Jan is a holiday.
    assert working_days_before(date(2027, 1, 4), 2) == date(2026, 12, 30)


def test_end_of_london_day_in_winter_and_summer():
    assert end_of_london_day(date(2026, 12, 3)) == datetime(2026, 12, 4, 0, 0, tzinfo=timezone.utc)
    # British Summer Time: midnight in London is 23:00 UTC the day before.
    assert end_of_london_day(date(2026, 3, 31)) == datetime(2026, 3, 31, 23, 0, tzinfo=timezone.utc)
    # The day the clocks go forward (29 March 2026) ends at 23:00 UTC.
    assert end_of_london_day(date(2026, 3, 29)) == datetime(2026, 3, 29, 23, 0, tzinfo=timezone.utc)
    # The day the clocks go back (25 October 2026) lasts 25 hours and ends at midnight UTC.
    assert end_of_london_day(date(2026, 10, 24)) == datetime(2026, 10, 24, 23, 0, tzinfo=timezone.utc)
    assert end_of_london_day(date(2026, 10, 25)) == datetime(2026, 10, 26, 0, 0, tzinfo=timezone.utc)


class _Session:
    """Only what cancellation_deadline reads."""

    def __init__(self, starts_at, days=3):
        self.starts_at = starts_at
        self.cancellation_working_days = days


@pytest.mark.parametrize("starts, days, deadline", [
    # Tuesday 8 Dec 2026, 9:30am: the end of Thursday 3 December (GMT).
    (datetime(2026, 12, 8, 9, 30, tzinfo=LONDON), 3, datetime(2026, 12, 4, 0, 0, tzinfo=timezone.utc)),
    # Over Christmas: the end of Tuesday 22 December.
    (datetime(2026, 12, 29, 10, 0, tzinfo=LONDON), 3, datetime(2026, 12, 23, 0, 0, tzinfo=timezone.utc)),
    # After Easter, in summer time: the end of Tuesday 31 March is 23:00 UTC.
    (datetime(2026, 4, 7, 9, 30, tzinfo=LONDON), 3, datetime(2026, 3, 31, 23, 0, tzinfo=timezone.utc)),
    # A Monday session, 2 working days: the end of Thursday.
    (datetime(2026, 11, 30, 13, 0, tzinfo=LONDON), 2, datetime(2026, 11, 27, 0, 0, tzinfo=timezone.utc)),
    # No notice needed: the start itself.
    (datetime(2026, 12, 8, 9, 30, tzinfo=LONDON), 0, datetime(2026, 12, 8, 9, 30, tzinfo=timezone.utc)),
    # An evening session in London is still on its London day (22:00 BST = 21:00 UTC).
    (datetime(2026, 6, 16, 22, 0, tzinfo=LONDON), 1, datetime(2026, 6, 15, 23, 0, tzinfo=timezone.utc)),
])
def test_cancellation_deadline(starts, days, deadline):
    assert services.cancellation_deadline(_Session(starts.astimezone(timezone.utc), days)) == deadline
