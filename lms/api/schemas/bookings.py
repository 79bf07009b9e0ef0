"""Sessions and bookings. A session's joining link is given only to people with a place
(and to those who run the session); the route decides and passes `may_join=True`."""
from __future__ import annotations

from flask import url_for
from marshmallow import ValidationError, fields, validates_schema
from marshmallow.validate import OneOf

from lms.api.fields import Args, Code, Day, KnownCode, Repeated, Shape, UtcDateTime, YesNo, described
from lms.api.schemas.common import FieldError, choice, page_of, text, texts, url
from lms.api.schemas.learning import CourseAudience
from lms.api.schemas.people import OrganisationSummary
from lms.bookings.models import ENDED_REASONS
from lms.bookings.models import STATUSES as BOOKING_STATUSES
from lms.catalogue import models as catalogue
from lms.catalogue.models import DELIVERY_MODES
from lms.organisations import models as reference

SIGNUP_STATES = ["open", "not-open", "closed", "finished", "cancelled"]
LOCATION_KINDS = ["in-person", "online"]
SESSION_STATUSES = ["scheduled", "cancelled"]


# --- sessions and bookings ------------------------------------------------------------
# A session's joining link is given only to people with a place (and to those who run
# the session); the route decides and passes `may_join=True`.

class Venue(Shape):
    class Meta:
        description = "Where an in-person session is held."

    name = fields.String(attribute="venue_name")
    address = fields.String(attribute="venue_address")
    postcode = fields.String(attribute="venue_postcode", allow_none=True)
    access_notes = text("Parking, entrances, step-free access.", allow_none=True)


class JoiningDetails(Shape):
    class Meta:
        description = "How to join an online session: only for people with a place and the session's trainers."

    url = fields.String(attribute="joining_url", **described(format="uri"))
    notes = fields.String(attribute="joining_notes", allow_none=True)


class Session(Shape):
    """Shapes With(session, counts=bookings.services.place_counts()'s entry for it,
    signup_state=..., cancellation_deadline=...)."""

    class Meta:
        description = ("A dated run of a course. `organisation` is set for outreach sessions, which are for that "
                       "organisation's staff only.")

    id = fields.Integer()
    course = Code(**described("The course's code."))
    course_title = fields.String(attribute="course.title")
    delivery_mode = choice(DELIVERY_MODES, "The course's delivery mode code.", attribute="course.delivery_mode")
    starts_at = UtcDateTime(**described("In UTC; show it in Europe/London."))
    ends_at = UtcDateTime()
    location_kind = choice(LOCATION_KINDS, "in-person (a venue) or online (a joining link for people with a place).")
    venue = fields.Nested(Venue, allow_none=True)
    area = Code(allow_none=True, **described("Area code."))
    organisation = fields.Nested(OrganisationSummary, allow_none=True)
    audience = fields.Nested(CourseAudience)
    trainers = texts("The trainers' names.")
    capacity = fields.Integer(**described("Places in all.", minimum=1))
    places_left = fields.Integer(**described(minimum=0))
    waiting_list = fields.Integer(**described("People on the waiting list.", minimum=0))
    requires_approval = fields.Boolean(**described(
        "True if people booking themselves need their setting lead's approval."))
    status = choice(SESSION_STATUSES)
    signup_state = choice(SIGNUP_STATES, "open; not-open (booking opens later); closed; finished (the session has "
                                         "started); cancelled.")
    signup_opens_at = UtcDateTime(allow_none=True, **described("Null: open as soon as the session is published."))
    signup_closes_at = UtcDateTime()
    cancellation_deadline = UtcDateTime(**described(
        "Cancelling a place after this is a late cancellation (which may be charged)."))
    url = url("The session's page in the service.")

    def venue_of(self, row):
        return None if row.is_online else row

    def audience_of(self, row):
        return row

    def trainers_of(self, row) -> list[str]:
        return [trainer.full_name for trainer in row.trainers]

    def places_left_of(self, row) -> int:
        return max(row.capacity - row.counts["places"], 0)

    def waiting_list_of(self, row) -> int:
        return row.counts["waiting"]

    def url_of(self, row) -> str:
        return url_for("bookings.session", session_id=row.id, _external=True)


