"""The admin pages for requests to add an organisation (organisations.requests)."""
from __future__ import annotations

from sqlalchemy import select

from lms.extensions import db
from lms.organisations.requests import services as requests
from lms.organisations.models import Organisation, OrganisationRequest
from tests import factories
from tests.organisations.conftest import events, outbox, type_id


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

