"""Personal API tokens: lms.api.services."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from lms.api import services
from lms.api.models import ApiToken
from lms.audit.models import AuditEvent
from lms.core.errors import DomainError, Forbidden
from lms.core.tokens import hash_token
from lms.extensions import db
from tests import factories


def test_create_token_stores_only_the_hash_and_a_short_prefix(now):
    person = factories.user()
    token, row = services.create_token(person, name="  School   MIS export ", now=now)
    db.session.commit()

    assert token.startswith("lms_") and len(token) > 40
    assert row.name == "School MIS export"
    assert row.prefix == token[:12]
    assert row.token_hash == hash_token(token)
    assert row.created_at == now and row.last_used_at is None and row.revoked_at is None
    stored = db.session.execute(select(ApiToken.__table__)).one()._asdict()
    assert all(token not in str(value) for value in stored.values())
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "api-token.create"))
    assert event.actor_id == person.id and token not in str(event.after) and token not in event.summary


def test_each_token_is_different(now):
    person = factories.user()
    first, _ = services.create_token(person, name="One", now=now)
    second, _ = services.create_token(person, name="One", now=now)
    assert first != second


@pytest.mark.parametrize("name, message", [("", "Enter a name for the token"), ("   ", "Enter a name for the token"),
                                           ("x" * 101, "Name must be 100 characters or fewer")])
def test_create_token_needs_a_sensible_name(now, name, message):
    person = factories.user()
    with pytest.raises(DomainError) as error:
        services.create_token(person, name=name, now=now)
    assert error.value.field == "name" and error.value.message == message
    assert db.session.scalar(select(ApiToken)) is None


def test_closed_account_cannot_get_a_token(now):
    person = factories.user()
    person.active = False
    with pytest.raises(DomainError, match="closed"):
        services.create_token(person, name="Export", now=now)


def test_number_of_live_tokens_is_limited(now):
    person = factories.user()
    rows = [services.create_token(person, name=f"T{i}", now=now)[1] for i in range(services.MAX_ACTIVE_TOKENS)]
    with pytest.raises(DomainError, match="Revoke one"):
        services.create_token(person, name="One too many", now=now)
    services.revoke_token(person, rows[0], now=now)
    services.create_token(person, name="Now there is room", now=now)


def test_list_tokens_shows_own_live_tokens_newest_first(now):
    person, other = factories.user(), factories.user()
    _, old = services.create_token(person, name="Old", now=now - timedelta(days=2))
    _, new = services.create_token(person, name="New", now=now)
    _, gone = services.create_token(person, name="Gone", now=now - timedelta(days=1))
    services.create_token(other, name="Someone else's", now=now)
    services.revoke_token(person, gone, now=now)
    assert services.list_tokens(person) == [new, old]


def test_person_revokes_own_token_and_it_stops_working(now):
    person = factories.user()
    token, row = services.create_token(person, name="Export", now=now)
    assert services.authenticate(token, now=now) == person
    services.revoke_token(person, row, now=now + timedelta(hours=1))
    db.session.commit()
    assert row.revoked_at == now + timedelta(hours=1)
    assert services.authenticate(token, now=now + timedelta(hours=2)) is None
    with pytest.raises(DomainError, match="already been revoked"):
        services.revoke_token(person, row, now=now)


def test_nobody_else_may_revoke_a_token_but_an_admin_may(now):
    owner = factories.user(email="owner@example.org")
    lead_of_owner = factories.user()
    admin = factories.user(admin=True)
    token, row = services.create_token(owner, name="Export", now=now)
    with pytest.raises(Forbidden):
        services.revoke_token(lead_of_owner, row, now=now)
    assert row.revoked_at is None

    services.revoke_token(admin, row, now=now)
    db.session.commit()
    assert services.authenticate(token, now=now) is None
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "api-token.revoke"))
    assert event.actor_id == admin.id
    assert event.target_type == "api_token" and event.target_id == str(row.id)
    assert "owner@example.org" in event.summary


def test_get_token_for_only_finds_tokens_the_actor_may_manage(now):
    owner, other, admin = factories.user(), factories.user(), factories.user(admin=True)
    _, row = services.create_token(owner, name="Export", now=now)
    assert services.get_token_for(owner, row.id) is row
    assert services.get_token_for(admin, row.id) is row
    assert services.get_token_for(other, row.id) is None
    assert services.get_token_for(owner, row.id + 1000) is None
    services.revoke_token(owner, row, now=now)
    assert services.get_token_for(owner, row.id) is None


def test_authenticate_refuses_unknown_empty_and_closed(now):
    person = factories.user()
    token, _ = services.create_token(person, name="Export", now=now)
    assert services.authenticate("", now=now) is None
    assert services.authenticate(token + "x", now=now) is None
    assert services.authenticate(token[:-1], now=now) is None
    assert services.authenticate(hash_token(token), now=now) is None  # the stored hash is not a token
    person.active = False
    assert services.authenticate(token, now=now) is None


def test_last_used_moves_on_at_most_once_a_minute(now):
    person = factories.user()
    token, row = services.create_token(person, name="Export", now=now)
    services.authenticate(token, now=now)
    assert row.last_used_at == now
    services.authenticate(token, now=now + timedelta(seconds=59))
    assert row.last_used_at == now
    services.authenticate(token, now=now + timedelta(seconds=60))
    assert row.last_used_at == now + timedelta(seconds=60)
