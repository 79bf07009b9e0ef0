"""Page benchmark: the catalogue, a lesson page and each role's home page against a large
data set.

The catalogue's "must show": at size M (100k people, 1M completions) the catalogue page
and a lesson page answer within 3x the median time of /health measured in the same run,
with a fixed number of SQL statements. The home page ("/", what to do next) is measured
signed in as a practitioner, a setting lead, a trainer and a partnership admin of the
generated data, each in a browser session of their own.

    python benchmarks/bench_pages.py                        # size M SQLite file, generated if missing
    python benchmarks/bench_pages.py --size S --size M      # both sizes: statement counts must agree
    python benchmarks/bench_pages.py --size S --size M \\
        --database postgresql://postgres@127.0.0.1:5432/lms_bench_{size}
    python benchmarks/bench_pages.py --server               # also through gunicorn over HTTP

--database may hold "{size}", replaced by the size in lower case (default
sqlite:///benchmarks/output/{size}.sqlite). A database that is missing or has no people is
generated first (benchmarks/generate.py) at that size; --regenerate makes it again.

For each size the app runs in this process and the Flask test client signs in one learner
who has an e-learning course under way, and four more people for the home pages (see
find_home_people: the same mix of roles at every size, so the statement counts compare;
a size with no trainer, such as XXS, has its first plain practitioner made one). After a warm-up it requests every page in turn,
--requests times, and reports per page: the median and p95 milliseconds, the median as a
multiple of /health's median, the median milliseconds spent in SQL and in templates, and
the number of SQL statements per request (counted by a before_cursor_execute listener).

Once a minute the app renews the signed-in session on whatever request comes next: it
UPDATEs user_session.last_seen_at and commits, and the commit makes the ORM read the
signed-in person again. Those requests ("session renewals") run two more statements
whatever the page, so they are counted apart and left out of the fixed-count check; so
are the requests on which a process reads the partnership's details again (also once a
minute, one more statement).

Exit status: 0 when every page is within --limit x /health and its statement count is the
same in every request (and at every size given); 1 when not; 2 when the run could not be
made (no database, a page did not answer 200, gunicorn did not start).
"""
from __future__ import annotations

import argparse
import re
import secrets
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    OUTPUT_DIR,
    GunicornServer,
    check_disposable,
    create_postgres_database,
    database_url,
    describe_url,
    drop_postgres_database,
    is_sqlite,
    make_app,
    median,
    percentile,
    postgres_database_exists,
    print_table,
    remove_sqlite_file,
    schema_differences,
    sqlite_path,
)
from sqlalchemy import create_engine, event, func, select, text  # noqa: E402
from sqlalchemy.exc import OperationalError, ProgrammingError  # noqa: E402

DEFAULT_DATABASE = "sqlite:///" + str(OUTPUT_DIR / "{size}.sqlite")
STATEMENTS_HEADER = "X-Bench-Statements"
TOUCH_PATTERN = re.compile(r"^\s*UPDATE\s+\"?user_session\"?\s", re.IGNORECASE)
# Each process reads the partnership's details again once a minute (PARTNERSHIP_DETAILS_SECONDS),
# on whichever request comes next: like a session renewal, counted apart.
RELOAD_PATTERN = re.compile(r"^\s*SELECT\s.*\sFROM\s+\"?partnership_settings\"?", re.IGNORECASE | re.DOTALL)


class RunError(Exception):
    """The benchmark could not be run."""


@dataclass
class Page:
    label: str
    path: str
    baseline: bool = False
    signed_in_as: str | None = None  # whose browser asks for it (HOME_ROLES); None: the learner's


@dataclass
class Sample:
    """One timed request: its status, seconds at the client, statements run, whether it
    renewed the session, and seconds spent in SQL and in templates."""

    status: int
    seconds: float
    statements: int
    renewed: bool
    sql_seconds: float
    render_seconds: float


