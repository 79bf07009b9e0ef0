"""The organisation pages, through the test client."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from lms.accounts.models import SettingLead
from lms.extensions import db
from lms.organisations.models import Organisation
from tests import factories
from tests.organisations.conftest import events, login, login_directly, sector_id, type_id


def _routes(w) -> list[tuple[str, str]]:
    a, r = w["a"].id, w["request"].id
    role = factories.job_role("governor").id
    return [
        ("GET", "/admin/organisations"),
        ("GET", "/admin/organisations/new"),
        ("POST", "/admin/organisations/new"),
        ("GET", f"/admin/organisations/{a}"),
        ("GET", f"/admin/organisations/{a}/edit"),
        ("POST", f"/admin/organisations/{a}/edit"),
        ("POST", f"/admin/organisations/{a}/leads"),
        ("POST", f"/admin/organisations/{a}/leads/{w['lead'].id}/remove"),
        ("POST", f"/admin/organisations/{a}/deactivate"),
        ("POST", f"/admin/organisations/{a}/reactivate"),
        ("GET", "/admin/organisation-requests"),
        ("GET", f"/admin/organisation-requests/{r}"),
        ("GET", f"/admin/organisation-requests/{r}/approve"),
        ("POST", f"/admin/organisation-requests/{r}/approve"),
        ("GET", f"/admin/organisation-requests/{r}/link"),
        ("POST", f"/admin/organisation-requests/{r}/link"),
        ("GET", f"/admin/organisation-requests/{r}/reject"),
        ("POST", f"/admin/organisation-requests/{r}/reject"),
        ("GET", "/admin/reference"),
        ("GET", "/admin/reference/sectors"),
        ("GET", "/admin/reference/job-roles/new"),
        ("POST", "/admin/reference/areas/new"),
        ("GET", f"/admin/reference/job-roles/{role}/edit"),
        ("POST", f"/admin/reference/job-roles/{role}/edit"),
        ("POST", f"/admin/reference/job-roles/{role}/deactivate"),
        ("POST", f"/admin/reference/job-roles/{role}/reactivate"),
    ]


def _staff_routes(w) -> list[tuple[str, str]]:
    return [("GET", "/organisation/staff"), ("GET", f"/organisation/staff/{w['practitioner'].id}")]


def _call(client, method, url):
    data = {"name": "Changed", "type": str(type_id("police")), "email": "pat@example.org", "reason": "No",
            "organisation": "1", "code": "new-code", "position": "1"}
    return client.get(url) if method == "GET" else client.post(url, data=data)


def test_anonymous_people_are_sent_to_sign_in(client, world):
    for method, url in _routes(world) + _staff_routes(world):
        response = _call(client, method, url)
        assert response.status_code == 302, (method, url)
        assert response.headers["Location"].startswith("/sign-in"), (method, url)
    assert events() == []


def test_practitioners_are_refused(app, world):
    client = app.test_client()
    login(client, world["practitioner"])
    for method, url in _routes(world) + _staff_routes(world):
        assert _call(client, method, url).status_code == 403, (method, url)
    assert events() == [] and world["request"].status == "pending"


def test_setting_leads_are_refused_admin_pages_and_other_organisations(app, world):
    client = app.test_client()
    login(client, world["lead"])
    for method, url in _routes(world):
        assert _call(client, method, url).status_code == 403, (method, url)
    assert client.get(f"/organisation/staff/{world['other'].id}").status_code == 404
    assert client.get(f"/organisation/staff?organisation={world['b'].id}").status_code == 404
    assert client.get("/organisation/staff/999999").status_code == 404
    assert events() == []
    assert db.session.scalar(select(func.count()).select_from(SettingLead)) == 1


# --- a setting lead's staff -----------------------------------------------------------

def test_organisations_list_and_filters(admin_client, world):
    north = factories.area("North")
    factories.organisation("Northgate Nursery", type_code="day-nursery", area=north)
    factories.organisation("Closed Club", type_code="out-of-school-club", active=False)
    db.session.commit()
    html = admin_client.get("/admin/organisations").get_data(as_text=True)
    assert "Ashgrove Primary School" in html and "Northgate Nursery" in html and "Closed Club" not in html
    assert "1 request to add an organisation" in html
    html = admin_client.get(f"/admin/organisations?area={north.id}").get_data(as_text=True)
    assert "Northgate Nursery" in html and "Ashgrove" not in html
    html = admin_client.get(f"/admin/organisations?sector={sector_id('education')}&q=beech").get_data(as_text=True)
    assert "Beechwood Primary School" in html and "Ashgrove" not in html
    html = admin_client.get("/admin/organisations?status=inactive").get_data(as_text=True)
    assert "Closed Club" in html and "Deactivated" in html and "Ashgrove" not in html
    html = admin_client.get(f"/admin/organisations?type={type_id('police')}").get_data(as_text=True)
    assert "No organisations match these filters" in html


def test_organisations_list_statement_count_does_not_grow(admin_client, world, count_queries):
    def statements() -> int:
        admin_client.get("/admin/organisations")
        with count_queries() as executed:
            assert admin_client.get("/admin/organisations").status_code == 200
        return len(executed)

    few = statements()
    area = factories.area("West")
    for n in range(12):
        org = factories.organisation(f"Extra {n}", area=area)
        factories.user(organisation=org)
    db.session.commit()
    assert statements() == few


def test_create_organisation(admin_client, world):
    response = admin_client.post("/admin/organisations/new", data={
        "name": "Rainbow Children's Centre", "type": str(type_id("childrens-centre")), "sector": str(sector_id("vcs")),
        "area": "", "urn": "", "address": "2 Rainbow Road", "postcode": "rb1 1rb",
    })
    assert response.status_code == 302
    org = db.session.scalar(select(Organisation).where(Organisation.name == "Rainbow Children's Centre"))
    assert response.headers["Location"] == f"/admin/organisations/{org.id}"
    assert org.sector.code == "vcs" and org.postcode == "RB1 1RB"
    assert [e.action for e in events()] == ["organisation.create"]
    html = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Rainbow Children&#39;s Centre has been added" in html
    assert "chosen instead of the type’s sector" in html


def test_create_organisation_shows_errors(admin_client, world):
    response = admin_client.post("/admin/organisations/new", data={"name": "", "type": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in html and 'href="#name"' in html and 'href="#type"' in html
    assert "Select the type of organisation" in html
    assert "<title>Error:" in html
    response = admin_client.post("/admin/organisations/new", data={"name": "Fine", "type": "99999", "postcode": "x"})
    html = response.get_data(as_text=True)
    assert 'href="#type"' in html and "Select the type of organisation" in html
    response = admin_client.post(
        "/admin/organisations/new", data={"name": "Fine", "type": str(type_id("police")), "postcode": "nope"}
    )
    assert 'href="#postcode"' in response.get_data(as_text=True)
    assert events() == []
    assert db.session.scalar(select(func.count(Organisation.id))) == 2


def test_edit_organisation(admin_client, world):
    a = world["a"]
    form = admin_client.get(f"/admin/organisations/{a.id}/edit").get_data(as_text=True)
    assert 'value="Ashgrove Primary School"' in form
    assert re.search(r'<option value=""\s+selected>Same as the type', form)
    response = admin_client.post(f"/admin/organisations/{a.id}/edit", data={
        "name": "Ashgrove Academy", "type": str(a.type_id), "sector": "", "area": "", "urn": "100200",
        "address": "", "postcode": "",
    }, follow_redirects=True)
    assert "Ashgrove Academy has been updated" in response.get_data(as_text=True)
    [event] = events("organisation.update")
    assert event.before == {"name": "Ashgrove Primary School", "urn": None}
    assert event.after == {"name": "Ashgrove Academy", "urn": "100200"}
    assert admin_client.get("/admin/organisations/999999/edit").status_code == 404


def test_deactivate_and_reactivate_organisation(admin_client, world):
    a = world["a"]
    html = admin_client.post(f"/admin/organisations/{a.id}/deactivate", follow_redirects=True).get_data(as_text=True)
    assert "Ashgrove Primary School has been deactivated" in html
    assert db.session.get(Organisation, a.id).active is False
    html = admin_client.post(f"/admin/organisations/{a.id}/deactivate", follow_redirects=True).get_data(as_text=True)
    assert "already deactivated" in html
    admin_client.post(f"/admin/organisations/{a.id}/reactivate")
    db.session.expire_all()
    assert db.session.get(Organisation, a.id).active is True
    assert [e.action for e in events()] == ["organisation.deactivate", "organisation.reactivate"]


def test_organisation_detail_shows_leads_and_people(admin_client, world):
    html = admin_client.get(f"/admin/organisations/{world['a'].id}").get_data(as_text=True)
    assert "Lee Lead" in html and "Works here" in html
    assert "2 people" in html
    assert admin_client.get("/admin/organisations/999999").status_code == 404


def test_add_and_remove_setting_lead(admin_client, world):
    a = world["a"]
    response = admin_client.post(f"/admin/organisations/{a.id}/leads", data={"email": "nobody@example.org"})
    html = response.get_data(as_text=True)
    assert "There is a problem" in html and 'href="#email"' in html and "No account uses this email" in html

    html = admin_client.post(
        f"/admin/organisations/{a.id}/leads", data={"email": "PAT@example.org"}, follow_redirects=True
    ).get_data(as_text=True)
    assert "Pat Practitioner is now a setting lead for Ashgrove Primary School" in html
    assert "not recorded as working at" not in html

    html = admin_client.post(
        f"/admin/organisations/{a.id}/leads", data={"email": "bea@example.org"}, follow_redirects=True
    ).get_data(as_text=True)
    assert "Bea Beech is not recorded as working at Ashgrove Primary School" in html
    assert "Not recorded as working here" in html

    html = admin_client.post(f"/admin/organisations/{a.id}/leads", data={"email": "bea@example.org"}).get_data(as_text=True)
    assert "Bea Beech is already a setting lead" in html

    other = world["other"]
    html = admin_client.post(
        f"/admin/organisations/{a.id}/leads/{other.id}/remove", follow_redirects=True
    ).get_data(as_text=True)
    assert "Bea Beech is no longer a setting lead for Ashgrove Primary School" in html
    leads = set(db.session.scalars(select(SettingLead.user_id).where(SettingLead.organisation_id == a.id)))
    assert leads == {world["lead"].id, world["practitioner"].id}
    assert [e.action for e in events()] == ["setting-lead.add", "setting-lead.add", "setting-lead.remove"]
    assert admin_client.post(f"/admin/organisations/{a.id}/leads/{other.id}/remove").status_code == 404


def test_new_setting_lead_can_then_see_the_staff(app, admin_client, world):
    admin_client.post(f"/admin/organisations/{world['b'].id}/leads", data={"email": "bea@example.org"})
    client = app.test_client()
    login(client, world["other"])
    assert client.get("/organisation/staff").status_code == 200
    assert client.get(f"/organisation/staff/{world['practitioner'].id}").status_code == 404


# --- admin: organisation requests -----------------------------------------------------

def test_forms_need_a_csrf_token(csrf_app, world):
    from tests.conftest import csrf_token_from

    client = csrf_app.test_client()
    login_directly(client, world["admin"])
    data = {"name": "Sneaky", "type": str(type_id("police"))}
    assert client.post("/admin/organisations/new", data=data).status_code == 400
    assert client.post(f"/admin/organisations/{world['a'].id}/deactivate").status_code == 400
    token = csrf_token_from(client.get("/admin/organisations/new").get_data(as_text=True))
    assert client.post("/admin/organisations/new", data={**data, "csrf_token": token}).status_code == 302
    detail = client.get(f"/admin/organisations/{world['a'].id}").get_data(as_text=True)
    assert csrf_token_from(detail)
