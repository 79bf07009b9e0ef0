"""A setting lead's e-learning pages: their staff's progress, and enrolling staff on a
course in bulk or one at a time, with an email to each and nothing done for anyone else's
staff."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from lms.audit.models import AuditEvent
from lms.core.errors import DomainError, Forbidden, NotFound
from lms.elearning import services as elearning
from lms.elearning.staff import services as staff_services
from lms.elearning.models import Enrolment
from lms.elearning.services import BulkResult
from lms.extensions import db
from lms.notifications.models import OutboundEmail
from tests import factories
from tests.conftest import csrf_token_from

PAGE = "/organisation/e-learning"
ENROL = "/organisation/e-learning/enrol"


# --- helpers --------------------------------------------------------------------------

def login(client, person) -> None:
    response = factories.sign_in(client, person)
    assert response.status_code == 302, response.get_data(as_text=True)


def login_directly(client, person) -> None:
    """Sign in without the sign-in form (for a client with CSRF protection on)."""
    factories.sign_in_directly(client, person)


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def enrolled_ids(course) -> list[str]:
    db.session.expire_all()
    return sorted(
        db.session.scalars(
            select(Enrolment.user_id).where(Enrolment.course_id == course.id)
        ).all()
    )


def outbox() -> list[OutboundEmail]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboundEmail).order_by(OutboundEmail.id)))


def text(response) -> str:
    """The page's text with tags removed and spaces squeezed, for reading what it says."""
    html = response.get_data(as_text=True)
    html = re.sub(r"<script.*?</script>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).replace("&#39;", "'").replace("&amp;", "&").split())


def table_rows(response) -> list[str]:
    html = response.get_data(as_text=True)
    body = re.search(r"<tbody[^>]*>(.*?)</tbody>", html, flags=re.S)
    if body is None:
        return []
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body.group(1), flags=re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in rows]


def read_lessons(enrolment, how_many, now):
    for position in range(1, how_many + 1):
        elearning.mark_lesson_read(enrolment, position, now=now)


@pytest.fixture()
def world(courses, now):
    """Hillside (led by Lena, who works there too) with four staff at different points in
    Safeguarding Everyone; Other School with its own lead and one person."""
    school = factories.organisation("Hillside Primary School")
    other = factories.organisation("Other School")
    lead = factories.user("lena@example.org", full_name="Lena Lead", organisation=school, leads=(school,),
                          roles=("school-dsl",))
    amy = factories.user("amy@example.org", full_name="Amy Able", organisation=school)
    ben = factories.user("ben@example.org", full_name="Ben Best", organisation=school)
    cat = factories.user("cat@example.org", full_name="Cat Cole", organisation=school)
    dan = factories.user("dan@example.org", full_name="Dan Dunn", organisation=school)
    gone = factories.user("gone@example.org", full_name="Gil Gone", organisation=school)
    gone.active = False
    other_lead = factories.user("olly@example.org", full_name="Olly Other", organisation=other, leads=(other,))
    zed = factories.user("zed@example.org", full_name="Zed Zebra", organisation=other)
    admin = factories.user("ada@example.org", full_name="Ada Admin", admin=True, roles=("other",))
    practitioner = factories.user("pat@example.org", full_name="Pat Practitioner", organisation=school)
    sge = courses["SGE"]
    # Amy: enrolled, not started. Ben: two lessons read. Cat: completed with 90%.
    elearning.enrol(amy, sge, actor=amy, now=now)
    ben_enrolment, _ = elearning.enrol(ben, sge, actor=ben, now=now)
    read_lessons(ben_enrolment, 2, now)
    cat_enrolment, _ = elearning.enrol(cat, sge, actor=cat, now=now)
    read_lessons(cat_enrolment, elearning.lesson_count(cat_enrolment), now)
    elearning.complete(cat_enrolment, score=90, now=now)
    # Someone elsewhere, who must never show up at Hillside.
    elearning.enrol(zed, sge, actor=zed, now=now)
    db.session.commit()
    return {
        "school": school, "other": other, "lead": lead, "amy": amy, "ben": ben, "cat": cat, "dan": dan,
        "gone": gone, "other_lead": other_lead, "zed": zed, "admin": admin, "practitioner": practitioner,
        "sge": sge, "ce": courses["CE"], "os": courses["OS"],
    }


