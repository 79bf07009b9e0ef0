"""The booking engine (DESIGN.md section 5): sessions, bookings, the waiting list and its
offers, approvals, substitution, registers and self check-in.

Places are never oversold: every change to a session's bookings first takes the session's
row lock (an UPDATE of `lock_version`), so on PostgreSQL concurrent bookers queue on the
row and on SQLite on the database's write lock, and each then counts the places with the
previous holder's booking committed. The partial unique index `uq_booking_live` keeps one
live booking per person per session whatever happens.

Emails are queued in the same transaction (emails.py); only attendance writes the
training record (records.services.record_completion)."""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from flask import current_app
from sqlalchemy import Select, and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from lms.accounts import services as accounts
from lms.accounts.models import SettingLead, User
from lms.audit import services as audit
from lms.bookings import emails
from lms.bookings.models import (
    ATTENDANCE_STATUSES,
    LIVE_STATUSES,
    PLACE_STATUSES,
    Booking,
    TrainingSession,
)
from lms.bookings.workdays import end_of_london_day, working_days_before
from lms.catalogue.models import Course
from lms.core.errors import Conflict, DomainError, Forbidden, NotFound
from lms.core.time import as_utc, format_datetime, to_london
from lms.extensions import db
from lms.organisations.models import JobRole, Organisation, Sector
from lms.records import services as records

BOOKABLE_MODES = ("face-to-face", "virtual", "outreach", "twilight", "event")
DEFAULT_OFFER_HOURS = 24
# Self check-in by QR is open from this long before the start until the end.
CHECKIN_OPENS_BEFORE = timedelta(minutes=30)


class AlreadyBooked(Conflict):
    """The person already has a live booking on the session; `booking` is it."""

    def __init__(self, booking: Booking, message: str):
        super().__init__(message, field="session")
        self.booking = booking


def offer_hours() -> int:
    return int(current_app.config.get("BOOKING_OFFER_HOURS", DEFAULT_OFFER_HOURS))


# --- reading ------------------------------------------------------------------------------


def get_session(session_id: int) -> TrainingSession:
    session = db.session.get(TrainingSession, session_id)
    if session is None:
        raise NotFound("There is no such session")
    return session


def get_booking(booking_id: int) -> Booking:
    booking = db.session.get(Booking, booking_id)
    if booking is None:
        raise NotFound("There is no such booking")
    return booking


def place_counts(session_ids: list[int]) -> dict[int, dict[str, int]]:
    """{session id: {"places": held, "waiting": waiting list, "requested": awaiting approval}}
    for many sessions in one statement."""
    result = {sid: {"places": 0, "waiting": 0, "requested": 0} for sid in session_ids}
    if not session_ids:
        return result
    rows = db.session.execute(
        select(Booking.session_id, Booking.status, func.count())
        .where(Booking.session_id.in_(session_ids), Booking.status.in_(LIVE_STATUSES))
        .group_by(Booking.session_id, Booking.status)
    )
    for session_id, status, count in rows:
        counts = result[session_id]
        if status in PLACE_STATUSES:
            counts["places"] += count
        elif status == "waitlisted":
            counts["waiting"] += count
        elif status == "requested":
            counts["requested"] += count
    return result


def places_taken(session: TrainingSession) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Booking).where(
            Booking.session_id == session.id, Booking.status.in_(PLACE_STATUSES)
        )
    ) or 0


def places_left(session: TrainingSession) -> int:
    return max(session.capacity - places_taken(session), 0)


def waiting_list(session: TrainingSession) -> list[Booking]:
    """The waiting list in order: first come, first served."""
    return list(db.session.scalars(
        select(Booking)
        .where(Booking.session_id == session.id, Booking.status == "waitlisted")
        .order_by(Booking.queued_at, Booking.id)
    ))


def live_booking(session: TrainingSession, person: User) -> Booking | None:
    return db.session.scalar(
        select(Booking).where(
            Booking.session_id == session.id, Booking.user_id == person.id, Booking.status.in_(LIVE_STATUSES)
        )
    )


def waiting_position(booking: Booking) -> int | None:
    if booking.status != "waitlisted":
        return None
    ahead = db.session.scalar(
        select(func.count()).select_from(Booking).where(
            Booking.session_id == booking.session_id,
            Booking.status == "waitlisted",
            or_(Booking.queued_at < booking.queued_at, and_(Booking.queued_at == booking.queued_at, Booking.id < booking.id)),
        )
    )
    return (ahead or 0) + 1


def signup_state(session: TrainingSession, now: datetime) -> str:
    """"cancelled", "finished", "not-open" (sign-up opens later), "closed" or "open"."""
    now = as_utc(now)
    if session.is_cancelled:
        return "cancelled"
    if now >= as_utc(session.starts_at):
        return "finished"
    if session.signup_opens_at is not None and now < as_utc(session.signup_opens_at):
        return "not-open"
    if now >= as_utc(session.signup_closes_at):
        return "closed"
    return "open"


def cancellation_deadline(session: TrainingSession) -> datetime:
    """Cancelling after this (UTC) is a late cancellation: the end of the day that is
    `cancellation_working_days` working days before the session's day in Europe/London."""
    day = to_london(session.starts_at).date()
    if session.cancellation_working_days <= 0:
        return as_utc(session.starts_at)
    return end_of_london_day(working_days_before(day, session.cancellation_working_days))


