"""A financial year of data for the annual report pack: 2026-27 (1 April 2026 to 31 March
2027), in the twilight tests' borough (three areas, primary schools, a secondary, a special
school and a nursery).

    year_of_data   {"people": {...}, "f2f": Course, "virtual": Course, "sessions": [...]}:
                   e-learning in three quarters (and just outside the year), a face-to-face
                   session with three attending and a no-show, a virtual one with one, the
                   autumn twilights with two DSLs, evaluations (one agreeing to be quoted),
                   follow-ups sent and one answered
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select

from lms.bookings import services as bookings
from lms.bookings.registers import services as registers
from lms.evaluations import services as evaluations
from lms.evaluations.followup import jobs as followup_jobs
from lms.evaluations.followup import services as followup
from lms.evaluations.followup.models import FollowUp
from lms.extensions import db
from lms.programmes.twilights import services as twilights
from lms.records import services as records
from lms.records.models import Completion
from tests import factories
from tests.bookings.conftest import make_course_row, make_session_row
from tests.conftest import NOW
from tests.programmes.twilights.conftest import (  # noqa: F401  (fixtures)
    admin,
    borough,
    series,
    term,
    trainer,
    twilight_course,
)

START, END = date(2026, 4, 1), date(2027, 3, 31)
AFTER_YEAR = date(2027, 4, 15)
# 12 weeks after 8 December 2026, and a day more.
FOLLOWUP_SENT = datetime(2027, 3, 3, 9, 0, tzinfo=timezone.utc)


def elearning(person, on, ref):
    records.record_completion(person, title="Safeguarding Everyone", delivery_mode="elearning", on=on,
                              hours=Decimal("2"), source="elearning", source_ref=ref, now=NOW)


@pytest.fixture()
def year_of_data(borough, series, admin, trainer):
    schools = borough["hosts"]
    people = {
        "ana": factories.user("ana@example.org", organisation=schools["north"]),
        "ben": factories.user("ben@example.org", organisation=schools["south"]),
        "cal": factories.user("cal@example.org", organisation=borough["nursery"]),
        "dan": factories.user("dan@example.org", organisation=schools["east"]),
        "dsl1": factories.user("dsl1@example.org", organisation=schools["north"], roles=("school-dsl",)),
        "dsl2": factories.user("dsl2@example.org", organisation=schools["south"], roles=("school-dsl",)),
    }
    # E-learning: Ana in Q1 and Q3 (once in the year), Ben in Q1, Cal in Q4; Dan just
    # before and just after the year.
    elearning(people["ana"], date(2026, 5, 10), "e:1")
    elearning(people["ana"], date(2026, 11, 1), "e:2")
    elearning(people["ben"], date(2026, 5, 11), "e:3")
    elearning(people["cal"], date(2027, 2, 1), "e:4")
    elearning(people["dan"], date(2026, 3, 31), "e:5")
    elearning(people["dan"], date(2027, 4, 1), "e:6")

    f2f = make_course_row("F2F-A", mode="face-to-face", title="Working together to safeguard children")
    f2f.asks_for_evaluation = True
    virtual = make_course_row("VIRT-A", mode="virtual", title="Neglect: recognising the signs")
    held = make_session_row(f2f, trainers=[trainer])
    online = make_session_row(virtual, trainers=[trainer])
    marked = []
    for name, status in (("ana", "attended"), ("ben", "attended"), ("cal", "partly-attended"), ("dan", "no-show")):
        booking = bookings.book(held, people[name], actor=people[name], now=NOW)
        registers.mark(booking, status, hours="1.5" if status == "partly-attended" else None, actor=trainer,
                       now=held.ends_at)
        marked.append(booking)
    booking = bookings.book(online, people["ben"], actor=people["ben"], now=NOW)
    registers.mark(booking, "attended", actor=trainer, now=online.ends_at)

    rows = twilights.term_sessions(term(series, "autumn"))
    for person, row in ((people["dsl1"], rows[0]), (people["dsl2"], rows[1])):
        booking = twilights.book_session(row.session, person, now=NOW)
        registers.mark(booking, "attended", actor=admin, now=row.session.ends_at)
    db.session.flush()

    # Evaluations: Ana agrees to be quoted, Ben writes something but does not agree.
    for booking, quote, agrees, satisfaction in ((marked[0], "I will check the chronology first.", True, 5),
                                                 (marked[1], "Something private.", False, 3)):
        db.session.refresh(booking)
        evaluations.submit(db.session.get(Completion, booking.completion_id), evaluations.Answers(
            satisfaction=satisfaction, skills="a-lot" if satisfaction == 5 else "no", confidence_before=2,
            confidence_after=4, will_do_differently=quote, may_quote=agrees), actor=booking.user,
            now=held.ends_at + timedelta(hours=2))
    db.session.commit()

    # Follow-ups go out twelve weeks on; Ana answers.
    followup_jobs.send_followups(now=FOLLOWUP_SENT)
    ana_row = db.session.scalar(select(FollowUp).where(FollowUp.user_id == people["ana"].id))
    followup.answer(ana_row, "yes", "I used the new referral form.", now=FOLLOWUP_SENT + timedelta(days=2))
    db.session.commit()
    return {"people": people, "f2f": f2f, "virtual": virtual, "sessions": [held, online]}


@pytest.fixture()
def year_over(monkeypatch):
    """The pages and the API asked on AFTER_YEAR, so the whole of 2026-27 is counted
    whatever today's date (a year not over is counted to today)."""
    moment = datetime.combine(AFTER_YEAR, datetime.min.time().replace(hour=12), tzinfo=timezone.utc)
    monkeypatch.setattr("lms.reports.annual.views.utcnow", lambda: moment)
    monkeypatch.setattr("lms.api.routes.annual.utcnow", lambda: moment)
    return AFTER_YEAR
