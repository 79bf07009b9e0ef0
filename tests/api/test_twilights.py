"""POST /api/v1/programmes/{id}/book-the-year, and twilight completions in the API."""
from __future__ import annotations

from sqlalchemy import func, select

from lms.bookings.models import Booking
from lms.bookings.registers import services as registers
from lms.extensions import db
from lms.programmes.twilights import services
from tests import factories
from tests.api.conftest import assert_matches, bearer, make_token, response_schema
from tests.conftest import NOW
from tests.programmes.twilights.conftest import (TOPIC, admin, assistant, borough, deputy, dsl, series,  # noqa: F401
                                                 term, trainer, twilight_course)

PATH = "/programmes/{programme_id}/book-the-year"


def test_a_dsl_books_the_year_in_one_request(client, spec, series, dsl):
    response = client.post(f"/api/v1/programmes/{series.id}/book-the-year", headers=bearer(make_token(dsl)))
    assert response.status_code == 201, response.json
    body = response.json
    assert_matches(spec, response_schema(spec, PATH, "post", "201"), body)
    assert body["programme_id"] == series.id
    autumn, spring, summer = body["places"]
    assert (autumn["term"], autumn["new"], autumn["area"], autumn["topic"]) == ("autumn", True, "North", TOPIC)
    assert autumn["booking"]["status"] == "booked" and autumn["booking"]["person_id"] == dsl.id
    assert autumn["host"] == "Ashcombe Park Primary School"
    assert (spring["new"], spring["booking"], spring["note"]) == (False, None, "There is no twilight in North this term yet")
    assert db.session.scalar(select(func.count()).select_from(Booking).where(Booking.user_id == dsl.id)) == 1


def test_the_waiting_list_where_full(client, series, dsl, deputy):
    north = services.term_sessions(term(series, "autumn"))[0].session
    north.capacity = 1
    other = factories.user(organisation=dsl.organisation, roles=("deputy-dsl",))
    services.book_session(north, other, now=NOW)
    db.session.commit()
    response = client.post(f"/api/v1/programmes/{series.id}/book-the-year", headers=bearer(make_token(dsl)))
    assert response.status_code == 201
    booking = response.json["places"][0]["booking"]
    assert (booking["status"], booking["waiting_position"]) == ("waitlisted", 1)


def test_a_teaching_assistant_is_refused_with_the_reason(client, spec, series, assistant):
    response = client.post(f"/api/v1/programmes/{series.id}/book-the-year", headers=bearer(make_token(assistant)))
    assert response.status_code == 403
    assert_matches(spec, response_schema(spec, PATH, "post", "403"), response.json)
    assert "designated safeguarding leads and their deputies" in response.json["message"]
    assert response.json["errors"][0]["field"] == "programme"
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 0


def test_nothing_left_to_book_is_a_422(client, series, dsl):
    token = make_token(dsl)
    assert client.post(f"/api/v1/programmes/{series.id}/book-the-year", headers=bearer(token)).status_code == 201
    again = client.post(f"/api/v1/programmes/{series.id}/book-the-year", headers=bearer(token))
    assert again.status_code == 422 and "Nothing was booked" in again.json["message"]


def test_no_token_or_no_series(client, series, dsl):
    assert client.post(f"/api/v1/programmes/{series.id}/book-the-year").status_code == 401
    missing = client.post(f"/api/v1/programmes/{series.id + 50}/book-the-year", headers=bearer(make_token(dsl)))
    assert missing.status_code == 404


def test_a_twilight_completion_in_the_api_carries_term_topic_and_hours(client, series, dsl, trainer):
    row = services.term_sessions(term(series, "autumn"))[0]
    booking = services.book_session(row.session, dsl, now=NOW)
    registers.mark(booking, "attended", actor=trainer, now=row.session.ends_at)
    db.session.commit()
    response = client.get("/api/v1/me/completions", headers=bearer(make_token(dsl)))
    assert response.status_code == 200
    item = response.json["items"][0]
    assert item["title"] == f"DSL network twilight, autumn 2026: {TOPIC}"
    assert str(item["cpd_hours"]) in ("2", "2.0", "2.00")
    assert item["delivery_mode"] == "twilight"
