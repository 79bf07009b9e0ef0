"""A setting lead's staff pages (accounts.staff): who may see them, filters, pages."""
from __future__ import annotations

from lms.accounts.models import SettingLead
from lms.extensions import db
from lms.organisations.requests import services as requests
from tests import factories
from tests.organisations.conftest import login
from tests.organisations.conftest import world  # noqa: F401  (fixture)


def test_staff_list_shows_the_leads_people_with_roles(app, world):
    client = app.test_client()
    login(client, world["lead"])
    response = client.get("/organisation/staff")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Ashgrove Primary School" in html
    assert "Pat Practitioner" in html and "pat@example.org" in html
    assert "Teacher" in html and "All school staff" in html
    assert "Lee Lead" in html
    assert "Bea Beech" not in html
    assert 'name="organisation"' not in html  # one organisation: no filter
    assert "Showing 1 to 2 of 2 people" in html

    searched = client.get("/organisation/staff?q=PAT").get_data(as_text=True)
    assert "Pat Practitioner" in searched and "Lee Lead" not in searched
    assert "No one matches your search" in client.get("/organisation/staff?q=nobody").get_data(as_text=True)


def test_lead_of_two_organisations_can_filter(app, world, now):
    db.session.add(SettingLead(user_id=world["lead"].id, organisation_id=world["b"].id, created_at=now))
    db.session.commit()
    client = app.test_client()
    login(client, world["lead"])
    html = client.get("/organisation/staff").get_data(as_text=True)
    assert 'name="organisation"' in html
    assert "Bea Beech" in html and "Pat Practitioner" in html
    only_b = client.get(f"/organisation/staff?organisation={world['b'].id}").get_data(as_text=True)
    assert "Bea Beech" in only_b and "Pat Practitioner" not in only_b
    assert client.get(f"/organisation/staff/{world['other'].id}").status_code == 200


def test_staff_list_is_paginated(app, world):
    for n in range(30):
        factories.user(full_name=f"Zz Person {n:02d}", organisation=world["a"])
    db.session.commit()
    client = app.test_client()
    login(client, world["lead"])
    first = client.get("/organisation/staff").get_data(as_text=True)
    assert "Showing 1 to 25 of 32 people" in first
    assert "Zz Person 29" not in first
    second = client.get("/organisation/staff?page=2&q=zz").get_data(as_text=True)
    assert "Showing 26 to 30 of 30 people" in second
    assert "Zz Person 29" in second
    assert 'href="/organisation/staff?page=1&amp;q=zz"' in second


def test_staff_member_page(app, world, now):
    practitioner = world["practitioner"]
    requests.link_request(world["admin"], world["request"], world["b"], now=now)  # unrelated history
    db.session.commit()
    client = app.test_client()
    login(client, world["lead"])
    html = client.get(f"/organisation/staff/{practitioner.id}").get_data(as_text=True)
    assert "<h1" in html and "Pat Practitioner" in html
    assert "pat@example.org" in html
    assert "Teacher" in html and "1 September 2021" in html
    assert "Ashgrove Primary School" in html and "Current" in html


def test_admins_see_everyones_staff(app, world):
    client = app.test_client()
    login(client, world["admin"])
    html = client.get("/organisation/staff").get_data(as_text=True)
    assert "Bea Beech" in html and "Pat Practitioner" in html
    assert client.get(f"/organisation/staff/{world['other'].id}").status_code == 200


def test_staff_list_statement_count_does_not_grow_with_people(app, world, count_queries):
    client = app.test_client()
    login(client, world["lead"])

    def statements() -> int:
        client.get("/organisation/staff")  # warm up
        with count_queries() as executed:
            assert client.get("/organisation/staff").status_code == 200
        return len(executed)

    few = statements()
    for n in range(12):
        factories.user(organisation=world["a"], roles=("teacher", "governor", "deputy-dsl"))
    db.session.commit()
    assert statements() == few


# --- admin: organisations -------------------------------------------------------------

