"""Which session a page may show to whom. A session someone may not see is "not found"
(an outreach session of another organisation), so ids cannot be probed; pages about one
session that only its trainers and partnership admins may open (the register, its
certificates, its evaluations) are "forbidden" to everyone else. NotFound and Forbidden go
on to the one error handler (lms.security), which shows the 404 or 403 page."""
from __future__ import annotations

from lms.accounts.models import User
from lms.bookings import services
from lms.bookings.models import TrainingSession
from lms.core.errors import NotFound
from lms.extensions import db


def visible_session(session_id: int, viewer: User | None) -> TrainingSession:
    """The session, if `viewer` (None for a visitor) may see it; NotFound otherwise."""
    session = db.session.get(TrainingSession, session_id)
    if session is None or not services.can_see(session, viewer):
        raise NotFound("There is no such session")
    return session


def managed_session(session_id: int, actor: User) -> TrainingSession:
    """The session, if `actor` may run it: NotFound if there is none, Forbidden if they may not."""
    session = services.get_session(session_id)
    services.check_may_manage(actor, session)
    return session
