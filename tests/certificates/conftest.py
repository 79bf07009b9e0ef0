"""Certificates tests use the bookings fixtures (a course, a session of it on Tuesday
8 December 2026, people of a primary school with a setting lead, a trainer, an admin) and
add a way to mark someone at the session.

Fixtures:
    attend(person, session=None, *, status="attended", hours=None, at=None) -> Booking
        book `person` onto the session (default `training_session`) and mark the register
        (at the session's end unless `at` is given)
    past_session            a session on Tuesday 24 November 2026, before today's date,
                            for the pages, which read the real clock
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from lms.bookings import services as bookings
from lms.bookings.registers import services as registers
from tests.bookings.conftest import (  # noqa: F401  (fixtures)
    admin,
    colleague,
    course,
    lead,
    make_course,
    make_people,
    make_session,
    organisation,
    other_organisation,
    outbox,
    outsider,
    person,
    trainer,
    training_session,
)
from tests.conftest import NOW

# Tuesday 8 December 2026, 1pm in London: the default session (9:30 to 12:30) is over.
AFTER_SESSION = datetime(2026, 12, 8, 13, 0, tzinfo=timezone.utc)


@pytest.fixture()
def attend(training_session, trainer):
    def mark(person, session=None, *, status="attended", hours=None, at=None):
        session = session or training_session
        booking = bookings.book(session, person, actor=person, now=NOW)
        registers.mark(booking, status, hours=hours, actor=trainer, now=at or session.ends_at)
        return booking

    return mark


# Tuesday 24 November 2026, 9:30am in London: the day after NOW, and in the past for the
# pages (which use the real clock).
PAST_START = datetime(2026, 11, 24, 9, 30, tzinfo=timezone.utc)


@pytest.fixture()
def past_session(make_session, trainer):
    return make_session(starts_at=PAST_START, signup_closes_at=PAST_START - timedelta(hours=1), trainers=[trainer])
