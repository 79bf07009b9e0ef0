"""Runs benchmarks/bench_booking.py for real (gunicorn workers, the JSON API, a database
of its own) in a small mode, and checks it tells a session that was never overbooked
from one that was."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "bench_booking.py"


def _database(tmp_path: Path, name: str) -> str:
    """A scratch database for the script: a SQLite file, or on PostgreSQL a database next
    to the test database (the script creates and drops it)."""
    test_url = os.environ.get("TEST_DATABASE_URL")
    if test_url and make_url(test_url).get_backend_name() == "postgresql":
        url = make_url(test_url)
        return url.set(database=f"{url.database}_{name}").render_as_string(hide_password=False)
    return f"sqlite:///{tmp_path / (name + '.sqlite')}"


def _run(tmp_path: Path, name: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--database", _database(tmp_path, name), "--output-dir", str(tmp_path),
         "--health-samples", "3", *args],
        cwd=ROOT, env=dict(os.environ), capture_output=True, text=True, timeout=300,
    )


def _value(stdout: str, measure: str) -> str:
    for line in stdout.splitlines():
        if line.startswith(measure + "  "):
            return line[len(measure):].strip()
    raise AssertionError(f"no {measure!r} line in:\n{stdout}")


def test_concurrent_bookings_across_workers_fill_exactly_the_places(tmp_path):
    # Small mode: 24 people (3 of them clicking twice) on 5 places through 2 workers.
    result = _run(tmp_path, "booking", "--workers", "2", "--people", "24", "--places", "5", "--double-clicks", "3")
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert _value(out, "HTTP statuses") == "201 x 24, 409 x 3"
    assert _value(out, "booked (answers)") == "5"
    assert _value(out, "waitlisted (answers)") == "19"
    assert _value(out, "bookings in the database") == "booked x 5, waitlisted x 19"
    assert _value(out, "server errors (5xx or no answer)") == "0"
    assert "No overbooking: exactly 5 booked and 19 waitlisted, no server errors." in out
    assert "FAILED" not in out
    # Every attempt reached gunicorn through the API, as its access log shows.
    log = (tmp_path / "booking-access.log").read_text()
    assert log.count("POST /api/v1/sessions/") == 27


def test_reports_an_overbooked_session(tmp_path):
    """A server whose engine ignores the places (see overselling_app) must be caught."""
    result = _run(tmp_path, "oversold", "--workers", "1", "--people", "6", "--places", "2",
                  "--app", "tests.benchmarks.test_bench_booking:overselling_app()")
    assert result.returncode == 1, result.stdout + result.stderr
    assert _value(result.stdout, "booked (answers)") == "6"
    assert "WRONG" in result.stdout
    assert any(line.startswith("2 booked (database)") and line.endswith("FAILED") for line in result.stdout.splitlines())


def overselling_app():
    """The application with the engine told no place is ever taken: every booking is
    "booked". Only for the test above, through gunicorn's --app."""
    from lms import create_app
    from lms.bookings import services

    services.places_taken = lambda session: 0
    return create_app()