@dataclass
class Result:
    page: Page
    seconds: list[float] = field(default_factory=list)
    sql_seconds: list[float] = field(default_factory=list)
    render_seconds: list[float] = field(default_factory=list)
    statements: Counter = field(default_factory=Counter)  # statements per request -> requests
    renewals: Counter = field(default_factory=Counter)  # the same, for requests that renewed the session
    sample_sql: list[tuple[str, object]] = field(default_factory=list)  # (statement, parameters) of one request

    @property
    def median_ms(self) -> float:
        return median(self.seconds) * 1000

    @property
    def p95_ms(self) -> float:
        return percentile(self.seconds, 95) * 1000

    @property
    def fixed(self) -> bool:
        return len(self.statements) == 1

    @property
    def statement_count(self) -> int | None:
        return next(iter(self.statements)) if self.fixed else None

    def renewals_text(self) -> str:
        """'0', or how many requests renewed the session and the statements they ran."""
        if not self.renewals:
            return "0"
        return ", ".join(f"{times} ({n} statements)" for n, times in sorted(self.renewals.items()))

    def statements_text(self) -> str:
        if self.fixed:
            return str(self.statement_count)
        return ", ".join(f"{n} ({times}x)" for n, times in sorted(self.statements.items()))


@dataclass
class Run:
    size: str
    url: str
    mode: str  # "in-process" | "gunicorn"
    data: dict
    learner: str
    results: list[Result]
    home_people: dict[str, str] = field(default_factory=dict)  # role -> email, for the home and booking pages
    booking: BookingPeople | None = None

    def by_label(self) -> dict[str, Result]:
        return {r.page.label: r for r in self.results}


# --- the database -----------------------------------------------------------------------

def _counts(url: str) -> dict | None:
    """Row counts of the generated tables, or None when there is no database or no people."""
    path = sqlite_path(url)
    if is_sqlite(url) and (path is None or not path.exists()):
        return None
    if not is_sqlite(url) and not postgres_database_exists(url):
        return None
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            people = connection.execute(text('SELECT count(*) FROM "user"')).scalar()
            if not people:
                return None
            return {
                "people": people,
                "completions": connection.execute(text("SELECT count(*) FROM completion")).scalar(),
                "in progress": connection.execute(
                    text("SELECT count(*) FROM enrolment WHERE status = 'in-progress'")).scalar(),
                "courses": connection.execute(text("SELECT count(*) FROM course WHERE active")).scalar(),
            }
    except (OperationalError, ProgrammingError):
        return None  # no tables yet
    finally:
        engine.dispose()


def prepare_database(size_name: str, url: str, *, regenerate: bool, seed: int) -> dict:
    """Make sure `url` holds generated data (generating it at `size_name` when it is
    missing, empty or --regenerate is given); return its row counts."""
    import generate

    counts = None if regenerate else _counts(url)
    if counts is not None:
        missing = schema_differences(url)
        if missing:
            raise RunError(f"{describe_url(url)} was generated before the models changed (it has no "
                           f"{', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}). "
                           "Give --regenerate to make it again.")
        if not counts["completions"] or not counts["in progress"]:
            raise RunError(f"{describe_url(url)} has people but no completions or enrolments in progress: it was "
                           "generated before the catalogue existed. Give --regenerate to make it again.")
        expected = generate.SIZES[size_name].people
        if counts["people"] != expected:
            print(f"Note: {describe_url(url)} has {counts['people']:,} people, "
                  f"not the {expected:,} of size {size_name}.")
        return counts

    size = generate.SIZES[size_name]
    check_disposable(url, scratch_dir=OUTPUT_DIR)
    if is_sqlite(url):
        remove_sqlite_file(url)
    else:
        create_postgres_database(url)
    print(f"Generating size {size.name} ({size.people:,} people, {size.records:,} completions) "
          f"into {describe_url(url)}")
    started = time.perf_counter()
    try:
        ctx = generate.generate(url, size, seed=seed, chunk=5000, fresh=False,
                                now=datetime.now(timezone.utc).replace(microsecond=0))
    except BaseException:
        # Half-generated data would pass for generated data next time: remove it.
        if is_sqlite(url):
            remove_sqlite_file(url)
        else:
            drop_postgres_database(url)
        raise
    generate.print_summary(ctx, time.perf_counter() - started)
    print()
    counts = _counts(url)
    if counts is None:
        raise RunError(f"Generating {describe_url(url)} left no people in it")
    return counts


