"""Compliance's scheduled jobs: the nightly rebuild, reminders and setting leads' digests.
Jobs are an edge: they commit their own work."""
from __future__ import annotations

from datetime import datetime

from lms.compliance import reminders
from lms.compliance.services import rebuild_status_table, vacuum_rebuilt_tables
from lms.extensions import db


def rebuild_compliance(*, now: datetime) -> str:
    """Recompute the compliance status table and the kept counts for everyone, then tidy
    the rewritten tables on PostgreSQL."""
    rows = rebuild_status_table(now=now)
    db.session.commit()
    tidied = vacuum_rebuilt_tables()
    return f"{rows} status rows rebuilt" + (", tables vacuumed and analysed" if tidied else "")


def queue_reminders(*, now: datetime) -> dict[str, int]:
    """Queue today's training reminders and induction emails."""
    summary = reminders.queue_reminders(now=now)
    db.session.commit()
    return summary


def queue_lead_digests(*, now: datetime) -> dict[str, int]:
    """Queue this week's staff digest for each setting lead."""
    summary = reminders.queue_lead_digests(now=now)
    db.session.commit()
    return summary
