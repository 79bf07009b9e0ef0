"""No overbooking across worker processes.

Fires many booking attempts at one session at the same moment through several gunicorn
workers, over the JSON API (POST /api/v1/sessions/{id}/bookings, each person with their
own API token), and checks that exactly the session's places were booked and everyone
else joined the waiting list, each person once, with no server error.

    python benchmarks/bench_booking.py                       # a fresh SQLite file
    python benchmarks/bench_booking.py --database postgresql://postgres@127.0.0.1:5432/lms_bench_booking

With PostgreSQL the named database is dropped and created for the run, and dropped at the
end (--keep keeps it). All traffic goes to 127.0.0.1. Timings are reported as ratios to
the median /health response measured in the same run, never as targets.

Exit status: 0 exactly right, 1 wrong counts or server errors, 2 the run could not be made.
"""
from __future__ import annotations

import argparse
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    OUTPUT_DIR,
    create_schema,
    database_url,
    is_sqlite,
    make_app,
    median,
    print_table,
)
from signin_lockout import ATTEMPT_HEADER, Gunicorn, RunError, time_health, on_fresh_database  # noqa: E402

import requests  # noqa: E402

EMAIL_DOMAIN = "bench.example"
COURSE_CODE = "BENCH-BOOK"


# --- the database ---------------------------------------------------------------------

@dataclass
class Setup:
    session_id: int
    tokens: list[str]  # one per person, in person order
    person_ids: list[int]


def prepare_database(url: str, *, people: int, places: int) -> Setup:
    """Schema, reference data, an organisation, a face-to-face course, one session with
    `places` places starting in two weeks, and `people` confirmed accounts, each with a
    personal API token."""
    from decimal import Decimal

    from sqlalchemy import select

    from lms.accounts.models import User
    from lms.accounts.services import hash_password
    from lms.api.services import create_token
    from lms.bookings.sessions.services import SessionDetails, create_session
    from lms.catalogue.models import Course
    from lms.core.time import utcnow
    from lms.extensions import db
    from lms.organisations.models import Organisation, OrganisationType
    from lms.organisations.reference.services import load_reference_data

    app = make_app(url)
    create_schema(app)
    with app.app_context():
        load_reference_data()
        now = utcnow()
        school_type = db.session.scalar(select(OrganisationType).where(OrganisationType.code == "primary-school"))
        school = Organisation(name="Benchmark Primary School", type_id=school_type.id, sector_id=school_type.sector_id,
                              created_at=now)
        course = Course(code=COURSE_CODE, title="Safeguarding for everyone (booking benchmark)",
                        summary="A course run as sessions, for the booking benchmark.", learning_outcomes=[],
                        delivery_mode="face-to-face", cpd_hours=Decimal("3"), level=1, requirement_codes=[],
                        managed_by="admin", active=True, created_at=now, updated_at=now)
        # One password hash for everyone: nobody signs in, and Argon2 is slow on purpose.
        password_hash = hash_password(f"not used {now.timestamp()}")
        trainer = User(email=f"trainer@{EMAIL_DOMAIN}", full_name="Benchmark Trainer", password_hash=password_hash,
                       email_confirmed_at=now, is_trainer=True, created_at=now)
        db.session.add_all([school, course, trainer])
        db.session.flush()
        persons = [
            User(email=f"booker{n:04d}@{EMAIL_DOMAIN}", full_name=f"Booker {n:04d}", password_hash=password_hash,
                 email_confirmed_at=now, organisation_id=school.id, created_at=now)
            for n in range(1, people + 1)
        ]
        db.session.add_all(persons)
        db.session.flush()
        starts = (now + timedelta(days=14)).replace(minute=0, second=0, microsecond=0)
        session = create_session(SessionDetails(
            course=course, starts_at=starts, ends_at=starts + timedelta(hours=3), capacity=places,
            signup_closes_at=starts - timedelta(days=1), venue_name="Benchmark Hall", venue_address="1 Test Street",
            trainers=[trainer],
        ), actor=trainer, now=now)
        tokens = [create_token(person, name="Booking benchmark", now=now)[0] for person in persons]
        db.session.commit()
        setup = Setup(session_id=session.id, tokens=tokens, person_ids=[person.id for person in persons])
        db.session.remove()
        db.engine.dispose()
    return setup


@dataclass
class Stored:
    statuses: Counter
    live_per_person: Counter
    waiting_positions: list[int]
    emails: int


