"""POST /api/v1/me/external-cpd, and external CPD in GET /api/v1/me/completions."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from lms.compliance import services as compliance
from lms.extensions import db
from lms.records.models import Completion, ExternalActivity
from tests import factories
from tests.api.conftest import assert_matches, bearer, make_token, response_schema


@pytest.fixture()
def spec(client):
    return client.get("/api/v1/openapi.json").json


@pytest.fixture()
def dsl():
    school = factories.organisation("Oak Primary")
    return factories.user("dsl@example.org", organisation=school, roles=("school-dsl",))


BODY = {"title": "DSL refresher", "provider": "County council", "completed_on": "2026-10-14", "cpd_hours": 3,
        "requirement_codes": ["dsl-annual-update"], "note": "Online safety"}


def post(client, token, body):
    return client.post("/api/v1/me/external-cpd", json=body, headers=bearer(token))


def test_logging_through_the_api_and_reading_it_back(client, dsl, spec):
    token = make_token(dsl)
    response = post(client, token, BODY)
    assert response.status_code == 201
    body = response.json
    assert_matches(spec, response_schema(spec, "/me/external-cpd", "post", "201"), body)
    assert body["source"] == "external" and body["delivery_mode"] == "external" and body["self_reported"] is True
    assert body["external"] == {"provider": "County council", "requirement_codes": ["dsl-annual-update"],
                                "note": "Online safety", "has_evidence": False, "verified": False, "verified_at": None}
    listing = client.get("/api/v1/me/completions", headers=bearer(token))
    assert_matches(spec, response_schema(spec, "/me/completions"), listing.json)
    assert listing.json["items"][0]["external"]["provider"] == "County council"
    statuses = {r.requirement.code: r.result.status for r in compliance.person_compliance(dsl, as_of=date(2026, 11, 23))}
    assert statuses["dsl-annual-update"] == "current"


@pytest.mark.parametrize(("changes", "field"), [
    ({"title": ""}, "title"),
    ({"title": 5}, "title"),
    ({"provider": "p" * 201}, "provider"),
    ({"completed_on": "2026-02-30"}, "completed_on"),
    ({"completed_on": "2999-01-01"}, "completed_on"),
    ({"completed_on": None}, "completed_on"),
    ({"cpd_hours": 0.1}, "cpd_hours"),
    ({"cpd_hours": True}, "cpd_hours"),
    ({"cpd_hours": "lots"}, "cpd_hours"),
    ({"requirement_codes": "dsl-annual-update"}, "requirement_codes"),
    ({"requirement_codes": ["nope"]}, "requirement_codes"),
    ({"note": "n" * 2001}, "note"),
])
def test_bad_fields_are_422_naming_the_field(client, dsl, changes, field):
    response = post(client, make_token(dsl), {**BODY, **changes})
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == field
    assert db.session.scalar(select(func.count(Completion.id))) == 0
    assert db.session.scalar(select(func.count(ExternalActivity.id))) == 0


def test_not_json_and_no_token(client, dsl):
    token = make_token(dsl)
    assert client.post("/api/v1/me/external-cpd", data="x", headers=bearer(token)).status_code == 400
    assert client.post("/api/v1/me/external-cpd", json=[1], headers=bearer(token)).status_code == 400
    assert client.post("/api/v1/me/external-cpd", json=BODY).status_code == 401
