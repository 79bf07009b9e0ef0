"""Nightly licence jobs. Each commits its own work."""
from __future__ import annotations

from datetime import datetime

from lms.extensions import db
from lms.licences import services


def warn_dormant_accounts(*, now: datetime) -> str:
    sent = services.warn_dormant_accounts(now=now)
    db.session.commit()
    return f"{sent} dormancy warnings queued"


def make_accounts_dormant(*, now: datetime) -> str:
    count = services.make_accounts_dormant(now=now)
    db.session.commit()
    return f"{count} accounts made dormant"


def close_dormant_accounts(*, now: datetime) -> str:
    count = services.close_dormant_accounts(now=now)
    db.session.commit()
    return f"{count} dormant accounts closed"


def check_licence_counts(*, now: datetime) -> str:
    """Count the accounts again and put the kept counts right (kept_counts)."""
    before, counted = services.kept_counts.check_counts(now=now)
    db.session.commit()
    if before == counted:
        return f"licence counts right: {counted[0]} in use, {counted[1]} dormant"
    return f"licence counts put right: {before} kept, {counted} counted"
