"""The caller's enrolments and training record, and enrolling people, through the API."""
import random
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from lms.audit.models import AuditEvent
from lms.catalogue import services as catalogue
from lms.catalogue.models import CourseVersion, Lesson
from lms.elearning import services as elearning
from lms.elearning.models import Enrolment
from lms.extensions import db
from lms.records import services as records
from tests.api.conftest import (
    NOW,
    assert_matches,
    assert_no_secrets,
    bearer,
    course_sources,
    make_course,
    make_token,
    response_schema,
    secrets_of,
)


def post(client, person, path, body=None, **kwargs):
    return client.post(path, json=body, headers=bearer(make_token(person)), **kwargs)


def get(client, person, path):
    return client.get(path, headers=bearer(make_token(person)))


def enrolment_count(**where) -> int:
    query = select(func.count(Enrolment.id))
    for name, value in where.items():
        query = query.where(getattr(Enrolment, name) == value)
    return db.session.scalar(query)


def finish(enrolment, *, now=NOW):
    """Read every lesson and pass the quiz, through the e-learning services."""
    for position in range(1, len(enrolment.version.lessons) + 1):
        elearning.mark_lesson_read(enrolment, position, now=now)
    attempt = elearning.start_quiz(enrolment, now=now, rng=random.Random(7))
    answers = {question["id"]: list(question["answers"]) for question in enrolment.version.questions}
    elearning.submit_quiz(attempt, answers, now=now)
    db.session.commit()


@pytest.fixture()
def secrets(courses):
    return secrets_of(courses.values())


# --- POST /me/enrolments --------------------------------------------------------------

def test_enrol_me_is_201_then_200_with_the_same_enrolment(client, team, courses, spec, secrets):
    teacher = team["oak_teacher"]
    token = make_token(teacher)
    first = client.post("/api/v1/me/enrolments", json={"course": "SGE"}, headers=bearer(token))
    assert first.status_code == 201, first.json
    body = first.json
    enrolment = db.session.scalar(select(Enrolment))
    assert body == {
        "id": enrolment.id,
        "course": "SGE",
        "course_title": "Safeguarding Everyone",
        "version": 1,
        "status": "in-progress",
        "enrolled_at": body["enrolled_at"],
        "lessons_read": 0,
        "lessons_total": 7,
        "completed_at": None,
    }
    assert body["enrolled_at"].endswith("Z") and body["enrolled_at"][:10] == enrolment.enrolled_at.date().isoformat()
    assert enrolment.user_id == teacher.id and enrolment.enrolled_by_id is None
    assert_matches(spec, response_schema(spec, "/me/enrolments", "post", "201"), body)
    assert_no_secrets(secrets, body)

    again = client.post("/api/v1/me/enrolments", json={"course": "SGE"}, headers=bearer(token))
    assert again.status_code == 200 and again.json == body
    assert_matches(spec, response_schema(spec, "/me/enrolments", "post", "200"), again.json)
    assert enrolment_count() == 1


def test_enrolling_again_after_completing_starts_afresh(client, team, courses):
    teacher = team["oak_teacher"]
    token = make_token(teacher)
    first = client.post("/api/v1/me/enrolments", json={"course": "OS"}, headers=bearer(token)).json
    finish(db.session.get(Enrolment, first["id"]))
    second = client.post("/api/v1/me/enrolments", json={"course": "OS"}, headers=bearer(token))
    assert second.status_code == 201 and second.json["id"] != first["id"]
    assert enrolment_count(user_id=teacher.id) == 2


def test_enrol_me_writes_no_audit_event_but_enrolling_staff_does(client, team, courses):
    post(client, team["oak_teacher"], "/api/v1/me/enrolments", {"course": "SGE"})
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "enrolment.create")) == 0
    post(client, team["oak_lead"], "/api/v1/courses/CE/enrolments", {"person_id": team["oak_teacher"].id})
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "enrolment.create"))
    assert event is not None and "Tom Teacher" in event.summary and "CE" in event.summary


