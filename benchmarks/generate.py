"""Generate a large, realistic-looking data set to benchmark against (DESIGN.md section 10).

    python benchmarks/generate.py --size S                   # fresh benchmarks/output/s.sqlite
    python benchmarks/generate.py --size M --database postgresql://postgres@127.0.0.1:5432/lms_m --fresh

Sizes: S, one partnership (10k people, 100k completions); M, a region (100k, 1M); L,
national (2M, 20M: use PostgreSQL); XS and XXS are small sizes for tests. The target is
--database, else DATABASE_URL, else a fresh SQLite file under benchmarks/output/. The
database must be empty unless --fresh (drop and recreate every table) is given.

It fills: the national training requirements (as `flask lms seed` loads them); areas,
organisations (one of them a 200-person secondary school, LARGE_ORGANISATION_NAME),
people (`user`), job roles, employments, setting leads; the catalogue (the e-learning in
courses/, synced as `flask lms courses sync` does, and 74 courses run as sessions, with
their audiences and the requirements they count towards); completions over five years
(with the completed enrolment behind each e-learning one); and one e-learning course in
progress for a tenth of people. Then the booking side: the DSL twilight series and the
Safeguarding Weeks (programmes), and sessions of every session course over those years and
the next months with their bookings, waiting lists, registers, certificates, evaluations
and public registrations (bookings); each attendance completion falls on a day its course
ran and points at its booking. Rows go in with bulk INSERTs of a few thousand at a time
(COPY on PostgreSQL with psycopg 3) and ids assigned here (so no RETURNING). Everything
derives from --seed (and --as-of).

    python benchmarks/generate.py --size L --database postgresql://... --only programmes,bookings

runs only the named steps on a database generated before, reading what the earlier
steps made back from it (load_context); `--skip programmes,bookings` leaves those steps
out of a new database (the report benchmarks need only the record, and at L the bookings
take longer than everything else).

Adding a table: write a step `def generate_x(ctx: Context) -> None` that calls
`ctx.insert("table", rows)` in chunks, and add it to STEPS. `ctx` holds what the earlier
steps made: `ctx.person_org[i]` / `ctx.person_type[i]` / `ctx.person_role[i]` for person id
`ctx.first_person_id + i`, the organisation ids by type, `ctx.job_role_ids`, `ctx.courses`
and `ctx.size.records`.
"""
from __future__ import annotations

import argparse
import random
import re
import sys
import time
from array import array
from dataclasses import dataclass, field
from datetime import date, datetime, time as clock, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    OUTPUT_DIR,
    REPO_ROOT,
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
    "XXS": Size("XXS", 300, 3_000, "the smallest (tests)"),
    "XS": Size("XS", 1_000, 10_000, "a quick check (tests)"),
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
# One organisation much larger than the rest, for the staff-matrix benchmark: a big
# secondary school with LARGE_ORGANISATION_STAFF people (a tenth of the people at the
# test sizes), its DSL being its setting lead. It is the last organisation generated.
LARGE_ORGANISATION_NAME = "Benchmark Academy (large secondary school)"
LARGE_ORGANISATION_TYPE = "secondary-school"
LARGE_ORGANISATION_STAFF = 200


