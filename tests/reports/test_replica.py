"""REPORTS_DATABASE_URL: the report queries read the reports database (a replica), while
what writes in the same request (the audit event, the signed-in session's renewal, the API
token's last use) lands on the primary. Two real databases: two SQLite files, or on
PostgreSQL a second database next to the test database."""
from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from lms import create_app
from lms.accounts.models import User, UserSession
from lms.audit import services as audit
from lms.audit.models import AuditEvent
from lms.core.db_routing import has_reports_database, reading_reports
from lms.extensions import db
from lms.records.models import Completion
from tests import factories
from tests.api.conftest import bearer, make_token
from tests.conftest import NOW


def _replica_url(app, tmp_path) -> str:
    primary = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if primary.get_backend_name() != "postgresql":
        return f"sqlite:///{tmp_path / 'replica.sqlite'}"
    replica = primary.set(database=f"{primary.database}_replica")
    admin = create_engine(primary.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        if not connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": replica.database}):
            connection.execute(text(f'CREATE DATABASE "{replica.database}"'))
    admin.dispose()
    return replica.render_as_string(hide_password=False)


@pytest.fixture()
def replica(app, tmp_path):
    """(the app with a reports database, a function copying the primary into it, its engine)."""
    url = _replica_url(app, tmp_path)
    engine = create_engine(url)
    db.metadata.drop_all(engine)
    db.metadata.create_all(engine)
    with_replica = create_app("testing", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                              REPORTS_DATABASE_URL=url, WTF_CSRF_ENABLED=False)

    def copy() -> None:
        """The replica catches up: every row of the primary, as it is now."""
        db.session.commit()
        with db.engine.connect() as source, engine.begin() as target:
            for table in reversed(db.metadata.sorted_tables):
                target.execute(table.delete())
            for table in db.metadata.sorted_tables:
                rows = [dict(row._mapping) for row in source.execute(table.select())]
                if rows:
                    target.execute(table.insert(), rows)

    yield with_replica, copy, engine
    with with_replica.app_context():
        db.session.remove()
        for each in db.engines.values():
            each.dispose()
    with_replica.extensions["lms_reports_engine"].dispose()
    db.metadata.drop_all(engine)
    engine.dispose()


def _count(engine, statement) -> int:
    with engine.connect() as connection:
        return connection.scalar(statement)


def test_without_the_setting_reports_read_the_main_database(app):
    assert app.config["REPORTS_DATABASE_URL"] is None
    assert not has_reports_database()


def test_the_uptake_api_reads_the_replica_and_signs_in_on_the_primary(client, replica, place, completed):
    with_replica, copy, replica_engine = replica
    completed(place["ana"], date(2026, 5, 1))
    trainer = factories.user(trainer=True)
    copy()  # the replica has one completion...
    completed(place["ben"], date(2026, 5, 2))
    completed(place["cal"], date(2026, 6, 2))
    token = make_token(trainer)  # ...the primary three, and the token, which the replica does not have
    response = with_replica.test_client().get(
        "/api/v1/reports/uptake?from=2026-04-01&to=2027-03-31&by=sector&period=year", headers=bearer(token))
    assert response.status_code == 200, response.json
    assert response.json["total"]["completions"]["total"] == 1
    # The same request without a reports database reads the primary.
    assert client.get("/api/v1/reports/uptake?from=2026-04-01&to=2027-03-31&by=sector&period=year",
                      headers=bearer(token)).json["total"]["completions"]["total"] == 3


def test_the_uptake_download_reads_the_replica_and_the_session_stays_on_the_primary(replica, place, completed):
    with_replica, copy, replica_engine = replica
    completed(place["ana"], date(2026, 5, 1))
    completed(place["cal"], date(2026, 5, 3))
    trainer = factories.user(trainer=True)
    copy()
    completed(place["ben"], date(2026, 5, 2))
    db.session.commit()
    browser = with_replica.test_client()
    factories.sign_in_directly(browser, trainer)  # a session only the primary has
    response = browser.get("/reports/uptake?from=2026-04-01&to=2027-03-31&by=sector&period=year"
                           "&measure=completions&format=csv")
    assert response.status_code == 200, response.text[:500]
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    education = next(row for row in rows if row[:2] == ["Education", "Completions"])
    assert education[3] == "1", rows  # Ana's; Ben's, made after the copy, is only on the primary
    assert _count(replica_engine, select(func.count()).select_from(UserSession)) == 0


def test_inside_reading_reports_selects_go_to_the_replica_and_writes_to_the_primary(replica, place, completed):
    with_replica, copy, replica_engine = replica
    completed(place["ana"], date(2026, 5, 1))
    admin = factories.user(admin=True)
    copy()
    completed(place["ben"], date(2026, 5, 2))
    db.session.commit()
    admin_id = admin.id
    with with_replica.app_context():
        assert has_reports_database()
        actor = db.session.get(User, admin_id)
        with reading_reports():
            on_replica = db.session.scalar(select(func.count(Completion.id)))
            audit.record(actor, "reports.export", target=None, summary="Downloaded a report", now=NOW)
            db.session.commit()
        on_primary = db.session.scalar(select(func.count(Completion.id)))
    assert (on_replica, on_primary) == (1, 2)
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "reports.export")) == 1
    assert _count(replica_engine, select(func.count()).select_from(AuditEvent)
                  .where(AuditEvent.action == "reports.export")) == 0