def find_learner(app) -> tuple[str, int, int]:
    """(email, enrolment id, lesson position): the first person with an e-learning course
    in progress, and the lesson they would open next."""
    from lms.accounts.models import User
    from lms.catalogue.models import Lesson
    from lms.elearning.models import Enrolment
    from lms.extensions import db

    with app.app_context():
        row = db.session.execute(
            select(User.email, Enrolment.id, Enrolment.last_position, Enrolment.version_id)
            .join(User, User.id == Enrolment.user_id)
            .where(Enrolment.status == "in-progress", User.active.is_(True), User.email.like("%bench.example"))
            .order_by(Enrolment.id)
            .limit(1)
        ).first()
        if row is None:
            raise RunError("No benchmark person has an e-learning course in progress")
        lessons = db.session.scalar(select(func.count(Lesson.id)).where(Lesson.version_id == row.version_id))
        db.session.remove()
    return row.email, row.id, max(1, min(row.last_position, lessons))


# The home page is measured for each of these, signed in as one generated person each.
HOME_ROLES = ("practitioner", "setting lead", "trainer", "admin")


def find_home_people(app) -> dict[str, str]:
    """{role: email} of the people whose home pages are measured: open accounts at an
    organisation with a job role, holding exactly that role besides practitioner (a plain
    practitioner; a setting lead who is neither trainer nor admin; a trainer who leads
    nowhere and is no admin; an admin who leads nowhere and is no trainer), the first by
    id. A size with no such trainer (the generator makes every 2,000th person one) has its
    first plain practitioner after the one measured made a trainer, so every size measures
    the same mix of sections."""
    from sqlalchemy import exists, update

    from lms.accounts.models import PersonRole, SettingLead, User
    from lms.extensions import db

    leads = exists().where(SettingLead.user_id == User.id)
    plain = (User.active.is_(True), User.organisation_id.is_not(None), User.email.like("%bench.example"),
             exists().where(PersonRole.user_id == User.id, PersonRole.ended_on.is_(None)))
    kinds = {
        "practitioner": (~leads, User.is_admin.is_(False), User.is_trainer.is_(False)),
        "setting lead": (leads, User.is_admin.is_(False), User.is_trainer.is_(False)),
        "trainer": (~leads, User.is_admin.is_(False), User.is_trainer.is_(True)),
        "admin": (~leads, User.is_admin.is_(True), User.is_trainer.is_(False)),
    }

    def first(conditions, offset: int = 0):
        return db.session.execute(
            select(User.id, User.email).where(*plain, *conditions).order_by(User.id).offset(offset).limit(1)
        ).first()

    people = {}
    with app.app_context():
        for role, conditions in kinds.items():
            row = first(conditions)
            if row is None and role == "trainer":
                row = first(kinds["practitioner"], offset=1)
                if row is not None:
                    db.session.execute(update(User).where(User.id == row.id).values(is_trainer=True))
                    db.session.commit()
                    print(f"Note: no trainer in the data; made {row.email} one")
            if row is None:
                raise RunError(f"No generated person to sign in as for the {role}'s home page")
            people[role] = row.email
        db.session.remove()
    return people


# The booking pages are measured signed in as these (find_booking_people).
BOOKING_ROLES = ("booker", "register trainer")
BIG_REGISTER = 100  # places held on the session whose register is measured


@dataclass
class BookingPeople:
    """Who the booking pages are measured as, and the sessions they show: the person with
    the most bookings among those on a waiting list who lead no setting, a full session with a waiting list, and the trainer of the session
    held yesterday with BIG_REGISTER people booked and not yet marked (the generator
    makes it), whose register is measured."""

    booker: str
    trainer: str
    session_id: int
    places: int
    bookings: int  # the booker's
    full_session_id: int  # a future session with a waiting list, for the session page

    def emails(self) -> dict[str, str]:
        return {"booker": self.booker, "register trainer": self.trainer}


