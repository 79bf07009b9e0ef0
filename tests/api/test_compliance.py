"""GET /api/v1/people/{id}/compliance and /organisations/{id}/compliance."""
from datetime import date
from decimal import Decimal

import pytest

from lms.catalogue.models import Course
from lms.extensions import db
from lms.records import services as records
from tests import factories
from tests.api.conftest import bearer, make_token
from tests.conftest import NOW


def course(code, mode, hours, requirements):
    row = Course(
        code=code, title=code, summary="-", learning_outcomes=[], delivery_mode=mode, cpd_hours=Decimal(hours),
        level=1, requirement_codes=requirements, created_at=NOW, updated_at=NOW,
    )
    db.session.add(row)
    db.session.flush()
    return row


def complete(person, row, on, ref):
    records.record_completion(
        person, title=row.title, delivery_mode=row.delivery_mode, on=on, hours=row.cpd_hours,
        source="imported", source_ref=ref, course=row, now=NOW,
    )


@pytest.fixture()
def world():
    school = factories.organisation("Brook Lane Primary")
    other = factories.organisation("Hill Top Academy")
    dsl = factories.user("dsl@example.org", organisation=school, roles=("school-dsl",), role_start=date(2020, 1, 1), leads=(school,))
    governor = factories.user("gov@example.org", organisation=school, roles=("governor",), role_start=date(2018, 9, 1))
    stranger_lead = factories.user("lead@example.org", organisation=other, roles=("school-dsl",), leads=(other,))
    admin = factories.user("admin@example.org", admin=True, roles=("other",))
    complete(dsl, course("DSL-NEW", "face-to-face", "12", ["dsl-role-training"]), date(2024, 9, 10), "dsl")
    complete(governor, course("GOV", "virtual", "2", ["governor-training"]), date(2019, 3, 1), "gov")
    db.session.commit()
    return {"school": school, "other": other, "dsl": dsl, "governor": governor, "stranger_lead": stranger_lead, "admin": admin}


@pytest.mark.parametrize(
    "as_of, status, overdue_since",
    [("2026-06-11", "current", None), ("2026-06-12", "due-soon", None),
     ("2026-09-10", "due-soon", None), ("2026-09-11", "overdue", "2026-09-11")],
)
def test_the_dsl_example_through_the_api(client, world, as_of, status, overdue_since):
    token = make_token(world["dsl"])
    response = client.get(f"/api/v1/people/{world['dsl'].id}/compliance?as_of={as_of}", headers=bearer(token))
    assert response.status_code == 200
    body = response.json
    assert body["as_of"] == as_of
    item = next(r for r in body["requirements"] if r["requirement"] == "dsl-role-training")
    assert (item["status"], item["due_on"], item["overdue_since"]) == (status, "2026-09-10", overdue_since)
    assert item["last_completed_on"] == "2024-09-10"


def test_governor_has_no_made_up_date(client, world):
    token = make_token(world["admin"])
    body = client.get(f"/api/v1/people/{world['governor'].id}/compliance?as_of=2026-11-23", headers=bearer(token)).json
    assert body["requirements"] == [{
        "requirement": "governor-training", "name": "Safeguarding training for governors and trustees",
        "status": "current", "due_on": None, "overdue_since": None, "last_completed_on": "2019-03-01", "hours": None, "rests_on_unverified": False,
    }]


def test_who_may_see_a_persons_compliance(client, world):
    path = f"/api/v1/people/{world['dsl'].id}/compliance"
    assert client.get(path).status_code == 401
    assert client.get(path, headers=bearer(make_token(world["governor"]))).status_code == 404  # a colleague
    assert client.get(path, headers=bearer(make_token(world["stranger_lead"]))).status_code == 404
    assert client.get(path, headers=bearer(make_token(world["admin"]))).status_code == 200
    # The lead of the DSL's school may see a colleague there.
    lead_view = client.get(f"/api/v1/people/{world['governor'].id}/compliance", headers=bearer(make_token(world["dsl"])))
    assert lead_view.status_code == 200


@pytest.mark.parametrize("bad", ["2026-02-31", "31/02/2026", "tomorrow", "2026-9-1"])
def test_bad_as_of_is_a_400_naming_the_parameter(client, world, bad):
    response = client.get(f"/api/v1/people/{world['dsl'].id}/compliance?as_of={bad}", headers=bearer(make_token(world["dsl"])))
    assert response.status_code == 400
    assert response.json["errors"][0]["field"] == "as_of"


def test_organisation_compliance_for_its_leads_and_admins(client, world, count_queries):
    path = f"/api/v1/organisations/{world['school'].id}/compliance?as_of=2026-09-11"
    body = client.get(path, headers=bearer(make_token(world["dsl"]))).json
    assert body["organisation_id"] == world["school"].id and body["total"] == 2
    by_email = {row["email"]: row for row in body["items"]}
    dsl_items = {r["requirement"]: r["status"] for r in by_email["dsl@example.org"]["requirements"]}
    assert dsl_items["dsl-role-training"] == "overdue"
    assert client.get(path, headers=bearer(make_token(world["stranger_lead"]))).status_code == 403
    assert client.get(path, headers=bearer(make_token(world["governor"]))).status_code == 403
    assert client.get(path, headers=bearer(make_token(world["admin"]))).status_code == 200
    assert client.get("/api/v1/organisations/999999/compliance", headers=bearer(make_token(world["admin"]))).status_code == 404

    token = make_token(world["admin"])
    client.get(path, headers=bearer(token))  # the token's first use records last_used_at
    db.session.commit()  # start both counts with nothing loaded
    with count_queries() as few:
        client.get(path, headers=bearer(token))
    for n in range(10):
        factories.user(organisation=world["school"], roles=("teacher",))
    db.session.commit()
    with count_queries() as many:
        client.get(path, headers=bearer(token))
    assert len(many) == len(few)


def test_responses_match_the_openapi_document(client, world):
    from tests.api.conftest import assert_matches, response_schema

    spec = client.get("/api/v1/openapi.json").json
    token = make_token(world["admin"])
    person = client.get(f"/api/v1/people/{world['dsl'].id}/compliance", headers=bearer(token)).json
    assert_matches(spec, response_schema(spec, "/people/{person_id}/compliance"), person)
    organisation = client.get(f"/api/v1/organisations/{world['school'].id}/compliance", headers=bearer(token)).json
    assert_matches(spec, response_schema(spec, "/organisations/{organisation_id}/compliance"), organisation)
