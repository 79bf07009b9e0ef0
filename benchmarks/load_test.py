"""Load test: 32 people at once on the common pages, through gunicorn with 4 workers.

Each simulated person signs in through the real form with a session of their own (a
different generated person each: practitioners, setting leads, trainers and admins, those
with an e-learning course in progress first, so they have a lesson page), then asks for the
common pages: /health, the catalogue, a course page, their lesson page, My training, their
home page and the sessions list.

1. **Single user.** One person at a time (each role's person for their home page) asks for
   each page `--single-requests` times in turn: the median of each page is its time
   without load.
2. **Loaded.** `--users` threads (32), each with its own signed-in person and HTTP session,
   start together and ask for their pages in a shuffled order, `--rounds` times over. For
   each page: the loaded p50 and p95, p95 as a multiple of the single-user median (goal
   within 3x), errors (any answer but 200, or no answer; goal 0) and the requests a second
   over the whole run.

It runs on a database you name (`--database`; default the M copy
benchmarks/output/ops-m.sqlite) and only on 127.0.0.1. It writes sessions (sign-ins and
their renewals), so it refuses a SQLite file outside benchmarks/output/ or a PostgreSQL
database with accounts that are not benchmark accounts: copy the generated database first.
Exit status 0 when every page is within the limit with no errors, 1 otherwise, 2 when the
run could not be made.
"""
from __future__ import annotations

import argparse
import random
import re
import secrets
import statistics
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    OUTPUT_DIR, GunicornServer, check_disposable, database_url, describe_url, is_sqlite, percentile, print_table,
    schema_differences,
)

PASSWORD = "benchmark people all share this password"
CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
ROLES = ("practitioner", "setting lead", "trainer", "admin")


class RunError(Exception):
    pass


@dataclass
class Person:
    role: str
    email: str
    lesson: str | None  # the path of their lesson page, if they have a course in progress

    def pages(self) -> list[tuple[str, str]]:
        """(label, path) of the pages this person asks for."""
        pages = [("/health", "/health"), ("/courses", "/courses"), ("/courses/SGE", "/courses/SGE"),
                 ("/my-training", "/my-training"), (f"home ({self.role})", "/"), ("/sessions", "/sessions")]
        if self.lesson:
            pages.append(("lesson page", self.lesson))
        return pages


# --- choosing the people ----------------------------------------------------------------------

def find_people(url: str, users: int) -> list[Person]:
    """`users` generated people: a quarter setting leads, an eighth trainers, an eighth admins
    (as many as there are), the rest plain practitioners; within each, those with an
    e-learning course in progress first, then by id."""
    from sqlalchemy import exists, func, select

    from common import make_app
    from lms.accounts.models import PersonRole, SettingLead, User
    from lms.catalogue.models import Lesson
    from lms.elearning.models import Enrolment
    from lms.extensions import db

    app = make_app(url)
    wanted = {"setting lead": users // 4, "trainer": users // 8, "admin": users // 8}  # practitioners make up the rest
    wanted["practitioner"] = users - sum(wanted.values())
    leads = exists().where(SettingLead.user_id == User.id)
    plain = (User.active.is_(True), User.dormant_at.is_(None), User.organisation_id.is_not(None),
             User.email.like("%bench.example"),
             exists().where(PersonRole.user_id == User.id, PersonRole.ended_on.is_(None)))
    kinds = {
        "practitioner": (~leads, User.is_admin.is_(False), User.is_trainer.is_(False)),
        "setting lead": (leads, User.is_admin.is_(False), User.is_trainer.is_(False)),
        "trainer": (~leads, User.is_admin.is_(False), User.is_trainer.is_(True)),
        "admin": (~leads, User.is_admin.is_(True), User.is_trainer.is_(False)),
    }
    enrolment = (
        select(Enrolment.id).where(Enrolment.user_id == User.id, Enrolment.status == "in-progress")
        .order_by(Enrolment.id).limit(1).correlate(User).scalar_subquery()
    )
    people: list[Person] = []

    def lesson_of(enrolment_id: int | None) -> str | None:
        if enrolment_id is None:
            return None
        found = db.session.execute(
            select(Enrolment.last_position, func.count(Lesson.id))
            .join(Lesson, Lesson.version_id == Enrolment.version_id)
            .where(Enrolment.id == enrolment_id).group_by(Enrolment.id)
        ).first()
        return f"/learning/{enrolment_id}/lessons/{max(1, min(found[0], found[1]))}" if found else None

    with app.app_context():
        for role in ROLES:
            rows = db.session.execute(
                select(User.email, enrolment.label("enrolment")).where(*plain, *kinds[role])
                .order_by(enrolment.is_(None), User.id).limit(wanted[role])
            ).all()
            for row in rows:
                people.append(Person(role, row.email, lesson_of(row.enrolment)))
        if len(people) < users:  # too few of some role: more practitioners
            taken = {person.email for person in people}
            rows = db.session.execute(
                select(User.email, enrolment.label("enrolment")).where(*plain, *kinds["practitioner"])
                .order_by(enrolment.is_(None), User.id).limit(users)
            ).all()
            for row in rows:
                if len(people) < users and row.email not in taken:
                    people.append(Person("practitioner", row.email, lesson_of(row.enrolment)))
        db.session.remove()
        db.engine.dispose()
    if len(people) < users:
        print(f"Note: {users - len(people)} fewer people than asked for: the data has too few")
    if not people:
        raise RunError("No generated people to sign in as")
    return people


# --- HTTP ----------------------------------------------------------------------------------------

def signed_in(base: str, person: Person):
    import requests

    session = requests.Session()
    page = session.get(base + "/sign-in", timeout=60)
    match = CSRF_FIELD.search(page.text)
    if not match:
        raise RunError("The sign-in page has no csrf_token field")
    response = session.post(base + "/sign-in", allow_redirects=False, timeout=120,
                            data={"email": person.email, "password": PASSWORD,
                                  "csrf_token": match.group(1) or match.group(2)})
    if response.status_code != 302:
        raise RunError(f"Signing in as {person.email} answered {response.status_code}, not a redirect")
    return session


@dataclass
class Samples:
    seconds: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    error_kinds: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, session, base: str, label: str, path: str) -> None:
        started = time.perf_counter()
        try:
            response = session.get(base + path, allow_redirects=False, timeout=120)
            status = str(response.status_code)
        except Exception as error:  # noqa: BLE001  (a refused or timed-out request is an error)
            status = type(error).__name__
        elapsed = time.perf_counter() - started
        with self.lock:
            self.seconds[label].append(elapsed)
            if status != "200":
                self.errors[label] += 1
                self.error_kinds[status] += 1


