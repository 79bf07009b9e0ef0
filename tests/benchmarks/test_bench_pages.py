"""Runs benchmarks/bench_pages.py for real on the two smallest data sizes (generated into
databases of their own), and checks that it prints its figures and its verdict, fails a
page over the limit, and tells a fixed statement count from a varying one."""
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
SCRIPT = ROOT / "benchmarks" / "bench_pages.py"
HOMES = ["home (practitioner)", "home (setting lead)", "home (trainer)", "home (admin)"]
BOOKING_PAGES = ["/sessions", "/sessions/calendar", "session page", "my bookings", "trainer's sessions",
                 "register (100 people)"]
PAGES = ["/health", "/courses", "/courses?page=2", "/courses?mode=elearning&keyword=safe", "/courses/SGE",
         "lesson page", *HOMES, *BOOKING_PAGES]


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    """A --database template for the script: SQLite files in a temporary folder, or on
    PostgreSQL databases named after the test database (the script creates them; they
    are dropped at the end)."""
    test_url = os.environ.get("TEST_DATABASE_URL")
    if test_url and make_url(test_url).get_backend_name() == "postgresql":
        url = make_url(test_url)
        marker = "sizeplaceholder"
        template = (url.set(database=f"{url.database}_pages_{marker}").render_as_string(hide_password=False)
                    .replace(marker, "{size}"))
        yield template
        sys.path.insert(0, str(ROOT / "benchmarks"))
        from common import database_url, drop_postgres_database

        for size in ("xxs", "xs"):
            drop_postgres_database(database_url(template.replace("{size}", size)))
    else:
        yield "sqlite:///" + str(tmp_path_factory.mktemp("bench_pages") / "{size}.sqlite")


def _run(database: str, *args: str) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "LMS_CONFIG"}}
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--database", database, "--requests", "5", "--warm-up", "2", *args],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=240,
    )


def _page_rows(output: str) -> list[list[str]]:
    """The rows of the per-size tables: page, median, p95, ratio, limit, SQL ms, render ms,
    statements, fixed, session touches."""
    rows = []
    for line in output.splitlines():
        for page in PAGES:
            rest = line[len(page):].split() if line.startswith(page + " ") else None
            if rest and len(rest) >= 9:
                rows.append([page, *(value.replace(",", "") for value in rest[:9])])  # 1,517.24 ms on a busy day
    return rows


def test_generates_two_sizes_and_prints_figures_and_verdict(database):
    result = _run(database, "--size", "XXS", "--size", "XS", "--limit", "1000")
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    # Both databases were generated first, with completions and in-progress enrolments.
    assert "Generating size XXS (300 people, 3,000 completions)" in out
    assert "Generating size XS (1,000 people, 10,000 completions)" in out
    # The size's completions, and those the Safeguarding Weeks' attendance wrote.
    for size, people, records, in_progress in (("XXS", "300", 3_000, 30), ("XS", "1,000", 10_000, 100)):
        match = re.search(rf"Size {size}: {people} people, ([\d,]+) completions, {in_progress} enrolments in progress", out)
        assert match and records < int(match.group(1).replace(",", "")) < records * 1.5, out
    assert "Signed in as p" in out and "bench.example, enrolment" in out
    for role in ("practitioner", "setting lead", "trainer", "admin"):
        assert f"Home page ({role}) signed in as p" in out
    # The booking pages: the person with the most bookings, and the trainer of the session
    # the generator booked 100 people on.
    assert out.count("(100 people booked) as its trainer p") == 2
    # XXS and XS have no trainer (every 2,000th person is one): one is made in each.
    assert out.count("Note: no trainer in the data; made p") == 2

    rows = _page_rows(out)
    assert [row[0] for row in rows] == PAGES * 2, out
    for page, median_ms, p95_ms, ratio, limit, sql_ms, render_ms, statements, fixed, renewals in rows:
        assert float(median_ms) > 0 and float(p95_ms) >= float(median_ms)
        assert 0 < float(sql_ms) < float(median_ms)
        assert renewals.isdigit()  # a short run: usually 0, 1 if it crossed the once-a-minute renewal
        assert statements.isdigit() and fixed == "yes", (page, statements, fixed)
        assert limit == ("-" if page == "/health" else "1000")
        if page == "/health":
            assert ratio == "1.00" and statements == "1" and float(render_ms) == 0
        else:
            assert float(render_ms) > 0  # pages render templates, /health does not
    # The catalogue runs more statements than the bare /health check.
    assert int(rows[1][7]) > int(rows[0][7])
    # The second page of the catalogue runs the same statements as the first.
    n = len(PAGES)
    assert rows[2][7] == rows[1][7] and rows[n + 2][7] == rows[n + 1][7]
    # Each role's home page runs statements of its own sections: an admin's or a lead's
    # more than a plain practitioner's.
    homes = {row[0]: int(row[7]) for row in rows[:n] if row[0] in HOMES}
    assert homes["home (admin)"] > homes["home (practitioner)"] < homes["home (setting lead)"], homes

    # The statement counts are compared between the sizes, and agree.
    heading = "SQL statements per request, and median x /health, by size (in-process)"
    assert heading in out
    comparison = [line.split() for line in out.split(heading)[1].strip("\n").split("\n\n")[0].splitlines()[2:]]
    # page, XXS statements, XS statements, same, XXS ratio, XS ratio
    assert [" ".join(parts[:-5]) for parts in comparison] == PAGES, out
    assert all(parts[-4] == parts[-5] and parts[-3] == "yes" for parts in comparison), out
    assert out.rstrip().splitlines()[-1].startswith("PASS: 15 pages each within 1000 x /health")


def test_fails_when_a_page_is_over_the_limit(database):
    # Half of /health's time is less than any page takes, so every page is over.
    result = _run(database, "--size", "XXS", "--limit", "0.5")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "lesson page took" in result.stdout and "x /health at size XXS (in-process; limit 0.5)" in result.stdout
    assert "home (admin) took" in result.stdout
    assert "register (100 people) took" in result.stdout
    assert result.stdout.rstrip().splitlines()[-1].startswith("FAIL: 15 problems")


def test_a_varying_statement_count_is_a_problem():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import bench_pages

    def run(size: str, lesson_counts: Counter) -> bench_pages.Run:
        results = []
        for page in bench_pages.pages_for(1, 1):
            result = bench_pages.Result(page, seconds=[0.002 if page.baseline else 0.004] * 3,
                                        sql_seconds=[0.0] * 3, render_seconds=[0.0] * 3)
            others = Counter({1 if page.baseline else 8: 3})
            result.statements = lesson_counts if page.label == "lesson page" else others
            results.append(result)
        data = {"people": 1, "completions": 1, "in progress": 1, "courses": 1}
        return bench_pages.Run(size, "sqlite://", "in-process", data, "someone", results)

    steady, varying, grown = run("S", Counter({7: 3})), run("S", Counter({7: 2, 8: 1})), run("M", Counter({9: 3}))
    assert bench_pages.report(steady, limit=3.0, requests=3) == []
    problems = bench_pages.report(varying, limit=3.0, requests=3)
    assert problems == ["lesson page ran a varying number of SQL statements at size S: 7 (2x), 8 (1x)"]
    # Within the limit at 2x /health; over it at 1.5.
    assert len(bench_pages.report(steady, limit=1.5, requests=3)) == 9
    problems = bench_pages.compare_sizes([steady, grown])
    assert problems == ["lesson page: SQL statements per request differ between sizes S, M: [7, 9]"]
    assert bench_pages.compare_sizes([steady, run("M", Counter({7: 3}))]) == []
