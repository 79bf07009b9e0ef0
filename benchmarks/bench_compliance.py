"""Compliance benchmark: the nightly rebuild of the status table, the admin overview and
a setting lead's staff matrix for a 200-person organisation.

The compliance feature's "must show": at size M (100k people, 1M completions) the admin
overview and a 200-person staff matrix each answer within 5x the median time of /health
measured in the same run, and the nightly rebuild of the status table takes at most
2 minutes on this 2-core machine.

    python benchmarks/bench_compliance.py                       # size M SQLite file, generated if missing
    python benchmarks/bench_compliance.py --size S --size M     # both: statement counts must agree
    python benchmarks/bench_compliance.py --size S --size M --server \\
        --database postgresql://postgres@127.0.0.1:5432/lms_bench_compliance_{size}

For each size:

1. The database (--database; "{size}" becomes the size in lower case; default
   sqlite:///benchmarks/output/compliance-{size}.sqlite) is generated first when it is
   missing or empty (benchmarks/generate.py, which loads the national requirements and
   adds the 200-person LARGE_ORGANISATION_NAME with its setting lead).
2. The rebuild: the status table and the overview's kept counts are emptied, then
   lms.compliance.services.rebuild_status_table(now=...), which writes both, runs and
   commits, --rebuild-runs times (2: on an empty table, then over a full one), each
   followed on PostgreSQL by the VACUUM (ANALYZE) of the two rewritten tables that the
   nightly job runs after its commit (services.vacuum_rebuilt_tables). Each run's seconds
   (all of it), rows and SQL statements are printed against --rebuild-limit (120 seconds).
3. The pages, in this process (and with --server through gunicorn, production settings,
   as benchmarks/bench_pages.py does): /health; /admin/compliance signed in as an admin;
   the staff matrix of the large organisation (/organisation/compliance?organisation=<id>,
   its first page and its last page of 50) signed in as that organisation's setting
   lead; and, for information only, the matrix's CSV export (every person, one request;
   each writes an audit event). Each page is asked for --warm-up times, then --requests
   times in turn. Every answer must be 200.

It prints, per page: the median and p95 milliseconds, the median as a multiple of
/health's median, the milliseconds in SQL and in templates, and the SQL statements per
request (which must be the same in every request, and at every size given).

Exit status: 0 when both rebuilds are within the limit and every page within --limit x
/health with a fixed statement count; 1 when not; 2 when the run could not be made.
"""
from __future__ import annotations

import argparse
import math
import re
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_pages import (  # noqa: E402
    InProcess,
    OverHttp,
    Page,
    Run,
    RunError,
    StatementCounter,
    compare_sizes,
    measure,
    prepare_database,
    show_sql,
)
from common import (  # noqa: E402
    OUTPUT_DIR,
    database_url,
    describe_url,
    is_sqlite,
    make_app,
    median,
    print_table,
)
from sqlalchemy import delete, func, select  # noqa: E402

DEFAULT_DATABASE = "sqlite:///" + str(OUTPUT_DIR / "compliance-{size}.sqlite")
PERSON_LINK = re.compile(r'href="/organisation/compliance/(\d+)')


@dataclass
class CompliancePage(Page):
    """A page, who asks for it ("admin", "lead" or "anyone") and whether the limit applies."""

    who: str = "anyone"
    checked: bool = True


@dataclass
class Rebuild:
    run: int
    rows: int
    seconds: float  # the nightly job: rebuild_status_table, the commit and (PostgreSQL) VACUUM
    commit_seconds: float
    statements: int
    vacuum_seconds: float | None  # None on SQLite


@dataclass
class Subjects:
    """Who signs in, and the organisation whose matrix is timed."""

    admin_email: str
    lead_email: str
    organisation_id: int
    organisation_name: str
    people: int  # open accounts at the organisation
    per_page: int  # the matrix's page size

    @property
    def last_page(self) -> int:
        return max(1, math.ceil(self.people / self.per_page))


@dataclass
class SizeRun:
    size: str
    url: str
    data: dict
    subjects: Subjects
    rebuilds: list[Rebuild]
    runs: list[Run]
    note: str = ""


# --- the database -------------------------------------------------------------------------

