"""Safeguarding Week: the week and its events (admins), the public programme, public
registration without an account, engagement counts, and the scheduled work (held places
that lapse, reminders the day before, erasing registrants after the week).

Events are sessions on the one booking engine. A public registration holding a place
counts against the session's capacity (the engine asks places_held_elsewhere, answered by
held_places below), and every change to a session's places takes the engine's row lock
(bookings.services.lock) first, so professionals' bookings and public registrations
together never exceed it. When a place frees, the engine's fill_places offers it to both
waiting lists, first come first served (places_freed, answered by take_places below).

Plain functions: they take `now` (and the actor for admin work), raise DomainErrors
naming the field, flush but never commit."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from lms.accounts.models import User
from lms.accounts.services import normalise_email
from lms.audit import services as audit
from lms.bookings import services as bookings
from lms.bookings.formatting import session_where
from lms.bookings.models import TrainingSession
from lms.bookings.sessions.services import SessionDetails, create_session
from lms.catalogue.models import Course
from lms.core.errors import DomainError, Forbidden, NotFound
from lms.core.time import as_utc, to_london, utcnow
from lms.core.tokens import hash_token
from lms.extensions import db
from lms.notifications.models import OutboundEmail
from lms.organisations.models import Organisation
from lms.programmes.models import Programme
from lms.programmes.week import emails
from lms.programmes.week.models import (
    AUDIENCES,
    ENGAGEMENT_MEASURES,
    EVENT_KINDS,
    HOLDING_STATUSES,
    LIVE_REGISTRATION_STATUSES,
    EventEngagement,
    PublicRegistration,
    RegistrationAttempt,
    RegistrationLink,
    WeekDetails,
    WeekEvent,
)
from lms.signals import places_freed, places_held_elsewhere

KIND = "safeguarding-week"
NAME_MAX_LENGTH = 200
EMAIL_MAX_LENGTH = 320


class TooManyAttempts(DomainError):
    """Past the per-address limit on registration attempts."""

    status_code = 429


class NotForThePublic(DomainError):
    """A member of the public tried to register for an event that is not for them."""

    status_code = 403


def confirm_hours() -> int:
    return int(current_app.config.get("PUBLIC_REGISTRATION_CONFIRM_HOURS", 24))


def retention_days() -> int:
    return int(current_app.config.get("PUBLIC_REGISTRATION_RETENTION_DAYS", 30))


# --- the week ------------------------------------------------------------------------------


@dataclass
class WeekForm:
    title: str
    theme: str
    starts_on: date
    ends_on: date
    lead_boards: list[str]
    description: str | None = None


def get_week(programme_id: int) -> Programme:
    programme = db.session.get(Programme, programme_id)
    if programme is None or programme.kind != KIND:
        raise NotFound("There is no such Safeguarding Week")
    return programme


def details_of(programme: Programme) -> WeekDetails | None:
    return db.session.get(WeekDetails, programme.id)


def weeks() -> list[Programme]:
    """Every Safeguarding Week, newest first."""
    return list(db.session.scalars(select(Programme).where(Programme.kind == KIND).order_by(Programme.starts_on.desc())))


def current_week(today: date) -> Programme | None:
    """The week the public page shows: the next one not yet over, else the latest."""
    upcoming = db.session.scalar(
        select(Programme).where(Programme.kind == KIND, Programme.ends_on >= today).order_by(Programme.starts_on).limit(1)
    )
    if upcoming is not None:
        return upcoming
    return db.session.scalar(select(Programme).where(Programme.kind == KIND).order_by(Programme.starts_on.desc()).limit(1))


def _check_week(form: WeekForm) -> None:
    if not form.title.strip():
        raise DomainError("Enter the week's title, like Safeguarding Week 2027", field="title")
    if len(form.title.strip()) > 200:
        raise DomainError("The title must be 200 characters or fewer", field="title")
    if not form.theme.strip():
        raise DomainError("Enter the week's theme", field="theme")
    if len(form.theme.strip()) > 200:
        raise DomainError("The theme must be 200 characters or fewer", field="theme")
    if form.ends_on < form.starts_on:
        raise DomainError("The last day must be on or after the first day", field="ends_on")
    if (form.ends_on - form.starts_on).days > 13:
        raise DomainError("A Safeguarding Week lasts at most 14 days", field="ends_on")
    if not form.lead_boards:
        raise DomainError("Enter at least one board leading the week, one a line", field="lead_boards")
    taken = db.session.scalar(
        select(Programme.id).where(Programme.kind == KIND, Programme.starts_on == form.starts_on)
    )
    if taken is not None:
        raise DomainError("There is already a Safeguarding Week starting that day", field="starts_on")


def create_week(form: WeekForm, *, actor: User, now: datetime) -> Programme:
    if not actor.is_admin:
        raise Forbidden("Only partnership admins can add a Safeguarding Week")
    _check_week(form)
    programme = Programme(kind=KIND, title=form.title.strip(), starts_on=form.starts_on, ends_on=form.ends_on,
                          summary=form.theme.strip(), created_at=now, updated_at=now)
    db.session.add(programme)
    db.session.flush()
    details = WeekDetails(programme_id=programme.id, theme=form.theme.strip(),
                          lead_boards="\n".join(board.strip() for board in form.lead_boards if board.strip()),
                          description=(form.description or "").strip() or None)
    db.session.add(details)
    db.session.flush()
    audit.record(actor, "week.create", target=programme, now=now,
                 summary=f"Added {programme.title} ({programme.starts_on:%d %b %Y} to {programme.ends_on:%d %b %Y})",
                 after={"title": programme.title, "theme": details.theme, "starts_on": programme.starts_on.isoformat(),
                        "ends_on": programme.ends_on.isoformat(), "lead_boards": details.boards})
    return programme


# --- events --------------------------------------------------------------------------------


@dataclass
class EventForm:
    title: str
    description: str
    kind: str
    audience: str
    organiser_id: int | None
    starts_at: datetime
    ends_at: datetime
    drop_in: bool = False
    capacity: int | None = None
    location_kind: str = "in-person"
    venue_name: str | None = None
    venue_address: str | None = None
    venue_postcode: str | None = None
    joining_url: str | None = None
    cpd_hours: Decimal | None = None


def _event_code(programme: Programme) -> str:
    count = db.session.scalar(select(func.count()).select_from(WeekEvent).where(WeekEvent.programme_id == programme.id))
    base = f"SW{programme.starts_on:%y}-{programme.id}"
    number = (count or 0) + 1
    while db.session.scalar(select(Course.id).where(Course.code == f"{base}-{number:02d}")) is not None:
        number += 1
    return f"{base}-{number:02d}"


def create_event(programme: Programme, form: EventForm, *, actor: User, now: datetime) -> WeekEvent:
    """Add an event to the week: its own event course (delivery mode "event", so attendance
    is CPD as an event) and one session of it on the booking engine. A drop-in takes no
    bookings: its session's booking is closed from the start."""
    if not actor.is_admin:
        raise Forbidden("Only partnership admins can add events to a Safeguarding Week")
    title = form.title.strip()
    if not title:
        raise DomainError("Enter the event's title", field="title")
    if len(title) > 200:
        raise DomainError("The title must be 200 characters or fewer", field="title")
    if not form.description.strip():
        raise DomainError("Enter what the event is about", field="description")
    if form.kind not in EVENT_KINDS:
        raise DomainError("Choose what kind of event it is", field="kind")
    if form.audience not in AUDIENCES:
        raise DomainError("Choose who the event is for", field="audience")
    organiser = db.session.get(Organisation, form.organiser_id) if form.organiser_id else None
    if organiser is None:
        raise DomainError("Choose the partner organisation running the event", field="organiser_id")
    day = to_london(form.starts_at).date()
    if not programme.starts_on <= day <= programme.ends_on:
        raise DomainError(
            f"The event must be during the week: {programme.starts_on:%d %B %Y} to {programme.ends_on:%d %B %Y}",
            field="day",
        )
    drop_in = form.drop_in or form.kind in ("drop-in", "stall")
    if not drop_in and (form.capacity is None or form.capacity < 1):
        raise DomainError("Enter the number of places, or make it a drop-in", field="capacity")
    hours = form.cpd_hours
    if hours is None:
        minutes = max(int((as_utc(form.ends_at) - as_utc(form.starts_at)).total_seconds() // 60), 0)
        hours = (Decimal(minutes) / 60).quantize(Decimal("0.25"))
    course = Course(code=_event_code(programme), title=title, summary=form.description.strip(), learning_outcomes=[],
                    delivery_mode="event", cpd_hours=hours, level=1, estimated_minutes=None, requirement_codes=[],
                    managed_by="admin", active=True, created_at=now, updated_at=now)
    db.session.add(course)
    db.session.flush()
    location = "online" if form.location_kind == "online" else "in-person"
    signup_closes = as_utc(form.starts_at)
    if drop_in:
        # Nobody books a drop-in: booking is closed from now (or from its start, if sooner).
        signup_closes = min(as_utc(now), as_utc(form.starts_at))
    session = create_session(SessionDetails(
        course=course, starts_at=form.starts_at, ends_at=form.ends_at,
        capacity=form.capacity if not drop_in else max(form.capacity or 1, 1),
        signup_closes_at=signup_closes, location_kind=location, venue_name=form.venue_name,
        venue_address=form.venue_address, venue_postcode=form.venue_postcode, joining_url=form.joining_url,
        cancellation_working_days=0,
    ), actor=actor, now=now)
    event = WeekEvent(programme_id=programme.id, session_id=session.id, day=day, kind=form.kind, audience=form.audience,
                      drop_in=drop_in, organiser_id=organiser.id, created_at=now)
    db.session.add(event)
    db.session.flush()
    event.session = session
    event.organiser = organiser
    audit.record(actor, "week.event.create", target=event, now=now,
                 summary=f"Added {title} to {programme.title} ({event.kind_name}, {event.audience_name}, run by {organiser.name})",
                 after={"session_id": session.id, "kind": event.kind, "audience": event.audience, "drop_in": drop_in,
                        "organiser_id": organiser.id, "capacity": None if drop_in else session.capacity})
    return event


def events_of(programme: Programme) -> list[WeekEvent]:
    return list(db.session.scalars(
        select(WeekEvent).join(WeekEvent.session).where(WeekEvent.programme_id == programme.id)
        .order_by(TrainingSession.starts_at, WeekEvent.id)
    ).unique())


def get_event(event_id: int) -> WeekEvent:
    event = db.session.get(WeekEvent, event_id)
    if event is None:
        raise NotFound("There is no such event")
    return event


@dataclass
class Availability:
    """What the programme shows about an event's places."""

    state: str  # "drop-in", "open", "full", "not-open", "closed", "finished", "cancelled"
    left: int | None
    text: str


def availability(events: list[WeekEvent], *, now: datetime) -> dict[int, Availability]:
    """{event id: places left and whether registering is open}, in two statements."""
    counts = bookings.place_counts([event.session_id for event in events])
    result = {}
    for event in events:
        session = event.session
        if event.drop_in:
            result[event.id] = Availability("drop-in", None, "Drop in: no need to book")
            continue
        left = max(session.capacity - counts[session.id]["places"], 0)
        state = bookings.signup_state(session, now)
        if state == "open":
            if left:
                text = f"{left} place{'' if left == 1 else 's'} left"
            else:
                text = "Full: you can join the waiting list"
            result[event.id] = Availability("open" if left else "full", left, text)
        else:
            text = {"cancelled": "Cancelled", "finished": "This event has started",
                    "not-open": "Registration opens later", "closed": "Registration has closed"}[state]
            result[event.id] = Availability(state, left, text)
    return result


def by_day(events: list[WeekEvent]) -> list[tuple[date, list[WeekEvent]]]:
    days: dict[date, list[WeekEvent]] = {}
    for event in events:
        days.setdefault(event.day, []).append(event)
    return sorted(days.items())


def week_detail(programme: Programme, *, now: datetime | None = None) -> dict:
    """The week as plain data (the API's GET /api/v1/programmes/{id}): its days, each with
    its events' kind, organiser, audience, times (UTC, ISO 8601), places left, or drop-in
    (places_left null), and whether registering is open at `now` (callers at the edges pass
    it; without it, the current time)."""
    details = details_of(programme)
    events = events_of(programme)
    places = availability(events, now=now if now is not None else utcnow())
    return {
        "id": programme.id,
        "kind": programme.kind,
        "title": programme.title,
        "theme": details.theme if details else programme.summary,
        "lead_boards": details.boards if details else [],
        "description": details.description if details else None,
        "starts_on": programme.starts_on.isoformat(),
        "ends_on": programme.ends_on.isoformat(),
        "days": [
            {
                "date": day.isoformat(),
                "events": [
                    {
                        "id": event.id,
                        "session_id": event.session_id,
                        "title": event.title,
                        "summary": event.session.course.summary,
                        "kind": event.kind,
                        "audience": event.audience,
                        "organiser": event.organiser.name,
                        "starts_at": as_utc(event.session.starts_at).isoformat(),
                        "ends_at": as_utc(event.session.ends_at).isoformat(),
                        "where": session_where(event.session),
                        "drop_in": event.drop_in,
                        "places_left": None if event.drop_in else places[event.id].left,
                        "capacity": None if event.drop_in else event.session.capacity,
                        "status": places[event.id].state,
                    }
                    for event in day_events
                ],
            }
            for day, day_events in by_day(events)
        ],
    }


# --- public registration -------------------------------------------------------------------


def check_registrant(name: str | None, email: str | None) -> tuple[str, str]:
    """The name and email, tidied, or a DomainError naming the field."""
    name = " ".join((name or "").split())
    if not name:
        raise DomainError("Enter your name", field="name")
    if len(name) > NAME_MAX_LENGTH:
        raise DomainError(f"Your name must be {NAME_MAX_LENGTH} characters or fewer", field="name")
    raw = (email or "").strip()
    if len(raw) > EMAIL_MAX_LENGTH:
        raise DomainError(f"Your email address must be {EMAIL_MAX_LENGTH} characters or fewer", field="email")
    try:
        address = normalise_email(raw)
    except DomainError as error:
        raise DomainError(error.message, field="email") from None
    return name, address


def count_attempt(address: str, *, now: datetime) -> None:
    """Count one registration attempt from `address`, or refuse it (TooManyAttempts) when the
    address has made PUBLIC_REGISTRATION_MAX_PER_ADDRESS in the window. The caller commits
    this on its own, before registering, so refused and failed attempts count too."""
    config = current_app.config
    limit = int(config.get("PUBLIC_REGISTRATION_MAX_PER_ADDRESS", 20))
    window = config.get("PUBLIC_REGISTRATION_WINDOW", timedelta(hours=1))
    address = (address or "unknown")[:64]
    recent = db.session.scalar(
        select(func.count()).select_from(RegistrationAttempt).where(
            RegistrationAttempt.address == address, RegistrationAttempt.created_at > as_utc(now) - window
        )
    ) or 0
    if recent >= limit:
        minutes = int(window.total_seconds() // 60)
        raise TooManyAttempts(
            f"Too many registrations have come from your connection. Try again in {minutes} minutes, "
            "or contact the partnership", field="email",
        )
    db.session.add(RegistrationAttempt(address=address, created_at=now))
    db.session.flush()


def public_problem(event: WeekEvent, now: datetime) -> DomainError | None:
    """Why a member of the public cannot register for the event, or None."""
    if not event.for_public:
        return NotForThePublic(
            "This event is for professionals only. If you work with children, book it with your "
            "account on the training site", field="email",
        )
    if event.drop_in:
        return DomainError("This is a drop-in: there is no need to register, just come along", field="email")
    problem = bookings.signup_problem(event.session, now)
    if problem:
        problem = problem.replace("This session", "This event").replace("Booking", "Registration")
        return DomainError(problem, field="email")
    return None


def live_registration(session_id: int, email_key: str) -> PublicRegistration | None:
    return db.session.scalar(select(PublicRegistration).where(
        PublicRegistration.session_id == session_id, PublicRegistration.email_key == email_key,
        PublicRegistration.status.in_(LIVE_REGISTRATION_STATUSES),
    ))


def public_waiting(session_id: int, limit: int | None = None) -> list[PublicRegistration]:
    query = (select(PublicRegistration)
             .where(PublicRegistration.session_id == session_id, PublicRegistration.status == "waitlisted")
             .order_by(PublicRegistration.queued_at, PublicRegistration.id))
    if limit is not None:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def waiting_position(registration: PublicRegistration) -> int | None:
    """Place on the waiting list, counting the engine's waiting bookings that joined first."""
    if registration.status != "waitlisted":
        return None
    from lms.bookings.models import Booking

    ahead_public = db.session.scalar(select(func.count()).select_from(PublicRegistration).where(
        PublicRegistration.session_id == registration.session_id, PublicRegistration.status == "waitlisted",
        or_(PublicRegistration.queued_at < registration.queued_at,
            (PublicRegistration.queued_at == registration.queued_at) & (PublicRegistration.id < registration.id)),
    )) or 0
    ahead_booked = db.session.scalar(select(func.count()).select_from(Booking).where(
        Booking.session_id == registration.session_id, Booking.status == "waitlisted",
        Booking.queued_at <= registration.queued_at,
    )) or 0
    return ahead_public + ahead_booked + 1


def register(event: WeekEvent, name: str | None, email: str | None, *, now: datetime) -> tuple[PublicRegistration, bool]:
    """Register a member of the public for `event`: a free place is held for them awaiting
    confirmation (the emailed link), otherwise they join the waiting list. The same email
    again (in any case) answers with the registration it already has and holds no second
    place: returns (registration, False). Raises a DomainError naming the field."""
    name, address = check_registrant(name, email)
    problem = public_problem(event, now)
    if problem is not None:
        raise problem
    session = bookings.lock(event.session)
    problem = public_problem(event, now)
    if problem is not None:
        raise problem
    existing = live_registration(session.id, address)
    if existing is not None:
        emails.registration_again(existing, now=now)
        return existing, False
    if bookings.waiting_list(session) or public_waiting(session.id, limit=1):
        bookings.fill_places(session, now=now)
    free = (bookings.places_taken(session) < session.capacity
            and not bookings.waiting_list(session) and not public_waiting(session.id, limit=1))
    registration = PublicRegistration(
        event_id=event.id, session_id=session.id, name=name, email=address, email_key=address,
        status="awaiting-confirmation" if free else "waitlisted", created_at=now, queued_at=now,
        placed_at=now if free else None, sequence_seen=session.sequence,
        hold_expires_at=as_utc(now) + timedelta(hours=confirm_hours()) if free else None,
    )
    if not free:
        registration.queued_at = _public_queue_time(session, now)
    try:
        with db.session.begin_nested():
            db.session.add(registration)
    except IntegrityError:
        existing = live_registration(session.id, address)
        if existing is None:
            raise
        return existing, False
    registration.event = event
    emails.registration_made(registration, now=now)
    return registration, True


def _public_queue_time(session: TrainingSession, now: datetime) -> datetime:
    """Join the waiting list no earlier than anyone already on either list (see
    bookings.services.queue_time)."""
    latest = db.session.scalar(select(func.max(PublicRegistration.queued_at)).where(
        PublicRegistration.session_id == session.id, PublicRegistration.status == "waitlisted"))
    engine = bookings.queue_time(session, now)
    return max(as_utc(engine), as_utc(latest)) if latest is not None else as_utc(engine)


def registration_for_token(token: str | None) -> PublicRegistration:
    """The registration an emailed link is for; NotFound for an unknown token, or one whose
    registrant has been erased."""
    if not token or len(token) > 200:
        raise NotFound("This link is not valid")
    link = db.session.scalar(select(RegistrationLink).where(RegistrationLink.token_hash == hash_token(token)))
    if link is None or link.registration.erased_at is not None:
        raise NotFound("This link is not valid: it may be mistyped, or the registration has been removed")
    return link.registration


def confirm(registration: PublicRegistration, *, now: datetime) -> PublicRegistration:
    """The registrant followed the emailed link and confirmed: a held place is theirs; on
    the waiting list, a place given later is confirmed straight away."""
    session = bookings.lock(registration.event.session)
    db.session.refresh(registration)
    if registration.status in ("cancelled", "lapsed"):
        raise DomainError(
            "This registration has ended: it was cancelled, or not confirmed in time. You can register again "
            "if places are left", field="registration",
        )
    if as_utc(now) >= as_utc(session.starts_at) and registration.status != "confirmed":
        raise DomainError("This event has started", field="registration")
    if registration.email_confirmed_at is None:
        registration.email_confirmed_at = now
    if registration.status == "awaiting-confirmation":
        registration.status = "confirmed"
        registration.confirmed_at = now
        registration.hold_expires_at = None
        db.session.flush()
        emails.registration_confirmed(registration, now=now)
    db.session.flush()
    return registration


def cancel(registration: PublicRegistration, *, now: datetime) -> PublicRegistration:
    """The registrant cancels through the emailed link; a freed place goes to whoever waits."""
    session = bookings.lock(registration.event.session)
    db.session.refresh(registration)
    if not registration.is_live:
        raise DomainError("This registration has already ended", field="registration")
    if as_utc(now) >= as_utc(session.starts_at):
        raise DomainError("This event has started: it can no longer be cancelled", field="registration")
    held = registration.holds_place
    registration.status = "cancelled"
    registration.cancelled_at = now
    registration.hold_expires_at = None
    db.session.flush()
    emails.registration_cancelled(registration, now=now)
    if held:
        bookings.fill_places(session, now=now)
    return registration


# --- the engine's hooks (places_held_elsewhere, places_freed) ------------------------------


def held_places(sender, *, session_ids: list[int]) -> dict[int, int]:
    """Places held by public registrations, by session."""
    rows = db.session.execute(
        select(PublicRegistration.session_id, func.count())
        .where(PublicRegistration.session_id.in_(session_ids), PublicRegistration.status.in_(HOLDING_STATUSES))
        .group_by(PublicRegistration.session_id)
    )
    return {session_id: count for session_id, count in rows}


def take_places(sender, *, session: TrainingSession, free: int, queue: list[datetime], now: datetime) -> int:
    """Give free places to the public waiting list, first come first served with the
    engine's waiting `queue`: of the first `free` people across both lists, ours get one.
    Returns how many places they took. The engine holds the session's lock."""
    waiting = public_waiting(session.id, limit=free)
    if not waiting:
        return 0
    merged = sorted([(as_utc(time), 1, None) for time in queue] + [(as_utc(r.queued_at), 0, r) for r in waiting],
                    key=lambda item: (item[0], item[1]))
    given = [registration for _time, _engine, registration in merged[:free] if registration is not None]
    for registration in given:
        registration.placed_at = now
        if registration.email_confirmed_at is not None:
            registration.status = "confirmed"
            registration.confirmed_at = now
            registration.hold_expires_at = None
        else:
            registration.status = "awaiting-confirmation"
            registration.hold_expires_at = as_utc(now) + timedelta(hours=confirm_hours())
    db.session.flush()
    for registration in given:
        emails.place_given(registration, now=now)
    return len(given)


def connect_signals() -> None:
    places_held_elsewhere.connect(held_places, weak=False)
    places_freed.connect(take_places, weak=False)


# --- engagement ----------------------------------------------------------------------------


def engagement_of(events: list[WeekEvent]) -> dict[int, dict[str, int]]:
    result: dict[int, dict[str, int]] = {event.id: {} for event in events}
    if not events:
        return result
    for row in db.session.scalars(select(EventEngagement).where(EventEngagement.event_id.in_(list(result)))):
        result[row.event_id][row.measure] = row.count
    return result


def record_engagement(event: WeekEvent, counts: dict[str, int | None], *, actor: User, now: datetime) -> None:
    """Set the event's engagement counts (a blank leaves a measure unrecorded)."""
    if not actor.is_admin:
        raise Forbidden("Only partnership admins can record engagement")
    for measure, value in counts.items():
        if measure not in ENGAGEMENT_MEASURES:
            raise DomainError("Choose a measure from the list", field=measure)
        if value is not None and not 0 <= value <= 1_000_000:
            raise DomainError(f"{ENGAGEMENT_MEASURES[measure]} must be a whole number from 0 to 1,000,000", field=measure)
    before = engagement_of([event])[event.id]
    rows = {row.measure: row for row in db.session.scalars(select(EventEngagement).where(EventEngagement.event_id == event.id))}
    for measure, value in counts.items():
        row = rows.get(measure)
        if value is None:
            if row is not None:
                db.session.delete(row)
        elif row is None:
            db.session.add(EventEngagement(event_id=event.id, measure=measure, count=value, updated_at=now,
                                           updated_by_id=actor.id))
        elif row.count != value:
            row.count = value
            row.updated_at = now
            row.updated_by_id = actor.id
    db.session.flush()
    after = {measure: value for measure, value in counts.items() if value is not None}
    if before != after:
        audit.record(actor, "week.engagement", target=event, now=now,
                     summary=f"Recorded public engagement at {event.title}", before=before, after=after)


# --- scheduled work ------------------------------------------------------------------------


def sessions_with_lapsed_holds(*, now: datetime) -> list[int]:
    """Sessions with places held awaiting confirmation past their time."""
    return list(db.session.scalars(
        select(PublicRegistration.session_id).where(
            PublicRegistration.status == "awaiting-confirmation", PublicRegistration.hold_expires_at <= now,
        ).distinct().order_by(PublicRegistration.session_id)
    ))


def lapse_unconfirmed(session_id: int, *, now: datetime) -> int:
    """End the session's held places whose link was not followed in time and give them to
    whoever waits, under the session's lock. Returns how many lapsed."""
    session = bookings.lock(db.session.get(TrainingSession, session_id))
    due = list(db.session.scalars(select(PublicRegistration).where(
        PublicRegistration.session_id == session.id, PublicRegistration.status == "awaiting-confirmation",
        PublicRegistration.hold_expires_at <= now,
    ).order_by(PublicRegistration.id)))
    for registration in due:
        registration.status = "lapsed"
        registration.lapsed_at = now
        registration.hold_expires_at = None
        emails.registration_lapsed(registration, now=now)
    db.session.flush()
    if due:
        bookings.fill_places(session, now=now)
    return len(due)


def queue_reminders(*, now: datetime) -> int:
    """Remind people with a confirmed place the day before (within 24 hours of the start),
    once each (reminder_sent_at, claimed with a conditional UPDATE)."""
    rows = list(db.session.scalars(
        select(PublicRegistration).join(TrainingSession, TrainingSession.id == PublicRegistration.session_id).where(
            PublicRegistration.status == "confirmed", PublicRegistration.reminder_sent_at.is_(None),
            TrainingSession.status == "scheduled", TrainingSession.starts_at > now,
            TrainingSession.starts_at <= as_utc(now) + timedelta(days=1),
        )
    ))
    sent = 0
    for registration in rows:
        claimed = db.session.execute(
            update(PublicRegistration)
            .where(PublicRegistration.id == registration.id, PublicRegistration.reminder_sent_at.is_(None))
            .values(reminder_sent_at=now).execution_options(synchronize_session="evaluate")
        ).rowcount
        if claimed:
            emails.reminder(registration, now=now)
            sent += 1
    return sent


def tell_of_changes(*, now: datetime) -> dict[str, int]:
    """Tell registrants of a change to their event they have not heard of (the session's
    sequence rose past theirs): a new time or place, or the event's cancellation, which
    ends their registration. Each once: sequence_seen is claimed with a conditional UPDATE."""
    rows = list(db.session.execute(
        select(PublicRegistration.id, PublicRegistration.sequence_seen, TrainingSession.sequence,
               TrainingSession.status)
        .join(TrainingSession, TrainingSession.id == PublicRegistration.session_id)
        .where(PublicRegistration.status.in_(LIVE_REGISTRATION_STATUSES),
               TrainingSession.sequence > PublicRegistration.sequence_seen, TrainingSession.starts_at > now)
    ))
    told = {"changed": 0, "cancelled": 0}
    for row in rows:
        claimed = db.session.execute(
            update(PublicRegistration)
            .where(PublicRegistration.id == row.id, PublicRegistration.sequence_seen == row.sequence_seen)
            .values(sequence_seen=row.sequence).execution_options(synchronize_session=False)
        ).rowcount
        if not claimed:
            continue
        registration = db.session.get(PublicRegistration, row.id)
        db.session.refresh(registration)
        if row.status == "cancelled":
            registration.status = "cancelled"
            registration.cancelled_at = now
            registration.hold_expires_at = None
            emails.event_cancelled(registration, now=now)
            told["cancelled"] += 1
        else:
            emails.event_changed(registration, now=now)
            told["changed"] += 1
    db.session.flush()
    return told


def erase_registrants(*, now: datetime) -> int:
    """Erase the names and emails of public registrants of every week that ended more than
    PUBLIC_REGISTRATION_RETENTION_DAYS ago: the registrations keep their status and times
    (the week's counts), their emailed links stop working, and the emails sent to them are
    deleted from the outbox. Returns how many registrations were erased."""
    cutoff = to_london(now).date() - timedelta(days=retention_days())
    ids_and_addresses = list(db.session.execute(
        select(PublicRegistration.id, PublicRegistration.email)
        .join(WeekEvent, WeekEvent.id == PublicRegistration.event_id)
        .join(Programme, Programme.id == WeekEvent.programme_id)
        .where(Programme.ends_on < cutoff, PublicRegistration.erased_at.is_(None))
    ))
    if not ids_and_addresses:
        return 0
    for start in range(0, len(ids_and_addresses), 500):
        chunk = ids_and_addresses[start:start + 500]
        ids = [row.id for row in chunk]
        addresses = sorted({row.email for row in chunk if row.email})
        if addresses:
            db.session.execute(delete(OutboundEmail).where(
                OutboundEmail.dedupe_key.like(f"{emails.KEY_PREFIX}%"), OutboundEmail.to_address.in_(addresses),
            ).execution_options(synchronize_session=False))
        db.session.execute(delete(RegistrationLink).where(RegistrationLink.registration_id.in_(ids))
                           .execution_options(synchronize_session=False))
        db.session.execute(update(PublicRegistration).where(PublicRegistration.id.in_(ids)).values(
            name=None, email=None, email_key=None, erased_at=now, hold_expires_at=None,
        ).execution_options(synchronize_session=False))
    return len(ids_and_addresses)


def prune_attempts(*, now: datetime) -> int:
    """Delete registration attempts older than a day (the limit's window is shorter)."""
    return db.session.execute(
        delete(RegistrationAttempt).where(RegistrationAttempt.created_at < as_utc(now) - timedelta(days=1))
        .execution_options(synchronize_session=False)
    ).rowcount or 0