@pytest.fixture()
def lead_client(app, world):
    client = app.test_client()
    login(client, world["lead"])
    return client


def retire(course) -> None:
    course.active = False
    db.session.commit()


# --- who may see the pages ------------------------------------------------------------

def test_anonymous_people_are_sent_to_sign_in(client, world):
    for response in (client.get(PAGE), client.get(ENROL), client.post(ENROL, data={"course": "1", "people": ["1"]})):
        assert response.status_code == 302
        assert "/sign-in" in response.headers["Location"]


def test_practitioners_are_refused(app, world):
    client = app.test_client()
    login(client, world["practitioner"])
    assert client.get(PAGE).status_code == 403
    assert client.get(ENROL).status_code == 403
    before = count(Enrolment)
    response = client.post(ENROL, data={"course": str(world["ce"].id), "people": [str(world["practitioner"].id)]})
    assert response.status_code == 403
    assert count(Enrolment) == before


def test_a_lead_of_another_organisation_cannot_see_or_enrol_its_staff(app, world):
    school, amy, ce = world["school"], world["amy"], world["ce"]
    client = app.test_client()
    login(client, world["other_lead"])

    # Their own page shows only their own people.
    own = text(client.get(PAGE))
    assert "Zed Zebra" in own and "Amy Able" not in own and "Hillside" not in own

    # Hillside's pages are not found.
    assert client.get(f"{PAGE}?organisation={school.id}").status_code == 404
    assert client.get(f"{ENROL}?organisation={school.id}").status_code == 404
    assert client.post(f"{ENROL}?organisation={school.id}", data={"course": str(ce.id), "people": [str(amy.id)]}).status_code == 404
    assert client.post(f"{ENROL}?organisation={school.id}", data={"course": str(ce.id), "people": ["everyone"]}).status_code == 404
    # Hillside's people cannot be slipped into their own organisation's form.
    response = client.post(ENROL, data={"course": str(ce.id), "people": [str(amy.id)]})
    assert response.status_code == 403
    response = client.post(ENROL, data={"course": str(ce.id), "people": [str(world["zed"].id), str(amy.id)]})
    assert response.status_code == 403
    # Not even alongside "everyone".
    response = client.post(ENROL, data={"course": str(ce.id), "people": ["everyone", str(amy.id)]})
    assert response.status_code == 403

    db.session.expire_all()
    assert db.session.scalar(select(func.count(Enrolment.id)).where(Enrolment.course_id == ce.id)) == 0
    assert outbox() == []
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "enrolment.create")) == 0


def test_nonsense_organisation_is_not_found(lead_client):
    assert lead_client.get(f"{PAGE}?organisation=abc").status_code == 404
    assert lead_client.get(f"{PAGE}?organisation=999999").status_code == 404


# --- the progress table ---------------------------------------------------------------

def test_progress_table_shows_each_persons_status(lead_client, world):
    lessons = elearning.lesson_count(db.session.scalar(select(Enrolment).where(Enrolment.user_id == world["ben"].id)))
    response = lead_client.get(PAGE)
    assert response.status_code == 200
    page = text(response)
    assert "Hillside Primary School" in page and "Staff e-learning" in page
    rows = table_rows(response)
    # Sorted by name; inactive accounts and other organisations' people left out.
    assert [row.split(" ")[0] for row in rows] == ["Amy", "Ben", "Cat", "Dan", "Lena", "Pat"]
    assert "Safeguarding Everyone Not started Enrolled 23 November 2026; 0 of" in rows[0]
    assert f"In progress 2 of {lessons} lessons read" in rows[1]
    assert "Completed 23 November 2026; score 90%" in rows[2]
    assert rows[3].startswith("Dan Dunn No e-learning Not enrolled Enrol Dan Dunn on a course")
    assert "Zed" not in page and "Gil Gone" not in page

    # Counts at the top.
    assert "Enrolments 3" in page
    assert "Not started 1" in page and "In progress 1" in page and "Completed 1" in page
    assert "Staff not enrolled on any e-learning 3" in page