def single_user(base: str, people: list[Person], *, requests: int, warm_up: int) -> Samples:
    """One person at a time; each page in turn, `requests` times (after `warm_up`)."""
    samples = Samples()
    sessions = {}
    plan: list[tuple[object, str, str]] = []
    seen: set[str] = set()
    for person in people:
        for label, path in person.pages():
            if label in seen:
                continue
            seen.add(label)
            if person.email not in sessions:
                sessions[person.email] = signed_in(base, person)
            plan.append((sessions[person.email], label, path))
    for _ in range(warm_up):
        for session, label, path in plan:
            session.get(base + path, allow_redirects=False, timeout=120)
    for _ in range(requests):
        for session, label, path in plan:
            samples.get(session, base, label, path)
    for session in sessions.values():
        session.close()
    return samples


def loaded(base: str, people: list[Person], *, rounds: int, seed: int, think: float) -> tuple[Samples, float]:
    """Everyone at once: each thread signs in, waits for the others, then asks for its pages
    in a shuffled order `rounds` times, pausing a random 0 to 2 x `think` seconds after each
    answer (0: none). Returns the samples and the wall-clock seconds."""
    samples = Samples()
    sessions = [signed_in(base, person) for person in people]
    start = threading.Barrier(len(people) + 1)
    failures: list[BaseException] = []

    def work(index: int) -> None:
        rng = random.Random(seed + index)
        pages = people[index].pages()
        try:
            start.wait(timeout=300)
            for _ in range(rounds):
                order = pages[:]
                rng.shuffle(order)
                for label, path in order:
                    samples.get(sessions[index], base, label, path)
                    if think:
                        time.sleep(rng.uniform(0, 2 * think))
        except BaseException as error:  # noqa: BLE001
            failures.append(error)

    threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(len(people))]
    for thread in threads:
        thread.start()
    start.wait(timeout=300)
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    for session in sessions:
        session.close()
    if failures:
        raise RunError(f"A simulated person stopped: {failures[0]!r}")
    return samples, wall


def server_app():
    """The WSGI app for gunicorn, production settings (LMS_CONFIG and DATABASE_URL come from
    the environment the runner sets)."""
    from lms import create_app

    return create_app()


# --- the run --------------------------------------------------------------------------------------

