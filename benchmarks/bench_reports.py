"""Uptake report benchmark: the report page and its API at a large size.

    python benchmarks/bench_reports.py                      # size M SQLite file, generated if missing
    python benchmarks/bench_reports.py --size S
    python benchmarks/bench_reports.py --database postgresql://postgres@127.0.0.1:5432/lms_bench_{size}

--database may hold "{size}" (default sqlite:///benchmarks/output/{size}.sqlite, the file
bench_pages.py uses). A missing or empty database is generated first (generate.py).

The app runs in this process; the Flask test client signs in as an admin. After a warm-up
each report is requested --requests times. For each: the median milliseconds, the median
as a multiple of /health's median in the same run, the milliseconds spent in SQL, and the
SQL statements per request, which must not change from one request to the next (requests
that renewed the signed-in session, once a minute, are left out of that count, as in
bench_pages.py).

Exit status: 0 when every report answered 200 with a fixed statement count (and, with
--limit, within that many times /health); 1 when not; 2 when the run could not be made.
"""
from __future__ import annotations

import argparse
import sys
from datetime import date, datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_pages import DEFAULT_DATABASE, RunError, prepare_database  # noqa: E402
from common import database_url, describe_url, make_app, print_table, signed_in_admin, time_get  # noqa: E402


def reports(today: date) -> list[tuple[str, str]]:
    year = today.year if today.month >= 4 else today.year - 1
    this_year = f"from={year}-04-01&to={today.isoformat()}"
    three_years = f"from={year - 2}-04-01&to={today.isoformat()}"
    return [
        ("/health", "/health"),
        ("This year by sector, quarters", f"/reports/uptake?{this_year}&by=sector&period=quarter"),
        ("This year by organisation type", f"/reports/uptake?{this_year}&by=organisation-type&period=quarter"),
        ("Three years by course, years", f"/reports/uptake?{three_years}&by=course&period=year"),
        ("Three years by area, quarters", f"/reports/uptake?{three_years}&by=area&period=quarter"),
        ("API: this year by sector", f"/api/v1/reports/uptake?{this_year}&by=sector&period=quarter"),
        ("CSV: three years by sector", f"/reports/uptake?{three_years}&by=sector&period=quarter&format=csv"),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="M")
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--limit", type=float, help="fail a report slower than this many times /health")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)

    url = database_url(args.database.replace("{size}", args.size.lower()))
    try:
        counts = prepare_database(args.size, url, regenerate=False, seed=args.seed)
    except RunError as error:
        print(f"Cannot run: {error}", file=sys.stderr)
        return 2
    print(f"{describe_url(url)}: {counts['people']:,} people, {counts['completions']:,} completions")

    app = make_app(url)
    from lms.accounts.models import User
    from lms.api.services import create_token
    from lms.core.time import london_today, utcnow
    from lms.extensions import db

    client, engine, admin_id = signed_in_admin(app, "reports-admin@bench.example", "Reports Admin")
    with app.app_context():
        api_token, _ = create_token(db.session.get(User, admin_id), name="bench", now=utcnow())
        db.session.commit()

    today = london_today(datetime.now(timezone.utc))
    rows, health, failed = [], None, False
    for label, path in reports(today):
        headers = {"Authorization": f"Bearer {api_token}"} if path.startswith("/api/") else {}
        try:
            timed = time_get(client, engine, path, requests=args.requests, headers=headers)
        except SystemExit as error:
            print(error, file=sys.stderr)
            return 2
        if label == "/health":
            health = timed.ms
        ratio = timed.ms / health
        over = args.limit is not None and label != "/health" and ratio > args.limit
        failed |= (not timed.fixed) or over
        rows.append([label, f"{timed.ms:.1f}", f"{ratio:.0f}x", f"{timed.sql_ms:.1f}",
                     ", ".join(str(c) for c in sorted(timed.counts)) + ("" if timed.fixed else " VARIES"),
                     "OVER" if over else ""])
    print()
    print_table(["Report", "Median ms", "x /health", "SQL ms", "Statements", ""], rows)
    print(f"\n{'FAIL' if failed else 'PASS'}: statement counts {'vary' if failed else 'fixed'}"
          + (f"; limit {args.limit}x /health" if args.limit else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
