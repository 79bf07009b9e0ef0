"""SQLite query plans, for tests that pin how a statement reads its tables (an index
range, not a scan of everything ever recorded)."""
from __future__ import annotations

import pytest

from lms.extensions import db


def query_plan(statement) -> str:
    """SQLite's EXPLAIN QUERY PLAN of `statement`, run with its own parameters, one step a line."""
    compiled = statement.compile(db.engine, compile_kwargs={"render_postcompile": True})
    processors = compiled._bind_processors
    values = []
    for name in compiled.positiontup:
        value = compiled.params[name]
        values.append(processors[name](value) if name in processors else value)
    rows = db.session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + str(compiled), tuple(values))
    return "\n".join(str(row[-1]) for row in rows)


@pytest.fixture()
def sqlite_only():
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the plans checked are SQLite's (PostgreSQL plans by its statistics)")
