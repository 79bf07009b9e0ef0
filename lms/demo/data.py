"""A fictional borough partnership for demonstrations and local development.

`create_demo_data` builds the Hartmoor Borough Safeguarding Children Partnership: four
areas, organisations of every type in the reference data, a few hundred people with job
roles and organisation history, setting leads, and five sign-ins (see `demo_sign_ins`).
The same seed and `now` always give the same data. Rows are written with bulk INSERTs
(a handful of statements, not one per row) and the shared password is hashed once.

It is longer than the usual module (about 650 lines) on purpose: it is a script that builds
one partnership from the top down, areas to organisations to people to their history, and
reads best in that order in one place; its sessions and training history live beside it in
sessions.py and history.py.
"""
from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from faker import Faker
from sqlalchemy import insert, select

from lms.accounts.models import Employment, PersonRole, SettingLead, User
from lms.accounts.services import hash_password
from lms.audit import services as audit
from lms.core.time import london_today
from lms.extensions import db
from lms.organisations.models import Area, JobRole, JoinRequest, Organisation, OrganisationType, Sector
from lms.organisations.reference.services import load_reference_data

from . import names

DEMO_PASSWORD = "demo safeguarding training 2026"
DEMO_DOMAIN = "demo.example"

# The sign-ins: email, full name, what they can do.
ADMIN = ("admin@demo.example", "Morgan Ellis", "partnership admin")
TRAINER = ("trainer@demo.example", "Sam Okafor", "trainer: learning and improvement officer")
DSL = ("dsl@demo.example", "Rachel Whitfield", f"setting lead: designated safeguarding lead at {names.DEMO_PRIMARY_SCHOOL}")
TEACHER = ("teacher@demo.example", "Daniel Price", f"practitioner: teacher at {names.DEMO_PRIMARY_SCHOOL}")
NURSERY = ("nursery@demo.example", "Aisha Karim", f"setting lead: nursery manager at {names.DEMO_NURSERY}")
SIGN_INS = [ADMIN, TRAINER, DSL, TEACHER, NURSERY]

# How many of each organisation type to invent (the named ones are in names.FIXED_ORGANISATIONS).
GENERATED_ORGANISATIONS = {
    "primary-school": 60,
    "secondary-school": 12,
    "special-school": 4,
    "independent-school": 3,
    "day-nursery": 18,
    "pre-school": 10,
    "childminder": 25,
    "out-of-school-club": 6,
    "school-nursery": 5,
    "childrens-centre": 4,
    "charity": len(names.CHARITIES),
    "faith-group": len(names.FAITH_GROUPS),
    "sports-youth": len(names.SPORTS_YOUTH),
    "gp-practice": 14,
}