def test_progress_filters_by_course_and_status(lead_client, world):
    sge, ce = world["sge"], world["ce"]
    rows = table_rows(lead_client.get(f"{PAGE}?course={sge.id}&status=completed"))
    assert len(rows) == 1 and rows[0].startswith("Cat Cole Safeguarding Everyone Completed")

    rows = table_rows(lead_client.get(f"{PAGE}?status=in-progress"))
    assert len(rows) == 1 and rows[0].startswith("Ben Best")

    rows = table_rows(lead_client.get(f"{PAGE}?status=not-started"))
    assert len(rows) == 1 and rows[0].startswith("Amy Able")

    rows = table_rows(lead_client.get(f"{PAGE}?status=not-enrolled"))
    assert [row.split(" ")[0] for row in rows] == ["Dan", "Lena", "Pat"]

    # One course: everyone not on it can be enrolled from their row.
    response = lead_client.get(f"{PAGE}?course={ce.id}")
    page, rows = text(response), table_rows(response)
    assert len(rows) == 6
    for row in rows:
        name = " ".join(row.split(" ")[:2])
        assert f"{name} {ce.title} Not enrolled Enrol {name} on {ce.title}" in row, row
    assert f"Summary: {ce.title}" in page
    assert "Enrolments 0" in page and "Staff not enrolled on this course 6" in page

    # A filter value that makes no sense is ignored.
    assert len(table_rows(lead_client.get(f"{PAGE}?course=nonsense&status=sideways"))) == 6


def test_progress_table_is_paginated(lead_client, world):
    for n in range(30):
        factories.user(f"extra{n:02d}@example.org", full_name=f"Extra {n:02d}", organisation=world["school"])
    db.session.commit()
    first = lead_client.get(PAGE)
    rows = table_rows(first)
    assert len(rows) == 25
    assert "Showing 1 to 25 of 36 results" in text(first)
    second = table_rows(lead_client.get(f"{PAGE}?page=2"))
    assert len(second) == 11
    assert second[-1].startswith("Pat Practitioner")
    # Past the end: the last page.
    assert table_rows(lead_client.get(f"{PAGE}?page=99")) == second


def test_progress_statement_count_does_not_grow_with_rows(lead_client, world, count_queries, now):
    def statements(path) -> int:
        lead_client.get(path)  # warm up
        with count_queries() as executed:
            assert lead_client.get(path).status_code == 200
        return len(executed)

    paths = [PAGE, f"{PAGE}?course={world['sge'].id}", ENROL]
    few = [statements(path) for path in paths]
    for n in range(15):
        person = factories.user(f"more{n}@example.org", full_name=f"More {n}", organisation=world["school"])
        if n % 3:
            enrolment, _ = elearning.enrol(person, world["sge"], actor=person, now=now)
            read_lessons(enrolment, n % 4, now)
            if n % 3 == 2:
                read_lessons(enrolment, elearning.lesson_count(enrolment), now)
                elearning.complete(enrolment, score=80 + n, now=now)
        elearning.enrol(person, world["os"], actor=person, now=now)
    db.session.commit()
    assert [statements(path) for path in paths] == few


# --- enrolling ------------------------------------------------------------------------

def test_enrol_everyone_then_again_changes_nothing(lead_client, world):
    ce, lead = world["ce"], world["lead"]
    page = text(lead_client.get(ENROL))
    assert "Everyone at Hillside Primary School" in page
    assert "Amy Able" in page and "Zed" not in page and "Gil Gone" not in page

    response = lead_client.post(ENROL, data={"course": str(ce.id), "people": ["everyone"]})
    assert response.status_code == 302
    assert response.headers["Location"] == f"{PAGE}?organisation={world['school'].id}&course={ce.id}"
    shown = text(lead_client.get(response.headers["Location"]))
    assert f"Enrolled 6 people on {ce.title}" in shown
    staff = [world[key] for key in ("amy", "ben", "cat", "dan", "lead", "practitioner")]
    assert enrolled_ids(ce) == sorted(p.id for p in staff)

    # One audit event and one email for each person enrolled by someone else (not the lead).
    db.session.expire_all()
    events = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "enrolment.create")))
    assert len(events) == 5 and all(event.actor_id == lead.id for event in events)
    emails = outbox()
    assert sorted(e.to_address for e in emails) == sorted(p.email for p in staff if p.id != lead.id)
    amy_email = next(e for e in emails if e.to_address == "amy@example.org")
    assert amy_email.subject == f"You have been enrolled on {ce.title}"
    assert amy_email.user_id == world["amy"].id
    assert "Lena Lead has enrolled you" in amy_email.body_text
    assert f"http://localhost/courses/{ce.code}" in amy_email.body_text
    assert "Hillside Primary School" in amy_email.body_text

    # Again: nobody new, nothing more written.
    response = lead_client.post(ENROL, data={"course": str(ce.id), "people": ["everyone"]})
    assert response.status_code == 302
    shown = text(lead_client.get(response.headers["Location"]))
    assert f"No one was enrolled: all 6 people you chose were already enrolled on {ce.title}" in shown
    assert count(Enrolment) == 4 + 6
    assert len(outbox()) == 5
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "enrolment.create")) == 5


