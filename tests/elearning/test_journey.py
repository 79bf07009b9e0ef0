"""The learner's journey through the pages: find, start, read, quiz (fail, retake, pass),
and see the completion in My learning."""

from sqlalchemy import func, select

from lms.elearning.models import Enrolment, QuizAttempt
from lms.extensions import db
from lms.records.models import Completion
from tests import factories


def answers_from_page(html: str, attempt: QuizAttempt, right: bool) -> dict:
    data = {}
    questions = {q["id"]: q for q in attempt.enrolment.version.questions}
    for item in attempt.layout:
        question = questions[item["question"]]
        chosen = question["answers"] if right else [o for o in item["options"] if o not in question["answers"]][:1]
        data[f"q-{question['id']}"] = chosen
    return data


def test_find_start_read_fail_retake_pass(client, courses):
    person = factories.user("learner@example.org", full_name="Lee Learner")
    db.session.commit()
    factories.sign_in(client, person)

    catalogue = client.get("/courses?keyword=everyone").data.decode()
    assert "Safeguarding Everyone" in catalogue and "Online Safety" not in catalogue
    page = client.get("/courses/SGE").data.decode()
    assert "Start this course" in page and "What you will learn" in page

    response = client.post("/courses/SGE/start")
    assert response.status_code == 302
    # A second click makes no second enrolment.
    client.post("/courses/SGE/start")
    enrolment = db.session.scalar(select(Enrolment))
    assert db.session.scalar(select(func.count(Enrolment.id))) == 1
    in_progress = client.get("/learning").data.decode()
    assert f'<a class="govuk-link" href="/learning/{enrolment.id}">Safeguarding Everyone</a>' in in_progress
    total = len(enrolment.version.lessons)

    # The quiz waits until every lesson is read.
    response = client.get(f"/learning/{enrolment.id}/quiz")
    assert response.status_code == 302 and "/overview" in response.headers["Location"]

    # Read two lessons, leave, and resume at the third.
    for position in (1, 2):
        page = client.get(f"/learning/{enrolment.id}/lessons/{position}")
        assert page.status_code == 200
        client.post(f"/learning/{enrolment.id}/lessons/{position}")
    response = client.get(f"/learning/{enrolment.id}")
    assert response.headers["Location"].endswith(f"/learning/{enrolment.id}/lessons/3")
    for position in range(3, total + 1):
        client.post(f"/learning/{enrolment.id}/lessons/{position}")

    page = client.get(f"/learning/{enrolment.id}/quiz")
    assert page.status_code == 200
    attempt = db.session.scalar(select(QuizAttempt))
    # Every question must be answered.
    unanswered = client.post(f"/learning/{enrolment.id}/quiz", data={})
    assert unanswered.status_code == 400
    assert b"There is a problem" in unanswered.data and b"Select an answer" in unanswered.data

    failed = client.post(f"/learning/{enrolment.id}/quiz", data=answers_from_page(page.data.decode(), attempt, right=False))
    assert failed.status_code == 302
    result = client.get(failed.headers["Location"]).data.decode()
    assert "You did not pass this time" in result
    assert db.session.scalar(select(func.count(Completion.id))) == 0

    client.get(f"/learning/{enrolment.id}/quiz")
    db.session.expire_all()
    second = db.session.scalar(select(QuizAttempt).where(QuizAttempt.number == 2))
    assert second is not None
    passed = client.post(f"/learning/{enrolment.id}/quiz", data=answers_from_page("", second, right=True))
    result = client.get(passed.headers["Location"]).data.decode()
    assert "You passed" in result and "100%" in result

    completion = db.session.scalar(select(Completion))
    assert completion.source == "elearning" and completion.score == 100
    assert completion.course_version_id == enrolment.version_id
    assert float(completion.cpd_hours) == 2.0

    mine = client.get("/learning").data.decode()
    assert "Safeguarding Everyone" in mine and "100%" in mine


def test_someone_elses_enrolment_is_not_found(client, courses, now):
    from lms.elearning import services

    owner = factories.user("owner@example.org")
    other = factories.user("other@example.org")
    enrolment, _ = services.enrol(owner, courses["SGE"], actor=owner, now=now)
    db.session.commit()
    factories.sign_in(client, other)
    for path in (f"/learning/{enrolment.id}", f"/learning/{enrolment.id}/overview",
                 f"/learning/{enrolment.id}/lessons/1", f"/learning/{enrolment.id}/quiz"):
        assert client.get(path).status_code == 404, path
    assert client.post(f"/learning/{enrolment.id}/lessons/1").status_code == 404


def test_pages_need_sign_in(client, courses):
    assert client.get("/courses").status_code == 200
    assert client.get("/courses/SGE").status_code == 200
    assert client.get("/learning").status_code == 302
    assert client.post("/courses/SGE/start").status_code == 302
