"""Sign-in lockout across worker processes.

Shows that wrong passwords for one account, sent at the same time to several gunicorn
workers, lock further attempts for that account: the failure count lives in the database,
not in a worker's memory. After the wrong attempts the CORRECT password must be refused
with "Too many attempts to sign in to this account".

    python benchmarks/signin_lockout.py                       # a fresh SQLite file
    python benchmarks/signin_lockout.py --database postgresql://postgres@127.0.0.1:5432/lms_bench

With PostgreSQL the named database is dropped and created for the run, and dropped at the
end (--keep keeps it). All traffic goes to 127.0.0.1. Timings are reported as ratios to
the median /health response measured in the same run, never as targets.

Exit status: 0 locked, 1 not locked, 2 the run could not be made (server, page or setup).
"""
from __future__ import annotations

import argparse
import os
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    OUTPUT_DIR,
    REPO_ROOT,
    check_disposable,
    create_postgres_database,
    create_schema,
    database_url,
    drop_postgres_database,
    free_port,
    is_sqlite,
    make_app,
    median,
    print_table,
    remove_sqlite_file,
)

import requests  # noqa: E402

EMAIL = "locked.out@bench.example"
FULL_NAME = "Lockout Benchmark"
PASSWORD = "tangerine ladder whistle orbit"
LOCKED_MESSAGE = "Too many attempts to sign in to this account"
WRONG_MESSAGE = "Enter a correct email address and password"
ATTEMPT_HEADER = "X-Bench-Attempt"
# gunicorn access log: worker pid, our attempt header, method, path, status, microseconds.
ACCESS_LOG_FORMAT = "%(p)s %({x-bench-attempt}i)s %(m)s %(U)s %(s)s %(D)s"


class RunError(Exception):
    """The benchmark could not be run (as opposed to: it ran and the account was not locked)."""


def on_fresh_database(url: str, *, scratch_dir: Path, keep: bool, run) -> int:
    """Run `run(url)` on a database made for it (a PostgreSQL database created, a SQLite
    file removed first), dropping a PostgreSQL one afterwards unless `keep`. A RunError is
    exit status 2 with its message."""
    postgres = not is_sqlite(url)
    check_disposable(url, scratch_dir=scratch_dir)
    if postgres:
        create_postgres_database(url)
    else:
        remove_sqlite_file(url)
    try:
        return run(url)
    except RunError as error:
        print(f"Could not run the benchmark: {error}", file=sys.stderr)
        return 2
    finally:
        if postgres and not keep:
            drop_postgres_database(url)


# --- the database ---------------------------------------------------------------------

def prepare_database(url: str) -> dict:
    """Schema, reference data and one confirmed account. Returns the sign-in limits the
    server will use (the same configuration classes read the same environment)."""
    from lms.accounts.services import create_user
    from lms.core.time import utcnow
    from lms.extensions import db
    from lms.organisations.reference.services import load_reference_data

    app = make_app(url)
    create_schema(app)
    with app.app_context():
        load_reference_data()
        create_user(email=EMAIL, full_name=FULL_NAME, password=PASSWORD, role="practitioner", now=utcnow())
        db.session.commit()
        limits = {
            "per_account": app.config["SIGNIN_MAX_FAILURES_PER_ACCOUNT"],
            "per_address": app.config["SIGNIN_MAX_FAILURES_PER_ADDRESS"],
            "window": app.config["SIGNIN_LOCK_WINDOW"],
        }
        db.session.remove()
        db.engine.dispose()
    return limits


def recorded_attempts(url: str) -> Counter:
    """How many sign-in attempts the service recorded for the account, by outcome."""
    from sqlalchemy import func, select

    from lms.accounts.models import LoginAttempt
    from lms.extensions import db

    app = make_app(url)
    with app.app_context():
        rows = db.session.execute(
            select(LoginAttempt.succeeded, func.count(LoginAttempt.id))
            .where(LoginAttempt.kind == "sign-in", LoginAttempt.email == EMAIL)
            .group_by(LoginAttempt.succeeded)
        ).all()
        db.session.remove()
        db.engine.dispose()
    return Counter({"succeeded" if ok else "failed": count for ok, count in rows})


# --- the server -----------------------------------------------------------------------