def test_enrol_some_people_some_already_enrolled(lead_client, world):
    sge = world["sge"]
    people = [world["amy"], world["ben"], world["dan"]]
    response = lead_client.post(ENROL, data={"course": str(sge.id), "people": [str(p.id) for p in people]})
    assert response.status_code == 302
    shown = text(lead_client.get(response.headers["Location"]))
    assert f"Enrolled 1 person on {sge.title}; 2 were already enrolled" in shown
    assert [e.to_address for e in outbox()] == ["dan@example.org"]
    # Cat completed it: choosing her again starts a refresher.
    response = lead_client.post(ENROL, data={"course": str(sge.id), "people": [str(world["cat"].id)]})
    assert "Enrolled 1 person" in text(lead_client.get(response.headers["Location"]))
    db.session.expire_all()
    assert db.session.scalar(
        select(func.count(Enrolment.id)).where(Enrolment.user_id == world["cat"].id, Enrolment.course_id == sge.id)
    ) == 2


def test_enrol_one_person_from_their_row(lead_client, world):
    os_course, dan = world["os"], world["dan"]
    page = lead_client.get(f"{PAGE}?course={os_course.id}").get_data(as_text=True)
    form = re.search(
        r'<form method="post" action="([^"]+)"[^>]*>((?:(?!</form>).)*?value="%d"(?:(?!</form>).)*?)</form>' % dan.id,
        page, flags=re.S,
    )
    assert form, "no Enrol button on Dan's row"
    assert f'name="course" value="{os_course.id}"' in form.group(2)
    response = lead_client.post(form.group(1).replace("&amp;", "&"), data={"course": str(os_course.id), "people": str(dan.id)})
    assert response.status_code == 302
    shown = lead_client.get(response.headers["Location"])
    assert f"Enrolled 1 person on {os_course.title}" in text(shown)
    dan_row = next(row for row in table_rows(shown) if row.startswith("Dan Dunn"))
    assert "Not started" in dan_row
    assert [e.to_address for e in outbox()] == ["dan@example.org"]


def test_enrol_page_ticks_the_person_from_the_row(lead_client, world):
    dan = world["dan"]
    html = lead_client.get(f"{ENROL}?person={dan.id}&course={world['ce'].id}").get_data(as_text=True)
    assert re.search(r'value="%d"[^>]*checked' % dan.id, html)
    assert re.search(r'<option value="%d" selected' % world["ce"].id, html)
    assert not re.search(r'value="%d"[^>]*checked' % world["amy"].id, html)


def test_enrol_page_offers_only_active_elearning_courses(lead_client, world):
    retire(world["os"])
    html = lead_client.get(ENROL).get_data(as_text=True)
    assert world["sge"].title in html and world["ce"].title in html
    assert f'<option value="{world["os"].id}"' not in html


@pytest.mark.parametrize(
    "data, messages",
    [
        ({"people": ["AMY"]}, ["Select a course"]),
        ({"course": "SGE"}, ["Select the people to enrol, or everyone at Hillside Primary School"]),
        ({}, ["Select a course", "Select the people to enrol"]),
        ({"course": "nonsense", "people": ["AMY"]}, ["Select an e-learning course from the list"]),
        ({"course": "999999", "people": ["AMY"]}, ["Select an e-learning course from the list"]),
    ],
)
def test_enrol_errors_change_nothing(lead_client, world, data, messages):
    ids = {"AMY": str(world["amy"].id), "SGE": str(world["sge"].id)}
    data = {key: ([ids.get(v, v) for v in value] if isinstance(value, list) else ids.get(value, value))
            for key, value in data.items()}
    before = count(Enrolment)
    response = lead_client.post(ENROL, data=data)
    assert response.status_code == 200
    page = text(response)
    assert "There is a problem" in page
    for message in messages:
        assert message in page
    assert count(Enrolment) == before
    assert outbox() == []


