"""Each person's home page (pages.services.home and the "/" page): a section for each role
they hold, most urgent first, with what to do next; "Nothing to do" when there is nothing;
a fixed number of SQL statements for each role whatever the data; no other organisation's
figures."""
from __future__ import annotations

from datetime import timedelta

import pytest

from lms.accounts import services as accounts
from lms.bookings.models import Booking
from lms.core.time import utcnow
from lms.extensions import db
from lms.notifications.models import JobRun
from lms.pages import services as pages
from tests import factories as f
from tests.bookings.conftest import make_session_row
from tests.pages.home_data import _booking, build


# --- the sections ---------------------------------------------------------------------------

def test_a_practitioner_sees_needs_with_courses_and_dates_bookings_and_evaluations(now):
    scene = build(now)
    home = pages.home(scene.teacher, now=now)
    assert [s.role for s in home.sections] == [pages.PRACTITIONER]
    section = home.section(pages.PRACTITIONER)
    assert [item.need.requirement.code for item in section.needs] == ["staff-safeguarding", "staff-annual-update"]
    assert all(item.overdue for item in section.needs)
    classroom, elearning = section.needs[0].options[0], section.needs[1].options[0]
    assert classroom.course.code == "SGF" and classroom.next_session.id == scene.next_date.id
    assert elearning.is_elearning and elearning.next_session is None
    assert section.offers == [scene.offered]
    assert section.requests == [scene.requested]
    assert section.upcoming == [scene.booked]
    assert [c.title for c in section.evaluations] == ["Child exploitation"]
    assert section.urgent == 3  # two overdue needs and an offer
    assert not section.nothing_to_do


def test_the_next_date_is_the_soonest_still_open_for_booking(now):
    scene = build(now)
    # The 20-day session closes for booking: the 40-day one is next.
    scene.next_date.signup_closes_at = now - timedelta(hours=1)
    db.session.flush()
    option = pages.practitioner_section(scene.teacher, now=now).needs[0].options[0]
    assert option.next_session is not None and option.next_session.id != scene.next_date.id
    assert option.next_session.starts_at > scene.next_date.starts_at


def test_a_setting_lead_sees_their_staff_and_queues_but_not_another_organisations(now):
    scene = build(now)
    home = pages.home(scene.lead, now=now)
    # Most urgent first: both have overdue items; the practitioner section comes first.
    assert [s.role for s in home.sections] == [pages.PRACTITIONER, pages.SETTING_LEAD]
    section = home.section(pages.SETTING_LEAD)
    assert [(c.organisation.name, c.overdue, c.due_soon) for c in section.organisations] == [
        ("Brook Lane Primary", 3, 0)
    ]
    assert section.bookings_to_approve == 2
    assert section.cpd_to_verify == 1
    assert section.join_requests == 0

    stranger = f.user("stranger@example.org", full_name="Sid Stranger")
    accounts.ask_to_join(stranger, scene.lead.led_organisations[0], on=now.date(), now=now)
    db.session.flush()
    assert pages.setting_lead_section(scene.lead, now=now).join_requests == 1

    other = pages.setting_lead_section(scene.other_lead, now=now)
    assert [c.organisation.name for c in other.organisations] == ["Hill Top Primary"]
    assert other.bookings_to_approve == 0 and other.cpd_to_verify == 0 and other.join_requests == 0


def test_a_trainer_sees_next_sessions_and_registers_to_mark(now):
    scene = build(now)
    section = pages.home(scene.trainer, now=now).section(pages.TRAINER)
    assert [(s.session.id, s.places) for s in section.next_sessions] == [
        (scene.booked.session_id, 1), (scene.next_date.id, 0)
    ]
    assert [(r.session.id, r.unmarked) for r in section.registers] == [(scene.ended.id, 1)]
    assert section.registers_total == 1
    # Marking the last booked person clears it.
    for booking in scene.ended.bookings:
        booking.status = "attended"
    db.session.flush()
    assert pages.trainer_section(scene.trainer, now=now).registers == []


