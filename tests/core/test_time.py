from datetime import date, datetime, timezone

import pytest

from lms.core.time import add_months, format_date, format_datetime, london_today


@pytest.mark.no_database
@pytest.mark.parametrize(
    "start, months, expected",
    [
        (date(2025, 8, 31), 6, date(2026, 2, 28)),
        (date(2023, 8, 31), 6, date(2024, 2, 29)),  # leap year
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 9, 10), 24, date(2026, 9, 10)),
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2026, 3, 31), -1, date(2026, 2, 28)),
        (date(2026, 12, 15), 1, date(2027, 1, 15)),
        (date(2026, 1, 15), -13, date(2024, 12, 15)),
    ],
)
def test_add_months_clamps_to_month_end(start, months, expected):
    assert add_months(start, months) == expected


@pytest.mark.no_database
def test_london_display_across_the_clock_changes():
    # 29 March 2026: clocks go forward at 01:00 GMT.
    assert format_datetime(datetime(2026, 3, 29, 0, 30, tzinfo=timezone.utc)) == "29 March 2026 at 12:30am"
    assert format_datetime(datetime(2026, 3, 29, 1, 30, tzinfo=timezone.utc)) == "29 March 2026 at 2:30am"
    # 25 October 2026: clocks go back at 01:00 GMT (02:00 BST).
    assert format_datetime(datetime(2026, 10, 25, 0, 30, tzinfo=timezone.utc)) == "25 October 2026 at 1:30am"
    assert format_datetime(datetime(2026, 10, 25, 1, 30, tzinfo=timezone.utc)) == "25 October 2026 at 1:30am"
    # A UTC evening in summer is already the next day in London.
    assert london_today(datetime(2026, 6, 30, 23, 30, tzinfo=timezone.utc)) == date(2026, 7, 1)
    assert format_date(datetime(2026, 6, 30, 23, 30, tzinfo=timezone.utc)) == "1 July 2026"
    assert format_date(datetime(2026, 12, 31, 23, 30, tzinfo=timezone.utc)) == "31 December 2026"
