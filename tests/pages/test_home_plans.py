"""The trainer's and the admin's cards read what they show, not the history: the registers
to mark from the places still "booked", the next sessions and the sessions under their
minimum by their start, the failed emails from the failed ones only. The plans are
SQLite's (PostgreSQL plans by its statistics); which sessions and counts the cards show is
checked on both databases."""
from __future__ import annotations

from datetime import timedelta

from lms.extensions import db
from lms.pages import services as pages
from tests import factories as f
from tests.bookings.conftest import make_session_row
from tests.pages.home_data import _booking, build
from tests.plans import query_plan, sqlite_only  # noqa: F401 (a fixture)


def test_registers_to_mark_are_read_from_the_places_still_booked(sqlite_only, now):
    scene = build(now)
    plan = query_plan(pages.registers_query(scene.trainer, now=now))
    assert "SEARCH booking USING COVERING INDEX ix_booking_status_session (status=?)" in plan, plan
    assert "SEARCH training_session USING INTEGER PRIMARY KEY" in plan, plan
    assert "SCAN training_session" not in plan, plan
    assert "SCAN booking" not in plan, plan


def test_next_sessions_are_read_by_their_start(sqlite_only, now):
    scene = build(now)
    plan = query_plan(pages.upcoming_sessions_query(scene.trainer, now=now))
    assert "SEARCH training_session USING INDEX ix_training_session_starts_at (starts_at>?)" in plan, plan
    assert "SCAN training_session" not in plan, plan


def test_the_admins_queues_read_only_failed_emails_and_sessions_in_the_window(sqlite_only, now):
    build(now)
    plan = query_plan(pages.admin_queues_query())
    assert "ix_outbound_email_failed" in plan, plan
    assert "SCAN outbound_email" not in plan, plan
    plan = query_plan(pages.under_minimum_query(now=now))
    assert "SEARCH training_session USING INDEX ix_training_session_starts_at (starts_at>? AND starts_at<?)" in plan, plan
    assert "SCAN training_session" not in plan, plan


def test_registers_to_mark_are_the_trainers_ended_sessions_with_places_booked(now):
    scene = build(now)
    course = scene.ended.course
    other_trainer = f.user("other.trainer@example.org", full_name="Ola Bank", trainer=True, roles=())
    start = now - timedelta(days=10)

    def ended(days_ago, trainer, **fields):
        at = now - timedelta(days=days_ago)
        return make_session_row(course, starts_at=at, signup_closes_at=at - timedelta(days=1), trainers=[trainer],
                                **fields)

    older = ended(10, scene.trainer)  # two booked, one absent: 2 not marked, listed first
    for n, status in enumerate(("booked", "booked", "no-show")):
        _booking(older, f.user(f"older{n}@example.org", organisation=scene.school), status, now)
    marked = ended(5, scene.trainer)  # everyone marked: not listed
    _booking(marked, f.user("marked@example.org", organisation=scene.school), "attended", now)
    cancelled = ended(6, scene.trainer, status="cancelled")  # cancelled: not listed
    _booking(cancelled, f.user("cancelled@example.org", organisation=scene.school), "booked", now)
    theirs = ended(7, other_trainer)  # another trainer's: not listed
    _booking(theirs, f.user("theirs@example.org", organisation=scene.school), "booked", now)
    running = make_session_row(course, starts_at=now - timedelta(hours=1), duration=timedelta(hours=3),
                               signup_closes_at=start, trainers=[scene.trainer])  # not ended yet: not listed
    _booking(running, f.user("running@example.org", organisation=scene.school), "booked", now)
    db.session.flush()

    section = pages.trainer_section(scene.trainer, now=now)
    assert [(r.session.id, r.unmarked) for r in section.registers] == [(older.id, 2), (scene.ended.id, 1)]
    assert section.registers_total == 2
    assert [(r.session.id, r.unmarked) for r in pages.trainer_section(other_trainer, now=now).registers] == [
        (theirs.id, 1)
    ]