def find_subjects(app) -> Subjects:
    """The first generated admin, and the large organisation with its setting lead."""
    from generate import LARGE_ORGANISATION_NAME

    from lms.accounts.models import User
    from lms.compliance import views
    from lms.compliance.models import Requirement
    from lms.extensions import db
    from lms.organisations.models import Organisation

    setting_lead = db.metadata.tables["setting_lead"]
    with app.app_context():
        try:
            requirements = db.session.scalar(select(func.count(Requirement.id)).where(Requirement.active.is_(True)))
            if not requirements:
                raise RunError("the database has no requirements: it was generated before generate.py loaded the "
                               "national baseline. Give --regenerate to make it again.")
            admin = db.session.scalar(
                select(User.email).where(User.is_admin.is_(True), User.active.is_(True),
                                         User.email.like("%bench.example")).order_by(User.id).limit(1))
            organisation = db.session.execute(
                select(Organisation.id, Organisation.name).where(Organisation.name == LARGE_ORGANISATION_NAME)
            ).first()
            if admin is None or organisation is None:
                raise RunError(f"the database has no {'benchmark admin' if admin is None else LARGE_ORGANISATION_NAME}: "
                               "it was generated by an older generate.py. Give --regenerate to make it again.")
            lead = db.session.scalar(
                select(User.email).join(setting_lead, setting_lead.c.user_id == User.id)
                .where(setting_lead.c.organisation_id == organisation.id, User.active.is_(True))
                .order_by(User.id).limit(1))
            if lead is None:
                raise RunError(f"{LARGE_ORGANISATION_NAME} has no setting lead. Give --regenerate.")
            people = db.session.scalar(select(func.count(User.id)).where(
                User.organisation_id == organisation.id, User.active.is_(True)))
            return Subjects(admin, lead, organisation.id, organisation.name, people, views.MATRIX_PER_PAGE)
        finally:
            db.session.remove()


def time_rebuilds(app, *, runs: int, now: datetime) -> list[Rebuild]:
    """Empty the status table and the kept counts, then rebuild them `runs` times, each
    committed and timed."""
    from lms.compliance.models import ComplianceCount, ComplianceStatus
    from lms.compliance.services import rebuild_status_table, vacuum_rebuilt_tables
    from lms.extensions import db

    results = []
    with app.app_context():
        counter = StatementCounter(db.engine)
        db.session.execute(delete(ComplianceCount))
        db.session.execute(delete(ComplianceStatus))
        db.session.commit()
        for number in range(1, runs + 1):
            counter.reset()
            started = time.perf_counter()
            rows = rebuild_status_table(now=now)
            committing = time.perf_counter()
            db.session.commit()
            vacuuming = time.perf_counter()
            statements = len(counter.statements)
            vacuumed = vacuum_rebuilt_tables()  # as the nightly job does after its commit
            finished = time.perf_counter()
            vacuum = finished - vacuuming if vacuumed else None
            results.append(Rebuild(number, rows, finished - started, vacuuming - committing, statements, vacuum))
            counts = db.session.scalar(select(func.count(ComplianceCount.id)))
            print(f"  rebuild {number}: {rows:,} status rows and {counts:,} kept counts in "
                  f"{finished - started:.1f} seconds (commit {vacuuming - committing:.1f} s"
                  f"{'' if vacuum is None else f', VACUUM (ANALYZE) {vacuum:.1f} s'}, "
                  f"{statements:,} SQL statements)", flush=True)
        db.session.remove()
        db.engine.dispose()
    return results


def status_spread(app, *, now: datetime) -> list[list]:
    """Rows of the status table by requirement and status today: [code, people it applies
    to, overdue, due soon, not yet due, current]."""
    from lms.compliance import engine, services
    from lms.compliance.models import ComplianceStatus, Requirement
    from lms.core.time import london_today
    from lms.extensions import db

    order = [engine.OVERDUE, engine.DUE_SOON, engine.NOT_YET_DUE, engine.CURRENT]
    with app.app_context():
        status = services.status_expression(london_today(now)).label("status")
        inner = (select(Requirement.position, Requirement.code, status)
                 .join(Requirement, Requirement.id == ComplianceStatus.requirement_id).subquery())
        counts: dict[str, dict[str, int]] = {}
        positions: dict[str, int] = {}
        for position, code, value, number in db.session.execute(
            select(inner.c.position, inner.c.code, inner.c.status, func.count())
            .group_by(inner.c.position, inner.c.code, inner.c.status)
        ):
            counts.setdefault(code, {})[value] = number
            positions[code] = position
        db.session.remove()
        db.engine.dispose()
    return [[code, sum(counts[code].values()), *(counts[code].get(s, 0) for s in order)]
            for code in sorted(counts, key=lambda c: positions[c])]


