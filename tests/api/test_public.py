"""The public API: Safeguarding Week's events for the public and registering for one with
a name and an email, with no token (and no CSRF token)."""
from __future__ import annotations

from sqlalchemy import func, select

from lms.extensions import db
from lms.programmes.week.models import PublicRegistration
from tests.programmes.week.conftest import admin, make_event, week  # noqa: F401  (fixtures)


def post(client, event_id, body, **kwargs):
    return client.post(f"/api/v1/public/events/{event_id}/registrations", json=body, **kwargs)


def registrations() -> int:
    return db.session.scalar(select(func.count()).select_from(PublicRegistration))


def test_the_public_events_need_no_token(client, week):
    response = client.get("/api/v1/public/events")
    assert response.status_code == 200
    body = response.get_json()
    assert body["week"]["title"] == "Safeguarding Week 2027"
    assert body["week"]["lead_boards"][0] == "Safeguarding Children Partnership"
    titles = {event["title"]: event for event in body["events"]}
    # Professionals-only events are not listed; drop-ins are, without places.
    assert set(titles) == {"Staying safe online: for parents", "Recognising domestic abuse",
                           "Safeguarding stall at the food festival"}
    assert titles["Staying safe online: for parents"]["places_left"] == 2
    assert titles["Staying safe online: for parents"]["organiser"] == "West Yorkshire Police"
    assert titles["Safeguarding stall at the food festival"]["places_left"] is None
    assert titles["Safeguarding stall at the food festival"]["drop_in"] is True


def test_register_then_the_same_email_again_then_the_waiting_list(client, week):
    first = post(client, week.public.id, {"name": "Sam Smith", "email": "sam@example.org"})
    assert first.status_code == 201
    assert first.get_json()["status"] == "awaiting-confirmation"
    again = post(client, week.public.id, {"name": "Sam Smith", "email": "SAM@example.org"})
    assert again.status_code == 200
    assert again.get_json()["status"] == "awaiting-confirmation"
    assert registrations() == 1
    assert post(client, week.public.id, {"name": "Tia", "email": "tia@example.org"}).status_code == 201
    waiting = post(client, week.public.id, {"name": "Uma", "email": "uma@example.org"})
    assert waiting.status_code == 201
    assert waiting.get_json() | {"message": ""} == {"status": "waitlisted", "event_id": week.public.id,
                                                     "waiting_position": 1, "message": ""}
    events = {e["id"]: e for e in client.get("/api/v1/public/events").get_json()["events"]}
    assert events[week.public.id]["places_left"] == 0
    assert events[week.public.id]["status"] == "full"


def test_bad_input_is_a_422_naming_each_field_and_changes_nothing(client, week):
    response = post(client, week.public.id, {"name": "  ", "email": "not-an-email"})
    assert response.status_code == 422
    body = response.get_json()
    assert {error["field"] for error in body["errors"]} == {"name", "email"}
    assert post(client, week.public.id, {"name": 5, "email": "a@example.org"}).status_code == 422
    assert client.post(f"/api/v1/public/events/{week.public.id}/registrations", data="x").status_code == 400
    assert registrations() == 0


def test_a_professionals_only_event_is_a_403_with_the_reason(client, week):
    response = post(client, week.professionals.id, {"name": "Fay", "email": "fay@example.org"})
    assert response.status_code == 403
    assert "for professionals only" in response.get_json()["message"]
    assert registrations() == 0


def test_an_unknown_event_is_a_404(client, week):
    assert post(client, 999999, {"name": "Fay", "email": "fay@example.org"}).status_code == 404


def test_past_the_per_address_limit_is_a_429(app, client, week):
    app.config["PUBLIC_REGISTRATION_MAX_PER_ADDRESS"] = 2
    try:
        assert post(client, week.both.id, {"name": "A", "email": "a@example.org"}).status_code == 201
        assert post(client, week.both.id, {"name": "B", "email": "b@example.org"}).status_code == 201
        refused = post(client, week.both.id, {"name": "C", "email": "c@example.org"})
        assert refused.status_code == 429
        assert refused.headers["Retry-After"] == "3600"
        assert registrations() == 2
    finally:
        app.config["PUBLIC_REGISTRATION_MAX_PER_ADDRESS"] = 20


def test_no_csrf_token_is_needed(csrf_app, week):
    client = csrf_app.test_client()
    assert post(client, week.public.id, {"name": "Sam", "email": "sam@example.org"}).status_code == 201


def test_the_routes_are_in_the_openapi_document_as_public(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/public/events/{event_id}/registrations"]["post"]
    assert operation["security"] == []
    assert {"200", "201", "403", "422", "429"} <= set(operation["responses"])
    assert spec["paths"]["/public/events"]["get"]["security"] == []
