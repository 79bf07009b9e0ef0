"""The API's side of belonging to a setting: a person's `asking_to_join`, an
organisation's join requests for its leads and admins, confirming and declining one."""
from __future__ import annotations

from datetime import date

import pytest

from lms.accounts import services as accounts
from lms.audit.models import AuditEvent
from lms.extensions import db
from tests import factories
from tests.api.conftest import assert_matches, bearer, make_token, response_schema
from tests.conftest import NOW


@pytest.fixture()
def world():
    oak = factories.organisation("Oak Primary School")
    elm = factories.organisation("Elm Nursery", type_code="day-nursery")
    people = {
        "admin": factories.user("admin@example.org", admin=True, roles=("other",)),
        "oak_lead": factories.user("lead@oak.example", organisation=oak, leads=(oak,), roles=("school-dsl",)),
        "elm_lead": factories.user("lead@elm.example", organisation=elm, leads=(elm,), roles=("ey-dsl",)),
        "teacher": factories.user("teacher@oak.example", organisation=oak, roles=("teacher",)),
        "asker": factories.user("asker@mail.example", full_name="Ash Asker", roles=("teaching-assistant",)),
    }
    join_request = accounts.ask_to_join(people["asker"], oak, on=date(2026, 11, 2), now=NOW)
    db.session.commit()
    return {"oak": oak, "elm": elm, "request": join_request, **people}


def call(client, person, method: str, path: str):
    return client.open(path, method=method, headers=bearer(make_token(person)))


def test_a_person_shows_where_they_are_asking_to_join(client, world, spec):
    response = call(client, world["asker"], "GET", "/api/v1/me")
    assert response.status_code == 200
    assert response.json["organisation"] is None
    assert response.json["asking_to_join"] == {
        "request_id": world["request"].id,
        "organisation": {"id": world["oak"].id, "name": "Oak Primary School"},
        "since": "2026-11-23T10:00:00Z",
        "started_on": "2026-11-02",
    }
    listed = call(client, world["admin"], "GET", "/api/v1/people")
    assert_matches(spec, response_schema(spec, "/people"), listed.json)
    by_email = {row["email"]: row for row in listed.json["items"]}
    assert by_email["teacher@oak.example"]["asking_to_join"] is None
    assert by_email["teacher@oak.example"]["organisation"]["name"] == "Oak Primary School"
    assert by_email["asker@mail.example"]["asking_to_join"]["organisation"]["id"] == world["oak"].id
    # Not yet one of the school's people, for its lead.
    lead_sees = call(client, world["oak_lead"], "GET", "/api/v1/people").json["items"]
    assert "asker@mail.example" not in [row["email"] for row in lead_sees]


def test_an_organisations_join_requests_for_its_leads_and_admins(client, world, spec):
    path = f"/api/v1/organisations/{world['oak'].id}/join-requests"
    for who in ("oak_lead", "admin"):
        response = call(client, world[who], "GET", path)
        assert response.status_code == 200, response.json
        assert_matches(spec, response_schema(spec, "/organisations/{organisation_id}/join-requests"), response.json)
        [row] = response.json["items"]
        assert row["person"] == {"id": world["asker"].id, "email": "asker@mail.example", "full_name": "Ash Asker"}
        assert row["outcome"] is None and row["decided_at"] is None
        assert [role["code"] for role in row["job_roles"]] == ["teaching-assistant"]
    assert call(client, world["elm_lead"], "GET", path).status_code == 403
    assert call(client, world["teacher"], "GET", path).status_code == 403
    assert call(client, world["admin"], "GET", "/api/v1/organisations/999999/join-requests").status_code == 404
    assert call(client, world["elm_lead"], "GET", f"/api/v1/organisations/{world['elm'].id}/join-requests").json["items"] == []


def test_confirming_over_the_api(client, world, spec):
    path = f"/api/v1/join-requests/{world['request'].id}/confirm"
    assert call(client, world["elm_lead"], "POST", path).status_code == 404  # another school's lead
    assert call(client, world["teacher"], "POST", path).status_code == 404
    response = call(client, world["oak_lead"], "POST", path)
    assert response.status_code == 200, response.json
    assert_matches(spec, response_schema(spec, "/join-requests/{request_id}/confirm", "post"), response.json)
    assert response.json["outcome"] == "confirmed"
    db.session.expire_all()
    assert world["asker"].organisation_id == world["oak"].id
    assert db.session.query(AuditEvent).filter_by(action="person.join-confirm").count() == 1
    again = call(client, world["oak_lead"], "POST", path)
    assert again.status_code == 409 and "already been confirmed" in again.json["message"]
    me = call(client, world["asker"], "GET", "/api/v1/me").json
    assert me["asking_to_join"] is None and me["organisation"]["id"] == world["oak"].id


def test_declining_over_the_api(client, world):
    path = f"/api/v1/join-requests/{world['request'].id}/decline"
    assert call(client, world["elm_lead"], "POST", path).status_code == 404
    response = call(client, world["admin"], "POST", path)
    assert response.status_code == 200 and response.json["outcome"] == "declined"
    db.session.expire_all()
    assert world["asker"].organisation_id is None and world["asker"].active
    assert call(client, world["admin"], "POST", "/api/v1/join-requests/999999/decline").status_code == 404
