"""Uptake report benchmark: the report page and its API at a large size.

    python benchmarks/bench_reports.py                      # size M SQLite file, generated if missing
    python benchmarks/bench_reports.py --size S
    python benchmarks/bench_reports.py --database postgresql://postgres@127.0.0.1:5432/lms_bench_{size}
    python benchmarks/bench_reports.py --server --direct --limit 50   # through gunicorn, kept vs direct

--database may hold "{size}" (default sqlite:///benchmarks/output/{size}.sqlite, the file
bench_pages.py uses). A missing or empty database is generated first (generate.py).

Without --server the app runs in this process and the Flask test client signs in as an
admin; with --server the reports are asked of gunicorn over HTTP (one worker, the
statements counted in the worker, as bench_pages.py --server does), signed in as an admin
whose password the benchmark sets. After a warm-up each report is requested --requests
times. For each: the median milliseconds, the median as a multiple of /health's median in
the same run, the milliseconds spent in SQL, and the SQL statements per request, which
must not change from one request to the next (requests that renewed the signed-in session,
once a minute, are left out of that count, as in bench_pages.py).

Reports of whole months read the kept uptake rows and registrations, the filtered one (by
sector, e-learning only) included. --direct measures every report a second
time with the kept rows switched off (UPTAKE_KEPT_FIGURES=0), the straightforward count,
and prints each kept median as a share of the direct one, from the same run.

Exit status: 0 when every report answered 200 with a fixed statement count (and, with
--limit, within that many times /health); 1 when not; 2 when the run could not be made.
"""
from __future__ import annotations

import argparse
import secrets
import sys
import time
from datetime import date, datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_pages import DEFAULT_DATABASE, RunError, prepare_database  # noqa: E402
from common import (OUTPUT_DIR, Timed, database_url, describe_url, make_app, median, print_table,  # noqa: E402
                    signed_in_admin, time_get)


ONLY: list[str] = []  # --report: the labels (or parts of them) to run; /health always runs


def reports(today: date) -> list[tuple[str, str]]:
    return [(label, path) for label, path in _reports(today)
            if label == "/health" or not ONLY or any(part.lower() in label.lower() for part in ONLY)]


def _reports(today: date) -> list[tuple[str, str]]:
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
        ("Filtered: this year by sector, e-learning",
         f"/reports/uptake?{this_year}&by=sector&period=quarter&delivery_mode=elearning"),
    ]


BENCH_ADMIN = "reports-admin@bench.example"


def _admin_with_password(app) -> tuple[str, str]:
    """(email, password) of an admin the benchmark can sign in as over HTTP: its own,
    made or given the generator's password."""
    from sqlalchemy import select

    from generate import BENCH_PASSWORD
    from lms.accounts.models import User
    from lms.accounts.services import hash_password
    from lms.core.time import utcnow
    from lms.extensions import db

    with app.app_context():
        admin = db.session.scalar(select(User).where(User.email == BENCH_ADMIN))
        if admin is None:
            admin = User(email=BENCH_ADMIN, full_name="Reports Admin", is_admin=True, email_confirmed_at=utcnow(),
                         created_at=utcnow(), password_hash="x")
            db.session.add(admin)
        admin.password_hash = hash_password(BENCH_PASSWORD)
        admin.is_admin = admin.active = True
        db.session.commit()
    return BENCH_ADMIN, BENCH_PASSWORD


def _time_in_process(url: str, *, kept: bool, requests: int, today: date) -> dict[str, "object"]:
    from lms.accounts.models import User
    from lms.api.services import create_token
    from lms.core.time import utcnow
    from lms.extensions import db

    app = make_app(url)
    app.config["UPTAKE_KEPT_FIGURES"] = kept
    client, engine, admin_id = signed_in_admin(app, BENCH_ADMIN, "Reports Admin")
    with app.app_context():
        api_token, _ = create_token(db.session.get(User, admin_id), name="bench", now=utcnow())
        db.session.commit()
    timed = {}
    for label, path in reports(today):
        headers = {"Authorization": f"Bearer {api_token}"} if path.startswith("/api/") else {}
        timed[label] = time_get(client, engine, path, requests=requests, headers=headers)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    return timed


