"""The organisation pages, through the test client."""
from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from lms.accounts.models import SettingLead
from lms.extensions import db
from lms.organisations import services
from lms.organisations.requests import services as requests
from lms.organisations.models import Area, JobRole, Organisation, OrganisationRequest, Sector
from tests import factories
from tests.organisations.conftest import events, login, login_directly, outbox, sector_id, type_id


@pytest.fixture()
def world(now):
    """Two schools, an admin, a setting lead and a practitioner at school A, a person at
    school B, and a pending organisation request."""
    a = factories.organisation("Ashgrove Primary School")
    b = factories.organisation("Beechwood Primary School")
    admin = factories.user("admin@example.org", full_name="Ada Admin", admin=True, roles=("other",))
    lead = factories.user("lead@example.org", full_name="Lee Lead", organisation=a, leads=(a,), roles=("school-dsl",))
    practitioner = factories.user(
        "pat@example.org", full_name="Pat Practitioner", organisation=a, roles=("teacher", "school-staff"),
        role_start=date(2021, 9, 1),
    )
    other = factories.user("bea@example.org", full_name="Bea Beech", organisation=b, roles=("teaching-assistant",))
    requester = factories.user("rita@example.org", full_name="Rita Requester", roles=("vcs-staff",))
    request = requests.request_organisation(
        requester, now=now, name="Ashgrove Primary", type_id=type_id("charity"), postcode="AB1 2CD"
    )
    db.session.commit()
    return {"a": a, "b": b, "admin": admin, "lead": lead, "practitioner": practitioner, "other": other,
            "requester": requester, "request": request}


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

@pytest.fixture()
def admin_client(app, world):
    client = app.test_client()
    login(client, world["admin"])
    return client


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

def test_request_queue_and_review(admin_client, world):
    html = admin_client.get("/admin/organisation-requests").get_data(as_text=True)
    assert "Ashgrove Primary" in html and "Rita Requester" in html and "rita@example.org" in html
    html = admin_client.get(f"/admin/organisation-requests/{world['request'].id}").get_data(as_text=True)
    assert "Ashgrove Primary School" in html  # a possible duplicate
    assert "Similar name" in html
    assert admin_client.get("/admin/organisation-requests?status=rejected").status_code == 200
    assert admin_client.get("/admin/organisation-requests/999999").status_code == 404


def test_request_queue_statement_count_does_not_grow(admin_client, world, now, count_queries):
    def statements() -> int:
        admin_client.get("/admin/organisation-requests")
        with count_queries() as executed:
            assert admin_client.get("/admin/organisation-requests").status_code == 200
        return len(executed)

    few = statements()
    for n in range(8):
        requests.request_organisation(factories.user(), now=now, name=f"Club {n}", type_id=type_id("sports-youth"))
    db.session.commit()
    assert statements() == few