class Gunicorn:
    """`gunicorn -w N wsgi:app` on 127.0.0.1 with production settings, as a context manager."""

    def __init__(self, url: str, *, workers: int, log_dir: Path, app: str = "wsgi:app", boot_timeout: float = 60.0):
        self.url = url
        self.app = app
        self.workers = workers
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.access_log = log_dir / "lockout-access.log"
        self.error_log = log_dir / "lockout-error.log"
        self.boot_timeout = boot_timeout
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "Gunicorn":
        for log in (self.access_log, self.error_log):
            log.parent.mkdir(parents=True, exist_ok=True)
            log.unlink(missing_ok=True)
        env = dict(os.environ)
        env.update({
            "LMS_CONFIG": "production",
            "SECRET_KEY": secrets.token_hex(32),
            "DATABASE_URL": self.url,
            "SESSION_COOKIE_SECURE": "0",  # plain http on 127.0.0.1, so cookies must not be Secure-only
        })
        command = [
            sys.executable, "-m", "gunicorn",
            "--workers", str(self.workers),
            "--bind", f"127.0.0.1:{self.port}",
            "--access-logfile", str(self.access_log),
            "--access-logformat", ACCESS_LOG_FORMAT,
            "--error-logfile", str(self.error_log),
            "--timeout", "60",
            "--graceful-timeout", "10",
            self.app,
        ]
        self.process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + self.boot_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RunError(f"gunicorn exited with status {self.process.returncode}:\n{self._error_tail()}")
            booted = len(self.worker_pids_booted())
            if booted >= self.workers:
                try:
                    if requests.get(self.base + "/health", timeout=2).status_code == 200:
                        return
                except requests.RequestException:
                    pass
            time.sleep(0.1)
        raise RunError(f"gunicorn was not ready within {self.boot_timeout:.0f} seconds:\n{self._error_tail()}")

    def worker_pids_booted(self) -> set[str]:
        if not self.error_log.exists():
            return set()
        return set(re.findall(r"Booting worker with pid: (\d+)", self.error_log.read_text(errors="replace")))

    def _error_tail(self, lines: int = 30) -> str:
        if not self.error_log.exists():
            return "(no gunicorn log)"
        return "\n".join(self.error_log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def served(self) -> dict[str, tuple[str, int]]:
        """Attempt label -> (worker pid, server microseconds), from the access log."""
        served = {}
        if not self.access_log.exists():
            return served
        for line in self.access_log.read_text(errors="replace").splitlines():
            parts = line.split()
            if len(parts) == 6 and parts[2] == "POST" and parts[1] != "-":
                served[parts[1]] = (parts[0].strip("<>"), int(parts[5]))
        return served

    def health_server_times(self) -> list[int]:
        if not self.access_log.exists():
            return []
        return [int(parts[5]) for parts in (line.split() for line in self.access_log.read_text().splitlines())
                if len(parts) == 6 and parts[3] == "/health"]


# --- the client -----------------------------------------------------------------------

class _HiddenInputs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.values: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        if tag == "input":
            attributes = dict(attrs)
            if attributes.get("name"):
                self.values.setdefault(attributes["name"], attributes.get("value") or "")


def csrf_token(html: str) -> str:
    parser = _HiddenInputs()
    parser.feed(html)
    token = parser.values.get("csrf_token")
    if not token:
        raise RunError("The sign-in page has no csrf_token field: is the /sign-in form in place?")
    return token


@dataclass
class Attempt:
    label: str
    status: int
    seconds: float
    outcome: str  # "locked" | "wrong password" | "signed in" | "other"


def classify(response: requests.Response, session: requests.Session, base: str) -> str:
    if response.is_redirect:
        location = urlsplit(response.headers.get("Location", ""))
        if location.path.rstrip("/") == "/sign-in":
            # The form errors might be shown after a redirect back to the page.
            response = session.get(base + "/sign-in", timeout=30)
        else:
            return "signed in"
    if LOCKED_MESSAGE in response.text:
        return "locked"
    if WRONG_MESSAGE in response.text:
        return "wrong password"
    return "other"


def sign_in(base: str, label: str, password: str, *, start: threading.Barrier | None = None) -> Attempt:
    """GET the form (for a session and its CSRF token), wait for the others, then POST."""
    session = requests.Session()
    try:
        page = session.get(base + "/sign-in", timeout=30)
        if page.status_code != 200:
            raise RunError(f"GET /sign-in answered {page.status_code}")
        token = csrf_token(page.text)
        if start is not None:
            start.wait(timeout=60)
        started = time.perf_counter()
        response = session.post(
            base + "/sign-in",
            data={"email": EMAIL, "password": password, "csrf_token": token},
            headers={ATTEMPT_HEADER: label},
            allow_redirects=False,
            timeout=60,
        )
        seconds = time.perf_counter() - started
        return Attempt(label, response.status_code, seconds, classify(response, session, base))
    except BaseException:
        if start is not None:
            start.abort()  # release the others rather than leave them waiting
        raise
    finally:
        session.close()


def wrong_passwords_at_once(base: str, attempts: int) -> list[Attempt]:
    start = threading.Barrier(attempts)
    with ThreadPoolExecutor(max_workers=attempts) as pool:
        futures = [pool.submit(sign_in, base, str(n), f"not the right password {n}", start=start)
                   for n in range(1, attempts + 1)]
        results, errors = [], []
        for future in futures:
            try:
                results.append(future.result(timeout=120))
            except threading.BrokenBarrierError:
                continue
            except Exception as error:  # reported below
                errors.append(error)
    if errors:
        first = errors[0]
        raise first if isinstance(first, RunError) else RunError(f"A sign-in attempt failed: {first!r}")
    return results


def time_health(base: str, samples: int, *, warm_up: int = 8) -> list[float]:
    """Seconds for each of `samples` sequential /health requests, after a few unmeasured ones."""
    times = []
    with requests.Session() as session:
        for _ in range(warm_up):
            session.get(base + "/health", timeout=10)
        for _ in range(samples):
            started = time.perf_counter()
            response = session.get(base + "/health", timeout=10)
            times.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise RunError(f"/health answered {response.status_code}")
    return times


# --- the run --------------------------------------------------------------------------

def run(url: str, *, workers: int, attempts: int, health_samples: int, app: str = "wsgi:app",
        output_dir: Path = OUTPUT_DIR) -> int:
    limits = prepare_database(url)
    if attempts <= limits["per_account"]:
        print(f"Note: {attempts} attempts do not exceed the per-account limit of {limits['per_account']}, "
              "so no lockout is expected.")
    with Gunicorn(url, workers=workers, log_dir=output_dir, app=app) as server:
        health = time_health(server.base, health_samples)
        wrong = wrong_passwords_at_once(server.base, attempts)
        final = sign_in(server.base, "correct", PASSWORD)
    served = server.served()  # read after the server stopped, so the log is complete
    recorded = recorded_attempts(url)

    wrong.sort(key=lambda attempt: int(attempt.label))
    pids = {served[a.label][0] for a in wrong if a.label in served}
    locked = final.outcome == "locked"
    health_median = median(health)
    attempt_median = median(a.seconds for a in wrong)
    server_health = median(server.health_server_times())
    server_attempt = median(served[a.label][1] for a in wrong if a.label in served)

    print()
    print(f"Sign-in lockout: {attempts} wrong passwords for one account, sent at once to {workers} gunicorn workers "
          f"({'SQLite' if is_sqlite(url) else 'PostgreSQL'}; limit {limits['per_account']} failures per account "
          f"in {int(limits['window'].total_seconds() // 60)} minutes)")
    print()
    print_table(["attempt", "worker pid", "status", "outcome", "seconds", "x /health"], [
        [a.label, served.get(a.label, ("?", 0))[0], a.status, a.outcome, a.seconds, a.seconds / health_median]
        for a in wrong + [final]
    ])
    print()
    statuses = Counter(a.status for a in wrong)
    outcomes = Counter(a.outcome for a in wrong)
    print_table(["measure", "value"], [
        ["wrong-password attempts", str(len(wrong))],
        ["statuses", ", ".join(f"{status} x {count}" for status, count in sorted(statuses.items()))],
        ["outcomes", ", ".join(f"{outcome} x {count}" for outcome, count in sorted(outcomes.items()))],
        ["distinct worker pids", f"{len(pids)} of {workers}"],
        ["failures the service recorded", f"{recorded['failed']} (limit {limits['per_account']})"],
        ["successful sign-ins recorded", str(recorded["succeeded"])],
        ["correct password afterwards", f"{final.status}, {final.outcome}"],
        ["locked", "yes" if locked else "no"],
        ["median /health (client)", f"{health_median * 1000:.1f} ms over {len(health)} requests = 1.0"],
        ["median attempt (client) / median /health", f"{attempt_median / health_median:.1f}"],
        ["median attempt (server) / median /health (server)",
         f"{server_attempt / server_health:.1f}" if server_health else "n/a"],
    ])
    if len(pids) < min(workers, attempts):
        print(f"\nNote: only {len(pids)} of {workers} workers served an attempt this time.")
    if locked and recorded["succeeded"] == 0:
        print("\nLocked: the correct password was refused after the wrong ones.")
        return 0
    print("\nNOT LOCKED: the correct password was not refused with the lockout message.")
    return 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", help="SQLAlchemy URL (default: a fresh lockout.sqlite in --output-dir)")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--attempts", type=int, default=20)
    parser.add_argument("--health-samples", type=int, default=20, help="sequential /health requests for the baseline")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database afterwards")
    parser.add_argument("--app", default="wsgi:app", help="the WSGI application for gunicorn")
    parser.add_argument("--output-dir", type=Path, default=OUTPUT_DIR, help="where the SQLite file and gunicorn logs go")
    args = parser.parse_args(argv)
    if not (1 <= args.workers <= 16 and 1 <= args.attempts <= 200 and 1 <= args.health_samples <= 1000):
        parser.error("keep --workers to 1-16, --attempts to 1-200 and --health-samples to 1-1000")

    url = database_url(args.database or "sqlite:///" + str(args.output_dir / "lockout.sqlite"))
    return on_fresh_database(url, scratch_dir=args.output_dir, keep=args.keep,
                             run=lambda url: run(url, workers=args.workers, attempts=args.attempts, health_samples=args.health_samples, app=args.app, output_dir=args.output_dir))


if __name__ == "__main__":
    sys.exit(main())