class BookingSession(Shape):
    class Meta:
        description = "The session a booking is on, in brief."

    id = fields.Integer()
    course = Code(**described("The course's code."))
    course_title = fields.String(attribute="course.title")
    starts_at = UtcDateTime()
    ends_at = UtcDateTime()
    location_kind = choice(LOCATION_KINDS)
    status = choice(SESSION_STATUSES)


class Booking(Shape):
    """Shapes With(booking, position=its place on the waiting list (1 is next) or None)."""

    class Meta:
        description = "A person's booking on a session."

    id = fields.Integer()
    status = choice(BOOKING_STATUSES, "requested (awaiting the setting lead's approval), booked, waitlisted, offered "
                                      "(a freed place, until offer_expires_at), cancelled, attended, partly-attended "
                                      "or no-show.")
    session_id = fields.Integer()
    person_id = fields.Integer(attribute="user_id")
    waiting_position = fields.Integer(allow_none=True, **described(
        "Place on the waiting list, 1 being next; null unless waitlisted.", minimum=1))
    offer_expires_at = UtcDateTime(allow_none=True, **described("Accept the offered place before this."))
    created_at = UtcDateTime()
    confirmed_at = UtcDateTime(allow_none=True, **described("When the place was confirmed."))
    cancelled_at = UtcDateTime(allow_none=True)
    ended_reason = fields.String(allow_none=True, **described(
        "Why a cancelled booking ended; null unless cancelled.", enum=[*ENDED_REASONS, None]))
    late_cancellation = fields.Boolean(attribute="is_late_cancellation", **described(
        "True if the place was given up after the cancellation deadline."))
    session = fields.Nested(BookingSession)

    def waiting_position_of(self, row):
        return row.position if row.status == "waitlisted" else None

    def offer_expires_at_of(self, row):
        return row.offer_expires_at if row.status == "offered" else None

    def cancelled_at_of(self, row):
        return row.cancelled_at if row.status == "cancelled" else None

    def ended_reason_of(self, row):
        return row.ended_reason if row.status == "cancelled" else None


class SessionDetail(Session):
    """Shapes With(session, ... as Session, my_booking=With(booking, position=...) or None,
    may_join=whether the caller may have the joining link)."""

    class Meta:
        description = ("A session with the caller's own booking on it (null if none) and, for people with a place, "
                       "the joining details.")

    cancelled_reason = text("Why the session was cancelled.", allow_none=True)
    joining = fields.Nested(JoiningDetails, allow_none=True)
    my_booking = fields.Nested(Booking, allow_none=True)

    def cancelled_reason_of(self, row):
        return row.cancelled_reason if row.is_cancelled else None

    def joining_of(self, row):
        return row if row.may_join and row.is_online else None


class BookSession(Shape):
    class Meta:
        description = "Whom to book. Send no body (or {}) to book yourself."
        optional = ("person_id",)

    person_id = fields.Integer(**described("Who to book; the caller if left out.", minimum=1))


class AlreadyBooked(Shape):
    class Meta:
        description = "The person already has a booking on the session: the error, with that booking."

    error = choice(["conflict"])
    message = text("A sentence for people, e.g. \"You are already booked on this session\".")
    errors = fields.List(fields.Nested(FieldError))
    booking = fields.Nested(Booking)


SessionPage = page_of(Session)
BookingPage = page_of(Booking)


class SessionArgs(Args):
    course = KnownCode(catalogue.Course, "course", description="Course code.")
    area = KnownCode(reference.Area, "area", description="Area code.")
    start = Day("Sessions starting on or after this day (Europe/London).", data_key="from")
    end = Day("Sessions starting on or before this day (Europe/London).", data_key="to")
    has_places = YesNo("true: places left; false: full.")

    @validates_schema(skip_on_field_errors=False)
    def end_not_before_start(self, data, **kwargs):
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            raise ValidationError("to must be the same day as from or later", "to")


class MyBookingArgs(Args):
    status = Repeated(
        fields.String(validate=OneOf(BOOKING_STATUSES)), BOOKING_STATUSES,
        f"{{name}} must be a booking status ({', '.join(BOOKING_STATUSES)}); “{{value}}” is not one",
        description="Only bookings with this status; repeat it or give a comma list.",
    )
    upcoming = YesNo("true: sessions not yet finished; false: finished ones.")