@pytest.mark.parametrize("body, kwargs, message", [
    (None, {"data": "course=SGE", "content_type": "application/x-www-form-urlencoded"},
     "Content-Type: application/json"),
    (None, {"data": "{course: SGE}", "content_type": "application/json"}, "not valid JSON"),
    (None, {"data": "", "content_type": "application/json"}, "not valid JSON"),
    (["SGE"], {}, "not a list"),
    ("SGE", {}, "not a string"),
    (42, {}, "not a number"),
    (True, {}, "not true or false"),
    (None, {"data": "null", "content_type": "application/json"}, "not null"),
])
def test_body_that_is_not_a_json_object_is_400(client, team, courses, spec, body, kwargs, message):
    token = make_token(team["oak_teacher"])
    if body is not None:
        kwargs = {"json": body}
    response = client.post("/api/v1/me/enrolments", headers=bearer(token), **kwargs)
    assert response.status_code == 400 and response.mimetype == "application/json"
    assert response.json["error"] == "bad-request"
    assert message in response.json["message"] and '{"course": "SGE"}' in response.json["message"]
    assert_matches(spec, response_schema(spec, "/me/enrolments", "post", "400"), response.json)
    assert enrolment_count() == 0


@pytest.mark.parametrize("body, message", [
    ({}, 'Enter the code of the course to start, as "course"'),
    ({"course_code": "SGE"}, 'Enter the code of the course to start, as "course"'),
    ({"course": ""}, 'Enter the code of the course to start, as "course"'),
    ({"course": "   "}, 'Enter the code of the course to start, as "course"'),
    ({"course": 5}, "course must be a course code (text)"),
    ({"course": ["SGE"]}, "course must be a course code (text)"),
    ({"course": "X" * 31}, "course must be a course code (text)"),
])
def test_missing_or_malformed_course_is_422_naming_the_field(client, team, courses, spec, body, message):
    response = post(client, team["oak_teacher"], "/api/v1/me/enrolments", body)
    assert response.status_code == 422
    assert response.json["error"] == "unprocessable-entity"
    assert response.json["message"].startswith(message)
    assert response.json["errors"] == [{"field": "course", "message": response.json["message"]}]
    assert_matches(spec, response_schema(spec, "/me/enrolments", "post", "422"), response.json)
    assert enrolment_count() == 0


@pytest.mark.parametrize("code", ["NOPE", "OLD", "sge"])
def test_unknown_or_retired_course_is_404_naming_the_field(client, team, courses, spec, code):
    make_course("OLD", "Retired e-learning", mode="elearning", active=False)
    db.session.commit()
    response = post(client, team["oak_teacher"], "/api/v1/me/enrolments", {"course": code})
    assert response.status_code == 404
    assert response.json["error"] == "not-found" and code in response.json["message"]
    assert response.json["errors"][0]["field"] == "course"
    assert_matches(spec, response_schema(spec, "/me/enrolments", "post", "404"), response.json)
    assert enrolment_count() == 0


def test_a_course_that_is_not_elearning_is_422(client, team, courses, spec):
    make_course("DSL-NEW", "DSL new to role")
    make_course("EMPTY", "E-learning with no content yet", mode="elearning")
    db.session.commit()
    for code, words in (("DSL-NEW", "not an e-learning course"), ("EMPTY", "no content yet")):
        response = post(client, team["oak_teacher"], "/api/v1/me/enrolments", {"course": code})
        assert response.status_code == 422, code
        assert words in response.json["message"]
        assert response.json["errors"] == [{"field": "course", "message": response.json["message"]}]
        assert_matches(spec, response_schema(spec, "/me/enrolments", "post", "422"), response.json)
    assert enrolment_count() == 0


def test_enrolling_needs_a_token_and_post(client, team, courses):
    assert client.post("/api/v1/me/enrolments", json={"course": "SGE"}).status_code == 401
    response = client.put("/api/v1/me/enrolments", json={"course": "SGE"}, headers=bearer(make_token(team["admin"])))
    assert response.status_code == 405 and set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}
    assert enrolment_count() == 0


# --- GET /me/enrolments ---------------------------------------------------------------

