"""Admins add and change the courses run on dates (lms.catalogue.admin: its services and pages)."""
from __future__ import annotations

import re
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select

from lms.audit.models import AuditEvent
from lms.catalogue.admin import services as admin
from lms.catalogue.models import Course
from lms.compliance import services as compliance
from lms.core.errors import DomainError, Forbidden
from lms.extensions import db
from lms.records import services as records
from tests import factories
from tests.conftest import csrf_token_from

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
TODAY = date(2026, 11, 23)


def good(**changes) -> admin.CourseValues:
    values = admin.CourseValues(
        code="DSL-NEW", title="Designated safeguarding lead: new to role",
        summary="Two days for new DSLs and deputies.", learning_outcomes=["Know the role", "Make a referral"],
        delivery_mode="face-to-face", cpd_hours=Decimal("12"), level=3, sector_codes=["education"],
        job_role_codes=["school-dsl"], requirement_codes=["dsl-role-training"],
    )
    for name, value in changes.items():
        setattr(values, name, value)
    return values


def form_data(**changes) -> dict:
    data = {
        "code": "DSL-NEW", "title": "Designated safeguarding lead: new to role", "summary": "Two days for new DSLs.",
        "learning_outcomes": "Know the role\n\nMake a referral\n", "delivery_mode": "face-to-face", "cpd_hours": "12",
        "level": "3", "sector_codes": ["education"], "job_role_codes": ["school-dsl"],
        "requirement_codes": ["dsl-role-training"], "active": "y",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture()
def admin_user():
    person = factories.user("admin@example.org", admin=True, roles=("other",))
    db.session.commit()
    return person


# --- the service ---------------------------------------------------------------------------


def test_an_admin_makes_a_course_that_runs_on_dates(admin_user):
    course = admin.create_course(good(code=" dsl-new "), actor=admin_user, now=NOW)
    db.session.commit()

    assert (course.code, course.managed_by, course.active, course.delivery_mode) == ("DSL-NEW", "admin", True, "face-to-face")
    assert course.learning_outcomes == ["Know the role", "Make a referral"]
    assert [s.code for s in course.audience_sectors] == ["education"]
    assert [r.code for r in course.audience_roles] == ["school-dsl"]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "course.create"))
    assert event.actor_id == admin_user.id and event.after["cpd_hours"] == "12"
    assert "Added the course DSL-NEW" in event.summary


@pytest.mark.parametrize("changes, field, message", [
    ({"code": ""}, "code", "Enter a course code"),
    ({"code": "DSL NEW"}, "code", "capital letters and digits"),
    ({"code": "DSL--NEW"}, "code", "single hyphens"),
    ({"title": "  "}, "title", "Enter the course title"),
    ({"summary": ""}, "summary", "Enter a summary"),
    ({"delivery_mode": "elearning"}, "delivery_mode", "Select how the course is delivered"),
    ({"cpd_hours": None}, "cpd_hours", "Enter the CPD hours"),
    ({"cpd_hours": Decimal("0.1")}, "cpd_hours", "quarter hours"),
    ({"cpd_hours": Decimal("101")}, "cpd_hours", "from 0.25 to 100"),
    ({"level": 4}, "level", "Select the course's level"),
    ({"sector_codes": ["nowhere"]}, "sector_codes", "Select sectors from the list"),
    ({"job_role_codes": ["astronaut"]}, "job_role_codes", "Select job roles from the list"),
    ({"requirement_codes": ["made-up"]}, "requirement_codes", "Select requirements from the list"),
    ({"learning_outcomes": ["x"] * 13}, "learning_outcomes", "at most 12"),
])
def test_bad_values_are_named_and_nothing_is_made(admin_user, changes, field, message):
    with pytest.raises(DomainError) as raised:
        admin.create_course(good(**changes), actor=admin_user, now=NOW)
    assert raised.value.field == field and message in raised.value.message
    db.session.rollback()
    assert db.session.scalars(select(Course)).all() == []