def test_error_summary_links_to_the_fields(lead_client, world):
    html = lead_client.post(ENROL, data={}).get_data(as_text=True)
    assert 'href="#course"' in html and 'id="course"' in html
    assert 'href="#people"' in html and 'id="people"' in html


def test_a_retired_course_cannot_be_chosen(lead_client, world):
    ce = world["ce"]
    retire(ce)
    response = lead_client.post(ENROL, data={"course": str(ce.id), "people": ["everyone"]})
    assert response.status_code == 200
    assert f"{ce.title} has been retired. Select another course" in text(response)
    assert "There is a problem" in text(response)
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Enrolment.id)).where(Enrolment.course_id == ce.id)) == 0
    assert outbox() == []


def test_a_face_to_face_course_cannot_be_chosen(lead_client, world, now):
    from lms.catalogue.models import Course

    course = Course(code="F2F", title="Face to face", summary="In a room", delivery_mode="face-to-face",
                    cpd_hours=3, created_at=now, updated_at=now)
    db.session.add(course)
    db.session.commit()
    response = lead_client.post(ENROL, data={"course": str(course.id), "people": [str(world["amy"].id)]})
    assert "Select an e-learning course from the list" in text(response)
    assert count(Enrolment) == 4


def test_someone_not_at_the_organisation_is_refused_and_nothing_is_enrolled(lead_client, world):
    ce = world["ce"]
    for people in (
        [str(world["amy"].id), str(world["zed"].id)],  # elsewhere
        [str(world["amy"].id), str(world["gone"].id)],  # account closed
        [str(world["amy"].id), str(world["admin"].id)],  # no organisation
        [str(world["amy"].id), "999999"],  # nobody
        [str(world["amy"].id), "not-an-id"],
    ):
        response = lead_client.post(ENROL, data={"course": str(ce.id), "people": people})
        assert response.status_code == 403, people
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Enrolment.id)).where(Enrolment.course_id == ce.id)) == 0
    assert outbox() == []


# --- admins and leads of several organisations -----------------------------------------

def test_admin_chooses_an_organisation_and_can_enrol(app, world):
    school, ce, amy = world["school"], world["ce"], world["amy"]
    client = app.test_client()
    login(client, world["admin"])
    choose = client.get(PAGE)
    assert choose.status_code == 200
    assert "Choose an organisation" in text(choose)
    assert "Hillside Primary School" in text(choose) and "Other School" in text(choose)
    assert client.get(ENROL).status_code == 200

    page = client.get(f"{PAGE}?organisation={school.id}")
    assert page.status_code == 200
    assert "Amy Able" in text(page) and "Zed" not in text(page)

    response = client.post(f"{ENROL}?organisation={school.id}", data={"course": str(ce.id), "people": [str(amy.id)]})
    assert response.status_code == 302
    assert enrolled_ids(ce) == [amy.id]
    (email,) = outbox()
    assert "Ada Admin has enrolled you" in email.body_text
    # An admin, too, can enrol only an organisation's own staff from its page.
    response = client.post(f"{ENROL}?organisation={school.id}", data={"course": str(ce.id), "people": [str(world["zed"].id)]})
    assert response.status_code == 403
    assert enrolled_ids(ce) == [amy.id]


def test_lead_of_several_organisations_chooses_one(app, world):
    school, other, third = world["school"], world["other"], factories.organisation("Third Nursery")
    both = factories.user("bo@example.org", full_name="Bo Both", organisation=school, leads=(school, third))
    db.session.commit()
    client = app.test_client()
    login(client, both)
    choose = client.get(PAGE)
    assert choose.status_code == 200
    html = choose.get_data(as_text=True)
    assert "Hillside Primary School" in html and "Third Nursery" in html and "Other School" not in html
    # Continue with nothing chosen.
    empty = client.get(f"{PAGE}?organisation=")
    assert "There is a problem" in text(empty) and "Select an organisation" in text(empty)
    assert client.get(f"{PAGE}?organisation={third.id}").status_code == 200
    assert "Amy Able" in text(client.get(f"{PAGE}?organisation={school.id}"))
    assert client.get(f"{PAGE}?organisation={other.id}").status_code == 404
    # A POST must say which organisation.
    assert client.post(ENROL, data={"course": str(world["ce"].id), "people": ["everyone"]}).status_code == 404
    assert count(Enrolment) == 4


