"""A borough with three areas, a host primary school in each, two more schools, the
catalogue's twilight course (2 CPD hours) and the 2026-27 series with its autumn sessions.

`now` is Monday 23 November 2026, 10:00 (tests/conftest.py); the autumn twilights are on
Tuesday 8 December 2026, 3:45pm to 5:45pm in London, booking closing at noon that day.

Fixtures:
    borough      {"areas": {code: Area}, "hosts": {code: Organisation}, "schools": [...]}
    twilight_course, admin, trainer
    dsl          a school DSL at the north host school; deputy at the south host
    assistant    a teaching assistant at the north host school
    series       the 2026-27 series (autumn topic set, autumn sessions in every area)
    make_dsls(count, area="north") -> list[User]
"""
from __future__ import annotations

from datetime import date, time
from decimal import Decimal

import pytest

from lms.catalogue.models import Course
from lms.extensions import db
from lms.programmes.twilights import services
from tests import factories
from tests.conftest import NOW

AUTUMN_DAY = date(2026, 12, 8)
TOPIC = "Online extremism: the school response"


@pytest.fixture()
def twilight_course():
    course = Course(code="TWILIGHT", title="DSL network twilight", summary="Termly DSL meetings.",
                    learning_outcomes=[], delivery_mode="twilight", cpd_hours=Decimal("2"), level=3,
                    requirement_codes=[], managed_by="admin", active=True, created_at=NOW, updated_at=NOW)
    db.session.add(course)
    db.session.flush()
    return course


@pytest.fixture()
def borough():
    areas = {code: factories.area(name, code=code) for code, name in
             (("north", "North"), ("south", "South"), ("east", "East"))}
    for position, area in enumerate(areas.values()):
        area.position = position
    hosts = {code: factories.organisation(f"{name} Park Primary School", area=areas[code],
                                          address=f"1 {name} Road\nHartmoor", postcode=f"HM{i} 1AA")
             for i, (code, name) in enumerate((("north", "Ashcombe"), ("south", "Fenmarsh"), ("east", "Dunholt")), 1)}
    others = [factories.organisation("Saltmere Academy", type_code="secondary-school", area=areas["east"]),
              factories.organisation("Brook Lane Special School", type_code="special-school", area=areas["south"])]
    nursery = factories.organisation("Little Acorns Day Nursery", type_code="day-nursery", area=areas["north"])
    return {"areas": areas, "hosts": hosts, "schools": list(hosts.values()) + others, "nursery": nursery}


@pytest.fixture()
def admin():
    return factories.user("admin@example.org", full_name="Ada Admin", admin=True, roles=())


@pytest.fixture()
def trainer():
    return factories.user("trainer@example.org", full_name="Tara Trainer", trainer=True, roles=())


@pytest.fixture()
def dsl(borough):
    return factories.user("dsl@example.org", full_name="Dee Lead", organisation=borough["hosts"]["north"],
                          roles=("school-dsl",))


@pytest.fixture()
def deputy(borough):
    return factories.user("deputy@example.org", full_name="Sam Deputy", organisation=borough["hosts"]["south"],
                          roles=("deputy-dsl",))


@pytest.fixture()
def assistant(borough):
    return factories.user("ta@example.org", full_name="Tia Assistant", organisation=borough["hosts"]["north"],
                          roles=("teaching-assistant",))


@pytest.fixture()
def make_dsls(borough):
    def build(count: int, area: str = "north"):
        school = borough["hosts"][area]
        return [factories.user(full_name=f"DSL {area} {i:03d}", organisation=school, roles=("school-dsl",))
                for i in range(count)]
    return build


def plan_for(borough, day=AUTUMN_DAY, *, areas=("north", "south", "east"), capacity=100, trainers=()):
    return services.TermPlan(
        starts=time(15, 45), ends=time(17, 45), capacity=capacity, trainers=list(trainers),
        sessions=[services.PlannedSession(area=borough["areas"][code], host=borough["hosts"][code], day=day)
                  for code in areas],
    )


def term(programme, code: str):
    return next(t for t in services.terms_of(programme) if t.term == code)


@pytest.fixture()
def series(borough, twilight_course, admin, trainer):
    programme = services.create_series(2026, summary="Termly twilights for DSLs.", actor=admin, now=NOW)
    autumn = term(programme, "autumn")
    services.update_topic(autumn, services.TopicValues(
        title=TOPIC, summary="Radicalisation online and what schools do.", agencies="Police Prevent team",
        materials_url="https://example.org/slides", materials_text="Prevent referral form is on the portal."),
        actor=admin, now=NOW)
    services.create_term_sessions(autumn, plan_for(borough, trainers=[trainer]), actor=admin, now=NOW)
    db.session.commit()
    return programme