def find_booking_people(app) -> BookingPeople:
    from lms.accounts.models import User
    from sqlalchemy.orm import aliased

    from lms.bookings.models import Booking, TrainingSession, session_trainer
    from lms.extensions import db
    from lms.organisations.models import SettingLead

    with app.app_context():
        now = datetime.now(timezone.utc)
        # The register to mark: a session that has started, with a trainer and exactly
        # BIG_REGISTER people booked and not yet marked (the generator makes one).
        big = db.session.execute(
            select(Booking.session_id, func.count().label("places"))
            .join(TrainingSession, TrainingSession.id == Booking.session_id)
            .where(Booking.status == "booked", TrainingSession.starts_at < now,
                   select(session_trainer.c.user_id).where(session_trainer.c.session_id == Booking.session_id).exists())
            .group_by(Booking.session_id).having(func.count() == BIG_REGISTER).order_by(Booking.session_id).limit(1)
        ).first()
        # The session page: the first future session that is full, with a waiting list.
        full = db.session.scalar(
            select(func.min(Booking.session_id)).join(TrainingSession, TrainingSession.id == Booking.session_id)
            .where(Booking.status == "waitlisted", TrainingSession.starts_at > now))
        if big is None or full is None:
            raise RunError(f"No session that has started has {BIG_REGISTER} people booked (or none has a waiting list): the data was generated before bookings were "
                           "(add them with generate.py --only programmes,bookings, or give --regenerate)")
        trainer = db.session.scalar(
            select(User.email).join(session_trainer, session_trainer.c.user_id == User.id)
            .where(session_trainer.c.session_id == big.session_id).order_by(User.id).limit(1))
        if trainer is None:
            raise RunError(f"Session {big.session_id} has no trainer")
        # On a waiting list too, so "my bookings" shows (and asks for) waiting-list places
        # at every size, and the sizes compare.
        queued = aliased(Booking)
        waiting = select(queued.id).where(queued.user_id == User.id, queued.status == "waitlisted").exists()
        # Not a setting lead: a lead's session page also asks for their staff's places, so a
        # booker who leads at one size and not at another would not compare.
        leads = select(SettingLead.user_id).where(SettingLead.user_id == User.id).exists()
        booker = db.session.execute(
            select(User.email, func.count(Booking.id).label("bookings")).join(Booking, Booking.user_id == User.id)
            .where(User.active.is_(True), User.is_admin.is_(False), User.is_trainer.is_(False),
                   User.email.like("%bench.example"), waiting, ~leads)
            .group_by(User.id, User.email).order_by(func.count(Booking.id).desc(), User.id).limit(1)
        ).first()
        if booker is None:
            raise RunError("Nobody has a booking")
        db.session.remove()
    return BookingPeople(booker.email, trainer, big.session_id, big.places, booker.bookings, full)


def pages_for(enrolment_id: int, position: int, booking: BookingPeople | None = None) -> list[Page]:
    pages = [
        Page("/health", "/health", baseline=True),
        Page("/courses", "/courses"),
        Page("/courses?page=2", "/courses?page=2"),
        Page("/courses?mode=elearning&keyword=safe", "/courses?mode=elearning&keyword=safe"),
        Page("/courses/SGE", "/courses/SGE"),
        Page("lesson page", f"/learning/{enrolment_id}/lessons/{position}"),
        *(Page(f"home ({role})", "/", signed_in_as=role) for role in HOME_ROLES),
    ]
    if booking is not None:
        pages += [
            Page("/sessions", "/sessions", signed_in_as="booker"),
            Page("/sessions/calendar", "/sessions/calendar", signed_in_as="booker"),
            Page("session page", f"/sessions/{booking.full_session_id}", signed_in_as="booker"),
            Page("my bookings", "/bookings", signed_in_as="booker"),
            Page("trainer's sessions", "/manage/sessions", signed_in_as="register trainer"),
            Page(f"register ({BIG_REGISTER} people)", f"/manage/sessions/{booking.session_id}/register",
                 signed_in_as="register trainer"),
        ]
    return pages


# --- counting statements ----------------------------------------------------------------

