"""The booking engine (DESIGN.md section 5): reading sessions and bookings, who may act
for whom, booking, the waiting list, cancellation, approvals and substitution, and the
reminders before a session. Offers from the waiting list are answered in offers.py;
sessions are added and changed in sessions/services.py; registers and self check-in are
marked in registers/services.py.

Places are never oversold: every change to a session's bookings first takes the session's
row lock (an UPDATE of `lock_version`), so on PostgreSQL concurrent bookers queue on the
row and on SQLite on the database's write lock, and each then counts the places with the
previous holder's booking committed. The partial unique index `uq_booking_live` keeps one
live booking per person per session whatever happens.

Emails are queued in the same transaction (emails.py); only attendance writes the
training record (registers/services.py, through records.services.record_completion)."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Select, and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from lms.accounts import services as accounts
from lms.accounts.models import SettingLead, User
from lms.audit import services as audit
from lms.bookings import emails
from lms.bookings.models import LIVE_STATUSES, PLACE_STATUSES, Booking, TrainingSession
from lms.bookings.workdays import end_of_london_day, working_days_before
from lms.catalogue.models import Course
from lms.core.errors import Conflict, DomainError, Forbidden, NotFound
from lms.core.time import as_utc, format_datetime, to_london
from lms.extensions import db
from lms.signals import booking_problem_for, held_elsewhere, take_places_elsewhere

BOOKABLE_MODES = ("face-to-face", "virtual", "outreach", "twilight", "event")
DEFAULT_OFFER_HOURS = 24


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
    # Places held outside the bookings table (Safeguarding Week's public registrations).
    for session_id, held in held_elsewhere(session_ids).items():
        if session_id in result:
            result[session_id]["places"] += held
    return result


def places_taken(session: TrainingSession) -> int:
    """Places held by bookings and, through the places_held_elsewhere hook, by public
    registrations."""
    booked = db.session.scalar(
        select(func.count()).select_from(Booking).where(
            Booking.session_id == session.id, Booking.status.in_(PLACE_STATUSES)
        )
    ) or 0
    return booked + held_elsewhere([session.id]).get(session.id, 0)


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
    org_ids: set[int] = set()
    if person is not None:
        org_ids = set(accounts.led_organisation_ids(person))
        if person.organisation_id is not None:
            org_ids.add(person.organisation_id)
    # One test of an expression, not "organisation_id IS NULL OR organisation_id IN (...)":
    # SQLite would answer that OR from the organisation_id index, reading every open
    # session ever held, instead of the upcoming ones by start (organisation ids are > 0).
    return query.where(func.coalesce(TrainingSession.organisation_id, 0).in_([0, *sorted(org_ids)]))


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


def signup_problem(session: TrainingSession, now: datetime) -> str | None:
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


def queue_time(session: TrainingSession, now: datetime) -> datetime:
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
    # A programme's own rule (one twilight a term) before the session's lock: a receiver
    # takes its own lock first, so locks are always taken in the same order.
    if problem := booking_problem_for(session, person, now=now):
        raise DomainError(problem, field="session")
    lock(session)
    problem = signup_problem(session, now) or audience_problem(session, person)
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
        queued_at=queue_time(session, now) if status == "waitlisted" else now,
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
    """Offer free places to the waiting list in order, while sign-up is open; public
    registrations waiting for a Safeguarding Week event (places_freed) take theirs first
    when they joined earlier. The caller holds the session's lock."""
    if signup_state(session, now) != "open":
        return []
    free = session.capacity - places_taken(session)
    if free <= 0:
        return []
    waiting = waiting_list(session)
    # First come, first served across the waiting lists: public registrations waiting
    # (places_freed) take the places their waiters queued for before the engine's.
    free -= take_places_elsewhere(session, free=free, queue=[as_utc(b.queued_at) for b in waiting[:free]], now=now)
    offered = []
    expires = min(as_utc(now) + timedelta(hours=offer_hours()), as_utc(session.signup_closes_at))
    for booking in waiting[:max(free, 0)]:
        booking.status = "offered"
        booking.offered_at = now
        booking.offer_expires_at = expires
        offered.append(booking)
    db.session.flush()
    for booking in offered:
        emails.place_offered(booking, now=now)
    return offered


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
        problem = signup_problem(session, now)
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
            booking.queued_at = queue_time(session, now)  # joins the waiting list when approved
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
