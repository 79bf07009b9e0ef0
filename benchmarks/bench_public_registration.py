"""Safeguarding Week: no overbooking by the public, across worker processes.

Fires many public registrations (name and email, no account) at one event at the same
moment through several gunicorn workers, over the public API
(POST /api/v1/public/events/{id}/registrations), then has everyone given a place follow
the link in their email and confirm it at the same moment (the registrant's page and its
form, with its CSRF token), then sends the same email many times at once. It checks that
exactly the event's places are held (then confirmed), everyone else is on the waiting list
in order, the repeated email made one registration, and no request failed on the server.

    python benchmarks/bench_public_registration.py
    python benchmarks/bench_public_registration.py --database postgresql://postgres@127.0.0.1:5432/lms_bench_public

The per-address limit (PUBLIC_REGISTRATION_MAX_PER_ADDRESS) is raised for the run, as all
the traffic comes from 127.0.0.1. With PostgreSQL the named database is dropped and created
for the run, and dropped at the end (--keep keeps it). Timings are ratios to the median
/health response measured in the same run, never targets.

Exit status: 0 exactly right, 1 wrong counts or server errors, 2 the run could not be made.
"""
from __future__ import annotations

import argparse
import os
import re
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
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
from signin_lockout import ATTEMPT_HEADER, Gunicorn, RunError, csrf_token, time_health, on_fresh_database  # noqa: E402

import requests  # noqa: E402

EMAIL_DOMAIN = "public.bench.example"
REPEATED_EMAIL = f"same.person@{EMAIL_DOMAIN}"
LINK = re.compile(r"https?://[^/\s]+(/safeguarding-week/registration/[A-Za-z0-9_-]+)")


# --- the database ---------------------------------------------------------------------

def prepare_database(url: str, *, places: int) -> int:
    """Schema, reference data, an admin, a Safeguarding Week starting in three weeks and
    one event for the public with `places` places. Returns the event's id."""
    from datetime import time as clock

    from sqlalchemy import select

    from lms.accounts.models import User
    from lms.accounts.services import hash_password
    from lms.core.time import LONDON, london_today, utcnow
    from lms.extensions import db
    from lms.organisations.models import Organisation, OrganisationType
    from lms.organisations.reference.services import load_reference_data
    from lms.programmes.week import services as week

    app = make_app(url)
    create_schema(app)
    with app.app_context():
        load_reference_data()
        now = utcnow()
        police = db.session.scalar(select(OrganisationType).where(OrganisationType.code == "police"))
        organiser = Organisation(name="Benchmark Police", type_id=police.id, sector_id=police.sector_id, created_at=now)
        admin = User(email=f"admin@{EMAIL_DOMAIN}", full_name="Benchmark Admin", is_admin=True, created_at=now,
                     password_hash=hash_password(f"not used {now.timestamp()}"), email_confirmed_at=now)
        db.session.add_all([organiser, admin])
        db.session.flush()
        first = london_today(now) + timedelta(days=21)
        programme = week.create_week(week.WeekForm(
            title="Benchmark Safeguarding Week", theme="Everyone's business", starts_on=first,
            ends_on=first + timedelta(days=4), lead_boards=["Benchmark Partnership"],
        ), actor=admin, now=now)
        starts = datetime.combine(first + timedelta(days=1), clock(10, 0), tzinfo=LONDON)
        event = week.create_event(programme, week.EventForm(
            title="Online safety for parents (benchmark)", description="A public event.", kind="face-to-face",
            audience="public", organiser_id=organiser.id, starts_at=starts, ends_at=starts + timedelta(hours=2),
            capacity=places, venue_name="Benchmark Hall", venue_address="1 Test Street",
        ), actor=admin, now=now)
        db.session.commit()
        event_id = event.id
        db.session.remove()
        db.engine.dispose()
    return event_id


@dataclass
class Stored:
    statuses: Counter
    per_email: Counter
    places_taken: int
    capacity: int
    links: dict[str, str]  # email -> the link in its newest email
    waiting_positions: list[int]


def stored(url: str, event_id: int) -> Stored:
    from sqlalchemy import func, select

    from lms.bookings import services as bookings
    from lms.extensions import db
    from lms.notifications.models import OutboundEmail
    from lms.programmes.week import services as week
    from lms.programmes.week.models import PublicRegistration

    app = make_app(url)
    with app.app_context():
        event = week.get_event(event_id)
        statuses = Counter(dict(db.session.execute(
            select(PublicRegistration.status, func.count()).where(PublicRegistration.event_id == event_id)
            .group_by(PublicRegistration.status)
        ).all()))
        per_email = Counter(db.session.scalars(
            select(PublicRegistration.email_key).where(PublicRegistration.event_id == event_id,
                                                       PublicRegistration.status != "cancelled")
        ))
        links = {}
        for address, body in db.session.execute(
            select(OutboundEmail.to_address, OutboundEmail.body_text).order_by(OutboundEmail.id)
        ):
            match = LINK.search(body or "")
            if match:
                links[address] = match.group(1)
        positions = [week.waiting_position(r) for r in week.public_waiting(event.session_id)]
        result = Stored(statuses, per_email, bookings.places_taken(event.session), event.session.capacity, links,
                        positions)
        db.session.remove()
        db.engine.dispose()
    return result


