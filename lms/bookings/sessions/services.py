"""Trainers' and admins' work on sessions: add one (and tell the people waiting to hear of
a date), copy one, change one (telling the people booked when the time or place changes),
cancel one (telling everyone why), and the alert about sessions under their minimum
numbers at the cancellation cut-off.

Plain functions over the engine (bookings.services): they take the actor and `now`, raise
DomainErrors naming the form field, and flush but never commit."""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from lms.accounts.models import User
from lms.audit import services as audit
from lms.bookings import emails
from lms.bookings.models import Booking, TrainingSession
from lms.bookings.services import (
    BOOKABLE_MODES,
    audience_problem,
    cancellation_deadline,
    check_may_manage,
    fill_places,
    lock,
    place_counts,
    places_taken,
)
from lms.catalogue.models import Course, CourseInterest
from lms.core.errors import DomainError, Forbidden
from lms.core.time import as_utc, format_datetime, to_london
from lms.extensions import db
from lms.organisations.models import JobRole, Organisation, Sector


def new_checkin_code() -> str:
    """A new session's secret for its QR check-in link (registers.services.check_in)."""
    return secrets.token_urlsafe(18)


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
