"""The DSL network twilight series: book the year (one session a term in the caller's own
area, the waiting list where full), over lms.programmes.twilights.services. The series
itself (terms, topics, sessions) is read with GET /programmes/{programme_id}."""
from __future__ import annotations

from flask import jsonify

from lms.api import bp
from lms.api.auth import caller
from lms.api.document import describe, path_id
from lms.api.errors import ApiError
from lms.api.fields import With, dump
from lms.api.routes.learning import field_error
from lms.api.schemas.twilights import YearBooked
from lms.bookings import services as bookings
from lms.core.errors import DomainError, Forbidden, NotFound
from lms.core.time import utcnow
from lms.extensions import db
from lms.programmes.twilights import services as twilights

PROGRAMME_ID = {"programme_id": path_id("The twilight series' id.")}


@bp.post("/programmes/<int:programme_id>/book-the-year")
@describe(
    "bookTwilightYear", "Book the year's DSL network twilights", tag="bookings", response=YearBooked,
    errors=(403, 404, 422), path=PROGRAMME_ID, ok=None, created="At least one term was booked or waitlisted.",
    description=(
        "Books the caller on one twilight a term in the area of their organisation, in one transaction: "
        "`booked` while places remain, otherwise `waitlisted`. Terms the caller already has a twilight in, "
        "terms whose booking has closed and terms with no session in their area are listed with a `note`. "
        "Twilights are for school DSLs, deputy DSLs and early years DSLs: anyone else gets a 403 giving the "
        "reason. A caller whose organisation has no area, or for whom nothing could be booked, gets a 422 "
        "saying why. Not a twilight series: 404."
    ),
)
def book_the_year(programme_id: int):
    actor = caller()
    try:
        programme = twilights.get_series(programme_id)
    except NotFound:
        raise ApiError(404, "No twilight series has this id") from None
    problem = twilights.eligibility_problem(actor)
    if problem:
        raise field_error(403, "programme", problem)
    try:
        places = twilights.book_the_year(programme, actor, now=utcnow())
    except (Forbidden, NotFound):
        raise
    except DomainError as error:
        db.session.rollback()
        raise field_error(422, error.field or "programme", error.message) from None
    db.session.commit()
    body = {
        "programme_id": programme.id,
        "places": [With(place, booking=With(place.booking, position=bookings.waiting_position(place.booking))
                        if place.booking is not None else None) for place in places],
    }
    response = jsonify(dump(YearBooked, body))
    response.status_code = 201
    return response