# --- the client -----------------------------------------------------------------------

@dataclass
class Attempt:
    label: str
    http_status: int  # 0: no answer
    answer: str | None
    position: int | None
    seconds: float
    detail: str = ""


def _released(start: threading.Barrier) -> bool:
    try:
        start.wait(timeout=120)
        return True
    except threading.BrokenBarrierError:
        return False


def register(base: str, event_id: int, name: str, email: str, label: str, start: threading.Barrier) -> Attempt:
    with requests.Session() as client:
        client.headers.update({"Accept": "application/json", ATTEMPT_HEADER: label})
        if not _released(start):
            return Attempt(label, 0, None, None, 0.0, "not started")
        started = time.perf_counter()
        try:
            response = client.post(f"{base}/api/v1/public/events/{event_id}/registrations",
                                   json={"name": name, "email": email}, timeout=120)
        except requests.RequestException as error:
            return Attempt(label, 0, None, None, time.perf_counter() - started, repr(error))
        seconds = time.perf_counter() - started
        try:
            body = response.json()
        except ValueError:
            body = {}
        return Attempt(label, response.status_code, body.get("status"), body.get("waiting_position"), seconds,
                       str(body.get("message", ""))[:200])


def confirm(base: str, path: str, label: str, start: threading.Barrier) -> Attempt:
    """Open the registrant's page (for its CSRF token and session cookie), then, released
    with everyone else, press "Confirm my place"."""
    with requests.Session() as client:
        client.headers.update({ATTEMPT_HEADER: label})
        try:
            page = client.get(base + path, timeout=120)
            token = csrf_token(page.text)
        except (requests.RequestException, RunError) as error:
            _released(start)
            return Attempt(label, 0, None, None, 0.0, f"page: {error!r}")
        if not _released(start):
            return Attempt(label, 0, None, None, 0.0, "not started")
        started = time.perf_counter()
        try:
            response = client.post(base + path + "/confirm", data={"csrf_token": token}, allow_redirects=False,
                                   timeout=120)
        except requests.RequestException as error:
            return Attempt(label, 0, None, None, time.perf_counter() - started, repr(error))
        return Attempt(label, response.status_code, None, None, time.perf_counter() - started)


def at_once(jobs) -> list[Attempt]:
    start = threading.Barrier(len(jobs))
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        futures = [pool.submit(function, *args, start) for function, *args in jobs]
        return [future.result(timeout=300) for future in futures]


# --- the run --------------------------------------------------------------------------

class PublicGunicorn(Gunicorn):
    def __init__(self, url: str, *, workers: int, log_dir: Path, app: str = "wsgi:app"):
        super().__init__(url, workers=workers, log_dir=log_dir, app=app)
        self.access_log = log_dir / "public-registration-access.log"
        self.error_log = log_dir / "public-registration-error.log"


