"""Fixtures for the admin's people pages (and the admin's dashboard, tests/pages)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from lms.accounts.models import User
from lms.audit.models import AuditEvent
from lms.extensions import db
from tests import factories as f
from tests.accounts.admin.helpers import sign_in_as


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def reload(person: User) -> User:
    db.session.expire_all()
    return db.session.get(User, person.id)


@pytest.fixture()
def school():
    return f.organisation("Oak Primary")


@pytest.fixture()
def admin(school):
    person = f.user("admin@example.org", full_name="Ada Admin", admin=True, organisation=school)
    db.session.commit()
    return person


@pytest.fixture()
def person(school):
    person = f.user("pat@example.org", full_name="Pat Practitioner", organisation=school, roles=("teacher", "governor"))
    db.session.commit()
    return person


@pytest.fixture()
def signed_in(client, admin):
    sign_in_as(client, admin)
    return client
