"""Migration d4f6a8c0b2e1 (pruned emails) up and down, on SQLite and on PostgreSQL
(whichever TEST_DATABASE_URL points at), with emails already in the outbox."""
from __future__ import annotations

from datetime import datetime

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from lms import create_app
from lms.extensions import db
from tests import test_migrations

pytestmark = pytest.mark.no_database

# An empty database of the kind under test (the migration tests' fixture).
empty_database_url = test_migrations.empty_database_url

BEFORE, PRUNED = "a8c3e5f1d204", "d4f6a8c0b2e1"
SENT = datetime(2026, 6, 1, 9, 0)


def _add_email(connection, email_id: int, body_text: str | None, **columns) -> None:
    values = {"id": email_id, "to": f"learner{email_id}@example.org", "subject": f"Message {email_id}",
              "body": body_text, "key": f"test:{email_id}", "at": SENT, **columns}
    names = "".join(f", {name}" for name in columns)
    placeholders = "".join(f", :{name}" for name in columns)
    connection.execute(
        text("INSERT INTO outbound_email (id, to_address, subject, body_text, body_html, dedupe_key, category,"
             f" created_at, send_after, sent_at, attempts{names})"
             f" VALUES (:id, :to, :subject, :body, '<p>Hi</p>', :key, 'booking', :at, :at, :at, 1{placeholders})"),
        values,
    )


def _outbox(connection) -> list[tuple]:
    return [tuple(row) for row in connection.execute(
        text("SELECT id, subject, body_text, body_html, dedupe_key FROM outbound_email ORDER BY id"))]


def _shape() -> tuple[bool, set[str], set[str]]:
    """(body_text nullable?, the columns, the indexes) of outbound_email."""
    inspector = inspect(db.engine)
    columns = {column["name"]: column for column in inspector.get_columns("outbound_email")}
    indexes = {index["name"] for index in inspector.get_indexes("outbound_email")}
    return columns["body_text"]["nullable"], set(columns), indexes


def test_prune_migration_up_and_down_keeps_the_outbox(empty_database_url):
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=empty_database_url)
    with app.app_context():
        upgrade(revision=BEFORE)
        with db.engine.begin() as connection:
            _add_email(connection, 1, "Hello 1")
        upgrade(revision=PRUNED)

        nullable, columns, indexes = _shape()
        assert nullable and "pruned_at" in columns and "ix_outbound_email_unpruned" in indexes
        with db.engine.begin() as connection:
            assert _outbox(connection) == [(1, "Message 1", "Hello 1", "<p>Hi</p>", "test:1")]
            assert connection.execute(text("SELECT pruned_at FROM outbound_email")).scalar() is None
            # What the prune does to an email, and one that has content still.
            _add_email(connection, 2, None, pruned_at=datetime(2026, 12, 6, 4, 45))
            connection.execute(text("UPDATE outbound_email SET body_html = NULL WHERE id = 2"))
            _add_email(connection, 3, "Hello 3")

        downgrade(revision=BEFORE)
        nullable, columns, indexes = _shape()
        assert not nullable and "pruned_at" not in columns and "ix_outbound_email_unpruned" not in indexes
        with db.engine.connect() as connection:
            # The pruned email comes back with an empty text; the others as they were.
            assert _outbox(connection) == [
                (1, "Message 1", "Hello 1", "<p>Hi</p>", "test:1"),
                (2, "Message 2", "", None, "test:2"),
                (3, "Message 3", "Hello 3", "<p>Hi</p>", "test:3"),
            ]
        with pytest.raises(IntegrityError), db.engine.begin() as connection:
            _add_email(connection, 4, None)

        # And up again, then all the way down.
        upgrade(revision=PRUNED)
        assert _shape()[0]
        downgrade(revision="base")
        db.engine.dispose()
