"""The records' scheduled job: the nightly rebuild of the kept uptake rows. Jobs are an
edge: they commit their own work."""
from __future__ import annotations

from datetime import datetime

from lms.extensions import db
from lms.records.uptake import rebuild_uptake, vacuum_uptake


def rebuild_uptake_rows(*, now: datetime) -> str:
    """Rebuild the kept uptake rows from the completions (they are kept exact as things
    change; this heals anything written round the services), then tidy the rewritten table
    on PostgreSQL."""
    rows = rebuild_uptake()
    db.session.commit()
    tidied = vacuum_uptake()
    return f"{rows} uptake rows rebuilt" + (", table vacuumed and analysed" if tidied else "")
