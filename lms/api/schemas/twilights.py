"""The DSL network twilight series: what "book the year" answers."""
from __future__ import annotations

from marshmallow import fields

from lms.api.fields import Shape, described
from lms.api.schemas.bookings import Booking
from lms.api.schemas.common import choice
from lms.programmes.twilights.models import TERMS


class YearPlace(Shape):
    """Shapes services.YearPlace with the booking as With(booking, position=...) or None."""

    class Meta:
        description = "What booking the year did for one term."

    term = choice(list(TERMS), "The term: autumn, spring or summer.")
    term_name = fields.String(**described('The term and its year, e.g. "Autumn 2026".'))
    topic = fields.String(allow_none=True, **described("The term's topic; null until it is announced."))
    area = fields.String(allow_none=True, **described("The area of the session booked, or null."))
    host = fields.String(allow_none=True, **described("The school hosting the session booked, or null."))
    new = fields.Boolean(**described("True if this request made the booking; false for one the person already "
                                     "had, or none."))
    note = fields.String(allow_none=True, **described("Why there is no new booking this term, or null."))
    booking = fields.Nested(Booking, allow_none=True)

    def term_of(self, row):
        return row.term.term

    def term_name_of(self, row):
        return row.term.label

    def topic_of(self, row):
        return row.term.topic_title

    def area_of(self, row):
        return row.twilight.area.name if row.twilight is not None else None

    def host_of(self, row):
        return row.twilight.host.name if row.twilight is not None else None


class YearBooked(Shape):
    class Meta:
        description = "The caller's twilights for the year, one entry a term in order."

    programme_id = fields.Integer()
    places = fields.List(fields.Nested(YearPlace))
