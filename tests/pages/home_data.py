"""A small partnership for the home page tests, built relative to a given `now`: a school
with a setting lead and a teacher whose training is overdue, courses that meet her needs
(e-learning and a face-to-face course with a date to book), her bookings in each state, an
evaluation she owes, a trainer with a register to mark and a session to come, and the
admin's queues (an organisation request, a failed email, a session under its minimum).
A second school and its lead stand for "another organisation". Flushes only."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from lms.accounts.models import User
from lms.bookings.models import Booking, TrainingSession
from lms.catalogue.models import Course
from lms.compliance import services as compliance
from lms.core.time import london_today
from lms.extensions import db
from lms.licences import services as licences
from lms.notifications.models import OutboundEmail
from lms.organisations.models import Organisation, OrganisationRequest
from lms.records import services as records
from lms.records.external import services as external
from tests import factories as f
from tests.bookings.conftest import make_course_row, make_session_row


@dataclass
class Scene:
    school: Organisation
    other_school: Organisation
    teacher: User
    colleague: User
    lead: User
    other_lead: User
    trainer: User
    admin: User
    elearning: Course
    classroom: Course
    next_date: TrainingSession
    offered: Booking
    requested: Booking
    booked: Booking
    ended: TrainingSession
    short: TrainingSession


def _booking(session: TrainingSession, person: User, status: str, now: datetime, **fields) -> Booking:
    booking = Booking(session_id=session.id, user_id=person.id, status=status, organisation_id=person.organisation_id,
                      created_at=now, queued_at=now, **fields)
    db.session.add(booking)
    db.session.flush()
    return booking


def build(now: datetime) -> Scene:
    school = f.organisation("Brook Lane Primary")
    other_school = f.organisation("Hill Top Primary")
    teacher = f.user("teacher@example.org", full_name="Dana Price", organisation=school)
    colleague = f.user(full_name="Colin Reed", organisation=school)
    lead = f.user("lead@example.org", full_name="Rae Whitfield", organisation=school, roles=("school-dsl",),
                  leads=(school,))
    other_lead = f.user("other@example.org", full_name="Oli Stone", organisation=other_school, leads=(other_school,))
    f.user(full_name="Hana Hill", organisation=other_school)
    trainer = f.user("trainer@example.org", full_name="Sam Okafor", trainer=True, roles=())
    admin = f.user("admin@example.org", full_name="Morgan Ellis", admin=True, roles=())

    elearning = make_course_row("UPDATE", mode="elearning", title="Annual safeguarding update", hours="1")
    elearning.requirement_codes = ["staff-annual-update"]
    classroom = make_course_row("SGF", title="Safeguarding in schools, face to face", hours="3")
    classroom.requirement_codes = ["staff-safeguarding"]
    evaluated = make_course_row("CE", mode="elearning", title="Child exploitation", hours="1")
    evaluated.asks_for_evaluation = True

    start = now.replace(microsecond=0)
    next_date = make_session_row(classroom, starts_at=start + timedelta(days=20),
                                 signup_closes_at=start + timedelta(days=18), trainers=[trainer])
    make_session_row(classroom, starts_at=start + timedelta(days=40), signup_closes_at=start + timedelta(days=38))
    other = make_course_row("SR", title="Safer recruitment", hours="6")
    full = make_session_row(other, starts_at=start + timedelta(days=10), signup_closes_at=start + timedelta(days=9),
                            capacity=1)
    approval = make_session_row(other, starts_at=start + timedelta(days=12), signup_closes_at=start + timedelta(days=11),
                                requires_approval=True)
    upcoming = make_session_row(other, starts_at=start + timedelta(days=5), signup_closes_at=start + timedelta(days=4),
                                trainers=[trainer])
    ended = make_session_row(other, starts_at=start - timedelta(days=2), signup_closes_at=start - timedelta(days=3),
                             trainers=[trainer])
    short = make_session_row(other, starts_at=start + timedelta(days=7), signup_closes_at=start + timedelta(days=6),
                             minimum=6)

    offered = _booking(full, teacher, "offered", now, offered_at=now, offer_expires_at=start + timedelta(hours=30))
    requested = _booking(approval, teacher, "requested", now)
    booked = _booking(upcoming, teacher, "booked", now, confirmed_at=now)
    _booking(ended, colleague, "booked", now, confirmed_at=now)
    _booking(ended, teacher, "attended", now, confirmed_at=now, marked_at=now)
    _booking(short, colleague, "booked", now, confirmed_at=now)
    _booking(approval, colleague, "requested", now)

    records.record_completion(
        teacher, title=evaluated.title, delivery_mode="elearning", on=london_today(now), hours=Decimal("1"),
        source="elearning", source_ref="enrolment:home-1", course=evaluated, now=now,
    )
    external.log_external(
        colleague,
        external.ExternalValues(title="Prevent awareness", provider="Home Office", completed_on=date(2026, 1, 10),
                                hours="1"),
        now=now,
    )
    db.session.add(OrganisationRequest(name="New Youth Club", type_id=school.type_id, requested_by_id=teacher.id,
                                       status="pending", created_at=now))
    db.session.add(OutboundEmail(to_address="x@example.org", subject="s", body_text="b", created_at=now,
                                 send_after=now, failed_at=now))
    db.session.flush()
    licences.get_policy()  # made on first use, as on a running site
    compliance.refresh_status([teacher.id, colleague.id, lead.id, other_lead.id], now=now)
    db.session.flush()
    return Scene(school, other_school, teacher, colleague, lead, other_lead, trainer, admin, elearning, classroom,
                 next_date, offered, requested, booked, ended, short)
