"""Sessions for the demo partnership: a believable term of face-to-face courses at venues
in the four areas, virtual sessions, the DSL network twilight series (demo/twilights.py), an
outreach session for the demo primary school, and the bookings on them.

Everything goes through the booking services (create_session, book, decide, cancel, mark), so
the data keeps the engine's rules: nobody is overbooked, waiting lists are in order, and
attendance writes the training record. Past sessions are built by running the services
with earlier `now`s. The demo emails nobody: the booking emails the services queue along
the way are removed at the end. Run after create_demo_data and create_demo_history; the
caller commits (and rebuilds the compliance status table)."""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import delete, func, select
from sqlalchemy.orm import selectinload

from lms.accounts.models import SettingLead, User
from lms.bookings import services
from lms.bookings.models import TrainingSession
from lms.bookings.registers import services as registers
from lms.bookings.sessions import services as sessions
from lms.bookings.workdays import is_working_day
from lms.catalogue.models import Course
from lms.courses.sessions import services as course_sessions
from lms.core.errors import DomainError
from lms.core.time import LONDON, as_utc, london_today
from lms.extensions import db
from lms.notifications.models import OutboundEmail
from lms.organisations.models import Area, JobRole, Organisation, OrganisationType, Sector

from . import names
from .data import ADMIN, TRAINER

OUTREACH_COURSE = {
    "code": "OUTREACH",
    "title": "Whole-staff safeguarding training at your setting",
    "summary": "A partnership trainer comes to your school or setting to train the whole staff team together: "
               "recognising concerns, recording and reporting them, and your own procedures.",
    "delivery_mode": "outreach",
    "cpd_hours": Decimal("2"),
    "level": 1,
}

# area code -> (venue, address, postcode, access notes)
VENUES = {
    "north": ("Ashcombe Community Centre, Meeting Room 1", "14 Station Road\nAshcombe\nHartmoor", "HM2 4QT",
              "Step-free entrance from the car park. Hearing loop in Meeting Room 1."),
    "south": ("Fenmarsh Library, Lowry Room", "Market Place\nFenmarsh\nHartmoor", "HM6 2LD",
              "Lift to the first floor. Pay-and-display parking on Mill Road."),
    "east": ("Dunholt Civic Centre, Committee Room 3", "Victoria Street\nDunholt\nHartmoor", "HM10 1AB",
             "Accessible toilets on every floor. Visitor parking behind the building."),
    "west": ("Saltmere Family Hub", "2 Orchard Way\nSaltmere\nHartmoor", "HM14 7RS",
             "All on the ground floor, step-free. Parking is limited: please share a car if you can."),
}

# Who each course is for: (sector codes, job role codes); empty means everyone.
AUDIENCES = {
    "DSL-NEW": ((), ("school-dsl", "deputy-dsl")),
    "DSL-REFRESH": ((), ("school-dsl", "deputy-dsl")),
    "TWILIGHT": ((), ("school-dsl", "deputy-dsl")),
    "SR": ((), ("safer-recruitment-panel", "head-teacher", "governor")),
    "GOV": ((), ("governor",)),
    "EY-ANNEXC": (("early-years",), ()),
    "WT": (("health", "police", "local-authority", "other-statutory"), ()),
    "OUTREACH": ((), ()),
}


@dataclass
class _Plan:
    code: str
    days: int                 # from today, moved on to a working day
    starts: time
    ends: time
    where: str                # an area code, "online", "school:<area>" (a host school) or "outreach"
    capacity: int
    wanted: int               # how many try to book (beyond capacity: the waiting list)
    minimum: int = 0
    approval: bool = False
    marked: bool = False      # past: the register is marked
    late_cancel: bool = False  # past: one person cancels after the cut-off
    offer: bool = False       # upcoming and full: one person cancels, so a place is offered
    opens_in: int | None = None  # booking opens this many days from today


