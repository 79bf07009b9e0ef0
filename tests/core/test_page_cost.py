"""The fixed cost of pages: the session check is one statement, the navigation asks
nothing more, and the course and lesson pages run a fixed number of statements whoever
asks and however many lessons, dates or bookings there are. Also what those cheaper
paths must still do: refuse a revoked session or a closed account, hide other
organisations' outreach dates, and answer 404 for someone else's lesson."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from lms.accounts.models import SettingLead, User, UserSession
from lms.bookings.models import Booking
from lms.catalogue import services as catalogue
from lms.core.time import utcnow
from lms.elearning import services as elearning
from lms.extensions import db
from tests import factories
from tests.bookings.conftest import make_course_row, make_session_row

COURSES = Path(__file__).resolve().parents[2] / "courses"
# The session check: one statement (the session, its person and whether they lead an organisation).
SESSION_CHECK = 1
# The course page's own statements: the course, its details, then its lessons or its dates.
COURSE_PAGE = 3
# The lesson page's own statement: enrolment, course title, lesson and number of lessons.
LESSON_PAGE = 1


@pytest.fixture()
def courses(now):
    sources, problems = catalogue.check_course_files(COURSES)
    assert problems == []
    catalogue.sync_courses(sources, now=now)
    db.session.commit()
    return {code: catalogue.get_course(code) for code in ("SGE", "CE", "OS")}


def _get(client, count_queries, path: str):
    with count_queries() as statements:
        response = client.get(path)
    return response, len(statements)


def _nav_items(html: str) -> list[str]:
    import re

    return re.findall(r'class="govuk-service-navigation__link" href="[^"]*"(?: aria-current="true")?>(?:<strong[^>]*>)?([^<]+)<', html)


def test_a_signed_in_page_checks_the_session_in_one_statement(client, count_queries):
    person = factories.user("reader@example.org")
    db.session.commit()

    response, anonymous = _get(client, count_queries, "/accessibility")
    assert response.status_code == 200 and anonymous == 0

    factories.sign_in(client, person)
    response, signed_in = _get(client, count_queries, "/accessibility")
    assert response.status_code == 200
    assert signed_in == SESSION_CHECK
    assert _nav_items(response.data.decode()) == [
        "Home", "Courses", "Sessions", "My learning", "My training", "Your account", "Sign out",
    ]


def test_the_navigation_shows_a_setting_lead_their_organisation_without_another_statement(client, count_queries):
    school = factories.organisation("Ash Primary School")
    lead = factories.user("lead@example.org", organisation=school, leads=(school,))
    db.session.commit()
    factories.sign_in(client, lead)

    response, statements = _get(client, count_queries, "/accessibility")
    assert statements == SESSION_CHECK
    assert "My organisation" in _nav_items(response.data.decode())
    # The pages kept for setting leads still let them in, and the answer is per request.
    assert client.get("/organisation/staff").status_code == 200
    db.session.execute(SettingLead.__table__.delete())
    db.session.commit()
    assert "My organisation" not in _nav_items(client.get("/accessibility").data.decode())
    assert client.get("/organisation/staff").status_code == 403
    # Outside a request the property still asks the database.
    assert db.session.get(User, lead.id).is_setting_lead is False


def test_the_one_statement_check_still_refuses_revoked_sessions_and_closed_accounts(client):
    person = factories.user("closer@example.org")
    db.session.commit()

    factories.sign_in(client, person)
    assert client.get("/learning").status_code == 200
    db.session.execute(update(UserSession).values(revoked_at=utcnow()))
    db.session.commit()
    assert client.get("/learning").status_code == 302

    factories.sign_in(client, person)
    assert client.get("/learning").status_code == 200
    db.session.execute(update(User).where(User.id == person.id).values(active=False))
    db.session.commit()
    assert client.get("/learning").status_code == 302


def test_renewal_moves_last_seen_on_once_a_minute(client):
    person = factories.user("renew@example.org")
    db.session.commit()
    factories.sign_in(client, person)

    earlier = utcnow() - timedelta(minutes=5)
    db.session.execute(update(UserSession).values(last_seen_at=earlier))
    db.session.commit()
    assert client.get("/learning").status_code == 200
    db.session.expire_all()
    renewed = db.session.scalar(select(UserSession.last_seen_at))
    assert utcnow() - renewed < timedelta(minutes=1)
    # Within the minute it is left alone.
    assert client.get("/learning").status_code == 200
    db.session.expire_all()
    assert db.session.scalar(select(UserSession.last_seen_at)) == renewed


def test_the_elearning_course_page_runs_the_same_statements_for_everyone(client, count_queries, courses, now):
    sge = courses["SGE"]
    lessons = len(catalogue.latest_version(sge).lessons)

    response, anonymous = _get(client, count_queries, "/courses/SGE")
    page = response.data.decode()
    assert response.status_code == 200 and anonymous == COURSE_PAGE
    assert "Sign in</a> or" in page and page.count("minutes)</li>") == lessons
    assert "questions, pass mark" in page

    person = factories.user("learner@example.org")
    db.session.commit()
    factories.sign_in(client, person)
    response, not_started = _get(client, count_queries, "/courses/SGE")
    assert "Start this course" in response.data.decode()

    enrolment, _ = elearning.enrol(person, sge, actor=person, now=now)
    db.session.commit()
    response, started = _get(client, count_queries, "/courses/SGE")
    page = response.data.decode()
    assert "Continue this course" in page and f"/learning/{enrolment.id}" in page
    assert not_started == started == SESSION_CHECK + COURSE_PAGE

    # A course whose requirements, sectors and job roles are named on the page.
    assert "Counts towards" in page and "Who it is for" in page


def test_the_course_page_dates_take_one_statement_however_many(client, count_queries, now):
    school = factories.organisation("Birch Primary School")
    nursery = factories.organisation("Cedar Day Nursery", type_code="day-nursery")
    person = factories.user("teacher@example.org", organisation=school)
    admin = factories.user("admin@example.org", admin=True, roles=("other",))
    course = make_course_row("DATES-F", title="Dates course")
    empty = make_course_row("EMPTY-F", title="No dates course")
    start = now + timedelta(days=20)
    make_session_row(course, starts_at=start, venue_name="Own outreach", organisation_id=school.id, location_kind="outreach")
    make_session_row(course, starts_at=start + timedelta(hours=1), venue_name="Their outreach",
                     organisation_id=nursery.id, location_kind="outreach")
    sessions = [make_session_row(course, starts_at=start + timedelta(days=day)) for day in range(1, 9)]
    db.session.add(Booking(session_id=sessions[0].id, user_id=admin.id, status="booked", created_at=now, queued_at=now))
    db.session.commit()

    factories.sign_in(client, person)
    response, none_planned = _get(client, count_queries, "/courses/EMPTY-F")
    assert "No dates are planned" in response.data.decode()
    response, planned = _get(client, count_queries, "/courses/DATES-F")
    page = response.data.decode()
    assert none_planned == planned == SESSION_CHECK + COURSE_PAGE
    assert "Own outreach" in page and "Their outreach" not in page
    assert page.count('<td class="govuk-table__cell"><a class="govuk-link"') == 6
    assert "See all dates for this course" in page
    assert "19 places left" in page

    client.post("/sign-out")
    factories.sign_in(client, admin)
    response, as_admin = _get(client, count_queries, "/courses/DATES-F")
    assert as_admin == planned and "Their outreach" in response.data.decode()

    client.post("/sign-out")
    lead = factories.user("nurserylead@example.org", organisation=school, leads=(nursery,))
    db.session.commit()
    factories.sign_in(client, lead)
    response, as_lead = _get(client, count_queries, "/courses/DATES-F")
    assert as_lead == planned
    page = response.data.decode()
    assert "Their outreach" in page and "Own outreach" in page


def test_a_retired_or_unknown_course_is_not_found(client):
    make_course_row("GONE-F", active=False)
    db.session.commit()
    assert client.get("/courses/GONE-F").status_code == 404
    assert client.get("/courses/NOPE").status_code == 404


def test_the_lesson_page_is_one_statement_after_the_session_check(client, count_queries, courses, now):
    person = factories.user("reader2@example.org")
    other = factories.user("other@example.org")
    enrolment, _ = elearning.enrol(person, courses["SGE"], actor=person, now=now)
    db.session.commit()
    lessons = enrolment.version.lessons
    factories.sign_in(client, person)

    counts = set()
    for lesson in lessons:
        response, statements = _get(client, count_queries, f"/learning/{enrolment.id}/lessons/{lesson.position}")
        page = response.data.decode()
        assert response.status_code == 200
        assert f"lesson {lesson.position} of {len(lessons)}" in page and lesson.title in page
        assert ("Finish lessons" if lesson.position == len(lessons) else "Continue") in page
        counts.add(statements)
    assert counts == {SESSION_CHECK + LESSON_PAGE}
    for position in (0, len(lessons) + 1):
        assert client.get(f"/learning/{enrolment.id}/lessons/{position}").status_code == 404
    assert client.get("/learning/999999/lessons/1").status_code == 404

    client.post("/sign-out")
    factories.sign_in(client, other)
    assert client.get(f"/learning/{enrolment.id}/lessons/1").status_code == 404
