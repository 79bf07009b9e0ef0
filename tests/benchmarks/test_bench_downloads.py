"""Runs benchmarks/bench_downloads.py for real at the smallest size (a 60-person setting,
prepared above 20), on the test database's kind, and checks its checks and figures."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "bench_downloads.py"


@pytest.fixture()
def database(tmp_path):
    test_url = os.environ.get("TEST_DATABASE_URL")
    if test_url and make_url(test_url).get_backend_name() == "postgresql":
        url = make_url(test_url).set(database=f"{make_url(test_url).database}_downloads").render_as_string(
            hide_password=False)
        yield url
        sys.path.insert(0, str(ROOT / "benchmarks"))
        from common import drop_postgres_database

        drop_postgres_database(url)
    else:
        yield "sqlite:///" + str(tmp_path / "downloads.sqlite")


def test_the_benchmark_prepares_a_pack_and_keeps_it_from_other_leads(database):
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--database", database, "--size", "XXS", "--people", "60",
         "--direct-limit", "20"],
        capture_output=True, text=True, cwd=ROOT, timeout=900,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert re.search(r"^Staff in the pack\s+60$", out, re.MULTILINE), out
    assert re.search(r"^PDF pages\s+\d+$", out, re.MULTILINE)
    assert "FAIL" not in out and out.strip().splitlines()[-1].startswith("PASS")
    assert out.count("another setting's lead gets 404") == 3
