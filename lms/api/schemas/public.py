"""The public API's bodies (no token): Safeguarding Week's public events and a member of
the public's registration for one."""
from __future__ import annotations

from marshmallow import fields

from lms.api.fields import Shape, described
from lms.api.schemas.common import choice, text, texts

EVENT_KINDS = ["launch", "face-to-face", "online", "drop-in", "stall"]
AUDIENCES = ["professionals", "public", "both"]
EVENT_STATES = ["drop-in", "open", "full", "not-open", "closed", "finished", "cancelled"]
REGISTRATION_STATUSES = ["awaiting-confirmation", "confirmed", "waitlisted"]


class PublicEvent(Shape):
    id = fields.Integer(**described("The event's id: POST registrations to /public/events/{id}/registrations."))
    session_id = fields.Integer(**described("The event's session on the booking engine (/sessions/{id})."))
    title = text("The event's title.")
    summary = text("What the event is about.")
    kind = choice(EVENT_KINDS, "What kind of event it is.")
    audience = choice(AUDIENCES, "Who it is for; registering here is open for public and both.")
    organiser = text("The partner organisation running it.")
    starts_at = fields.String(**described("When it starts (UTC, ISO 8601).", format="date-time"))
    ends_at = fields.String(**described("When it ends (UTC, ISO 8601).", format="date-time"))
    where = text('The venue on one line, or "Online".')
    drop_in = fields.Boolean(**described("A drop-in: nobody registers, people just come."))
    places_left = fields.Integer(allow_none=True, **described("Places left now; null for a drop-in."))
    status = choice(EVENT_STATES, "Whether registering is open now: open (places left), full (waiting list), ...")


class PublicWeek(Shape):
    id = fields.Integer(**described("The programme's id."))
    title = text("The week's title.")
    theme = text("The week's theme.")
    lead_boards = texts("The boards leading the week.")
    starts_on = fields.String(**described("The first day (YYYY-MM-DD).", format="date"))
    ends_on = fields.String(**described("The last day (YYYY-MM-DD).", format="date"))


class PublicEventList(Shape):
    week = fields.Nested(PublicWeek, allow_none=True,
                         **described("The current Safeguarding Week (the next not yet over); null when there is none."))
    events = fields.List(fields.Nested(PublicEvent), **described("Its events for the public (public or both), in order."))


class RegisterPublic(Shape):
    name = text("Your name.")
    email = text("Your email address: the link to confirm, manage or cancel goes to it.")


class PublicRegistrationAnswer(Shape):
    status = choice(REGISTRATION_STATUSES,
                    "awaiting-confirmation: a place is held until the emailed link is followed; waitlisted: the event "
                    "is full; confirmed (only when the same email registered before and confirmed).")
    event_id = fields.Integer(**described("The event."))
    waiting_position = fields.Integer(allow_none=True, **described("Place on the waiting list, or null."))
    message = text("What happens next, in words.")
