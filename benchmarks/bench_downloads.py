"""Prepared downloads benchmark: a 2,000-person setting's evidence pack, asked for by its
setting lead through the web app, made by the run-downloads job with progress.

    python benchmarks/bench_downloads.py          # sqlite:///benchmarks/output/downloads-s.sqlite, size S
    python benchmarks/bench_downloads.py --database postgresql://postgres@127.0.0.1:5432/lms_downloads_s

A missing or empty database is generated first at size S (generate.py). The generated
"Benchmark Academy" is then made a 2,000-person setting (--people) by moving staff of other
schools into it (their statuses move with them: the status table is keyed by person), once,
and the compliance status table is rebuilt as the nightly job does (the generator leaves it
empty), so the pack's matrix has every requirement's column.

The run, with the Flask test client signed in as the Academy's setting lead:

1. GET /health (the baseline), then the pack page, which must offer "Prepare" (a POST
   form) rather than the direct PDF at this size;
2. POST the form: a 302 to the download's progress page; GET it (200) and its JSON;
3. run the job (lms.downloads.jobs.run_downloads) and time it, counting its statements
   and the progress it wrote;
4. fetch the file (200, a PDF; its pages counted with pypdf);
5. a lead of another setting gets 404 for the page, the JSON and the file.

Printed: seconds for the job (wall clock, and the CPU time of this process and the PDF
worker processes, which other work on a shared machine does not inflate; --workers sets
PDF_WORKERS, default 1), its multiple of /health's median, pages, ms a page,
statements, progress writes, and the load average. Exit 0 when all checks hold, 1 when one does not, 2 when the
run could not be made.
"""
from __future__ import annotations

import argparse
import io
import os
import resource
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_pages import RunError, prepare_database  # noqa: E402
from common import OUTPUT_DIR, database_url, describe_url, make_app, print_table, time_get  # noqa: E402
from sqlalchemy import event, func, select, update  # noqa: E402

DEFAULT_DATABASE = "sqlite:///" + str(OUTPUT_DIR / "downloads-{size}.sqlite")


def _enlarge(db, people: int) -> tuple[int, int]:
    """(the Academy's id, its staff): staff of other schools moved into it until it has
    `people` active staff; the compliance status table rebuilt (as the nightly job does)
    when it is empty or people moved."""
    from generate import LARGE_ORGANISATION_NAME
    from lms.accounts.models import SettingLead, User
    from lms.organisations.models import Organisation, OrganisationType, Sector

    academy = db.session.scalar(select(Organisation).where(Organisation.name == LARGE_ORGANISATION_NAME))
    if academy is None:
        raise RunError(f"No {LARGE_ORGANISATION_NAME!r} in the database: generate it again")
    staff = db.session.scalar(select(func.count()).select_from(User).where(
        User.organisation_id == academy.id, User.active.is_(True)))
    wanted = people - staff
    if wanted > 0:
        schools = select(Organisation.id).join(OrganisationType, OrganisationType.id == Organisation.type_id).join(
            Sector, Sector.id == OrganisationType.sector_id).where(Sector.code == "education", Organisation.id != academy.id)
        leads = select(SettingLead.user_id)
        movers = list(db.session.scalars(
            select(User.id).where(User.organisation_id.in_(schools), User.active.is_(True), User.id.not_in(leads))
            .order_by(User.id).limit(wanted)
        ))
        if len(movers) < wanted:
            raise RunError(f"Only {len(movers)} school staff to move; generate a larger size")
        for start in range(0, len(movers), 500):
            db.session.execute(update(User).where(User.id.in_(movers[start:start + 500]))
                               .values(organisation_id=academy.id).execution_options(synchronize_session=False))
        db.session.commit()
        staff += len(movers)
        print(f"Moved {len(movers):,} school staff into {academy.name}")
    from lms.compliance.models import ComplianceStatus
    from lms.compliance.services import rebuild_status_table

    if wanted > 0 or db.session.scalar(select(func.count()).select_from(ComplianceStatus)) == 0:
        # The nightly rebuild, so the pack's matrix and summary have every requirement's column.
        started = time.perf_counter()
        rows = rebuild_status_table(now=datetime.now(timezone.utc))
        db.session.commit()
        print(f"Rebuilt the compliance status table ({rows:,} rows) in {time.perf_counter() - started:.1f} s")
    return academy.id, staff


def _lead_of(db, organisation_id: int, *, other: bool = False) -> int:
    from lms.accounts.models import SettingLead, User

    condition = SettingLead.organisation_id != organisation_id if other else SettingLead.organisation_id == organisation_id
    lead = db.session.scalar(select(SettingLead.user_id).join(User, User.id == SettingLead.user_id)
                             .where(condition, User.active.is_(True)).order_by(SettingLead.user_id).limit(1))
    if lead is None:
        raise RunError("No setting lead found")
    return lead