def upcoming_sessions(*, now: datetime, course: Course | None = None) -> Select:
    query = (
        select(TrainingSession)
        .where(TrainingSession.status == "scheduled", TrainingSession.starts_at > now)
        .order_by(TrainingSession.starts_at, TrainingSession.id)
    )
    if course is not None:
        query = query.where(TrainingSession.course_id == course.id)
    return query


def visible_to(query: Select, person: User | None) -> Select:
    """Outreach sessions are seen only by their organisation's people, its leads and staff."""
    if person is not None and (person.is_admin or person.is_trainer):
        return query
    allowed = [TrainingSession.organisation_id.is_(None)]
    if person is not None:
        org_ids = set(accounts.led_organisation_ids(person))
        if person.organisation_id is not None:
            org_ids.add(person.organisation_id)
        if org_ids:
            allowed.append(TrainingSession.organisation_id.in_(sorted(org_ids)))
    return query.where(or_(*allowed))


def can_see(session: TrainingSession, person: User | None) -> bool:
    if session.organisation_id is None:
        return True
    if person is None:
        return False
    if person.is_admin or person.is_trainer or person.organisation_id == session.organisation_id:
        return True
    return accounts.leads(person, session.organisation_id)


def bookings_for(person: User) -> Select:
    return (
        select(Booking)
        .join(Booking.session)
        .where(Booking.user_id == person.id)
        .options(selectinload(Booking.session))
        .order_by(TrainingSession.starts_at.desc(), Booking.id.desc())
    )


def may_manage(actor: User, session: TrainingSession) -> bool:
    """Admins manage every session; trainers the sessions they run."""
    return actor.is_admin or (actor.is_trainer and any(t.id == actor.id for t in session.trainers))


def check_may_manage(actor: User, session: TrainingSession) -> None:
    if not may_manage(actor, session):
        raise Forbidden("Only the session's trainers and partnership admins can do this")


def _may_act_for(actor: User, person: User, organisation_id: int | None = None) -> bool:
    if actor.id == person.id or actor.is_admin:
        return True
    org_id = organisation_id if organisation_id is not None else person.organisation_id
    return org_id is not None and accounts.leads(actor, org_id)


def check_may_act_for(actor: User, person: User, organisation_id: int | None = None) -> None:
    if not _may_act_for(actor, person, organisation_id):
        raise Forbidden("You can only book and cancel for yourself or the staff of organisations you lead")


# --- the lock -----------------------------------------------------------------------------