def run(url: str, *, workers: int, people: int, places: int, repeats: int, health_samples: int,
        app: str = "wsgi:app", output_dir: Path = OUTPUT_DIR) -> int:
    event_id = prepare_database(url, places=places)
    # Everyone comes from 127.0.0.1: raise the per-address limit for the run only.
    os.environ["PUBLIC_REGISTRATION_MAX_PER_ADDRESS"] = str(10 * (people + repeats) + 100)
    with PublicGunicorn(url, workers=workers, log_dir=output_dir, app=app) as server:
        health = time_health(server.base, health_samples)
        registered = at_once([(register, server.base, event_id, f"Person {n:04d}", f"person{n:04d}@{EMAIL_DOMAIN}",
                               f"r{n}") for n in range(1, people + 1)])
        after_registering = stored(url, event_id)
        # Everyone holding a place follows the link in their email, at the same moment.
        links = [after_registering.links[email] for email in sorted(_holders(url, event_id))]
        confirmations = at_once([(confirm, server.base, link, f"c{n}") for n, link in enumerate(links)])
        repeated = at_once([(register, server.base, event_id, "Same Person", REPEATED_EMAIL.upper() if n % 2 else
                             REPEATED_EMAIL, f"s{n}") for n in range(repeats)])
    final = stored(url, event_id)

    waiting = people - places
    http = Counter(a.http_status for a in registered)
    answers = Counter(a.answer for a in registered if a.http_status == 201)
    positions = sorted(a.position for a in registered if a.answer == "waitlisted")
    confirm_http = Counter(a.http_status for a in confirmations)
    repeat_http = Counter(a.http_status for a in repeated)
    all_attempts = registered + confirmations + repeated
    server_errors = sum(1 for a in all_attempts if a.http_status >= 500 or a.http_status == 0)
    health_median = median(health)

    checks = {
        f"{places} places held (answers)": answers.get("awaiting-confirmation", 0) == places,
        f"{waiting} waitlisted (answers)": answers.get("waitlisted", 0) == waiting,
        f"{places} places held (database, after registering)":
            after_registering.statuses.get("awaiting-confirmation", 0) == places,
        "the engine counts exactly the places held": after_registering.places_taken == places,
        "waiting positions answered 1..N once each": positions == list(range(1, waiting + 1)),
        f"{places} confirmations answered with a redirect": confirm_http.get(302, 0) == places,
        f"{places} confirmed (database)": final.statuses.get("confirmed", 0) == places,
        "places never exceed capacity": final.places_taken == places <= final.capacity,
        "waiting list in the database 1..N": final.waiting_positions == list(range(1, waiting + 2)),
        f"{repeats} repeats of one email: one registration": final.per_email.get(REPEATED_EMAIL, 0) == 1,
        f"repeats answered 201 once and 200 {repeats - 1} times":
            repeat_http.get(201, 0) == 1 and repeat_http.get(200, 0) == repeats - 1,
        "no server errors (5xx or no answer)": server_errors == 0,
    }

    print()
    print(f"Public registration: {people} registrations at once for a {places}-place Safeguarding Week event, "
          f"then {len(confirmations)} confirmations at once, then {repeats} repeats of one email, through {workers} "
          f"gunicorn workers ({'SQLite' if is_sqlite(url) else 'PostgreSQL'})")
    print()
    print_table(["measure", "value"], [
        ["registrations: HTTP statuses", ", ".join(f"{s or 'no answer'} x {c}" for s, c in sorted(http.items()))],
        ["held awaiting confirmation (answers)", str(answers.get("awaiting-confirmation", 0))],
        ["waitlisted (answers)", str(answers.get("waitlisted", 0))],
        ["confirmations: HTTP statuses", ", ".join(f"{s or 'no answer'} x {c}" for s, c in sorted(confirm_http.items()))],
        ["repeats: HTTP statuses", ", ".join(f"{s or 'no answer'} x {c}" for s, c in sorted(repeat_http.items()))],
        ["registrations in the database", ", ".join(f"{s} x {c}" for s, c in sorted(final.statuses.items()))],
        ["places taken (engine's count)", f"{final.places_taken} of {final.capacity}"],
        ["server errors (5xx or no answer)", str(server_errors)],
        ["median /health (client)", f"{health_median * 1000:.1f} ms over {len(health)} requests = 1.0"],
        ["median registration (client) / median /health", f"{median(a.seconds for a in registered) / health_median:.1f}"],
        ["slowest registration (client) / median /health", f"{max(a.seconds for a in registered) / health_median:.1f}"],
        ["median confirmation (client) / median /health",
         f"{median(a.seconds for a in confirmations) / health_median:.1f}" if confirmations else "n/a"],
    ])
    print()
    print_table(["check", "result"], [[name, "ok" if good else "FAILED"] for name, good in checks.items()])
    for attempt in [a for a in all_attempts if a.http_status >= 500 or a.http_status == 0][:10]:
        print(f"  {attempt.label}: {attempt.http_status or 'no answer'} {attempt.detail}")
    if all(checks.values()):
        print(f"\nNo overbooking: exactly {places} places held and confirmed, {waiting + 1} waiting, no server errors.")
        return 0
    print("\nWRONG: see the failed checks above.")
    return 1


def _holders(url: str, event_id: int) -> set[str]:
    from sqlalchemy import select

    from lms.extensions import db
    from lms.programmes.week.models import PublicRegistration

    app = make_app(url)
    with app.app_context():
        emails = set(db.session.scalars(select(PublicRegistration.email_key).where(
            PublicRegistration.event_id == event_id, PublicRegistration.status == "awaiting-confirmation")))
        db.session.remove()
        db.engine.dispose()
    return emails


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", help="SQLAlchemy URL (default: a fresh public-registration.sqlite in --output-dir)")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--people", type=int, default=300, help="members of the public registering at once")
    parser.add_argument("--places", type=int, default=150, help="the event's places")
    parser.add_argument("--repeats", type=int, default=20, help="registrations of one email sent at once")
    parser.add_argument("--health-samples", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database afterwards")
    parser.add_argument("--app", default="wsgi:app")
    parser.add_argument("--output-dir", type=Path, default=OUTPUT_DIR)
    args = parser.parse_args(argv)
    if not (1 <= args.workers <= 16 and 2 <= args.people <= 1000 and 1 <= args.places < args.people
            and 2 <= args.repeats <= 200 and 1 <= args.health_samples <= 1000):
        parser.error("keep --workers to 1-16, --people to 2-1000, --places below --people, --repeats to 2-200")
    url = database_url(args.database or "sqlite:///" + str(args.output_dir / "public-registration.sqlite"))
    return on_fresh_database(url, scratch_dir=args.output_dir, keep=args.keep,
                             run=lambda url: run(url, workers=args.workers, people=args.people, places=args.places, repeats=args.repeats, health_samples=args.health_samples, app=args.app, output_dir=args.output_dir))


if __name__ == "__main__":
    sys.exit(main())
