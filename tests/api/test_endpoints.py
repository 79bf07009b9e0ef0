"""The JSON API's endpoints, for each kind of caller."""
from datetime import date

import pytest

from lms.accounts.models import PersonRole, SettingLead
from lms.extensions import db
from lms.organisations.reference.services import JOB_ROLES, ORGANISATION_TYPES, SECTORS
from tests import factories
from tests.api.conftest import assert_matches, bearer, make_token, response_schema


@pytest.fixture()
def world():
    """Two schools, each with a setting lead and a teacher, a trainer, an admin."""
    north = factories.area("North", code="north")
    oak = factories.organisation("Oak Primary", area=north, urn="100001")
    elm = factories.organisation("Elm Nursery", type_code="day-nursery")
    people = {
        "oak_lead": factories.user(
            "lead@oak.example", full_name="Olive Lead", organisation=oak, roles=("school-dsl",), leads=(oak,)
        ),
        "oak_teacher": factories.user("teacher@oak.example", full_name="Tom Teacher", organisation=oak),
        "elm_lead": factories.user(
            "lead@elm.example", full_name="Erin Lead", organisation=elm, roles=("ey-dsl",), leads=(elm,)
        ),
        "elm_worker": factories.user(
            "worker@elm.example", full_name="Will Worker", organisation=elm, roles=("ey-practitioner",)
        ),
        "trainer": factories.user("trainer@partnership.example", full_name="Tara Trainer", trainer=True),
        "admin": factories.user("admin@partnership.example", full_name="Adam Admin", admin=True),
    }
    db.session.commit()
    return {"oak": oak, "elm": elm, "north": north, **people}


def get(client, person, path):
    return client.get(path, headers=bearer(make_token(person)))


def emails(response):
    return [item["email"] for item in response.json["items"]]


# --- /me ------------------------------------------------------------------------------

def test_me_for_a_setting_lead(client, world, spec):
    lead = world["oak_lead"]
    db.session.add(PersonRole(user_id=lead.id, job_role=factories.job_role("teacher"),
                              started_on=date(2015, 9, 1), ended_on=date(2019, 8, 31)))
    db.session.commit()
    response = get(client, lead, "/api/v1/me")
    assert response.status_code == 200
    body = response.json
    assert body["id"] == lead.id and body["email"] == "lead@oak.example" and body["full_name"] == "Olive Lead"
    assert body["organisation"] == {
        "id": world["oak"].id, "name": "Oak Primary", "type": "primary-school", "sector": "education",
        "area": "north", "urn": "100001", "active": True,
    }
    assert body["job_roles"] == [
        {"code": "teacher", "name": "Teacher", "started_on": "2015-09-01", "ended_on": "2019-08-31"},
        {"code": "school-dsl", "name": "School designated safeguarding lead (DSL)",
         "started_on": "2020-09-01", "ended_on": None},
    ]
    assert body["roles"] == ["practitioner", "setting-lead"]
    assert body["led_organisations"] == [{"id": world["oak"].id, "name": "Oak Primary"}]
    assert_matches(spec, response_schema(spec, "/me"), body)


@pytest.mark.parametrize("who, roles", [
    ("oak_teacher", ["practitioner"]),
    ("trainer", ["practitioner", "trainer"]),
    ("admin", ["practitioner", "admin"]),
])
def test_me_roles(client, world, spec, who, roles):
    body = get(client, world[who], "/api/v1/me").json
    assert body["roles"] == roles
    assert body["led_organisations"] == []
    assert_matches(spec, response_schema(spec, "/me"), body)


def test_me_without_an_organisation(client, world):
    body = get(client, world["admin"], "/api/v1/me").json
    assert body["organisation"] is None


# --- organisations --------------------------------------------------------------------

@pytest.mark.parametrize("who", ["oak_teacher", "elm_lead", "trainer", "admin"])
def test_any_caller_lists_organisations(client, world, spec, who):
    response = get(client, world[who], "/api/v1/organisations")
    assert response.status_code == 200
    assert [o["name"] for o in response.json["items"]] == ["Elm Nursery", "Oak Primary"]
    assert response.json["items"][0] == {
        "id": world["elm"].id, "name": "Elm Nursery", "type": "day-nursery", "sector": "early-years",
        "area": None, "urn": None, "active": True,
    }
    assert_matches(spec, response_schema(spec, "/organisations"), response.json)


