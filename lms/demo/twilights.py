"""The demo partnership's DSL network twilights: last school year's series, held and its
registers marked (so its completions count towards DSL annual updates), and this year's,
with the terms already held marked and the rest booked.

Each term has a topic and its presenting agencies, and a session in every area on a
Tuesday, Wednesday, Thursday and the next Tuesday, 3:45pm to 5:45pm, hosted by a school
in the area. About a third of the DSLs and deputies "book the year" in September; the
rest book a term at a time, a few in another area. Everything goes through the twilight
and booking services with earlier `now`s, as the rest of the demo does. Flushes only."""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms.accounts.models import User
from lms.catalogue.models import Course
from lms.bookings.registers import services as registers
from lms.core.errors import DomainError
from lms.core.time import LONDON, as_utc, london_today
from lms.extensions import db
from lms.organisations.models import Area, Organisation, OrganisationType
from lms.programmes.twilights import services as twilights

# term -> (month, day) the term's week of twilights starts from (the first Tuesday on or after).
TERM_WEEKS = {"autumn": (11, 10), "spring": (3, 9), "summer": (6, 15)}
# Days after that Tuesday each area meets, in area order.
AREA_DAYS = (0, 1, 2, 7)
STARTS, ENDS = time(15, 45), time(17, 45)
CAPACITY = 45
HOST_TYPES = ("primary-school", "secondary-school", "special-school")

# Topics by school year: 0 is this year, -1 last year. (title, summary, agencies, materials)
TOPICS = {
    -1: {
        "autumn": ("Understanding the new Early Help pathway",
                   "The partnership's new Early Help assessment and pathway: when to start one, who leads, "
                   "and how schools step up to children's social care and down again.",
                   "Early Help service; Education safeguarding team",
                   "Early Help assessment form and the step-up, step-down flowchart are on the partnership site."),
        "spring": ("Youth-produced sexual imagery: responding in school",
                   "Nudes and semi-nudes shared by pupils: the UKCIS guidance, searching devices, when to involve "
                   "the police and how to support the children involved.",
                   "Police online safety team; Education safeguarding team",
                   "UKCIS guidance summary and the school's incident record template."),
        "summer": ("Knife crime, gangs and county lines",
                   "Spotting criminal exploitation early, the contextual safeguarding approach and the "
                   "partnership's exploitation screening tool.",
                   "Police child exploitation team; Youth Justice Service",
                   "Exploitation screening tool and the referral pathway."),
    },
    0: {
        "autumn": ("Online extremism: the school response",
                   "How young people are drawn into extremist views online, the Prevent duty in schools, and "
                   "making a Prevent referral: case studies from local schools.",
                   "Police Prevent team; Education safeguarding team",
                   "Prevent referral form, the Channel panel leaflet and the slides."),
        "spring": ("Harmful sexual behaviour between children",
                   "Responding to reports of sexual violence and harassment between pupils after the Ofsted "
                   "review: the Brook traffic light tool, risk assessments and recording.",
                   "Education safeguarding team; Children's social care",
                   "Brook traffic light tool and a risk assessment template."),
        "summer": ("Neglect: domestic abuse and parental mental health",
                   "Recognising neglect where parents live with domestic abuse or poor mental health, "
                   "Operation Encompass notifications and using the neglect toolkit with families.",
                   "Domestic abuse service; Adult mental health service; Early Help service",
                   "Neglect toolkit and Operation Encompass guidance for schools."),
    },
}
TERM_ORDER_INDEX = {code: index for index, code in enumerate(twilights.TERM_ORDER)}
SERIES_SUMMARY = ("Termly after-school meetings for designated safeguarding leads and deputies, in each area and "
                  "hosted by a school. They count towards your DSL annual knowledge update.")


@dataclass
class DemoTwilights:
    sessions: int = 0
    bookings: int = 0
    marked: int = 0


def _tuesday_on_or_after(day: date) -> date:
    return day + timedelta(days=(1 - day.weekday()) % 7)


def _at(day: date, clock: time) -> datetime:
    return as_utc(datetime.combine(day, clock, tzinfo=LONDON))


def _people_by_area() -> dict[int, list[User]]:
    """The demo's DSLs and deputies with an organisation in an area, by area id."""
    found: dict[int, list[User]] = {}
    for person in db.session.scalars(
        select(User).where(User.active.is_(True), User.is_admin.is_(False), User.is_trainer.is_(False),
                           User.organisation_id.is_not(None))
        .options(selectinload(User.roles), selectinload(User.organisation)).order_by(User.id)
    ):
        if person.organisation.area_id is None or twilights.eligibility_problem(person):
            continue
        found.setdefault(person.organisation.area_id, []).append(person)
    return found