def stored_bookings(url: str, session_id: int) -> Stored:
    """What the database holds after the run."""
    from sqlalchemy import func, select

    from lms.bookings import services
    from lms.bookings.models import Booking, TrainingSession
    from lms.extensions import db
    from lms.notifications.models import OutboundEmail

    app = make_app(url)
    with app.app_context():
        statuses = Counter(dict(db.session.execute(
            select(Booking.status, func.count()).where(Booking.session_id == session_id).group_by(Booking.status)
        ).all()))
        live = Counter(db.session.scalars(
            select(Booking.user_id).where(Booking.session_id == session_id, Booking.status != "cancelled")
        ))
        session = db.session.get(TrainingSession, session_id)
        positions = [services.waiting_position(b) for b in services.waiting_list(session)]
        emails = db.session.scalar(select(func.count()).select_from(OutboundEmail).where(OutboundEmail.category == "booking"))
        db.session.remove()
        db.engine.dispose()
    return Stored(statuses, live, positions, emails)


# --- the server -----------------------------------------------------------------------

class BookingGunicorn(Gunicorn):
    """signin_lockout's gunicorn (production settings, an access log with each request's
    worker pid and our attempt label), with its own log files."""

    def __init__(self, url: str, *, workers: int, log_dir: Path, app: str = "wsgi:app"):
        super().__init__(url, workers=workers, log_dir=log_dir, app=app)
        self.access_log = log_dir / "booking-access.log"
        self.error_log = log_dir / "booking-error.log"


# --- the client -----------------------------------------------------------------------

@dataclass
class Attempt:
    label: str
    person: int  # index into the people
    http_status: int  # 0: no answer (connection failed or timed out)
    booking_status: str | None  # "booked", "waitlisted", ... from a 201
    waiting_position: int | None
    seconds: float
    detail: str = ""


def book(base: str, session_id: int, token: str, label: str, person: int, start: threading.Barrier) -> Attempt:
    with requests.Session() as client:
        client.headers.update({"Authorization": f"Bearer {token}", "Accept": "application/json", ATTEMPT_HEADER: label})
        try:
            start.wait(timeout=120)
        except threading.BrokenBarrierError:
            return Attempt(label, person, 0, None, None, 0.0, "not started: another attempt failed to start")
        started = time.perf_counter()
        try:
            response = client.post(f"{base}/api/v1/sessions/{session_id}/bookings", json={}, timeout=120)
        except requests.RequestException as error:
            return Attempt(label, person, 0, None, None, time.perf_counter() - started, repr(error))
        seconds = time.perf_counter() - started
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code == 201:
            return Attempt(label, person, 201, body.get("status"), body.get("waiting_position"), seconds)
        if response.status_code == 409 and isinstance(body.get("booking"), dict):
            # Already booked (a double click): the answer carries the booking they have.
            return Attempt(label, person, 409, None, None, seconds, f"already {body['booking'].get('status')}")
        return Attempt(label, person, response.status_code, None, None, seconds,
                       str(body.get("message") or response.text[:200]))


def book_at_once(base: str, setup: Setup, *, double_clicks: int) -> list[Attempt]:
    """One attempt per person, plus a second at the same moment for the first
    `double_clicks` people, all released together."""
    plan = [(f"p{n + 1}", n) for n in range(len(setup.tokens))]
    plan += [(f"p{n + 1}-again", n) for n in range(double_clicks)]
    start = threading.Barrier(len(plan))
    with ThreadPoolExecutor(max_workers=len(plan)) as pool:
        futures = [pool.submit(book, base, setup.session_id, setup.tokens[n], label, n, start) for label, n in plan]
        return [future.result(timeout=300) for future in futures]


# --- the run --------------------------------------------------------------------------