def test_organisation_filters(client, world):
    factories.organisation("Oak Hill 100% Academy", type_code="secondary-school", area=world["north"])
    closed = factories.organisation("Old Oak Lodge", type_code="charity")
    closed.active = False
    db.session.commit()
    token = make_token(world["oak_teacher"])

    def names(query):
        response = client.get(f"/api/v1/organisations?{query}", headers=bearer(token))
        assert response.status_code == 200, response.json
        return [o["name"] for o in response.json["items"]]

    assert names("q=oak") == ["Oak Hill 100% Academy", "Oak Primary", "Old Oak Lodge"]
    assert names("q=OAK+PRI") == ["Oak Primary"]
    assert names("q=100%25") == ["Oak Hill 100% Academy"]
    assert names("q=1_0") == []  # "_" is a letter, not a wildcard
    assert names("type=primary-school") == ["Oak Primary"]
    assert names("sector=education") == ["Oak Hill 100% Academy", "Oak Primary"]
    assert names("sector=vcs") == ["Old Oak Lodge"]
    assert names("area=north") == ["Oak Hill 100% Academy", "Oak Primary"]
    assert names("area=north&type=secondary-school") == ["Oak Hill 100% Academy"]
    assert names("active=false") == ["Old Oak Lodge"]
    assert names("active=true&q=oak") == ["Oak Hill 100% Academy", "Oak Primary"]


@pytest.mark.parametrize("query, field", [
    ("type=castle", "type"), ("sector=space", "sector"), ("area=atlantis", "area"),
    ("active=maybe", "active"), ("q=" + "x" * 201, "q"),
])
def test_bad_organisation_filters_are_400_naming_the_parameter(client, world, query, field):
    response = get(client, world["oak_teacher"], f"/api/v1/organisations?{query}")
    assert response.status_code == 400
    assert response.json["error"] == "bad-request"
    assert response.json["errors"][0]["field"] == field
    assert field in response.json["message"]


def test_get_one_organisation(client, world, spec):
    response = get(client, world["elm_worker"], f"/api/v1/organisations/{world['oak'].id}")
    assert response.status_code == 200 and response.json["name"] == "Oak Primary"
    assert_matches(spec, response_schema(spec, "/organisations/{organisation_id}"), response.json)
    missing = get(client, world["elm_worker"], "/api/v1/organisations/99999")
    assert missing.status_code == 404 and missing.json["error"] == "not-found"


# --- people ---------------------------------------------------------------------------

def test_admin_sees_everyone(client, world, spec):
    response = get(client, world["admin"], "/api/v1/people")
    assert response.status_code == 200
    assert emails(response) == [
        "admin@partnership.example", "lead@elm.example", "lead@oak.example",
        "trainer@partnership.example", "teacher@oak.example", "worker@elm.example",
    ]
    assert response.json["total"] == 6
    assert_matches(spec, response_schema(spec, "/people"), response.json)


def test_setting_lead_sees_own_organisation_and_self_only(client, world):
    assert emails(get(client, world["oak_lead"], "/api/v1/people")) == ["lead@oak.example", "teacher@oak.example"]
    assert emails(get(client, world["elm_lead"], "/api/v1/people")) == ["lead@elm.example", "worker@elm.example"]


def test_setting_lead_of_two_organisations_sees_both(client, world):
    db.session.add(SettingLead(user_id=world["oak_lead"].id, organisation_id=world["elm"].id,
                                         created_at=factories._now()))
    db.session.commit()
    assert emails(get(client, world["oak_lead"], "/api/v1/people")) == [
        "lead@elm.example", "lead@oak.example", "teacher@oak.example", "worker@elm.example",
    ]


