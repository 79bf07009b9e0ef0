"""A package course's progress where other e-learning shows: My learning, the setting
lead's staff e-learning page and the API's enrolments."""
from sqlalchemy import select

from lms.api.services import create_token
from lms.elearning.models import Enrolment
from lms.extensions import db
from tests import factories
from tests.elearning.scorm import builder
from tests.elearning.scorm.conftest import upload


def test_progress_in_my_learning_the_staff_page_and_the_api(client, admin, scorm_dir, app, now):
    assert upload(client, builder.course_package()).status_code == 302
    school = factories.organisation("Brook Lane Primary")
    lead = factories.user("lead@example.org", full_name="Lena Lead", organisation=school, leads=(school,))
    learner = factories.user("learner@example.org", full_name="Lee Learner", organisation=school)
    db.session.commit()
    learner_client = app.test_client()
    factories.sign_in_directly(learner_client, learner)
    assert learner_client.post("/courses/SIGNS/start").status_code == 302
    enrolment = db.session.scalar(select(Enrolment))
    assert "Not started yet" in learner_client.get("/learning").data.decode()

    lead_client = app.test_client()
    factories.sign_in_directly(lead_client, lead)
    page = lead_client.get(f"/organisation/e-learning?organisation={school.id}").data.decode()
    assert "Spotting the signs" in page and "Not started" in page and "lessons read" not in page

    learner_client.get(f"/learning/{enrolment.id}/player")
    learner_client.post(f"/learning/{enrolment.id}/player/cmi",
                        json={"session": "s", "seq": 1, "cmi": {"lesson_status": "incomplete", "lesson_location": "page-2"}})
    assert "Part-way through" in learner_client.get("/learning").data.decode()
    page = lead_client.get(f"/organisation/e-learning?organisation={school.id}").data.decode()
    assert "In progress" in page and "Last active" in page

    token, _ = create_token(learner, name="test", now=now)
    db.session.commit()
    api = app.test_client().get("/api/v1/me/enrolments", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 200
    item = next(e for e in api.json["items"] if e["course"] == "SIGNS")
    assert item["status"] == "in-progress" and item["completed_at"] is None

    learner_client.post(f"/learning/{enrolment.id}/player/cmi",
                        json={"session": "s", "seq": 2, "cmi": {"lesson_status": "completed", "lesson_location": "question"}})
    page = lead_client.get(f"/organisation/e-learning?organisation={school.id}").data.decode()
    assert "Completed" in page
    api = app.test_client().get("/api/v1/me/enrolments", headers={"Authorization": f"Bearer {token}"})
    item = next(e for e in api.json["items"] if e["course"] == "SIGNS")
    assert item["status"] == "completed" and item["completed_at"] is not None


def test_a_package_course_page_lists_no_lessons_or_quiz(client, admin, scorm_dir):
    assert upload(client, builder.course_package(mastery=80)).status_code == 302
    page = client.get("/courses/SIGNS").data.decode()
    assert "Start this course" in page and "Spotting the signs" in page
    assert "Quiz:" not in page and ">Lessons<" not in page
