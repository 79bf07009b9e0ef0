"""Helpers shared by the benchmark scripts: databases, the schema, timing and tables.

The scripts run from the repository root (`python benchmarks/<script>.py`); importing this
module puts the root on sys.path so `lms` and `config` import.
"""
from __future__ import annotations

import math
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
OUTPUT_DIR = REPO_ROOT / "benchmarks" / "output"
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from sqlalchemy import create_engine, event, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402


# --- databases ------------------------------------------------------------------------

def database_url(url: str) -> str:
    """The URL with a PostgreSQL driver that is installed.

    SQLAlchemy 2.1 reads a bare postgresql:// as psycopg (version 3); the project pins
    psycopg2-binary, so use it when psycopg is not there."""
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        try:
            import psycopg  # noqa: F401
        except ImportError:
            parsed = parsed.set(drivername="postgresql+psycopg2")
    return parsed.render_as_string(hide_password=False)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def remove_sqlite_file(url: str) -> None:
    """Start from nothing: delete the SQLite file (and its journal files) if there is one."""
    path = sqlite_path(url)
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-journal", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)


def _maintenance_engine(url: str):
    parsed = make_url(url)
    return create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT"), parsed.database


def _quoted(name: str) -> str:
    if not name.replace("_", "").isalnum():
        raise SystemExit(f"Refusing an unusual database name: {name!r}")
    return f'"{name}"'


def create_postgres_database(url: str) -> None:
    """Drop (if it exists) and create the PostgreSQL database named in the URL."""
    engine, name = _maintenance_engine(url)
    try:
        with engine.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {_quoted(name)} WITH (FORCE)"))
            connection.execute(text(f"CREATE DATABASE {_quoted(name)}"))
    finally:
        engine.dispose()


def drop_postgres_database(url: str) -> None:
    engine, name = _maintenance_engine(url)
    try:
        with engine.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {_quoted(name)} WITH (FORCE)"))
    finally:
        engine.dispose()


def check_disposable(url: str, *, scratch_dir: Path) -> None:
    """Refuse to wipe a database that holds anything but benchmark data: a SQLite file
    outside `scratch_dir`, or a PostgreSQL database with people not on *.bench.example."""
    path = sqlite_path(url)
    if is_sqlite(url):
        if path is not None and path.exists() and scratch_dir.resolve() not in path.resolve().parents:
            raise SystemExit(f"Refusing to replace {path}: use a new file, or one under {scratch_dir}.")
        return
    from sqlalchemy.exc import OperationalError

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            has_people = connection.execute(text("SELECT to_regclass('public.\"user\"') IS NOT NULL")).scalar()
            others = has_people and connection.execute(
                text('SELECT count(*) FROM "user" WHERE email NOT LIKE :pattern'), {"pattern": "%bench.example"}
            ).scalar()
    except OperationalError:
        return  # no such database yet
    finally:
        engine.dispose()
    if others:
        raise SystemExit(f"Refusing to drop {make_url(url).database}: it has accounts ({others}) that are not "
                         "benchmark accounts. Name a scratch database.")


def make_app(url: str):
    """The application bound to `url` (development settings; nothing else read from the
    environment matters to the scripts)."""
    from lms import create_app

    return create_app("development", SQLALCHEMY_DATABASE_URI=url)


def create_schema(app) -> None:
    """Create every table. The one place that builds the schema for the benchmarks: when
    the project has migrations, this becomes `flask_migrate.upgrade()`."""
    from lms.extensions import db

    with app.app_context():
        db.create_all()


def drop_schema(app) -> None:
    from lms.extensions import db

    with app.app_context():
        db.drop_all()


# --- timing and output ----------------------------------------------------------------

class Stopwatch:
    """Adds up the seconds spent inside `with watch.running():` blocks."""

    def __init__(self) -> None:
        self.seconds = 0.0

    @contextmanager
    def running(self):
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds += time.perf_counter() - started


def median(values) -> float:
    values = list(values)
    return statistics.median(values) if values else float("nan")


@dataclass
class Timed:
    """GETs of one path: median milliseconds overall and in SQL, and the statement counts
    seen in requests that did not renew the signed-in session."""

    ms: float
    sql_ms: float
    counts: set[int]

    @property
    def fixed(self) -> bool:
        return len(self.counts) == 1


# Once a minute the app renews the signed-in session on whatever request comes next
# (an UPDATE of user_session): two more statements whatever the page.
SESSION_RENEWAL = re.compile(r"^\s*UPDATE\s+\"?user_session\"?\s", re.IGNORECASE)


def time_get(client, engine, path: str, *, requests: int, warm_up: int = 2, headers: dict | None = None) -> Timed:
    """GET `path` warm_up + requests times with a Flask test client; raise SystemExit if it
    ever answers other than 200."""
    timings, sql_ms, counts = [], [], set()
    for index in range(warm_up + requests):
        statements, seconds, renewed = [0], [0.0], [False]

        def before(conn, cursor, statement, parameters, context, executemany):
            statements[0] += 1
            renewed[0] |= bool(SESSION_RENEWAL.match(statement))
            context._bench_started = time.perf_counter()

        def after(conn, cursor, statement, parameters, context, executemany):
            seconds[0] += time.perf_counter() - context._bench_started

        event.listen(engine, "before_cursor_execute", before)
        event.listen(engine, "after_cursor_execute", after)
        started = time.perf_counter()
        response = client.get(path, headers=headers or {})
        elapsed = time.perf_counter() - started
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
        if response.status_code != 200:
            raise SystemExit(f"GET {path} answered {response.status_code}")
        if index >= warm_up:
            timings.append(elapsed * 1000)
            sql_ms.append(seconds[0] * 1000)
            if not renewed[0]:
                counts.add(statements[0])
    return Timed(median(timings), median(sql_ms), counts)


