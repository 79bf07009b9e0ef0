"""Helpers for the organisation tests."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from lms.audit.models import AuditEvent
from lms.extensions import db
from lms.notifications.models import OutboundEmail
from lms.organisations.models import OrganisationType, Sector
from lms.organisations.requests import services as requests
from tests import factories


def login(client, person) -> None:
    """Sign a test client in through the real sign-in form."""
    response = factories.sign_in(client, person)
    assert response.status_code == 302, response.get_data(as_text=True)


def login_directly(client, person) -> None:
    """Sign a test client in by starting a server-side session and putting its token where
    Flask-Login keeps the id (for clients that have CSRF protection switched on)."""
    factories.sign_in_directly(client, person)


def type_id(code: str) -> int:
    return db.session.scalar(select(OrganisationType.id).where(OrganisationType.code == code))


def sector_id(code: str) -> int:
    return db.session.scalar(select(Sector.id).where(Sector.code == code))


def events(action: str | None = None) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.id)
    if action:
        query = query.where(AuditEvent.action == action)
    return list(db.session.scalars(query))


def outbox(to: str | None = None) -> list[OutboundEmail]:
    query = select(OutboundEmail).order_by(OutboundEmail.id)
    if to:
        query = query.where(OutboundEmail.to_address == to)
    return list(db.session.scalars(query))


@pytest.fixture()
def admin():
    person = factories.user("admin@example.org", full_name="Ada Admin", admin=True, roles=("other",))
    db.session.commit()
    return person


@pytest.fixture()
def school():
    org = factories.organisation("Hillside Primary School")
    db.session.commit()
    return org


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


@pytest.fixture()
def admin_client(app, world):
    client = app.test_client()
    login(client, world["admin"])
    return client
