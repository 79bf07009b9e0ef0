"""`flask db upgrade` on an empty database gives exactly the models, on SQLite and on
PostgreSQL (whichever TEST_DATABASE_URL points at), and downgrades cleanly."""
from __future__ import annotations

import os
import uuid
from datetime import date, datetime, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.engine import make_url

from lms import create_app
from lms.extensions import db

pytestmark = pytest.mark.no_database


@pytest.fixture()
def empty_database_url(tmp_path):
    base = os.environ.get("TEST_DATABASE_URL")
    if not base or not base.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'migrations.sqlite'}"
        return
    name = f"lms_migrations_{uuid.uuid4().hex[:8]}"
    admin = create_engine(make_url(base).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _differences(app) -> list:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "render_as_batch": True})
        return compare_metadata(context, db.metadata)


def test_upgrade_gives_exactly_the_models_and_downgrades(empty_database_url):
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=empty_database_url)
    with app.app_context():
        upgrade()
        assert _differences(app) == []
        tables = set(inspect(db.engine).get_table_names())
        assert set(db.metadata.tables) <= tables
        downgrade(revision="base")
        remaining = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert remaining == set()
        upgrade()
        assert _differences(app) == []
        db.engine.dispose()


def _add_school_type(connection) -> None:
    """Sector 1 and organisation type 1, in SQL: a migration test runs before the models' tables."""
    connection.execute(text("INSERT INTO sector (id, code, name, position) VALUES (1, 'education', 'Education', 1)"))
    connection.execute(text(
        "INSERT INTO organisation_type (id, code, name, sector_id, position) VALUES (1, 'school', 'School', 1, 1)"
    ))


def test_sort_keys_migration_fills_the_counts_already_kept(empty_database_url):
    """e4a1c9d27b35 gives the organisation rows already in compliance_count their sort keys
    (lower-cased name, share overdue), and leaves the group rows without."""
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=empty_database_url)
    with app.app_context():
        upgrade(revision="c7d3a9e1f042")
        with db.engine.begin() as connection:
            _add_school_type(connection)
            connection.execute(
                text("INSERT INTO organisation (id, name, type_id, sector_id, active, created_at)"
                     " VALUES (7, 'Hillside Primary School', 1, 1, :yes, :now)"),
                {"yes": True, "now": datetime(2026, 12, 1, 9, 0)},
            )
            for scope, scope_id, overdue, total in (("organisation", 7, 1, 4), ("sector", 1, 1, 4)):
                connection.execute(
                    text("INSERT INTO compliance_count (as_of, scope, scope_id, requirement_id, overdue_count,"
                         " due_soon_count, not_yet_due_count, current_count, total_count)"
                         " VALUES (:day, :scope, :scope_id, NULL, :overdue, 0, 0, :current, :total)"),
                    {"day": date(2026, 12, 1), "scope": scope, "scope_id": scope_id, "overdue": overdue,
                     "current": total - overdue, "total": total},
                )
        upgrade()
        with db.engine.connect() as connection:
            rows = connection.execute(
                text("SELECT scope, sort_name, overdue_share FROM compliance_count ORDER BY scope")
            ).all()
        assert [tuple(row) for row in rows] == [("organisation", "hillside primary school", 0.25), ("sector", None, None)]
        downgrade(revision="base")
        db.engine.dispose()


def test_dated_charge_rates_migration_keeps_the_rates_set(empty_database_url):
    """f2b7d4e8a913 dates the rates already set so they still apply to every session, and
    its downgrade keeps the rate that applies latest for each type."""
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=empty_database_url)
    set_at = datetime(2026, 10, 1, 9, 30, tzinfo=timezone.utc)
    with app.app_context():
        upgrade(revision="e4a1c9d27b35")
        with db.engine.begin() as connection:
            _add_school_type(connection)
            connection.execute(
                text("INSERT INTO charge_rate (organisation_type_id, no_show_pence, late_cancellation_pence, updated_at)"
                     " VALUES (1, 5000, 2500, :at)"),
                {"at": set_at.replace(tzinfo=None)},
            )
        upgrade()
        from lms.bookings.models import ChargeRate

        rate = db.session.scalars(select(ChargeRate)).one()
        assert (rate.organisation_type_id, rate.applies_from, rate.no_show_pence, rate.late_cancellation_pence) == (
            1, date(2000, 1, 1), 5000, 2500)
        assert rate.updated_at == set_at
        db.session.add(ChargeRate(organisation_type_id=1, applies_from=date(2027, 4, 1), no_show_pence=6000,
                                  late_cancellation_pence=3000, updated_at=set_at))
        db.session.commit()
        db.session.remove()
        downgrade(revision="e4a1c9d27b35")
        with db.engine.connect() as connection:
            rows = connection.execute(text("SELECT organisation_type_id, no_show_pence, late_cancellation_pence"
                                           " FROM charge_rate")).all()
        assert [tuple(row) for row in rows] == [(1, 6000, 3000)]
        downgrade(revision="base")
        db.engine.dispose()
