"""Places are never oversold: many people booking the same session at once, each in
their own thread with their own database session and transaction, as gunicorn workers
and their requests would."""
from __future__ import annotations

import random
import threading
from collections import Counter
from datetime import timedelta

from sqlalchemy import func, select

from lms.bookings import services
from lms.bookings.models import Booking, TrainingSession
from lms.accounts.models import User
from lms.core.errors import DomainError
from lms.extensions import db
from lms.notifications.models import OutboundEmail


def run_at_once(app, jobs, *, timeout=120, after=None):
    """Run each job (a function taking no arguments, called inside its own app context)
    in its own thread, released together by a barrier; each commits. `after(outcome)`,
    if given, runs in the thread once its job has committed, and its answer is the
    result. Returns (results, errors)."""
    barrier = threading.Barrier(len(jobs))
    results: list = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(job):
        try:
            with app.app_context():
                try:
                    barrier.wait(timeout=30)
                    outcome = job()
                    db.session.commit()
                    if after is not None:
                        outcome = after(outcome)
                except BaseException:
                    db.session.rollback()
                    raise
                finally:
                    db.session.remove()
            with lock:
                results.append(outcome)
        except BaseException as error:  # reported by the test, so a crash in a thread fails it
            with lock:
                errors.append(error)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a booking thread did not finish"
    return results, errors


def booker(session_id: int, person_id: int, *, now):
    def job():
        session = db.session.get(TrainingSession, session_id)
        person = db.session.get(User, person_id)
        try:
            return services.book(session, person, actor=person, now=now).status
        except services.AlreadyBooked as error:
            return f"already:{error.booking.status}"

    return job


def statuses(session_id: int) -> Counter:
    return Counter(db.session.scalars(select(Booking.status).where(Booking.session_id == session_id)))


def test_fifty_people_at_once_on_twenty_places(app, training_session, make_people, now):
    people = make_people(50)
    db.session.commit()
    session_id, ids = training_session.id, [p.id for p in people]
    db.session.remove()

    # Each request has its own clock reading, taken before it queues for the lock (as a
    # web request's utcnow() is), in an order unrelated to the order it gets the lock.
    random.seed(4)
    clocks = [now + timedelta(microseconds=random.randrange(1_000_000)) for _ in ids]

    def book_and_read(pid, clock):
        def job():
            session = db.session.get(TrainingSession, session_id)
            person = db.session.get(User, pid)
            return services.book(session, person, actor=person, now=clock).id

        return job

    def answer(booking_id):
        """What the API answers after committing: the status and place on the list."""
        booking = db.session.get(Booking, booking_id)
        return booking.status, services.waiting_position(booking)

    results, errors = run_at_once(app, [book_and_read(pid, clock) for pid, clock in zip(ids, clocks)], after=answer)

    assert errors == []
    assert Counter(status for status, _ in results) == Counter({"booked": 20, "waitlisted": 30})
    # Nobody told their place on the list shares it: the list is in the order people
    # were taken, whatever their clocks said.
    assert sorted(position for status, position in results if status == "waitlisted") == list(range(1, 31))
    assert statuses(session_id) == Counter({"booked": 20, "waitlisted": 30})
    # Everyone got exactly one email about it, and the waiting list has a strict order.
    assert db.session.scalar(select(func.count()).select_from(OutboundEmail)) == 50
    session = db.session.get(TrainingSession, session_id)
    positions = [services.waiting_position(b) for b in services.waiting_list(session)]
    assert positions == list(range(1, 31))
    assert services.places_left(session) == 0
    assert session.lock_version == 50


def test_double_click_makes_one_booking(app, training_session, person, now):
    db.session.commit()
    session_id, person_id = training_session.id, person.id
    db.session.remove()

    results, errors = run_at_once(app, [booker(session_id, person_id, now=now) for _ in range(6)])

    assert errors == []
    assert sorted(results) == ["already:booked"] * 5 + ["booked"]
    assert statuses(session_id) == Counter({"booked": 1})
    assert db.session.scalar(select(func.count()).select_from(OutboundEmail)) == 1


def test_the_last_place_and_double_clicks_together(app, make_session, make_people, now):
    """Three places, ten people each clicking twice: three booked, seven waiting, one
    booking each."""
    session = make_session(capacity=3)
    people = make_people(10)
    db.session.commit()
    session_id, ids = session.id, [p.id for p in people]
    db.session.remove()

    results, errors = run_at_once(app, [booker(session_id, pid, now=now) for pid in ids for _ in range(2)])

    assert errors == []
    assert Counter(r for r in results if not r.startswith("already:")) == Counter({"booked": 3, "waitlisted": 7})
    assert len([r for r in results if r.startswith("already:")]) == 10
    assert statuses(session_id) == Counter({"booked": 3, "waitlisted": 7})
    per_person = Counter(db.session.scalars(select(Booking.user_id).where(Booking.session_id == session_id)))
    assert set(per_person.values()) == {1}


def test_cancellations_and_bookings_at_once_never_oversell(app, make_session, make_people, now):
    """While booked people cancel, others book: the places held never exceed the
    capacity, and every freed place is offered or taken."""
    session = make_session(capacity=10)
    first = make_people(10)
    waiting = make_people(5)
    for person in first + waiting:
        services.book(session, person, actor=person, now=now)
    newcomers = make_people(15)
    db.session.commit()
    session_id = session.id
    cancelling = [b.id for b in db.session.scalars(
        select(Booking).where(Booking.session_id == session_id, Booking.status == "booked").order_by(Booking.id).limit(4)
    )]
    new_ids = [p.id for p in newcomers]
    first_waiting = [p.id for p in waiting[:4]]
    db.session.remove()

    def canceller(booking_id):
        def job():
            booking = db.session.get(Booking, booking_id)
            return services.cancel(booking, actor=booking.user, now=now).status

        return job

    jobs = [canceller(bid) for bid in cancelling] + [booker(session_id, pid, now=now) for pid in new_ids]
    results, errors = run_at_once(app, jobs)

    assert errors == []
    counts = statuses(session_id)
    # Four places freed: the first four on the waiting list were offered them, in order;
    # the newcomers all joined the list behind them (places on offer are held).
    assert counts["booked"] + counts["offered"] == 10
    assert counts == Counter({"booked": 6, "offered": 4, "cancelled": 4, "waitlisted": 16})
    offered = list(db.session.scalars(
        select(Booking.user_id).where(Booking.session_id == session_id, Booking.status == "offered")
    ))
    assert sorted(offered) == sorted(first_waiting)


def test_concurrent_errors_change_nothing(app, make_session, make_people, now):
    """Booking a closed session from many threads at once: each gets the message, no rows."""
    session = make_session(signup_closes_at=now)
    people = make_people(8)
    db.session.commit()
    session_id, ids = session.id, [p.id for p in people]
    db.session.remove()

    def job_for(pid):
        def job():
            try:
                booker(session_id, pid, now=now)()
            except DomainError as error:
                return error.message
            return "booked?"

        return job

    results, errors = run_at_once(app, [job_for(pid) for pid in ids])
    assert errors == []
    assert set(results) == {"Booking closed on 23 November 2026 at 10am"}
    assert statuses(session_id) == Counter()
