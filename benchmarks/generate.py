"""Generate a large, realistic-looking data set to benchmark against (DESIGN.md section 10).

    python benchmarks/generate.py --size S                   # fresh benchmarks/output/s.sqlite
    python benchmarks/generate.py --size M --database postgresql://postgres@127.0.0.1:5432/lms_m --fresh

Sizes: S, one partnership (10k people); M, a region (100k); L, national (2M: hours on
SQLite, use PostgreSQL). The target is --database, else DATABASE_URL, else a fresh SQLite
file under benchmarks/output/. The database must be empty unless --fresh (drop and
recreate every table) is given.

It fills the tables that exist today: areas, organisations, people (`user`), job roles,
employments and setting leads, with bulk INSERTs of a few thousand rows at a time and
ids assigned here (so no RETURNING). Everything derives from --seed.

Adding a table (completions, bookings...): write a step `def generate_x(ctx: Context) -> None`
that calls `ctx.insert("table", rows)` in chunks, and add it to STEPS. `ctx` holds what the
earlier steps made: `ctx.person_org[i]` / `ctx.person_type[i]` / `ctx.person_role[i]` for person
id `ctx.first_person_id + i`, the organisation ids by type, `ctx.job_role_ids`, and
`ctx.size.records`, the number of training records the size calls for.
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from array import array
from dataclasses import dataclass, field
from datetime import date, datetime, time as clock, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    OUTPUT_DIR,
    Stopwatch,
    create_schema,
    database_url,
    drop_schema,
    env_database_url,
    is_sqlite,
    make_app,
    print_table,
    remove_sqlite_file,
)
from sqlalchemy import event, func, select, text  # noqa: E402

BENCH_PASSWORD = "benchmark people all share this password"


@dataclass(frozen=True)
class Size:
    name: str
    people: int
    records: int  # training records (completions) for the feature that adds them
    description: str


SIZES = {
    "S": Size("S", 10_000, 100_000, "one partnership"),
    "M": Size("M", 100_000, 1_000_000, "a region"),
    "L": Size("L", 2_000_000, 20_000_000, "national"),
}

# Organisation types: (organisations per 10,000 people, relative staff size).
# Childminders always have exactly one person.
ORGANISATION_MIX = {
    "primary-school": (60, 30), "secondary-school": (12, 90), "all-through-school": (1, 120),
    "special-school": (4, 40), "independent-school": (3, 40), "alternative-provision": (2, 15),
    "fe-college": (2, 150), "mat-central": (3, 8),
    "day-nursery": (30, 15), "pre-school": (15, 6), "childminder": (80, 1), "out-of-school-club": (10, 5),
    "school-nursery": (10, 4), "childrens-centre": (6, 8),
    "charity": (40, 6), "faith-group": (30, 4), "sports-youth": (30, 5),
    "hospital-trust": (1, 900), "community-health": (2, 150), "mental-health-trust": (1, 200),
    "gp-practice": (20, 12), "icb": (1, 20),
    "police": (6, 80),
    "childrens-social-care": (6, 40), "early-help": (4, 20), "education-inclusion": (1, 30),
    "youth-justice": (1, 25), "housing": (1, 30), "council-other": (3, 20),
    "probation": (1, 30), "fire-rescue": (1, 40), "cafcass": (1, 15), "childrens-home": (5, 10),
    "fostering-agency": (3, 10), "adult-social-care": (1, 60),
}
NO_ORGANISATION_SHARE = 0.01  # agency and self-employed people

# The first person of an organisation of these types leads it (roles held).
LEAD_ROLES = {
    **{code: ("teacher", "school-dsl") for code in (
        "primary-school", "secondary-school", "all-through-school", "special-school", "independent-school",
        "alternative-provision")},
    "fe-college": ("school-staff", "school-dsl"),
    "mat-central": ("other",),
    **{code: ("ey-practitioner", "ey-dsl") for code in (
        "day-nursery", "pre-school", "out-of-school-club", "school-nursery", "childrens-centre")},
    "childminder": ("childminder",),
    **{code: ("vcs-lead",) for code in ("charity", "faith-group", "sports-youth")},
}
_SCHOOL_MIX = [("teacher", 45), ("teaching-assistant", 28), ("school-staff", 15), ("governor", 6),
               ("head-teacher", 2), ("deputy-dsl", 4)]
_HEALTH_MIX = [("health-l1", 25), ("health-l2", 25), ("health-l3", 40), ("health-l4", 7), ("health-l5", 3)]
_COUNCIL_MIX = [("social-worker", 55), ("other", 45)]
# Everyone else's first role, by organisation type (default by sector below).
ROLE_MIX = {
    "fe-college": [("teacher", 60), ("school-staff", 35), ("deputy-dsl", 5)],
    "mat-central": [("school-staff", 60), ("governor", 40)],
    "childminder": [("childminder-assistant", 1)],
    "childrens-centre": [("ey-practitioner", 80), ("other", 20)],
    "early-help": [("other", 70), ("social-worker", 30)],
    "housing": [("other", 1)], "council-other": [("other", 1)], "probation": [("other", 1)],
    "fire-rescue": [("other", 1)], "education-inclusion": [("other", 1)],
    "childrens-home": [("other", 75), ("social-worker", 25)],
}
SECTOR_MIX = {
    "education": _SCHOOL_MIX,
    "early-years": [("ey-practitioner", 1)],
    "vcs": [("vcs-staff", 1)],
    "health": _HEALTH_MIX,
    "police": [("police-officer", 1)],
    "local-authority": _COUNCIL_MIX,
    "other-statutory": _COUNCIL_MIX,
}
# A second role some people also hold.
SECOND_ROLES = {"teacher": "safer-recruitment-panel", "head-teacher": "safer-recruitment-panel",
                "ey-practitioner": "ey-dsl", "vcs-staff": "vcs-lead", "school-staff": "deputy-dsl"}


@dataclass
class Context:
    """What the steps share. Person i (0-based) has id first_person_id + i."""

    connection: object
    tables: dict
    size: Size
    rng: random.Random
    now: datetime
    chunk: int
    password_hash: str
    sector_ids: dict[str, int] = field(default_factory=dict)
    type_ids: dict[str, int] = field(default_factory=dict)
    type_sector: dict[str, str] = field(default_factory=dict)
    job_role_ids: dict[str, int] = field(default_factory=dict)
    area_ids: list[int] = field(default_factory=list)
    organisations_by_type: dict[str, list[int]] = field(default_factory=dict)
    org_staff: list[tuple[int, str, int]] = field(default_factory=list)  # (org id, type code, people)
    first_person_id: int = 1
    person_org: array = field(default_factory=lambda: array("q"))  # 0: no organisation
    person_type: array = field(default_factory=lambda: array("h"))  # index into type_codes; -1: none
    person_role: array = field(default_factory=lambda: array("h"))  # index into role_codes (first role)
    type_codes: list[str] = field(default_factory=list)
    role_codes: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    watches: dict[str, Stopwatch] = field(default_factory=dict)

    def next_id(self, table: str) -> int:
        column = self.tables[table].c.id
        return (self.connection.execute(select(func.max(column))).scalar() or 0) + 1

    def insert(self, table: str, rows: list[dict]) -> None:
        """One bulk INSERT (the driver batches it), timed and counted per table."""
        if not rows:
            return
        watch = self.watches.setdefault(table, Stopwatch())
        with watch.running():
            self.connection.execute(self.tables[table].insert(), rows)
        self.rows[table] = self.rows.get(table, 0) + len(rows)

    def commit(self) -> None:
        self.connection.commit()

    def random_date(self, earliest: date, latest: date) -> date:
        if latest <= earliest:
            return earliest
        return earliest + timedelta(days=self.rng.randint(0, (latest - earliest).days))


# --- steps ------------------------------------------------------------------------------

def generate_areas(ctx: Context) -> None:
    count = max(4, ctx.size.people // 2500)
    first = ctx.next_id("area")
    rows = [{"id": first + i, "code": f"bench-area-{i + 1:04d}", "name": f"Area {i + 1}", "position": i}
            for i in range(count)]
    ctx.insert("area", rows)
    ctx.area_ids = [row["id"] for row in rows]
    ctx.commit()


def generate_organisations(ctx: Context) -> None:
    rng = ctx.rng
    scale = ctx.size.people / 10_000
    next_id = ctx.next_id("organisation")
    plan = []  # (type code, relative staff)
    for type_code, (per_10k, staff) in ORGANISATION_MIX.items():
        for _ in range(max(1, round(per_10k * scale))):
            plan.append((type_code, staff * rng.uniform(0.6, 1.4)))
    rng.shuffle(plan)

    # Share the people out: childminders get one each, the rest by relative staff size.
    with_org = ctx.size.people - round(ctx.size.people * NO_ORGANISATION_SHARE)
    childminders = sum(1 for code, _ in plan if code == "childminder")
    weights = sum(weight for code, weight in plan if code != "childminder")
    to_share = with_org - childminders
    raw = [1.0 if code == "childminder" else max(1.0, to_share * weight / weights) for code, weight in plan]
    staff = [int(value) for value in raw]
    remainder = with_org - sum(staff)
    by_fraction = sorted((i for i, (code, _) in enumerate(plan) if code != "childminder"),
                         key=lambda i: raw[i] - staff[i], reverse=True)
    for i in by_fraction[: max(0, remainder)]:
        staff[i] += 1

    rows = []
    for i, (type_code, _) in enumerate(plan):
        org_id = next_id + i
        number = len(ctx.organisations_by_type.setdefault(type_code, [])) + 1
        ctx.organisations_by_type[type_code].append(org_id)
        ctx.org_staff.append((org_id, type_code, staff[i]))
        rows.append({
            "id": org_id,
            "name": f"{type_code.replace('-', ' ').title()} {number}",
            "type_id": ctx.type_ids[type_code],
            "sector_id": ctx.sector_ids[ctx.type_sector[type_code]],
            "area_id": rng.choice(ctx.area_ids),
            "urn": f"{700000 + org_id}" if ctx.type_sector[type_code] == "education" else None,
            "address": f"{rng.randint(1, 200)} Benchmark Road\nTown {rng.randint(1, 400)}",
            "postcode": f"BM{rng.randint(1, 99)} {rng.randint(1, 9)}AA",
            "active": True,
            "created_at": ctx.now,
        })
        if len(rows) >= ctx.chunk:
            ctx.insert("organisation", rows)
            rows = []
    ctx.insert("organisation", rows)
    ctx.commit()


def _name_pools(seed: int) -> tuple[list[str], list[str]]:
    from faker import Faker

    fake = Faker("en_GB")
    fake.seed_instance(seed)
    first = sorted({fake.first_name() for _ in range(3000)})
    last = sorted({fake.last_name() for _ in range(3000)})
    return first, last


def generate_people(ctx: Context) -> None:
    """People, their job roles, employments and setting leads, streamed in chunks."""
    rng = ctx.rng
    first_names, last_names = _name_pools(rng.randint(0, 2**31))
    today = ctx.now.date()
    earliest, latest = today - timedelta(days=3652), today - timedelta(days=1)
    ctx.type_codes = sorted(ORGANISATION_MIX)
    ctx.role_codes = sorted(ctx.job_role_ids)
    type_index = {code: i for i, code in enumerate(ctx.type_codes)}
    role_index = {code: i for i, code in enumerate(ctx.role_codes)}
    ctx.first_person_id = person_id = ctx.next_id("user")
    role_id = ctx.next_id("person_role")
    employment_id = ctx.next_id("employment")
    mixes = {code: ROLE_MIX.get(code) or SECTOR_MIX[ctx.type_sector[code]] for code in ORGANISATION_MIX}
    trainers_every = 2000

    people, roles, employments, leads = [], [], [], []

    def flush(force: bool = False) -> None:
        if force or len(people) >= ctx.chunk:
            ctx.insert("user", people)
            ctx.insert("person_role", roles)
            ctx.insert("employment", employments)
            ctx.insert("setting_lead", leads)
            ctx.commit()
            for batch in (people, roles, employments, leads):
                batch.clear()

    def add_person(org_id: int | None, type_code: str | None, role_list: tuple[str, ...], lead: bool) -> None:
        nonlocal person_id, role_id, employment_id
        index = person_id - ctx.first_person_id
        created = datetime.combine(ctx.random_date(today - timedelta(days=1095), latest), clock(9),
                                   tzinfo=timezone.utc) + timedelta(seconds=rng.randint(0, 36000))
        people.append({
            "id": person_id,
            "email": f"p{index + 1}@{ctx.size.name.lower()}.bench.example",
            "full_name": f"{rng.choice(first_names)} {rng.choice(last_names)}",
            "password_hash": ctx.password_hash,
            "email_confirmed_at": created,
            "is_admin": index < 3,
            "is_trainer": index % trainers_every == trainers_every - 1,
            "active": True,
            "organisation_id": org_id,
            "created_at": created,
            "last_sign_in_at": created + timedelta(days=rng.randint(0, 30)) if rng.random() < 0.7 else None,
        })
        started = ctx.random_date(earliest, latest)
        first_start = started
        if org_id is not None:
            # One in ten came from another organisation of the same type.
            others = ctx.organisations_by_type[type_code]
            previous = rng.choice(others) if rng.random() < 0.1 and (started - earliest).days > 400 else org_id
            if previous != org_id:
                first_start = ctx.random_date(earliest, started - timedelta(days=365))
                employments.append({"id": employment_id, "user_id": person_id, "organisation_id": previous,
                                    "started_on": first_start, "ended_on": started})
                employment_id += 1
            employments.append({"id": employment_id, "user_id": person_id, "organisation_id": org_id,
                                "started_on": started, "ended_on": None})
            employment_id += 1
        for position, code in enumerate(role_list):
            roles.append({"id": role_id, "user_id": person_id, "job_role_id": ctx.job_role_ids[code],
                          "started_on": first_start if position == 0 else ctx.random_date(started, latest),
                          "ended_on": None})
            role_id += 1
        if lead:
            leads.append({"user_id": person_id, "organisation_id": org_id, "created_at": ctx.now})
        ctx.person_org.append(org_id or 0)
        ctx.person_type.append(type_index[type_code] if type_code else -1)
        ctx.person_role.append(role_index[role_list[0]])
        person_id += 1
        flush()

    for org_id, type_code, staff in ctx.org_staff:
        codes = [code for code, _ in mixes[type_code]]
        weights = [weight for _, weight in mixes[type_code]]
        for n in range(staff):
            if n == 0 and type_code in LEAD_ROLES:
                add_person(org_id, type_code, LEAD_ROLES[type_code], True)
                continue
            first_role = rng.choices(codes, weights)[0]
            second = SECOND_ROLES.get(first_role)
            role_list = (first_role, second) if second and rng.random() < 0.12 else (first_role,)
            add_person(org_id, type_code, role_list, False)
    while person_id - ctx.first_person_id < ctx.size.people:
        add_person(None, None, (rng.choice(["teacher", "other", "vcs-staff"]),), False)
    flush(force=True)


STEPS = [generate_areas, generate_organisations, generate_people]


# --- running ------------------------------------------------------------------------------

def _fast_sqlite(engine) -> None:
    """A generator run can be repeated, so trade durability for speed while loading."""

    @event.listens_for(engine, "connect")
    def pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.execute("PRAGMA cache_size=-200000")
        cursor.close()


def _reset_sequences(ctx: Context) -> None:
    """PostgreSQL: move each id sequence past the ids assigned here."""
    if ctx.connection.dialect.name != "postgresql":
        return
    for name in ("area", "organisation", "user", "person_role", "employment"):
        ctx.connection.execute(text(
            f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), "
            f"(SELECT COALESCE(MAX(id), 0) + 1 FROM \"{name}\"), false)"
        ))
    ctx.commit()


def generate(url: str, size: Size, *, seed: int, chunk: int, fresh: bool, now: datetime) -> Context:
    from lms.accounts.services import hash_password
    from lms.extensions import db
    from lms.organisations.models import JobRole, OrganisationType, Sector
    from lms.organisations.reference import load_reference_data

    app = make_app(url)
    if fresh:
        drop_schema(app)
    create_schema(app)
    with app.app_context():
        load_reference_data()
        db.session.commit()
        if db.session.scalar(select(func.count()).select_from(db.metadata.tables["user"])):
            raise SystemExit("The database already has people in it. Use an empty database, or --fresh to start again.")
        if is_sqlite(url):
            db.engine.dispose()
            _fast_sqlite(db.engine)
        with db.engine.connect() as connection:
            ctx = Context(
                connection=connection,
                tables=db.metadata.tables,
                size=size,
                rng=random.Random(seed),
                now=now,
                chunk=chunk,
                password_hash=hash_password(BENCH_PASSWORD),
            )
            ctx.sector_ids = dict(connection.execute(select(Sector.code, Sector.id)).all())
            for code, type_id, sector_id in connection.execute(
                select(OrganisationType.code, OrganisationType.id, OrganisationType.sector_id)
            ):
                ctx.type_ids[code] = type_id
                ctx.type_sector[code] = next(s for s, i in ctx.sector_ids.items() if i == sector_id)
            ctx.job_role_ids = dict(connection.execute(select(JobRole.code, JobRole.id)).all())
            for step in STEPS:
                step(ctx)
            _reset_sequences(ctx)
        db.engine.dispose()
    return ctx


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="S",
                        help="S: 10k people, M: 100k, L: 2M (hours on SQLite; use PostgreSQL)")
    parser.add_argument("--database", help="SQLAlchemy URL (default: DATABASE_URL, else benchmarks/output/<size>.sqlite)")
    parser.add_argument("--fresh", action="store_true", help="drop and recreate every table first")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--chunk", type=int, default=5000, help="rows per bulk INSERT")
    parser.add_argument("--as-of", type=date.fromisoformat, help="the 'today' the data is built around (default today)")
    args = parser.parse_args(argv)

    size = SIZES[args.size]
    default = "sqlite:///" + str(OUTPUT_DIR / f"{size.name.lower()}.sqlite")
    url = args.database or env_database_url(default)
    if url == default:
        remove_sqlite_file(url)  # the default file always starts fresh
    url = database_url(url)
    now = (datetime.combine(args.as_of, clock(12), tzinfo=timezone.utc) if args.as_of
           else datetime.now(timezone.utc).replace(microsecond=0))

    print(f"Generating size {size.name} ({size.description}: {size.people:,} people) into "
          f"{url.split('@')[-1] if '@' in url else url}, seed {args.seed}")
    started = time.perf_counter()
    ctx = generate(url, size, seed=args.seed, chunk=args.chunk, fresh=args.fresh, now=now)
    total = time.perf_counter() - started
    rows = [[table, count, ctx.watches[table].seconds, count / ctx.watches[table].seconds if ctx.watches[table].seconds else 0.0]
            for table, count in ctx.rows.items()]
    print_table(["table", "rows", "insert seconds", "rows a second"], rows)
    print(f"Total: {sum(ctx.rows.values()):,} rows in {total:.1f} seconds (including generating them).")
    print(f"Every generated person's password: {BENCH_PASSWORD!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
