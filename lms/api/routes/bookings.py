"""Sessions (read) and bookings (make, cancel, accept an offer; the caller's own list),
over the booking engine in lms/bookings/services.py (DESIGN.md sections 5 and 9).

Who sees what:
- a session: anyone, except outreach sessions, which only their organisation's people and
  leads (and trainers and admins) see; to anyone else they are a 404, as if absent;
- a booking: the person booked, the setting leads of the organisation they booked from,
  the session's trainers and admins; anyone else gets a 404;
- a session's joining link: only people with a place, and those who run the session.

Each request that changes something commits once, after the engine has done its work
under the session's row lock; a second booking for the same person is a 409 carrying the
existing booking.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import jsonify, request
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from lms.accounts import services as accounts
from lms.accounts.models import User
from lms.api import bp, services
from lms.api.auth import caller
from lms.api.document import BODY_ERRORS, describe, path_id
from lms.api.errors import ApiError, error_code
from lms.api.fields import With, dump
from lms.api.paging import paginate
from lms.api.routes.learning import field_error, json_object, person_id_field
from lms.api.schemas import (AlreadyBooked, BookingPage, BookSession, MyBookingArgs, SessionArgs, SessionDetail,
                             SessionPage)
from lms.api.schemas import Booking as BookingShape
from lms.bookings import offers
from lms.bookings import services as bookings
from lms.bookings.models import PLACE_STATUSES, Booking, TrainingSession
from lms.catalogue.models import Course
from lms.core.errors import DomainError, Forbidden, NotFound
from lms.core.time import LONDON, as_utc, utcnow
from lms.extensions import db
from lms.organisations.models import Area

# A booking's statuses in which its person has the session's joining link.
JOINING_STATUSES = ("booked", "attended", "partly-attended", "no-show")


# --- finding things ---------------------------------------------------------------------

def _session_loading(query):
    return query.options(
        selectinload(TrainingSession.area),
        selectinload(TrainingSession.organisation),
        selectinload(TrainingSession.trainers),
        selectinload(TrainingSession.audience_sectors),
        selectinload(TrainingSession.audience_roles),
    )


def visible_session(actor: User, session_id: int) -> TrainingSession:
    """The session, if the caller may see it; a 404 whether it is missing or hidden."""
    row = db.session.scalar(_session_loading(select(TrainingSession)).where(TrainingSession.id == session_id))
    if row is None or not bookings.can_see(row, actor):
        raise ApiError(404, "No session has this id")
    return row


def may_see_booking(actor: User, row: Booking) -> bool:
    if actor.is_admin or row.user_id == actor.id:
        return True
    if row.organisation_id is not None and accounts.leads(actor, row.organisation_id):
        return True
    return bookings.may_manage(actor, row.session)


def visible_booking(actor: User, booking_id: int) -> Booking:
    """The booking, if the caller may see it; a 404 whether it is missing or not theirs."""
    row = db.session.get(Booking, booking_id)
    if row is None or not may_see_booking(actor, row):
        raise ApiError(404, "No booking has this id")
    return row


def waiting_positions(rows: list[Booking]) -> dict[int, int]:
    """{booking id: place on its session's waiting list} for the waitlisted bookings among
    `rows`, in one statement (first come, first served, as services.waiting_position)."""
    waiting = [row for row in rows if row.status == "waitlisted"]
    if not waiting:
        return {}
    ranked = (
        select(
            Booking.id.label("id"),
            func.row_number().over(partition_by=Booking.session_id, order_by=(Booking.queued_at, Booking.id))
            .label("position"),
        )
        .where(Booking.session_id.in_(sorted({row.session_id for row in waiting})), Booking.status == "waitlisted")
        .subquery()
    )
    found = db.session.execute(
        select(ranked.c.id, ranked.c.position).where(ranked.c.id.in_([row.id for row in waiting]))
    )
    return {booking_id: position for booking_id, position in found}


def booking_facts(row: Booking) -> With:
    """The booking with its place on the waiting list, for the Booking schema."""
    return With(row, position=bookings.waiting_position(row))


def booking_answer(row: Booking, status: int = 200):
    response = jsonify(dump(BookingShape, booking_facts(row)))
    response.status_code = status
    return response


# --- sessions ---------------------------------------------------------------------------

def _start_of_london_day(day) -> datetime:
    return as_utc(datetime.combine(day, time(0, 0), tzinfo=LONDON))


def _places_held():
    """Places held on each session, as a subquery correlated with TrainingSession."""
    return (
        select(func.count(Booking.id))
        .where(Booking.session_id == TrainingSession.id, Booking.status.in_(PLACE_STATUSES))
        .correlate(TrainingSession)
        .scalar_subquery()
    )


def session_facts(rows: list[TrainingSession], now: datetime, **more) -> list[With]:
    """The sessions with their place counts, signup states and cancellation deadlines
    (the counts in one statement), for the Session schemas."""
    counts = bookings.place_counts([row.id for row in rows])
    return [
        With(
            row,
            counts=counts[row.id],
            signup_state=bookings.signup_state(row, now),
            cancellation_deadline=bookings.cancellation_deadline(row),
            **more,
        )
        for row in rows
    ]


@bp.get("/sessions")
@describe(
    "listSessions", "Sessions, soonest first", tag="bookings", response=SessionPage, query=SessionArgs, paged=True,
    errors=(400,),
    description=(
        "Scheduled sessions the caller may see (outreach sessions only for their organisation's "
        "staff and leads, trainers and admins). Without `from`, only sessions that have not started. "
        "Cancelled sessions are not listed. Unknown codes are a 400 naming the parameter."
    ),
)
def sessions():
    actor = caller()
    now = utcnow()
    args = SessionArgs.parse()
    course_code, area_code, has_places = args["course"], args["area"], args["has_places"]
    start, end = args["start"], args["end"]

    query = select(TrainingSession).where(TrainingSession.status == "scheduled")
    if start is None:
        query = query.where(TrainingSession.starts_at > now)
    else:
        query = query.where(TrainingSession.starts_at >= _start_of_london_day(start))
    if end is not None:
        query = query.where(TrainingSession.starts_at < _start_of_london_day(end + timedelta(days=1)))
    if course_code is not None:
        course_id = select(Course.id).where(Course.code == course_code).scalar_subquery()
        query = query.where(TrainingSession.course_id == course_id)
    if area_code is not None:
        area_id = select(Area.id).where(Area.code == area_code).scalar_subquery()
        query = query.where(TrainingSession.area_id == area_id)
    if has_places is True:
        query = query.where(_places_held() < TrainingSession.capacity)
    elif has_places is False:
        query = query.where(_places_held() >= TrainingSession.capacity)
    query = _session_loading(bookings.visible_to(query, actor)).order_by(TrainingSession.starts_at, TrainingSession.id)
    page = paginate(query)
    page["items"] = session_facts(page["items"], now)
    return jsonify(dump(SessionPage, page))


SESSION_ID = {"session_id": path_id("The session's id.")}
BOOKING_ID = {"booking_id": path_id("The booking's id.")}


@bp.get("/sessions/<int:session_id>")
@describe(
    "getSession", "One session, with places left and the caller's booking", tag="bookings", response=SessionDetail,
    errors=(404,), path=SESSION_ID,
    description=(
        "Cancelled and past sessions can still be read. The joining link of an online session is "
        "given only to people with a place and to the session's trainers and admins. 404 for an "
        "outreach session of another organisation."
    ),
)
def session(session_id: int):
    actor = caller()
    row = visible_session(actor, session_id)
    now = utcnow()
    mine = bookings.live_booking(row, actor)
    may_join = bookings.may_manage(actor, row) or (mine is not None and mine.status in JOINING_STATUSES)
    my_booking = booking_facts(mine) if mine is not None else None
    return jsonify(dump(SessionDetail, session_facts([row], now, my_booking=my_booking, may_join=may_join)[0]))


# --- making a booking -------------------------------------------------------------------

def _optional_json_object(example: str) -> dict:
    """The request body as a JSON object; an empty body is an empty object."""
    if not request.get_data(cache=True):
        return {}
    return json_object(example)


def _person_to_book(actor: User, body: dict) -> User:
    if body.get("person_id") is None:
        return actor
    person_id = person_id_field(body)
    if person_id == actor.id:
        return actor
    if not (actor.is_admin or accounts.led_organisation_ids(actor)):
        raise ApiError(403, "Only setting leads (for their own staff) and admins can book other people")
    person = services.get_visible_person(actor, person_id)
    if person is None:
        if actor.is_admin:
            raise field_error(404, "person_id", "No person has this id")
        # The same answer whether the person is missing or works elsewhere.
        raise field_error(403, "person_id", "You can only book the staff of organisations you lead")
    if not person.active:
        raise field_error(422, "person_id", f"{person.full_name}'s account has been closed, so they cannot be booked")
    return person


def already_booked_answer(error: bookings.AlreadyBooked):
    """409 in the error shape, with the booking the person already has."""
    existing = db.session.get(Booking, error.booking.id)
    body = {
        "error": error_code(409),
        "message": error.message,
        "errors": [{"field": error.field or "session", "message": error.message}],
        "booking": booking_facts(existing),
    }
    response = jsonify(dump(AlreadyBooked, body))
    response.status_code = 409
    return response


@bp.post("/sessions/<int:session_id>/bookings")
@describe(
    "bookSession", "Book a place on a session", tag="bookings", response=BookingShape,
    errors=(400, 403, 404, 422), path=SESSION_ID,
    body=BookSession, body_required=False,
    body_description='Whom to book, e.g. {"person_id": 42}; no body books the caller.',
    ok=None, created="Booked, waitlisted or requested.",  # a second booking is the 409 below
    other={409: ("The person already has a booking on this session; `booking` is it.", AlreadyBooked)},
    description=(
        "Books the caller, or with `person_id` one of the staff of an organisation the caller leads "
        "(anyone, for an admin). The answer is 201 with the booking: `booked` while places remain, "
        "otherwise `waitlisted`; `requested` when the session asks for the setting lead's approval "
        "and the caller booked themselves. A person who already has a booking on the session is a 409 "
        "carrying that booking, so repeating a request never makes a second booking. Closed sign-up, "
        "a session outside the person's audience, or a closed account is a 422; booking someone who is "
        "not your staff is a 403; a person unknown to an admin is a 404. " + BODY_ERRORS
    ),
)
def book(session_id: int):
    actor = caller()
    row = visible_session(actor, session_id)
    person = _person_to_book(actor, _optional_json_object('{"person_id": 42}'))
    try:
        made = bookings.book(row, person, actor=actor, now=utcnow())
    except bookings.AlreadyBooked as error:
        db.session.rollback()
        return already_booked_answer(error)
    except (Forbidden, NotFound):
        raise
    except DomainError as error:  # closed, full with no list, outside the audience
        db.session.rollback()
        raise field_error(422, error.field or "session", error.message) from None
    db.session.commit()
    return booking_answer(made, 201)


# --- one booking ------------------------------------------------------------------------

def _state_error(error: DomainError) -> ApiError:
    """A booking whose state does not allow the change: a 409 naming the booking."""
    db.session.rollback()
    return field_error(409, error.field or "booking", error.message)


@bp.get("/bookings/<int:booking_id>")
@describe(
    "getBooking", "One booking", tag="bookings", response=BookingShape, errors=(404,), path=BOOKING_ID,
    description=(
        "For the person booked, the setting leads of the organisation they booked from, the "
        "session's trainers and admins; 404 for anyone else."
    ),
)
def booking(booking_id: int):
    return booking_answer(visible_booking(caller(), booking_id))


@bp.delete("/bookings/<int:booking_id>")
@describe(
    "cancelBooking", "Cancel a booking", tag="bookings", response=BookingShape, errors=(404, 409), path=BOOKING_ID,
    ok="Cancelled: the booking as it now is.",
    description=(
        "The person, their setting lead, the session's trainers or an admin may cancel. Giving up a "
        "place after the session's cancellation deadline is recorded as a late cancellation "
        "(`late_cancellation` true). A freed place is offered to the waiting list. A booking that "
        "has already ended, or a session that has started, is a 409. 404 for anyone who may not see "
        "the booking."
    ),
)
def cancel_booking(booking_id: int):
    actor = caller()
    row = visible_booking(actor, booking_id)
    try:
        bookings.cancel(row, actor=actor, now=utcnow())
    except (Forbidden, NotFound):
        raise
    except DomainError as error:
        raise _state_error(error) from None
    db.session.commit()
    return booking_answer(row)


@bp.post("/bookings/<int:booking_id>/accept")
@describe(
    "acceptOffer", "Accept an offered place", tag="bookings", response=BookingShape, errors=(403, 404, 409),
    path=BOOKING_ID, ok="Booked: the booking as it now is.",
    description=(
        "For a booking whose status is `offered`, before `offer_expires_at`: the person or their "
        "setting lead (or an admin) takes the place. No offer, or an offer that has ended, is a 409."
    ),
)
def accept_offer(booking_id: int):
    actor = caller()
    row = visible_booking(actor, booking_id)
    try:
        offers.accept_offer(row, actor=actor, now=utcnow())
    except (Forbidden, NotFound):
        raise
    except DomainError as error:
        raise _state_error(error) from None
    db.session.commit()
    return booking_answer(row)


# --- the caller's bookings --------------------------------------------------------------

@bp.get("/me/bookings")
@describe("listMyBookings", "The caller's bookings, latest session first", tag="bookings", response=BookingPage,
          query=MyBookingArgs, paged=True, errors=(400,))
def my_bookings():
    actor = caller()
    args = MyBookingArgs.parse()
    statuses, upcoming = args["status"], args["upcoming"]
    query = bookings.bookings_for(actor)  # newest session first
    if statuses:
        query = query.where(Booking.status.in_(statuses))
    now = utcnow()
    if upcoming is True:
        query = query.where(TrainingSession.ends_at > now)
    elif upcoming is False:
        query = query.where(TrainingSession.ends_at <= now)
    page = paginate(query)
    positions = waiting_positions(page["items"])
    page["items"] = [With(row, position=positions.get(row.id)) for row in page["items"]]
    return jsonify(dump(BookingPage, page))
