"""Playing a package: the player page, saving the learner's data (repeats and late saves
change nothing), completion once with one certificate, learners keeping their version,
and the package files' own policy."""
import json

import pytest
from sqlalchemy import func, select

from lms.certificates.models import Certificate
from lms.elearning.models import Enrolment
from lms.elearning.scorm.models import ScormAttempt, ScormPackage
from lms.extensions import db
from lms.records.models import Completion
from tests import factories
from tests.elearning.scorm import builder
from tests.elearning.scorm.conftest import upload


@pytest.fixture()
def package(client, admin, scorm_dir):
    assert upload(client, builder.course_package(mastery=80)).status_code == 302
    client.post("/sign-out")
    return db.session.scalar(select(ScormPackage))


@pytest.fixture()
def learner(client, package):
    person = factories.user("learner@example.org", full_name="Lee Learner", organisation=factories.organisation("Brook Lane"))
    db.session.commit()
    factories.sign_in_directly(client, person)
    return person


def start(client) -> Enrolment:
    response = client.post("/courses/SIGNS/start")
    assert response.status_code == 302
    enrolment = db.session.scalar(select(Enrolment))
    assert client.get(f"/learning/{enrolment.id}").headers["Location"] == f"/learning/{enrolment.id}/player"
    return enrolment


def config_of(page: str) -> dict:
    marker = '<script type="application/json" id="scorm-config">'
    return json.loads(page[page.index(marker) + len(marker):page.index("</script>", page.index(marker))])


def save(client, enrolment, seq, session="s1", **cmi):
    return client.post(f"/learning/{enrolment.id}/player/cmi", json={"session": session, "seq": seq, "cmi": cmi})


def attempt() -> ScormAttempt:
    db.session.expire_all()
    return db.session.scalar(select(ScormAttempt))


def test_the_player_page_starts_the_attempt_and_resumes_where_the_learner_left(client, learner, package):
    enrolment = start(client)
    page = client.get(f"/learning/{enrolment.id}/player").data.decode()
    assert "<title>Spotting the signs" in page and "Save and exit" in page
    config = config_of(page)
    assert config["content"] == f"/scorm-files/{package.storage_key}/index.html"
    assert config["cmi"]["cmi.core.entry"] == "ab-initio" and config["cmi"]["cmi.core.student_name"] == "Learner, Lee"
    assert config["cmi"]["cmi.student_data.mastery_score"] == "80"

    assert save(client, enrolment, 10, lesson_status="incomplete", lesson_location="page-2",
                suspend_data='{"seen":"page-2"}', session_time="0000:01:30").json["applied"] is True
    config = config_of(client.get(f"/learning/{enrolment.id}/player").data.decode())
    assert config["cmi"]["cmi.core.lesson_location"] == "page-2"
    assert config["cmi"]["cmi.suspend_data"] == '{"seen":"page-2"}'
    assert config["cmi"]["cmi.core.entry"] == "resume" and config["cmi"]["cmi.core.lesson_status"] == "incomplete"
    assert db.session.scalar(select(func.count(ScormAttempt.id))) == 1
    assert "Part-way through" in client.get("/learning").data.decode()


def test_repeated_and_late_saves_change_nothing(client, learner, package):
    enrolment = start(client)
    client.get(f"/learning/{enrolment.id}/player")
    assert save(client, enrolment, 5, lesson_location="page-2", session_time="0000:00:40").json["applied"] is True
    # The same save again, and an older one arriving late.
    assert save(client, enrolment, 5, lesson_location="page-2", session_time="0000:00:40").json["applied"] is False
    assert save(client, enrolment, 3, lesson_location="page-1", session_time="0000:00:10").json["applied"] is False
    saved = attempt()
    assert saved.lesson_location == "page-2" and saved.saves == 1 and saved.last_seq == 5
    # A new session adds to the time of the earlier ones.
    assert save(client, enrolment, 9, session="s2", lesson_location="question", session_time="0000:00:20").json["applied"]
    saved = attempt()
    assert saved.total_seconds == 60 and saved.lesson_location == "question"
    assert db.session.get(Enrolment, enrolment.id).last_activity_at is not None