def lock(session: TrainingSession) -> TrainingSession:
    """Take the session's row lock for the rest of the transaction and re-read it."""
    # On SQLite this waits for the database's write lock (up to 30 seconds: see
    # lms._sqlite_waits_for_writers).
    db.session.execute(
        update(TrainingSession)
        .where(TrainingSession.id == session.id)
        .values(lock_version=TrainingSession.lock_version + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(session)
    return session


# --- booking ------------------------------------------------------------------------------


def audience_problem(session: TrainingSession, person: User) -> str | None:
    """Why the person is outside the session's audience, or None."""
    if session.organisation_id is not None and person.organisation_id != session.organisation_id:
        name = session.organisation.name if session.organisation else "one organisation"
        return f"This session is only for the staff of {name}"
    if session.audience_sectors:
        sector_id = person.organisation.sector_id if person.organisation is not None else None
        if sector_id not in {sector.id for sector in session.audience_sectors}:
            names = ", ".join(sector.name for sector in session.audience_sectors)
            return f"This session is for people working in: {names}"
    if session.audience_roles:
        wanted = {role.id for role in session.audience_roles}
        if not wanted.intersection(role.job_role_id for role in person.current_roles):
            names = ", ".join(role.name for role in session.audience_roles)
            return f"This session is for: {names}"
    return None


def _signup_problem(session: TrainingSession, now: datetime) -> str | None:
    state = signup_state(session, now)
    return {
        "cancelled": "This session has been cancelled",
        "finished": "This session has already started",
        "not-open": f"Booking opens on {format_datetime(session.signup_opens_at)}",
        "closed": f"Booking closed on {format_datetime(session.signup_closes_at)}",
    }.get(state)


def _already_message(booking: Booking, person: User, actor: User) -> str:
    who = "You are" if actor.id == person.id else f"{person.full_name} is"
    return {
        "requested": f"{who} already waiting for approval for this session",
        "waitlisted": f"{who} already on the waiting list for this session",
        "offered": f"{who} already offered a place on this session",
    }.get(booking.status, f"{who} already booked on this session")


def _needs_approval(session: TrainingSession, person: User, actor: User) -> bool:
    """A session that asks for approval needs it when people book themselves and their
    organisation has a setting lead other than them; a lead or admin booking is approval."""
    if not session.requires_approval or actor.id != person.id or person.is_admin:
        return False
    if person.organisation_id is None:
        return False
    return db.session.scalar(
        select(func.count()).select_from(SettingLead).where(
            SettingLead.organisation_id == person.organisation_id, SettingLead.user_id != person.id
        )
    ) > 0


def _queue_time(session: TrainingSession, now: datetime) -> datetime:
    """When a person joins the waiting list: `now`, or the latest place on the list if
    that is later. Requests that took their `now` before queueing for the session's lock
    then join in the order the engine took them, so nobody told "number 5 on the list" is
    later pushed to 6 by someone whose request started earlier but finished later.
    The caller holds the session's lock."""
    latest = db.session.scalar(
        select(func.max(Booking.queued_at)).where(Booking.session_id == session.id, Booking.status == "waitlisted")
    )
    return max(as_utc(now), as_utc(latest)) if latest is not None else as_utc(now)


def book(session: TrainingSession, person: User, *, actor: User, now: datetime) -> Booking:
    """Book `person` on `session`: booked while places remain, otherwise the waiting list;
    "requested" when the session asks for their lead's approval. Raises a DomainError
    (closed, full-and-no-list, outside the audience) or AlreadyBooked, changing nothing."""
    check_may_act_for(actor, person)
    if not person.active:
        raise DomainError(f"{person.full_name}'s account is not active", field="session")
    lock(session)
    problem = _signup_problem(session, now) or audience_problem(session, person)
    if problem:
        raise DomainError(problem, field="session")
    existing = live_booking(session, person)
    if existing is not None:
        raise AlreadyBooked(existing, _already_message(existing, person, actor))
    if _needs_approval(session, person, actor):
        status = "requested"
    else:
        if waiting_list(session):
            # Free places with people still waiting: they are offered first, in order.
            fill_places(session, now=now)
        status = "booked" if places_taken(session) < session.capacity and not waiting_list(session) else "waitlisted"
    booking = Booking(
        session_id=session.id,
        user_id=person.id,
        status=status,
        organisation_id=person.organisation_id,
        booked_by_id=actor.id if actor.id != person.id else None,
        created_at=now,
        queued_at=_queue_time(session, now) if status == "waitlisted" else now,
        confirmed_at=now if status == "booked" else None,
    )
    try:
        with db.session.begin_nested():
            db.session.add(booking)
    except IntegrityError:
        existing = live_booking(session, person)
        if existing is None:
            raise
        raise AlreadyBooked(existing, _already_message(existing, person, actor)) from None
    booking.session = session
    booking.user = person
    if actor.id != person.id:
        audit.record(actor, "booking.create", target=booking, now=now,
                     summary=f"Booked {person.full_name} on {session.course.code} ({format_datetime(session.starts_at)}): {status}",
                     after={"user_id": person.id, "session_id": session.id, "status": status})
    emails.booking_made(booking, now=now)
    if status == "requested":
        emails.approval_requested(booking, now=now)
    return booking


# --- cancelling and the waiting list -----------------------------------------------------


def check_may_cancel(actor: User, booking: Booking) -> None:
    if actor.is_admin or may_manage(actor, booking.session):
        return
    check_may_act_for(actor, booking.user, booking.organisation_id)


def cancel(booking: Booking, *, actor: User, now: datetime, note: str | None = None) -> Booking:
    """Cancel a live booking. A place given up after the cut-off is a late cancellation;
    a freed place goes to the waiting list while sign-up is open."""
    check_may_cancel(actor, booking)
    session = lock(booking.session)
    db.session.refresh(booking)
    if booking.status not in ("requested", "booked", "waitlisted", "offered"):
        raise DomainError(f"This booking cannot be cancelled: it is {booking.status_name.lower()}", field="booking")
    if as_utc(now) >= as_utc(session.starts_at):
        raise DomainError("This session has started: the trainer marks the register instead", field="booking")
    held = booking.holds_place
    late = booking.status == "booked" and as_utc(now) > cancellation_deadline(session)
    before = {"status": booking.status}
    booking.status = "cancelled"
    booking.ended_reason = "late-cancelled" if late else ("offer-declined" if before["status"] == "offered" else "cancelled")
    booking.cancelled_at = now
    booking.cancelled_by_id = actor.id
    booking.cancellation_note = (note or "").strip() or None
    booking.offer_expires_at = None
    db.session.flush()
    if actor.id != booking.user_id:
        audit.record(actor, "booking.cancel", target=booking, now=now,
                     summary=f"Cancelled {booking.user.full_name}'s booking on {session.course.code}"
                     + (" (late)" if late else ""),
                     before=before, after={"status": "cancelled", "reason": booking.ended_reason})
    emails.booking_cancelled(booking, now=now)
    if held:
        fill_places(session, now=now)
    return booking


def fill_places(session: TrainingSession, *, now: datetime) -> list[Booking]:
    """Offer free places to the waiting list in order, while sign-up is open. The caller
    holds the session's lock."""
    if signup_state(session, now) != "open":
        return []
    free = session.capacity - places_taken(session)
    if free <= 0:
        return []
    offered = []
    expires = min(as_utc(now) + timedelta(hours=offer_hours()), as_utc(session.signup_closes_at))
    for booking in waiting_list(session)[:free]:
        booking.status = "offered"
        booking.offered_at = now
        booking.offer_expires_at = expires
        offered.append(booking)
    db.session.flush()
    for booking in offered:
        emails.place_offered(booking, now=now)
    return offered


def accept_offer(booking: Booking, *, actor: User, now: datetime) -> Booking:
    check_may_act_for(actor, booking.user, booking.organisation_id)
    session = lock(booking.session)
    db.session.refresh(booking)
    if booking.status != "offered":
        raise DomainError("There is no place on offer for this booking", field="booking")
    if as_utc(now) >= as_utc(booking.offer_expires_at):
        raise DomainError(f"The offer ended on {format_datetime(booking.offer_expires_at)}", field="booking")
    booking.status = "booked"
    booking.confirmed_at = now
    booking.offer_expires_at = None
    db.session.flush()
    emails.booking_made(booking, now=now)
    return booking


def decline_offer(booking: Booking, *, actor: User, now: datetime) -> Booking:
    """Turn down a place on offer: the booking ends ("offer-declined") and the place goes
    to the next person on the waiting list."""
    if booking.status != "offered":
        raise DomainError("There is no place on offer for this booking", field="booking")
    return cancel(booking, actor=actor, now=now)


def expire_offers(*, now: datetime) -> int:
    """Offers not taken in time end; their places go to the next people while sign-up is
    open (a scheduled job; idempotent)."""
    session_ids = list(db.session.scalars(
        select(Booking.session_id).where(Booking.status == "offered", Booking.offer_expires_at <= now)
        .distinct().order_by(Booking.session_id)
    ))
    expired = 0
    for session_id in session_ids:
        session = lock(db.session.get(TrainingSession, session_id))
        stale = list(db.session.scalars(
            select(Booking).where(
                Booking.session_id == session_id, Booking.status == "offered", Booking.offer_expires_at <= now
            ).order_by(Booking.offered_at, Booking.id)
        ))
        for booking in stale:
            booking.status = "cancelled"
            booking.ended_reason = "offer-expired"
            booking.cancelled_at = now
            booking.offer_expires_at = None
            emails.offer_expired(booking, now=now)
            expired += 1
        db.session.flush()
        fill_places(session, now=now)
    return expired


# --- approval ----------------------------------------------------------------------------


def may_decide(actor: User, booking: Booking) -> bool:
    if actor.is_admin:
        return True
    return actor.id != booking.user_id and booking.organisation_id is not None and accounts.leads(actor, booking.organisation_id)


def requests_for(actor: User) -> Select:
    """Booking requests awaiting this lead's (or, for an admin, anyone's) decision."""
    query = select(Booking).join(Booking.session).where(Booking.status == "requested").order_by(Booking.queued_at)
    if not actor.is_admin:
        query = query.where(
            Booking.organisation_id.in_(sorted(accounts.led_organisation_ids(actor)) or [-1]), Booking.user_id != actor.id
        )
    return query


def decide(booking: Booking, *, approve: bool, actor: User, now: datetime, note: str | None = None) -> Booking:
    if not may_decide(actor, booking):
        raise Forbidden("Only the person's setting lead or a partnership admin can decide this request")
    session = lock(booking.session)
    db.session.refresh(booking)
    if booking.status != "requested":
        raise DomainError("This request has already been decided", field="booking")
    if approve:
        problem = _signup_problem(session, now)
        if problem:
            raise DomainError(f"{problem}: the request cannot be approved", field="booking")
    booking.decided_by_id = actor.id
    booking.decided_at = now
    booking.decision_note = (note or "").strip() or None
    if approve:
        if waiting_list(session):
            fill_places(session, now=now)
        free = places_taken(session) < session.capacity and not waiting_list(session)
        booking.status = "booked" if free else "waitlisted"
        if booking.status == "booked":
            booking.confirmed_at = now
            booking.queued_at = now
        else:
            booking.queued_at = _queue_time(session, now)  # joins the waiting list when approved
    else:
        booking.status = "cancelled"
        booking.ended_reason = "refused"
        booking.cancelled_at = now
        booking.cancelled_by_id = actor.id
    db.session.flush()
    audit.record(actor, "booking.approve" if approve else "booking.refuse", target=booking, now=now,
                 summary=f"{'Approved' if approve else 'Refused'} {booking.user.full_name}'s request for {session.course.code}",
                 before={"status": "requested"}, after={"status": booking.status})
    emails.request_decided(booking, approved=approve, now=now)
    return booking


# --- substitution ------------------------------------------------------------------------


def substitute(booking: Booking, colleague: User, *, actor: User, now: datetime) -> Booking:
    """Pass a booked place to a colleague from the same organisation, without charge. The
    original booking ends as "substituted"; the colleague's booking holds the place."""
    check_may_act_for(actor, booking.user, booking.organisation_id)
    session = lock(booking.session)
    db.session.refresh(booking)
    if booking.status not in ("booked", "offered"):
        # A place on offer may be passed on too: the colleague takes it as booked.
        raise DomainError("Only a booked place can be passed to a colleague", field="colleague")
    if as_utc(now) >= as_utc(session.starts_at):
        raise DomainError("This session has started: places can no longer be passed on", field="colleague")
    if colleague.id == booking.user_id:
        raise DomainError("Choose a colleague other than the person booked", field="colleague")
    if colleague.organisation_id is None or colleague.organisation_id != booking.organisation_id:
        raise DomainError(f"{colleague.full_name} does not work for the same organisation", field="colleague")
    if not colleague.active:
        raise DomainError(f"{colleague.full_name}'s account is not active", field="colleague")
    problem = audience_problem(session, colleague)
    if problem:
        raise DomainError(f"{colleague.full_name} cannot take this place: {problem[0].lower()}{problem[1:]}", field="colleague")
    existing = live_booking(session, colleague)
    if existing is not None and existing.status not in ("requested", "waitlisted"):
        raise DomainError(f"{colleague.full_name} already has a place on this session", field="colleague")
    if existing is not None:
        # Off the waiting list (or the approval queue): they take this place instead.
        existing.status = "cancelled"
        existing.ended_reason = "cancelled"
        existing.cancelled_at = now
        existing.cancelled_by_id = actor.id
        db.session.flush()
    booking.status = "cancelled"
    booking.ended_reason = "substituted"
    booking.cancelled_at = now
    booking.cancelled_by_id = actor.id
    booking.offer_expires_at = None
    db.session.flush()
    replacement = Booking(
        session_id=session.id,
        user_id=colleague.id,
        status="booked",
        organisation_id=colleague.organisation_id,
        booked_by_id=actor.id,
        created_at=now,
        queued_at=now,
        confirmed_at=now,
        substitute_for_id=booking.id,
    )
    db.session.add(replacement)
    db.session.flush()
    replacement.session = session
    replacement.user = colleague
    audit.record(actor, "booking.substitute", target=replacement, now=now,
                 summary=f"{booking.user.full_name}'s place on {session.course.code} passed to {colleague.full_name}",
                 before={"user_id": booking.user_id}, after={"user_id": colleague.id})
    emails.booking_cancelled(booking, now=now)
    emails.booking_made(replacement, now=now)
    return replacement


# --- registers ---------------------------------------------------------------------------


def register(session: TrainingSession) -> list[Booking]:
    """Everyone with a place (booked or already marked; not a place still on offer), for
    the register and the sign-in sheet, by name."""
    return list(db.session.scalars(
        select(Booking)
        .join(Booking.user)
        .where(Booking.session_id == session.id, Booking.status.in_(("booked",) + ATTENDANCE_STATUSES))
        .options(selectinload(Booking.user).selectinload(User.organisation), selectinload(Booking.organisation))
        .order_by(func.lower(User.full_name), Booking.id)
    ))


def _parse_hours(value, session: TrainingSession) -> Decimal:
    try:
        hours = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise DomainError("Enter the hours attended as a number, like 1.5", field="hours") from None
    if hours <= 0 or hours >= session.hours:
        raise DomainError(
            f"Hours for partial attendance must be more than 0 and less than the session's {session.hours.normalize()}",
            field="hours",
        )
    return hours


def mark(booking: Booking, status: str, *, actor: User, now: datetime, hours=None) -> Booking:
    """Mark one person on the register: attended (full hours), partly attended (the hours
    given) or no-show. Attendance writes the training record; marking someone as a no-show
    after all takes the attendance's completion away again."""
    session = booking.session
    check_may_manage(actor, session)
    if status not in ATTENDANCE_STATUSES:
        raise DomainError("Choose attended, partly attended or did not attend", field="status")
    if as_utc(now) < as_utc(session.starts_at):
        raise DomainError("The register opens when the session starts", field="status")
    if session.is_cancelled:
        raise DomainError("This session was cancelled", field="status")
    if booking.status not in PLACE_STATUSES or booking.status == "offered":
        raise DomainError(f"{booking.user.full_name} does not have a place on this session", field="status")
    attended_hours = session.hours if status == "attended" else (_parse_hours(hours, session) if status == "partly-attended" else None)
    before = {"status": booking.status, "hours": _hours_text(booking.attendance_hours)}
    booking.status = status
    booking.attendance_hours = attended_hours
    booking.marked_at = now
    booking.marked_by_id = actor.id
    _write_record(booking, now=now)
    db.session.flush()
    audit.record(actor, "register.mark", target=booking, now=now,
                 summary=f"{booking.user.full_name}: {booking.status_name.lower()} at {session.course.code} on {to_london(session.starts_at):%d %b %Y}",
                 before=before, after={"status": status, "hours": _hours_text(attended_hours)})
    return booking


def _hours_text(hours: Decimal | None) -> str | None:
    return None if hours is None else str(Decimal(hours).normalize())


def _write_record(booking: Booking, *, now: datetime) -> None:
    session = booking.session
    ref = f"booking:{booking.id}"
    if booking.status in ("attended", "partly-attended"):
        completion, created = records.record_completion(
            booking.user,
            title=session.course.title,
            delivery_mode=session.course.delivery_mode if session.course.delivery_mode in BOOKABLE_MODES else "face-to-face",
            on=to_london(session.starts_at).date(),
            hours=booking.attendance_hours,
            source="attendance",
            source_ref=ref,
            now=now,
            course=session.course,
        )
        if not created and completion.cpd_hours != booking.attendance_hours:
            records.update_completion_hours(completion, booking.attendance_hours, now=now)
        booking.completion_id = completion.id
    elif booking.completion_id is not None:
        records.remove_completion("attendance", ref, now=now)
        booking.completion_id = None


@dataclass
class RegisterResult:
    marked: int = 0
    errors: dict[int, str] = field(default_factory=dict)


def mark_many(session: TrainingSession, marks: dict[int, tuple[str, object]], *, actor: User, now: datetime) -> RegisterResult:
    """Mark several people at once: {booking id: (status, hours)}. All or nothing: any
    bad row raises a DomainError naming the person, and nothing is marked."""
    check_may_manage(actor, session)
    bookings = {booking.id: booking for booking in register(session)}
    for booking_id in marks:
        if booking_id not in bookings:
            raise DomainError("The register has changed: reload the page and try again", field="register")
    # Check every row before marking any, so a bad row leaves the register as it was.
    for booking_id, (status, hours) in marks.items():
        booking = bookings[booking_id]
        try:
            if status not in ATTENDANCE_STATUSES:
                raise DomainError("Choose attended, partly attended or did not attend", field="status")
            if status == "partly-attended":
                _parse_hours(hours, session)
        except DomainError as error:
            raise DomainError(f"{booking.user.full_name}: {error.message}", field=f"booking-{booking_id}") from None
    result = RegisterResult()
    for booking_id, (status, hours) in marks.items():
        booking = bookings[booking_id]
        if booking.status == status and status != "partly-attended":
            continue
        try:
            mark(booking, status, actor=actor, now=now, hours=hours)
        except DomainError as error:
            raise DomainError(f"{booking.user.full_name}: {error.message}", field=f"booking-{booking_id}") from None
        result.marked += 1
    return result


def checkin_window(session: TrainingSession) -> tuple[datetime, datetime]:
    return as_utc(session.starts_at) - CHECKIN_OPENS_BEFORE, as_utc(session.ends_at)


def check_in(session: TrainingSession, person: User, code: str, *, now: datetime) -> Booking:
    """Self check-in from the QR code shown in the room: the person must hold a place and
    it must be the session's time. Marks them attended with the full hours."""
    if not secrets.compare_digest(code or "", session.checkin_code):
        raise NotFound("This check-in code is not valid")
    opens, closes = checkin_window(session)
    if session.is_cancelled:
        raise DomainError("This session was cancelled", field="session")
    if as_utc(now) < opens:
        raise DomainError(f"Check-in opens at {format_datetime(opens)}", field="session")
    if as_utc(now) > closes:
        raise DomainError("This session has finished: ask the trainer to mark the register", field="session")
    lock(session)
    booking = live_booking(session, person)
    if booking is None or booking.status not in ("booked", "attended", "partly-attended", "no-show"):
        raise DomainError("You do not have a place on this session: speak to the trainer", field="session")
    if booking.checked_in_at is None:
        booking.checked_in_at = now
    # Checking in marks a booked person attended; a trainer's mark on the register
    # (partly attended, did not attend) stands until the trainer changes it.
    if booking.status == "booked":
        booking.status = "attended"
        booking.attendance_hours = session.hours
        booking.marked_at = now
        booking.marked_by_id = person.id
        _write_record(booking, now=now)
    db.session.flush()
    return booking


def new_checkin_code() -> str:
    return secrets.token_urlsafe(18)


# --- sessions ----------------------------------------------------------------------------


@dataclass
class SessionDetails:
    course: Course
    starts_at: datetime
    ends_at: datetime
    capacity: int
    signup_closes_at: datetime
    location_kind: str = "in-person"
    venue_name: str | None = None
    venue_address: str | None = None
    venue_postcode: str | None = None
    access_notes: str | None = None
    area_id: int | None = None
    joining_url: str | None = None
    joining_notes: str | None = None
    minimum: int = 0
    signup_opens_at: datetime | None = None
    cancellation_working_days: int = 3
    requires_approval: bool = False
    organisation_id: int | None = None
    notes: str | None = None
    trainers: list[User] = field(default_factory=list)
    sectors: list[Sector] = field(default_factory=list)
    roles: list[JobRole] = field(default_factory=list)


def _blank(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def validate(details: SessionDetails) -> None:
    """Raise a DomainError naming the field for the first problem."""
    course = details.course
    if course.delivery_mode not in BOOKABLE_MODES:
        raise DomainError(f"{course.code} is {course.delivery_mode}: only courses run on dates have sessions", field="course")
    if as_utc(details.ends_at) <= as_utc(details.starts_at):
        raise DomainError("The end must be after the start", field="ends_at")
    if as_utc(details.ends_at) - as_utc(details.starts_at) > timedelta(days=7):
        raise DomainError("A session cannot last more than 7 days", field="ends_at")
    if details.capacity < 1 or details.capacity > 2000:
        raise DomainError("Places must be between 1 and 2000", field="capacity")
    if details.minimum < 0 or details.minimum > details.capacity:
        raise DomainError("The minimum number must be between 0 and the number of places", field="minimum")
    if as_utc(details.signup_closes_at) > as_utc(details.starts_at):
        raise DomainError("Booking must close before the session starts", field="signup_closes_at")
    if details.signup_opens_at is not None and as_utc(details.signup_opens_at) >= as_utc(details.signup_closes_at):
        raise DomainError("Booking must open before it closes", field="signup_opens_at")
    if not 0 <= details.cancellation_working_days <= 20:
        raise DomainError("The cancellation cut-off must be between 0 and 20 working days", field="cancellation_working_days")
    if details.location_kind == "online":
        url = _blank(details.joining_url)
        if not url or not url.lower().startswith("https://"):
            raise DomainError("Enter the joining link, starting https://", field="joining_url")
    elif details.location_kind == "in-person":
        if not _blank(details.venue_name):
            raise DomainError("Enter the venue's name", field="venue_name")
        if not _blank(details.venue_address):
            raise DomainError("Enter the venue's address", field="venue_address")
    else:
        raise DomainError("Choose in person or online", field="location_kind")
    if course.delivery_mode == "outreach" and details.organisation_id is None:
        raise DomainError("An outreach session is for one organisation: choose it", field="organisation_id")
    if details.organisation_id is not None and db.session.get(Organisation, details.organisation_id) is None:
        raise DomainError("Choose an organisation from the list", field="organisation_id")
    for trainer in details.trainers:
        if not (trainer.is_trainer or trainer.is_admin):
            raise DomainError(f"{trainer.full_name} is not a trainer", field="trainers")


# What people booked are told about when it changes.
NOTIFIED_FIELDS = ("starts_at", "ends_at", "location_kind", "venue_name", "venue_address", "venue_postcode",
                   "access_notes", "joining_url", "joining_notes")
SESSION_FIELDS = NOTIFIED_FIELDS + ("area_id", "capacity", "minimum", "signup_opens_at", "signup_closes_at",
                                    "cancellation_working_days", "requires_approval", "organisation_id", "notes")


def _apply(session: TrainingSession, details: SessionDetails) -> None:
    session.course_id = details.course.id
    session.course = details.course
    for name in SESSION_FIELDS:
        value = getattr(details, name)
        if isinstance(value, datetime):
            value = as_utc(value)  # stored and compared in UTC, whatever zone the form used
        elif isinstance(value, str) or (value is None and name not in ("signup_opens_at", "area_id", "organisation_id")):
            value = _blank(value)
        setattr(session, name, value)
    if session.location_kind == "online":
        session.venue_name = session.venue_address = session.venue_postcode = session.access_notes = None
    else:
        session.joining_url = session.joining_notes = None
    session.trainers = list(details.trainers)
    session.audience_sectors = list(details.sectors)
    session.audience_roles = list(details.roles)


def _snapshot(session: TrainingSession) -> dict:
    data = audit.snapshot(session, list(SESSION_FIELDS))
    data["trainers"] = [trainer.id for trainer in session.trainers]
    return data


def create_session(details: SessionDetails, *, actor: User, now: datetime) -> TrainingSession:
    if not (actor.is_admin or actor.is_trainer):
        raise Forbidden("Only trainers and partnership admins can add sessions")
    if not actor.is_admin and actor not in details.trainers:
        details.trainers = [*details.trainers, actor]
    validate(details)
    session = TrainingSession(
        checkin_code=new_checkin_code(), created_at=now, updated_at=now, created_by_id=actor.id,
        status="scheduled", sequence=0, lock_version=0,
    )
    _apply(session, details)
    db.session.add(session)
    db.session.flush()
    audit.record(actor, "session.create", target=session, now=now,
                 summary=f"Added a {session.course.code} session on {format_datetime(session.starts_at)}",
                 after=_snapshot(session))
    tell_interested(session, now=now)
    return session


def tell_interested(session: TrainingSession, *, now: datetime) -> int:
    """Email the people on the course's interest list ("tell me when there are dates")
    that there is now a date they can book, once each. Outreach sessions, closed to one
    organisation, tell nobody; people outside the session's audience wait for another."""
    from lms.catalogue.models import CourseInterest

    if session.organisation_id is not None or session.is_cancelled:
        return 0
    interests = list(db.session.scalars(
        select(CourseInterest).where(CourseInterest.course_id == session.course_id, CourseInterest.notified_at.is_(None))
        .order_by(CourseInterest.id)
    ))
    people = {person.id: person for person in db.session.scalars(
        select(User).where(User.id.in_([interest.user_id for interest in interests] or [-1]), User.active.is_(True))
        .options(selectinload(User.organisation), selectinload(User.roles))
    )}
    told = 0
    for interest in interests:
        person = people.get(interest.user_id)
        if person is None or audience_problem(session, person) is not None:
            continue
        interest.notified_at = now
        emails.dates_available(person, session, now=now)
        told += 1
    db.session.flush()
    return told


def update_session(session: TrainingSession, details: SessionDetails, *, actor: User, now: datetime) -> TrainingSession:
    """Change a session. People with a place are told (with a new .ics) when the time or
    place changes; more places go to the waiting list."""
    check_may_manage(actor, session)
    lock(session)
    if session.is_cancelled:
        raise DomainError("A cancelled session cannot be changed", field="starts_at")
    validate(details)
    taken = places_taken(session)
    if details.capacity < taken:
        raise DomainError(f"{taken} places are taken: places cannot go below that", field="capacity")
    if details.course.id != session.course_id and taken:
        raise DomainError("People are booked: the course cannot be changed", field="course")
    before = _snapshot(session)
    _apply(session, details)
    session.updated_at = now
    after = _snapshot(session)
    notify = any(before.get(name) != after.get(name) for name in NOTIFIED_FIELDS)
    if notify:
        session.sequence += 1
    if before.get("starts_at") != after.get("starts_at"):
        # A new date: the reminder and the under-minimum alert are due again.
        session.minimum_alert_sent_at = None
        for booking in db.session.scalars(
            select(Booking).where(Booking.session_id == session.id, Booking.reminder_sent_at.is_not(None))
        ):
            booking.reminder_sent_at = None
    db.session.flush()
    changed_before, changed_after = audit.changed(before, after)
    if changed_after or changed_before:
        audit.record(actor, "session.update", target=session, now=now,
                     summary=f"Changed the {session.course.code} session on {format_datetime(session.starts_at)}",
                     before=changed_before, after=changed_after)
    if notify:
        for booking in _people_to_tell(session):
            emails.session_changed(booking, now=now)
    fill_places(session, now=now)
    return session


def _people_to_tell(session: TrainingSession) -> list[Booking]:
    return list(db.session.scalars(
        select(Booking).where(Booking.session_id == session.id, Booking.status.in_(("requested", "booked", "waitlisted", "offered")))
        .options(selectinload(Booking.user)).order_by(Booking.id)
    ))


def _shift(value: datetime, shift: timedelta) -> datetime:
    """`value` moved by `shift` on the London clock (9:30am stays 9:30am across a clock
    change), in UTC."""
    return as_utc(to_london(value) + shift)


def copy_details(session: TrainingSession, *, shift: timedelta = timedelta(0)) -> SessionDetails:
    """A new session's details from an existing one (the form then sets the new date).
    `shift` moves the times by whole days on the London clock."""
    return SessionDetails(
        course=session.course,
        starts_at=_shift(session.starts_at, shift),
        ends_at=_shift(session.ends_at, shift),
        capacity=session.capacity,
        signup_closes_at=_shift(session.signup_closes_at, shift),
        location_kind=session.location_kind,
        venue_name=session.venue_name,
        venue_address=session.venue_address,
        venue_postcode=session.venue_postcode,
        access_notes=session.access_notes,
        area_id=session.area_id,
        joining_url=session.joining_url,
        joining_notes=session.joining_notes,
        minimum=session.minimum,
        signup_opens_at=_shift(session.signup_opens_at, shift) if session.signup_opens_at else None,
        cancellation_working_days=session.cancellation_working_days,
        requires_approval=session.requires_approval,
        organisation_id=session.organisation_id,
        notes=session.notes,
        trainers=list(session.trainers),
        sectors=list(session.audience_sectors),
        roles=list(session.audience_roles),
    )


def cancel_session(session: TrainingSession, *, reason: str, actor: User, now: datetime) -> int:
    """Cancel a session: every live booking ends and its person is told why (with a
    cancelling .ics). Returns how many people were told."""
    check_may_manage(actor, session)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Enter the reason: it is sent to everyone booked", field="reason")
    lock(session)
    if session.is_cancelled:
        raise DomainError("This session is already cancelled", field="reason")
    if as_utc(now) >= as_utc(session.starts_at):
        raise DomainError("This session has already started", field="reason")
    people = _people_to_tell(session)
    session.status = "cancelled"
    session.cancelled_at = now
    session.cancelled_reason = reason
    session.sequence += 1
    session.updated_at = now
    for booking in people:
        booking.status = "cancelled"
        booking.ended_reason = "session-cancelled"
        booking.cancelled_at = now
        booking.cancelled_by_id = actor.id
        booking.offer_expires_at = None
    db.session.flush()
    audit.record(actor, "session.cancel", target=session, now=now,
                 summary=f"Cancelled the {session.course.code} session on {format_datetime(session.starts_at)}: {reason}",
                 before={"status": "scheduled"}, after={"status": "cancelled", "reason": reason, "people_told": len(people)})
    for booking in people:
        emails.session_cancelled(booking, now=now)
    return len(people)


# --- scheduled work ----------------------------------------------------------------------


def queue_session_reminders(*, now: datetime) -> int:
    """Remind people with a place 2 days before (once each: reminder_sent_at)."""
    horizon = as_utc(now) + timedelta(days=2)
    bookings = list(db.session.scalars(
        select(Booking).join(Booking.session).where(
            Booking.status == "booked",
            Booking.reminder_sent_at.is_(None),
            TrainingSession.status == "scheduled",
            TrainingSession.starts_at > now,
            TrainingSession.starts_at <= horizon,
        ).options(selectinload(Booking.user), selectinload(Booking.session))
    ))
    count = 0
    for booking in bookings:
        claimed = db.session.execute(
            update(Booking).where(Booking.id == booking.id, Booking.reminder_sent_at.is_(None))
            .values(reminder_sent_at=now).execution_options(synchronize_session="evaluate")
        ).rowcount
        if claimed:
            emails.session_reminder(booking, now=now)
            count += 1
    return count


def alert_under_minimum(*, now: datetime) -> int:
    """Tell the admins (once per session) about sessions below their minimum numbers once
    the cancellation cut-off has passed."""
    candidates = list(db.session.scalars(
        select(TrainingSession).where(
            TrainingSession.status == "scheduled",
            TrainingSession.minimum > 0,
            TrainingSession.minimum_alert_sent_at.is_(None),
            TrainingSession.starts_at > now,
            TrainingSession.starts_at <= as_utc(now) + timedelta(days=40),
        )
    ))
    due = [s for s in candidates if as_utc(now) >= cancellation_deadline(s)]
    counts = place_counts([s.id for s in due])
    alerted = 0
    for session in due:
        booked = counts[session.id]["places"]
        if booked >= session.minimum:
            continue
        claimed = db.session.execute(
            update(TrainingSession).where(TrainingSession.id == session.id, TrainingSession.minimum_alert_sent_at.is_(None))
            .values(minimum_alert_sent_at=now).execution_options(synchronize_session="evaluate")
        ).rowcount
        if claimed:
            emails.under_minimum(session, booked=booked, now=now)
            alerted += 1
    return alerted