def test_codes_are_unique_and_only_admins_make_courses(admin_user):
    admin.create_course(good(), actor=admin_user, now=NOW)
    with pytest.raises(DomainError, match="already a course with the code DSL-NEW"):
        admin.create_course(good(code="dsl-new"), actor=admin_user, now=NOW)
    for person in (factories.user(trainer=True), factories.user()):
        with pytest.raises(Forbidden):
            admin.create_course(good(code="OTHER"), actor=person, now=NOW)


def test_changing_what_a_course_counts_towards_recomputes_those_who_completed_it(admin_user):
    """A teacher who attended a course that counted for nothing becomes current on
    whole-staff training as soon as the course is changed to count towards it."""
    course = admin.create_course(good(code="BASICS", requirement_codes=[], job_role_codes=[], sector_codes=[]),
                                 actor=admin_user, now=NOW)
    teacher = factories.user(roles=("teacher",), organisation=factories.organisation("Oak Primary"))
    db.session.flush()
    records.record_completion(teacher, title=course.title, delivery_mode="face-to-face", on=date(2026, 10, 1),
                              hours=course.cpd_hours, source="attendance", source_ref="s-1", course=course, now=NOW)
    db.session.commit()
    before = compliance.table_statuses([teacher.id], as_of=TODAY)[(teacher.id, "staff-safeguarding")][0]
    assert before == "overdue"

    assert admin.update_course(course, good(code="BASICS", requirement_codes=["staff-safeguarding"]),
                               actor=admin_user, now=NOW)
    db.session.commit()

    assert compliance.table_statuses([teacher.id], as_of=TODAY)[(teacher.id, "staff-safeguarding")][0] == "current"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "course.update"))
    assert event.before["requirement_codes"] == [] and event.after["requirement_codes"] == ["staff-safeguarding"]
    assert event.after["audience"] == [["education"], ["school-dsl"]]
    # The same values again: nothing changed, nothing logged.
    assert not admin.update_course(course, good(code="BASICS", requirement_codes=["staff-safeguarding"]),
                                   actor=admin_user, now=NOW)
    assert len(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "course.update")).all()) == 1


def test_e_learning_courses_are_changed_in_their_files(admin_user):
    course = Course(code="SGE", title="Safeguarding essentials", summary="...", delivery_mode="elearning",
                    cpd_hours=Decimal("2"), managed_by="files", created_at=NOW, updated_at=NOW)
    db.session.add(course)
    db.session.commit()
    with pytest.raises(DomainError, match="courses/SGE/"):
        admin.update_course(course, good(code="SGE"), actor=admin_user, now=NOW)


# --- the pages -----------------------------------------------------------------------------


def test_adding_a_course_through_the_page(client, admin_user):
    factories.sign_in(client, admin_user)
    page = client.get("/admin/courses/new")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'name="delivery_mode" type="radio" value="twilight"' in html or 'value="twilight"' in html
    assert "elearning" not in re.findall(r'name="delivery_mode"[^>]*value="([^"]+)"', html)

    response = client.post("/admin/courses/new", data=form_data())

    assert response.status_code == 302
    course = db.session.scalar(select(Course).where(Course.code == "DSL-NEW"))
    assert course.cpd_hours == Decimal("12") and course.level == 3 and course.active
    assert course.learning_outcomes == ["Know the role", "Make a referral"]
    listing = client.get("/admin/courses/").get_data(as_text=True)
    assert "Course DSL-NEW added" in listing and "Designated safeguarding lead: new to role" in listing
    assert 'href="/admin/courses/DSL-NEW/edit"' in listing
    # It can have sessions now: the session form offers it.
    assert "DSL-NEW" in client.get("/manage/sessions/new").get_data(as_text=True)


def test_each_group_of_choices_is_named_by_its_legend(client, admin_user):
    factories.sign_in(client, admin_user)
    html = client.get("/admin/courses/new").get_data(as_text=True)
    legends = [" ".join(text.split()) for text in re.findall(r'<legend class="govuk-fieldset__legend[^"]*">(.*?)</legend>', html, re.S)]
    for question in ("How is it delivered?", "Level", "Who is it for? Sectors (optional)", "Job roles (optional)",
                     "Training requirements it counts towards"):
        assert question in legends, legends


