"""The interest list: people who asked to hear about dates are told once when a session
is added that they can book."""
from datetime import timedelta

from sqlalchemy import func, select

from lms.bookings.sessions import services as sessions
from lms.catalogue import services as catalogue
from lms.catalogue.models import CourseInterest
from lms.extensions import db
from lms.notifications.models import OutboundEmail
from tests import factories
from tests.bookings.conftest import SESSION_START
from tests.conftest import NOW


def _details(course, **overrides):
    values = dict(
        course=course, starts_at=SESSION_START, ends_at=SESSION_START + timedelta(hours=3), capacity=12,
        signup_closes_at=SESSION_START - timedelta(days=1), venue_name="Civic Centre", venue_address="1 Civic Way",
    )
    values.update(overrides)
    return sessions.SessionDetails(**values)


def _interest_emails():
    return list(db.session.scalars(
        select(OutboundEmail).where(OutboundEmail.subject.like("New date:%")).order_by(OutboundEmail.id)
    ))


def test_a_new_session_tells_the_interest_list_once(course, person, colleague, outsider, admin):
    for someone in (person, colleague):
        assert catalogue.register_interest(someone, course, now=NOW)
    session = sessions.create_session(_details(course), actor=admin, now=NOW)
    emails = _interest_emails()
    assert sorted(email.to_address for email in emails) == sorted([person.email, colleague.email])
    assert f"/sessions/{session.id}" in emails[0].body_text
    assert "Civic Centre" in emails[0].body_text

    # A second date does not email the same people again...
    sessions.create_session(_details(course, starts_at=SESSION_START + timedelta(days=7),
                                     ends_at=SESSION_START + timedelta(days=7, hours=3),
                                     signup_closes_at=SESSION_START + timedelta(days=6)), actor=admin, now=NOW)
    assert len(_interest_emails()) == 2
    # ...unless they ask again.
    assert catalogue.register_interest(person, course, now=NOW)
    assert not catalogue.register_interest(person, course, now=NOW)
    sessions.create_session(_details(course, starts_at=SESSION_START + timedelta(days=14),
                                     ends_at=SESSION_START + timedelta(days=14, hours=3),
                                     signup_closes_at=SESSION_START + timedelta(days=13)), actor=admin, now=NOW)
    assert [email.to_address for email in _interest_emails()][2:] == [person.email]


def test_outreach_and_out_of_audience_sessions_tell_nobody(course, person, outsider, organisation, admin):
    catalogue.register_interest(person, course, now=NOW)
    catalogue.register_interest(outsider, course, now=NOW)
    sessions.create_session(_details(course, organisation_id=organisation.id), actor=admin, now=NOW)
    assert _interest_emails() == []
    # A session for the nursery's sector only: the school's person keeps waiting.
    nursery_sector = outsider.organisation.sector
    sessions.create_session(_details(course, sectors=[nursery_sector]), actor=admin, now=NOW)
    assert [email.to_address for email in _interest_emails()] == [outsider.email]
    waiting = db.session.scalar(select(func.count()).select_from(CourseInterest).where(CourseInterest.notified_at.is_(None)))
    assert waiting == 1
