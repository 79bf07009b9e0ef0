"""Certificates benchmark: issuing a whole twilight's certificates, the public check, the
trainer's certificates page, one PDF and the session's ZIP.

A DSL network twilight in a large county has 200-250 DSLs (DESIGN.md section 1), so the
default session has 250 people marked as attending; a second, smaller session (25) shows
that no page's SQL statement count grows with the number of people.

    python benchmarks/bench_certificates.py                       # a SQLite file in benchmarks/output/
    python benchmarks/bench_certificates.py --database postgresql://postgres@127.0.0.1:5432/lms_bench_certificates
    python benchmarks/bench_certificates.py --people 250 --requests 100

The database is emptied and filled afresh (only a scratch SQLite file under
benchmarks/output/ or a PostgreSQL database holding nothing but benchmark accounts). The
app runs in this process with the Flask test client. Reported, as ratios to the median of
GET /health measured in the same run:

- GET /verify/<code> (anyone), GET /certificates (a person with 20 certificates),
  GET /manage/sessions/<id>/certificates (the trainer's page) and the PDF of one
  certificate, each with its SQL statements per request at both session sizes;
- issuing the session's certificates (one press of "Issue certificates") and the ZIP of
  all its PDFs, as a total and per certificate.

Exit status: 0 when the public check is within --limit x /health (5 by default, as for
the compliance pages) and every page's
statement count is the same at both sizes; 1 when not; 2 when the run could not be made.
"""
from __future__ import annotations

import argparse
import sys
import time
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    OUTPUT_DIR,
    check_disposable,
    create_postgres_database,
    create_schema,
    database_url,
    drop_schema,
    is_sqlite,
    make_app,
    median,
    print_table,
    remove_sqlite_file,
)
from sqlalchemy import event  # noqa: E402

DEFAULT_DATABASE = "sqlite:///" + str(OUTPUT_DIR / "certificates.sqlite")
SMALL = 25
OWN_CERTIFICATES = 20


class Counter:
    def __init__(self):
        self.statements = 0

    def __call__(self, *args):
        self.statements += 1


def _fill(app, people: int):
    """Reference data, a trainer, a twilight course with two past sessions (`people` and
    SMALL attendees, all marked attended) and one person with OWN_CERTIFICATES e-learning
    certificates. Returns the ids the run needs."""
    from lms.accounts.models import PersonRole, User
    from lms.bookings import services as bookings
    from lms.bookings.models import TrainingSession
    from lms.bookings.registers import services as registers
    from lms.bookings.sessions import services as sessions
    from lms.catalogue.models import Course
    from lms.compliance.baseline import load_baseline
    from lms.extensions import db
    from lms.organisations.models import JobRole, Organisation, OrganisationType
    from lms.organisations.reference.services import load_reference_data
    from lms.records import services as records
    from sqlalchemy import select

    now = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)
    with app.app_context():
        load_reference_data()
        load_baseline()
        school_type = db.session.scalar(select(OrganisationType).where(OrganisationType.code == "primary-school"))
        dsl = db.session.scalar(select(JobRole).where(JobRole.code == "school-dsl"))
        school = Organisation(name="Bench Primary", type_id=school_type.id, sector_id=school_type.sector_id, created_at=now)
        db.session.add(school)
        db.session.flush()

        def person(n: int, **extra) -> User:
            user = User(email=f"person{n}@bench.example", full_name=f"Bench Person {n}", password_hash="x",
                        email_confirmed_at=now, organisation_id=school.id, created_at=now, **extra)
            user.roles.append(PersonRole(job_role=dsl, started_on=date(2020, 9, 1)))
            db.session.add(user)
            return user

        trainer = person(0, is_trainer=True)
        twilight = Course(code="TW-BENCH", title="DSL network twilight", summary="Termly update.", learning_outcomes=[],
                          delivery_mode="twilight", cpd_hours=Decimal("1.5"), level=3, requirement_codes=[],
                          managed_by="admin", active=True, created_at=now, updated_at=now)
        elearning = Course(code="EL-BENCH", title="Safeguarding update", summary="E-learning.", learning_outcomes=[],
                           delivery_mode="elearning", cpd_hours=Decimal("1"), level=1,
                           requirement_codes=["dsl-annual-update"], managed_by="files", active=True,
                           created_at=now, updated_at=now)
        db.session.add_all([twilight, elearning])
        db.session.flush()

        session_ids = []
        attendees = iter(range(1, people + SMALL + 1))
        for size, day in ((people, 3), (SMALL, 4)):
            starts = now + timedelta(days=day, hours=7)
            session = TrainingSession(
                course_id=twilight.id, starts_at=starts, ends_at=starts + timedelta(hours=1, minutes=30),
                capacity=size, signup_closes_at=starts - timedelta(hours=1), checkin_code=sessions.new_checkin_code(),
                location_kind="in-person", venue_name="Bench Academy hall", venue_address="1 High Street",
                venue_postcode="EX1 1AA", minimum=0, cancellation_working_days=2, requires_approval=False,
                status="scheduled", sequence=0, lock_version=0, created_at=now, updated_at=now,
            )
            session.trainers = [trainer]
            db.session.add(session)
            db.session.flush()
            for _ in range(size):
                attendee = person(next(attendees))
                db.session.flush()
                booking = bookings.book(session, attendee, actor=attendee, now=now)
                registers.mark(booking, "attended", actor=trainer, now=session.ends_at)
            session_ids.append(session.id)

        holder = person(people + SMALL + 1)
        db.session.flush()
        for n in range(OWN_CERTIFICATES):
            records.record_completion(holder, title=elearning.title, delivery_mode="elearning",
                                      on=date(2026, 1, 1) + timedelta(days=n), hours=Decimal(1), source="elearning",
                                      source_ref=f"bench:{n}", course=elearning, now=now)
        db.session.commit()
        return {"trainer": trainer.id, "holder": holder.id, "sessions": session_ids}


