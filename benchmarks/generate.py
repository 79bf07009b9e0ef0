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
progress for a tenth of people. Rows go in with bulk INSERTs of a few thousand at a time (COPY on
PostgreSQL with psycopg 3) and ids assigned here (so no RETURNING). Everything derives
from --seed.

Adding a table (bookings...): write a step `def generate_x(ctx: Context) -> None` that calls
`ctx.insert("table", rows)` in chunks, and add it to STEPS. `ctx` holds what the earlier
steps made: `ctx.person_org[i]` / `ctx.person_type[i]` / `ctx.person_role[i]` for person id
`ctx.first_person_id + i`, the organisation ids by type, `ctx.job_role_ids`, `ctx.courses`
and `ctx.size.records`.
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from array import array
from dataclasses import dataclass, field
from datetime import date, datetime, time as clock, timedelta, timezone
from decimal import Decimal
from pathlib import Path

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
        rows.append({
            "id": org_id,
            "name": LARGE_ORGANISATION_NAME if i == large_index else f"{type_code.replace('-', ' ').title()} {number}",
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
                                          frozenset(audience), active=active))
            next_id += 1
    ctx.insert("course", courses)
    ctx.insert("course_sector", sectors)
    ctx.insert("course_job_role", roles)
    ctx.commit()


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


def generate_uptake_rows(ctx: Context) -> None:
    """The kept uptake rows (lms.records.uptake) from the completions just generated, as
    the nightly rebuild makes them."""
    from lms.records.uptake import rebuild_uptake

    with ctx.watches.setdefault("uptake_learner", Stopwatch()).running():
        ctx.rows["uptake_learner"] = rebuild_uptake(ctx.connection)
        ctx.commit()


STEPS = [generate_areas, generate_organisations, generate_people, generate_courses, generate_completions,
         generate_uptake_rows, generate_enrolments]


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
                 "completion", "enrolment"):
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


def generate(url: str, size: Size, *, seed: int, chunk: int, fresh: bool, now: datetime) -> Context:
    from lms.accounts.services import hash_password
    from lms.compliance.baseline import load_baseline
    from lms.extensions import db
    from lms.organisations.models import JobRole, OrganisationType, Sector
    from lms.organisations.reference.services import load_reference_data

    app = make_app(url)
    if fresh:
        drop_schema(app)
    create_schema(app)
    with app.app_context():
        load_reference_data()
        requirements = load_baseline()  # the national requirements, as `flask lms seed` loads them
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
                seed=seed,
            )
            ctx.sector_ids = dict(connection.execute(select(Sector.code, Sector.id)).all())
            for code, type_id, sector_id in connection.execute(
                select(OrganisationType.code, OrganisationType.id, OrganisationType.sector_id)
            ):
                ctx.type_ids[code] = type_id
                ctx.type_sector[code] = next(s for s, i in ctx.sector_ids.items() if i == sector_id)
            ctx.job_role_ids = dict(connection.execute(select(JobRole.code, JobRole.id)).all())
            ctx.rows["requirement (national baseline)"] = requirements
            for step in STEPS:
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
