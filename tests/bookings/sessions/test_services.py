"""Sessions (lms/bookings/sessions/services.py) with a fixed `now`: adding, checking,
changing, copying and cancelling a session, and the under-minimum alert."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from lms.audit.models import AuditEvent
from lms.bookings import services
from lms.bookings.models import TrainingSession
from lms.bookings.sessions import services as sessions
from lms.core.errors import DomainError, Forbidden
from lms.core.time import LONDON
from lms.extensions import db
from tests import factories
from tests.bookings.conftest import SESSION_START

START = SESSION_START.astimezone(timezone.utc)


def book(session, person, now, actor=None):
    return services.book(session, person, actor=actor or person, now=now)


def subjects(outbox, person) -> list[str]:
    return [email.subject.split(":")[0] for email in outbox(person)]


# --- sessions -----------------------------------------------------------------------------


def fill(session, booked: int, waiting: int, make_people, now):
    """`booked` people with places and `waiting` on the list, a minute apart."""
    people = make_people(booked + waiting)
    bookings = [book(session, p, now + timedelta(minutes=i)) for i, p in enumerate(people)]
    assert [b.status for b in bookings] == ["booked"] * booked + ["waitlisted"] * waiting
    return bookings[:booked], bookings[booked:]


def details_for(course, **changes) -> sessions.SessionDetails:
    values = dict(
        course=course, starts_at=datetime(2027, 1, 12, 9, 30, tzinfo=LONDON), ends_at=datetime(2027, 1, 12, 12, 30, tzinfo=LONDON),
        capacity=16, signup_closes_at=datetime(2027, 1, 11, 12, 0, tzinfo=LONDON), venue_name="Library",
        venue_address="2 Station Road\nExampletown",
    )
    values.update(changes)
    return sessions.SessionDetails(**values)


def test_create_session(course, trainer, person, now):
    session = sessions.create_session(details_for(course), actor=trainer, now=now)
    assert session.trainers == [trainer] and session.status == "scheduled" and session.sequence == 0
    assert session.starts_at == datetime(2027, 1, 12, 9, 30, tzinfo=timezone.utc) and len(session.checkin_code) >= 20
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.action == "session.create"))
    with pytest.raises(Forbidden):
        sessions.create_session(details_for(course), actor=person, now=now)


@pytest.mark.parametrize("changes, field", [
    (dict(ends_at=datetime(2027, 1, 12, 9, 0, tzinfo=LONDON)), "ends_at"),
    (dict(capacity=0), "capacity"),
    (dict(minimum=20), "minimum"),
    (dict(signup_closes_at=datetime(2027, 1, 12, 10, 0, tzinfo=LONDON)), "signup_closes_at"),
    (dict(signup_opens_at=datetime(2027, 1, 11, 12, 0, tzinfo=LONDON)), "signup_opens_at"),
    (dict(cancellation_working_days=21), "cancellation_working_days"),
    (dict(venue_name=" "), "venue_name"),
    (dict(location_kind="online", joining_url="http://insecure.example"), "joining_url"),
    (dict(location_kind="elsewhere"), "location_kind"),
])
def test_session_details_are_checked(course, admin, now, changes, field):
    with pytest.raises(DomainError) as raised:
        sessions.create_session(details_for(course, **changes), actor=admin, now=now)
    assert raised.value.field == field
    assert db.session.scalar(select(func.count()).select_from(TrainingSession)) == 0


def test_only_bookable_courses_have_sessions_and_outreach_needs_its_organisation(make_course, admin, now):
    with pytest.raises(DomainError, match="only courses run on dates have sessions"):
        sessions.create_session(details_for(make_course(mode="elearning")), actor=admin, now=now)
    with pytest.raises(DomainError) as raised:
        sessions.create_session(details_for(make_course(mode="outreach")), actor=admin, now=now)
    assert raised.value.field == "organisation_id"


def test_a_change_of_time_tells_people_and_a_change_of_notes_does_not(training_session, make_people, trainer, now, outbox):
    booked, waiting = fill(training_session, 20, 1, make_people, now)
    before = len(outbox())
    details = sessions.copy_details(training_session)
    details.notes = "Bring a pen"
    sessions.update_session(training_session, details, actor=trainer, now=now)
    assert training_session.sequence == 0 and len(outbox()) == before
    # Same instants given in London time are no change either.
    details.starts_at = training_session.starts_at.astimezone(LONDON)
    sessions.update_session(training_session, details, actor=trainer, now=now)
    assert training_session.sequence == 0 and len(outbox()) == before

    details.starts_at += timedelta(hours=1)
    details.ends_at += timedelta(hours=1)
    sessions.update_session(training_session, details, actor=trainer, now=now)
    assert training_session.sequence == 1
    assert subjects(outbox, booked[0].user)[-1] == "Session changed"
    assert subjects(outbox, waiting[0].user)[-1] == "Session changed"
    assert len(outbox()) == before + 21


def test_only_its_trainers_and_admins_manage_a_session(training_session, trainer, person, now):
    other = factories.user(trainer=True)
    for actor in (other, person):
        with pytest.raises(Forbidden):
            sessions.update_session(training_session, sessions.copy_details(training_session), actor=actor, now=now)
        with pytest.raises(Forbidden):
            sessions.cancel_session(training_session, reason="Ill", actor=actor, now=now)
    assert services.may_manage(trainer, training_session) and not services.may_manage(other, training_session)


def test_cancel_a_session(training_session, make_people, trainer, now, outbox):
    booked, waiting = fill(training_session, 20, 2, make_people, now)
    with pytest.raises(DomainError, match="Enter the reason"):
        sessions.cancel_session(training_session, reason="  ", actor=trainer, now=now)
    told = sessions.cancel_session(training_session, reason="The trainer is ill", actor=trainer, now=now)
    assert told == 22
    assert training_session.is_cancelled and training_session.sequence == 1
    assert {(b.status, b.ended_reason) for b in booked + waiting} == {("cancelled", "session-cancelled")}
    email = outbox(waiting[1].user)[-1]
    assert email.subject.startswith("Session cancelled") and "Reason: The trainer is ill" in email.body_text
    with pytest.raises(DomainError, match="already cancelled"):
        sessions.cancel_session(training_session, reason="Again", actor=trainer, now=now)
    with pytest.raises(DomainError, match="A cancelled session cannot be changed"):
        sessions.update_session(training_session, sessions.copy_details(training_session), actor=trainer, now=now)


def test_a_started_session_cannot_be_cancelled(training_session, trainer):
    with pytest.raises(DomainError, match="already started"):
        sessions.cancel_session(training_session, reason="Too late", actor=trainer, now=START)


def test_copy_keeps_the_london_clock_across_the_clock_change(make_session):
    # Tuesday 24 March 2026, 9:30am GMT; a week later is 9:30am BST (8:30 UTC).
    session = make_session(starts_at=datetime(2026, 3, 24, 9, 30, tzinfo=LONDON),
                           signup_closes_at=datetime(2026, 3, 23, 17, 0, tzinfo=LONDON),
                           signup_opens_at=datetime(2026, 3, 1, 9, 0, tzinfo=LONDON))
    copied = sessions.copy_details(session, shift=timedelta(days=7))
    assert copied.starts_at == datetime(2026, 3, 31, 8, 30, tzinfo=timezone.utc)
    assert copied.ends_at == datetime(2026, 3, 31, 11, 30, tzinfo=timezone.utc)
    assert copied.signup_closes_at == datetime(2026, 3, 30, 16, 0, tzinfo=timezone.utc)
    assert copied.signup_opens_at == datetime(2026, 3, 8, 9, 0, tzinfo=timezone.utc)  # still GMT on 8 March
    same = sessions.copy_details(session)
    assert same.starts_at == session.starts_at and same.trainers == session.trainers




def test_under_minimum_alert_once_at_the_cut_off(make_session, make_people, admin, now, outbox):
    second_admin = factories.user(admin=True)
    # Tuesday 8 December, cut-off the end of Thursday 3 December.
    short = make_session(minimum=5)
    enough = make_session(minimum=2)
    fill(short, 2, 0, make_people, now)
    fill(enough, 2, 0, make_people, now)
    assert sessions.alert_under_minimum(now=datetime(2026, 12, 3, 23, 0, tzinfo=timezone.utc)) == 0
    after = datetime(2026, 12, 4, 0, 5, tzinfo=timezone.utc)
    assert sessions.alert_under_minimum(now=after) == 1
    assert sessions.alert_under_minimum(now=after + timedelta(hours=1)) == 0
    alerts = [e for e in outbox() if e.subject.startswith("Under the minimum")]
    assert sorted(e.to_address for e in alerts) == sorted([admin.email, second_admin.email])
    assert "with 2 of the 5 people it needs" in alerts[0].body_text
    assert short.minimum_alert_sent_at == after and enough.minimum_alert_sent_at is None