# Staffing per organisation type: (job role codes, fewest, most, leads the setting).
# A post's first role is held from the day the person joined, the others from later
# (a teacher who became the DSL). Every school has exactly one DSL, its setting lead.
_SCHOOL_LEADERSHIP = [
    (("teacher", "school-dsl"), 1, 1, True),
    (("head-teacher", "safer-recruitment-panel"), 1, 1, False),
]
STAFFING: dict[str, list[tuple[tuple[str, ...], int, int, bool]]] = {
    "primary-school": _SCHOOL_LEADERSHIP + [
        (("teacher", "deputy-dsl"), 0, 1, False),
        (("teacher",), 1, 1, False),
        (("teaching-assistant",), 0, 1, False),
        (("governor",), 0, 1, False),
    ],
    "secondary-school": _SCHOOL_LEADERSHIP + [
        (("teacher", "deputy-dsl"), 1, 1, False),
        (("school-staff", "deputy-dsl"), 1, 1, False),
        (("teacher",), 2, 4, False),
        (("teaching-assistant",), 1, 1, False),
        (("school-staff",), 0, 1, False),
        (("governor", "safer-recruitment-panel"), 1, 1, False),
    ],
    "all-through-school": _SCHOOL_LEADERSHIP + [
        (("teacher", "deputy-dsl"), 2, 2, False),
        (("teacher",), 3, 4, False),
        (("teaching-assistant",), 2, 2, False),
        (("school-staff",), 1, 1, False),
        (("governor",), 1, 1, False),
    ],
    "special-school": _SCHOOL_LEADERSHIP + [
        (("teacher", "deputy-dsl"), 1, 1, False),
        (("teacher",), 1, 2, False),
        (("teaching-assistant",), 2, 3, False),
    ],
    "independent-school": _SCHOOL_LEADERSHIP + [
        (("teacher",), 2, 3, False),
        (("school-staff",), 0, 1, False),
        (("governor",), 1, 1, False),
    ],
    "alternative-provision": _SCHOOL_LEADERSHIP + [
        (("teacher",), 1, 2, False),
        (("teaching-assistant",), 1, 1, False),
    ],
    "fe-college": [
        (("school-staff", "school-dsl"), 1, 1, True),
        (("teacher", "deputy-dsl"), 1, 2, False),
        (("teacher",), 2, 3, False),
        (("school-staff",), 1, 2, False),
    ],
    "mat-central": [
        (("other", "safer-recruitment-panel"), 1, 1, True),
        (("school-staff",), 1, 1, False),
        (("governor",), 1, 2, False),
    ],
    "day-nursery": [
        (("ey-practitioner", "ey-dsl"), 1, 1, True),
        (("ey-practitioner",), 1, 3, False),
    ],
    "pre-school": [
        (("ey-practitioner", "ey-dsl"), 1, 1, True),
        (("ey-practitioner",), 1, 2, False),
    ],
    "childminder": [
        (("childminder",), 1, 1, True),
    ],
    "out-of-school-club": [
        (("ey-practitioner", "ey-dsl"), 1, 1, True),
        (("ey-practitioner",), 1, 2, False),
    ],
    "school-nursery": [
        (("ey-practitioner", "ey-dsl"), 1, 1, True),
        (("ey-practitioner",), 1, 2, False),
    ],
    "childrens-centre": [
        (("ey-dsl",), 1, 1, True),
        (("ey-practitioner",), 1, 2, False),
        (("other",), 0, 1, False),
    ],
    "charity": [
        (("vcs-lead",), 1, 1, True),
        (("vcs-staff",), 1, 3, False),
    ],
    "faith-group": [
        (("vcs-lead",), 1, 1, True),
        (("vcs-staff",), 1, 2, False),
    ],
    "sports-youth": [
        (("vcs-lead",), 1, 1, True),
        (("vcs-staff",), 1, 3, False),
    ],
    "hospital-trust": [
        (("health-l1",), 2, 2, False),
        (("health-l2",), 2, 2, False),
        (("health-l3",), 4, 5, False),
        (("health-l4",), 1, 1, False),
    ],
    "community-health": [
        (("health-l3",), 3, 4, False),
        (("health-l4",), 0, 1, False),
    ],
    "mental-health-trust": [
        (("health-l2",), 1, 1, False),
        (("health-l3",), 2, 3, False),
        (("health-l4",), 1, 1, False),
    ],
    "gp-practice": [
        (("health-l1",), 1, 2, False),
        (("health-l2",), 0, 1, False),
        (("health-l3",), 1, 2, False),
    ],
    "icb": [
        (("health-l5",), 2, 2, False),
        (("health-l4",), 1, 1, False),
        (("health-l1",), 1, 1, False),
    ],
    "police": [(("police-officer",), 2, 4, False)],
    "childrens-social-care": [
        (("social-worker",), 3, 4, False),
        (("other",), 0, 1, False),
    ],
    "early-help": [
        (("other",), 2, 2, False),
        (("social-worker",), 0, 1, False),
    ],
    "education-inclusion": [(("other",), 2, 3, False)],
    "youth-justice": [
        (("social-worker",), 1, 1, False),
        (("other",), 2, 2, False),
    ],
    "housing": [(("other",), 2, 2, False)],
    "council-other": [(("other",), 1, 2, False)],
    "probation": [(("other",), 2, 2, False)],
    "fire-rescue": [(("other",), 2, 2, False)],
    "cafcass": [(("social-worker",), 2, 2, False)],
    "childrens-home": [
        (("social-worker",), 1, 1, False),
        (("other",), 2, 3, False),
    ],
    "fostering-agency": [(("social-worker",), 2, 3, False)],
    "adult-social-care": [(("social-worker",), 2, 2, False)],
}