def run(url: str, *, users: int, workers: int, rounds: int, single_requests: int, warm_up: int, limit: float,
        seed: int, think: float) -> int:
    check_disposable(url, scratch_dir=OUTPUT_DIR)
    missing = schema_differences(url)
    if missing:
        raise RunError("The database lacks " + ", ".join(missing[:5]) + ": copy it again and create the new tables")
    people = find_people(url, users)
    counts = defaultdict(int)
    for person in people:
        counts[person.role] += 1
    print(f"Database {describe_url(url)}; {len(people)} people: "
          + ", ".join(f"{n} {role}" for role, n in counts.items())
          + f"; {sum(1 for p in people if p.lesson)} with a lesson page")
    env = {"LMS_CONFIG": "production", "SECRET_KEY": secrets.token_hex(32), "DATABASE_URL": url,
           "SESSION_COOKIE_SECURE": "0"}
    with GunicornServer("load_test:server_app()", env=env, workers=workers, log_dir=OUTPUT_DIR,
                        name="load-test", pythonpath=Path(__file__).resolve().parent, boot_timeout=120) as server:
        print(f"gunicorn: {workers} workers on {server.base}")
        alone = single_user(server.base, people, requests=single_requests, warm_up=warm_up)
        together, wall = loaded(server.base, people, rounds=rounds, seed=seed, think=think)
        log = server.log_tail(10_000)
    locked = len(re.findall(r"database is locked", log))
    server_errors = len(re.findall(r"Traceback", log))

    health = statistics.median(alone.seconds["/health"])
    rows = []
    problems = []
    order = ["/health", "/courses", "/courses/SGE", "lesson page", "/my-training", "/sessions",
             *[f"home ({role})" for role in ROLES]]
    total_requests = sum(len(v) for v in together.seconds.values())
    for label in [label for label in order if label in together.seconds]:
        single = statistics.median(alone.seconds[label]) if alone.seconds.get(label) else None
        times = together.seconds[label]
        p50, p95 = percentile(times, 50), percentile(times, 95)
        ratio = p95 / single if single else None
        errors = together.errors.get(label, 0) + alone.errors.get(label, 0)
        rows.append([
            label,
            f"{single * 1000:.1f}" if single else "-",
            f"{single / health:.2f}" if single else "-",
            f"{p50 * 1000:.1f}", f"{p95 * 1000:.1f}",
            f"{ratio:.2f}" if ratio else "-",
            errors, len(times), f"{len(times) / wall:.1f}",
        ])
        if ratio is not None and ratio > limit:
            problems.append(f"{label}: loaded p95 {ratio:.2f} x the single-user median (limit {limit:g})")
        if errors:
            problems.append(f"{label}: {errors} errors")
    print()
    print_table(["page", "single median ms", "single x /health", "loaded p50 ms", "loaded p95 ms",
                 "p95 / single median", "errors", "requests", "per second"], rows)
    print()
    print(f"Loaded: {len(people)} people x {rounds} rounds, pausing {think:g} s on average between requests, "
          f"{total_requests} requests in {wall:.1f} s: "
          f"{total_requests / wall:.1f} requests a second over {workers} workers")
    if together.error_kinds or alone.error_kinds:
        kinds = defaultdict(int)
        for source in (alone.error_kinds, together.error_kinds):
            for kind, n in source.items():
                kinds[kind] += n
        print("Errors by answer: " + ", ".join(f"{kind}: {n}" for kind, n in sorted(kinds.items())))
    print(f"gunicorn log: {server_errors} tracebacks, {locked} 'database is locked'")
    if is_sqlite(url):
        print("(SQLite: one writer at a time for the whole file; session renewals queue for the lock)")
    if problems:
        print(f"FAIL: {len(problems)} problems")
        for problem in problems:
            print(f"- {problem}")
        return 1
    print(f"PASS: every page's loaded p95 within {limit:g} x its single-user median, no errors")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default=f"sqlite:///{OUTPUT_DIR / 'ops-m.sqlite'}",
                        help="SQLAlchemy URL of a copy of a generated database (default %(default)s)")
    parser.add_argument("--users", type=int, default=32, help="people at once (default 32)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
    parser.add_argument("--rounds", type=int, default=10, help="times each person asks for each page (default 10)")
    parser.add_argument("--single-requests", type=int, default=30,
                        help="single-user requests a page (default 30)")
    parser.add_argument("--warm-up", type=int, default=5, help="untimed single-user requests a page first")
    parser.add_argument("--limit", type=float, default=3.0,
                        help="the most a loaded p95 may be, as a multiple of the single-user median (default 3)")
    parser.add_argument("--think", type=float, default=0.0,
                        help="each person's average pause between requests, in seconds (default 0: none)")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    try:
        return run(database_url(args.database), users=args.users, workers=args.workers, rounds=args.rounds,
                   single_requests=args.single_requests, warm_up=args.warm_up, limit=args.limit, seed=args.seed,
                   think=args.think)
    except RunError as error:
        print(f"Could not run: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
