"""Runs benchmarks/bench_compliance.py for real at the two smallest data sizes (generated
into databases of their own), and checks that it rebuilds the status table, prints its
figures and its verdict, and fails a page or a rebuild over its limit."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "bench_compliance.py"
PAGES = ["/health", "/admin/compliance", "staff matrix, page 1", "staff matrix, last page", "matrix CSV export (all)"]


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    """A --database template for the script: SQLite files in a temporary folder, or
    PostgreSQL databases named after the test database (created by the script, dropped
    at the end)."""
    test_url = os.environ.get("TEST_DATABASE_URL")
    if test_url and make_url(test_url).get_backend_name() == "postgresql":
        url = make_url(test_url)
        marker = "sizeplaceholder"
        template = (url.set(database=f"{url.database}_compliance_{marker}").render_as_string(hide_password=False)
                    .replace(marker, "{size}"))
        yield template
        sys.path.insert(0, str(ROOT / "benchmarks"))
        from common import database_url, drop_postgres_database

        for size in ("xxs", "xs"):
            drop_postgres_database(database_url(template.replace("{size}", size)))
    else:
        yield "sqlite:///" + str(tmp_path_factory.mktemp("bench_compliance") / "{size}.sqlite")


def _run(database: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "LMS_CONFIG"}}
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--database", database, "--requests", "3", "--warm-up", "1",
         "--output-dir", str(tmp_path), *args],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=240,
    )


def _page_rows(output: str) -> list[list[str]]:
    """The rows of the page tables: page, as, median, p95, ratio, limit, SQL ms, render ms,
    statements, fixed, session renewals."""
    rows = []
    for line in output.splitlines():
        for page in PAGES:
            rest = line[len(page):].split() if line.startswith(page + " ") else None
            if rest and len(rest) >= 10:
                rows.append([page, *rest[:10]])
    return rows


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def test_rebuilds_and_times_the_pages_at_two_sizes(database, tmp_path):
    result = _run(database, tmp_path, "--size", "XXS", "--size", "XS", "--limit", "1000")
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "Generating size XXS (300 people, 3,000 completions)" in out
    assert "Generating size XS (1,000 people, 10,000 completions)" in out
    # The generator loaded the national requirements.
    assert re.search(r"requirement \(national baseline\)\s+12\s", out), out

    # Two rebuilds per size, the first on an emptied table, with the same rows.
    for size, people in (("XXS", 300), ("XS", 1000)):
        table = out.split(f"Rebuild of the status table, size {size} ({people:,} people)")[1].split("\n\n")[0]
        runs = [line.split() for line in table.strip().splitlines()[2:]]
        assert [run[:2] for run in runs] == [["1", "empty"], ["2", "full"]], table
        assert runs[0][2] == runs[1][2] and _number(runs[0][2]) > 0  # rows
        assert all(_number(run[3]) > 0 and run[7] == "120" and run[8] == "yes" for run in runs), table
        # VACUUM (ANALYZE) after each rebuild on PostgreSQL, as the nightly job does.
        postgresql = database.startswith("postgresql")
        assert all((run[5] != "-") == postgresql for run in runs), table

    # Each rebuild also writes the counts the admin overview reads.
    assert len(re.findall(r"rebuild [12]: [\d,]+ status rows and [1-9][\d,]* kept counts in", out)) == 4, out

    # The rows of the status table by requirement: school, early years, health and VCS
    # requirements all apply to someone.
    spread = out.split("Status rows today, by requirement")[1].split("\n\n")[0]
    for code in ("staff-safeguarding", "dsl-role-training", "eyfs-annex-c", "health-l3", "vcs-safeguarding"):
        assert re.search(rf"^{code}\s+[1-9]", spread, re.MULTILINE), spread

    # The large organisation (a tenth of the people at these sizes) and its setting lead.
    assert "of Benchmark Academy (large secondary school) (30 people, 1 page of 50)" in out
    assert "of Benchmark Academy (large secondary school) (100 people, 2 pages of 50)" in out
    assert "?per_page is not supported" in out

    rows = _page_rows(out)
    assert [row[0] for row in rows] == PAGES * 2, out
    for page, who, median_ms, p95_ms, ratio, limit, sql_ms, render_ms, statements, fixed, renewals in rows:
        assert _number(median_ms) > 0 and _number(p95_ms) >= _number(median_ms)
        assert statements.isdigit() and fixed == "yes", (page, statements, fixed)
        assert renewals.isdigit()
        assert who == {"/health": "anyone", "/admin/compliance": "admin"}.get(page, "lead")
        assert limit == {"/health": "-", "matrix CSV export (all)": "info"}.get(page, "1000")
        if page == "/health":
            assert ratio == "1.00" and statements == "1"
        else:
            assert int(statements) > 1 and _number(ratio) > 0
    # Statement counts compared between the sizes, and the same.
    heading = "SQL statements per request, and median x /health, by size (in-process)"
    comparison = [line.split() for line in out.split(heading)[1].strip("\n").split("\n\n")[0].splitlines()[2:]]
    assert len(comparison) == len(PAGES)
    assert all(parts[-4] == parts[-5] and parts[-3] == "yes" for parts in comparison), out
    assert out.rstrip().splitlines()[-1].startswith("PASS: rebuild at most ")


def test_fails_a_page_or_a_rebuild_over_its_limit(database, tmp_path):
    result = _run(database, tmp_path, "--size", "XXS", "--limit", "0.5", "--rebuild-limit", "0.000001",
                  "--rebuild-runs", "1")
    assert result.returncode == 1, result.stdout + result.stderr
    out = result.stdout
    assert "rebuild 1 of the status table took" in out and "at size XXS (limit 1e-06 s)" in out
    for page in ("/admin/compliance", "staff matrix, page 1", "staff matrix, last page"):
        assert f"- {page} took" in out and "x /health at size XXS (in-process; limit 0.5)" in out
    assert "- matrix CSV export (all) took" not in out  # for information only
    assert out.rstrip().splitlines()[-1].startswith("FAIL: 4 problems")


def test_a_varying_statement_count_is_a_problem():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import bench_compliance
    from bench_pages import Result, Run

    subjects = bench_compliance.Subjects("a@x", "b@x", 7, "Somewhere", 120, 50)
    assert subjects.last_page == 3
    results = []
    for page in bench_compliance.pages_for(subjects):
        result = Result(page, seconds=[0.002 if page.baseline else 0.004] * 3, sql_seconds=[0.0] * 3,
                        render_seconds=[0.0] * 3)
        result.statements = Counter({14: 2, 15: 1}) if page.label == "staff matrix, page 1" else Counter({9: 3})
        results.append(result)
    assert results[3].page.path == "/organisation/compliance?organisation=7&page=3"
    run = Run("S", "sqlite://", "in-process", {}, "someone", results)
    problems = bench_compliance.report_pages(run, limit=3.0, requests=3)
    assert problems == [("staff matrix, page 1 ran a varying number of SQL statements at size S (in-process): "
                         "14 (2x), 15 (1x)")]
    # At 2 x /health: within 3, over 1.5 (the three checked pages, not the export).
    assert len(bench_compliance.report_pages(run, limit=1.5, requests=3)) == 4
