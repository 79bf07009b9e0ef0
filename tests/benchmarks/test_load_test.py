"""Runs benchmarks/load_test.py for real, small: a few people at once on a generated XXS
database (SQLite, under benchmarks/output/ as the script requires), through gunicorn. Checks
that it signs everyone in, prints a row for every page with no errors, fails when the limit
cannot be met, and refuses a database that is not a scratch copy."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "load_test.py"
PAGES = ["/health", "/courses", "/courses/SGE", "/my-training", "/sessions", "home (practitioner)"]


def _environment() -> dict:
    return {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "LMS_CONFIG"}}


@pytest.fixture(scope="module")
def database():
    path = ROOT / "benchmarks" / "output" / f"load-test-xxs-{os.getpid()}.sqlite"
    url = f"sqlite:///{path}"
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "generate.py"), "--size", "XXS", "--database", url],
                   cwd=ROOT, env=_environment(), check=True, capture_output=True, text=True, timeout=300)
    yield url
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _run(database: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--database", database, "--users", "4", "--workers", "2", "--rounds", "2",
         "--single-requests", "3", "--warm-up", "1", *args],
        cwd=ROOT, env=_environment(), capture_output=True, text=True, timeout=300,
    )


def _rows(output: str) -> dict[str, list[str]]:
    rows = {}
    for line in output.splitlines():
        for page in PAGES:
            if line.startswith(page + " "):
                rows[page] = line[len(page):].split()
    return rows


def test_a_small_run_prints_every_page_with_no_errors(database):
    result = _run(database, "--limit", "1000")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 people" in result.stdout
    rows = _rows(result.stdout)
    assert set(rows) == set(PAGES), result.stdout
    for page, cells in rows.items():
        # single median, x /health, p50, p95, p95 / single, errors, requests, per second
        assert cells[5] == "0", (page, result.stdout)
        assert float(cells[3]) >= float(cells[2]) > 0
    assert rows["/health"][1] == "1.00"
    assert "PASS" in result.stdout and "requests a second over 2 workers" in result.stdout


def test_a_limit_that_cannot_be_met_fails(database):
    result = _run(database, "--limit", "0.01")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "FAIL" in result.stdout and "x the single-user median (limit 0.01)" in result.stdout


def test_a_database_outside_the_scratch_folder_is_refused(tmp_path):
    outside = tmp_path / "real.sqlite"
    outside.write_bytes(b"")
    result = _run(f"sqlite:///{outside}")
    assert result.returncode != 0
    assert "Refusing" in result.stdout + result.stderr
