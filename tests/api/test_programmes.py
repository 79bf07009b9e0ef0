"""GET /api/v1/programmes and /api/v1/programmes/{id}: a twilight series with its terms and
sessions, a Safeguarding Week with its days and events."""
from __future__ import annotations

from tests.api.conftest import assert_matches, bearer, make_token, response_schema
from tests.programmes.twilights.conftest import (TOPIC, admin, borough, dsl, series,  # noqa: F401
                                                 trainer, twilight_course)
from tests.programmes.week.conftest import make_event, week  # noqa: F401


def test_the_list_gives_both_kinds_latest_first(client, spec, series, week, dsl):
    response = client.get("/api/v1/programmes", headers=bearer(make_token(dsl)))
    assert response.status_code == 200
    assert_matches(spec, response_schema(spec, "/programmes"), response.json)
    kinds = [(item["kind"], item["starts_on"]) for item in response.json["items"]]
    assert kinds == [("safeguarding-week", "2027-06-14"), ("twilight-series", "2026-09-01")]
    assert response.json["total"] == 2


def test_a_series_gives_its_terms_topics_and_sessions(client, spec, series, dsl):
    response = client.get(f"/api/v1/programmes/{series.id}", headers=bearer(make_token(dsl)))
    assert response.status_code == 200
    body = response.json
    assert_matches(spec, response_schema(spec, "/programmes/{programme_id}"), body)
    assert body["kind"] == "twilight-series" and body["days"] == [] and body["theme"] is None
    autumn = body["terms"][0]
    assert (autumn["term"], autumn["topic"]["title"]) == ("autumn", TOPIC)
    areas = [session["area"]["code"] for session in autumn["sessions"]]
    assert areas == ["north", "south", "east"]
    first = autumn["sessions"][0]
    assert first["places_left"] == first["capacity"] == 100
    assert first["host"]["name"] == first["venue"]["name"]
    # Materials are for those who attended: never in the API.
    assert "slides" not in response.get_data(as_text=True)


def test_a_week_gives_its_days_and_events(client, spec, week, dsl):
    response = client.get(f"/api/v1/programmes/{week.programme.id}", headers=bearer(make_token(dsl)))
    assert response.status_code == 200
    body = response.json
    assert_matches(spec, response_schema(spec, "/programmes/{programme_id}"), body)
    assert body["kind"] == "safeguarding-week" and body["terms"] == []
    assert body["theme"] == "See me, hear me, know me"
    assert [day["date"] for day in body["days"]] == ["2027-06-14", "2027-06-15", "2027-06-16", "2027-06-17"]
    events = {event["title"]: event for day in body["days"] for event in day["events"]}
    assert events["Safeguarding stall at the food festival"]["drop_in"] is True
    assert events["Safeguarding stall at the food festival"]["places_left"] is None
    assert events["Recognising domestic abuse"]["audience"] == "both"
    assert events["Recognising domestic abuse"]["organiser"] == "Calder Domestic Abuse Service"


def test_an_unknown_programme_is_a_404_and_a_token_is_needed(client, series, dsl):
    assert client.get("/api/v1/programmes/999999", headers=bearer(make_token(dsl))).status_code == 404
    assert client.get("/api/v1/programmes").status_code == 401
    assert client.get(f"/api/v1/programmes/{series.id}").status_code == 401