def test_an_admin_sees_the_queues_and_the_scheduler(now):
    scene = build(now)
    section = pages.home(scene.admin, now=now).section(pages.ADMIN)
    assert section.organisation_requests == 1
    assert section.emails_failed == 1
    assert section.scheduler.running is False
    assert [(s.session.id, s.places) for s in section.under_minimum] == [(scene.short.id, 1)]
    db.session.add(JobRun(name="heartbeat", last_started_at=now, last_finished_at=now - timedelta(minutes=4)))
    db.session.flush()
    assert pages.admin_section(scene.admin, now=now).scheduler.running is True
    # The same five-minute rule as notifications.scheduler_is_running.
    assert pages.admin_section(scene.admin, now=now + timedelta(minutes=2)).scheduler.running is False


def test_nothing_to_do(now):
    person = f.user(organisation=f.organisation(), roles=())
    section = pages.home(person, now=now).section(pages.PRACTITIONER)
    assert section.nothing_to_do and section.needs == [] and section.offers == []
    trainer = f.user(trainer=True, roles=())
    assert [s.role for s in pages.home(trainer, now=now).sections] == [pages.TRAINER]
    assert pages.trainer_section(trainer, now=now).nothing_to_do


def test_sections_most_urgent_first(now):
    scene = build(now)
    scene.trainer.is_admin = True
    db.session.add(JobRun(name="heartbeat", last_started_at=now, last_finished_at=now))
    db.session.flush()
    # Trainer (a register to mark) and admin (a failed email) both urgent: role order.
    assert [s.role for s in pages.home(scene.trainer, now=now).sections] == [pages.TRAINER, pages.ADMIN]
    for booking in scene.ended.bookings:
        booking.status = "attended"
    db.session.flush()
    # With no register left the trainer's section follows the admin's.
    assert [s.role for s in pages.home(scene.trainer, now=now).sections] == [pages.ADMIN, pages.TRAINER]


# --- a fixed number of statements -------------------------------------------------------------

def _more_data(scene, now):
    """Many more rows of every kind the home page reads."""
    for day in range(1, 9):
        session = make_session_row(scene.classroom, starts_at=now + timedelta(days=day, hours=2),
                                   signup_closes_at=now + timedelta(days=day), trainers=[scene.trainer], minimum=9)
        ended = make_session_row(scene.classroom, starts_at=now - timedelta(days=day + 3),
                                 signup_closes_at=now - timedelta(days=day + 4), trainers=[scene.trainer])
        for person in (scene.colleague, f.user(organisation=scene.school), f.user(organisation=scene.school)):
            _booking(session, person, "booked", now)
            _booking(ended, person, "booked", now)
        _booking(session, scene.teacher, "offered" if day % 2 else "booked", now, offer_expires_at=now + timedelta(days=1))
        requested = _booking(session, f.user(organisation=scene.school), "requested", now)
        assert requested.status == "requested"
    db.session.flush()


def _fresh(person_id: int):
    """The person as a request starts with them: loaded alone, nothing else loaded."""
    from lms.accounts.models import User

    db.session.flush()
    db.session.expire_all()
    person = db.session.get(User, person_id)
    db.session.refresh(person)
    return person


@pytest.mark.parametrize("who", ["teacher", "lead", "trainer", "admin"])
def test_each_role_runs_a_fixed_number_of_statements(now, count_queries, who):
    scene = build(now)
    person_id = getattr(scene, who).id
    pages.home(_fresh(person_id), now=now)  # builds the rule set this process keeps (compliance.kept_rules)
    person = _fresh(person_id)
    with count_queries() as before:
        first = pages.home(person, now=now)
    _more_data(scene, now)
    db.session.flush()
    person = _fresh(person_id)
    with count_queries() as after:
        second = pages.home(person, now=now)
    assert len(after) == len(before), "\n\n".join(after)
    # The lead is a school DSL: one more statement asks for the twilight term to book.
    assert len(before) <= {"teacher": 10, "lead": 16, "trainer": 5, "admin": 10}[who], "\n\n".join(before)
    assert [s.role for s in first.sections] == [s.role for s in second.sections]


# --- the page -------------------------------------------------------------------------------