def _hosts(area: Area) -> list[Organisation]:
    return list(db.session.scalars(
        select(Organisation).join(OrganisationType, OrganisationType.id == Organisation.type_id)
        .where(Organisation.area_id == area.id, Organisation.active.is_(True), OrganisationType.code.in_(HOST_TYPES),
               Organisation.address.is_not(None))
        .order_by(Organisation.id)
    ))


def add_demo_twilights(now: datetime, rng: random.Random, *, admin: User, trainer: User) -> DemoTwilights:
    """Last year's and this year's series (see the module docstring)."""
    result = DemoTwilights()
    areas = twilights.areas()
    if not areas or db.session.scalar(select(Course).where(Course.delivery_mode == "twilight")) is None:
        return result
    people = _people_by_area()
    hosts = {area.id: _hosts(area) for area in areas}
    this_year = twilights.academic_year_of(london_today(now))
    for offset in (-1, 0):
        start = this_year + offset
        if twilights.series_for_year(start) is not None:
            continue
        result_year = _add_year(start, offset, now=now, rng=rng, admin=admin, trainer=trainer, areas=areas,
                                hosts=hosts, people=people)
        result.sessions += result_year.sessions
        result.bookings += result_year.bookings
        result.marked += result_year.marked
    return result


def _add_year(start: int, offset: int, *, now, rng, admin, trainer, areas, hosts, people) -> DemoTwilights:
    result = DemoTwilights()
    planned_at = _at(date(start, 7, 1), time(10, 0))
    programme = twilights.create_series(start, summary=SERIES_SUMMARY, actor=admin, now=planned_at)
    terms = twilights.terms_of(programme)
    for term in terms:
        title, summary, agencies, materials = TOPICS[offset][term.term]
        twilights.update_topic(term, twilights.TopicValues(
            title=title, summary=summary, agencies=agencies, materials_text=materials,
            materials_url=f"https://hartmoor-scp.example.org/twilights/{start}-{term.term}"), actor=admin, now=planned_at)
        month, day = TERM_WEEKS[term.term]
        first = _tuesday_on_or_after(date(term.year, month, day))
        planned = []
        for index, area in enumerate(areas):
            if not hosts[area.id]:
                continue
            host = hosts[area.id][(start + TERM_ORDER_INDEX[term.term]) % len(hosts[area.id])]
            planned.append(twilights.PlannedSession(area=area, host=host, day=first + timedelta(days=AREA_DAYS[index % 4])))
        plan = twilights.TermPlan(starts=STARTS, ends=ENDS, capacity=CAPACITY, sessions=planned, trainers=[trainer])
        result.sessions += len(twilights.create_term_sessions(term, plan, actor=admin, now=planned_at))

    # About a third book the year in September; the rest a term at a time, three weeks before.
    everyone = [person for group in people.values() for person in group]
    year_bookers = {person.id for person in everyone if rng.random() < 0.35}
    year_day = _at(date(start, 9, 12), time(16, 0))
    if as_utc(year_day) < as_utc(now):
        for person in everyone:
            if person.id in year_bookers:
                try:
                    places = twilights.book_the_year(programme, person, now=year_day + timedelta(minutes=rng.randint(0, 600)))
                except DomainError:
                    continue
                result.bookings += sum(1 for place in places if place.new)
    for term in terms:
        rows = twilights.term_sessions(term)
        if not rows:
            continue
        first_start = min(as_utc(row.session.starts_at) for row in rows)
        for person in everyone:
            if person.id in year_bookers or rng.random() > 0.55:
                continue
            when = first_start - timedelta(days=28) + timedelta(minutes=rng.randint(0, 60 * 24 * 14))
            if as_utc(when) >= as_utc(now):
                continue
            mine = [row for row in rows if row.area_id == person.organisation.area_id]
            choice = rng.choice(rows) if (rng.random() < 0.12 or not mine) else mine[0]
            try:
                twilights.book_session(choice.session, person, now=when)
            except DomainError:
                continue
            result.bookings += 1
        # Registers of the twilights already held: most came; a few left early or did not come.
        for row in rows:
            session = row.session
            if as_utc(session.ends_at) >= as_utc(now):
                continue
            marked_at = as_utc(session.ends_at) + timedelta(minutes=20)
            half = (session.hours / 2).quantize(Decimal("0.01"))
            for booking in registers.register(session):
                if booking.status != "booked":
                    continue
                roll = rng.random()
                if roll < 0.88:
                    registers.mark(booking, "attended", actor=trainer, now=marked_at)
                elif roll < 0.93:
                    registers.mark(booking, "partly-attended", actor=trainer, now=marked_at, hours=half)
                else:
                    registers.mark(booking, "no-show", actor=trainer, now=marked_at)
                result.marked += 1
    db.session.flush()
    return result

