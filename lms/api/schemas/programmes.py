"""Programmes (DESIGN.md 8a): a DSL network twilight series (terms, each with a topic and a
session per area) or a Safeguarding Week (days, each with its events)."""
from __future__ import annotations

from marshmallow import fields

from lms.api.fields import Shape, described
from lms.api.schemas.common import choice, page_of, text, texts
from lms.api.schemas.public import PublicEvent
from lms.programmes.models import KINDS

TERMS = ["autumn", "spring", "summer"]


class Programme(Shape):
    id = fields.Integer(**described("The programme's id."))
    kind = choice(list(KINDS), "twilight-series (terms and topics) or safeguarding-week (days and events).")
    title = text("The programme's title.")
    starts_on = fields.String(**described("Its first day (YYYY-MM-DD): 1 September for a twilight series.",
                                          format="date"))
    ends_on = fields.String(**described("Its last day (YYYY-MM-DD).", format="date"))
    summary = text("What it is, in a sentence or two.", allow_none=True)


ProgrammePage = page_of(Programme)


class AreaName(Shape):
    code = text("The stable code.")
    name = text("The name.")


class Host(Shape):
    id = fields.Integer(**described("The host school's organisation id."))
    name = text("The host school.")


class HostVenue(Shape):
    name = text("The venue's name.", allow_none=True)
    address = text("Its address.", allow_none=True)
    postcode = text("Its postcode.", allow_none=True)


class TwilightSession(Shape):
    session_id = fields.Integer(**described("The session on the booking engine: book it with "
                                            "POST /sessions/{id}/bookings."))
    area = fields.Nested(AreaName, **described("The area it is held in."))
    host = fields.Nested(Host, **described("The school hosting it; its address is the venue."))
    starts_at = fields.String(**described("When it starts (UTC, ISO 8601).", format="date-time"))
    ends_at = fields.String(**described("When it ends (UTC, ISO 8601).", format="date-time"))
    venue = fields.Nested(HostVenue, **described("Where it is held: the host school."))
    capacity = fields.Integer(**described("Places in all."))
    places_left = fields.Integer(**described("Places left now."))


class Topic(Shape):
    title = text("The term's topic.", allow_none=True)
    summary = text("What it covers.", allow_none=True)
    agencies = text("The agencies presenting it.", allow_none=True)


class Term(Shape):
    id = fields.Integer(**described("The term's id."))
    term = choice(TERMS, "Which term.")
    name = text('The term in words, e.g. "Autumn 2026".')
    topic = fields.Nested(Topic)
    sessions = fields.List(fields.Nested(TwilightSession), **described("One session per area, by date."))


class WeekEvent(PublicEvent):
    capacity = fields.Integer(allow_none=True, **described("Places in all; null for a drop-in."))


class WeekDay(Shape):
    date = fields.String(**described("The day (YYYY-MM-DD).", format="date"))
    events = fields.List(fields.Nested(WeekEvent), **described("The day's events, by start time."))


class ProgrammeDetail(Programme):
    theme = text("A Safeguarding Week's theme; null for a twilight series.", allow_none=True)
    lead_boards = texts("The boards leading a Safeguarding Week; empty for a twilight series.")
    description = text("A Safeguarding Week's description; null for a twilight series.", allow_none=True)
    terms = fields.List(fields.Nested(Term), **described("A twilight series' terms in order; empty for a week."))
    days = fields.List(fields.Nested(WeekDay), **described("A Safeguarding Week's days in order; empty for a "
                                                           "twilight series."))
