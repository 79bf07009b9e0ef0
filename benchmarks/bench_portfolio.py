"""CPD portfolio and evidence pack benchmark: the pages and their PDFs for a typical setting
and for the largest one, with SQL statements per request.

    python benchmarks/bench_portfolio.py                      # size S SQLite file, generated if missing
    python benchmarks/bench_portfolio.py --size M
    python benchmarks/bench_portfolio.py --database postgresql://postgres@127.0.0.1:5432/lms_bench_{size}

--database may hold "{size}" (default sqlite:///benchmarks/output/{size}.sqlite, the file
bench_pages.py uses). A missing or empty database is generated first (generate.py), with
its 200-person secondary school (the largest setting) and settings of every size.

The app runs in this process; the Flask test client signs in as an admin, who may open
any setting's pack and anyone's portfolio. Measured, after a warm-up, as medians and as
multiples of /health's median in the same run:

- the evidence pack page and PDF of a typical setting (the median number of staff) and of
  the largest, over the twelve months to today;
- the CPD portfolio page and PDF of the person with the most training in the period at the
  largest setting.

Each row has its statements per request; the pack's must be the same for both settings
(the pack runs a fixed number of statements whatever the number of staff). For the PDFs the
number of pages is printed, and the milliseconds per page.

Exit status: 0 when every request answered 200 and the statement counts are fixed; 1 when
not; 2 when the run could not be made.
"""
from __future__ import annotations

import argparse
import io
import sys
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_pages import DEFAULT_DATABASE, RunError, prepare_database  # noqa: E402
from common import database_url, describe_url, make_app, print_table, signed_in_admin, time_get  # noqa: E402
from sqlalchemy import func, select  # noqa: E402


def _settings(db, today):
    """(typical organisation id and staff, largest organisation id and staff, the id of the
    person with the most completions in the period at the largest)."""
    from lms.accounts.models import User
    from lms.reports.portfolio.services import default_start
    from lms.records.models import Completion

    staff = db.session.execute(
        select(User.organisation_id, func.count())
        .where(User.organisation_id.is_not(None), User.active.is_(True))
        .group_by(User.organisation_id)
        .order_by(func.count(), User.organisation_id)
    ).all()
    if not staff:
        raise RunError("No organisation has staff")
    typical, largest = staff[len(staff) // 2], staff[-1]
    busiest = db.session.scalar(
        select(Completion.user_id)
        .join(User, User.id == Completion.user_id)
        .where(User.organisation_id == largest[0], Completion.completed_on >= default_start(today))
        .group_by(Completion.user_id)
        .order_by(func.count().desc(), Completion.user_id)
        .limit(1)
    )
    if busiest is None:
        busiest = db.session.scalar(select(User.id).where(User.organisation_id == largest[0]).limit(1))
    return typical, largest, busiest


def _pages(body: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(body)).pages)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="S")
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    parser.add_argument("--requests", type=int, default=20, help="requests per page (a quarter of that per PDF)")
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
    # Measure the PDF made in the request, whatever the setting's size (the service prepares
    # packs above EVIDENCE_PACK_DIRECT_LIMIT in the background: bench_downloads.py).
    app.config["EVIDENCE_PACK_DIRECT_LIMIT"] = 10**9
    from lms.core.time import london_today
    from lms.extensions import db

    today = london_today(datetime.now(timezone.utc))
    with app.app_context():
        try:
            (typical_id, typical_staff), (largest_id, largest_staff), busiest = _settings(db, today)
        except RunError as error:
            print(f"Cannot run: {error}", file=sys.stderr)
            return 2
    client, engine, _ = signed_in_admin(app, "portfolio-admin@bench.example", "Portfolio Admin")

    pdf_requests = max(3, args.requests // 4)
    measured = [
        ("/health", "/health", args.requests),
        (f"Evidence pack page, typical setting ({typical_staff} staff)",
         f"/organisation/evidence-pack?organisation={typical_id}", args.requests),
        (f"Evidence pack page, largest setting ({largest_staff} staff)",
         f"/organisation/evidence-pack?organisation={largest_id}", args.requests),
        ("Evidence pack PDF, typical setting", f"/organisation/evidence-pack.pdf?organisation={typical_id}", pdf_requests),
        ("Evidence pack PDF, largest setting", f"/organisation/evidence-pack.pdf?organisation={largest_id}", pdf_requests),
        ("CPD portfolio page (busiest person)", f"/organisation/staff/{busiest}/portfolio", args.requests),
        ("CPD portfolio PDF (busiest person)", f"/organisation/staff/{busiest}/portfolio.pdf", pdf_requests),
    ]
    rows, health, pack_counts, failed = [], None, {}, False
    for label, path, requests in measured:
        try:
            timed = time_get(client, engine, path, requests=requests)
        except SystemExit as error:
            print(error, file=sys.stderr)
            return 2
        if label == "/health":
            health = timed.ms
        pages = per_page = ""
        if path.endswith(".pdf") or ".pdf?" in path:
            count = _pages(client.get(path).data)
            pages, per_page = str(count), f"{timed.ms / count:.0f}"
        if label.startswith("Evidence pack"):
            pack_counts.setdefault("PDF" if "PDF" in label else "page", set()).update(timed.counts)
        failed |= not timed.fixed
        rows.append([label, f"{timed.ms:.1f}", f"{timed.ms / health:.0f}x", f"{timed.sql_ms:.1f}",
                     ", ".join(str(c) for c in sorted(timed.counts)) + ("" if timed.fixed else " VARIES"),
                     pages, per_page])
    print()
    print_table(["Request", "Median ms", "x /health", "SQL ms", "Statements", "PDF pages", "ms a page"], rows)
    same = all(len(seen) == 1 for seen in pack_counts.values())
    failed |= not same
    print(f"\n{'FAIL' if failed else 'PASS'}: statement counts "
          f"{'fixed, and the same for the typical and the largest setting' if not failed else 'vary'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