def run(url: str, *, workers: int, people: int, places: int, double_clicks: int, health_samples: int,
        app: str = "wsgi:app", output_dir: Path = OUTPUT_DIR) -> int:
    setup = prepare_database(url, people=people, places=places)
    with BookingGunicorn(url, workers=workers, log_dir=output_dir, app=app) as server:
        health = time_health(server.base, health_samples)
        attempts = book_at_once(server.base, setup, double_clicks=double_clicks)
    served = server.served()  # read after the server stopped, so the log is complete
    stored = stored_bookings(url, setup.session_id)

    expected_booked, expected_waiting = min(places, people), max(people - places, 0)
    http = Counter(a.http_status for a in attempts)
    answered = Counter(a.booking_status for a in attempts if a.http_status == 201)
    server_errors = sum(count for status, count in http.items() if status >= 500 or status == 0)
    other_errors = [a for a in attempts if a.http_status not in (201, 409) and not (a.http_status >= 500 or a.http_status == 0)]
    double_answers = http.get(409, 0)
    positions = sorted(a.waiting_position for a in attempts if a.booking_status == "waitlisted")
    pids = {served[a.label][0] for a in attempts if a.label in served}
    per_worker = Counter(served[a.label][0] for a in attempts if a.label in served)
    health_median = median(health)
    server_health = median(server.health_server_times())
    server_attempt = median(served[a.label][1] for a in attempts if a.label in served)

    checks = {
        f"{expected_booked} booked (answers)": answered.get("booked", 0) == expected_booked,
        f"{expected_waiting} waitlisted (answers)": answered.get("waitlisted", 0) == expected_waiting,
        f"{expected_booked} booked (database)": stored.statuses.get("booked", 0) == expected_booked,
        f"{expected_waiting} waitlisted (database)": stored.statuses.get("waitlisted", 0) == expected_waiting,
        "nothing else in the database": sum(stored.statuses.values()) == people,
        "one live booking per person": len(stored.live_per_person) == people and set(stored.live_per_person.values()) <= {1},
        "no server errors (5xx or no answer)": server_errors == 0,
        "no other errors": not other_errors,
        f"{double_clicks} double clicks answered 409": double_answers == double_clicks,
        "waiting positions answered 1..N once each": positions == list(range(1, expected_waiting + 1)),
        "waiting list in the database 1..N": stored.waiting_positions == list(range(1, expected_waiting + 1)),
        "one email per person": stored.emails == people,
    }

    print()
    print(f"Booking: {len(attempts)} attempts ({people} people, {double_clicks} of them clicking twice) at once on a "
          f"{places}-place session, through {workers} gunicorn workers "
          f"({'SQLite' if is_sqlite(url) else 'PostgreSQL'}, POST /api/v1/sessions/{{id}}/bookings)")
    print()
    print_table(["measure", "value"], [
        ["attempts", str(len(attempts))],
        ["HTTP statuses", ", ".join(f"{status or 'no answer'} x {count}" for status, count in sorted(http.items()))],
        ["booked (answers)", str(answered.get("booked", 0))],
        ["waitlisted (answers)", str(answered.get("waitlisted", 0))],
        ["other answers", ", ".join(f"{s} x {c}" for s, c in answered.items() if s not in ("booked", "waitlisted")) or "none"],
        ["already booked (409)", str(double_answers)],
        ["server errors (5xx or no answer)", str(server_errors)],
        ["other errors", str(len(other_errors))],
        ["bookings in the database", ", ".join(f"{s} x {c}" for s, c in sorted(stored.statuses.items())) or "none"],
        ["people with more than one live booking", str(sum(1 for c in stored.live_per_person.values() if c > 1))],
        ["booking emails queued", str(stored.emails)],
        ["distinct worker pids", f"{len(pids)} of {workers}"],
        ["attempts per worker", ", ".join(str(c) for _, c in sorted(per_worker.items())) or "n/a"],
        ["median /health (client)", f"{health_median * 1000:.1f} ms over {len(health)} requests = 1.0"],
        ["median attempt (client) / median /health", f"{median(a.seconds for a in attempts) / health_median:.1f}"],
        ["median attempt (server) / median /health (server)",
         f"{server_attempt / server_health:.1f}" if server_health else "n/a"],
    ])
    print()
    print_table(["check", "result"], [[name, "ok" if good else "FAILED"] for name, good in checks.items()])
    for attempt in (other_errors + [a for a in attempts if a.http_status >= 500 or a.http_status == 0])[:10]:
        print(f"  {attempt.label}: {attempt.http_status or 'no answer'} {attempt.detail}")
    if len(pids) < min(workers, len(attempts)):
        print(f"\nNote: only {len(pids)} of {workers} workers served an attempt this time.")
    if all(checks.values()):
        print(f"\nNo overbooking: exactly {expected_booked} booked and {expected_waiting} waitlisted, no server errors.")
        return 0
    print("\nWRONG: see the failed checks above.")
    return 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", help="SQLAlchemy URL (default: a fresh booking.sqlite in --output-dir)")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--people", type=int, default=200, help="people booking at once, one attempt each")
    parser.add_argument("--places", type=int, default=20, help="the session's places")
    parser.add_argument("--double-clicks", type=int, default=0,
                        help="of the people, how many also send a second attempt at the same moment")
    parser.add_argument("--health-samples", type=int, default=20, help="sequential /health requests for the baseline")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database afterwards")
    parser.add_argument("--app", default="wsgi:app", help="the WSGI application for gunicorn")
    parser.add_argument("--output-dir", type=Path, default=OUTPUT_DIR, help="where the SQLite file and gunicorn logs go")
    args = parser.parse_args(argv)
    if not (1 <= args.workers <= 16 and 1 <= args.people <= 1000 and 1 <= args.places <= 2000
            and 0 <= args.double_clicks <= args.people and 1 <= args.health_samples <= 1000):
        parser.error("keep --workers to 1-16, --people to 1-1000, --places to 1-2000, --double-clicks to at most "
                     "--people and --health-samples to 1-1000")

    url = database_url(args.database or "sqlite:///" + str(args.output_dir / "booking.sqlite"))
    return on_fresh_database(url, scratch_dir=args.output_dir, keep=args.keep,
                             run=lambda url: run(url, workers=args.workers, people=args.people, places=args.places, double_clicks=args.double_clicks, health_samples=args.health_samples, app=args.app, output_dir=args.output_dir))


if __name__ == "__main__":
    sys.exit(main())
