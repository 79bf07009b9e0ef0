"""The session list's "Only sessions with places I can book now": each reason a person
could not book a session keeps it off the filtered list (bookings.queries.bookable_now
makes the checks services.book makes), and a session they could book stays on it."""
from __future__ import annotations

from datetime import timedelta

import pytest

from lms.core.time import utcnow
from lms.extensions import db
from tests.bookings.test_views import book, login, soon, table_text


def listed(client) -> str:
    return table_text(client.get("/sessions?places=yes"))


@pytest.fixture()
def course_named(make_course):
    def build(title):
        return make_course(title=title)
    return build


def test_a_session_i_can_book_is_listed(client, make_session, course_named, person):
    make_session(course_named("Open to all"), starts_at=soon(10))
    make_session(course_named("For teachers at schools"), starts_at=soon(11), sectors=("education",), roles=("teacher",))
    db.session.commit()
    login(client, person)
    page = listed(client)
    assert "Open to all" in page and "For teachers at schools" in page


def test_a_session_for_other_sectors_is_not_listed(client, make_session, course_named, person):
    make_session(course_named("Early years only"), starts_at=soon(10), sectors=("early-years",))
    make_session(course_named("Open to all"), starts_at=soon(11))
    db.session.commit()
    login(client, person)
    page = listed(client)
    assert "Early years only" not in page and "Open to all" in page
    assert "Early years only" in table_text(client.get("/sessions"))  # still listed without the filter


def test_a_session_for_other_job_roles_is_not_listed(client, make_session, course_named, person):
    make_session(course_named("For DSLs"), starts_at=soon(10), roles=("school-dsl", "deputy-dsl"))
    make_session(course_named("Open to all"), starts_at=soon(11))
    db.session.commit()
    login(client, person)
    assert "For DSLs" not in listed(client)


def test_a_role_that_has_ended_does_not_count(client, make_session, course_named, person):
    role = person.roles[0]
    role.ended_on = (utcnow() - timedelta(days=30)).date()
    make_session(course_named("For teachers"), starts_at=soon(10), roles=("teacher",))
    make_session(course_named("Open to all"), starts_at=soon(11))
    db.session.commit()
    login(client, person)
    page = listed(client)
    assert "For teachers" not in page and "Open to all" in page


def test_sign_up_not_open_yet_or_closed_is_not_listed(client, make_session, course_named, person):
    make_session(course_named("Opens next week"), starts_at=soon(20), signup_opens_at=soon(7))
    make_session(course_named("Booking closed"), starts_at=soon(2), signup_closes_at=soon(-1))
    make_session(course_named("Open to all"), starts_at=soon(11))
    db.session.commit()
    login(client, person)
    page = listed(client)
    assert "Opens next week" not in page and "Booking closed" not in page and "Open to all" in page


def test_a_session_i_am_booked_on_or_waiting_for_is_not_listed(client, make_session, course_named, person, colleague):
    booked = make_session(course_named("Already booked"), starts_at=soon(10))
    make_session(course_named("Open to all"), starts_at=soon(11))
    book(booked, person)
    db.session.commit()
    login(client, person)
    page = listed(client)
    assert "Already booked" not in page and "Open to all" in page
    login(client, colleague)
    assert "Already booked" in listed(client)  # a place is still free for the colleague


def test_a_full_session_or_one_with_a_waiting_list_is_not_listed(client, make_session, course_named, person, make_people):
    full = make_session(course_named("Full session"), starts_at=soon(10), capacity=1)
    queued = make_session(course_named("Place freed with a queue"), starts_at=soon(12), capacity=1)
    make_session(course_named("Open to all"), starts_at=soon(11))
    first, second = make_people(2)
    book(full, first)
    book(queued, first)
    book(queued, second)  # waitlisted
    db.session.commit()
    from lms.bookings import services
    from lms.bookings.models import Booking
    from sqlalchemy import select
    taken = db.session.scalar(select(Booking).where(Booking.session_id == queued.id, Booking.user_id == first.id))
    taken.status = "cancelled"  # a place is free, but the waiting list comes first
    db.session.commit()
    assert services.waiting_list(queued)
    login(client, person)
    page = listed(client)
    assert "Full session" not in page and "Place freed with a queue" not in page and "Open to all" in page


def test_another_organisations_outreach_is_not_listed_even_for_its_lead(client, make_session, course_named, lead,
                                                                          other_organisation, make_course):
    from lms.accounts.models import SettingLead
    db.session.add(SettingLead(user_id=lead.id, organisation_id=other_organisation.id, created_at=utcnow()))
    visit = make_course(mode="outreach", title="Nursery team visit")
    make_session(visit, starts_at=soon(10), organisation_id=other_organisation.id)
    db.session.commit()
    login(client, lead)
    assert "Nursery team visit" in table_text(client.get("/sessions"))  # a lead there sees it
    assert "Nursery team visit" not in listed(client)  # but cannot book it for themselves


def test_a_visitor_sees_open_sessions_with_places(client, make_session, course_named):
    make_session(course_named("Open to all"), starts_at=soon(11))
    make_session(course_named("Opens next week"), starts_at=soon(20), signup_opens_at=soon(7))
    db.session.commit()
    page = listed(client)
    assert "Open to all" in page and "Opens next week" not in page
