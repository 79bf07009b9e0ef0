"""A session's certificates page (issue, ZIP) and its evaluations page, for its trainers
and admins; who may see them; the register's links to them."""
from __future__ import annotations

import io
import re
import zipfile

import pytest
from sqlalchemy import select

from lms.audit.models import AuditEvent
from lms.certificates.models import Certificate
from lms.extensions import db
from tests import factories
from tests.evaluations.test_views import FORM


def _as(app, person):
    return factories.signed_in_client(app, person)


def test_a_trainer_issues_and_downloads_a_session_s_certificates(app, past_session, trainer, attend, make_people):
    training_session = past_session
    ana, ben = make_people(2)
    attend(ana, training_session)
    attend(ben, training_session, status="partly-attended", hours="2")
    db.session.commit()
    client = _as(app, trainer)
    page = client.get(f"/manage/sessions/{training_session.id}/certificates").get_data(as_text=True)
    assert "Issue 2 certificates" in page and "Not issued yet" in page

    done = client.post(f"/manage/sessions/{training_session.id}/certificates")
    assert done.status_code == 302
    page = client.get(f"/manage/sessions/{training_session.id}/certificates").get_data(as_text=True)
    assert "2 certificates issued and emailed" in page and "Everyone marked as attending has a certificate" in page
    # Each code links where the trainer may follow it: the public check of the certificate.
    links = re.findall(r'href="([^"]*(?:/certificates/|/verify/)[^"]*)"', page)
    assert links and all("/verify/" in link for link in links)
    assert all(client.get(link).status_code == 200 for link in links)

    archive = client.get(f"/manage/sessions/{training_session.id}/certificates.zip")
    assert archive.status_code == 200 and archive.mimetype == "application/zip"
    assert "attachment" in archive.headers["Content-Disposition"]
    assert len(zipfile.ZipFile(io.BytesIO(archive.data)).namelist()) == 2
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.action == "certificate.issue_session"))


def test_the_register_links_to_the_session_s_certificates(app, training_session, trainer):
    html = _as(app, trainer).get(f"/manage/sessions/{training_session.id}/register").get_data(as_text=True)
    assert f"/manage/sessions/{training_session.id}/certificates" in html


@pytest.mark.parametrize("who", ["other_trainer", "person", "lead"])
def test_only_the_session_s_trainers_and_admins_reach_its_certificates(app, training_session, person, lead, who):
    actor = {"other_trainer": factories.user(trainer=True), "person": person, "lead": lead}[who]
    db.session.commit()
    client = _as(app, actor)
    expected = 403
    for method, path in (("get", ""), ("post", ""), ("get", ".zip")):
        response = getattr(client, method)(f"/manage/sessions/{training_session.id}/certificates{path}")
        assert response.status_code == expected, (method, path)
    assert db.session.scalar(select(Certificate)) is None


def test_a_missing_session_is_a_404(app, admin):
    assert _as(app, admin).get("/manage/sessions/999999/certificates").status_code == 404


# --- evaluations ---------------------------------------------------------------------------------------

def test_a_trainer_sees_a_session_s_evaluations_without_names(app, make_course, past_session, trainer, attend, make_people):
    past_session.course.asks_for_evaluation = True
    ana, ben = make_people(2)
    for someone in (ana, ben):
        booking = attend(someone, past_session)
        db.session.flush()
    completion_id = booking.completion_id
    db.session.commit()
    assert _as(app, ben).post(f"/evaluations/{completion_id}", data=FORM).status_code == 302

    client = _as(app, trainer)
    html = client.get(f"/manage/sessions/{past_session.id}/evaluations").get_data(as_text=True)
    assert "1 person has not filled in the evaluation yet" in html
    assert "Check the chronology first." in html and "100%" in html
    assert ben.full_name not in html and ana.full_name not in html
    assert "<svg" in html and "Evaluation results, 1 response" in html

    issue = client.post(f"/manage/sessions/{past_session.id}/certificates")
    assert issue.status_code == 302
    page = client.get(f"/manage/sessions/{past_session.id}/certificates").get_data(as_text=True)
    assert "1 person must fill in the evaluation first (1 asked by email now)" in page
    assert "Waiting for their evaluation" in page


@pytest.mark.parametrize("who", ["other_trainer", "person", "lead"])
def test_only_the_session_s_trainers_and_admins_see_its_evaluations(app, past_session, person, lead, who):
    actor = {"other_trainer": factories.user(trainer=True), "person": person, "lead": lead}[who]
    db.session.commit()
    assert _as(app, actor).get(f"/manage/sessions/{past_session.id}/evaluations").status_code == 403