def test_my_enrolments_newest_first_with_progress(client, team, courses, spec, secrets):
    teacher = team["oak_teacher"]
    sge, _ = elearning.enrol(teacher, courses["SGE"], actor=teacher, now=NOW - timedelta(days=3))
    ce, _ = elearning.enrol(teacher, courses["CE"], actor=teacher, now=NOW - timedelta(days=2))
    os_, _ = elearning.enrol(teacher, courses["OS"], actor=teacher, now=NOW - timedelta(days=1))
    for position in (1, 2, 3):
        elearning.mark_lesson_read(sge, position, now=NOW)
    db.session.commit()
    finish(ce, now=NOW - timedelta(hours=30))
    # Someone else's enrolment is not listed.
    elearning.enrol(team["elm_worker"], courses["SGE"], actor=team["elm_worker"], now=NOW)
    db.session.commit()

    response = get(client, teacher, "/api/v1/me/enrolments")
    assert response.status_code == 200
    body = response.json
    assert_matches(spec, response_schema(spec, "/me/enrolments"), body)
    assert_no_secrets(secrets, body)
    assert body["total"] == 3 and body["next"] is None
    assert [(e["course"], e["status"], e["lessons_read"], e["lessons_total"]) for e in body["items"]] == [
        ("OS", "in-progress", 0, 7), ("CE", "completed", 7, 7), ("SGE", "in-progress", 3, 7),
    ]
    completed = body["items"][1]
    assert completed["completed_at"] == (NOW - timedelta(hours=30)).isoformat().replace("+00:00", "Z")
    assert completed["enrolled_at"] == (NOW - timedelta(days=2)).isoformat().replace("+00:00", "Z")


def test_withdrawn_enrolments_are_not_listed_and_status_filters(client, team, courses):
    teacher = team["oak_teacher"]
    sge, _ = elearning.enrol(teacher, courses["SGE"], actor=teacher, now=NOW)
    ce, _ = elearning.enrol(teacher, courses["CE"], actor=teacher, now=NOW)
    os_, _ = elearning.enrol(teacher, courses["OS"], actor=teacher, now=NOW)
    os_.status = "withdrawn"
    db.session.commit()
    finish(ce)
    token = make_token(teacher)

    def listed(query=""):
        response = client.get(f"/api/v1/me/enrolments{query}", headers=bearer(token))
        assert response.status_code == 200, response.json
        return sorted(e["course"] for e in response.json["items"])

    assert listed() == ["CE", "SGE"]
    assert listed("?status=in-progress") == ["SGE"]
    assert listed("?status=completed") == ["CE"]
    for bad in ("withdrawn", "done", "x" * 50):
        response = client.get(f"/api/v1/me/enrolments?status={bad}", headers=bearer(token))
        assert response.status_code == 400 and response.json["errors"][0]["field"] == "status"


def test_an_enrolment_keeps_its_version_when_the_course_changes(client, team, courses, now):
    teacher = team["oak_teacher"]
    elearning.enrol(teacher, courses["SGE"], actor=teacher, now=now)
    db.session.commit()
    sources = course_sources()
    sge = next(source for source in sources if source.code == "SGE")
    sge.lessons = sge.lessons[:5]
    catalogue.sync_courses([sge], now=now)
    db.session.commit()
    token = make_token(teacher)
    item = client.get("/api/v1/me/enrolments", headers=bearer(token)).json["items"][0]
    assert (item["version"], item["lessons_total"]) == (1, 7)
    assert client.get("/api/v1/courses/SGE", headers=bearer(token)).json["version"] == 2


def test_my_enrolments_are_paged(client, team, courses):
    teacher = team["oak_teacher"]
    for offset, course in enumerate(courses.values()):
        elearning.enrol(teacher, course, actor=teacher, now=NOW + timedelta(minutes=offset))
    db.session.commit()
    token = make_token(teacher)
    first = client.get("/api/v1/me/enrolments?per_page=2", headers=bearer(token)).json
    assert [e["course"] for e in first["items"]] == ["OS", "CE"] and first["total"] == 3
    second = client.get(first["next"], headers=bearer(token)).json
    assert [e["course"] for e in second["items"]] == ["SGE"] and second["next"] is None
    for query, field in (("page=0", "page"), ("per_page=0", "per_page"), ("per_page=x", "per_page")):
        response = client.get(f"/api/v1/me/enrolments?{query}", headers=bearer(token))
        assert response.status_code == 400 and response.json["errors"][0]["field"] == field


