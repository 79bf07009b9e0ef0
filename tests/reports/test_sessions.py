"""Fill rate, no-shows and late cancellations by course (DESIGN.md section 8)."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from lms.bookings import services as bookings
from lms.bookings.models import Booking
from lms.bookings.registers import services as registers
from lms.core.errors import DomainError
from lms.core.time import LONDON
from lms.extensions import db
from lms.reports.sessions import sessions_report
from tests import factories
from tests.bookings.conftest import make_course_row, make_session_row
from tests.conftest import NOW


@pytest.fixture()
def held():
    """A 10-place course session on 24 November 2026 with 4 people: 2 attended, 1 partly,
    1 no-show; a late cancellation; a second 5-place session of it with nobody; a cancelled
    session; and another course's session in December."""
    course = make_course_row("CP", title="Child protection")
    other = make_course_row("WT", title="Working together")
    start = datetime(2026, 11, 24, 9, 30, tzinfo=LONDON)
    trainer = factories.user(trainer=True)
    session = make_session_row(course, starts_at=start, capacity=10, signup_closes_at=start - timedelta(hours=1), trainers=[trainer])
    make_session_row(course, starts_at=start + timedelta(days=1), capacity=5)
    make_session_row(course, starts_at=start + timedelta(days=2), capacity=30, status="cancelled")
    make_session_row(other, starts_at=datetime(2026, 12, 2, 9, 30, tzinfo=LONDON), capacity=8)
    school = factories.organisation()
    people = [factories.user(organisation=school) for _ in range(5)]
    marked = []
    for person in people[:4]:
        marked.append(bookings.book(session, person, actor=person, now=NOW))
    late = bookings.book(session, people[4], actor=people[4], now=NOW)
    db.session.flush()
    late.status, late.ended_reason = "cancelled", "late-cancelled"
    after = start + timedelta(hours=4)
    for booking, status in zip(marked, ("attended", "attended", "partly-attended", "no-show")):
        registers.mark(booking, status, hours="1" if status == "partly-attended" else None, actor=trainer, now=after)
    db.session.flush()
    return course


def test_fill_and_attendance_by_course(held):
    report = sessions_report(date(2026, 11, 1), date(2026, 11, 30))
    [line] = report.lines
    assert (line.code, line.sessions, line.cancelled_sessions, line.places) == ("CP", 2, 1, 15)
    assert (line.taken, line.attended, line.partly, line.no_shows, line.late_cancellations) == (4, 2, 1, 1, 1)
    assert line.fill_rate == Decimal("27")  # 4 of 15
    assert line.no_show_rate == Decimal("25")  # 1 of 4 marked
    both = sessions_report(date(2026, 11, 1), date(2026, 12, 31))
    assert [line.code for line in both.lines] == ["CP", "WT"]
    assert (both.total.places, both.total.taken) == (23, 4)
    assert both.lines[1].no_show_rate is None


def test_the_period_is_london_dates(held):
    assert sessions_report(date(2026, 11, 25), date(2026, 11, 25)).lines[0].places == 5
    assert sessions_report(date(2026, 11, 26), date(2026, 11, 30)).lines[0].sessions == 0


def test_a_backwards_period_is_refused():
    with pytest.raises(DomainError, match="same as or after"):
        sessions_report(date(2026, 12, 1), date(2026, 11, 1))


def test_the_page_and_downloads(app, held):
    trainer = factories.user(trainer=True)
    db.session.commit()
    client = factories.signed_in_client(app, trainer)
    html = client.get("/reports/sessions?from=2026-11-01&to=2026-11-30").get_data(as_text=True)
    assert "Child protection (CP)" in html and "4 of 15" in html and "27%" in html and "+1 cancelled" in html
    assert 'role="img"' in html
    body = client.get("/reports/sessions?from=2026-11-01&to=2026-11-30&format=csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows[1] == ["CP", "Child protection", "2", "1", "15", "4", "27", "2", "1", "1", "25", "1"]
    assert rows[2][1] == "All courses"
    assert client.get("/reports/sessions?from=2026-11-01&to=2026-11-30&format=xlsx").mimetype.endswith("sheet")
    assert client.get("/reports/sessions?from=2026-12-01&to=2026-11-01").status_code == 400


def test_only_trainers_and_admins_see_it(app, held):
    person = db.session.scalar(select(Booking)).user
    lead = factories.user(leads=(person.organisation,))
    db.session.commit()
    for someone in (person, lead):
        assert factories.signed_in_client(app, someone).get("/reports/sessions").status_code == 403
