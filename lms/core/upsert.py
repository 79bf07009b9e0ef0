"""Adding to kept counts: INSERT ... ON CONFLICT DO UPDATE, which SQLite and PostgreSQL
spell alike, so concurrent writers each add their difference without reading first."""
from __future__ import annotations

from lms.extensions import db


def add_to(model, key: tuple[str, ...], values: tuple[str, ...], *, bind=None):
    """An INSERT of `model` rows that adds `values` to the row with the same `key` when
    there is one. Execute it with a list of dicts, one per row."""
    dialect = (bind or db.session.get_bind()).dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert
    table = model.__table__
    statement = upsert(table)
    return statement.on_conflict_do_update(
        index_elements=[table.c[name] for name in key],
        set_={name: table.c[name] + statement.excluded[name] for name in values},
    )
