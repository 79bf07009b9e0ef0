"""Safeguarding Week for the demo partnership: the week of 14 to 18 June 2027, led with the
adults board and the community safety partnership, with a launch event and 17 events run by
partner agencies (police, health, early help, the fire service, a domestic abuse charity,
young carers ...): sessions for professionals, for the public or both, online and in
person, drop-ins and stalls; professionals from the demo partnership booked on some, and
members of the public registered for others (some confirmed, some still to confirm, and a
waiting list on a full one).

Everything goes through the services (create_week, create_event, book, register, confirm),
so the data keeps their rules. The demo emails nobody: the emails queued along the way are
removed. Run after create_demo_data (it needs the demo admin and organisations); the
caller commits."""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from faker import Faker
from sqlalchemy import delete, func, select

from lms.accounts.models import User
from lms.bookings import services as bookings
from lms.core.errors import DomainError
from lms.core.time import LONDON
from lms.demo import names
from lms.demo.data import ADMIN
from lms.extensions import db
from lms.notifications.models import OutboundEmail
from lms.organisations.models import Organisation, OrganisationType
from lms.programmes.models import Programme
from lms.programmes.week import services as week

FIRST_DAY = date(2027, 6, 14)
LAST_DAY = date(2027, 6, 18)
TITLE = "Safeguarding Week 2027"
FIRE_SERVICE = "Hartmoor and Vale Fire and Rescue Service"
VENUES = {
    "town-hall": ("Hartmoor Town Hall", "Market Place\nHartmoor", "HM1 1AA"),
    "library": ("Hartmoor Central Library", "42 Market Street\nHartmoor", "HM1 2BX"),
    "hub": ("Northgate Family Hub", "Northgate Road\nHartmoor", "HM3 4DN"),
    "college": ("Hartmoor College, conference centre", "College Road\nHartmoor", "HM2 7QL"),
    "fire-station": ("Hartmoor Community Fire Station", "Station Road\nHartmoor", "HM4 1FS"),
    "market": ("Hartmoor Market Hall", "Market Place\nHartmoor", "HM1 1AB"),
    "park": ("Hartmoor Park, food and drink festival", "Park Lane\nHartmoor", "HM2 3PK"),
}


@dataclass(frozen=True)
class Plan:
    day: int  # 0 = Monday
    starts: time
    ends: time
    title: str
    about: str
    kind: str
    audience: str
    organiser: str
    capacity: int | None = None
    venue: str | None = None  # None: online


