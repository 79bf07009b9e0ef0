"""Programmes (DESIGN.md 8a): the DSL network twilight series and Safeguarding Week, read
by anyone with a token. A series gives its terms, topics and sessions (book one with
POST /sessions/{id}/bookings, or the year with POST /programmes/{id}/book-the-year); a
week gives its days and events. Materials for those who attended a twilight are never
included."""
from __future__ import annotations

from flask import jsonify
from sqlalchemy import select

from lms.api import bp
from lms.api.document import describe, path_id
from lms.api.errors import ApiError
from lms.api.fields import dump
from lms.api.paging import paginate
from lms.api.schemas.programmes import ProgrammeDetail, ProgrammePage
from lms.core.time import utcnow
from lms.extensions import db
from lms.programmes.models import Programme
from lms.programmes.twilights import services as twilights
from lms.programmes.week import services as week


@bp.get("/programmes")
@describe(
    "listProgrammes", "Twilight series and Safeguarding Weeks, latest first", tag="programmes",
    response=ProgrammePage, paged=True,
    description="Every programme, the latest first: a twilight series per school year and a Safeguarding Week a year.",
)
def programmes():
    query = select(Programme).order_by(Programme.starts_on.desc(), Programme.id.desc())
    return jsonify(dump(ProgrammePage, paginate(query)))


@bp.get("/programmes/<int:programme_id>")
@describe(
    "getProgramme", "One programme with its terms or days and their sessions", tag="programmes",
    response=ProgrammeDetail, errors=(404,), path={"programme_id": path_id("The programme's id.")},
    description=(
        "A twilight series gives `terms` (each with its topic and a session per area, with places left); a "
        "Safeguarding Week gives `days` (each with its events: kind, organiser, audience, places left or "
        "drop-in). The other list is empty."
    ),
)
def programme(programme_id: int):
    row = db.session.get(Programme, programme_id)
    if row is None:
        raise ApiError(404, "No programme has this id")
    if row.kind == twilights.KIND:
        detail = {"theme": None, "lead_boards": [], "description": None, "days": [], **twilights.series_detail(row)}
    else:
        detail = {"summary": row.summary, "terms": [], **week.week_detail(row, now=utcnow())}
    return jsonify(dump(ProgrammeDetail, detail))
