"""Shared fixtures for the bookings tests: a course of a bookable mode, sessions of it,
people in organisations (with a setting lead), a trainer and an admin.

Every builder only flushes; the test (or the view under test) commits. Times are fixed:
`now` is Monday 23 November 2026, 10:00 (tests/conftest.py) and the default session runs
on Tuesday 8 December 2026, 9:30am to 12:30pm in London, with booking closing the day
before and the cancellation cut-off (3 working days) at the end of Thursday 3 December.

Fixtures:
    make_course(code=None, *, mode="face-to-face", hours="3", title=None, ...) -> Course
    course                   a face-to-face course, 3 CPD hours
    make_session(course=None, *, starts_at=SESSION_START, duration=timedelta(hours=3),
                 capacity=20, signup_closes_at=None, trainers=(), sectors=(), roles=(),
                 **fields) -> TrainingSession    (any TrainingSession column as a keyword)
    training_session         a 20-place session of `course`, run by `trainer`
    organisation, other_organisation   a primary school and a day nursery
    lead                     the setting lead of `organisation`
    person, colleague        staff of `organisation`
    outsider                 staff of `other_organisation`
    trainer, admin
    make_people(count, organisation=None, **user_kwargs) -> list[User]
    outbox(to=None, template_subject=None) -> list[OutboundEmail] (queued email, oldest first)
"""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from itertools import count

import pytest
from sqlalchemy import select

from lms.bookings.models import TrainingSession
from lms.bookings.sessions.services import new_checkin_code
from lms.catalogue.models import Course
from lms.core.time import LONDON, as_utc
from lms.extensions import db
from lms.notifications.models import OutboundEmail
from lms.organisations.models import JobRole, Sector
from tests import factories
from tests.conftest import NOW

# Tuesday 8 December 2026, 9:30am in London (GMT, so 09:30 UTC).
SESSION_START = datetime(2026, 12, 8, 9, 30, tzinfo=LONDON)
SESSION_LENGTH = timedelta(hours=3)

_codes = count(1)


def make_course_row(
    code: str | None = None,
    *,
    mode: str = "face-to-face",
    hours: str | Decimal = "3",
    title: str | None = None,
    level: int = 2,
    summary: str | None = None,
    active: bool = True,
) -> Course:
    code = code or f"BK{next(_codes)}"
    title = title or f"Safeguarding session course {code}"
    course = Course(
        code=code, title=title, summary=summary or f"About {title}.", learning_outcomes=[f"Understand {title}"],
        delivery_mode=mode, cpd_hours=Decimal(str(hours)), level=level, estimated_minutes=None,
        requirement_codes=[], managed_by="admin", active=active, created_at=NOW, updated_at=NOW,
    )
    db.session.add(course)
    db.session.flush()
    return course


def make_session_row(
    course: Course,
    *,
    starts_at: datetime = SESSION_START,
    duration: timedelta = SESSION_LENGTH,
    ends_at: datetime | None = None,
    capacity: int = 20,
    signup_closes_at: datetime | None = None,
    trainers=(),
    sectors: tuple[str, ...] = (),
    roles: tuple[str, ...] = (),
    **fields,
) -> TrainingSession:
    """A scheduled session, written straight to the table (no validation, no audit), so
    tests can also build states the pages would refuse. Sector and role audiences by code."""
    starts = as_utc(starts_at)
    ends = as_utc(ends_at) if ends_at is not None else starts + duration
    values = {
        "location_kind": "in-person",
        "venue_name": "Town Hall, Committee Room 2",
        "venue_address": "1 High Street\nExampletown",
        "venue_postcode": "EX1 1AA",
        "minimum": 0,
        "cancellation_working_days": 3,
        "requires_approval": False,
        "status": "scheduled",
        "sequence": 0,
        "lock_version": 0,
    }
    if fields.get("location_kind") == "online":
        values.update(venue_name=None, venue_address=None, venue_postcode=None,
                      joining_url="https://meet.example.org/j/123456", joining_notes="Passcode 4242")
    values.update(fields)
    session = TrainingSession(
        course_id=course.id,
        starts_at=starts,
        ends_at=ends,
        capacity=capacity,
        signup_closes_at=as_utc(signup_closes_at) if signup_closes_at is not None else starts - timedelta(days=1),
        checkin_code=new_checkin_code(),
        created_at=NOW,
        updated_at=NOW,
        **values,
    )
    session.course = course
    session.trainers = list(trainers)
    session.audience_sectors = list(db.session.scalars(select(Sector).where(Sector.code.in_(sectors)))) if sectors else []
    session.audience_roles = list(db.session.scalars(select(JobRole).where(JobRole.code.in_(roles)))) if roles else []
    db.session.add(session)
    db.session.flush()
    return session


@pytest.fixture()
def make_course():
    return make_course_row


@pytest.fixture()
def course(make_course):
    return make_course("SAFE-F2F", title="Working together to safeguard children", hours="3")


@pytest.fixture()
def make_session(course):
    def build(session_course: Course | None = None, **kwargs) -> TrainingSession:
        return make_session_row(session_course or course, **kwargs)

    return build


@pytest.fixture()
def organisation():
    return factories.organisation("Oak Primary School")


@pytest.fixture()
def other_organisation():
    return factories.organisation("Elm Day Nursery", type_code="day-nursery")


@pytest.fixture()
def trainer():
    return factories.user("trainer@partnership.example", full_name="Tara Trainer", trainer=True, roles=("other",))


@pytest.fixture()
def admin():
    return factories.user("admin@partnership.example", full_name="Ada Admin", admin=True, roles=("other",))


@pytest.fixture()
def lead(organisation):
    return factories.user("lead@oak.example", full_name="Olive Lead", organisation=organisation,
                          roles=("school-dsl",), leads=(organisation,))


@pytest.fixture()
def person(organisation):
    return factories.user("tom@oak.example", full_name="Tom Teacher", organisation=organisation)


@pytest.fixture()
def colleague(organisation):
    return factories.user("cara@oak.example", full_name="Cara Colleague", organisation=organisation,
                          roles=("teaching-assistant",))


@pytest.fixture()
def outsider(other_organisation):
    return factories.user("nina@elm.example", full_name="Nina Nursery", organisation=other_organisation,
                          roles=("ey-practitioner",))


@pytest.fixture()
def training_session(make_session, trainer):
    return make_session(trainers=[trainer])


@pytest.fixture()
def make_people(organisation):
    def build(number: int, org=None, **kwargs) -> list:
        return [factories.user(organisation=org or organisation, **kwargs) for _ in range(number)]

    return build


@pytest.fixture()
def outbox():
    """Queued email, oldest first; optionally only to one address or person."""

    def rows(to=None) -> list[OutboundEmail]:
        query = select(OutboundEmail).order_by(OutboundEmail.id)
        if to is not None:
            query = query.where(OutboundEmail.to_address == (to if isinstance(to, str) else to.email))
        return list(db.session.scalars(query))

    return rows