# --- the clients ----------------------------------------------------------------------------

class SignedInAs:
    """One client (in this process or over HTTP) holding a signed-in session per person;
    each request goes out in the session of whoever its page belongs to."""

    def __init__(self, client, pages: list[CompliancePage]) -> None:
        self.client = client
        self.mode = client.mode
        self.owner = {page.path: page.who for page in pages}
        self.sessions: dict[str, object] = {}
        # The attribute that holds the signed-in session: the test client, or requests' Session.
        self.attribute = "client" if isinstance(client, InProcess) else "session"

    def _new_session(self):
        if isinstance(self.client, InProcess):
            return self.client.app.test_client()
        import requests

        return requests.Session()

    def sign_in(self, who: str, email: str, password: str) -> None:
        session = self._new_session()
        setattr(self.client, self.attribute, session)
        self.client.sign_in(email, password)
        self.sessions[who] = session

    def get(self, path: str):
        who = self.owner.get(path, "anyone")
        setattr(self.client, self.attribute, self.sessions.get(who) or next(iter(self.sessions.values())))
        return self.client.get(path)

    def rows_shown(self, path: str, who: str) -> int:
        """How many people a matrix page lists (links to their pages), in this process."""
        setattr(self.client, self.attribute, self.sessions[who])
        if isinstance(self.client, InProcess):
            response = self.client.client.get(path)
            body = response.get_data(as_text=True)
        else:
            response = self.client.session.get(self.client.server.base + path, timeout=60)
            body = response.text
        if response.status_code != 200:
            raise RunError(f"GET {path} answered {response.status_code} ({self.mode})")
        return len(set(PERSON_LINK.findall(body)))

    def sql_of_last_request(self):
        return self.client.sql_of_last_request()

    def close(self) -> None:
        for session in self.sessions.values():
            close = getattr(session, "close", None)
            if close is not None and not isinstance(self.client, InProcess):
                close()
        self.client.close()


def pages_for(subjects: Subjects) -> list[CompliancePage]:
    matrix = f"/organisation/compliance?organisation={subjects.organisation_id}"
    return [
        CompliancePage("/health", "/health", baseline=True),
        CompliancePage("/admin/compliance", "/admin/compliance", who="admin"),
        CompliancePage("staff matrix, page 1", matrix, who="lead"),
        CompliancePage("staff matrix, last page", f"{matrix}&page={subjects.last_page}", who="lead"),
        CompliancePage("matrix CSV export (all)",
                       f"/organisation/compliance/export.csv?organisation={subjects.organisation_id}",
                       who="lead", checked=False),
    ]


def per_page_note(client: SignedInAs, subjects: Subjects) -> tuple[bool, str]:
    """(whether the matrix takes ?per_page=, a sentence saying so). Asked with per_page=1:
    a matrix that honours it lists one person where its first page lists more."""
    matrix = f"/organisation/compliance?organisation={subjects.organisation_id}"
    first = client.rows_shown(matrix, "lead")
    one = client.rows_shown(f"{matrix}&per_page=1", "lead")
    if first > 1 and one == 1:
        return True, f"?per_page is supported: the whole matrix ({subjects.people} people) is also timed on one page."
    return False, (f"?per_page is not supported: ?per_page=1 still lists {one} people, as page 1 does (a fixed "
                   f"{subjects.per_page} a page), so the whole matrix in one request is timed as the CSV export.")


# --- the run --------------------------------------------------------------------------------

