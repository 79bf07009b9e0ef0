"""The booking engine's scheduled jobs: offers that run out, reminders before a session,
and sessions under their minimum at the cut-off. Jobs commit their own work."""
from __future__ import annotations

from datetime import datetime

from lms.bookings import offers, services
from lms.bookings.sessions import services as sessions
from lms.extensions import db


def expire_offers(*, now: datetime) -> str:
    """End waiting-list offers not taken in time and offer the places on."""
    expired = offers.expire_offers(now=now)
    db.session.commit()
    return f"{expired} offers ended"


def queue_session_reminders(*, now: datetime) -> str:
    count = services.queue_session_reminders(now=now)
    db.session.commit()
    return f"{count} session reminders queued"


def alert_under_minimum(*, now: datetime) -> str:
    count = sessions.alert_under_minimum(now=now)
    db.session.commit()
    return f"{count} sessions under their minimum reported"
