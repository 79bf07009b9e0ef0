"""Registers and self check-in: the trainer marks who came (attended, partly attended, did
not attend), or a person checks in from the QR code shown in the room. Attendance is the
only thing in bookings that writes the training record (records.services.record_completion);
marking someone a no-show after all takes that completion away again."""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from lms.accounts.models import User
from lms.audit import services as audit
from lms.bookings.models import ATTENDANCE_STATUSES, PLACE_STATUSES, Booking, TrainingSession
from lms.bookings.services import BOOKABLE_MODES, check_may_manage, live_booking, lock
from lms.core.errors import DomainError, NotFound
from lms.core.time import as_utc, format_datetime, to_london
from lms.extensions import db
from lms.records import services as records
from lms.signals import title_for_session

# Self check-in by QR is open from this long before the start until the end.
CHECKIN_OPENS_BEFORE = timedelta(minutes=30)


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
            title=title_for_session(session) or session.course.title,
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


def mark_all_attended(session: TrainingSession, *, actor: User, now: datetime) -> int:
    """Mark everyone still booked (not yet marked, not checked in) as attended, with the
    full hours: the first step of a big register, before the trainer changes the
    exceptions. Returns how many were marked."""
    check_may_manage(actor, session)
    marked = 0
    for booking in register(session):
        if booking.status == "booked":
            mark(booking, "attended", actor=actor, now=now)
            marked += 1
    return marked


def matches(booking: Booking, text: str) -> bool:
    """Whether a register row matches what was typed in the register's search: part of the
    person's name, email or organisation, ignoring case."""
    wanted = " ".join(text.lower().split())
    if not wanted:
        return True
    organisation = booking.organisation or booking.user.organisation
    haystack = " ".join(filter(None, (booking.user.full_name, booking.user.email,
                                      organisation.name if organisation else None))).lower()
    return all(word in haystack for word in wanted.split())


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