def run_size(size: str, url: str, *, modes: list[str], requests: int, warm_up: int, regenerate: bool,
             seed: int, workers: int, log_dir: Path, rebuild_runs: int) -> SizeRun:
    from generate import BENCH_PASSWORD

    data = prepare_database(size, url, regenerate=regenerate, seed=seed)
    app = make_app(url)
    subjects = find_subjects(app)
    backend = "SQLite" if is_sqlite(url) else "PostgreSQL"
    print(f"Size {size}: {data['people']:,} people, {data['completions']:,} completions ({backend}, "
          f"{describe_url(url)})")
    now = datetime.now(timezone.utc).replace(microsecond=0)
    rebuilds: list[Rebuild] = []
    if rebuild_runs:
        print(f"Rebuilding the status table {rebuild_runs} time{'s' if rebuild_runs != 1 else ''} "
              "(emptied first):", flush=True)
        rebuilds = time_rebuilds(app, runs=rebuild_runs, now=now)
    spread = status_spread(app, now=now)
    if not spread:
        raise RunError("the status table is empty: run without --no-rebuild first")
    print("Status rows today, by requirement")
    print_table(["requirement", "rows", "overdue", "due soon", "not yet due", "current"], spread)
    print()

    runs = []
    note = ""
    for mode in modes:
        base = InProcess(url) if mode == "in-process" else OverHttp(url, workers=workers, log_dir=log_dir)
        pages = pages_for(subjects)
        client = SignedInAs(base, pages)
        try:
            client.sign_in("admin", subjects.admin_email, BENCH_PASSWORD)
            client.sign_in("lead", subjects.lead_email, BENCH_PASSWORD)
            supported, note = per_page_note(client, subjects)
            if supported:
                whole = CompliancePage("staff matrix, all on one page",
                                       f"{pages[2].path}&per_page={subjects.people}", who="lead")
                pages.insert(4, whole)
                client.owner[whole.path] = whole.who
            results = measure(client, pages, requests=requests, warm_up=warm_up)
        finally:
            client.close()
        who = (f"admin {subjects.admin_email}; setting lead {subjects.lead_email} of {subjects.organisation_name} "
               f"({subjects.people} people, {subjects.last_page} page{'s' if subjects.last_page != 1 else ''} "
               f"of {subjects.per_page})")
        runs.append(Run(size, url, mode, data, who, results))
    return SizeRun(size, url, data, subjects, rebuilds, runs, note)


def report_rebuilds(size_run: SizeRun, *, limit: float) -> list[str]:
    problems = []
    if not size_run.rebuilds:
        return problems
    rows = []
    for rebuild in size_run.rebuilds:
        rows.append([rebuild.run, "empty" if rebuild.run == 1 else "full", rebuild.rows, rebuild.seconds,
                     rebuild.commit_seconds, "-" if rebuild.vacuum_seconds is None else rebuild.vacuum_seconds,
                     rebuild.statements, f"{limit:g}", rebuild.seconds <= limit])
        if rebuild.seconds > limit:
            problems.append(f"rebuild {rebuild.run} of the status table took {rebuild.seconds:.1f} s at size "
                            f"{size_run.size} (limit {limit:g} s)")
    print(f"Rebuild of the status table, size {size_run.size} ({size_run.data['people']:,} people)")
    print_table(["run", "table before", "rows", "seconds", "commit seconds", "vacuum seconds", "statements", "limit s",
                 "within"], rows)
    print()
    return problems


def report_pages(run: Run, *, limit: float, requests: int) -> list[str]:
    """Print the run's table; return its problems (empty when it passes)."""
    backend = "SQLite" if is_sqlite(run.url) else "PostgreSQL"
    print(f"Pages at size {run.size} ({backend}, {run.mode}, {requests} requests a page)")
    print(f"Signed in as {run.learner}")
    base_ms = next(r for r in run.results if r.page.baseline).median_ms
    problems = []
    rows = []
    for result in run.results:
        page: CompliancePage = result.page
        ratio = result.median_ms / base_ms
        limit_text = "-" if page.baseline else (f"{limit:g}" if page.checked else "info")
        rows.append([page.label, page.who, result.median_ms, result.p95_ms, ratio, limit_text,
                     median(result.sql_seconds) * 1000, median(result.render_seconds) * 1000,
                     result.statements_text(), result.fixed, result.renewals_text()])
        if page.checked and not page.baseline and ratio > limit:
            problems.append(f"{page.label} took {ratio:.1f} x /health at size {run.size} ({run.mode}; limit {limit:g})")
        if not result.fixed:
            problems.append(f"{page.label} ran a varying number of SQL statements at size {run.size} ({run.mode}): "
                            f"{result.statements_text()}")
    print_table(["page", "as", "median ms", "p95 ms", "x /health", "limit", "SQL ms", "render ms", "statements",
                 "fixed", "session renewals"], rows)
    print()
    return problems


