"""A session's certificates as one ZIP, as a prepared download (lms.downloads) when there
are more than CERTIFICATE_ZIP_DIRECT_LIMIT of them. The same people may have it as may
download the ZIP directly: the session's trainers and the partnership's admins, checked
again when the job runs and when the file is fetched. Like the direct ZIP, fetching it is
not written to the audit log: trainers download their own sessions' certificates."""
from __future__ import annotations

from datetime import datetime

from flask import current_app

from lms.accounts.models import User
from lms.bookings import services as bookings
from lms.bookings.models import TrainingSession
from lms.certificates import services as certificates
from lms.core.errors import DomainError, NotFound
from lms.core.tables import MIMETYPES
from lms.core.time import to_london
from lms.downloads.kinds import Kind, register
from lms.extensions import db

KIND = "session-certificates"


def direct_limit() -> int:
    return int(current_app.config.get("CERTIFICATE_ZIP_DIRECT_LIMIT") or 50)


def title_for(session: TrainingSession) -> str:
    return f"Certificates: {session.course.title}, {to_london(session.starts_at):%-d %b %Y}"


def file_name(session: TrainingSession) -> str:
    day = to_london(session.starts_at).date().isoformat()
    return f"certificates-{session.course.code}-{day}.zip".lower()


def _session(actor: User | None, params: dict) -> TrainingSession | None:
    if actor is None or not actor.active:
        return None
    session = db.session.get(TrainingSession, int(params.get("session_id") or 0))
    if session is None or not bookings.may_manage(actor, session):
        return None
    return session


def can_access(actor: User | None, params: dict) -> bool:
    return _session(actor, params) is not None


def produce(params: dict, *, actor: User, now: datetime, progress) -> tuple[bytes, str, str]:
    session = _session(actor, params)
    if session is None:
        raise NotFound("There is no such session")
    issued = certificates.session_certificates(session.id)
    if not issued:
        raise DomainError("No certificates have been issued for this session yet")
    progress(0, len(issued), "certificates")
    return certificates.zip_of(issued, now=now, progress=progress), file_name(session), MIMETYPES["zip"]


def _source(params: dict) -> tuple[str, dict]:
    return "courses.sessions.certificates", {"session_id": params.get("session_id")}


def register_kinds() -> None:
    register(Kind(KIND, produce=produce, can_access=can_access, source=_source))