def large_organisation_staff(size: Size) -> int:
    """People at the large organisation: 200, or a tenth of the people at small sizes."""
    return min(LARGE_ORGANISATION_STAFF, size.people // 10)

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
    seed: int = 0
    sector_ids: dict[str, int] = field(default_factory=dict)
    type_ids: dict[str, int] = field(default_factory=dict)
    type_sector: dict[str, str] = field(default_factory=dict)
    job_role_ids: dict[str, int] = field(default_factory=dict)
    area_ids: list[int] = field(default_factory=list)
    organisations_by_type: dict[str, list[int]] = field(default_factory=dict)
    org_staff: list[tuple[int, str, int]] = field(default_factory=list)  # (org id, type code, people)
    large_organisation_id: int | None = None  # LARGE_ORGANISATION_NAME's id
    org_area: dict[int, int] = field(default_factory=dict)  # organisation id: area id
    first_person_id: int = 1
    person_org: array = field(default_factory=lambda: array("q"))  # 0: no organisation
    person_type: array = field(default_factory=lambda: array("h"))  # index into type_codes; -1: none
    person_role: array = field(default_factory=lambda: array("h"))  # index into role_codes (first role)
    type_codes: list[str] = field(default_factory=list)
    role_codes: list[str] = field(default_factory=list)
    courses: list["CourseInfo"] = field(default_factory=list)  # e-learning (with versions) and session courses
    rows: dict[str, int] = field(default_factory=dict)
    watches: dict[str, Stopwatch] = field(default_factory=dict)

    def next_id(self, table: str) -> int:
        column = self.tables[table].c.id
        return (self.connection.execute(select(func.max(column))).scalar() or 0) + 1

    def insert(self, table: str, rows: list[dict]) -> None:
        """One bulk INSERT (the driver batches it), or on PostgreSQL with psycopg 3 one
        COPY, timed and counted per table. Every row has the keys of the first."""
        if not rows:
            return
        watch = self.watches.setdefault(table, Stopwatch())
        with watch.running():
            if self.connection.dialect.driver == "psycopg":
                self._copy(self.tables[table], rows)
            else:
                self.connection.execute(self.tables[table].insert(), rows)
        self.rows[table] = self.rows.get(table, 0) + len(rows)

    def _copy(self, table, rows: list[dict]) -> None:
        """COPY ... FROM STDIN, with each value passed through its column type's bind
        processor first (aware datetimes to naive UTC, JSON), as an INSERT would."""
        dialect = self.connection.dialect
        names = list(rows[0])
        # COPY skips the models' Python-side defaults that an INSERT would apply, so
        # give each missing column its scalar default here, and refuse a missing
        # NOT NULL column the database could not fill either.
        defaults = {}
        for column in table.columns:
            if column.name in rows[0] or column.server_default is not None or column.autoincrement is True:
                continue
            if column.default is not None and column.default.is_scalar:
                defaults[column.name] = column.default.arg
            elif not column.nullable and not column.primary_key:
                raise ValueError(f"{table.name}.{column.name} is NOT NULL with no scalar default: "
                                 "the generator must give it a value")
        names += list(defaults)
        processors = [table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names]
        quote = dialect.identifier_preparer.quote
        if not self.connection.in_transaction():
            self.connection.begin()  # so ctx.commit() commits what the raw cursor wrote
        with self.connection.connection.driver_connection.cursor() as cursor:
            with cursor.copy(f"COPY {quote(table.name)} ({', '.join(quote(n) for n in names)}) FROM STDIN") as copy:
                for row in rows:
                    values = [row[name] if name in row else defaults[name] for name in names]
                    copy.write_row([value if process is None else process(value)
                                    for value, process in zip(values, processors, strict=True)])

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

    # Share the people out: childminders get one each, the rest by relative staff size;
    # the large organisation (added last) has its own fixed number.
    large_staff = large_organisation_staff(ctx.size)
    with_org = ctx.size.people - round(ctx.size.people * NO_ORGANISATION_SHARE) - large_staff
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
    large_index = None
    if large_staff:
        large_index = len(plan)
        plan.append((LARGE_ORGANISATION_TYPE, 0.0))
        staff.append(large_staff)

    rows = []
    for i, (type_code, _) in enumerate(plan):
        org_id = next_id + i
        number = len(ctx.organisations_by_type.setdefault(type_code, [])) + 1
        ctx.organisations_by_type[type_code].append(org_id)
        ctx.org_staff.append((org_id, type_code, staff[i]))
        if i == large_index:
            ctx.large_organisation_id = org_id
        area_id = rng.choice(ctx.area_ids)
        ctx.org_area[org_id] = area_id
        rows.append({
            "id": org_id,
            "name": LARGE_ORGANISATION_NAME if i == large_index else f"{type_code.replace('-', ' ').title()} {number}",
            "type_id": ctx.type_ids[type_code],
            "sector_id": ctx.sector_ids[ctx.type_sector[type_code]],
            "area_id": area_id,
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


# --- the catalogue and training records ------------------------------------------------

# Courses the partnership runs as sessions, beside the e-learning loaded from courses/.
# (code, title, summary, level, CPD hours, audience sectors, audience job roles,
#  requirement codes, delivery modes). Each mode makes one course: code "<code>-<letter>".
# Empty audiences mean the course is open to everyone.
CATALOGUE_TOPICS = [
    ("WT", "Working together to safeguard children",
     "How agencies share the job of keeping children safe, who does what and how to refer.",
     2, "3", (), (),
     ("staff-safeguarding",), ("face-to-face", "virtual")),
    ("NEG", "Neglect: spotting it early",
     "The signs of neglect at every age, the graded care profile and when to act.",
     2, "3", (), (),
     (), ("face-to-face", "virtual")),
    ("DA", "Domestic abuse and its impact on children",
     "Coercive control, the effect on children who live with it and safety planning.",
     2, "3", (), (),
     (), ("face-to-face", "virtual")),
    ("CCE", "Criminal exploitation and county lines",
     "How children are groomed into moving drugs and money, and how to disrupt it.",
     2, "3", ("education", "police", "local-authority", "vcs"), (),
     (), ("face-to-face", "outreach")),
    ("CSE", "Child sexual exploitation",
     "Recognising grooming, the risk indicators and the multi-agency response.",
     2, "3", (), (),
     (), ("face-to-face", "virtual")),
    ("HSB", "Harmful sexual behaviour in schools",
     "Responding to child-on-child abuse and harmful sexual behaviour in education settings.",
     2, "3", ("education",), ("school-dsl", "deputy-dsl", "teacher"),
     (), ("face-to-face", "twilight")),
    ("OSE", "Online safety for early years",
     "Devices, images and the online risks to very young children and their families.",
     1, "2", ("early-years",), (),
     ("eyfs-annex-c",), ("virtual", "twilight")),
    ("SR", "Safer recruitment",
     "Running a safer recruitment process from advert to induction.",
     2, "6", ("education", "early-years", "vcs"), ("head-teacher", "governor", "safer-recruitment-panel"),
     ("safer-recruitment",), ("face-to-face", "virtual")),
    ("DSLN", "Designated safeguarding lead: new to the role",
     "Two days for new DSLs: the role, referrals, records, supervision and working with others.",
     3, "12", ("education",), ("school-dsl", "deputy-dsl"),
     ("dsl-role-training",), ("face-to-face", "virtual")),
    ("DSLU", "Designated safeguarding lead: refresher",
     "The two-yearly refresher for DSLs, with case discussion and recent learning.",
     3, "6", ("education",), ("school-dsl", "deputy-dsl"),
     ("dsl-role-training",), ("face-to-face", "virtual")),
    ("DSLT", "DSL network update",
     "The termly update for DSLs: local learning, new guidance and questions.",
     3, "1.5", ("education", "early-years"), ("school-dsl", "deputy-dsl", "ey-dsl"),
     ("dsl-annual-update",), ("twilight", "virtual")),
    ("EYD", "Early years designated safeguarding lead",
     "The lead practitioner's role in nurseries, pre-schools and childminding.",
     3, "6", ("early-years",), ("ey-dsl", "childminder"),
     ("eyfs-annex-c", "dsl-role-training"), ("face-to-face", "virtual")),
    ("EYP", "Safeguarding in early years settings",
     "Whole-setting safeguarding for early years practitioners and assistants.",
     1, "3", ("early-years",), ("ey-practitioner", "childminder", "childminder-assistant"),
     ("eyfs-annex-c",), ("face-to-face", "outreach")),
    ("GOV", "Safeguarding for governors and trustees",
     "Governors' and trustees' duties, what to ask and what good looks like.",
     2, "2", ("education", "vcs"), ("governor",),
     ("governor-training",), ("virtual", "twilight")),
    ("EH", "Early help assessment and plans",
     "Starting an early help assessment, team around the family and reviewing plans.",
     2, "3", (), (),
     (), ("face-to-face", "virtual")),
    ("CS", "Contextual safeguarding",
     "Harm outside the home: places, peers and online spaces.",
     3, "3", (), (),
     (), ("face-to-face", "event")),
    ("FGM", "Female genital mutilation and honour-based abuse",
     "The law, the mandatory reporting duty and how to respond.",
     2, "2", (), (),
     (), ("virtual", "outreach")),
    ("PRV", "Prevent and radicalisation",
     "Spotting vulnerability to radicalisation and making a Prevent referral.",
     1, "1.5", (), (),
     (), ("virtual", "face-to-face")),
    ("SH", "Self-harm and suicide prevention",
     "Talking about self-harm, safety planning and supporting young people.",
     2, "3", (), (),
     (), ("face-to-face", "virtual")),
    ("PMH", "Parental mental health and children",
     "How a parent's mental illness can affect children and how to work with families.",
     2, "3", ("health", "local-authority", "early-years"), (),
     (), ("face-to-face", "virtual")),
    ("SUB", "Parental substance misuse",
     "Alcohol and drugs in the family: risk, resilience and the response.",
     2, "3", (), (),
     (), ("face-to-face", "virtual")),
    ("DIS", "Safeguarding disabled children",
     "Why disabled children are more at risk and how to communicate with them.",
     2, "3", (), (),
     (), ("face-to-face", "outreach")),
    ("PF", "Private fostering",
     "What private fostering is, and the duty to notify the local authority.",
     1, "1", (), (),
     (), ("virtual", "outreach")),
    ("LADO", "Allegations against staff and volunteers",
     "Managing allegations and low-level concerns, and working with the LADO.",
     3, "3", (), ("head-teacher", "school-dsl", "vcs-lead", "ey-dsl"),
     (), ("face-to-face", "virtual")),
    ("REC", "Recording and information sharing",
     "Writing a clear chronology and sharing information lawfully.",
     2, "2", (), (),
     (), ("virtual", "twilight")),
    ("TIP", "Trauma-informed practice",
     "Adverse childhood experiences and practice that avoids re-traumatising.",
     2, "3", (), (),
     (), ("face-to-face", "event")),
    ("CPC", "Child protection conferences",
     "Preparing for, taking part in and reporting to a conference.",
     3, "3", ("education", "health", "police", "local-authority"), (),
     (), ("face-to-face", "virtual")),
    ("CME", "Children missing education",
     "Children missing education, elective home education and the checks to make.",
     2, "2", ("education", "local-authority"), (),
     (), ("virtual", "twilight")),
    ("MS", "Modern slavery and trafficking",
     "Recognising trafficked children and the national referral mechanism.",
     2, "2", (), (),
     (), ("virtual", "event")),
    ("BRU", "Bruising in babies who are not yet mobile",
     "The local protocol for bruising and marks on non-mobile babies.",
     2, "1.5", ("health", "early-years", "local-authority"), (),
     (), ("virtual", "outreach")),
    ("SAF", "Safer sleep and coping with crying",
     "Safer sleeping advice and helping parents cope with a crying baby.",
     1, "1.5", ("health", "early-years"), (),
     (), ("virtual", "outreach")),
    ("H3", "Safeguarding children, health level 3",
     "Level 3 safeguarding for health staff who work with children and families.",
     3, "8", ("health",), ("health-l3", "health-l4", "health-l5"),
     ("health-l3",), ("face-to-face", "virtual")),
    ("H2", "Safeguarding children, health level 2",
     "Level 2 safeguarding for clinical and non-clinical health staff.",
     2, "3", ("health",), ("health-l2",),
     ("health-l2",), ("virtual", "face-to-face")),
    ("VCS", "Safeguarding in voluntary and community groups",
     "Policies, safer activities and reporting concerns for clubs, faith and community groups.",
     1, "3", ("vcs",), ("vcs-staff", "vcs-lead"),
     ("vcs-safeguarding",), ("face-to-face", "outreach")),
    ("SAU", "Annual safeguarding update for school staff",
     "This year's changes to guidance, local learning and a refresher on reporting, for all school staff.",
     1, "1.5", ("education",), ("school-staff", "teacher", "teaching-assistant", "head-teacher"),
     ("staff-annual-update",), ("twilight", "virtual")),
    ("H4", "Safeguarding children, health level 4",
     "Level 4 for named and designated professionals: leading safeguarding in a health organisation.",
     3, "8", ("health",), ("health-l4", "health-l5"),
     ("health-l4",), ("face-to-face", "event")),
    ("SW", "Safeguarding Week conference",
     "The partnership's annual conference: talks and workshops on this year's themes.",
     1, "5", (), (),
     (), ("event", "virtual")),
]
MODE_LETTERS = {"face-to-face": "F", "virtual": "V", "twilight": "T", "outreach": "O", "event": "E"}
RETIRED_SHARE = 0.06  # courses kept for the records but no longer offered

# Certificates people bring from elsewhere (external CPD, self-reported).
EXTERNAL_TITLES = [
    ("Designated safeguarding lead training (external provider)", "6"),
    ("Level 3 safeguarding children (employer's own course)", "3"),
    ("Safeguarding conference", "5"),
    ("Safer recruitment (external provider)", "6"),
    ("Mental health first aid", "12"),
    ("Paediatric first aid", "12"),
    ("Attachment and trauma webinar", "1.5"),
    ("University module: child protection", "20"),
]
YEARS_OF_RECORDS = 5
SOURCE_MIX = (("elearning", 0.40), ("attendance", 0.35), ("external", 0.10), ("imported", 0.15))
IN_PROGRESS_SHARE = 0.10  # people with one e-learning course under way


@dataclass
class CourseInfo:
    id: int
    code: str
    title: str
    delivery_mode: str
    cpd_hours: Decimal
    sectors: frozenset
    version_id: int | None = None
    lessons: int = 0
    active: bool = True
    requirements: tuple = ()


def generate_courses(ctx: Context) -> None:
    """The shipped e-learning (synced from courses/ as `flask lms courses sync` does), then
    the courses run as sessions, with their audiences."""
    from lms.catalogue.models import CourseVersion, Lesson
    from lms.catalogue.services import check_course_files, sync_courses
    from lms.extensions import db

    ctx.commit()  # the loader's connection holds no transaction while the ORM writes
    started = time.perf_counter()
    sources, problems = check_course_files(REPO_ROOT / "courses")
    if problems:
        raise SystemExit("The course folders have problems:\n" + "\n".join(str(p) for p in problems))
    sync_courses(sources, now=ctx.now)
    db.session.commit()
    seconds = time.perf_counter() - started
    versions = db.session.execute(
        select(CourseVersion.id, CourseVersion.course_id, func.count(Lesson.id))
        .join(Lesson, Lesson.version_id == CourseVersion.id)
        .group_by(CourseVersion.id, CourseVersion.course_id)
        .order_by(CourseVersion.id)
    ).all()
    latest = {course_id: (version_id, lessons) for version_id, course_id, lessons in versions}
    course_table = ctx.tables["course"]
    for course_id, code, title, mode, hours in ctx.connection.execute(
        select(course_table.c.id, course_table.c.code, course_table.c.title, course_table.c.delivery_mode,
               course_table.c.cpd_hours).where(course_table.c.delivery_mode == "elearning").order_by(course_table.c.id)
    ):
        version_id, lessons = latest.get(course_id, (None, 0))
        if version_id is not None:
            ctx.courses.append(CourseInfo(course_id, code, title, mode, Decimal(hours), frozenset(),
                                          version_id, lessons))
    # One summary line for the sync: its courses, versions and lessons, and the seconds
    # spent reading, checking and loading the folders.
    label = "courses/ synced (course, version, lesson)"
    ctx.rows[label] = len(sources) + len(versions) + sum(lessons for _, _, lessons in versions)
    ctx.watches.setdefault(label, Stopwatch()).seconds += seconds

    # Its own random numbers, so the catalogue is the same at every size.
    rng = random.Random(f"catalogue {ctx.seed}")
    next_id = ctx.next_id("course")
    courses, sectors, roles = [], [], []
    for code, title, summary, level, hours, audience, job_roles, requirements, modes in CATALOGUE_TOPICS:
        for mode in modes:
            active = rng.random() >= RETIRED_SHARE
            created = ctx.now - timedelta(days=rng.randint(30, 365 * YEARS_OF_RECORDS))
            courses.append({
                "id": next_id, "code": f"{code}-{MODE_LETTERS[mode]}", "title": title, "summary": summary,
                "learning_outcomes": [f"Describe the main points of {title[0].lower() + title[1:]}.",
                                      "Know who to tell and how to record a concern.",
                                      "Apply what you learn to a case from your own work."],
                "delivery_mode": mode, "cpd_hours": Decimal(hours), "level": level, "estimated_minutes": None,
                "requirement_codes": list(requirements), "managed_by": "admin", "active": active,
                "created_at": created, "updated_at": created,
            })
            sectors.extend({"course_id": next_id, "sector_id": ctx.sector_ids[s]} for s in audience)
            roles.extend({"course_id": next_id, "job_role_id": ctx.job_role_ids[r]} for r in job_roles)
            ctx.courses.append(CourseInfo(next_id, courses[-1]["code"], title, mode, Decimal(hours),
                                          frozenset(audience), active=active, requirements=tuple(requirements)))
            next_id += 1
    ctx.insert("course", courses)
    ctx.insert("course_sector", sectors)
    ctx.insert("course_job_role", roles)
    ctx.commit()


# --- the days sessions run ----------------------------------------------------------------

LONDON = ZoneInfo("Europe/London")
SESSION_GROUP = 24  # people a past session's register holds, on average
MAX_REGISTER = 30  # more on one day of a course make a second session that day
SESSIONS_AHEAD_DAYS = 120  # sessions already scheduled and open for booking
TWILIGHT_SERIES_COURSE = "DSLT-T"  # the course the DSL twilight series runs
TWILIGHT_CAPACITY = 100  # lms.programmes.twilights.services.DEFAULT_CAPACITY
# When each term's twilights fall: (month, day) of the first, in the school year's first
# or second calendar year; each area's is a few days after the last.
TWILIGHT_TERM_STARTS = {"autumn": (0, 10, 6), "spring": (1, 2, 2), "summer": (1, 6, 1)}
TERM_NAMES = {"autumn": "Autumn", "spring": "Spring", "summer": "Summer"}


def _weekday(day: date) -> date:
    """Saturdays and Sundays move back to the Friday."""
    return day - timedelta(days=max(0, day.weekday() - 4))


def academic_year_of(day: date) -> int:
    return day.year if day.month >= 9 else day.year - 1


def term_of(day: date) -> str:
    if day.month >= 9:
        return "autumn"
    return "spring" if (day.month, day.day) < (4, 15) else "summer"


def twilight_day(start_year: int, term: str, area_position: int) -> date:
    """The day an area's twilight falls on in a term (inside the term's window)."""
    year_offset, month, day = TWILIGHT_TERM_STARTS[term]
    return _weekday(date(start_year + year_offset, month, day) + timedelta(days=(area_position * 3) % 28))


def london(day: date, at: clock) -> datetime:
    return datetime.combine(day, at, tzinfo=LONDON).astimezone(timezone.utc)


class SessionCalendar:
    """The days each session course runs, so that attendance completions fall on the day of
    a session of their course (their bookings are made later, by generate_bookings).
    Each course runs every `interval` days (weekdays), the interval chosen so a session
    has about SESSION_GROUP people at any size; the twilight series runs once a term in
    each area, on twilight_day. No random numbers are drawn, so the other data do not
    change with it."""

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.today = ctx.now.date()
        offered = [c for c in ctx.courses if c.delivery_mode != "elearning" and c.active] or [None]
        attendance = dict(SOURCE_MIX)["attendance"]
        per_day = ctx.size.records * attendance / (365 * YEARS_OF_RECORDS) / len(offered)
        self.interval = min(91, max(1, round(SESSION_GROUP / per_day))) if per_day else 91
        self.series_course_id = series_course_id(ctx)
        self.area_position = {area_id: n for n, area_id in enumerate(ctx.area_ids)}
        self._offsets: dict[int, int] = {}

    def _offset(self, course_id: int) -> int:
        if course_id not in self._offsets:
            self._offsets[course_id] = random.Random(f"calendar {self.ctx.seed} {course_id}").randrange(self.interval)
        return self._offsets[course_id]

    def _base(self, course_id: int) -> date:
        return date(2000, 1, 3) + timedelta(days=self._offset(course_id))

    def session_day(self, course: "CourseInfo", day: date, person_index: int) -> date:
        """The session day nearest `day` (before today) of the course, or for the twilight
        series the person's area's twilight in that term (or the term before)."""
        if course.id == self.series_course_id:
            area = person_area(self.ctx, person_index)
            start_year, term = academic_year_of(day), term_of(day)
            while True:
                held = twilight_day(start_year, term, self.area_position.get(area, 0))
                if held < self.today:
                    return held
                order = list(TWILIGHT_TERM_STARTS)
                position = order.index(term)
                start_year, term = (start_year, order[position - 1]) if position else (start_year - 1, order[-1])
        base = self._base(course.id)
        step = round((day - base).days / self.interval)
        held = _weekday(base + timedelta(days=step * self.interval))
        while held >= self.today:
            step -= 1
            held = _weekday(base + timedelta(days=step * self.interval))
        return held

    def days_between(self, course: "CourseInfo", first: date, last: date) -> list[date]:
        """The course's session days from `first` to `last`."""
        base = self._base(course.id)
        step = -(-(first - base).days // self.interval)
        days = []
        while True:
            day = _weekday(base + timedelta(days=step * self.interval))
            if day > last:
                return days
            if day >= first and (not days or days[-1] != day):
                days.append(day)
            step += 1


def series_course_id(ctx: Context) -> int | None:
    """The twilight series' course: TWILIGHT_SERIES_COURSE, else the first active twilight."""
    twilights = [c for c in ctx.courses if c.delivery_mode == "twilight" and c.active]
    chosen = next((c for c in twilights if c.code == TWILIGHT_SERIES_COURSE), twilights[0] if twilights else None)
    return chosen.id if chosen else None


def person_area(ctx: Context, index: int) -> int:
    """The area of a person's organisation (people with none: one by their position)."""
    org = ctx.person_org[index]
    return ctx.org_area[org] if org else ctx.area_ids[index % len(ctx.area_ids)]


def _record_dates(ctx: Context):
    """A function giving a completion date in the last YEARS_OF_RECORDS years, fewer in
    August (school holidays) and more in September and October (start of the school year)."""
    rng = ctx.rng
    today = ctx.now.date()
    first = today - timedelta(days=365 * YEARS_OF_RECORDS)
    span = (today - first).days

    def draw(earliest_fraction: float = 0.0, latest_fraction: float = 1.0) -> date:
        while True:
            day = first + timedelta(days=int(span * rng.uniform(earliest_fraction, latest_fraction)))
            if day >= today:
                continue
            if day.month == 8 and rng.random() < 0.6:
                continue
            if day.month in (9, 10) or rng.random() < 0.85:
                return day

    return draw


def generate_completions(ctx: Context) -> None:
    """`ctx.size.records` completions over the last five years, spread over people (leads
    and health staff do more training, governors less), each with the person's
    organisation and sector. E-learning completions come with the completed enrolment
    that produced them (source_ref "enrolment:<id>"), as the service would record them."""
    rng = ctx.rng
    people = len(ctx.person_org)
    if not people or not ctx.courses:
        return
    busier = {"school-dsl": 1.8, "deputy-dsl": 1.5, "ey-dsl": 1.6, "vcs-lead": 1.4, "head-teacher": 1.4,
              "health-l3": 1.3, "health-l4": 1.6, "health-l5": 1.8, "social-worker": 1.3, "governor": 0.5,
              "childminder-assistant": 0.6}
    role_factor = [busier.get(code, 1.0) for code in ctx.role_codes]
    weights = array("f", (role_factor[ctx.person_role[i]] * rng.uniform(0.1, 1.9) for i in range(people)))
    scale = ctx.size.records / sum(weights)
    counts = array("H", (int(w * scale) for w in weights))
    missing = ctx.size.records - sum(counts)
    while missing > 0:
        counts[rng.randrange(people)] += 1
        missing -= 1
    del weights

    sector_of_type = [ctx.sector_ids[ctx.type_sector[code]] for code in ctx.type_codes]
    sector_code_of_type = [ctx.type_sector[code] for code in ctx.type_codes]
    elearning = [c for c in ctx.courses if c.delivery_mode == "elearning"]
    sessions = [c for c in ctx.courses if c.delivery_mode != "elearning"]
    open_sessions = [c for c in sessions if not c.sectors]
    sessions_for = [[c for c in sessions if not c.sectors or sector_code_of_type[t] in c.sectors]
                    for t in range(len(ctx.type_codes))]
    sources = [name for name, _ in SOURCE_MIX]
    cumulative = []
    total = 0.0
    for _, share in SOURCE_MIX:
        total += share
        cumulative.append(total)
    draw_date = _record_dates(ctx)
    calendar = SessionCalendar(ctx)
    completion_id = ctx.next_id("completion")
    enrolment_id = ctx.next_id("enrolment")
    completions, enrolments = [], []

    def flush() -> None:
        ctx.insert("completion", completions)
        ctx.insert("enrolment", enrolments)  # after the completions they point to
        ctx.commit()
        completions.clear()
        enrolments.clear()

    for i in range(people):
        person_id = ctx.first_person_id + i
        org_id = ctx.person_org[i] or None
        type_index = ctx.person_type[i]
        sector_id = sector_of_type[type_index] if type_index >= 0 else None
        offered = sessions_for[type_index] if type_index >= 0 else open_sessions
        for _ in range(counts[i]):
            pick = rng.random()
            source = next((s for s, edge in zip(sources, cumulative, strict=True) if pick < edge), sources[-1])
            course_id = version_id = score = None
            self_reported = False
            if source == "elearning":
                course = rng.choice(elearning)
                completed_on = draw_date()
                course_id, version_id, title, mode, hours = (course.id, course.version_id, course.title,
                                                             "elearning", course.cpd_hours)
                score = rng.choice((80, 90, 100))
                source_ref = f"enrolment:{enrolment_id}"
            elif source == "external":
                title, hours = rng.choice(EXTERNAL_TITLES)
                hours, mode, self_reported = Decimal(hours), "external", True
                completed_on = draw_date()
                source_ref = f"bench-external:{completion_id}"
            else:
                course = rng.choice(offered)
                course_id, title, mode, hours = course.id, course.title, course.delivery_mode, course.cpd_hours
                # Imported history is the older part of the record.
                completed_on = draw_date(0.0, 0.5) if source == "imported" else draw_date()
                if source == "attendance":
                    # On a day the course ran: the day of one of its sessions (bookings).
                    completed_on = calendar.session_day(course, completed_on, i)
                source_ref = f"bench-{source}:{completion_id}"
            at = datetime.combine(completed_on, clock(9), tzinfo=timezone.utc) + timedelta(minutes=rng.randint(0, 600))
            completions.append({
                "id": completion_id, "user_id": person_id, "course_id": course_id, "course_version_id": version_id,
                "title": title, "delivery_mode": mode, "completed_on": completed_on, "cpd_hours": hours,
                "score": score, "source": source, "source_ref": source_ref, "organisation_id": org_id,
                "sector_id": sector_id, "self_reported": self_reported, "created_at": at, "updated_at": at,
            })
            if source == "elearning":
                enrolled = at - timedelta(days=rng.randint(0, 20), minutes=rng.randint(1, 600))
                enrolments.append({
                    "id": enrolment_id, "user_id": person_id, "course_id": course_id, "version_id": version_id,
                    "status": "completed", "enrolled_at": enrolled, "enrolled_by_id": None,
                    "lessons_read": list(range(1, course.lessons + 1)), "last_position": course.lessons,
                    "last_activity_at": at, "completed_at": at, "completion_id": completion_id,
                })
                enrolment_id += 1
            completion_id += 1
        if len(completions) >= ctx.chunk:
            flush()
    flush()


def generate_enrolments(ctx: Context) -> None:
    """One e-learning course under way for IN_PROGRESS_SHARE of people: started in the last
    four months, some lessons read."""
    rng = ctx.rng
    people = len(ctx.person_org)
    elearning = [c for c in ctx.courses if c.delivery_mode == "elearning" and c.lessons]
    if not people or not elearning:
        return
    enrolment_id = ctx.next_id("enrolment")
    chosen = sorted(rng.sample(range(people), round(people * IN_PROGRESS_SHARE)))
    rows = []
    for i in chosen:
        course = rng.choice(elearning)
        read = rng.randint(0, course.lessons - 1)
        enrolled = ctx.now - timedelta(days=rng.randint(1, 120), minutes=rng.randint(0, 600))
        rows.append({
            "id": enrolment_id, "user_id": ctx.first_person_id + i, "course_id": course.id,
            "version_id": course.version_id, "status": "in-progress", "enrolled_at": enrolled, "enrolled_by_id": None,
            "lessons_read": list(range(1, read + 1)), "last_position": read + 1,
            "last_activity_at": enrolled + timedelta(minutes=rng.randint(5, 120)) if read else None,
            "completed_at": None, "completion_id": None,
        })
        enrolment_id += 1
        if len(rows) >= ctx.chunk:
            ctx.insert("enrolment", rows)
            ctx.commit()
            rows = []
    ctx.insert("enrolment", rows)
    ctx.commit()


# --- sessions, bookings and the programmes --------------------------------------------------

CANCELLED_SHARE = 0.10  # bookings cancelled (a fifth of them after the cut-off)
NO_SHOW_SHARE = 0.07  # of a past session's places: did not attend
FULL_SHARE = 0.25  # future sessions that are full, with a waiting list
CERTIFICATE_SHARE = 0.7  # past sessions whose certificates the trainer issued
EVALUATION_SHARE = 0.3  # attendances evaluated
BIG_REGISTER = 100  # one session, held yesterday, with this many booked and not yet marked (a register to mark)
BIG_REGISTER_COURSE = "WT-F"
TWILIGHT_TOPICS = [
    ("Online extremism: the school response", "Police Prevent team; Local authority education safeguarding team"),
    ("Harmful sexual behaviour: lessons from local reviews", "Education safeguarding team"),
    ("Attendance, children missing education and safeguarding", "Education inclusion service"),
    ("Working with the LADO", "Local authority designated officer"),
    ("Domestic abuse notifications to schools", "Police; Domestic abuse service"),
    ("Mental health and self-harm referrals", "CAMHS; School nursing"),
]
WEEK_THEMES = ["Everyone's business", "Hidden harm", "Safe online, safe at home", "Listening to children",
               "Think family", "Working together"]
# (title, kind, audience, day of the week 0-4, start, end, capacity, online, drop-in)
WEEK_EVENTS = [
    ("Launch conference", "launch", "professionals", 0, clock(9, 30), clock(13, 0), 150, False, False),
    ("Child exploitation: a briefing", "face-to-face", "both", 1, clock(10), clock(12), 60, False, False),
    ("Online safety for parents and carers", "online", "public", 1, clock(18, 30), clock(19, 30), 200, True, False),
    ("Neglect: the graded care profile in practice", "face-to-face", "professionals", 2, clock(13), clock(16), 40, False, False),
    ("Safer sleep drop-in", "drop-in", "public", 2, clock(10), clock(14), 1, False, True),
    ("Domestic abuse and children: webinar", "online", "professionals", 3, clock(12, 30), clock(13, 30), 300, True, False),
    ("Community stall at the market", "stall", "public", 3, clock(9), clock(15), 1, False, True),
    ("Closing panel: listening to young people", "face-to-face", "both", 4, clock(14), clock(16), 80, False, False),
]
WEEK_ORGANISER_TYPES = ("council-other", "police", "childrens-social-care", "community-health", "charity")


def _ids_from(ctx: Context, table: str) -> "IdCounter":
    return IdCounter(ctx.next_id(table))


class IdCounter:
    """The next ids of a table, assigned here (no RETURNING)."""

    def __init__(self, first: int):
        self.value = first

    def take(self) -> int:
        self.value += 1
        return self.value - 1


def _trainer_ids(ctx: Context) -> list[int]:
    """The generated trainers (every 2,000th person); at the test sizes, the admins."""
    user = ctx.tables["user"]
    ids = list(ctx.connection.execute(select(user.c.id).where(user.c.is_trainer.is_(True)).order_by(user.c.id)).scalars())
    return ids or list(ctx.connection.execute(select(user.c.id).where(user.c.is_admin.is_(True)).order_by(user.c.id)).scalars())


def _admin_id(ctx: Context) -> int | None:
    user = ctx.tables["user"]
    return ctx.connection.execute(select(func.min(user.c.id)).where(user.c.is_admin.is_(True))).scalar()


def _checkin_code(rng: random.Random) -> str:
    return f"{rng.getrandbits(144):036x}"


def _venue(ctx: Context, rng: random.Random, area_id: int) -> dict:
    number = ctx.area_ids.index(area_id) + 1 if area_id in ctx.area_ids else 1
    return {"location_kind": "in-person", "venue_name": f"Partnership Training Centre, Area {number}",
            "venue_address": f"{rng.randint(1, 90)} Training Lane\nTown {number}",
            "venue_postcode": f"BM{number % 99 + 1} {rng.randint(1, 9)}TC", "joining_url": None}


def _session_row(ctx: Context, rng: random.Random, session_id: int, course_id: int, starts: datetime, ends: datetime, *,
                 capacity: int, online: bool, area_id: int, closes: datetime | None = None,
                 cancellation_days: int = 3, organisation_id: int | None = None, notes: str | None = None,
                 created_by: int | None = None, venue: dict | None = None) -> dict:
    created = min(ctx.now - timedelta(days=rng.randint(7, 30)),
                  starts - timedelta(days=rng.randint(45, 100), minutes=rng.randint(0, 600)))
    place = ({"location_kind": "online", "venue_name": None, "venue_address": None, "venue_postcode": None,
              "joining_url": f"https://meet.bench.example/s/{session_id}"} if online
             else venue or _venue(ctx, rng, area_id))
    return {
        "id": session_id, "course_id": course_id, "starts_at": starts, "ends_at": ends, **place,
        "access_notes": None, "area_id": area_id, "joining_notes": None, "capacity": capacity, "minimum": 0,
        "signup_opens_at": None, "signup_closes_at": closes or starts - timedelta(days=1),
        "cancellation_working_days": cancellation_days, "requires_approval": False,
        "organisation_id": organisation_id, "notes": notes, "status": "scheduled", "cancelled_at": None,
        "cancelled_reason": None, "sequence": 0, "lock_version": 0, "checkin_code": _checkin_code(rng),
        "minimum_alert_sent_at": None, "created_at": created, "created_by_id": created_by, "updated_at": created,
    }


def generate_programmes(ctx: Context) -> None:
    """The DSL twilight series (one a school year, from the oldest records to the term after
    next: three terms, each with a session in every area hosted by one of its schools) and
    a Safeguarding Week each year (its events, each a session of its own event course), as
    lms.programmes.twilights and lms.programmes.week make them. Bookings and public
    registrations come in generate_bookings."""
    rng = random.Random(f"programmes {ctx.seed}")
    today = ctx.now.date()
    first_day = today - timedelta(days=365 * YEARS_OF_RECORDS)
    last_day = today + timedelta(days=SESSIONS_AHEAD_DAYS)
    trainers = _trainer_ids(ctx)
    admin = _admin_id(ctx)
    series_course = series_course_id(ctx)
    job_role_ids = [ctx.job_role_ids[code] for code in ("school-dsl", "deputy-dsl", "ey-dsl") if code in ctx.job_role_ids]
    schools = ("primary-school", "secondary-school", "all-through-school", "special-school")
    hosts: dict[int, list[int]] = {}
    for type_code in schools:
        for org_id in ctx.organisations_by_type.get(type_code, []):
            hosts.setdefault(ctx.org_area[org_id], []).append(org_id)
    org_table = ctx.tables["organisation"]
    org_details = {row.id: row for row in ctx.connection.execute(
        select(org_table.c.id, org_table.c.name, org_table.c.address, org_table.c.postcode)
        .where(org_table.c.id.in_([org for orgs in hosts.values() for org in orgs] or [-1])))}
    programme_ids, term_ids, session_ids = (_ids_from(ctx, t) for t in ("programme", "twilight_term", "training_session"))
    twilight_ids, event_ids, course_ids = (_ids_from(ctx, t) for t in ("twilight_session", "week_event", "course"))
    programmes, terms, sessions, twilights, trainer_rows, role_rows = [], [], [], [], [], []
    weeks, courses, events = [], [], []

    def stamp(before: date) -> datetime:
        return min(ctx.now, datetime.combine(before, clock(10), tzinfo=timezone.utc) - timedelta(days=rng.randint(20, 60)))

    if series_course is not None:
        for start_year in range(academic_year_of(first_day), academic_year_of(last_day) + 1):
            made = stamp(date(start_year, 9, 1))
            programme_id = programme_ids.take()
            programmes.append({"id": programme_id, "kind": "twilight-series",
                               "title": f"DSL network twilights {start_year}-{(start_year + 1) % 100:02d}",
                               "starts_on": date(start_year, 9, 1), "ends_on": date(start_year + 1, 8, 31),
                               "summary": "Termly updates for designated safeguarding leads, in every area.",
                               "created_at": made, "updated_at": made})
            for term in TWILIGHT_TERM_STARTS:
                topic, agencies = TWILIGHT_TOPICS[(start_year * 3 + list(TWILIGHT_TERM_STARTS).index(term)) % len(TWILIGHT_TOPICS)]
                term_id = term_ids.take()
                first_held = twilight_day(start_year, term, 0)
                terms.append({"id": term_id, "programme_id": programme_id, "term": term, "topic_title": topic,
                              "topic_summary": f"This term's update: {topic[0].lower() + topic[1:]}.",
                              "agencies": agencies,
                              "materials_url": f"https://partnership.bench.example/twilights/{term_id}" if first_held < today else None,
                              "materials_text": None, "lock_version": 0, "updated_at": made})
                label = f"{TERM_NAMES[term]} {start_year if term == 'autumn' else start_year + 1}"
                for position, area_id in enumerate(ctx.area_ids):
                    day = twilight_day(start_year, term, position)
                    if day < first_day or day > last_day or not hosts.get(area_id):
                        continue
                    host = org_details[rng.choice(hosts[area_id])]
                    session_id = session_ids.take()
                    starts, ends = london(day, clock(15, 45)), london(day, clock(17, 15))
                    sessions.append(_session_row(
                        ctx, rng, session_id, series_course, starts, ends, capacity=TWILIGHT_CAPACITY, online=False,
                        area_id=area_id, closes=min(london(day, clock(12)), starts), cancellation_days=2,
                        notes=f"DSL network twilight, {label}", created_by=admin,
                        venue={"location_kind": "in-person", "venue_name": host.name,
                               "venue_address": host.address or host.name, "venue_postcode": host.postcode,
                               "joining_url": None}))
                    sessions[-1]["access_notes"] = f"Hosted by {host.name}: sign in at the school office."
                    twilights.append({"id": twilight_ids.take(), "term_id": term_id, "session_id": session_id,
                                      "area_id": area_id, "host_id": host.id})
                    if trainers:
                        trainer_rows.append({"session_id": session_id, "user_id": trainers[position % len(trainers)]})
                    role_rows.extend({"session_id": session_id, "job_role_id": role} for role in job_role_ids)

    organisers = [org for code in WEEK_ORGANISER_TYPES for org in ctx.organisations_by_type.get(code, [])[:3]]
    for year in range(first_day.year, last_day.year + 1):
        monday = _weekday(date(year, 10, 12)) - timedelta(days=_weekday(date(year, 10, 12)).weekday())
        if monday < first_day or monday > last_day:
            continue
        made = stamp(monday - timedelta(days=60))
        programme_id = programme_ids.take()
        theme = WEEK_THEMES[year % len(WEEK_THEMES)]
        programmes.append({"id": programme_id, "kind": "safeguarding-week", "title": f"Safeguarding Week {year}",
                           "starts_on": monday, "ends_on": monday + timedelta(days=4), "summary": theme,
                           "created_at": made, "updated_at": made})
        weeks.append({"programme_id": programme_id, "theme": theme,
                      "lead_boards": "Safeguarding Children Partnership\nSafeguarding Adults Board\nCommunity Safety Partnership",
                      "description": f"A week of events for professionals and the public: {theme.lower()}."})
        for number, (title, kind, audience, weekday, start, end, capacity, online, drop_in) in enumerate(WEEK_EVENTS, 1):
            day = monday + timedelta(days=weekday)
            starts, ends = london(day, start), london(day, end)
            minutes = int((ends - starts).total_seconds() // 60)
            course_id = course_ids.take()
            courses.append({"id": course_id, "code": f"SW{year % 100:02d}-{programme_id}-{number:02d}", "title": title,
                            "summary": f"{title}, part of Safeguarding Week {year}.", "learning_outcomes": [],
                            "delivery_mode": "event", "cpd_hours": (Decimal(minutes) / 60).quantize(Decimal("0.25")),
                            "level": 1, "estimated_minutes": None, "requirement_codes": [], "managed_by": "admin",
                            "active": True, "created_at": made, "updated_at": made})
            session_id = session_ids.take()
            area_id = ctx.area_ids[(year + number) % len(ctx.area_ids)]
            if not drop_in:  # smaller at the test sizes, which have few people
                capacity = max(10, round(capacity * min(1.0, ctx.size.people / 10_000)))
            sessions.append(_session_row(
                ctx, rng, session_id, course_id, starts, ends, capacity=capacity, online=online, area_id=area_id,
                closes=min(made, starts) if drop_in else starts, cancellation_days=0, created_by=admin))
            sessions[-1].update(created_at=made, updated_at=made)
            events.append({"id": event_ids.take(), "programme_id": programme_id, "session_id": session_id, "day": day,
                           "kind": kind, "audience": audience, "drop_in": drop_in,
                           "organiser_id": organisers[(year + number) % len(organisers)] if organisers else ctx.org_staff[0][0],
                           "created_at": made})

    ctx.insert("programme", programmes)
    ctx.insert("twilight_term", terms)
    ctx.insert("safeguarding_week", weeks)
    ctx.insert("course", courses)
    for start in range(0, len(sessions), ctx.chunk):
        ctx.insert("training_session", sessions[start:start + ctx.chunk])
    ctx.insert("twilight_session", twilights)
    ctx.insert("week_event", events)
    ctx.insert("session_trainer", trainer_rows)
    ctx.insert("session_job_role", role_rows)
    ctx.commit()


class _Pools:
    """People to draw bookers from: everyone in a course's audience sectors, and the DSLs
    (the twilight series' audience) by area."""

    def __init__(self, ctx: Context):
        self.ctx = ctx
        sector_of_type = [ctx.type_sector[code] for code in ctx.type_codes]
        self.by_sector: dict[str | None, array] = {}
        self.dsl_by_area: dict[int, array] = {}
        dsl_roles = {ctx.role_codes.index(code) for code in ("school-dsl", "deputy-dsl", "ey-dsl") if code in ctx.role_codes}
        lead_types = {ctx.type_codes.index(code) for code, roles in LEAD_ROLES.items()
                      if code in ctx.type_codes and set(roles) & {"school-dsl", "ey-dsl"}}
        previous_org = None
        for i in range(len(ctx.person_org)):
            type_index = ctx.person_type[i]
            sector = sector_of_type[type_index] if type_index >= 0 else None
            self.by_sector.setdefault(sector, array("l")).append(i)
            org = ctx.person_org[i]
            first_of_org = org and org != previous_org
            previous_org = org
            if ctx.person_role[i] in dsl_roles or (first_of_org and type_index in lead_types):
                self.dsl_by_area.setdefault(person_area(ctx, i), array("l")).append(i)
        self._cache: dict[frozenset, list[array]] = {}

    def draw(self, rng: random.Random, sectors: frozenset) -> int:
        pools = self._cache.get(sectors)
        if pools is None:
            pools = [pool for sector, pool in self.by_sector.items() if not sectors or sector in sectors] or \
                    list(self.by_sector.values())
            self._cache[sectors] = pools
        pool = rng.choices(pools, weights=[len(p) for p in pools])[0]
        return pool[rng.randrange(len(pool))]


def _update_completions(ctx: Context, rows: list[dict]) -> None:
    """Point attendance completions at their bookings: {"id", "ref", "title"} (title None
    keeps it). On PostgreSQL through a COPY into a temporary table and one UPDATE."""
    if not rows:
        return
    watch = ctx.watches.setdefault("completion (updated)", Stopwatch())
    with watch.running():
        if ctx.connection.dialect.driver == "psycopg":
            if not ctx.connection.in_transaction():
                ctx.connection.begin()
            ctx.connection.execute(text(
                "CREATE TEMPORARY TABLE IF NOT EXISTS completion_link (id bigint, ref varchar(100), title varchar(200)) "
                "ON COMMIT DELETE ROWS"))
            with ctx.connection.connection.driver_connection.cursor() as cursor:
                with cursor.copy("COPY completion_link (id, ref, title) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row([row["id"], row["ref"], row["title"]])
            ctx.connection.execute(text(
                "UPDATE completion SET source_ref = l.ref, title = COALESCE(l.title, completion.title) "
                "FROM completion_link l WHERE completion.id = l.id"))
        else:
            ctx.connection.execute(text(
                "UPDATE completion SET source_ref = :ref, title = COALESCE(:title, title) WHERE id = :id"), rows)
    ctx.rows["completion (updated)"] = ctx.rows.get("completion (updated)", 0) + len(rows)


def generate_bookings(ctx: Context) -> None:
    """Sessions of every session course over the records' years and the next
    SESSIONS_AHEAD_DAYS, with their bookings, registers, certificates and evaluations, as
    the booking engine, the register and the certificates would leave them; and the
    programmes' bookings and public registrations.

    Past sessions are made from the attendance completions: each day a course has some is
    a session (more than MAX_REGISTER that day make more sessions), whose people are
    marked attended with their completion (source_ref "booking:<id>", as the register
    writes it). A person with two completions of a course on one day keeps the second as
    generated. No-shows and cancellations are added beside them. Future sessions fall on
    the course's calendar days; a quarter of them are full with a waiting list. The
    Safeguarding Week events' attendance writes new completions (their courses are new)."""
    rng = random.Random(f"bookings {ctx.seed}")
    today = ctx.now.date()
    horizon = today + timedelta(days=SESSIONS_AHEAD_DAYS)
    calendar = SessionCalendar(ctx)
    pools = _Pools(ctx)
    trainers = _trainer_ids(ctx) or [None]
    admin = _admin_id(ctx)
    sector_of_type = [ctx.sector_ids[ctx.type_sector[code]] for code in ctx.type_codes]
    index_of = lambda user_id: user_id - ctx.first_person_id  # noqa: E731
    session_ids, booking_ids = _ids_from(ctx, "training_session"), _ids_from(ctx, "booking")
    completion_ids, certificate_ids = _ids_from(ctx, "completion"), _ids_from(ctx, "certificate")
    evaluation_ids, registration_ids = _ids_from(ctx, "evaluation"), _ids_from(ctx, "public_registration")
    provider = "Benchmark Safeguarding Children Partnership"
    try:
        from lms.partnership.services import details

        provider = details().name or provider
    except Exception:  # noqa: BLE001 - the default name will do
        pass
    batch: dict[str, list] = {name: [] for name in (
        "completion", "training_session", "session_trainer", "booking", "certificate", "evaluation",
        "public_registration", "links")}
    certificate_wanted: list[dict] = []

    def flush(force: bool = False) -> None:
        if not force and len(batch["booking"]) < ctx.chunk:
            return
        _names_for(certificate_wanted)
        for table in ("completion", "training_session", "session_trainer", "booking", "certificate", "evaluation",
                      "public_registration"):
            ctx.insert(table, batch[table])
            batch[table].clear()
        _update_completions(ctx, batch["links"])
        batch["links"].clear()
        ctx.commit()

    def _names_for(rows: list[dict]) -> None:
        user = ctx.tables["user"]
        ids = sorted({row["user_id"] for row in rows})
        names = {}
        for start in range(0, len(ids), 1000):
            names.update(ctx.connection.execute(
                select(user.c.id, user.c.full_name).where(user.c.id.in_(ids[start:start + 1000]))).all())
        for row in rows:
            row["holder_name"] = names[row["user_id"]]
        batch["certificate"].extend(rows)
        rows.clear()

    def add_session(row: dict, trainer_list: list) -> None:
        batch["training_session"].append(row)
        for trainer in trainer_list:
            if trainer is not None:
                batch["session_trainer"].append({"session_id": row["id"], "user_id": trainer})

    def booking(session: dict, index: int, status: str, at: datetime, **values) -> dict:
        row = {
            "id": booking_ids.take(), "session_id": session["id"], "user_id": ctx.first_person_id + index,
            "status": status, "organisation_id": ctx.person_org[index] or None,
            "booked_by_id": ctx.first_person_id + index, "created_at": at, "queued_at": at,
            "confirmed_at": at if status not in ("waitlisted", "requested") else None, "offered_at": None,
            "offer_expires_at": None, "decided_by_id": None, "decided_at": None, "decision_note": None,
            "cancelled_at": None, "cancelled_by_id": None, "ended_reason": None, "cancellation_note": None,
            "substitute_for_id": None, "attendance_hours": None, "marked_at": None, "marked_by_id": None,
            "checked_in_at": None, "completion_id": None, "reminder_sent_at": None,
        }
        row.update(values)
        batch["booking"].append(row)
        return row

    def booked_at(session: dict) -> datetime:
        span = max(60, int((min(session["starts_at"], ctx.now) - session["created_at"]).total_seconds()) - 3600)
        return session["created_at"] + timedelta(seconds=rng.randint(60, span))

    def cancellations(session: dict, count: int, taken: set, sectors: frozenset) -> None:
        for _ in range(count):
            index = pools.draw(rng, sectors)
            if index in taken:
                continue
            at = booked_at(session)
            late = rng.random() < 0.2
            cancelled = min(ctx.now, session["starts_at"] - timedelta(hours=rng.randint(2, 40) if late else rng.randint(100, 600)))
            booking(session, index, "cancelled", at, cancelled_at=max(at, cancelled),
                    cancelled_by_id=ctx.first_person_id + index, ended_reason="late-cancelled" if late else "cancelled")

    def mark_past(session: dict, attendees: list[tuple[int, int | None]], course, trainer, *, title=None,
                  new_completions: bool = False, sectors=frozenset(), exclude=(), draw=None) -> None:
        """Attended (with the completions) and no-shows on a past session; certificates
        and evaluations for some."""
        taken = {index for index, _ in attendees} | set(exclude)
        marked = session["ends_at"] + timedelta(minutes=rng.randint(5, 90))
        day = session["starts_at"].astimezone(LONDON).date()
        hours = course.cpd_hours
        issue = rng.random() < CERTIFICATE_SHARE
        for index, completion_id in attendees:
            at = booked_at(session)
            if completion_id is None:  # the register writes the completion
                completion_id = completion_ids.take()
                type_index = ctx.person_type[index]
                batch["completion"].append({
                    "id": completion_id, "user_id": ctx.first_person_id + index, "course_id": course.id,
                    "course_version_id": None, "title": course.title, "delivery_mode": course.delivery_mode,
                    "completed_on": day, "cpd_hours": hours, "score": None, "source": "attendance",
                    "source_ref": None, "organisation_id": ctx.person_org[index] or None,
                    "sector_id": sector_of_type[type_index] if type_index >= 0 else None, "self_reported": False,
                    "created_at": marked, "updated_at": marked,
                })
            row = booking(session, index, "attended", at, attendance_hours=hours, marked_at=marked,
                          marked_by_id=trainer or admin, completion_id=completion_id,
                          checked_in_at=session["starts_at"] - timedelta(minutes=rng.randint(1, 25)) if rng.random() < 0.3 else None,
                          reminder_sent_at=session["starts_at"] - timedelta(days=2) if at < session["starts_at"] - timedelta(days=2) else None)
            ref = f"booking:{row['id']}"
            if new_completions:
                batch["completion"][-1]["source_ref"] = ref
            else:
                batch["links"].append({"id": completion_id, "ref": ref, "title": title})
            type_index = ctx.person_type[index]
            if issue:
                certificate_wanted.append({
                    "id": certificate_ids.take(), "code": "".join(rng.choice(CERTIFICATE_ALPHABET) for _ in range(16)),
                    "user_id": ctx.first_person_id + index, "completion_id": completion_id, "course_id": course.id,
                    "training_session_id": session["id"], "course_title": title or course.title,
                    "course_code": course.code, "delivery_mode": course.delivery_mode, "completed_on": day,
                    "cpd_hours": hours, "provider": provider, "signatory": None,
                    "refresh_due_on": day.replace(year=day.year + 3) if course.requirements and not (day.month == 2 and day.day == 29) else None,
                    "issued_at": marked + timedelta(hours=rng.randint(1, 48)), "issued_by_id": trainer or admin,
                    "replaces_id": None, "reissue_reason": None, "revoked_at": None, "revoked_by_id": None,
                    "revoke_reason": None,
                })
            if rng.random() < EVALUATION_SHARE:
                before = rng.randint(1, 4)
                batch["evaluation"].append({
                    "id": evaluation_ids.take(), "user_id": ctx.first_person_id + index, "completion_id": completion_id,
                    "course_id": course.id, "training_session_id": session["id"], "delivery_mode": course.delivery_mode,
                    "sector_id": sector_of_type[type_index] if type_index >= 0 else None, "completed_on": day,
                    "satisfaction": rng.choice((5, 5, 4, 4, 4, 3, 2)), "skills": rng.choice(("a-lot", "a-little", "a-little", "no")),
                    "confidence_before": before, "confidence_after": min(5, before + rng.randint(0, 2)),
                    "will_do_differently": "Use the local referral pathway sooner." if rng.random() < 0.3 else None,
                    "improvements": None, "may_quote": rng.random() < 0.2,
                    "submitted_at": marked + timedelta(hours=rng.randint(1, 200)),
                })
        for _ in range(round(len(attendees) * NO_SHOW_SHARE + rng.random())):
            index = draw() if draw is not None else pools.draw(rng, sectors)
            if index is None or index in taken:
                continue
            taken.add(index)
            booking(session, index, "no-show", booked_at(session), marked_at=marked, marked_by_id=trainer or admin)
        session["capacity"] = max(session["capacity"], len(taken))
        session["lock_version"] = len(taken)
        cancellations(session, round(len(taken) * CANCELLED_SHARE / (1 - CANCELLED_SHARE) + rng.random() - 0.5),
                      taken, sectors)
        flush()

    def fill_future(session: dict, people: list[int], capacity: int, *, waiting: int = 0) -> None:
        """Book `people` in order: places first, then the waiting list in queue order."""
        times = sorted(booked_at(session) for _ in people)
        for n in range(1, len(times)):  # the waiting list's order: no two at the same moment
            times[n] = max(times[n], times[n - 1] + timedelta(seconds=1))
        for n, (index, at) in enumerate(zip(people, times, strict=True)):
            if n < capacity:
                booking(session, index, "booked", at)
            else:
                booking(session, index, "waitlisted", at)
        session["lock_version"] = len(people)

    def future_people(session: dict, count: int, draw) -> list[int]:
        chosen, seen = [], set()
        for _ in range(count * 3):
            if len(chosen) == count:
                break
            index = draw()
            if index is None:
                break
            if index not in seen:
                seen.add(index)
                chosen.append(index)
        return chosen

    completion = ctx.tables["completion"]
    big_register_done = False
    open_courses = [c for c in ctx.courses if c.delivery_mode == "face-to-face" and c.active and not c.sectors]
    big_course = next((c for c in open_courses if c.code == BIG_REGISTER_COURSE), open_courses[0] if open_courses else None)
    for course in [c for c in ctx.courses if c.delivery_mode != "elearning"]:
        if course.id == calendar.series_course_id:
            continue
        attending: dict[date, list[tuple[int, int]]] = {}
        for completion_id, user_id, day in ctx.connection.execute(
            select(completion.c.id, completion.c.user_id, completion.c.completed_on)
            .where(completion.c.source == "attendance", completion.c.course_id == course.id,
                   completion.c.source_ref.like("bench-attendance:%"), completion.c.completed_on < today)
            .order_by(completion.c.completed_on, completion.c.id)
        ):
            attending.setdefault(day, []).append((index_of(user_id), completion_id))
        online = course.delivery_mode == "virtual"
        for day, people in attending.items():
            # One booking per person per session: a second completion that day stays as it was.
            unique, seen = [], set()
            for index, completion_id in people:
                if index not in seen:
                    seen.add(index)
                    unique.append((index, completion_id))
            groups = max(1, -(-len(unique) // MAX_REGISTER))
            for g in range(groups):
                group = unique[g::groups]
                area_id = person_area(ctx, group[0][0])
                starts = london(day, clock(9, 30) if rng.random() < 0.6 else clock(13, 30))
                ends = starts + timedelta(minutes=int(min(course.cpd_hours, Decimal("6.5")) * 60) + 30)
                trainer = trainers[rng.randrange(len(trainers))]
                row = _session_row(ctx, rng, session_ids.take(), course.id, starts, ends,
                                   capacity=rng.choice((16, 20, 24, 30)), online=online, area_id=area_id,
                                   organisation_id=ctx.person_org[group[0][0]] or None if course.delivery_mode == "outreach" else None)
                add_session(row, [trainer])
                mark_past(row, group, course, trainer, sectors=course.sectors)
        if not course.active:
            continue
        days = calendar.days_between(course, today + timedelta(days=1), horizon)
        if course is big_course:
            # The big register: a session that ran yesterday, its 100 people not marked yet.
            days.insert(0, _weekday(today - timedelta(days=1)))
        for day in days:
            trainer = trainers[rng.randrange(len(trainers))]
            starts = london(day, clock(9, 30) if rng.random() < 0.6 else clock(13, 30))
            ends = starts + timedelta(minutes=int(min(course.cpd_hours, Decimal("6.5")) * 60) + 30)
            big = not big_register_done and course is big_course
            capacity = BIG_REGISTER if big else rng.choice((16, 20, 24, 30))
            area_id = ctx.area_ids[rng.randrange(len(ctx.area_ids))]
            organisation_id = None
            if course.delivery_mode == "outreach":
                organisation_id = ctx.org_staff[rng.randrange(len(ctx.org_staff))][0]
            row = _session_row(ctx, rng, session_ids.take(), course.id, starts, ends, capacity=capacity,
                               online=course.delivery_mode == "virtual" and not big, area_id=area_id,
                               organisation_id=organisation_id)
            add_session(row, [trainers[0] if big else trainer])
            if big:
                count = BIG_REGISTER
                big_register_done = True
            elif rng.random() < FULL_SHARE:
                count = capacity + rng.randint(1, 6)
            else:
                count = int(capacity * rng.uniform(0.2, 0.95))
            people = future_people(row, count, lambda: pools.draw(rng, course.sectors))
            fill_future(row, people, capacity)
            cancellations(row, round(len(people) * CANCELLED_SHARE + rng.random() - 0.5), set(people), course.sectors)
            flush()
    flush(force=True)

    _programme_bookings(ctx, rng, calendar, pools, trainers, admin, booking, booked_at, mark_past, fill_future,
                        future_people, cancellations, batch, flush, registration_ids, completion)


CERTIFICATE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _programme_bookings(ctx, rng, calendar, pools, trainers, admin, booking, booked_at, mark_past, fill_future,
                        future_people, cancellations, batch, flush, registration_ids, completion) -> None:
    """The twilights' bookings (past ones from the series course's attendance completions,
    in the person's area, one a term) and the Safeguarding Weeks' bookings and public
    registrations."""
    today = ctx.now.date()
    tables = ctx.tables
    session_table, twilight, term, event = (tables["training_session"], tables["twilight_session"],
                                            tables["twilight_term"], tables["week_event"])
    columns = [session_table.c[name] for name in session_table.c.keys()]
    series = next((c for c in ctx.courses if c.id == calendar.series_course_id), None)
    twilights: dict[tuple[date, int], dict] = {}
    for row in ctx.connection.execute(
        select(*columns, twilight.c.area_id.label("twilight_area"), term.c.term, term.c.topic_title,
               term.c.programme_id)
        .join(twilight, twilight.c.session_id == session_table.c.id).join(term, term.c.id == twilight.c.term_id)
        .order_by(session_table.c.id)
    ).mappings():
        session = {key: row[key] for key in session_table.c.keys()}
        session["starts_at"] = _aware(session["starts_at"])
        session["ends_at"] = _aware(session["ends_at"])
        session["created_at"] = _aware(session["created_at"])
        day = session["starts_at"].astimezone(LONDON).date()
        # As lms.programmes.twilights.services.completion_title_for writes it.
        session["_title"] = (f"{series.title}, {row['term']} {day.year}: {row['topic_title']}"[:200]
                             if series else None)
        twilights[(day, row["twilight_area"])] = session
    trainer_of = dict(ctx.connection.execute(
        select(tables["session_trainer"].c.session_id, func.min(tables["session_trainer"].c.user_id))
        .group_by(tables["session_trainer"].c.session_id)).all())
    if series is not None:
        attending: dict[int, list[tuple[int, int]]] = {}
        seen: dict[int, set] = {}
        for completion_id, user_id, day in ctx.connection.execute(
            select(completion.c.id, completion.c.user_id, completion.c.completed_on)
            .where(completion.c.source == "attendance", completion.c.course_id == series.id,
                   completion.c.source_ref.like("bench-attendance:%"), completion.c.completed_on < today)
            .order_by(completion.c.completed_on, completion.c.id)
        ):
            index = user_id - ctx.first_person_id
            session = twilights.get((day, person_area(ctx, index)))
            if session is None or index in seen.setdefault(session["id"], set()):
                continue  # not on a day of the person's area's twilight, or a second that term
            if len(seen[session["id"]]) >= session["capacity"]:
                continue
            seen[session["id"]].add(index)
            attending.setdefault(session["id"], []).append((index, completion_id))
        for (day, area_id), session in sorted(twilights.items(), key=lambda item: item[1]["id"]):
            trainer = trainer_of.get(session["id"])
            if day < today:
                # No-shows from the area's DSLs: one twilight a term each.
                pool = pools.dsl_by_area.get(area_id) or array("l")
                mark_past(session, attending.get(session["id"], []), series, trainer, title=session["_title"],
                          draw=lambda pool=pool: pool[rng.randrange(len(pool))] if pool else None)
            else:
                pool = pools.dsl_by_area.get(area_id, array("l"))
                count = min(len(pool), int(session["capacity"] * rng.uniform(0.3, 0.8)))
                people = rng.sample(list(pool), count) if count else []
                fill_future(session, people, session["capacity"])
            _update_session_counters(ctx, session)
        flush(force=True)

    course_table = tables["course"]
    for row in ctx.connection.execute(
        select(*columns, event.c.id.label("event_id"), event.c.audience, event.c.drop_in, course_table.c.code,
               course_table.c.title.label("course_title"), course_table.c.cpd_hours.label("course_hours"))
        .join(event, event.c.session_id == session_table.c.id).join(course_table, course_table.c.id == session_table.c.course_id)
        .order_by(session_table.c.id)
    ).mappings():
        session = {key: row[key] for key in session_table.c.keys()}
        for key in ("starts_at", "ends_at", "created_at"):
            session[key] = _aware(session[key])
        if row["drop_in"]:
            continue
        course = CourseInfo(session["course_id"], row["code"], row["course_title"], "event", Decimal(row["course_hours"]),
                            frozenset())
        capacity = session["capacity"]
        public = 0 if row["audience"] == "professionals" else int(capacity * rng.uniform(0.2, 0.5))
        professionals = 0 if row["audience"] == "public" else int((capacity - public) * rng.uniform(0.5, 0.95))
        past = session["starts_at"] < ctx.now
        if past:
            people = future_people(session, professionals, lambda: pools.draw(rng, frozenset()))
            show = int(len(people) * 0.9)
            mark_past(session, [(index, None) for index in people[:show]], course, trainer_of.get(session["id"]),
                      new_completions=True, exclude=people)
            for index in people[show:]:
                booking(session, index, "no-show", booked_at(session), marked_at=session["ends_at"],
                        marked_by_id=admin)
        else:
            people = future_people(session, professionals, lambda: pools.draw(rng, frozenset()))
            fill_future(session, people, capacity - public)
            cancellations(session, round(len(people) * CANCELLED_SHARE), set(people), frozenset())
        erase = past and session["ends_at"] + timedelta(days=31) < ctx.now
        for n in range(public):
            at = booked_at(session)
            confirmed = past or rng.random() < 0.8
            email = None if erase else f"public{row['event_id']}-{n + 1}@public.bench.example"
            batch["public_registration"].append({
                "id": registration_ids.take(), "event_id": row["event_id"], "session_id": session["id"],
                "name": None if erase else f"Member of the public {n + 1}", "email": email, "email_key": email,
                "status": "confirmed" if confirmed else "awaiting-confirmation", "created_at": at, "queued_at": at,
                "placed_at": at, "hold_expires_at": None if confirmed else at + timedelta(hours=48),
                "email_confirmed_at": at + timedelta(minutes=5) if confirmed else None,
                "confirmed_at": at + timedelta(minutes=5) if confirmed else None, "cancelled_at": None,
                "lapsed_at": None, "reminder_sent_at": None, "sequence_seen": 0,
                "erased_at": session["ends_at"] + timedelta(days=31) if erase else None,
            })
        _update_session_counters(ctx, session)
        flush()
    flush(force=True)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _update_session_counters(ctx: Context, session: dict) -> None:
    """Sessions read back from the database (the programmes') keep the capacity and lock
    version their bookings need."""
    table = ctx.tables["training_session"]
    ctx.connection.execute(table.update().where(table.c.id == session["id"]).values(
        capacity=session["capacity"], lock_version=session["lock_version"] if "lock_version" in session else 0))


def generate_kept(ctx: Context) -> None:
    """The figures the app keeps as it goes, made from what the earlier steps wrote, as
    the nightly jobs make them: the kept uptake rows (lms.records.uptake, after the
    bookings step, whose Safeguarding Week events write completions of their own) and the
    licence summary's counts of open and dormant accounts (lms.licences.kept_counts)."""
    from lms.licences.kept_counts import write_counted
    from lms.records.uptake import rebuild_uptake

    with ctx.watches.setdefault("uptake_learner", Stopwatch()).running():
        ctx.rows["uptake_learner"] = rebuild_uptake(ctx.connection)
        ctx.commit()
    with ctx.watches.setdefault("licence_count", Stopwatch()).running():
        write_counted(ctx.connection, now=ctx.now)
        ctx.commit()
    ctx.rows["licence_count"] = 1


STEPS = [generate_areas, generate_organisations, generate_people, generate_courses, generate_completions,
         generate_enrolments, generate_programmes, generate_bookings, generate_kept]


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
    for name in ("area", "organisation", "user", "person_role", "employment", "course", "course_version", "lesson",
                 "completion", "enrolment", "programme", "twilight_term", "training_session", "twilight_session",
                 "week_event", "booking", "certificate", "evaluation", "public_registration"):
        ctx.connection.execute(text(
            f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), "
            f"(SELECT COALESCE(MAX(id), 0) + 1 FROM \"{name}\"), false)"
        ))
    ctx.commit()


def _analyze(ctx: Context) -> None:
    """PostgreSQL: gather the planner's statistics now, as autovacuum would soon after a
    load, so the first queries are planned for the real table sizes."""
    if ctx.connection.dialect.name != "postgresql":
        return
    watch = ctx.watches.setdefault("(ANALYZE)", Stopwatch())
    with watch.running():
        ctx.connection.execute(text("ANALYZE"))
        ctx.commit()
    ctx.rows.setdefault("(ANALYZE)", 0)


def step_name(step) -> str:
    return step.__name__.removeprefix("generate_")


def load_context(ctx: Context) -> None:
    """What the earlier steps would have left in `ctx`, read back from a database they
    filled, for running later steps alone (--only)."""
    connection, tables = ctx.connection, ctx.tables
    area, org, user, role = tables["area"], tables["organisation"], tables["user"], tables["person_role"]
    ctx.area_ids = list(connection.execute(
        select(area.c.id).where(area.c.code.like("bench-area-%")).order_by(area.c.position, area.c.id)).scalars())
    type_code = {type_id: code for code, type_id in ctx.type_ids.items()}
    for org_id, type_id, area_id in connection.execute(select(org.c.id, org.c.type_id, org.c.area_id).order_by(org.c.id)):
        code = type_code.get(type_id)
        ctx.organisations_by_type.setdefault(code, []).append(org_id)
        ctx.org_area[org_id] = area_id or (ctx.area_ids[0] if ctx.area_ids else None)
        ctx.org_staff.append((org_id, code, 0))
    ctx.type_codes = sorted(ORGANISATION_MIX)
    ctx.role_codes = sorted(ctx.job_role_ids)
    type_index = {code: i for i, code in enumerate(ctx.type_codes)}
    role_index = {role_id: ctx.role_codes.index(code) for code, role_id in ctx.job_role_ids.items()}
    org_type = {org_id: type_index.get(code, -1) for code, ids in ctx.organisations_by_type.items() for org_id in ids}
    first_roles: dict[int, int] = {}
    for user_id, job_role_id in connection.execute(select(role.c.user_id, role.c.job_role_id).order_by(role.c.id)):
        first_roles.setdefault(user_id, role_index[job_role_id])
    ctx.first_person_id = connection.execute(select(func.min(user.c.id))).scalar() or 1
    expected = ctx.first_person_id
    for user_id, org_id in connection.execute(select(user.c.id, user.c.organisation_id).order_by(user.c.id)):
        if user_id != expected:
            raise SystemExit("People's ids are not consecutive: --only needs a database this script generated")
        expected += 1
        ctx.person_org.append(org_id or 0)
        ctx.person_type.append(org_type.get(org_id, -1) if org_id else -1)
        ctx.person_role.append(first_roles.get(user_id, 0))
    first_roles.clear()
    course, course_sector = tables["course"], tables["course_sector"]
    sector_code = {sector_id: code for code, sector_id in ctx.sector_ids.items()}
    audiences: dict[int, set] = {}
    for course_id, sector_id in connection.execute(select(course_sector.c.course_id, course_sector.c.sector_id)):
        audiences.setdefault(course_id, set()).add(sector_code[sector_id])
    for row in connection.execute(select(course).where(course.c.delivery_mode != "elearning").order_by(course.c.id)):
        if re.fullmatch(r"SW\d\d-\d+-\d\d", row.code):
            continue  # a Safeguarding Week event's own course
        ctx.courses.append(CourseInfo(row.id, row.code, row.title, row.delivery_mode, Decimal(row.cpd_hours),
                                      frozenset(audiences.get(row.id, ())), active=row.active,
                                      requirements=tuple(row.requirement_codes or ())))


def generate(url: str, size: Size, *, seed: int, chunk: int, fresh: bool, now: datetime,
             only: list[str] | None = None, skip: list[str] | None = None) -> Context:
    from lms.accounts.services import hash_password
    from lms.compliance.baseline import load_baseline
    from lms.extensions import db
    from lms.organisations.models import JobRole, OrganisationType, Sector
    from lms.organisations.reference.services import load_reference_data

    app = make_app(url)
    if fresh and not only:
        drop_schema(app)
    create_schema(app)
    with app.app_context():
        load_reference_data()
        requirements = load_baseline()  # the national requirements, as `flask lms seed` loads them
        db.session.commit()
        people = db.session.scalar(select(func.count()).select_from(db.metadata.tables["user"]))
        if only:
            if not people:
                raise SystemExit("--only adds to a generated database, and this one has no people in it")
            if "programmes" in only and db.session.scalar(
                    select(func.count()).select_from(db.metadata.tables["training_session"])):
                raise SystemExit("The database already has sessions: the booking data cannot be added twice")
        elif people:
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
                seed=seed,
            )
            ctx.sector_ids = dict(connection.execute(select(Sector.code, Sector.id)).all())
            for code, type_id, sector_id in connection.execute(
                select(OrganisationType.code, OrganisationType.id, OrganisationType.sector_id)
            ):
                ctx.type_ids[code] = type_id
                ctx.type_sector[code] = next(s for s, i in ctx.sector_ids.items() if i == sector_id)
            ctx.job_role_ids = dict(connection.execute(select(JobRole.code, JobRole.id)).all())
            if only:
                load_context(ctx)
            else:
                ctx.rows["requirement (national baseline)"] = requirements
            for step in STEPS:
                if (not only or step_name(step) in only) and step_name(step) not in (skip or ()):
                    step(ctx)
            _reset_sequences(ctx)
            _analyze(ctx)
        db.engine.dispose()
    return ctx


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="S",
                        help="XXS: 300 people and XS: 1k (tests), S: 10k, M: 100k, L: 2M (use PostgreSQL for L)")
    parser.add_argument("--database",
                        help="SQLAlchemy URL (default: DATABASE_URL, else benchmarks/output/<size>.sqlite)")
    parser.add_argument("--fresh", action="store_true", help="drop and recreate every table first")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--chunk", type=int, default=5000, help="rows per bulk INSERT")
    parser.add_argument("--as-of", type=date.fromisoformat, help="the 'today' the data is built around (default today)")
    parser.add_argument("--only", type=lambda text: [name.strip() for name in text.split(",") if name.strip()],
                        help="run only these steps on a database generated before, e.g. --only programmes,bookings "
                             f"(steps: {', '.join(step_name(step) for step in STEPS)})")
    parser.add_argument("--skip", type=lambda text: [name.strip() for name in text.split(",") if name.strip()],
                        default=[], help="leave these steps out, e.g. --skip programmes,bookings")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.skip) - {step_name(step) for step in STEPS})
    if unknown:
        parser.error(f"no such step: {', '.join(unknown)}")
    if args.only:
        unknown = sorted(set(args.only) - {step_name(step) for step in STEPS})
        if unknown:
            parser.error(f"no such step: {', '.join(unknown)}")
        if args.fresh:
            parser.error("--only adds to a generated database: it cannot be --fresh")

    size = SIZES[args.size]
    default = "sqlite:///" + str(OUTPUT_DIR / f"{size.name.lower()}.sqlite")
    url = args.database or env_database_url(default)
    if url == default and not args.only:
        remove_sqlite_file(url)  # the default file always starts fresh
    url = database_url(url)
    now = (datetime.combine(args.as_of, clock(12), tzinfo=timezone.utc) if args.as_of
           else datetime.now(timezone.utc).replace(microsecond=0))

    print(f"Generating size {size.name} ({size.description}: {size.people:,} people) into "
          f"{url.split('@')[-1] if '@' in url else url}, seed {args.seed}")
    started = time.perf_counter()
    ctx = generate(url, size, seed=args.seed, chunk=args.chunk, fresh=args.fresh, now=now, only=args.only,
                   skip=args.skip)
    print_summary(ctx, time.perf_counter() - started)
    print(f"Every generated person's password: {BENCH_PASSWORD!r}")
    return 0


def print_summary(ctx: Context, total_seconds: float) -> None:
    """One row per table: rows written, seconds in INSERTs, rows a second; then the total."""
    rows = []
    for table, count in ctx.rows.items():
        seconds = ctx.watches[table].seconds if table in ctx.watches else 0.0
        rows.append([table, count, seconds, count / seconds if seconds else 0.0])
    print_table(["table", "rows", "insert seconds", "rows a second"], rows)
    print(f"Total: {sum(ctx.rows.values()):,} rows in {total_seconds:.1f} seconds (including generating them).")


if __name__ == "__main__":
    sys.exit(main())