def test_enrolment_list_statements_do_not_grow_with_rows(client, team, courses, count_queries):
    teacher = team["oak_teacher"]
    token = make_token(teacher)
    client.get("/api/v1/me/enrolments", headers=bearer(token))
    elearning.enrol(teacher, courses["SGE"], actor=teacher, now=NOW)
    db.session.commit()
    db.session.expire_all()
    with count_queries() as few:
        small = client.get("/api/v1/me/enrolments", headers=bearer(token))
    for i in range(8):
        course = make_course(f"EL-{i}", f"E-learning {i}", mode="elearning")
        course.versions.append(CourseVersion(
            number=1, content_hash=str(i), pass_mark=80, questions=[], created_at=NOW,
            lessons=[Lesson(position=p, slug=f"l{p}", title=f"Lesson {p}", minutes=3, body_markdown="x", body_html="x")
                     for p in range(1, 4)],
        ))
        db.session.flush()
        elearning.enrol(teacher, course, actor=teacher, now=NOW + timedelta(minutes=i))
    db.session.commit()
    db.session.expire_all()
    with count_queries() as many:
        large = client.get("/api/v1/me/enrolments", headers=bearer(token))
    assert len(large.json["items"]) == len(small.json["items"]) + 8
    assert {e["lessons_total"] for e in large.json["items"]} == {3, 7}
    assert len(many) == len(few), many
    assert all("body" not in statement for statement in many if "FROM lesson" in statement)


# --- POST /courses/{code}/enrolments --------------------------------------------------

def test_setting_lead_enrols_own_staff_201_then_200(client, team, courses, spec, secrets):
    lead, teacher = team["oak_lead"], team["oak_teacher"]
    token = make_token(lead)
    path = "/api/v1/courses/SGE/enrolments"
    first = client.post(path, json={"person_id": teacher.id}, headers=bearer(token))
    assert first.status_code == 201, first.json
    assert first.json["course"] == "SGE" and first.json["status"] == "in-progress"
    assert_matches(spec, response_schema(spec, "/courses/{code}/enrolments", "post", "201"), first.json)
    assert_no_secrets(secrets, first.json)
    enrolment = db.session.get(Enrolment, first.json["id"])
    assert enrolment.user_id == teacher.id and enrolment.enrolled_by_id == lead.id

    again = client.post(path, json={"person_id": teacher.id}, headers=bearer(token))
    assert again.status_code == 200 and again.json == first.json
    assert_matches(spec, response_schema(spec, "/courses/{code}/enrolments", "post", "200"), again.json)
    # The teacher now sees it as their own.
    mine = get(client, teacher, "/api/v1/me/enrolments").json["items"]
    assert [e["id"] for e in mine] == [enrolment.id]
    # And the teacher enrolling themselves gets the same one.
    assert post(client, teacher, "/api/v1/me/enrolments", {"course": "SGE"}).json["id"] == enrolment.id
    assert enrolment_count() == 1


def test_setting_lead_may_enrol_themselves(client, team, courses):
    lead = team["elm_lead"]
    response = post(client, lead, "/api/v1/courses/CE/enrolments", {"person_id": lead.id})
    assert response.status_code == 201
    assert db.session.get(Enrolment, response.json["id"]).enrolled_by_id is None


@pytest.mark.parametrize("who", ["oak_teacher", "elm_worker", "trainer"])
def test_practitioners_and_trainers_enrol_only_themselves(client, team, courses, spec, who):
    caller = team[who]
    own = post(client, caller, "/api/v1/courses/OS/enrolments", {"person_id": caller.id})
    assert own.status_code == 201
    for other in ("oak_lead", "elm_worker", "admin"):
        if team[other].id == caller.id:
            continue
        response = post(client, caller, "/api/v1/courses/OS/enrolments", {"person_id": team[other].id})
        assert response.status_code == 403, other
        assert response.json["error"] == "forbidden"
        assert_matches(spec, response_schema(spec, "/courses/{code}/enrolments", "post", "403"), response.json)
    assert enrolment_count() == 1


def test_setting_lead_cannot_enrol_another_organisations_staff(client, team, courses, spec):
    lead = team["oak_lead"]
    hidden = post(client, lead, "/api/v1/courses/SGE/enrolments", {"person_id": team["elm_worker"].id})
    missing = post(client, lead, "/api/v1/courses/SGE/enrolments", {"person_id": 999999})
    admin = post(client, lead, "/api/v1/courses/SGE/enrolments", {"person_id": team["admin"].id})
    assert hidden.status_code == missing.status_code == admin.status_code == 404
    assert hidden.json == missing.json == admin.json
    assert hidden.json["errors"] == [{"field": "person_id", "message": "No person has this id"}]
    assert_matches(spec, response_schema(spec, "/courses/{code}/enrolments", "post", "404"), hidden.json)
    assert enrolment_count() == 0


