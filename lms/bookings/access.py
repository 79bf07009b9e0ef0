"""For pages about one session that only its trainers and partnership admins may open (the
register, its certificates, its evaluations)."""
from __future__ import annotations

from flask import abort

from lms.accounts.models import User
from lms.bookings import services
from lms.bookings.models import TrainingSession
from lms.core.errors import Forbidden, NotFound


def managed_session(session_id: int, actor: User) -> TrainingSession:
    """The session, if `actor` may run it: 404 if there is none, 403 if they may not."""
    try:
        session = services.get_session(session_id)
        services.check_may_manage(actor, session)
    except NotFound:
        abort(404)
    except Forbidden:
        abort(403)
    return session