PLANS = [
    Plan(0, time(9, 30), time(12, 0), "Launch of Safeguarding Week: see me, hear me, know me",
         "The week opens with the partnership's chairs, a young advisor and a parent talking about making "
         "safeguarding personal, for children and adults alike.", "launch", "both", names.BUSINESS_UNIT, 150, "town-hall"),
    Plan(0, time(13, 30), time(16, 0), "Contextual safeguarding: harm outside the home",
         "Exploitation, peer-on-peer abuse and the places young people spend time: how agencies work together.",
         "face-to-face", "professionals", "Hartmoor and Vale Police: child abuse investigation team", 40, "college"),
    Plan(0, time(10, 0), time(15, 0), "Safeguarding stall at Hartmoor Market",
         "Come and talk to us about keeping children and adults safe. Information, leaflets and safeguarding bracelets.",
         "stall", "public", "Hartmoor Domestic Abuse Service", None, "market"),
    Plan(0, time(18, 30), time(19, 30), "Online safety for parents and carers",
         "Gaming, social media and sharing images: what to look out for and how to talk with your children.",
         "online", "both", "Hartmoor and Vale Police: North neighbourhood team", 100),
    Plan(1, time(9, 30), time(12, 30), "Recognising and responding to domestic abuse",
         "The signs of domestic abuse, its impact on children, and how to ask, record and refer.",
         "face-to-face", "professionals", "Hartmoor Domestic Abuse Service", 30, "hub"),
    Plan(1, time(10, 0), time(11, 30), "Fire safety at home for families",
         "Escape plans, smoke alarms and safe charging: a session for parents and carers with the fire service.",
         "face-to-face", "public", FIRE_SERVICE, 6, "fire-station"),
    Plan(1, time(13, 0), time(16, 0), "Early help drop-in: where to go for support",
         "Drop in to meet the early help team: support for families before problems grow.",
         "drop-in", "public", "Hartmoor Council: early help north", None, "hub"),
    Plan(1, time(14, 0), time(15, 30), "Child exploitation and county lines",
         "How children are groomed into criminal exploitation, and what professionals can do together.",
         "online", "professionals", "Hartmoor Youth Justice Service", 80),
    Plan(2, time(9, 30), time(11, 30), "Young carers: hidden in plain sight",
         "Who young carers are, how to spot them and the support they can have.",
         "face-to-face", "both", "Hartmoor Young Carers", 40, "library"),
    Plan(2, time(12, 30), time(13, 30), "Safeguarding babies: coping with crying",
         "The ICON programme: babies cry, you can cope. For everyone who works with new parents.",
         "online", "professionals", "Hartmoor Community Health: health visiting", 100),
    Plan(2, time(11, 0), time(19, 0), "Safeguarding stall at the food and drink festival",
         "Find us at the festival: conversations, crisis cards and information about where to get help.",
         "stall", "public", names.BUSINESS_UNIT, None, "park"),
    Plan(2, time(10, 0), time(16, 0), "Safe space: talk to a professional in confidence",
         "A quiet room where anyone can talk in confidence to a safeguarding professional.",
         "drop-in", "public", "Hartmoor Council: children's front door", None, "library"),
    Plan(3, time(9, 30), time(12, 30), "Self-harm and young people's mental health",
         "Understanding self-harm, responding well, and the routes to mental health support.",
         "face-to-face", "professionals", "Hartmoor and Vale Mental Health NHS Trust", 40, "college"),
    Plan(3, time(16, 0), time(17, 30), "Keeping children safe near water and roads",
         "Practical safety advice for families for the summer holidays.",
         "face-to-face", "public", FIRE_SERVICE, 30, "fire-station"),
    Plan(3, time(19, 0), time(20, 0), "Cost of living, poverty and safeguarding",
         "How poverty affects families and what help is there, for professionals and residents.",
         "online", "both", "Hartmoor Council: early help south", 100),
    Plan(4, time(9, 30), time(12, 30), "Neglect: seeing the child's day",
         "Recognising neglect and using the graded care profile with families.",
         "face-to-face", "professionals", "Hartmoor Council: assessment and intervention team", 30, "hub"),
    Plan(4, time(13, 30), time(15, 0), "Hate crime and community safety",
         "What hate crime is, how to report it and how the community safety partnership responds.",
         "face-to-face", "both", "Hartmoor and Vale Police: South neighbourhood team", 40, "town-hall"),
    Plan(4, time(15, 30), time(16, 30), "Learning from local safeguarding practice reviews",
         "What the partnership's reviews this year found, and what has changed since.",
         "online", "professionals", names.BUSINESS_UNIT, 150),
]


@dataclass
class DemoWeek:
    programme: Programme | None = None
    events: int = 0
    bookings: int = 0
    registrations: int = 0

    def summary(self) -> str:
        if self.programme is None:
            return "Safeguarding Week: already there."
        return (f"{self.programme.title}: {self.events} events, {self.bookings} professional bookings, "
                f"{self.registrations} public registrations.")


def _organisation(name: str, *, now: datetime) -> Organisation:
    found = db.session.scalar(select(Organisation).where(Organisation.name == name))
    if found is not None:
        return found
    kind = db.session.scalar(select(OrganisationType).where(
        OrganisationType.code == ("fire-rescue" if name == FIRE_SERVICE else "charity")))
    organisation = Organisation(name=name, type_id=kind.id, sector_id=kind.sector_id, created_at=now)
    db.session.add(organisation)
    db.session.flush()
    return organisation


def _at(day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, tzinfo=LONDON)


