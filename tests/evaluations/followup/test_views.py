"""The follow-up pages: answering through the link without signing in, or signed in;
once only; the results beside the evaluations, for trainers and admins only."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from lms.evaluations.followup import services
from lms.evaluations.followup.models import FollowUp
from lms.extensions import db
from tests import factories
from tests.conftest import csrf_token_from
from tests.evaluations.followup.test_followup import DUE_MORNING


def _as(app, person):
    return factories.signed_in_client(app, person)


@pytest.fixture()
def sent(attend, person, make_people):
    """Three people attended and were sent their follow-ups: (person's token, rows)."""
    people = [person, *make_people(2)]
    for each in people:
        attend(each)
    db.session.commit()
    tokens = {}
    for followup_id in services.due_ids(now=DUE_MORNING):
        tokens[followup_id] = services.claim(followup_id, now=DUE_MORNING)
    db.session.commit()
    rows = list(db.session.scalars(select(FollowUp).order_by(FollowUp.id)))
    return {row.user_id: tokens[row.id] for row in rows}, rows


def test_the_link_answers_without_signing_in_once(client, sent, person):
    tokens, _ = sent
    path = f"/follow-up/{tokens[person.id]}"
    page = client.get(path)
    assert page.status_code == 200 and "Have you used what you learned?" in page.get_data(as_text=True)
    missing = client.post(path, data={"how": "x"})
    assert missing.status_code == 400 and "Select whether you have used" in missing.get_data(as_text=True)
    done = client.post(path, data={"used": "yes", "how": "I challenged a late referral."})
    assert done.status_code == 200 and "Thank you" in done.get_data(as_text=True)
    row = db.session.scalar(select(FollowUp).where(FollowUp.user_id == person.id))
    assert (row.used, row.how) == ("yes", "I challenged a late referral.")
    again = client.post(path, data={"used": "no"})
    assert "You have already answered" in again.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(FollowUp, row.id).used == "yes"


def test_a_wrong_or_unsent_link_is_not_found(client, sent, attend, make_people):
    assert client.get("/follow-up/not-a-real-token-at-all").status_code == 404
    assert client.get("/follow-up/" + "a" * 300).status_code == 404


def test_signed_in_only_your_own(app, sent, person, colleague, make_people):
    _, rows = sent
    own = next(row for row in rows if row.user_id == person.id)
    other = next(row for row in rows if row.user_id != person.id)
    client = _as(app, person)
    assert client.get(f"/my-training/follow-up/{own.id}").status_code == 200
    assert client.get(f"/my-training/follow-up/{other.id}").status_code == 404
    assert client.post(f"/my-training/follow-up/{own.id}", data={"used": "not-yet"}).status_code == 200
    anonymous = app.test_client().get(f"/my-training/follow-up/{own.id}")
    assert anonymous.status_code == 302 and "/sign-in" in anonymous.headers["Location"]


def test_the_form_needs_its_csrf_token(csrf_app, sent, person):
    tokens, _ = sent
    client = csrf_app.test_client()
    path = f"/follow-up/{tokens[person.id]}"
    assert client.post(path, data={"used": "yes"}).status_code == 400
    token = csrf_token_from(client.get(path).get_data(as_text=True))
    assert client.post(path, data={"used": "yes", "csrf_token": token}).status_code == 200


def test_results_show_beside_the_evaluations_with_the_rate(app, sent, trainer, admin, course):
    tokens, rows = sent
    later = DUE_MORNING + timedelta(days=1)
    services.answer(rows[0], "yes", "Used the new chronology template.", now=later)
    services.answer(rows[1], "no", "", now=later)
    db.session.commit()
    period = "from=2026-12-01&to=2026-12-31"
    for viewer in (trainer, admin):
        page = _as(app, viewer).get(f"/evaluations/follow-up?{period}")
        html = page.get_data(as_text=True)
        assert page.status_code == 200 and course.title in html
        assert "67%" in html  # 2 of 3 answered
        assert "50%" in html  # 1 of the 2 who answered used it
        assert "Used the new chronology template." in html
        summary = _as(app, viewer).get(f"/evaluations?course={course.code}&{period}").get_data(as_text=True)
        assert "Impact follow-up" in summary and "67%" in summary


def test_wrong_role_is_refused(app, sent, person, lead):
    for viewer in (person, lead):
        assert _as(app, viewer).get("/evaluations/follow-up").status_code == 403
    assert app.test_client().get("/evaluations/follow-up").status_code == 302


def test_the_evaluations_page_with_a_bad_period_still_shows(app, trainer):
    response = _as(app, trainer).get("/evaluations?from=2026-12-01&to=2026-13-45")
    assert response.status_code == 400 and "Impact follow-up" not in response.get_data(as_text=True)
    page = _as(app, trainer).get("/evaluations?from=2026-12-01&to=2026-12-31").get_data(as_text=True)
    assert "No follow-ups sent for training in this period." in page
    assert "/evaluations/follow-up?from=2026-12-01&amp;to=2026-12-31" in page