@pytest.mark.parametrize("who", ["oak_teacher", "trainer"])
def test_practitioners_and_trainers_see_themselves(client, world, who):
    response = get(client, world[who], "/api/v1/people")
    assert emails(response) == [world[who].email]


def test_people_by_email_is_exact_and_ignores_case(client, world):
    token = make_token(world["admin"])
    response = client.get("/api/v1/people?email=Teacher@OAK.example", headers=bearer(token))
    assert emails(response) == ["teacher@oak.example"]
    assert emails(client.get("/api/v1/people?email=teacher@oak", headers=bearer(token))) == []
    assert emails(client.get("/api/v1/people?email=%25oak%25", headers=bearer(token))) == []


def test_setting_lead_cannot_find_other_organisations_people_by_email(client, world):
    token = make_token(world["oak_lead"])
    response = client.get("/api/v1/people?email=worker@elm.example", headers=bearer(token))
    assert response.status_code == 200 and response.json["items"] == [] and response.json["total"] == 0
    response = client.get(f"/api/v1/people?organisation_id={world['elm'].id}", headers=bearer(token))
    assert response.json["items"] == []


def test_people_by_organisation(client, world):
    token = make_token(world["admin"])
    response = client.get(f"/api/v1/people?organisation_id={world['elm'].id}", headers=bearer(token))
    assert emails(response) == ["lead@elm.example", "worker@elm.example"]
    for bad in ("abc", "0", "-3", "1.5"):
        response = client.get(f"/api/v1/people?organisation_id={bad}", headers=bearer(token))
        assert response.status_code == 400, bad
        assert response.json["errors"][0]["field"] == "organisation_id"


def test_get_one_person(client, world, spec):
    teacher = world["oak_teacher"]
    for who in ("admin", "oak_lead", "oak_teacher"):
        response = get(client, world[who], f"/api/v1/people/{teacher.id}")
        assert response.status_code == 200, who
        assert response.json["email"] == "teacher@oak.example"
        assert_matches(spec, response_schema(spec, "/people/{person_id}"), response.json)


@pytest.mark.parametrize("who", ["elm_lead", "elm_worker", "trainer"])
def test_hidden_person_is_404_like_a_missing_one(client, world, who):
    hidden = get(client, world[who], f"/api/v1/people/{world['oak_teacher'].id}")
    missing = get(client, world[who], "/api/v1/people/99999")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json == missing.json


def test_closed_accounts_are_listed_as_inactive(client, world):
    world["oak_teacher"].active = False
    db.session.commit()
    response = get(client, world["oak_lead"], f"/api/v1/people/{world['oak_teacher'].id}")
    assert response.json["active"] is False


# --- pagination -----------------------------------------------------------------------

def test_pagination_envelope_and_next_links(client, world):
    for i in range(5):
        factories.organisation(f"School {i}", area=world["north"])
    db.session.commit()
    token = make_token(world["admin"])
    seen = []
    url = "/api/v1/organisations?area=north&per_page=2"
    pages = 0
    while url:
        response = client.get(url, headers=bearer(token))
        assert response.status_code == 200
        body = response.json
        assert body["total"] == 6 and body["per_page"] == 2 and body["page"] == pages + 1
        seen += [o["name"] for o in body["items"]]
        url = body["next"]
        if url:
            assert url.startswith("http://localhost/api/v1/organisations?")
            assert "area=north" in url and "per_page=2" in url and f"page={pages + 2}" in url
        pages += 1
    assert pages == 3
    assert seen == ["Oak Primary", "School 0", "School 1", "School 2", "School 3", "School 4"]


def test_page_past_the_end_is_empty(client, world):
    body = get(client, world["admin"], "/api/v1/people?page=9&per_page=5").json
    assert body == {"items": [], "page": 9, "per_page": 5, "total": 6, "next": None}


def test_default_and_largest_page_size(app, client, world):
    token = make_token(world["admin"])
    assert client.get("/api/v1/people", headers=bearer(token)).json["per_page"] == app.config["API_PAGE_SIZE"]
    largest = app.config["API_MAX_PAGE_SIZE"]
    assert client.get(f"/api/v1/people?per_page={largest}", headers=bearer(token)).status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/people", "/api/v1/organisations"])