# Types given a DfE URN, and those with an Ofsted registration number (prefix).
URN_TYPES = {"primary-school", "secondary-school", "all-through-school", "special-school",
             "independent-school", "alternative-provision", "fe-college"}
OFSTED_PREFIX = {"day-nursery": "EY", "pre-school": "EY", "childminder": "EY", "out-of-school-club": "EY",
                 "childrens-home": "SC", "fostering-agency": "SC"}
_POSTCODE_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"


@dataclass
class DemoData:
    """What `create_demo_data` added."""

    partnership: str
    areas: int
    organisations: int
    organisation_types: int
    people: int
    job_roles: int
    employments: int
    setting_leads: int

    def summary(self) -> str:
        return (
            f"Created the fictional {self.partnership}: {self.areas} areas, "
            f"{self.organisations} organisations of {self.organisation_types} types, "
            f"{self.people} people with {self.job_roles} job roles and {self.employments} employments, "
            f"{self.setting_leads} setting leads."
        )


def demo_sign_ins() -> list[str]:
    """One line per demo sign-in, then the shared password."""
    lines = [f"{email}  ({description})" for email, _, description in SIGN_INS]
    lines.append(f"Password for every demo sign-in: {DEMO_PASSWORD}")
    return lines


def create_demo_data(*, if_empty: bool, seed: int, now: datetime) -> DemoData | None:
    """Load the demo partnership. Returns None, adding nothing, if `if_empty` and people
    already exist, or if the demo sign-ins are already there. Flushes; the caller commits."""
    load_reference_data()
    if if_empty and db.session.scalar(select(User.id).limit(1)) is not None:
        return None
    demo_emails = [email for email, _, _ in SIGN_INS]
    if db.session.scalar(select(User.id).where(User.email.in_(demo_emails)).limit(1)) is not None:
        return None
    builder = _Builder(seed=seed, now=now)
    builder.plan()
    result = builder.write()
    audit.record(None, "demo.create", summary=result.summary(), now=now,
                 after={"seed": seed, "people": result.people, "organisations": result.organisations})
    db.session.flush()
    return result


# --- planning: everything is decided in memory first, from one seeded generator ----------

@dataclass
class _Org:
    type_code: str
    name: str
    area_code: str | None
    address: str
    postcode: str
    urn: str | None = None
    sector_code: str | None = None  # overrides the type's sector
    id: int | None = None


@dataclass
class _Person:
    full_name: str
    email: str
    org: _Org | None
    roles: list[tuple[str, date, date | None]]
    employments: list[tuple[_Org, date, date | None]] = field(default_factory=list)
    leads: list[_Org] = field(default_factory=list)
    is_admin: bool = False
    is_trainer: bool = False
    created_at: datetime | None = None
    last_sign_in_at: datetime | None = None
    # Registered into an organisation whose lead has not yet confirmed them.
    asking_to_join: _Org | None = None
    id: int | None = None


