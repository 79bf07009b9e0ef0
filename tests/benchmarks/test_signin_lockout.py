"""Runs benchmarks/signin_lockout.py for real (gunicorn workers, a database of its own) in
a small mode, and checks it tells a locked account from one that is not."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "signin_lockout.py"


def _database(tmp_path: Path, name: str) -> str:
    """A scratch database for the script: a SQLite file, or on PostgreSQL a database next
    to the test database (the script creates and drops it)."""
    test_url = os.environ.get("TEST_DATABASE_URL")
    if test_url and make_url(test_url).get_backend_name() == "postgresql":
        url = make_url(test_url)
        return url.set(database=f"{url.database}_{name}").render_as_string(hide_password=False)
    return f"sqlite:///{tmp_path / (name + '.sqlite')}"


def _run(tmp_path: Path, name: str, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("SIGNIN_")}
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--database", _database(tmp_path, name), "--output-dir", str(tmp_path),
         "--health-samples", "3", *args],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=300,
    )


def test_wrong_passwords_across_workers_lock_the_account(tmp_path):
    # Small mode: a limit of 3 failures, 6 wrong passwords at once over 2 workers.
    result = _run(tmp_path, "lockout", "--workers", "2", "--attempts", "6",
                  env={"SIGNIN_MAX_FAILURES_PER_ACCOUNT": "3"})
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert any(line.split()[:1] == ["correct"] and "locked" in line for line in lines), result.stdout
    assert any(line.startswith("locked") and line.split()[-1] == "yes" for line in lines), result.stdout
    assert "successful sign-ins recorded" in result.stdout
    assert any(line.startswith("successful sign-ins recorded") and line.split()[-1] == "0" for line in lines)
    # Every attempt reached gunicorn (6 wrong, 1 right), as its access log shows.
    assert (tmp_path / "lockout-access.log").read_text().count("POST /sign-in") == 7
    assert "limit 3 failures per account" in result.stdout


def test_reports_not_locked_when_the_limit_is_not_reached(tmp_path):
    result = _run(tmp_path, "notlocked", "--workers", "1", "--attempts", "2",
                  env={"SIGNIN_MAX_FAILURES_PER_ACCOUNT": "10"})
    assert result.returncode == 1, result.stdout + result.stderr
    assert "NOT LOCKED" in result.stdout
