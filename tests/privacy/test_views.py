"""The admin's erase page: admins only, a reason and a confirmation, audited."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from lms.accounts.models import User
from lms.audit.models import AuditEvent
from lms.extensions import db
from tests import factories


@pytest.fixture()
def people(app):
    school = factories.organisation("Oak Primary School")
    admin = factories.user("admin@example.org", admin=True)
    lead = factories.user("lead@example.org", organisation=school, leads=(school,))
    person = factories.user("ann.example@example.org", full_name="Ann Example", organisation=school)
    db.session.commit()
    return admin, lead, person


def test_an_admin_erases_a_person_from_their_page(app, people):
    admin, _, person = people
    client = factories.signed_in_client(app, admin)
    page = client.get(f"/admin/people/{person.id}").get_data(as_text=True)
    assert f"/admin/people/{person.id}/erase" in page
    assert client.get(f"/admin/people/{person.id}/erase").status_code == 200
    done = client.post(f"/admin/people/{person.id}/erase", data={"reason": "Request 12 by letter", "confirm": "y"})
    assert done.status_code == 302 and done.headers["Location"] == f"/admin/people/{person.id}"
    db.session.expire_all()
    erased = db.session.get(User, person.id)
    assert erased.full_name == "Erased person" and erased.erased_at is not None
    shown = client.get(f"/admin/people/{person.id}").get_data(as_text=True)
    assert "personal details were erased" in shown and "Reopen account" not in shown
    assert db.session.scalar(select(AuditEvent.actor_id).where(AuditEvent.action == "person.erase")) == admin.id


@pytest.mark.parametrize("data, message", [
    ({"confirm": "y"}, "Enter why this person"),
    ({"reason": "Request 12"}, "Confirm that you understand"),
])
def test_it_needs_a_reason_and_a_confirmation(app, people, data, message):
    admin, _, person = people
    response = factories.signed_in_client(app, admin).post(f"/admin/people/{person.id}/erase", data=data)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, person.id).erased_at is None


def test_an_admin_cannot_erase_themself(app, people):
    admin, _, _ = people
    response = factories.signed_in_client(app, admin).post(f"/admin/people/{admin.id}/erase",
                                                            data={"reason": "x", "confirm": "y"})
    assert response.status_code == 400 and "You cannot erase your own account" in response.get_data(as_text=True)


def test_only_admins_may_erase(app, people):
    _, lead, person = people
    client = factories.signed_in_client(app, lead)
    assert client.get(f"/admin/people/{person.id}/erase").status_code == 403
    assert client.post(f"/admin/people/{person.id}/erase", data={"reason": "x", "confirm": "y"}).status_code == 403
    db.session.expire_all()
    assert db.session.get(User, person.id).erased_at is None


def test_an_unknown_person_is_404(app, people):
    admin, _, _ = people
    assert factories.signed_in_client(app, admin).get("/admin/people/99999/erase").status_code == 404