def _plans() -> list[_Plan]:
    t = time
    return [
        # Last term and the weeks since.
        _Plan("DSL-NEW", -63, t(9, 30), t(16, 0), "north", 16, 14, minimum=8, marked=True),
        _Plan("WT", -49, t(9, 30), t(16, 0), "east", 24, 16, minimum=10, marked=True),
        _Plan("EY-ANNEXC", -42, t(9, 30), t(15, 30), "south", 18, 18, minimum=8, marked=True, late_cancel=True),
        _Plan("DSL-REFRESH", -35, t(9, 30), t(15, 30), "online", 30, 16, marked=True),
        _Plan("GOV", -20, t(18, 30), t(20, 30), "online", 40, 14),
        _Plan("SR", -13, t(9, 30), t(15, 30), "west", 16, 10, minimum=6),
        # Coming up.
        _Plan("DSL-NEW", 10, t(9, 30), t(16, 0), "north", 12, 15, minimum=8, offer=True),
        _Plan("DSL-REFRESH", 12, t(9, 30), t(15, 30), "online", 30, 18, minimum=10),
        _Plan("EY-ANNEXC", 17, t(9, 30), t(15, 30), "south", 16, 18, minimum=8),
        _Plan("GOV", 19, t(18, 30), t(20, 30), "online", 40, 12),
        _Plan("SR", 24, t(9, 30), t(15, 30), "west", 16, 12, minimum=6, approval=True),
        _Plan("OUTREACH", 26, t(15, 45), t(17, 45), "outreach", 25, 6),
        _Plan("WT", 31, t(9, 30), t(16, 0), "east", 24, 9, minimum=12),
        _Plan("DSL-NEW", 52, t(9, 30), t(16, 0), "east", 16, 4, minimum=8),
        _Plan("EY-ANNEXC", 66, t(9, 30), t(15, 30), "north", 18, 3, minimum=8),
        _Plan("DSL-REFRESH", 80, t(9, 30), t(15, 30), "online", 30, 0, opens_in=20),
    ]


@dataclass
class DemoSessions:
    sessions: int = 0
    bookings: int = 0
    marked: int = 0
    certificates: int = 0
    evaluations: int = 0
    session_ids: list[int] = field(default_factory=list)

    def summary(self) -> str:
        return (f"Sessions: {self.sessions} sessions with {self.bookings} bookings; {self.marked} marked on registers; "
                f"{self.evaluations} evaluations; {self.certificates} certificates issued.")


def _working_day(day: date) -> date:
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def _at(day: date, clock: time) -> datetime:
    return as_utc(datetime.combine(day, clock, tzinfo=LONDON))


def _outreach_course(now: datetime) -> Course:
    course = db.session.scalar(select(Course).where(Course.code == OUTREACH_COURSE["code"]))
    if course is None:
        course = Course(**OUTREACH_COURSE, learning_outcomes=[], requirement_codes=[], managed_by="admin",
                        created_at=now, updated_at=now)
        db.session.add(course)
        db.session.flush()
    return course


class _People:
    """The demo's people, loaded once with what booking needs (roles, organisation)."""

    def __init__(self):
        self.users = list(db.session.scalars(
            select(User).where(User.active.is_(True), User.email.like("%.example"))
            .options(selectinload(User.roles), selectinload(User.organisation))
            .order_by(User.id)
        ))
        self.role_codes = dict(db.session.execute(select(JobRole.id, JobRole.code)).all())
        self.sector_codes = dict(db.session.execute(select(Sector.id, Sector.code)).all())
        self.area_codes = dict(db.session.execute(select(Area.id, Area.code)).all())
        self.leads: dict[int, list[int]] = {}
        for user_id, organisation_id in db.session.execute(select(SettingLead.user_id, SettingLead.organisation_id)):
            self.leads.setdefault(organisation_id, []).append(user_id)
        self.by_id = {user.id: user for user in self.users}
        self.by_email = {user.email: user for user in self.users}

    def pool(self, code: str, *, area: str | None = None, organisation_id: int | None = None) -> list[User]:
        sectors, roles = AUDIENCES[code]
        found = []
        for user in self.users:
            if user.is_admin or user.is_trainer or user.organisation is None:
                continue
            if organisation_id is not None and user.organisation_id != organisation_id:
                continue
            if area is not None and self.area_codes.get(user.organisation.area_id) != area:
                continue
            if sectors and self.sector_codes.get(user.organisation.sector_id) not in sectors:
                continue
            if roles and not {self.role_codes[r.job_role_id] for r in user.current_roles} & set(roles):
                continue
            found.append(user)
        return found

    def lead_of(self, user: User) -> User | None:
        for lead_id in self.leads.get(user.organisation_id, []):
            if lead_id != user.id:
                return self.by_id.get(lead_id)
        return None


