"""The caller's own learning: e-learning enrolments (list, enrol) and training record.

Also the JSON-body helpers and the enrolment answer that routes/courses.py shares (a
setting lead or an admin enrolling someone else answers in the same shape).
"""
from __future__ import annotations

from datetime import date

from flask import jsonify, request
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import BadRequest

from lms.accounts.models import User
from lms.api import bp
from lms.api.auth import caller
from lms.api.document import BODY_ERRORS, describe
from lms.api.errors import ApiError
from lms.api.fields import With, dump
from lms.api.paging import paginate
from lms.api.schemas import Completion, CompletionPage, EnrolMe, EnrolmentPage, LogExternalCpd, MyEnrolmentArgs
from lms.api.schemas import Enrolment as EnrolmentShape
from lms.catalogue import services as catalogue
from lms.catalogue.models import Course, CourseVersion, Lesson
from lms.core.errors import Conflict, DomainError, Forbidden, NotFound
from lms.core.time import utcnow
from lms.elearning import services as elearning
from lms.elearning.models import Enrolment
from lms.extensions import db
from lms.records.external import services as external
from lms.records import services as records

MAX_CODE_LENGTH = 30  # Course.code


# --- request bodies -------------------------------------------------------------------

def json_object(example: str) -> dict:
    """The request body, which must be a JSON object; otherwise a 400 saying what to send."""
    hint = f"Send a JSON object such as {example} with the header Content-Type: application/json"
    if not request.is_json:
        raise ApiError(400, hint)
    try:
        body = request.get_json()
    except BadRequest:
        raise ApiError(400, f"The request body is not valid JSON. {hint}") from None
    if not isinstance(body, dict):
        raise ApiError(400, f"The request body must be a JSON object, not {_json_kind(body)}. {hint}")
    return body