@pytest.fixture
def scene(app):
    built = build(utcnow())
    db.session.commit()
    return built


def _home(app, person) -> str:
    client = f.signed_in_client(app, person)
    response = client.get("/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_practitioners_page(app, scene):
    html = _home(app, scene.teacher)
    assert 'id="home-practitioner"' in html and "Your training" in html
    assert "Safeguarding in schools, face to face" in html and f'href="/sessions/{scene.next_date.id}"' in html
    assert "e-learning, start it now" in html and 'href="/courses/UPDATE"' in html
    assert "Places offered to you (1)" in html and "accept or decline by" in html
    assert f'href="/bookings/{scene.offered.id}"' in html
    assert "Waiting for your setting lead to approve (1)" in html
    assert "Evaluations to fill in (1)" in html and 'href="/evaluations/' in html
    assert "Coming up (1)" in html
    # Not a lead, trainer or admin: none of their sections.
    for other in ('id="home-setting-lead"', 'id="home-trainer"', 'id="home-admin"', "Booking requests to decide"):
        assert other not in html


def test_the_setting_leads_page_links_to_the_filtered_matrix(app, scene):
    html = _home(app, scene.lead)
    assert html.index('id="home-practitioner"') < html.index('id="home-setting-lead"')
    assert "Your staff" in html and "Brook Lane Primary" in html
    assert f'href="/organisation/compliance?organisation={scene.school.id}&amp;status=overdue"' in html
    assert "3 people have training overdue" in html
    assert "Booking requests to decide" in html and 'href="/organisation/booking-requests"' in html
    assert "External training to verify" in html and 'href="/organisation/external-cpd"' in html
    assert "People asking to join" not in html


def test_another_organisations_lead_sees_only_their_own(app, scene):
    html = _home(app, scene.other_lead)
    assert "Hill Top Primary" in html
    assert f"organisation={scene.school.id}" not in html
    assert "Booking requests to decide" not in html and "External training to verify" not in html


def test_the_trainers_page(app, scene):
    html = _home(app, scene.trainer)
    assert 'id="home-trainer"' in html and "Your sessions" in html
    assert f'href="/manage/sessions/{scene.ended.id}/register"' in html and "1 person not marked" in html
    assert f'href="/manage/sessions/{scene.next_date.id}"' in html and "0 of 20 places taken" in html
    # The session's details are markup, not escaped text shown to the trainer.
    assert '<p class="govuk-body govuk-!-margin-bottom-0">0 of 20 places taken</p>' in html
    assert "&lt;p" not in html
    assert 'id="home-practitioner"' not in html and 'id="home-admin"' not in html


def test_the_admins_page(app, scene):
    html = _home(app, scene.admin)
    assert 'id="home-admin"' in html and "The partnership&#39;s queues" in html
    assert "Not running" in html and "It has never reported in." in html
    assert "Emails that failed" in html
    assert "Requests to add an organisation" in html and 'href="/admin/organisation-requests"' in html
    assert f'href="/manage/sessions/{scene.short.id}"' in html and "1 booked, minimum 6" in html
    assert 'id="home-setting-lead"' not in html


def test_nothing_to_do_says_so(app):
    person = f.user(organisation=f.organisation(), roles=())
    db.session.commit()
    html = _home(app, person)
    assert "Nothing to do." in html


def test_an_admin_with_a_running_scheduler_and_no_queues(app):
    admin = f.user(admin=True, roles=())
    now = utcnow()
    db.session.add(JobRun(name="heartbeat", last_started_at=now, last_finished_at=now))
    db.session.commit()
    html = _home(app, admin)
    assert "Nothing to do." in html and "The scheduler is running" in html


def test_signed_out_visitors_get_the_start_page(client):
    html = client.get("/").get_data(as_text=True)
    assert "Create an account" in html and "Your training" not in html


def test_no_booking_of_another_person_shows(app, scene):
    html = _home(app, scene.colleague)
    assert f'href="/bookings/{scene.offered.id}"' not in html
    assert db.session.get(Booking, scene.offered.id).user_id == scene.teacher.id
