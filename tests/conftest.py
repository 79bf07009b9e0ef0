"""Shared fixtures: the app (on TEST_DATABASE_URL or a temporary SQLite file), a clean
database for every test, a client, a CLI runner and a fixed `now`."""
from __future__ import annotations

import os
import re
from datetime import datetime, timezone

import pytest
from sqlalchemy import event

from lms import create_app
from lms.extensions import db
from lms.compliance.baseline import load_baseline
from lms.organisations.reference.services import load_reference_data

# Browser fixtures (live_server, browser, page, axe) for any test that drives Chromium.
pytest_plugins = ["tests.browser.fixtures"]

# A fixed instant for service tests: Monday 23 November 2026, 10:00 in London (GMT).
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite")


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=_database_url(tmp_path_factory), WTF_CSRF_ENABLED=False)
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _clean_database(request, app):
    """Every test starts with only the reference data in the database."""
    if "no_database" in request.keywords:
        yield
        return
    with app.app_context():
        load_reference_data()
        load_baseline()
        db.session.commit()
        yield
        db.session.remove()
        with db.engine.begin() as connection:
            for table in reversed(db.metadata.sorted_tables):
                connection.execute(table.delete())


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture()
def csrf_app(app):
    """The same app with CSRF protection switched on, for the tests that check it."""
    app.config["WTF_CSRF_ENABLED"] = True
    yield app
    app.config["WTF_CSRF_ENABLED"] = False


@pytest.fixture()
def runner(app):
    return app.test_cli_runner()


@pytest.fixture()
def now():
    return NOW


@pytest.fixture()
def count_queries(app):
    """Counts SQL statements run inside a `with count_queries() as counter:` block."""
    from contextlib import contextmanager

    @contextmanager
    def counting():
        statements: list[str] = []

        def before(conn, cursor, statement, parameters, context, executemany):
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", before)
        try:
            yield statements
        finally:
            event.remove(db.engine, "before_cursor_execute", before)

    return counting


def csrf_token_from(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "no CSRF token in the page"
    return match.group(1)
