"""The demo's DSL network twilights: last year's series held and marked, this year's with
its terms, topics and hosts, in term time, on the booking engine."""
from __future__ import annotations

import random
from datetime import datetime, timezone

from sqlalchemy import func, select

from lms.accounts.models import User
from lms.bookings import services as bookings
from lms.bookings.models import Booking
from lms.compliance import services as compliance
from lms.core.time import as_utc, london_today, to_london
from lms.demo.data import create_demo_data
from lms.demo.history import create_demo_history
from lms.demo.sessions import add_demo_sessions
from lms.extensions import db
from lms.programmes.twilights import services as twilights
from lms.records.models import Completion

# A Monday in December: the autumn twilights are held, spring and summer are to come.
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=timezone.utc)


def test_demo_has_last_years_series_held_and_this_years_booked():
    create_demo_data(if_empty=False, seed=5, now=NOW)
    create_demo_history(seed=5, now=NOW)
    add_demo_sessions(NOW, random.Random(5))
    db.session.commit()

    series = twilights.list_series()
    assert [s.title for s in series] == ["DSL network twilights 2026-27", "DSL network twilights 2025-26"]
    this_year, last_year = series
    for programme in series:
        for term in twilights.terms_of(programme):
            assert term.topic_title and term.agencies
            rows = twilights.term_sessions(term)
            assert len(rows) == 4  # one in each area
            window = twilights.term_window(programme.starts_on.year, term.term)
            for row in rows:
                day = to_london(row.session.starts_at)
                assert window[0] <= day.date() <= window[1] and day.weekday() < 5
                assert row.host.area_id == row.area_id and row.session.venue_name == row.host.name
                assert row.host.type.code in ("primary-school", "secondary-school", "special-school")
                counts = bookings.place_counts([row.session_id])[row.session_id]
                assert counts["places"] <= row.session.capacity
            held = as_utc(rows[-1].session.ends_at) < NOW
            attended = db.session.scalar(
                select(func.count()).select_from(Booking)
                .where(Booking.session_id.in_([r.session_id for r in rows]), Booking.status == "attended"))
            assert (attended > 0) == held, term.label
    autumn = twilights.terms_of(this_year)[0]
    assert autumn.topic_title == "Online extremism: the school response"
    # Last year's completions carry the term and topic and count towards the annual update.
    title = "DSL network twilight, summer 2026: Knife crime, gangs and county lines"
    completion = db.session.scalar(select(Completion).where(Completion.title == title).limit(1))
    assert completion is not None and completion.delivery_mode == "twilight"
    results = {r.requirement.code: r.result for r in
               compliance.person_compliance(completion.user, as_of=london_today(NOW))}
    assert results["dsl-annual-update"].last_completed_on >= completion.completed_on
    # The spring and summer twilights are booked already by those who booked the year.
    spring = twilights.terms_of(this_year)[1]
    assert all(bookings.place_counts([r.session_id])[r.session_id]["places"] > 0 for r in twilights.term_sessions(spring))
    # The report has schools to follow up.
    admin = db.session.scalar(select(User).where(User.email == "admin@demo.example"))
    report = twilights.term_report(autumn, actor=admin)
    assert 0 < report.represented < report.schools and report.not_represented