def test_passing_completes_once_with_one_certificate(client, learner, package):
    enrolment = start(client)
    client.get(f"/learning/{enrolment.id}/player")
    result = save(client, enrolment, 20, lesson_status="passed", score_raw="100", lesson_location="question")
    assert result.json == {"applied": True, "completed": True, "lesson_status": "passed"}
    assert save(client, enrolment, 21, lesson_status="passed", score_raw="100").json["completed"] is True
    assert save(client, enrolment, 21, lesson_status="passed", score_raw="100").json["applied"] is False
    completions = db.session.scalars(select(Completion)).all()
    assert len(completions) == 1
    completion = completions[0]
    assert completion.source == "elearning" and completion.delivery_mode == "elearning"
    assert str(completion.cpd_hours) == "1.50" and completion.score == 100
    assert db.session.scalar(select(func.count(Certificate.id))) == 1
    db.session.expire_all()
    assert db.session.get(Enrolment, enrolment.id).status == "completed"
    page = client.get("/learning").data.decode()
    assert "Spotting the signs" in page and "100%" in page


def test_the_mastery_score_decides_and_completed_may_not_count(client, admin, scorm_dir):
    assert upload(client, builder.course_package(mastery=80), statuses=["passed"]).status_code == 302
    person = factories.user("learner@example.org")
    db.session.commit()
    factories.sign_in_directly(client, person)
    enrolment = start(client)
    client.get(f"/learning/{enrolment.id}/player")
    assert save(client, enrolment, 1, lesson_status="completed", score_raw="50").json == {
        "applied": True, "completed": False, "lesson_status": "failed"}
    # "completed" without a score does not count when only "passed" does.
    assert save(client, enrolment, 2, lesson_status="completed").json["completed"] is False
    assert db.session.scalar(select(func.count(Completion.id))) == 0
    assert save(client, enrolment, 3, lesson_status="completed", score_raw="85").json == {
        "applied": True, "completed": True, "lesson_status": "passed"}
    assert db.session.scalar(select(func.count(Completion.id))) == 1


@pytest.mark.parametrize(("body", "field"), [
    ({"session": "s", "seq": 1, "cmi": {"suspend_data": "x" * 4097}}, "suspend_data"),
    ({"session": "s", "seq": 1, "cmi": {"lesson_status": "done"}}, "lesson_status"),
    ({"session": "s", "seq": 1, "cmi": {"score_raw": "lots"}}, "score_raw"),
    ({"session": "s", "seq": 1, "cmi": {"lesson_location": "x" * 256}}, "lesson_location"),
    ({"session": "s", "seq": 1, "cmi": {"session_time": "an hour"}}, "session_time"),
    ({"session": "s", "seq": -1, "cmi": {}}, "seq"),
    ({"session": "no spaces", "seq": 1, "cmi": {}}, "session"),
    ({"seq": 1}, "body"),
])
def test_bad_saves_are_refused_with_the_field_named_and_nothing_changed(client, learner, package, body, field):
    enrolment = start(client)
    client.get(f"/learning/{enrolment.id}/player")
    response = client.post(f"/learning/{enrolment.id}/player/cmi", json=body)
    assert response.status_code == 400 and response.json["field"] == field and response.json["message"]
    assert attempt().saves == 0


def test_suspend_data_of_4096_characters_is_kept(client, learner, package):
    enrolment = start(client)
    client.get(f"/learning/{enrolment.id}/player")
    assert save(client, enrolment, 1, suspend_data="é" * 4096).json["applied"] is True
    assert attempt().suspend_data == "é" * 4096


def test_a_learner_saves_only_their_own_attempt(client, learner, package, app):
    enrolment = start(client)
    client.get(f"/learning/{enrolment.id}/player")
    other = factories.user("other@example.org")
    db.session.commit()
    intruder = app.test_client()
    factories.sign_in_directly(intruder, other)
    assert intruder.get(f"/learning/{enrolment.id}/player").status_code == 404
    assert save(intruder, enrolment, 99, lesson_status="passed", score_raw="100").status_code == 404
    assert attempt().saves == 0 and db.session.scalar(select(func.count(Completion.id))) == 0
    anonymous = app.test_client()
    assert save(anonymous, enrolment, 99, lesson_status="passed").status_code == 302