def signed_in_admin(app, email: str, full_name: str):
    """(a Flask test client signed in as an admin, the engine, the admin's id): the first
    admin in the database, or a new one made with `email` and `full_name`."""
    from sqlalchemy import select

    from lms.accounts import services as accounts
    from lms.accounts.models import User
    from lms.core.time import utcnow
    from lms.extensions import db

    with app.app_context():
        admin = db.session.scalar(select(User).where(User.is_admin.is_(True)).limit(1))
        if admin is None:
            admin = User(email=email, full_name=full_name, password_hash="x", is_admin=True,
                         email_confirmed_at=utcnow(), created_at=utcnow())
            db.session.add(admin)
            db.session.flush()
        token = accounts.start_session(admin, now=utcnow())
        admin_id = admin.id
        db.session.commit()
        engine = db.engine
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = token
        session["_fresh"] = True
    return client, engine, admin_id


def print_table(headers: list[str], rows: list[list], *, out=None) -> None:
    """A plain text table with right-aligned numbers."""
    out = out or sys.stdout
    cells = [[_cell(value) for value in row] for row in rows]
    widths = [max(len(headers[i]), *(len(row[i]) for row in cells)) if cells else len(headers[i])
              for i in range(len(headers))]

    def line(values, numeric):
        return "  ".join(
            value.rjust(widths[i]) if numeric[i] else value.ljust(widths[i]) for i, value in enumerate(values)
        ).rstrip()

    numeric = [all(isinstance(row[i], (int, float)) for row in rows) if rows else False for i in range(len(headers))]
    print(line(headers, numeric), file=out)
    print(line(["-" * w for w in widths], numeric), file=out)
    for row in cells:
        print(line(row, numeric), file=out)


def _cell(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) >= 0.01 or value == 0 else f"{value:.4f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing is listening on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def env_database_url(default: str) -> str:
    return os.environ.get("DATABASE_URL") or default


def percentile(values, percent: float) -> float:
    """The nearest-rank percentile (p95: the value 95% of the samples are at or below)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, math.ceil(percent / 100 * len(ordered)))
    return ordered[rank - 1]


def postgres_database_exists(url: str) -> bool:
    engine, name = _maintenance_engine(url)
    try:
        with engine.connect() as connection:
            return bool(connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                           {"name": name}).scalar())
    finally:
        engine.dispose()


def describe_url(url: str) -> str:
    """The URL without its password, for printing."""
    return make_url(url).render_as_string(hide_password=True)


# --- a gunicorn server --------------------------------------------------------------------

class GunicornServer:
    """`gunicorn -w N APP` on a free port of 127.0.0.1, as a context manager. `env` is added
    to this process's environment; `pythonpath` lets APP live under benchmarks/."""

    def __init__(self, app: str, *, env: dict[str, str], workers: int, log_dir: Path, name: str,
                 pythonpath: Path | None = None, boot_timeout: float = 60.0):
        self.app = app
        self.env = env
        self.workers = workers
        self.pythonpath = pythonpath
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.error_log = log_dir / f"{name}-error.log"
        self.boot_timeout = boot_timeout
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "GunicornServer":
        import re

        self.error_log.parent.mkdir(parents=True, exist_ok=True)
        self.error_log.unlink(missing_ok=True)
        command = [sys.executable, "-m", "gunicorn", "--workers", str(self.workers),
                   "--bind", f"127.0.0.1:{self.port}", "--error-logfile", str(self.error_log),
                   "--timeout", "120", "--graceful-timeout", "10"]
        if self.pythonpath is not None:
            command += ["--pythonpath", str(self.pythonpath)]
        command.append(self.app)
        self.process = subprocess.Popen(command, cwd=REPO_ROOT, env={**os.environ, **self.env},
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + self.boot_timeout
        import urllib.request

        try:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"gunicorn exited with status {self.process.returncode}:\n{self.log_tail()}")
                booted = len(set(re.findall(r"Booting worker with pid: (\d+)", self._log())))
                if booted >= self.workers:
                    try:
                        with urllib.request.urlopen(self.base + "/health", timeout=2) as response:
                            if response.status == 200:
                                return self
                    except OSError:
                        pass
                time.sleep(0.1)
            raise RuntimeError(f"gunicorn was not ready within {self.boot_timeout:.0f} seconds:\n{self.log_tail()}")
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()

    def _log(self) -> str:
        return self.error_log.read_text(errors="replace") if self.error_log.exists() else ""

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self._log().splitlines()[-lines:]) or "(no gunicorn log)"

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def schema_differences(url: str) -> list[str]:
    """What the models have that the database lacks (tables, columns): a generated
    database made before a model change must be made again."""
    from sqlalchemy import inspect

    from lms import models  # noqa: F401  (every table in the metadata)
    from lms.extensions import db

    engine = create_engine(url)
    try:
        inspector = inspect(engine)
        existing = set(inspector.get_table_names())
        missing = []
        for table in db.metadata.sorted_tables:
            if table.name not in existing:
                missing.append(f"table {table.name}")
                continue
            columns = {column["name"] for column in inspector.get_columns(table.name)}
            missing += [f"column {table.name}.{column.name}" for column in table.columns if column.name not in columns]
        return missing
    finally:
        engine.dispose()
