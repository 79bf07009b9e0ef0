"""One live twilight a term per person, whatever the concurrency: the same person booking
each area's session of a term at once, in their own threads and transactions, and booking
the year while booking a session, end up with exactly one live booking in the term."""
from __future__ import annotations

from sqlalchemy import func, select

from lms.accounts.models import User
from lms.bookings.models import LIVE_STATUSES, Booking, TrainingSession
from lms.core.errors import DomainError
from lms.extensions import db
from lms.programmes.models import Programme
from lms.programmes.twilights import services
from tests.bookings.test_concurrency import run_at_once
from tests.conftest import NOW
from tests.programmes.twilights.conftest import term


def live(person_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Booking).where(
        Booking.user_id == person_id, Booking.status.in_(LIVE_STATUSES)))


def test_one_person_booking_every_area_at_once_gets_one(app, series, deputy):
    session_ids = [row.session_id for row in services.term_sessions(term(series, "autumn"))]
    person_id = deputy.id
    db.session.commit()
    db.session.remove()

    def job_for(session_id):
        def job():
            try:
                session = db.session.get(TrainingSession, session_id)
                return services.book_session(session, db.session.get(User, person_id), now=NOW).status
            except DomainError as error:
                return f"refused: {error.message[:40]}"
        return job

    results, errors = run_at_once(app, [job_for(sid) for sid in session_ids * 2])
    assert not errors, errors
    assert sorted(results).count("booked") == 1, results
    assert live(person_id) == 1


def test_booking_the_year_and_a_session_at_once(app, series, dsl):
    programme_id, person_id = series.id, dsl.id
    south = services.term_sessions(term(series, "autumn"))[1].session_id
    db.session.commit()
    db.session.remove()

    def year():
        try:
            return len([p for p in services.book_the_year(db.session.get(Programme, programme_id),
                                                          db.session.get(User, person_id), now=NOW) if p.new])
        except DomainError:
            return 0

    def one():
        try:
            services.book_session(db.session.get(TrainingSession, south), db.session.get(User, person_id), now=NOW)
            return 1
        except DomainError:
            return 0

    results, errors = run_at_once(app, [year, one, year, one])
    assert not errors, errors
    assert sum(results) == 1, results
    assert live(person_id) == 1