# --- CSRF -----------------------------------------------------------------------------

def test_enrolling_needs_a_csrf_token(csrf_app, world):
    client = csrf_app.test_client()
    login_directly(client, world["lead"])
    data = {"course": str(world["ce"].id), "people": ["everyone"]}
    assert client.post(ENROL, data=data).status_code == 400
    assert count(Enrolment) == 4 and outbox() == []
    # The row buttons carry a token too.
    assert csrf_token_from(client.get(f"{PAGE}?course={world['ce'].id}").get_data(as_text=True))
    token = csrf_token_from(client.get(ENROL).get_data(as_text=True))
    assert client.post(ENROL, data={**data, "csrf_token": token}).status_code == 302
    assert count(Enrolment) == 10


# --- services -------------------------------------------------------------------------

def test_staff_to_enrol(world):
    school, lead = world["school"], world["lead"]
    people = staff_services.staff_to_enrol(lead, school, [], everyone=True)
    assert [p.full_name for p in people] == ["Amy Able", "Ben Best", "Cat Cole", "Dan Dunn", "Lena Lead", "Pat Practitioner"]
    assert staff_services.staff_to_enrol(lead, school, [world["dan"].id, world["amy"].id]) == [world["amy"], world["dan"]]
    with pytest.raises(DomainError) as raised:
        staff_services.staff_to_enrol(lead, school, [])
    assert raised.value.field == "people"
    with pytest.raises(Forbidden):
        staff_services.staff_to_enrol(lead, school, [world["zed"].id])
    with pytest.raises(Forbidden):
        staff_services.staff_to_enrol(world["other_lead"], school, [world["amy"].id])
    with pytest.raises(Forbidden):
        staff_services.staff_to_enrol(world["other_lead"], school, [], everyone=True)


def test_get_organisation_for(world):
    school, other = world["school"], world["other"]
    assert staff_services.get_organisation_for(world["lead"], school.id) == school
    assert staff_services.get_organisation_for(world["admin"], other.id) == other
    for organisation_id in (other.id, 999999, None):
        with pytest.raises(NotFound):
            staff_services.get_organisation_for(world["lead"], organisation_id)


def test_enrol_staff_checks_the_organisation(world, now):
    with pytest.raises(Forbidden):
        staff_services.enrol_staff(world["school"], [world["zed"]], world["ce"], actor=world["lead"], now=now)
    with pytest.raises(Forbidden):
        staff_services.enrol_staff(world["school"], [world["amy"]], world["ce"], actor=world["other_lead"], now=now)
    assert count(Enrolment) == 4


def test_course_to_enrol_on(world):
    assert staff_services.course_to_enrol_on(world["sge"].id) == world["sge"]
    for value, message in ((None, "Select a course"), (-1, "Select an e-learning course from the list")):
        with pytest.raises(DomainError) as raised:
            staff_services.course_to_enrol_on(value)
        assert raised.value.message == message and raised.value.field == "course"
    retire(world["os"])
    with pytest.raises(DomainError, match="has been retired"):
        staff_services.course_to_enrol_on(world["os"].id)


def test_progress_counts_per_course(world):
    school = world["school"]
    everything = staff_services.progress_counts(school)
    assert (everything.enrolments, everything.not_started, everything.in_progress, everything.completed,
            everything.not_enrolled) == (3, 1, 1, 1, 3)
    on_ce = staff_services.progress_counts(school, course_id=world["ce"].id)
    assert (on_ce.enrolments, on_ce.not_enrolled) == (0, 6)
    elsewhere = staff_services.progress_counts(world["other"])
    assert (elsewhere.enrolments, elsewhere.not_started, elsewhere.not_enrolled) == (1, 1, 1)


def test_enrolled_message_wording(world):
    course, amy, ben = world["sge"], world["amy"], world["ben"]
    assert staff_services.enrolled_message(BulkResult([amy], []), course) == "Enrolled 1 person on Safeguarding Everyone"
    assert (
        staff_services.enrolled_message(BulkResult([amy, ben], [ben]), course)
        == "Enrolled 2 people on Safeguarding Everyone; 1 was already enrolled"
    )
    assert (
        staff_services.enrolled_message(BulkResult([], [amy]), course)
        == "No one was enrolled: Amy Able was already enrolled on Safeguarding Everyone"
    )