@pytest.mark.parametrize("query, field", [
    ("page=0", "page"), ("page=-1", "page"), ("page=abc", "page"), ("page=1.5", "page"), ("page=%C2%B2", "page"),
    ("per_page=0", "per_page"), ("per_page=501", "per_page"), ("per_page=ten", "per_page"),
])
def test_bad_paging_parameters_are_400_naming_the_parameter(client, world, path, query, field):
    response = get(client, world["admin"], f"{path}?{query}")
    assert response.status_code == 400
    body = response.json
    assert body["error"] == "bad-request"
    assert body["message"].startswith(field + " ")
    assert body["errors"] == [{"field": field, "message": body["message"]}]


# --- reference data -------------------------------------------------------------------

def test_reference_data_by_stable_code(client, world, spec):
    token = make_token(world["oak_teacher"])

    def fetch(kind):
        response = client.get(f"/api/v1/reference/{kind}", headers=bearer(token))
        assert response.status_code == 200
        assert_matches(spec, response_schema(spec, f"/reference/{kind}"), response.json)
        return response.json["items"]

    assert [(s["code"], s["name"]) for s in fetch("sectors")] == SECTORS
    types = fetch("organisation-types")
    assert [t["code"] for t in types] == [code for _, code, _ in ORGANISATION_TYPES]
    assert types[0] == {"code": "primary-school", "name": "Primary school", "sector": "education"}
    roles = fetch("job-roles")
    assert [(r["code"], r["name"]) for r in roles] == JOB_ROLES
    assert all(r["active"] for r in roles)
    assert fetch("areas") == [{"code": "north", "name": "North"}]


# --- statement counts -----------------------------------------------------------------

def _add_people(organisation, count):
    for _ in range(count):
        factories.user(organisation=organisation, roles=("teacher", "school-dsl"))
    db.session.commit()


@pytest.mark.parametrize("who", ["admin", "oak_lead"])
def test_people_list_statements_do_not_grow_with_rows(client, world, count_queries, who):
    token = make_token(world[who])
    client.get("/api/v1/people", headers=bearer(token))  # first use writes last_used_at
    _add_people(world["oak"], 2)
    with count_queries() as few:
        small = client.get("/api/v1/people", headers=bearer(token))
    _add_people(world["oak"], 12)
    with count_queries() as many:
        large = client.get("/api/v1/people", headers=bearer(token))
    assert len(large.json["items"]) >= len(small.json["items"]) + 12
    assert len(many) == len(few), many


def test_organisation_list_statements_do_not_grow_with_rows(client, world, count_queries):
    token = make_token(world["oak_teacher"])
    client.get("/api/v1/organisations", headers=bearer(token))
    with count_queries() as few:
        small = client.get("/api/v1/organisations", headers=bearer(token))
    south = factories.area("South", code="south")
    for i in range(15):
        factories.organisation(f"Setting {i}", type_code="charity" if i % 2 else "day-nursery", area=south)
    db.session.commit()
    with count_queries() as many:
        large = client.get("/api/v1/organisations", headers=bearer(token))
    assert len(large.json["items"]) == len(small.json["items"]) + 15
    assert len(many) == len(few), many


def test_me_statements_do_not_grow_with_roles_or_led_organisations(client, world, count_queries):
    lead = world["oak_lead"]
    token = make_token(lead)
    client.get("/api/v1/me", headers=bearer(token))
    with count_queries() as few:
        client.get("/api/v1/me", headers=bearer(token))
    for i in range(5):
        org = factories.organisation(f"Extra {i}")
        db.session.add(SettingLead(user_id=lead.id, organisation_id=org.id, created_at=factories._now()))
        db.session.add(
            PersonRole(user_id=lead.id, job_role=factories.job_role("governor"), started_on=date(2021, 1, i + 1))
        )
    db.session.commit()
    with count_queries() as many:
        body = client.get("/api/v1/me", headers=bearer(token)).json
    assert len(body["led_organisations"]) == 6 and len(body["job_roles"]) == 6
    assert len(many) == len(few), many

