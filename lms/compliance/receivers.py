"""Compliance reacting to what other features tell it through lms.signals, beyond the
completions (connected in lms.compliance.services.connect_signals)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from lms.compliance.services import refresh_status
from lms.extensions import db
from lms.records.models import Completion
from lms.signals import course_requirements_changed

# People refreshed at a time (well under every database's limit on bound parameters).
REFRESH_CHUNK = 2000


def refresh_completers(sender, *, course_ids: list[int], now: datetime, **_) -> None:
    """Work out again the compliance statuses of everyone with a completion of these
    courses, after what the courses count towards has changed (in the sender's
    transaction)."""
    if not course_ids:
        return
    people = list(db.session.scalars(
        select(Completion.user_id).where(Completion.course_id.in_(course_ids)).distinct().order_by(Completion.user_id)
    ))
    for start in range(0, len(people), REFRESH_CHUNK):
        refresh_status(people[start:start + REFRESH_CHUNK], now=now)


def connect_signals() -> None:
    course_requirements_changed.connect(refresh_completers, weak=False)