def test_setting_lead_who_moved_on_loses_the_right(client, team, courses):
    from lms.accounts.models import SettingLead

    lead = team["oak_lead"]
    db.session.execute(SettingLead.__table__.delete().where(SettingLead.user_id == lead.id))
    db.session.commit()
    response = post(client, lead, "/api/v1/courses/SGE/enrolments", {"person_id": team["oak_teacher"].id})
    assert response.status_code == 403


def test_admin_enrols_anyone(client, team, courses):
    admin = team["admin"]
    token = make_token(admin)
    for who in ("oak_teacher", "elm_worker", "elm_lead", "trainer", "admin"):
        response = client.post("/api/v1/courses/CE/enrolments", json={"person_id": team[who].id}, headers=bearer(token))
        assert response.status_code == 201, who
    assert enrolment_count() == 5
    assert client.post("/api/v1/courses/CE/enrolments", json={"person_id": 999999},
                       headers=bearer(token)).status_code == 404


def test_a_closed_account_cannot_be_enrolled(client, team, courses):
    team["oak_teacher"].active = False
    db.session.commit()
    response = post(client, team["oak_lead"], "/api/v1/courses/SGE/enrolments", {"person_id": team["oak_teacher"].id})
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "person_id" and "closed" in response.json["message"]
    assert enrolment_count() == 0


@pytest.mark.parametrize("body, status, field", [
    ({}, 422, "person_id"),
    ({"person": 3}, 422, "person_id"),
    ({"person_id": None}, 422, "person_id"),
    ({"person_id": "3"}, 422, "person_id"),
    ({"person_id": 3.5}, 422, "person_id"),
    ({"person_id": True}, 422, "person_id"),
    ({"person_id": 0}, 422, "person_id"),
    ({"person_id": -4}, 422, "person_id"),
    ([{"person_id": 3}], 400, None),
    ("3", 400, None),
])
def test_bad_enrol_person_bodies(client, team, courses, spec, body, status, field):
    response = post(client, team["admin"], "/api/v1/courses/SGE/enrolments", body)
    assert response.status_code == status, response.json
    assert_matches(spec, response_schema(spec, "/courses/{code}/enrolments", "post", str(status)), response.json)
    if field:
        assert response.json["errors"] == [{"field": field, "message": response.json["message"]}]
        assert "person_id" in response.json["message"]
    else:
        assert "JSON object" in response.json["message"] and '{"person_id": 42}' in response.json["message"]
    assert enrolment_count() == 0


def test_enrol_person_on_unknown_retired_or_non_elearning_course(client, team, courses):
    make_course("OLD", "Retired", mode="elearning", active=False)
    make_course("SR", "Safer Recruitment")
    db.session.commit()
    person_id = team["oak_teacher"].id
    for code, status in (("NOPE", 404), ("OLD", 404), ("SR", 422)):
        response = post(client, team["oak_lead"], f"/api/v1/courses/{code}/enrolments", {"person_id": person_id})
        assert response.status_code == status, code
    assert enrolment_count() == 0


# --- GET /me/completions --------------------------------------------------------------

def record(person, title, on, *, source="external", ref=None, course=None, mode="external", hours="1.5", score=None,
           self_reported=False):
    completion, _ = records.record_completion(
        person, title=title, delivery_mode=mode, on=on, hours=Decimal(hours), source=source,
        source_ref=ref or f"{source}:{title}:{on}:{person.id}", course=course, score=score,
        self_reported=self_reported, now=NOW,
    )
    return completion