def add_demo_sessions(now: datetime, rng: random.Random) -> DemoSessions:
    """Add the demo's sessions and bookings (see the module docstring). Flushes only."""
    today = london_today(now)
    last_email = db.session.scalar(select(func.max(OutboundEmail.id))) or 0
    admin = db.session.scalar(select(User).where(User.email == ADMIN[0]))
    lead_trainer = db.session.scalar(select(User).where(User.email == TRAINER[0]))
    if admin is None or lead_trainer is None:
        raise RuntimeError("Load the demo partnership (create_demo_data) before its sessions")
    other_trainers = list(db.session.scalars(
        select(User).where(User.is_trainer.is_(True), User.id != lead_trainer.id).order_by(User.id)
    ))
    courses = {c.code: c for c in db.session.scalars(select(Course).where(Course.code.in_(list(AUDIENCES))))}
    courses["OUTREACH"] = _outreach_course(now)
    for code in EVALUATED:
        courses[code].asks_for_evaluation = True
    areas = {a.code: a for a in db.session.scalars(select(Area))}
    sectors = {s.code: s for s in db.session.scalars(select(Sector))}
    roles = {r.code: r for r in db.session.scalars(select(JobRole))}
    schools = {}
    for organisation in db.session.scalars(
        select(Organisation).join(OrganisationType, OrganisationType.id == Organisation.type_id)
        .where(OrganisationType.code == "primary-school", Organisation.active.is_(True)).order_by(Organisation.id)
    ):
        if organisation.area is not None:
            schools.setdefault(organisation.area.code, []).append(organisation)
    demo_school = db.session.scalar(select(Organisation).where(Organisation.name == names.DEMO_PRIMARY_SCHOOL))
    people = _People()
    result = DemoSessions()

    for plan in _plans():
        course = courses.get(plan.code)
        if course is None:
            continue  # a partnership course the demo history did not add
        day = _working_day(today + timedelta(days=plan.days))
        starts_at, ends_at = _at(day, plan.starts), _at(day, plan.ends)
        created = min(now, starts_at - timedelta(days=70))
        details = sessions.SessionDetails(
            course=course, starts_at=starts_at, ends_at=ends_at, capacity=plan.capacity, minimum=plan.minimum,
            signup_closes_at=_at(day - timedelta(days=1), time(17, 0)),
            signup_opens_at=_at(today + timedelta(days=plan.opens_in), time(0, 0)) if plan.opens_in else None,
            requires_approval=plan.approval,
            trainers=[lead_trainer] + ([rng.choice(other_trainers)] if other_trainers and rng.random() < 0.4 else []),
            sectors=[sectors[c] for c in AUDIENCES[plan.code][0]],
            roles=[roles[c] for c in AUDIENCES[plan.code][1]],
        )
        area_code = None
        if plan.where == "online":
            details.location_kind = "online"
            details.joining_url = f"https://meet.example.org/hartmoor/{course.code.lower()}-{day:%Y%m%d}"
            meeting = f"{rng.randint(100, 999)} {rng.randint(100, 999)} {rng.randint(1000, 9999)}"
            details.joining_notes = f"Meeting ID {meeting}. Join five minutes early to check your sound and camera."
        elif plan.where == "outreach":
            details.organisation_id = demo_school.id
            details.venue_name = f"{demo_school.name}, school hall"
            details.venue_address = demo_school.address or names.BOROUGH
            details.venue_postcode = demo_school.postcode
            details.access_notes = "Sign in at the school office; staff only."
            details.area_id = demo_school.area_id
        else:
            area_code = plan.where.removeprefix("school:")
            details.area_id = areas[area_code].id if area_code in areas else None
            if plan.where.startswith("school:") and schools.get(area_code):
                host = rng.choice(schools[area_code])
                details.venue_name = f"{host.name}, staff room"
                details.venue_address = host.address or names.BOROUGH
                details.venue_postcode = host.postcode
                details.access_notes = "Hosted by the school: park on the street and sign in at the office."
            else:
                details.venue_name, details.venue_address, details.venue_postcode, details.access_notes = VENUES[area_code]
        session = sessions.create_session(details, actor=admin, now=created)
        result.sessions += 1
        result.session_ids.append(session.id)
        result.bookings += _book(session, plan, people, rng, now=now, created=created, area=area_code,
                                 organisation_id=details.organisation_id)
        if plan.marked and as_utc(ends_at) < as_utc(now):
            marked_at = as_utc(ends_at) + timedelta(hours=2)
            result.marked += _mark(session, rng, actor=lead_trainer, now=marked_at)
            if plan.code in EVALUATED:
                evaluated = _evaluate(session, rng, now=marked_at + timedelta(days=1))
                result.evaluations += evaluated
                result.certificates += evaluated  # each evaluation issues its certificate
            result.certificates += len(course_sessions.issue_for_session(session, actor=lead_trainer, now=marked_at).issued)

    # The DSL network twilights: last year's series, held, and this year's (lms/demo/twilights.py).
    from lms.demo.twilights import add_demo_twilights

    held = add_demo_twilights(now, rng, admin=admin, trainer=lead_trainer)
    result.sessions, result.bookings, result.marked = (result.sessions + held.sessions, result.bookings + held.bookings,
                                                       result.marked + held.marked)

    # The demo emails nobody.
    db.session.execute(
        delete(OutboundEmail).where(OutboundEmail.id > last_email, OutboundEmail.category.in_(("booking", "certificate", "evaluation")))
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
    return result


def _book(session: TrainingSession, plan: _Plan, people: _People, rng: random.Random, *, now: datetime,
          created: datetime, area: str | None, organisation_id: int | None) -> int:
    if plan.wanted <= 0:
        return 0
    pool = people.pool(plan.code, area=area if plan.code == "TWILIGHT" else None, organisation_id=organisation_id)
    chosen = rng.sample(pool, min(plan.wanted, len(pool)))
    # The demo sign-ins take part where they fit, so their pages have something to show.
    for email in ("dsl@demo.example", "nursery@demo.example", "teacher@demo.example"):
        person = people.by_email.get(email)
        if person is not None and person in pool and person not in chosen and rng.random() < 0.5:
            chosen.insert(len(chosen) // 2, person)
    # Bookings come in over the weeks before booking closes (and never after today).
    last = min(as_utc(now), as_utc(session.signup_closes_at)) - timedelta(minutes=5)
    first = max(as_utc(created) + timedelta(hours=1), last - timedelta(days=30))
    step = (last - first) / max(len(chosen), 1)
    made = []
    for index, person in enumerate(chosen):
        when = first + step * index
        try:
            booking = services.book(session, person, actor=person, now=when)
        except DomainError:
            continue  # outside the audience after all, or already booked
        made.append((booking, when))
    # Setting leads approve most requests; the latest stay waiting.
    requests = [(b, when) for b, when in made if b.status == "requested"]
    for booking, when in requests[: max(len(requests) - 3, 0)]:
        lead = people.lead_of(booking.user)
        if lead is not None:
            services.decide(booking, approve=rng.random() < 0.9, actor=lead, now=min(when + timedelta(days=1), last))
    booked = [b for b, _ in made if b.status == "booked"]
    if plan.late_cancel and booked:
        leaving = rng.choice(booked)
        services.cancel(leaving, actor=leaving.user, now=as_utc(session.starts_at) - timedelta(hours=30),
                        note="Staffing problem on the day")
    if plan.offer and booked and any(b.status == "waitlisted" for b, _ in made):
        leaving = booked[-1]
        services.cancel(leaving, actor=leaving.user, now=as_utc(now) - timedelta(hours=2), note="Clashes with an inspection")
    return len(made)


# Courses whose attendees evaluate them before their certificate, and what they say: most
# are satisfied and more confident, as partnerships report (97% satisfied, 98% skills improved).
EVALUATED = ("WT", "TWILIGHT")
_WILL_DO = (
    "Write up a concern the same day and pass it to the DSL straight away.",
    "Check the early help offer before assuming a referral is the only route.",
    "Ask the other agencies what they know before the strategy discussion.",
    "Use the chronology template for every child on a plan.",
    "Share the exploitation screening tool with the pastoral team.",
)
_IMPROVE = (
    "More time for the case studies.",
    "A printed copy of the slides would help.",
    "Start a little later so primary staff can get there after school.",
)


def _evaluate(session: TrainingSession, rng: random.Random, *, now: datetime) -> int:
    """Most of the people marked at the session fill in its evaluation (which issues their
    certificate); the rest are left for the demo's "waiting for your evaluation"."""
    from lms.evaluations import services as evaluations

    given = 0
    for completion in course_sessions.session_waiting(session):
        if rng.random() > 0.8:
            continue
        before = rng.choice((1, 2, 2, 3, 3, 4))
        answers = evaluations.Answers(
            satisfaction=rng.choice((5, 5, 5, 4, 4, 4, 4, 3)),
            skills=rng.choice(("a-lot", "a-lot", "a-little", "a-little", "a-little", "no")),
            confidence_before=before,
            confidence_after=min(5, before + rng.choice((0, 1, 1, 2))),
            will_do_differently=rng.choice(_WILL_DO) if rng.random() < 0.6 else "",
            improvements=rng.choice(_IMPROVE) if rng.random() < 0.3 else "",
        )
        answers.may_quote = bool(answers.will_do_differently) and rng.random() < 0.7
        evaluations.submit(completion, answers, actor=completion.user, now=now)
        given += 1
    return given


def _mark(session: TrainingSession, rng: random.Random, *, actor: User, now: datetime) -> int:
    marked = 0
    half = (session.hours / 2).quantize(Decimal("0.01"))
    for booking in registers.register(session):
        if booking.status != "booked":
            continue
        roll = rng.random()
        if roll < 0.86:
            registers.mark(booking, "attended", actor=actor, now=now)
        elif roll < 0.93:
            registers.mark(booking, "partly-attended", actor=actor, now=now, hours=half)
        else:
            registers.mark(booking, "no-show", actor=actor, now=now)
        marked += 1
    return marked