def test_saving_needs_the_csrf_token_in_a_header(package, csrf_app):
    person = factories.user("learner@example.org")
    db.session.commit()
    client = csrf_app.test_client()
    factories.sign_in_directly(client, person)
    enrolment = Enrolment(user_id=person.id, course_id=package.version.course_id, version_id=package.version_id,
                          status="in-progress", enrolled_at=person.created_at, lessons_read=[], last_position=1)
    db.session.add(enrolment)
    db.session.commit()
    token = config_of(client.get(f"/learning/{enrolment.id}/player").data.decode())["csrf"]
    body = {"session": "s", "seq": 1, "cmi": {"lesson_location": "page-2"}}
    assert client.post(f"/learning/{enrolment.id}/player/cmi", json=body).status_code == 400
    assert attempt().saves == 0
    response = client.post(f"/learning/{enrolment.id}/player/cmi", json=body, headers={"X-CSRFToken": token})
    assert response.status_code == 200 and attempt().lesson_location == "page-2"


def test_learners_keep_the_version_they_started(client, admin, scorm_dir, app):
    assert upload(client, builder.course_package()).status_code == 302
    first = db.session.scalar(select(ScormPackage))
    early = factories.user("early@example.org")
    db.session.commit()
    early_client = app.test_client()
    factories.sign_in_directly(early_client, early)
    assert early_client.post("/courses/SIGNS/start").status_code == 302
    assert upload(client, builder.course_package(note="second edition")).status_code == 302
    second = db.session.scalar(select(ScormPackage).where(ScormPackage.id != first.id))

    late = factories.user("late@example.org")
    db.session.commit()
    late_client = app.test_client()
    factories.sign_in_directly(late_client, late)
    assert late_client.post("/courses/SIGNS/start").status_code == 302
    early_enrolment, late_enrolment = db.session.scalars(select(Enrolment).order_by(Enrolment.id)).all()
    early_page = early_client.get(f"/learning/{early_enrolment.id}/player").data.decode()
    late_page = late_client.get(f"/learning/{late_enrolment.id}/player").data.decode()
    assert config_of(early_page)["content"].startswith(f"/scorm-files/{first.storage_key}/")
    assert config_of(late_page)["content"].startswith(f"/scorm-files/{second.storage_key}/")


def test_the_quiz_and_overview_of_a_package_course_lead_to_the_player(client, learner, package):
    enrolment = start(client)
    assert client.get(f"/learning/{enrolment.id}/overview").headers["Location"] == f"/learning/{enrolment.id}/player"
    response = client.get(f"/learning/{enrolment.id}/quiz")
    assert response.status_code == 302


def test_package_files_are_sandboxed_and_the_launch_file_gets_the_bridge(client, package, scorm_dir):
    response = client.get(f"/scorm-files/{package.storage_key}/index.html")
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    assert policy.startswith("sandbox allow-scripts") and "allow-same-origin" not in policy
    assert "frame-ancestors 'self'" in policy and response.headers["X-Frame-Options"] == "SAMEORIGIN"
    html = response.data.decode()
    head = html.index("<head>") + len("<head>")
    assert html[head:].startswith('<script src="/static/scorm-again/cross-frame-api.min.js"></script>'
                                  '<script src="/static/scorm/frame.js"></script>')
    script = client.get(f"/scorm-files/{package.storage_key}/js/course.js")
    assert script.status_code == 200 and "LMSInitialize" in script.data.decode()
    assert "sandbox" in script.headers["Content-Security-Policy"]
    assert client.get(f"/scorm-files/{package.storage_key}/../../etc/passwd").status_code == 404
    assert client.get(f"/scorm-files/{package.storage_key}/missing.js").status_code == 404
    assert client.get("/scorm-files/0123456789abcdef0123456789abcdef/index.html").status_code == 404
    # Our own pages keep their policy.
    assert "frame-ancestors 'none'" in client.get("/").headers["Content-Security-Policy"]
    assert client.get("/static/scorm-again/scorm12.min.js").status_code == 200
    assert client.get("/static/scorm-again/package.json").status_code == 404
