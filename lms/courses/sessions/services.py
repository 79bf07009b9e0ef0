"""A session's certificates and evaluations, for its trainers and admins.

The session, its register and who may run it come from bookings; certificates and
evaluations take the completions the register recorded, never the session. This is also
where a consumer learns which session a completion of attendance was recorded at (the
completion_session signal). Nothing here commits.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from lms.accounts.models import User
from lms.audit import services as audit
from lms.bookings import services as bookings
from lms.bookings.models import Booking, TrainingSession
from lms.certificates import services as certificates
from lms.certificates.models import Certificate
from lms.core.errors import DomainError
from lms.core.time import as_utc, to_london
from lms.evaluations import services as evaluations
from lms.extensions import db
from lms.records.models import Completion
from lms.signals import completion_session

ATTENDED = ("attended", "partly-attended")


def get_managed(session_id: int, *, actor: User) -> TrainingSession:
    """The session, if `actor` may run it: NotFound if there is none, Forbidden if they may not."""
    session = bookings.get_session(session_id)
    bookings.check_may_manage(actor, session)
    return session


# --- the register, as the consumers need it ---------------------------------------------------

def session_attendance(session: TrainingSession) -> list[Booking]:
    """The bookings marked attended or partly attended, by name, with their completions."""
    return list(db.session.scalars(
        select(Booking)
        .join(Booking.user)
        .where(Booking.session_id == session.id, Booking.status.in_(ATTENDED), Booking.completion_id.is_not(None))
        .options(selectinload(Booking.user))
        .order_by(User.full_name, Booking.id)
    ))


def _attended_completion_ids(session: TrainingSession) -> Select:
    return select(Booking.completion_id).where(Booking.session_id == session.id, Booking.completion_id.is_not(None))


def unmarked_count(session: TrainingSession) -> int:
    """People with a place on the session not yet marked on the register."""
    return db.session.scalar(
        select(func.count()).select_from(Booking).where(Booking.session_id == session.id, Booking.status == "booked")
    ) or 0


def session_waiting(session: TrainingSession) -> list[Completion]:
    """The session's attendance still waiting for an evaluation."""
    return evaluations.waiting_among(_attended_completion_ids(session))


# --- certificates ------------------------------------------------------------------------------

@dataclass
class SessionIssue:
    issued: list[Certificate]
    already: int
    unmarked: int
    # Attendance whose certificate waits for the person's evaluation of the course.
    awaiting: list[Completion] = field(default_factory=list)


def issue_for_session(session: TrainingSession, *, actor: User, now: datetime) -> SessionIssue:
    """Issue a certificate to everyone marked as attending the session who has none, and
    email each of them. Only the session's trainers and admins; not before it starts.
    Running it again issues only to people marked since. Where the course asks for an
    evaluation, those who have not given one are returned in `awaiting` instead (their
    certificate follows their evaluation)."""
    bookings.check_may_manage(actor, session)
    if session.is_cancelled:
        raise DomainError("This session was cancelled, so there is nothing to certify")
    if as_utc(now) < as_utc(session.starts_at):
        raise DomainError("Certificates can be issued once the session has started and the register is marked")
    attended = session_attendance(session)
    unmarked = unmarked_count(session)
    completion_ids = [b.completion_id for b in attended]
    loaded = {c.id: c for c in db.session.scalars(
        select(Completion).where(Completion.id.in_(completion_ids)).options(selectinload(Completion.user))
    )} if completion_ids else {}
    result = certificates.issue_for_completions(
        [loaded[i] for i in completion_ids if i in loaded], actor=actor, now=now,
        training_session_id=session.id, course=session.course,
    )
    issued = result.issued
    if issued:
        audit.record(actor, "certificate.issue_session", target=session, now=now,
                     summary=f"Certificates issued to {len(issued)} {'person' if len(issued) == 1 else 'people'} "
                             f"for {session.course.code} on {to_london(session.starts_at):%d %b %Y}",
                     after={"codes": [c.code for c in issued]})
    return SessionIssue(issued=issued, already=result.already, unmarked=unmarked, awaiting=result.awaiting)


def session_zip(session: TrainingSession, *, actor: User, now: datetime) -> tuple[bytes, int]:
    """Every live certificate of the session as PDFs in one ZIP: (bytes, how many)."""
    bookings.check_may_manage(actor, session)
    issued = certificates.session_certificates(session.id)
    if not issued:
        raise DomainError("No certificates have been issued for this session yet")
    return certificates.zip_of(issued, now=now), len(issued)


# --- which session a completion records -----------------------------------------------------------

def _session_of(sender, completion: Completion, **extra) -> int | None:
    if completion.source != "attendance":
        return None
    return db.session.scalar(select(Booking.session_id).where(Booking.completion_id == completion.id))


def connect_signals() -> None:
    completion_session.connect(_session_of, weak=False)