def _cpu() -> float:
    """CPU seconds used by this process and its finished worker processes."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _client(app, user_id: int):
    from lms.accounts import services as accounts
    from lms.accounts.models import User
    from lms.core.time import utcnow
    from lms.extensions import db

    with app.app_context():
        token = accounts.start_session(db.session.get(User, user_id), now=utcnow())
        db.session.commit()
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = token
        session["_fresh"] = True
    return client


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="S")
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--direct-limit", type=int, default=100,
                        help="EVIDENCE_PACK_DIRECT_LIMIT: staff above which the pack is prepared (default 100)")
    parser.add_argument("--workers", type=int, default=1, help="PDF_WORKERS: processes rendering the PDF's parts")
    args = parser.parse_args(argv)

    url = database_url(args.database.replace("{size}", args.size.lower()))
    try:
        counts = prepare_database(args.size, url, regenerate=False, seed=args.seed)
    except RunError as error:
        print(f"Cannot run: {error}", file=sys.stderr)
        return 2
    print(f"{describe_url(url)}: {counts['people']:,} people, {counts['completions']:,} completions")

    app = make_app(url)
    app.config.update(WTF_CSRF_ENABLED=False, DOWNLOADS_FOLDER=str(OUTPUT_DIR / "downloads-files"),
                      EVIDENCE_PACK_DIRECT_LIMIT=args.direct_limit, PDF_WORKERS=args.workers)
    from lms.downloads import jobs
    from lms.downloads.models import PreparedDownload
    from lms.extensions import db

    with app.app_context():
        try:
            academy_id, staff = _enlarge(db, args.people)
            lead_id, other_id = _lead_of(db, academy_id), _lead_of(db, academy_id, other=True)
            from lms.compliance.matrix import organisation_requirements

            columns = len(organisation_requirements(academy_id))
        except RunError as error:
            print(f"Cannot run: {error}", file=sys.stderr)
            return 2
        engine = db.engine
    lead, other = _client(app, lead_id), _client(app, other_id)
    health = time_get(lead, engine, "/health", requests=20).ms

    checks: list[tuple[str, bool]] = []
    page = lead.get(f"/organisation/evidence-pack?organisation={academy_id}")
    html = page.get_data(as_text=True)
    checks.append(("the pack page offers to prepare the PDF", page.status_code == 200
                   and "/organisation/evidence-pack/prepare" in html and "evidence-pack.pdf?" not in html))
    queued = lead.post(f"/organisation/evidence-pack/prepare?organisation={academy_id}")
    location = queued.headers.get("Location", "")
    checks.append(("asking answers 302 to the progress page", queued.status_code == 302 and "/downloads/" in location))
    if queued.status_code != 302:
        print(f"Cannot run: the prepare form answered {queued.status_code}", file=sys.stderr)
        return 2
    download_id = int(location.rstrip("/").rsplit("/", 1)[-1])
    checks.append(("the progress page answers 200", lead.get(f"/downloads/{download_id}").status_code == 200))

    statements, writes = [0], [0]

    def count(conn, cursor, statement, parameters, context, executemany):
        statements[0] += 1
        if statement.lstrip().upper().startswith("UPDATE PREPARED_DOWNLOAD"):
            writes[0] += 1

    event.listen(engine, "before_cursor_execute", count)
    with app.app_context():
        started, cpu = time.perf_counter(), _cpu()
        result = jobs.run_downloads(now=datetime.now(timezone.utc))
        seconds, cpu = time.perf_counter() - started, _cpu() - cpu
    event.remove(engine, "before_cursor_execute", count)
    with app.app_context():
        download = db.session.get(PreparedDownload, download_id)
        status, error = download.status, download.error
    checks.append((f"the job made it ({result})", status == "ready"))
    if status != "ready":
        print(f"The download {status}: {error}", file=sys.stderr)

    fetched = lead.get(f"/downloads/{download_id}/file")
    pages = 0
    if fetched.status_code == 200:
        from pypdf import PdfReader

        pages = len(PdfReader(io.BytesIO(fetched.data)).pages)
    checks.append(("the lead fetches a PDF", fetched.status_code == 200 and fetched.data[:5] == b"%PDF-"))
    for path in (f"/downloads/{download_id}", f"/downloads/{download_id}/progress.json", f"/downloads/{download_id}/file"):
        checks.append((f"another setting's lead gets 404 for {path}", other.get(path).status_code == 404))

    print()
    print_table(["Measured", "Value"], [
        ["Staff in the pack", f"{staff:,}"],
        ["Requirement columns", f"{columns}"],
        ["/health median ms", f"{health:.1f}"],
        ["Job seconds", f"{seconds:.1f}"],
        ["PDF worker processes", f"{args.workers}"],
        ["Job CPU seconds (with its workers)", f"{cpu:.1f}"],
        ["Load average (1 min) after", f"{os.getloadavg()[0]:.1f}"],
        ["Job x /health", f"{seconds * 1000 / health:,.0f}x"],
        ["PDF pages", f"{pages:,}"],
        ["ms a page", f"{seconds * 1000 / pages:.0f}" if pages else "-"],
        ["Statements in the job", f"{statements[0]:,}"],
        ["Progress writes", f"{writes[0]:,}"],
        ["PDF size", f"{len(fetched.data) / 1024 / 1024:.1f} MB" if pages else "-"],
    ])
    print()
    for label, ok in checks:
        print(f"{'ok  ' if ok else 'FAIL'} {label}")
    passed = all(ok for _, ok in checks)
    print(f"\n{'PASS' if passed else 'FAIL'}: {sum(ok for _, ok in checks)} of {len(checks)} checks")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