def _json_kind(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    return "a number"


def field_error(status: int, field: str, message: str) -> ApiError:
    return ApiError(status, message, errors=[{"field": field, "message": message}])


def course_code_field(body: dict) -> str:
    value = body.get("course")
    if value is None or (isinstance(value, str) and not value.strip()):
        raise field_error(422, "course", 'Enter the code of the course to start, as "course", for example "SGE"')
    if not isinstance(value, str) or len(value.strip()) > MAX_CODE_LENGTH:
        raise field_error(422, "course", 'course must be a course code (text), for example "SGE"')
    return value.strip()


def person_id_field(body: dict) -> int:
    value = body.get("person_id")
    if value is None:
        raise field_error(422, "person_id", 'Enter the id of the person to enrol, as "person_id", for example 42')
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise field_error(422, "person_id", "person_id must be a person's id: a whole number, 1 or more")
    return value


# --- enrolling ------------------------------------------------------------------------

def _enrolment_query():
    # Only the lessons' positions are read (to count them), never their bodies.
    return select(Enrolment).options(
        selectinload(Enrolment.course),
        selectinload(Enrolment.version).selectinload(CourseVersion.lessons).load_only(Lesson.position),
    )


def enrol_and_answer(person: User, course: Course, *, actor: User):
    """Enrol `person` and answer with the enrolment: 201 when made now, 200 when they were
    already part-way through the course. Rules the service enforces become 422 on
    `course`; Forbidden stays 403."""
    try:
        enrolment, created = elearning.enrol(person, course, actor=actor, now=utcnow())
    except (Forbidden, NotFound, Conflict):
        raise
    except DomainError as error:
        db.session.rollback()
        raise field_error(422, error.field or "course", error.message) from None
    db.session.commit()
    row = db.session.scalar(_enrolment_query().where(Enrolment.id == enrolment.id))
    response = jsonify(dump(EnrolmentShape, row))
    response.status_code = 201 if created else 200
    return response


@bp.get("/me/enrolments")
@describe("listMyEnrolments", "The caller's e-learning enrolments, newest first", tag="learning",
          response=EnrolmentPage, query=MyEnrolmentArgs, paged=True, errors=(400,))
def my_enrolments():
    status = MyEnrolmentArgs.parse()["status"]
    statuses = [status] if status else ["in-progress", "completed"]  # never withdrawn ones
    query = (
        _enrolment_query()
        .where(Enrolment.user_id == caller().id, Enrolment.status.in_(statuses))
        .order_by(Enrolment.enrolled_at.desc(), Enrolment.id.desc())
    )
    return jsonify(dump(EnrolmentPage, paginate(query)))


@bp.post("/me/enrolments")
@describe(
    "enrolMe", "Start an e-learning course", tag="learning", response=EnrolmentShape, errors=(400, 404, 422),
    body=EnrolMe, body_description='The course to start, e.g. {"course": "SGE"}.', created="Enrolled now.",
    ok="Already part-way through the course: the existing enrolment (no second one is made).",
    description=(
        "An unknown or retired course is a 404 naming the `course` field; a course that is not "
        "e-learning is a 422. " + BODY_ERRORS
    ),
)
def enrol_me():
    me = caller()
    code = course_code_field(json_object('{"course": "SGE"}'))
    try:
        course = catalogue.get_course(code)
    except NotFound as error:
        raise field_error(404, "course", error.message) from None
    return enrol_and_answer(me, course, actor=me)


# --- the training record --------------------------------------------------------------

@bp.get("/me/completions")
@describe(
    "listMyCompletions", "The caller's training record, newest first", tag="learning", response=CompletionPage,
    paged=True, errors=(400,),
    description=(
        "Every completion: e-learning, session attendance, external CPD the caller logged "
        "(self_reported) and history imported from a previous system."
    ),
)
def my_completions():
    # One page of completions, then the course codes of that page in one statement.
    page = paginate(records.list_completions(caller()))
    course_ids = {row.course_id for row in page["items"] if row.course_id is not None}
    codes: dict[int, str] = {}
    if course_ids:
        codes = dict(db.session.execute(select(Course.id, Course.code).where(Course.id.in_(course_ids))).all())
    details = external.external_by_completion(row.id for row in page["items"] if row.source == external.SOURCE)
    page["items"] = [With(row, course_code=codes.get(row.course_id), external=details.get(row.id))
                     for row in page["items"]]
    return jsonify(dump(CompletionPage, page))


# --- external CPD ---------------------------------------------------------------------

EXTERNAL_EXAMPLE = ('{"title": "DSL refresher", "provider": "County council", "completed_on": "2026-10-14", '
                    '"cpd_hours": 3, "requirement_codes": ["dsl-annual-update"]}')


def _iso_date_field(body: dict, name: str):
    value = body.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise field_error(422, name, f"{name} must be a date written YYYY-MM-DD, for example 2026-10-14")
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise field_error(422, name, f"{name} must be a real date written YYYY-MM-DD, for example 2026-10-14") from None


@bp.post("/me/external-cpd")
@describe(
    "logMyExternalCpd", "Add external CPD to the caller's training record", tag="learning", response=Completion,
    errors=(400, 422), body=LogExternalCpd, body_description="The training done elsewhere.",
    ok="Not used: a new entry is always a 201.", created="Added to the record, self-reported.",
    description=(
        "Training done elsewhere (a local authority course, a conference, another provider's online "
        "course), recorded as self-reported with source and delivery_mode external. It counts towards "
        "the requirements named at once; a setting lead of the caller's organisation may verify it on "
        "the website, where an evidence file can also be added. " + BODY_ERRORS
    ),
)
def log_my_external_cpd():
    """Add external CPD to the caller's record (self-reported; no evidence file here)."""
    me = caller()
    body = json_object(EXTERNAL_EXAMPLE)
    codes = body.get("requirement_codes", [])
    if codes is None:
        codes = []
    if not isinstance(codes, list):
        raise field_error(422, "requirement_codes", "requirement_codes must be a list of requirement codes")
    for name in ("title", "provider", "note"):
        if body.get(name) is not None and not isinstance(body[name], str):
            raise field_error(422, name, f"{name} must be text")
    values = external.ExternalValues(
        title=body.get("title"),
        provider=body.get("provider"),
        completed_on=_iso_date_field(body, "completed_on"),
        hours=body.get("cpd_hours"),
        requirement_codes=codes,
        note=body.get("note"),
    )
    try:
        activity = external.log_external(me, values, now=utcnow())
    except DomainError as error:
        db.session.rollback()
        raise field_error(422, error.field or "title", error.message) from None
    db.session.commit()
    response = jsonify(dump(Completion, With(activity.completion, course_code=None, external=activity)))
    response.status_code = 201
    return response