def _time_over_http(url: str, *, kept: bool, requests: int, today: date, log_dir: Path) -> dict[str, "object"]:
    """The reports asked of one gunicorn worker over HTTP; the worker counts the statements."""
    import requests as http

    from bench_pages import STATEMENTS_HEADER, _csrf
    from common import GunicornServer
    from lms.accounts.models import User
    from lms.api.services import create_token
    from lms.core.time import utcnow
    from lms.extensions import db

    app = make_app(url)
    email, password = _admin_with_password(app)
    with app.app_context():
        admin = db.session.scalar(db.select(User).where(User.email == email))
        api_token, _ = create_token(admin, name="bench", now=utcnow())
        db.session.commit()
        db.engine.dispose()
    env = {"LMS_CONFIG": "production", "SECRET_KEY": secrets.token_hex(32), "DATABASE_URL": url,
           "SESSION_COOKIE_SECURE": "0", "UPTAKE_KEPT_FIGURES": "1" if kept else "0"}
    timed = {}
    with GunicornServer("bench_pages:server_app()", env=env, workers=1, log_dir=log_dir,
                        name="bench-reports", pythonpath=Path(__file__).resolve().parent) as server:
        session = http.Session()
        page = session.get(server.base + "/sign-in", timeout=30)
        signed = session.post(server.base + "/sign-in", allow_redirects=False, timeout=60,
                              data={"email": email, "password": password, "csrf_token": _csrf(page.text)})
        if signed.status_code != 302:
            raise RunError(f"Signing in as {email} answered {signed.status_code}")
        for label, path in reports(today):
            headers = {"Authorization": f"Bearer {api_token}"} if path.startswith("/api/") else {}
            timings, sql_ms, counts = [], [], set()
            for index in range(2 + requests):
                started = time.perf_counter()
                response = session.get(server.base + path, headers=headers, allow_redirects=False, timeout=300)
                elapsed = time.perf_counter() - started
                if response.status_code != 200:
                    raise RunError(f"GET {path} answered {response.status_code}")
                statements, renewed, sql, _render = response.headers.get(STATEMENTS_HEADER, "-1 0 0 0").split()
                if index >= 2:
                    timings.append(elapsed * 1000)
                    sql_ms.append(float(sql) * 1000)
                    if renewed != "1":
                        counts.add(int(statements))
            timed[label] = Timed(median(timings), median(sql_ms), counts)
        session.close()
    return timed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="M")
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--limit", type=float, help="fail a report slower than this many times /health")
    parser.add_argument("--server", action="store_true", help="through gunicorn over HTTP, not in this process")
    parser.add_argument("--direct", action="store_true",
                        help="also measure the direct count (kept rows switched off) and print kept / direct")
    parser.add_argument("--output-dir", type=Path, default=OUTPUT_DIR, help="where gunicorn's log goes")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--report", action="append", default=[],
                        help="run only the reports whose label contains this (repeatable), e.g. 'This year by sector'")
    args = parser.parse_args(argv)

    ONLY[:] = args.report
    url = database_url(args.database.replace("{size}", args.size.lower()))
    try:
        counts = prepare_database(args.size, url, regenerate=False, seed=args.seed)
    except RunError as error:
        print(f"Cannot run: {error}", file=sys.stderr)
        return 2
    print(f"{describe_url(url)}: {counts['people']:,} people, {counts['completions']:,} completions; "
          f"{'gunicorn (1 worker) over HTTP' if args.server else 'in-process test client'}")

    from lms.core.time import london_today

    today = london_today(datetime.now(timezone.utc))
    runs = {}
    try:
        for kept in (True, False) if args.direct else (True,):
            if args.server:
                runs[kept] = _time_over_http(url, kept=kept, requests=args.requests, today=today,
                                             log_dir=args.output_dir)
            else:
                runs[kept] = _time_in_process(url, kept=kept, requests=args.requests, today=today)
    except (RunError, SystemExit, RuntimeError) as error:
        print(f"Cannot run: {error}", file=sys.stderr)
        return 2

    failed = False
    rows = []
    for kept, timed in runs.items():
        health = timed["/health"].ms
        for label, _path in reports(today):
            result = timed[label]
            ratio = result.ms / health
            over = kept and args.limit is not None and label != "/health" and ratio > args.limit
            failed |= (not result.fixed) or over
            share = ""
            if kept and False in runs and label != "/health":
                share = f"{result.ms / runs[False][label].ms:.2f}"
            rows.append([label, "kept" if kept else "direct", f"{result.ms:.1f}", f"{ratio:.0f}x",
                         f"{result.sql_ms:.1f}",
                         ", ".join(str(c) for c in sorted(result.counts)) + ("" if result.fixed else " VARIES"),
                         share, "OVER" if over else ""])
    print()
    print_table(["Report", "Figures", "Median ms", "x /health", "SQL ms", "Statements", "kept / direct", ""], rows)
    print(f"\n{'FAIL' if failed else 'PASS'}: statement counts {'vary' if failed else 'fixed'}"
          + (f"; limit {args.limit}x /health (kept figures)" if args.limit else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