def main(argv: list[str] | None = None) -> int:
    import generate

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", action="append", choices=sorted(generate.SIZES),
                        help="data size; give it twice (e.g. S and M) to compare statement counts (default M)")
    parser.add_argument("--database", default=DEFAULT_DATABASE,
                        help="SQLAlchemy URL; {size} becomes the size in lower case (default %(default)s)")
    parser.add_argument("--requests", type=int, default=50, help="timed requests a page (default %(default)s)")
    parser.add_argument("--warm-up", type=int, default=5, help="untimed requests a page first (default %(default)s)")
    parser.add_argument("--limit", type=float, default=5.0,
                        help="the most a page's median may be, as a multiple of /health's (default %(default)s)")
    parser.add_argument("--rebuild-limit", type=float, default=120.0,
                        help="the most seconds one rebuild of the status table may take (default %(default)s)")
    parser.add_argument("--rebuild-runs", type=int, default=2,
                        help="rebuilds to time, the first on an emptied table (default %(default)s)")
    parser.add_argument("--no-rebuild", action="store_true",
                        help="time the pages only, over the status table as it is")
    parser.add_argument("--server", action="store_true", help="also measure through gunicorn over HTTP")
    parser.add_argument("--server-only", action="store_true", help="measure the pages only through gunicorn")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers for --server (default %(default)s)")
    parser.add_argument("--regenerate", action="store_true", help="generate the data again even if it is there")
    parser.add_argument("--seed", type=int, default=2026, help="seed for data that has to be generated")
    parser.add_argument("--show-sql", action="store_true", help="print the SQL statements of one request a page")
    parser.add_argument("--explain", action="store_true", help="and the query plan of each (implies --show-sql)")
    parser.add_argument("--output-dir", type=Path, default=OUTPUT_DIR / "bench-compliance",
                        help="where gunicorn's log goes (default %(default)s)")
    args = parser.parse_args(argv)
    sizes = list(dict.fromkeys(args.size or ["M"]))
    rebuild_runs = 0 if args.no_rebuild else args.rebuild_runs
    if not (1 <= args.requests <= 100_000 and 0 <= args.warm_up <= 10_000 and args.limit > 0
            and args.rebuild_limit > 0 and 1 <= args.rebuild_runs <= 10 and 1 <= args.workers <= 16):
        parser.error("keep --requests to 1-100000, --warm-up to 0-10000, --rebuild-runs to 1-10, --workers to "
                     "1-16, and the limits above 0")
    if len(sizes) > 1 and "{size}" not in args.database:
        parser.error("with more than one --size, --database must contain {size}")
    modes = ["gunicorn"] if args.server_only else ["in-process"] + (["gunicorn"] if args.server else [])

    size_runs: list[SizeRun] = []
    problems: list[str] = []
    try:
        for size in sizes:
            url = database_url(args.database.replace("{size}", size.lower()))
            size_run = run_size(size, url, modes=modes, requests=args.requests, warm_up=args.warm_up,
                                regenerate=args.regenerate, seed=args.seed, workers=args.workers,
                                log_dir=args.output_dir, rebuild_runs=rebuild_runs)
            problems += report_rebuilds(size_run, limit=args.rebuild_limit)
            for run in size_run.runs:
                problems += report_pages(run, limit=args.limit, requests=args.requests)
                if args.show_sql or args.explain:
                    show_sql(run, explain=args.explain)
            print(f"Matrix page size: {size_run.note}")
            print()
            size_runs.append(size_run)
    except RunError as error:
        print(f"Could not run the benchmark: {error}", file=sys.stderr)
        return 2
    except SystemExit as stop:  # a helper refused (a database it will not replace, ...)
        if isinstance(stop.code, str):
            print(f"Could not run the benchmark: {stop.code}", file=sys.stderr)
            return 2
        raise
    runs = [run for size_run in size_runs for run in size_run.runs]
    problems += compare_sizes(runs)

    where = f"{'SQLite' if is_sqlite(runs[0].url) else 'PostgreSQL'}, sizes {', '.join(sizes)}, {', '.join(modes)}"
    slowest = max((r.seconds for s in size_runs for r in s.rebuilds), default=None)
    rebuild_text = (f"rebuild at most {slowest:.1f} s (limit {args.rebuild_limit:g} s)" if slowest is not None
                    else "rebuild not timed")
    if problems:
        for problem in problems:
            print(f"- {problem}")
        print(f"FAIL: {len(problems)} problem{'s' if len(problems) != 1 else ''}; {rebuild_text} ({where}).")
        return 1
    print(f"PASS: {rebuild_text}; the admin overview and the staff matrix within {args.limit:g} x /health, "
          f"with fixed SQL statement counts ({where}).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
