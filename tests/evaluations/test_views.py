"""The evaluation form and the summaries by course; who may see
each; the links that lead to them."""
from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from lms.certificates.models import Certificate
from lms.evaluations.models import Evaluation
from lms.extensions import db
from tests import factories
from tests.conftest import csrf_token_from
from tests.evaluations.conftest import complete

FORM = {"satisfaction": "5", "skills": "a-little", "confidence_before": "2", "confidence_after": "4",
        "will_do_differently": "Check the chronology first.", "may_quote": "y", "improvements": ""}


def _as(app, person):
    return factories.signed_in_client(app, person)


@pytest.fixture()
def learner(organisation):
    return factories.user("ana@example.org", full_name="Ana Okafor", organisation=organisation)


def test_a_learner_evaluates_and_gets_the_certificate(app, learner, asking_course):
    completion = complete(learner, asking_course)
    db.session.commit()
    client = _as(app, learner)
    listing = client.get("/certificates").get_data(as_text=True)
    assert "Waiting for your evaluation" in listing and f"/evaluations/{completion.id}" in listing

    form = client.get(f"/evaluations/{completion.id}")
    assert form.status_code == 200 and "Overall, how satisfied were you" in form.get_data(as_text=True)
    done = client.post(f"/evaluations/{completion.id}", data=FORM)
    assert done.status_code == 302
    certificate = db.session.scalar(select(Certificate))
    assert done.headers["Location"].endswith(f"/certificates/{certificate.code}")
    evaluation = db.session.scalar(select(Evaluation))
    assert (evaluation.satisfaction, evaluation.skills, evaluation.may_quote) == (5, "a-little", True)
    assert evaluation.improvements is None

    # Asked again: already done.
    again = client.get(f"/evaluations/{completion.id}")
    assert again.status_code == 302 and again.headers["Location"].endswith("/certificates")


def test_missing_answers_are_all_shown_and_nothing_is_saved(app, learner, asking_course):
    completion = complete(learner, asking_course)
    db.session.commit()
    response = _as(app, learner).post(f"/evaluations/{completion.id}", data={"will_do_differently": "x"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "There is a problem" in html
    for message in ("Select how satisfied you were", "Select whether the training improved",
                    "Select how confident you felt before", "Select how confident you feel now"):
        assert message in html
    assert db.session.scalar(select(Evaluation)) is None and db.session.scalar(select(Certificate)) is None


def test_the_evaluation_form_needs_the_csrf_token(csrf_app, learner, asking_course):
    completion = complete(learner, asking_course)
    db.session.commit()
    client = factories.signed_in_client(csrf_app, learner)
    assert client.post(f"/evaluations/{completion.id}", data=FORM).status_code == 400
    token = csrf_token_from(client.get(f"/evaluations/{completion.id}").get_data(as_text=True))
    assert client.post(f"/evaluations/{completion.id}", data={**FORM, "csrf_token": token}).status_code == 302


def test_nobody_else_evaluates_someone_s_training(app, learner, asking_course, colleague, lead, admin, client):
    completion = complete(learner, asking_course)
    db.session.commit()
    for person in (colleague, lead, admin):
        other = _as(app, person)
        assert other.get(f"/evaluations/{completion.id}").status_code == 404
        assert other.post(f"/evaluations/{completion.id}", data=FORM).status_code == 404
    assert client.get(f"/evaluations/{completion.id}").status_code == 302  # signed out: sign in first
    assert db.session.scalar(select(Evaluation)) is None


# --- trainers and admins ------------------------------------------------------------------------------


def test_summaries_by_course_with_a_csv(app, asking_course, organisation, evaluated, admin, trainer):
    evaluated(factories.user(organisation=organisation), ref="a", satisfaction=4, skills="a-lot")
    db.session.commit()
    for person in (admin, trainer):
        client = _as(app, person)
        html = client.get("/evaluations?from=2026-11-01&to=2026-11-30").get_data(as_text=True)
        assert "Safeguarding Everyone" in html and "100%" in html
    one = client.get(f"/evaluations?course={asking_course.code}&from=2026-11-01&to=2026-11-30").get_data(as_text=True)
    assert "Evaluations: Safeguarding Everyone" in one and "Record concerns the same day." in one
    download = client.get("/evaluations?format=csv&from=2026-11-01&to=2026-11-30")
    assert download.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(download.get_data(as_text=True))))
    assert rows[0][:5] == ["Course code", "Course", "Responses", "Satisfied %", "Skills improved %"]
    assert rows[1][:5] == ["SGE", "Safeguarding Everyone", "1", "100", "100"]
    assert "evaluations-2026-11-01-to-2026-11-30.csv" in download.headers["Content-Disposition"]


def test_a_bad_period_is_explained(app, admin):
    response = _as(app, admin).get("/evaluations?from=2026-12-01&to=2026-11-01")
    assert response.status_code == 400 and "must be the same as or after" in response.get_data(as_text=True)
    assert _as(app, admin).get("/evaluations?course=NOPE").status_code == 404


def test_practitioners_and_leads_do_not_see_the_summaries(app, person, lead):
    for someone in (person, lead):
        assert _as(app, someone).get("/evaluations").status_code == 403


def test_the_csv_never_lets_a_course_title_run_as_a_formula(app, make_course, organisation, evaluated, admin):
    course = make_course("SUM", mode="elearning", title='=HYPERLINK("https://example.com","Safeguarding")')
    course.asks_for_evaluation = True
    evaluated(factories.user(organisation=organisation), course, ref="a")
    db.session.commit()
    download = _as(app, admin).get("/evaluations?format=csv&from=2026-11-01&to=2026-11-30")
    rows = list(csv.reader(io.StringIO(download.get_data(as_text=True))))
    assert rows[1][:3] == ["SUM", '\'=HYPERLINK("https://example.com","Safeguarding")', "1"]
