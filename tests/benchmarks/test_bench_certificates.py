"""Runs benchmarks/bench_certificates.py for real with a small session, on the test
database's kind (a temporary SQLite file, or a PostgreSQL database of its own), and checks
its figures and verdict."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "bench_certificates.py"


@pytest.fixture()
def database(tmp_path):
    test_url = os.environ.get("TEST_DATABASE_URL")
    if test_url and make_url(test_url).get_backend_name() == "postgresql":
        url = make_url(test_url).set(database=f"{make_url(test_url).database}_certificates").render_as_string(hide_password=False)
        yield url
        sys.path.insert(0, str(ROOT / "benchmarks"))
        from common import drop_postgres_database

        drop_postgres_database(url)
    else:
        yield "sqlite:///" + str(tmp_path / "certificates.sqlite")


def test_the_benchmark_issues_checks_and_zips_with_fixed_statement_counts(database):
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--database", database, "--people", "40", "--requests", "5", "--limit", "1000"],
        capture_output=True, text=True, cwd=ROOT, timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "40 + 25 people marked at two twilights" in out
    for label in ("Public check /verify/<code>", "Trainer's certificates page", "My certificates (20)", "One certificate's PDF"):
        line = next(row for row in out.splitlines() if row.startswith(label))
        assert line.rstrip().endswith("fixed"), line
    assert re.search(r"^Issue a session's certificates\s+40\s", out, re.MULTILINE)
    assert re.search(r"^ZIP of the session's PDFs\s+40\s", out, re.MULTILINE)
    assert out.strip().splitlines()[-1].startswith("PASS")


def test_a_limit_the_check_cannot_meet_fails(database):
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--database", database, "--people", "5", "--requests", "3", "--limit", "0.01"],
        capture_output=True, text=True, cwd=ROOT, timeout=600,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout.strip().splitlines()[-1].startswith("FAIL: public check")
