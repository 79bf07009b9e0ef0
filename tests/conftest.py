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


def pytest_configure(config):
    """Under pytest-xdist each worker gets a PostgreSQL database of its own, next to the one
    TEST_DATABASE_URL names (lms_test_gw0, lms_test_gw1, ...), made if missing. Setting the
    variable for the worker means the databases that tests derive from it (the benchmark
    tests' scratch databases, the migration test's) are the worker's own too."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    url = os.environ.get("TEST_DATABASE_URL")
    if not worker or not url or not url.startswith("postgresql"):
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base = make_url(url)
    own = base.set(database=f"{base.database}_{worker}")
    engine = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        exists = connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": own.database})
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{own.database}"'))
    engine.dispose()
    os.environ["TEST_DATABASE_URL"] = own.render_as_string(hide_password=False)


def pytest_collection_modifyitems(config, items):
    """The benchmark scripts' tests start gunicorn workers and whole benchmark runs: slow."""
    for item in items:
        if "benchmarks" in item.path.parts:
            item.add_marker(pytest.mark.slow)


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