def test_my_completions_newest_first(client, team, courses, spec, secrets):
    teacher = team["oak_teacher"]
    enrolment, _ = elearning.enrol(teacher, courses["SGE"], actor=teacher, now=NOW)
    db.session.commit()
    finish(enrolment)  # completed on 23 November 2026 with 100%
    cpd = record(teacher, "Local authority briefing on neglect", date(2026, 3, 4), self_reported=True)
    old = record(teacher, "Child Exploitation (old system)", date(2019, 6, 30), source="imported", mode="imported",
                 course=courses["CE"], hours="1")
    record(team["elm_worker"], "Someone else's training", date(2026, 5, 1))
    db.session.commit()

    response = get(client, teacher, "/api/v1/me/completions")
    assert response.status_code == 200
    body = response.json
    assert_matches(spec, response_schema(spec, "/me/completions"), body)
    assert_no_secrets(secrets, body)
    assert body["total"] == 3 and body["next"] is None
    sge = enrolment.completion_id
    assert body["items"] == [
        {"id": sge, "title": "Safeguarding Everyone", "course": "SGE", "delivery_mode": "elearning",
         "completed_on": "2026-11-23", "cpd_hours": 2, "score": 100, "source": "elearning", "self_reported": False,
         "external": None},
        {"id": cpd.id, "title": "Local authority briefing on neglect", "course": None, "delivery_mode": "external",
         "completed_on": "2026-03-04", "cpd_hours": 1.5, "score": None, "source": "external", "self_reported": True,
         "external": None},
        {"id": old.id, "title": "Child Exploitation (old system)", "course": "CE", "delivery_mode": "imported",
         "completed_on": "2019-06-30", "cpd_hours": 1, "score": None, "source": "imported", "self_reported": False,
         "external": None},
    ]


@pytest.mark.parametrize("who", ["oak_lead", "admin"])
def test_completions_are_only_the_callers_own_even_for_leads_and_admins(client, team, courses, who):
    record(team["oak_teacher"], "Teacher's training", date(2026, 1, 5))
    record(team[who], "Own training", date(2026, 2, 5))
    db.session.commit()
    items = get(client, team[who], "/api/v1/me/completions").json["items"]
    assert [item["title"] for item in items] == ["Own training"]


def test_no_completions_is_an_empty_page(client, team):
    body = get(client, team["trainer"], "/api/v1/me/completions").json
    assert body == {"items": [], "page": 1, "per_page": 50, "total": 0, "next": None}


def test_completions_are_paged_and_same_day_ones_keep_an_order(client, team, courses):
    teacher = team["oak_teacher"]
    made = [record(teacher, f"Training {i}", date(2026, 1, 1) + timedelta(days=i // 2)) for i in range(5)]
    db.session.commit()
    token = make_token(teacher)
    seen, url = [], "/api/v1/me/completions?per_page=2"
    while url:
        body = client.get(url, headers=bearer(token)).json
        assert body["total"] == 5
        seen += [item["id"] for item in body["items"]]
        url = body["next"]
    # Newest first; on the same day, the later record first.
    assert seen == [made[4].id, made[3].id, made[2].id, made[1].id, made[0].id]
    for query, field in (("page=-1", "page"), ("per_page=1000", "per_page")):
        response = client.get(f"/api/v1/me/completions?{query}", headers=bearer(token))
        assert response.status_code == 400 and response.json["errors"][0]["field"] == field


def test_completion_list_statements_do_not_grow_with_rows(client, team, courses, count_queries):
    teacher = team["oak_teacher"]
    token = make_token(teacher)
    client.get("/api/v1/me/completions", headers=bearer(token))
    record(teacher, "First", date(2026, 1, 1), course=courses["SGE"])
    db.session.commit()
    db.session.expire_all()
    with count_queries() as few:
        client.get("/api/v1/me/completions", headers=bearer(token))
    for i in range(10):
        course = courses[("SGE", "CE", "OS")[i % 3]] if i % 4 else make_course(f"F2F-{i}", f"Course {i}")
        record(teacher, f"More {i}", date(2026, 2, 1) + timedelta(days=i), course=course, source="imported",
               mode="imported")
        record(teacher, f"External {i}", date(2026, 3, 1) + timedelta(days=i))
    db.session.commit()
    db.session.expire_all()
    with count_queries() as many:
        large = client.get("/api/v1/me/completions", headers=bearer(token))
    assert len(large.json["items"]) == 21
    assert {item["course"] for item in large.json["items"]} >= {"SGE", "CE", "OS", "F2F-0", None}
    assert len(many) == len(few), many


def test_learning_endpoints_need_a_token(client):
    for path in ("/api/v1/me/enrolments", "/api/v1/me/completions"):
        response = client.get(path)
        assert response.status_code == 401 and response.json["error"] == "unauthorized"