class StatementCounter:
    """Counts the SQL statements (and the seconds they take) on an engine between reset()
    and the next reset(). One request at a time: a sync gunicorn worker or this process."""

    def __init__(self, engine) -> None:
        self.statements: list[str] = []
        self.parameters: list[object] = []
        self.sql_seconds = 0.0
        self.render_seconds = 0.0
        self._started: float | None = None
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn, cursor, statement, parameters, context, executemany) -> None:
        self.statements.append(statement)
        self.parameters.append(parameters)
        self._started = time.perf_counter()

    def _after(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if self._started is not None:
            self.sql_seconds += time.perf_counter() - self._started
            self._started = None

    def reset(self) -> None:
        self.statements = []
        self.parameters = []
        self.sql_seconds = 0.0
        self.render_seconds = 0.0

    def watch_templates(self, app) -> None:
        """Also add up the seconds spent rendering templates (Flask's template signals)."""
        from flask import before_render_template, template_rendered

        starts: list[float] = []

        def before(sender, template, context, **extra) -> None:
            starts.append(time.perf_counter())

        def after(sender, template, context, **extra) -> None:
            if starts:
                elapsed = time.perf_counter() - starts.pop()
                if not starts:  # only the outermost template, so nothing counts twice
                    self.render_seconds += elapsed

        before_render_template.connect(before, app, weak=False)
        template_rendered.connect(after, app, weak=False)

    def outcome(self) -> tuple[int, bool]:
        """(statements, whether one of them renewed the session)."""
        return len(self.statements), any(TOUCH_PATTERN.match(s) or RELOAD_PATTERN.match(s) for s in self.statements)


def server_app():
    """The WSGI app gunicorn runs for --server: the normal app, plus a response header
    giving the number of SQL statements the request ran (the worker counts them)."""
    from flask import request_started

    from lms import create_app
    from lms.extensions import db

    app = create_app()
    with app.app_context():
        counter = StatementCounter(db.engine)

    def reset(sender, **extra) -> None:
        counter.reset()

    def add_header(response):
        statements, renewed = counter.outcome()
        response.headers[STATEMENTS_HEADER] = (f"{statements} {int(renewed)} {counter.sql_seconds:.6f} "
                                               f"{counter.render_seconds:.6f}")
        return response

    counter.watch_templates(app)

    request_started.connect(reset, app, weak=False)
    # First in the list, so it runs after every other after_request function.
    app.after_request_funcs.setdefault(None, []).insert(0, add_header)
    return app


# --- the clients ------------------------------------------------------------------------

CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def _csrf(html: str) -> str:
    match = CSRF_FIELD.search(html)
    if not match:
        raise RunError("The sign-in page has no csrf_token field")
    return match.group(1) or match.group(2)


class InProcess:
    """The Flask test client on the app in this process; statements counted here."""

    mode = "in-process"

    def __init__(self, url: str) -> None:
        from lms.extensions import db

        self.app = make_app(url)
        with self.app.app_context():
            self.counter = StatementCounter(db.engine)
        self.counter.watch_templates(self.app)
        # The learner's test client (bench_compliance.py swaps it for its own people), and
        # one more for each home page's person (Page.signed_in_as).
        self.client = self.app.test_client()
        self.others: dict[str, object] = {}

    def sign_in(self, email: str, password: str, who: str | None = None) -> None:
        client = self.client if who is None else self.others.setdefault(who, self.app.test_client())
        page = client.get("/sign-in")
        response = client.post("/sign-in", data={"email": email, "password": password,
                                                 "csrf_token": _csrf(page.get_data(as_text=True))})
        if response.status_code != 302:
            raise RunError(f"Signing in as {email} answered {response.status_code}, not a redirect")

    def get(self, path: str, who: str | None = None) -> Sample:
        self.counter.reset()
        started = time.perf_counter()
        response = (self.client if who is None else self.others[who]).get(path)
        response.get_data()
        seconds = time.perf_counter() - started
        statements, renewed = self.counter.outcome()
        return Sample(response.status_code, seconds, statements, renewed, self.counter.sql_seconds,
                      self.counter.render_seconds)

    def sql_of_last_request(self) -> list[tuple[str, object]]:
        return list(zip(self.counter.statements, self.counter.parameters, strict=True))

    def close(self) -> None:
        from lms.extensions import db

        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()


class OverHttp:
    """requests against gunicorn; the worker reports its statement count in a header."""

    mode = "gunicorn"

    def __init__(self, url: str, *, workers: int, log_dir: Path) -> None:
        import requests

        env = {"LMS_CONFIG": "production", "SECRET_KEY": secrets.token_hex(32), "DATABASE_URL": url,
               "SESSION_COOKIE_SECURE": "0"}
        self.server = GunicornServer("bench_pages:server_app()", env=env, workers=workers, log_dir=log_dir,
                                     name="bench-pages", pythonpath=Path(__file__).resolve().parent)
        try:
            self.server.__enter__()
        except RuntimeError as error:
            raise RunError(str(error)) from None
        # The learner's session (bench_compliance.py swaps it for its own people), and one
        # more for each home page's person (Page.signed_in_as).
        self.session = requests.Session()
        self.others: dict[str, object] = {}

    def sign_in(self, email: str, password: str, who: str | None = None) -> None:
        import requests

        session = self.session if who is None else self.others.setdefault(who, requests.Session())
        page = session.get(self.server.base + "/sign-in", timeout=30)
        response = session.post(self.server.base + "/sign-in", allow_redirects=False, timeout=60,
                                data={"email": email, "password": password, "csrf_token": _csrf(page.text)})
        if response.status_code != 302:
            raise RunError(f"Signing in as {email} over HTTP answered {response.status_code}, not a redirect")

    def get(self, path: str, who: str | None = None) -> Sample:
        started = time.perf_counter()
        session = self.session if who is None else self.others[who]
        response = session.get(self.server.base + path, allow_redirects=False, timeout=60)
        seconds = time.perf_counter() - started
        statements, renewed, sql, render = response.headers.get(STATEMENTS_HEADER, "-1 0 0 0").split()
        return Sample(response.status_code, seconds, int(statements), renewed == "1", float(sql), float(render))

    def sql_of_last_request(self) -> list[tuple[str, object]]:
        return []  # counted in the worker; --show-sql and --explain use the in-process run

    def close(self) -> None:
        for session in (self.session, *self.others.values()):
            session.close()
        self.server.stop()


# --- the run ----------------------------------------------------------------------------

def _get(client, page: Page) -> Sample:
    """The page, asked for by its person's browser (bench_compliance.py's client takes the
    path alone: it has no home pages)."""
    who = getattr(page, "signed_in_as", None)
    return client.get(page.path) if who is None else client.get(page.path, who)


def measure(client, pages: list[Page], *, requests: int, warm_up: int) -> list[Result]:
    """Warm up, then request the pages in turn (so a slow moment hits them all alike)."""
    results = [Result(page) for page in pages]
    for _ in range(warm_up):
        for page in pages:
            sample = _get(client, page)
            if sample.status != 200:
                raise RunError(f"GET {page.path} answered {sample.status} ({client.mode})")
    for _ in range(requests):
        for result in results:
            sample = _get(client, result.page)
            if sample.status != 200:
                raise RunError(f"GET {result.page.path} answered {sample.status} ({client.mode})")
            result.seconds.append(sample.seconds)
            result.sql_seconds.append(sample.sql_seconds)
            result.render_seconds.append(sample.render_seconds)
            if sample.renewed:
                result.renewals[sample.statements] += 1
                continue
            result.statements[sample.statements] += 1
            if not result.sample_sql:
                result.sample_sql = client.sql_of_last_request()
    return results


def run_size(size: str, url: str, *, modes: list[str], requests: int, warm_up: int, regenerate: bool,
             seed: int, workers: int, log_dir: Path) -> list[Run]:
    from generate import BENCH_PASSWORD

    data = prepare_database(size, url, regenerate=regenerate, seed=seed)
    app = make_app(url)
    email, enrolment_id, position = find_learner(app)
    home_people = find_home_people(app)
    booking_people = find_booking_people(app)
    with app.app_context():
        from lms.extensions import db

        db.engine.dispose()
    pages = pages_for(enrolment_id, position, booking_people)
    runs = []
    for mode in modes:
        client = InProcess(url) if mode == "in-process" else OverHttp(url, workers=workers, log_dir=log_dir)
        try:
            client.sign_in(email, BENCH_PASSWORD)
            for role, person in {**home_people, **booking_people.emails()}.items():
                client.sign_in(person, BENCH_PASSWORD, who=role)
            results = measure(client, pages, requests=requests, warm_up=warm_up)
        finally:
            client.close()
        runs.append(Run(size, url, mode, data, f"{email}, enrolment {enrolment_id}, lesson {position}", results,
                        {**home_people, **booking_people.emails()}, booking_people))
    return runs


def report(run: Run, *, limit: float, requests: int) -> list[str]:
    """Print the run's table; return its problems (empty when it passes)."""
    backend = "SQLite" if is_sqlite(run.url) else "PostgreSQL"
    data = run.data
    print(f"Size {run.size}: {data['people']:,} people, {data['completions']:,} completions, "
          f"{data['in progress']:,} enrolments in progress, {data['courses']} active courses "
          f"({backend}, {run.mode}, {requests} requests a page)")
    print(f"Signed in as {run.learner}")
    for role, email in run.home_people.items():
        if role not in BOOKING_ROLES:
            print(f"Home page ({role}) signed in as {email}")
    if run.booking is not None:
        print(f"Booking pages signed in as {run.booking.booker} ({run.booking.bookings} bookings; session page of "
              f"full session {run.booking.full_session_id}); the register of session {run.booking.session_id} "
              f"({run.booking.places} people booked) as its trainer {run.booking.trainer}")
    baseline = next(r for r in run.results if r.page.baseline)
    base_ms = baseline.median_ms
    problems = []
    rows = []
    for result in run.results:
        ratio = result.median_ms / base_ms
        within = result.page.baseline or ratio <= limit
        rows.append([
            result.page.label, result.median_ms, result.p95_ms, ratio,
            "-" if result.page.baseline else f"{limit:g}", median(result.sql_seconds) * 1000,
            median(result.render_seconds) * 1000, result.statements_text(), result.fixed, result.renewals_text(),
        ])
        if not within:
            problems.append(f"{result.page.label} took {ratio:.1f} x /health at size {run.size} "
                            f"({run.mode}; limit {limit:g})")
        if not result.fixed:
            problems.append(f"{result.page.label} ran a varying number of SQL statements at size {run.size}: "
                            f"{result.statements_text()}")
    print_table(["page", "median ms", "p95 ms", "x /health", "limit", "SQL ms", "render ms", "statements",
                 "fixed", "session renewals"], rows)
    print()
    return problems


def show_sql(run: Run, *, explain: bool) -> None:
    """The statements of one request to each page, each with its query plan if asked
    (EXPLAIN QUERY PLAN on SQLite, EXPLAIN on PostgreSQL), run with the same parameters."""
    engine = create_engine(run.url)
    prefix = "EXPLAIN QUERY PLAN " if is_sqlite(run.url) else "EXPLAIN "
    try:
        with engine.connect() as connection:
            for result in run.results:
                if not result.sample_sql:
                    continue
                print(f"SQL of one request to {result.page.label} (size {run.size}):")
                for statement, parameters in result.sample_sql:
                    print("  " + " ".join(statement.split()))
                    if explain and statement.lstrip().upper().startswith("SELECT"):
                        rows = connection.exec_driver_sql(prefix + statement, parameters).all()
                        for row in rows:
                            print("      plan: " + str(row[-1]))
                print()
            connection.rollback()
    finally:
        engine.dispose()


def compare_sizes(runs: list[Run]) -> list[str]:
    """Statement counts per page across sizes (same mode): they must not change with the data."""
    problems = []
    by_mode: dict[str, list[Run]] = {}
    for run in runs:
        by_mode.setdefault(run.mode, []).append(run)
    for mode, mode_runs in by_mode.items():
        sizes = [run.size for run in mode_runs]
        if len(set(sizes)) < 2:
            continue
        rows = []
        for result in mode_runs[0].results:
            counts = [run.by_label()[result.page.label].statement_count for run in mode_runs]
            same = None not in counts and len(set(counts)) == 1
            ratios = [run.by_label()[result.page.label].median_ms / run.by_label()["/health"].median_ms
                      for run in mode_runs]
            rows.append([result.page.label, *("varies" if c is None else c for c in counts), same, *ratios])
            if not same:
                problems.append(f"{result.page.label}: SQL statements per request differ between sizes "
                                f"{', '.join(sizes)}: {counts}")
        print(f"SQL statements per request, and median x /health, by size ({mode})")
        print_table(["page", *(f"{size} statements" for size in sizes), "same",
                     *(f"{size} x /health" for size in sizes)], rows)
        print()
    return problems


def main(argv: list[str] | None = None) -> int:
    import generate

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", action="append", choices=sorted(generate.SIZES),
                        help="data size; give it twice (e.g. S and M) to compare statement counts (default M)")
    parser.add_argument("--database", default=DEFAULT_DATABASE,
                        help="SQLAlchemy URL; {size} becomes the size in lower case (default %(default)s)")
    parser.add_argument("--requests", type=int, default=200, help="timed requests a page (default %(default)s)")
    parser.add_argument("--warm-up", type=int, default=20, help="untimed requests a page first (default %(default)s)")
    parser.add_argument("--limit", type=float, default=3.0,
                        help="the most a page's median may be, as a multiple of /health's median (default %(default)s)")
    parser.add_argument("--server", action="store_true", help="also measure through gunicorn over HTTP")
    parser.add_argument("--server-only", action="store_true", help="measure only through gunicorn")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers for --server (default %(default)s)")
    parser.add_argument("--regenerate", action="store_true", help="generate the data again even if it is there")
    parser.add_argument("--seed", type=int, default=2026, help="seed for data that has to be generated")
    parser.add_argument("--show-sql", action="store_true", help="print the SQL statements of one request a page")
    parser.add_argument("--explain", action="store_true", help="and the query plan of each (implies --show-sql)")
    parser.add_argument("--output-dir", type=Path, default=OUTPUT_DIR, help="where gunicorn's log goes")
    args = parser.parse_args(argv)
    sizes = list(dict.fromkeys(args.size or ["M"]))
    if not (1 <= args.requests <= 100_000 and 0 <= args.warm_up <= 10_000 and args.limit > 0
            and 1 <= args.workers <= 16):
        parser.error("keep --requests to 1-100000, --warm-up to 0-10000, --workers to 1-16 and --limit above 0")
    if len(sizes) > 1 and "{size}" not in args.database:
        parser.error("with more than one --size, --database must contain {size}")
    modes = ["gunicorn"] if args.server_only else ["in-process"] + (["gunicorn"] if args.server else [])

    runs: list[Run] = []
    problems: list[str] = []
    try:
        for size in sizes:
            url = database_url(args.database.replace("{size}", size.lower()))
            size_runs = run_size(size, url, modes=modes, requests=args.requests, warm_up=args.warm_up,
                                 regenerate=args.regenerate, seed=args.seed, workers=args.workers,
                                 log_dir=args.output_dir)
            for run in size_runs:
                problems += report(run, limit=args.limit, requests=args.requests)
                if args.show_sql or args.explain:
                    show_sql(run, explain=args.explain)
            runs += size_runs
    except RunError as error:
        print(f"Could not run the benchmark: {error}", file=sys.stderr)
        return 2
    except SystemExit as stop:  # a helper refused (a database it will not replace, ...)
        if isinstance(stop.code, str):
            print(f"Could not run the benchmark: {stop.code}", file=sys.stderr)
            return 2
        raise
    problems += compare_sizes(runs)

    pages = [r.page.label for r in runs[0].results if not r.page.baseline]
    where = f"{'SQLite' if is_sqlite(runs[0].url) else 'PostgreSQL'}, sizes {', '.join(sizes)}, {', '.join(modes)}"
    if problems:
        for problem in problems:
            print(f"- {problem}")
        print(f"FAIL: {len(problems)} problem{'s' if len(problems) != 1 else ''} ({where}).")
        return 1
    print(f"PASS: {len(pages)} pages each within {args.limit:g} x /health with a fixed number of SQL statements "
          f"({where}).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