def test_a_course_can_ask_for_an_evaluation_before_its_certificate(client, admin_user):
    factories.sign_in(client, admin_user)
    assert client.post("/admin/courses/new", data=form_data(asks_for_evaluation="y")).status_code == 302
    course = db.session.scalar(select(Course).where(Course.code == "DSL-NEW"))
    assert course.asks_for_evaluation is True
    client.post("/admin/courses/DSL-NEW/edit", data=form_data(code=None))
    db.session.expire_all()
    assert db.session.scalar(select(Course).where(Course.code == "DSL-NEW")).asks_for_evaluation is False


def test_every_problem_is_shown_and_nothing_is_saved(client, admin_user):
    factories.sign_in(client, admin_user)

    response = client.post("/admin/courses/new", data=form_data(code="bad code", cpd_hours="lots"))

    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "There is a problem" in html and 'href="#code"' in html
    assert 'value="lots"' in html  # what was typed stays
    assert db.session.scalars(select(Course)).all() == []


def test_changing_a_course_through_the_page(client, admin_user):
    course = admin.create_course(good(), actor=admin_user, now=NOW)
    db.session.commit()
    factories.sign_in(client, admin_user)
    page = client.get(f"/admin/courses/{course.code}/edit").get_data(as_text=True)
    assert "Course code: <strong>DSL-NEW</strong>" in page and 'name="code"' not in page
    assert re.search(r'id="cpd_hours"[^>]*value="12"', page)

    response = client.post(f"/admin/courses/{course.code}/edit",
                           data=form_data(code="HIJACK", title="DSL: new to role", active=None, cpd_hours="10.5"))

    assert response.status_code == 302
    db.session.expire_all()
    course = db.session.get(Course, course.id)
    assert (course.code, course.title, course.cpd_hours, course.active) == ("DSL-NEW", "DSL: new to role", Decimal("10.5"), False)
    assert "Hidden" in client.get("/admin/courses/").get_data(as_text=True)
    assert client.get("/admin/courses/NOPE/edit").status_code == 404


def test_an_e_learning_course_page_says_where_to_change_it(client, admin_user):
    db.session.add(Course(code="SGE", title="Safeguarding essentials", summary="...", delivery_mode="elearning",
                          cpd_hours=Decimal("2"), managed_by="files", created_at=NOW, updated_at=NOW))
    db.session.commit()
    factories.sign_in(client, admin_user)
    assert "Changed in <code>courses/SGE/</code>" in client.get("/admin/courses/").get_data(as_text=True)
    response = client.post("/admin/courses/SGE/edit", data=form_data(code="SGE"))
    assert response.status_code == 409
    assert "is changed in its files" in response.get_data(as_text=True)
    assert db.session.scalar(select(Course.title).where(Course.code == "SGE")) == "Safeguarding essentials"


@pytest.mark.parametrize("url", ["/admin/courses/", "/admin/courses/new", "/admin/courses/DSL-NEW/edit"])
def test_only_admins_reach_the_course_pages(client, admin_user, url):
    admin.create_course(good(), actor=admin_user, now=NOW)
    organisation = factories.organisation("Oak Primary")
    people = [factories.user(trainer=True), factories.user(organisation=organisation, leads=(organisation,)),
              factories.user()]
    db.session.commit()
    assert client.get(url).status_code == 302  # signed out: to sign in
    for person in people:
        factories.sign_in(client, person)
        assert client.get(url).status_code == 403, person.email
        if not url.endswith("/courses/"):
            assert client.post(url, data=form_data(title="Changed")).status_code == 403
        client.post("/sign-out")
    assert db.session.scalar(select(Course.title).where(Course.code == "DSL-NEW")) == good().title


def test_the_course_form_needs_its_csrf_token(csrf_app, admin_user):
    client = factories.signed_in_client(csrf_app, admin_user)
    assert client.post("/admin/courses/new", data=form_data()).status_code == 400
    assert db.session.scalars(select(Course)).all() == []
    token = csrf_token_from(client.get("/admin/courses/new").get_data(as_text=True))
    assert client.post("/admin/courses/new", data=dict(form_data(), csrf_token=token)).status_code == 302