class _Builder:
    def __init__(self, *, seed: int, now: datetime):
        self.rng = random.Random(seed)
        self.fake = Faker("en_GB")
        self.fake.seed_instance(seed)
        self.now = now
        self.today = london_today(now)
        self.earliest = self.today - timedelta(days=3652)  # ten years of history
        self.latest = self.today - timedelta(days=30)
        self.areas = {code: (name, localities, districts) for code, name, localities, districts in names.AREAS}
        self.orgs: list[_Org] = []
        self.people: list[_Person] = []
        self._names_used: set[str] = set()
        self._emails_used: set[str] = {email for email, _, _ in SIGN_INS}
        self._references_used: set[str] = set()

    # -- organisations --

    def plan(self) -> None:
        self._plan_organisations()
        self._plan_people()

    def _unique_name(self, make) -> str:
        for _ in range(200):
            name = make()
            if name not in self._names_used:
                self._names_used.add(name)
                return name
        raise RuntimeError("Ran out of demo organisation names")  # a bug in the name lists

    def _reference(self, prefix: str, low: int, high: int) -> str:
        while True:
            value = f"{prefix}{self.rng.randint(low, high)}"
            if value not in self._references_used:
                self._references_used.add(value)
                return value

    def _address(self, area_code: str | None, *, number: bool = True) -> tuple[str, str, str]:
        """(address, postcode, locality) somewhere in the area (anywhere if None)."""
        code = area_code or self.rng.choice(list(self.areas))
        _, localities, districts = self.areas[code]
        locality = self.rng.choice(localities)
        street = self.rng.choice(names.STREETS)
        first_line = f"{self.rng.randint(1, 180)} {street}" if number else street
        postcode = (
            f"{names.POSTCODE_AREA}{self.rng.choice(districts)} {self.rng.randint(1, 9)}"
            f"{self.rng.choice(_POSTCODE_LETTERS)}{self.rng.choice(_POSTCODE_LETTERS)}"
        )
        return f"{first_line}\n{locality}\n{names.BOROUGH}", postcode, locality

    def _add_org(self, type_code: str, name_for, area_code: str | None, **extra) -> _Org:
        address, postcode, locality = self._address(area_code, number=type_code not in URN_TYPES)
        name = self._unique_name(lambda: name_for(locality))
        urn = None
        if type_code in URN_TYPES:
            urn = self._reference("", 190001, 199999)
        elif type_code in OFSTED_PREFIX:
            urn = self._reference(OFSTED_PREFIX[type_code], 900001, 999999)
        org = _Org(type_code=type_code, name=name, area_code=area_code, address=address, postcode=postcode, urn=urn, **extra)
        self.orgs.append(org)
        return org

    def _plan_organisations(self) -> None:
        rng = self.rng
        features = [word for word in names.FEATURES if word not in ("Larkrise",)]
        area_codes = list(self.areas)

        def pick_area(index: int) -> str:
            return area_codes[index % len(area_codes)]

        def primary_name(locality: str) -> str:
            pattern = rng.randrange(7)
            if pattern == 0:
                return f"{locality} Primary School"
            if pattern == 1:
                return f"St {rng.choice(names.SAINTS)}'s Church of England Primary School"
            if pattern == 2:
                return f"St {rng.choice(names.SAINTS)}'s Catholic Primary School"
            if pattern == 3:
                return f"{locality} {rng.choice(['Infant', 'Junior'])} School"
            if pattern == 4:
                return f"{rng.choice(features)} Primary Academy"
            return f"{rng.choice(features)} Primary School"

        def secondary_name(locality: str) -> str:
            return rng.choice([
                f"{locality} Academy", f"{rng.choice(features)} High School", f"{locality} School",
                f"St {rng.choice(names.SAINTS)}'s Catholic High School", f"{locality} Community College",
            ])

        generators = {
            "secondary-school": secondary_name,
            "special-school": lambda locality: rng.choice([f"{rng.choice(features)} School", f"{locality} Special School"]),
            "independent-school": lambda locality: rng.choice([f"{locality} Preparatory School", f"{rng.choice(features)} House School"]),
            "day-nursery": lambda locality: rng.choice([f"{rng.choice(features)} Day Nursery", f"{locality} Day Nursery",
                                                        f"Little {rng.choice(features)} Nursery"]),
            "pre-school": lambda locality: rng.choice([f"{locality} Pre-School", f"{rng.choice(features)} Playgroup"]),
            "out-of-school-club": lambda locality: rng.choice([f"{rng.choice(features)} Kids Club",
                                                               f"{locality} Breakfast and After School Club"]),
            "childrens-centre": lambda locality: f"{locality} Children's Centre",
            "gp-practice": lambda locality: rng.choice([f"{locality} Medical Centre", f"{rng.choice(features)} Surgery",
                                                        f"{locality} Health Centre", f"The {rng.choice(features)} Practice"]),
        }

        # The demo sign-ins' school and nursery come first, with fixed names.
        self.demo_primary = self._add_org("primary-school", lambda _: names.DEMO_PRIMARY_SCHOOL, "north")
        for index in range(1, GENERATED_ORGANISATIONS["primary-school"]):
            self._add_org("primary-school", primary_name, pick_area(index))
        self.demo_nursery = self._add_org("day-nursery", lambda _: names.DEMO_NURSERY, "north")

        for type_code, how_many in GENERATED_ORGANISATIONS.items():
            if type_code in ("primary-school", "childminder", "school-nursery", "charity", "faith-group", "sports-youth"):
                continue
            already = 1 if type_code == "day-nursery" else 0
            for index in range(already, how_many):
                extra = {}
                if type_code == "childrens-centre" and index == how_many - 1:
                    extra["sector_code"] = "vcs"  # run by a charity, so it counts as voluntary sector
                self._add_org(type_code, generators[type_code], pick_area(index), **extra)

        primaries = [org for org in self.orgs if org.type_code == "primary-school"]
        for index, school in enumerate(rng.sample(primaries, GENERATED_ORGANISATIONS["school-nursery"])):
            self._add_org("school-nursery", lambda _, school=school: f"{school.name} Nursery", school.area_code)

        for type_code, templates in (("charity", names.CHARITIES), ("faith-group", names.FAITH_GROUPS),
                                     ("sports-youth", names.SPORTS_YOUTH)):
            for index, template in enumerate(templates):
                self._add_org(
                    type_code,
                    lambda locality, template=template: template.format(locality=locality, saint=rng.choice(names.SAINTS)),
                    pick_area(index),
                )

        for type_code, name, area_code in names.FIXED_ORGANISATIONS:
            self._add_org(type_code, lambda _, name=name: name, area_code)
        self.business_unit = next(org for org in self.orgs if org.name == names.BUSINESS_UNIT)

        # Childminders are one-person organisations named after the childminder.
        self.childminder_names = []
        for index in range(GENERATED_ORGANISATIONS["childminder"]):
            full_name = self._person_name()
            self.childminder_names.append(full_name)
            self._add_org("childminder", lambda _, full_name=full_name: f"{full_name} (childminder)", pick_area(index))

    # -- people --

    def _person_name(self) -> str:
        return f"{self.fake.first_name()} {self.fake.last_name()}"

    def _email(self, full_name: str, org: _Org | None) -> str:
        if org is None or org.type_code == "childminder":
            domain = "mail.example"
        else:
            words = [w for w in re.sub(r"[^a-z ]", "", org.name.split(":")[0].lower()).split() if w not in {"and", "the", "of"}]
            domain = "-".join(words[:3]) + ".example"
        local = re.sub(r"[^a-z.]", "", full_name.lower().replace(" ", "."))
        email = f"{local}@{domain}"
        number = 2
        while email in self._emails_used:
            email = f"{local}{number}@{domain}"
            number += 1
        self._emails_used.add(email)
        return email

    def _date_between(self, start: date, end: date) -> date:
        if end <= start:
            return start
        # random() always takes the same share of the generator's stream, whatever the
        # range, so the same seed gives the same people whatever `now` is.
        return start + timedelta(days=int(self.rng.random() * ((end - start).days + 1)))

    def _new_person(self, org: _Org | None, role_codes: tuple[str, ...], *, full_name: str | None = None,
                    email: str | None = None) -> _Person:
        rng = self.rng
        full_name = full_name or self._person_name()
        email = email or self._email(full_name, org)
        started = self._date_between(self.earliest, self.latest)
        person = _Person(full_name=full_name, email=email, org=org, roles=[])
        first_role_start = started
        if org is not None:
            # Some people came from another organisation of the same type.
            others = [o for o in self._orgs_by_type.get(org.type_code, []) if o is not org]
            if others and org.type_code != "childminder" and (started - self.earliest).days > 400 and rng.random() < 0.15:
                previous_start = self._date_between(self.earliest, started - timedelta(days=365))
                person.employments.append((rng.choice(others), previous_start, started))
                first_role_start = previous_start
            person.employments.append((org, started, None))
        for position, code in enumerate(role_codes):
            role_start = first_role_start if position == 0 else self._date_between(started, self.latest)
            person.roles.append((code, role_start, None))
        # A few teachers started as teaching assistants.
        if role_codes == ("teacher",) and (self.latest - started).days > 400 and rng.random() < 0.2:
            promoted = self._date_between(started + timedelta(days=365), self.latest)
            person.roles = [("teaching-assistant", first_role_start, promoted), ("teacher", promoted, None)]
        # Registered in the last two years, and not before joining their organisation.
        registered_from = max(started, self.today - timedelta(days=700))
        created = datetime.combine(self._date_between(registered_from, self.today - timedelta(days=1)), time(8),
                                   tzinfo=timezone.utc) + timedelta(minutes=rng.randint(0, 600))
        person.created_at = created
        if rng.random() < 0.75:
            since = (self.now - created).total_seconds()
            person.last_sign_in_at = created + timedelta(seconds=60 + int(rng.random() * max(since - 60, 0)))
        self.people.append(person)
        return person

    def _plan_people(self) -> None:
        rng = self.rng
        self._orgs_by_type: dict[str, list[_Org]] = {}
        for org in self.orgs:
            self._orgs_by_type.setdefault(org.type_code, []).append(org)

        childminders = iter(self.childminder_names)
        for org in self.orgs:
            staffing = STAFFING[org.type_code]
            if org.type_code == "primary-school" and org is not self.demo_primary and rng.random() < 0.25:
                # In a small primary the head teacher is often the DSL as well.
                staffing = [(("head-teacher", "school-dsl", "safer-recruitment-panel"), 1, 1, True)] + staffing[2:]
            for role_codes, fewest, most, leads in staffing:
                for _ in range(rng.randint(fewest, most)):
                    if org is self.demo_primary and leads:
                        person = self._demo_person(DSL, org, role_codes)
                    elif org is self.demo_nursery and leads:
                        person = self._demo_person(NURSERY, org, role_codes)
                    elif org.type_code == "childminder":
                        person = self._new_person(org, role_codes, full_name=next(childminders))
                    else:
                        person = self._new_person(org, role_codes)
                    if leads:
                        person.leads.append(org)
            if org is self.demo_primary:
                self._demo_person(TEACHER, org, ("teacher",))
            if org is self.business_unit:
                admin = self._demo_person(ADMIN, org, ("other",))
                admin.is_admin = True
                trainer = self._demo_person(TRAINER, org, ("other",))
                trainer.is_trainer = True

        # Partner-agency facilitators who also train, and a second admin.
        for type_code in ("education-inclusion", "childrens-social-care", "police"):
            staff = [p for p in self.people if p.org is not None and p.org.type_code == type_code]
            rng.choice(staff).is_trainer = True
        business_unit_staff = [p for p in self.people if p.org is self.business_unit and not (p.is_admin or p.is_trainer)]
        rng.choice(business_unit_staff).is_admin = True

        # People with no organisation: a supply teacher through an agency and a tutor.
        self._new_person(None, ("teacher",))
        self._new_person(None, ("other",))

        # People who registered into the demo primary school in the last few days and are
        # asking to join it, for its DSL to confirm (two new starters) or not (a stranger).
        for role_codes, school_email in ((("teacher",), True), (("teaching-assistant",), True), (("school-staff",), False)):
            full_name = self._person_name()
            email = self._email(full_name, self.demo_primary if school_email else None)
            person = self._new_person(None, role_codes, full_name=full_name, email=email)
            person.created_at = self.now - timedelta(days=rng.randint(1, 6), hours=rng.randint(0, 8))
            person.last_sign_in_at = person.created_at + timedelta(minutes=20)
            person.roles = [(code, self.today - timedelta(days=rng.randint(2, 40)), None) for code in role_codes]
            person.asking_to_join = self.demo_primary

    def _demo_person(self, sign_in: tuple[str, str, str], org: _Org, role_codes: tuple[str, ...]) -> _Person:
        email, full_name, _ = sign_in
        person = self._new_person(org, role_codes, full_name=full_name, email=email)
        person.created_at = self.now - timedelta(days=400)
        person.last_sign_in_at = self.now - timedelta(days=3)
        return person

    # -- writing: a few bulk INSERTs --

    def write(self) -> DemoData:
        session = db.session
        sectors = dict(session.execute(select(Sector.code, Sector.id)).all())
        types = {row.code: row for row in session.execute(select(OrganisationType.code, OrganisationType.id,
                                                                 OrganisationType.sector_id))}
        job_roles = dict(session.execute(select(JobRole.code, JobRole.id)).all())
        area_ids = self._write_areas()

        org_rows = [
            {
                "name": org.name,
                "type_id": types[org.type_code].id,
                "sector_id": sectors[org.sector_code] if org.sector_code else types[org.type_code].sector_id,
                "area_id": area_ids[org.area_code] if org.area_code else None,
                "urn": org.urn,
                "address": org.address,
                "postcode": org.postcode,
                "active": True,
                "created_at": self.now,
            }
            for org in self.orgs
        ]
        for org, org_id in zip(self.orgs, _insert_returning_ids(
            Organisation, org_rows, ("name", "address", "postcode"), where=Organisation.created_at == self.now
        )):
            org.id = org_id

        self._avoid_existing_emails()
        password_hash = hash_password(DEMO_PASSWORD)
        user_rows = [
            {
                "email": person.email,
                "full_name": person.full_name,
                "password_hash": password_hash,
                "email_confirmed_at": person.created_at + timedelta(minutes=12),
                "is_admin": person.is_admin,
                "is_trainer": person.is_trainer,
                "active": True,
                "organisation_id": person.org.id if person.org else None,
                "created_at": person.created_at,
                "last_sign_in_at": person.last_sign_in_at,
            }
            for person in self.people
        ]
        for person, user_id in zip(self.people, _insert_returning_ids(User, user_rows, ("email",))):
            person.id = user_id

        role_rows = [
            {"user_id": p.id, "job_role_id": job_roles[code], "started_on": started, "ended_on": ended}
            for p in self.people for code, started, ended in p.roles
        ]
        employment_rows = [
            {"user_id": p.id, "organisation_id": org.id, "started_on": started, "ended_on": ended}
            for p in self.people for org, started, ended in p.employments
        ]
        lead_rows = [
            {"user_id": p.id, "organisation_id": org.id, "created_at": self.now} for p in self.people for org in p.leads
        ]
        join_rows = [
            {"user_id": p.id, "organisation_id": p.asking_to_join.id, "started_on": p.roles[0][1],
             "requested_at": p.created_at, "notified_at": p.created_at + timedelta(minutes=12)}
            for p in self.people if p.asking_to_join is not None
        ]
        for model, rows in ((PersonRole, role_rows), (Employment, employment_rows), (SettingLead, lead_rows),
                            (JoinRequest, join_rows)):
            if rows:
                session.execute(insert(model.__table__), rows)

        return DemoData(
            partnership=names.PARTNERSHIP_NAME,
            areas=len(self.areas),
            organisations=len(self.orgs),
            organisation_types=len({org.type_code for org in self.orgs}),
            people=len(self.people),
            job_roles=len(role_rows),
            employments=len(employment_rows),
            setting_leads=len(lead_rows),
        )

    def _write_areas(self) -> dict[str, int]:
        """The four areas, reusing any that already exist with the same code."""
        existing = dict(db.session.execute(select(Area.code, Area.id).where(Area.code.in_(list(self.areas)))).all())
        missing = [
            {"code": code, "name": name, "position": position}
            for position, (code, (name, _, _)) in enumerate(self.areas.items())
            if code not in existing
        ]
        if missing:
            existing.update(zip([row["code"] for row in missing], _insert_returning_ids(Area, missing, ("code",))))
        return existing

    def _avoid_existing_emails(self) -> None:
        """Give a generated person another address if an account already has theirs."""
        generated = [p.email for p in self.people]
        taken = set(db.session.scalars(select(User.email).where(User.email.in_(generated))))
        if not taken:
            return
        self._emails_used |= taken
        for person in self.people:
            if person.email in taken:
                local, domain = person.email.split("@")
                number = 2
                while f"{local}{number}@{domain}" in self._emails_used:
                    number += 1
                person.email = f"{local}{number}@{domain}"
                self._emails_used.add(person.email)


def _insert_returning_ids(model, rows: list[dict], key: tuple[str, ...], *, where=None) -> list[int]:
    """Bulk INSERT the rows, then read their new ids back in one SELECT, matched on `key`
    (columns that tell the new rows apart), in the order of `rows`.

    Two statements whatever the number of rows (a few more past the driver's batch size).
    INSERT ... RETURNING with a guaranteed order would fall back to one statement per row
    on SQLite.
    """
    if not rows:
        return []
    table = model.__table__
    db.session.execute(insert(table), rows)
    columns = [table.c[name] for name in key]
    query = select(table.c.id, *columns).where(columns[0].in_(sorted({row[key[0]] for row in rows})))
    if where is not None:
        query = query.where(where)
    ids = {tuple(found[1:]): found[0] for found in db.session.execute(query)}
    return [ids[tuple(row[name] for name in key)] for row in rows]