def test_approve_request(admin_client, world):
    request = world["request"]
    form = admin_client.get(f"/admin/organisation-requests/{request.id}/approve").get_data(as_text=True)
    assert 'value="Ashgrove Primary"' in form and 'value="AB1 2CD"' in form
    assert "Organisations with similar names are already listed" in form
    response = admin_client.post(f"/admin/organisation-requests/{request.id}/approve", data={
        "name": "Ashgrove Community Hall", "type": str(type_id("charity")), "sector": "", "area": "",
        "urn": "", "address": "", "postcode": "AB1 2CD",
    }, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Ashgrove Community Hall has been added and Rita Requester recorded as working there" in html
    db.session.expire_all()
    org = db.session.scalar(select(Organisation).where(Organisation.name == "Ashgrove Community Hall"))
    request = db.session.get(OrganisationRequest, request.id)
    assert request.status == "approved" and request.organisation_id == org.id
    assert request.requested_by.organisation_id == org.id
    assert [e.action for e in events()] == ["organisation.create", "organisation-request.approve"]
    [email] = outbox("rita@example.org")
    assert "Ashgrove Community Hall" in email.body_text
    # decided: the pages say so instead of deciding again
    response = admin_client.post(f"/admin/organisation-requests/{request.id}/reject", data={"reason": "x"})
    assert response.status_code == 302
    assert len(events()) == 2 and len(outbox("rita@example.org")) == 1


def test_approve_request_errors(admin_client, world):
    request = world["request"]
    html = admin_client.post(f"/admin/organisation-requests/{request.id}/approve", data={
        "name": "Fine", "type": str(type_id("charity")), "urn": "not valid!",
    }).get_data(as_text=True)
    assert 'href="#urn"' in html
    assert db.session.get(OrganisationRequest, request.id).status == "pending"
    assert events() == [] and outbox("rita@example.org") == []


def test_link_request(admin_client, world):
    request = world["request"]
    form = admin_client.get(f"/admin/organisation-requests/{request.id}/link").get_data(as_text=True)
    # the similar organisation comes first in the list
    assert form.index("Ashgrove Primary School") < form.index("Beechwood Primary School")
    html = admin_client.post(f"/admin/organisation-requests/{request.id}/link", data={"organisation": ""}).get_data(as_text=True)
    assert 'href="#organisation"' in html
    response = admin_client.post(
        f"/admin/organisation-requests/{request.id}/link", data={"organisation": str(world["a"].id)}, follow_redirects=True
    )
    assert "Rita Requester has been recorded as working at Ashgrove Primary School" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(OrganisationRequest, request.id).status == "linked"
    assert world["requester"].organisation_id == world["a"].id
    assert [e.action for e in events()] == ["organisation-request.link"]
    assert len(outbox("rita@example.org")) == 1


def test_reject_request(admin_client, world):
    request = world["request"]
    html = admin_client.post(f"/admin/organisation-requests/{request.id}/reject", data={"reason": ""}).get_data(as_text=True)
    assert "There is a problem" in html and 'href="#reason"' in html
    response = admin_client.post(
        f"/admin/organisation-requests/{request.id}/reject",
        data={"reason": "This is already listed as Ashgrove Primary School."},
        follow_redirects=True,
    )
    assert "has been rejected" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(OrganisationRequest, request.id).status == "rejected"
    [event] = events("organisation-request.reject")
    assert event.actor_id == world["admin"].id
    [email] = outbox("rita@example.org")
    assert "This is already listed as Ashgrove Primary School." in email.body_text
    html = admin_client.get(f"/admin/organisation-requests/{request.id}").get_data(as_text=True)
    assert "Rejected" in html and "Ada Admin" in html


# --- admin: reference data ------------------------------------------------------------

@pytest.mark.parametrize("kind", ["sectors", "organisation-types", "areas", "job-roles"])
def test_reference_pages(admin_client, world, kind):
    assert admin_client.get(f"/admin/reference/{kind}").status_code == 200
    assert admin_client.get(f"/admin/reference/{kind}/new").status_code == 200


def test_unknown_reference_kind_is_not_found(admin_client, world):
    assert admin_client.get("/admin/reference/colours").status_code == 404
    assert admin_client.get("/admin/reference/areas/999999/edit").status_code == 404


def test_add_reference_items(admin_client, world):
    response = admin_client.post("/admin/reference/areas/new", data={"code": "north", "name": "North"}, follow_redirects=True)
    assert "North has been added" in response.get_data(as_text=True)
    assert db.session.scalar(select(Area.name).where(Area.code == "north")) == "North"
    html = admin_client.post("/admin/reference/areas/new", data={"code": "North Side", "name": "North side"}).get_data(as_text=True)
    assert 'href="#code"' in html and "lower-case" in html
    html = admin_client.post("/admin/reference/organisation-types/new", data={"code": "cadets", "name": "Cadets", "sector": ""}).get_data(as_text=True)
    assert 'href="#sector"' in html
    admin_client.post("/admin/reference/organisation-types/new",
                      data={"code": "cadets", "name": "Cadets", "sector": str(sector_id("vcs"))})
    admin_client.post("/admin/reference/sectors/new", data={"code": "armed-forces", "name": "Armed forces"})
    assert db.session.scalar(select(Sector.name).where(Sector.code == "armed-forces")) == "Armed forces"
    assert [e.action for e in events()] == ["area.create", "organisation-type.create", "sector.create"]


def test_edit_reference_items(admin_client, world):
    role = factories.job_role("governor")
    form = admin_client.get(f"/admin/reference/job-roles/{role.id}/edit").get_data(as_text=True)
    assert "<code>governor</code>" in form and 'name="code"' not in form and 'value="7"' in form
    response = admin_client.post(f"/admin/reference/job-roles/{role.id}/edit",
                                 data={"name": "Governor or board member", "position": "1", "code": "hacked"},
                                 follow_redirects=True)
    assert "Governor or board member has been updated" in response.get_data(as_text=True)
    db.session.expire_all()
    role = db.session.get(JobRole, role.id)
    assert (role.code, role.name) == ("governor", "Governor or board member")
    assert services.list_reference(JobRole)[0].id == role.id
    html = admin_client.post(f"/admin/reference/job-roles/{role.id}/edit", data={"name": "X", "position": "first"}).get_data(as_text=True)
    assert 'href="#position"' in html
    html = admin_client.post(f"/admin/reference/job-roles/{role.id}/edit", data={"name": "Teacher", "position": "1"}).get_data(as_text=True)
    assert 'href="#name"' in html and "There is already a job role called Teacher" in html

    primary = type_id("primary-school")
    admin_client.post(f"/admin/reference/organisation-types/{primary}/edit",
                      data={"name": "Primary school", "position": "1", "sector": str(sector_id("early-years"))})
    assert events("organisation-type.update")[0].after == {"sector_id": sector_id("early-years")}


def test_deactivate_job_role(admin_client, world):
    role = factories.job_role("governor")
    html = admin_client.post(f"/admin/reference/job-roles/{role.id}/deactivate", follow_redirects=True).get_data(as_text=True)
    assert "Governor or trustee has been deactivated" in html
    db.session.expire_all()
    assert db.session.get(JobRole, role.id).active is False
    admin_client.post(f"/admin/reference/job-roles/{role.id}/reactivate")
    db.session.expire_all()
    assert db.session.get(JobRole, role.id).active is True


# --- CSRF -----------------------------------------------------------------------------

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