def _signed_in(app, user_id: int):
    from lms.accounts import services as accounts
    from lms.accounts.models import User
    from lms.core.time import utcnow
    from lms.extensions import db

    client = app.test_client()
    with app.app_context():
        token = accounts.start_session(db.session.get(User, user_id), now=utcnow())
        db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = token
        session["_fresh"] = True
    return client


def _time_get(app, client, path: str, requests: int) -> tuple[float, set[int]]:
    """Median milliseconds of `requests` GETs after a warm-up, and the statement counts seen."""
    from lms.extensions import db

    counts: set[int] = set()
    timings = []
    with app.app_context():
        engine = db.engine
    for index in range(requests + 3):
        counter = Counter()
        event.listen(engine, "before_cursor_execute", counter)
        started = time.perf_counter()
        response = client.get(path)
        elapsed = time.perf_counter() - started
        event.remove(engine, "before_cursor_execute", counter)
        if response.status_code != 200:
            raise SystemExit(f"GET {path} answered {response.status_code}")
        if index >= 3:
            timings.append(elapsed * 1000)
            counts.add(counter.statements)
    return median(timings), counts


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    parser.add_argument("--people", type=int, default=250, help="people marked at the large session (default 250)")
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--limit", type=float, default=5.0, help="the public check's limit, x /health (default 5)")
    args = parser.parse_args(argv)

    url = database_url(args.database)
    check_disposable(url, scratch_dir=OUTPUT_DIR)
    if is_sqlite(url):
        OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
        remove_sqlite_file(url)
    else:
        create_postgres_database(url)
    app = make_app(url)
    drop_schema(app)
    create_schema(app)
    started = time.perf_counter()
    ids = _fill(app, args.people)
    print(f"Data: {args.people} + {SMALL} people marked at two twilights, one person with {OWN_CERTIFICATES} "
          f"certificates ({time.perf_counter() - started:.1f} s)")

    from lms.accounts.models import User
    from lms.bookings.models import TrainingSession
    from lms.courses.sessions import services
    from lms.certificates.models import Certificate
    from lms.core.time import utcnow
    from lms.extensions import db
    from sqlalchemy import select

    issue_seconds = {}
    with app.test_request_context():
        trainer = db.session.get(User, ids["trainer"])
        for session_id in ids["sessions"]:
            session = db.session.get(TrainingSession, session_id)
            started = time.perf_counter()
            issued = services.issue_for_session(session, actor=trainer, now=utcnow())
            db.session.commit()
            issue_seconds[session_id] = (time.perf_counter() - started, len(issued.issued))
        large = db.session.get(TrainingSession, ids["sessions"][0])
        started = time.perf_counter()
        body, in_zip = services.session_zip(large, actor=trainer, now=utcnow())
        zip_seconds = time.perf_counter() - started
        codes = {sid: db.session.scalar(select(Certificate.code).where(Certificate.training_session_id == sid).limit(1))
                 for sid in ids["sessions"]}
        own_code = db.session.scalar(select(Certificate.code).where(Certificate.user_id == ids["holder"]).limit(1))

    anyone = app.test_client()
    trainer_client = _signed_in(app, ids["trainer"])
    holder = _signed_in(app, ids["holder"])
    health, _ = _time_get(app, anyone, "/health", args.requests)
    pages = [
        ("Public check /verify/<code>", anyone, [f"/verify/{codes[sid]}" for sid in ids["sessions"]]),
        ("Trainer's certificates page", trainer_client, [f"/manage/sessions/{sid}/certificates" for sid in ids["sessions"]]),
        ("My certificates (20)", holder, ["/certificates"]),
        ("One certificate's PDF", holder, [f"/certificates/{own_code}/pdf"]),
    ]
    rows = []
    failed = False
    verify_ratio = None
    for label, client, paths in pages:
        timings, counts = [], set()
        for path in paths:
            ms, seen = _time_get(app, client, path, args.requests if "PDF" not in label else max(10, args.requests // 5))
            timings.append(ms)
            counts |= seen
        ratio = max(timings) / health
        fixed = len(counts) == 1
        failed |= not fixed
        if label.startswith("Public check"):
            verify_ratio = ratio
        rows.append([label, f"{max(timings):.2f}", f"{ratio:.1f}x", ", ".join(str(c) for c in sorted(counts)),
                     "fixed" if fixed else "VARIES"])
    print(f"\n/health median {health:.2f} ms ({args.requests} requests)\n")
    print_table(["Page", "Median ms", "x /health", "SQL statements", "At 25 and " + str(args.people)], rows)

    large_seconds, large_count = issue_seconds[ids["sessions"][0]]
    print()
    print_table(["Action", "Certificates", "Seconds", "Per certificate (x /health)"], [
        ["Issue a session's certificates", large_count, f"{large_seconds:.2f}", f"{large_seconds * 1000 / large_count / health:.0f}x"],
        ["ZIP of the session's PDFs", in_zip, f"{zip_seconds:.2f}", f"{zip_seconds * 1000 / in_zip / health:.0f}x"],
    ])
    print(f"\nZIP size {len(body) / 1024:.0f} KiB")
    verdict = verify_ratio is not None and verify_ratio <= args.limit and not failed
    print(f"\n{'PASS' if verdict else 'FAIL'}: public check {verify_ratio:.1f}x /health (limit {args.limit}x); "
          f"statement counts {'fixed' if not failed else 'vary with the number of people'}")
    return 0 if verdict else 1


if __name__ == "__main__":
    sys.exit(main())