def add_demo_week(now: datetime, rng: random.Random) -> DemoWeek:
    """Add the demo's Safeguarding Week (once). Flushes only."""
    result = DemoWeek()
    if db.session.scalar(select(Programme.id).where(Programme.kind == week.KIND, Programme.starts_on == FIRST_DAY)):
        return result
    admin = db.session.scalar(select(User).where(User.email == ADMIN[0]))
    if admin is None:
        raise RuntimeError("Load the demo partnership (create_demo_data) before its Safeguarding Week")
    last_email = db.session.scalar(select(func.max(OutboundEmail.id))) or 0
    # Planned a fortnight ago.
    planned = now - timedelta(days=14)
    programme = week.create_week(week.WeekForm(
        title=TITLE, theme="See me, hear me, know me: making safeguarding personal", starts_on=FIRST_DAY,
        ends_on=LAST_DAY,
        lead_boards=[names.PARTNERSHIP_NAME, "Hartmoor Safeguarding Adults Board", "Hartmoor Community Safety Partnership"],
        description="Safeguarding is everyone's business. A week of events across Hartmoor for people who work with "
                    "children and adults, and for everyone who lives here: drop in to the stalls and the safe space, "
                    "or register for a session.",
    ), actor=admin, now=planned)
    result.programme = programme
    events = []
    for plan in PLANS:
        day = FIRST_DAY + timedelta(days=plan.day)
        venue = VENUES.get(plan.venue) if plan.venue else None
        event = week.create_event(programme, week.EventForm(
            title=plan.title, description=plan.about, kind=plan.kind, audience=plan.audience,
            organiser_id=_organisation(plan.organiser, now=planned).id, starts_at=_at(day, plan.starts),
            ends_at=_at(day, plan.ends), capacity=plan.capacity, drop_in=plan.kind in ("stall", "drop-in"),
            location_kind="in-person" if venue else "online", venue_name=venue[0] if venue else None,
            venue_address=venue[1] if venue else None, venue_postcode=venue[2] if venue else None,
            joining_url=None if venue else f"https://meet.example.org/hartmoor-sgw-{plan.day}{plan.starts:%H%M}",
        ), actor=admin, now=planned)
        events.append(event)
    result.events = len(events)
    if now >= _at(FIRST_DAY, time(0, 0)):
        return _quiet(result, last_email)  # the week has begun: nobody books any more

    # Professionals book the events for them, as they would from their accounts.
    staff = list(db.session.scalars(
        select(User).where(User.active.is_(True), User.organisation_id.is_not(None), User.is_admin.is_(False))
        .order_by(User.id)
    ))
    booking_time = planned + timedelta(days=7)
    for event in events:
        if event.drop_in or not event.for_professionals:
            continue
        wanted = min(len(staff), int(event.session.capacity * rng.uniform(0.3, 0.8)))
        for person in rng.sample(staff, wanted):
            try:
                bookings.book(event.session, person, actor=person, now=booking_time)
            except DomainError:
                continue  # an account the engine refuses (not active, say): they do not book
            result.bookings += 1
    # Members of the public register for the public events; the fire safety session fills.
    fake = Faker("en_GB")
    fake.seed_instance(rng.randrange(1_000_000))
    for event in events:
        if event.drop_in or not event.for_public:
            continue
        count = event.session.capacity + 3 if event.session.capacity <= 10 else rng.randint(5, 15)
        for n in range(count):
            # Most registered days ago and confirmed; the last two this past hour, not confirmed yet.
            recent = n >= count - 2
            at = now - (timedelta(minutes=60 - n) if recent else timedelta(days=3, minutes=-n))
            name = fake.name()
            email = f"{name.lower().replace(' ', '.').replace(chr(39), '')}.{n}@example.net"
            registration, _ = week.register(event, name, email, now=at)
            result.registrations += 1
            if registration.status == "awaiting-confirmation" and not recent:
                week.confirm(registration, now=at + timedelta(minutes=20))
    return _quiet(result, last_email)


def _quiet(result: DemoWeek, last_email: int) -> DemoWeek:
    """The demo emails nobody: drop what the services queued."""
    db.session.execute(delete(OutboundEmail).where(OutboundEmail.id > last_email)
                       .execution_options(synchronize_session=False))
    db.session.flush()
    return result
