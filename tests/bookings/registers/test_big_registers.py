"""Registers at twilight scale: mark everyone booked as attended then the exceptions, find
a person by typing (a GET search), and a compact row per person."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lms.bookings import services
from lms.bookings.models import Booking
from lms.core.time import utcnow
from lms.extensions import db
from lms.records.models import Completion
from tests import factories
from tests.conftest import csrf_token_from


@pytest.fixture()
def running(make_session, trainer):
    start = utcnow().replace(microsecond=0) - timedelta(hours=1)
    return make_session(starts_at=start, duration=timedelta(hours=2), trainers=[trainer], capacity=120)


@pytest.fixture()
def hundred(running, make_people):
    people = make_people(100)
    when = running.starts_at - timedelta(days=2)
    made = [services.book(running, person, actor=person, now=when) for person in people]
    db.session.commit()
    return made


def attended_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Booking).where(Booking.status == "attended"))


def test_mark_everyone_then_the_exceptions(app, running, hundred, trainer):
    client = factories.signed_in_client(app, trainer)
    response = client.post(f"/manage/sessions/{running.id}/register/mark-all")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "100 people marked as attended" in page
    assert attended_count() == 100
    assert db.session.scalar(select(func.count()).select_from(Completion)) == 100
    assert 'id="mark-all"' not in page  # nobody left unmarked

    absent = hundred[7]
    response = client.post(f"/manage/sessions/{running.id}/register", data={f"status_{absent.id}": "no-show"})
    assert response.status_code == 302
    db.session.expire_all()
    assert absent.status == "no-show" and attended_count() == 99
    assert db.session.scalar(select(func.count()).select_from(Completion)) == 99


def test_mark_all_leaves_people_already_marked(app, running, hundred, trainer):
    client = factories.signed_in_client(app, trainer)
    client.post(f"/manage/sessions/{running.id}/register", data={f"status_{hundred[0].id}": "no-show"})
    client.post(f"/manage/sessions/{running.id}/register/mark-all")
    db.session.expire_all()
    assert hundred[0].status == "no-show" and attended_count() == 99


def test_mark_all_before_the_start_marks_nobody(app, make_session, trainer, person):
    future = make_session(starts_at=utcnow() + timedelta(days=3), trainers=[trainer])
    services.book(future, person, actor=person, now=utcnow())
    db.session.commit()
    client = factories.signed_in_client(app, trainer)
    response = client.post(f"/manage/sessions/{future.id}/register/mark-all")
    assert response.status_code == 302
    assert "The register opens when the session starts" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert attended_count() == 0


def test_mark_all_is_for_the_sessions_trainers_and_admins(app, running, hundred, person, lead, make_people):
    other_trainer = factories.user(trainer=True, roles=())
    for someone in (person, lead, other_trainer):
        response = factories.signed_in_client(app, someone).post(f"/manage/sessions/{running.id}/register/mark-all")
        assert response.status_code == 403
    assert attended_count() == 0


def test_mark_all_needs_the_csrf_token(csrf_app, running, hundred, trainer):
    client = factories.signed_in_client(csrf_app, trainer)
    client.post(f"/manage/sessions/{running.id}/register/mark-all")
    assert attended_count() == 0
    page = client.get(f"/manage/sessions/{running.id}/register").get_data(as_text=True)
    token = csrf_token_from(page)
    client.post(f"/manage/sessions/{running.id}/register/mark-all", data={"csrf_token": token})
    assert attended_count() == 100


def test_find_a_person_without_javascript(app, running, hundred, trainer):
    client = factories.signed_in_client(app, trainer)
    wanted = hundred[42].user
    html = client.get(f"/manage/sessions/{running.id}/register?q={wanted.full_name.upper()}").get_data(as_text=True)
    assert f"Showing 1 of 100 people matching" in html
    assert f'name="status_{hundred[42].id}"' in html
    assert f'name="status_{hundred[41].id}"' not in html
    # Saving the filtered register changes only the rows shown, and keeps the search.
    action = re.search(r'<form method="post" action="([^"]*register[^"]*q=[^"]*)"', html)
    assert action, "the register form keeps the search"
    response = client.post(action.group(1).replace("&amp;", "&"), data={f"status_{hundred[42].id}": "attended"})
    assert response.status_code == 302 and "q=" in response.headers["Location"]
    db.session.expire_all()
    assert hundred[42].status == "attended" and attended_count() == 1


def test_a_hundred_person_register_is_one_compact_row_each(app, running, hundred, trainer, count_queries):
    client = factories.signed_in_client(app, trainer)
    with count_queries() as statements:
        html = client.get(f"/manage/sessions/{running.id}/register").get_data(as_text=True)
    rows = html.split('id="register-rows"')[1].split("</table>")[0]
    assert rows.count('<tr class="govuk-table__row" id="row-') == 100
    assert "<fieldset" not in rows
    assert rows.count("<select") == 100
    assert 'class="govuk-table app-table--stacked"' in html
    assert 'id="show-qr"' in html  # the QR check-in for the door, one tap away
    assert len(statements) < 40, len(statements)
