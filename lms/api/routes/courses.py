"""The course catalogue (any caller may read it) and enrolling someone on an e-learning
course (a setting lead their own staff, an admin anyone).

Retired courses are neither listed nor found. Course details never include quiz answers,
feedback or lesson bodies (see lms.api.schemas.CourseDetail)."""
from __future__ import annotations

from flask import jsonify
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms.accounts import services as accounts
from lms.api import bp, services
from lms.api.auth import caller
from lms.api.document import BODY_ERRORS, describe, path_text
from lms.api.errors import ApiError
from lms.api.fields import With, dump
from lms.api.paging import paginate
from lms.api.routes.learning import enrol_and_answer, field_error, json_object, person_id_field
from lms.api.schemas import CourseArgs, CourseDetail, CoursePage, Enrolment, EnrolPerson
from lms.catalogue import services as catalogue
from lms.catalogue.models import Course, CourseVersion, Lesson
from lms.extensions import db

COURSE_CODE = {"code": path_text("The course's code, e.g. SGE.", 30)}


@bp.get("/courses")
@describe(
    "listCourses", "Courses in the catalogue, by title", tag="courses", response=CoursePage,
    query=CourseArgs, paged=True, errors=(400,),
    description=(
        "Any caller may list the catalogue. Retired courses are not listed. Filters combine with "
        "\"and\"; values of one repeated filter with \"or\". A course with no audience is for everyone, "
        "so it matches every sector and job role. Unknown codes are a 400 naming the parameter."
    ),
)
def courses():
    args = CourseArgs.parse()
    filters = catalogue.CourseFilters(
        keyword=args["q"] or "", modes=args["mode"], levels=args["level"], sector=args["sector"],
        job_role=args["job_role"],
    )
    # Titles may repeat, so the id keeps the pages' order stable.
    query = catalogue.list_courses(filters).options(
        selectinload(Course.audience_sectors), selectinload(Course.audience_roles)
    )
    return jsonify(dump(CoursePage, paginate(query.order_by(Course.id))))


def outline_version(course: Course) -> CourseVersion | None:
    """The course's latest version (as catalogue.latest_version) with only what an outline
    shows of its lessons: their bodies are not even read."""
    return db.session.scalar(
        select(CourseVersion)
        .where(CourseVersion.course_id == course.id)
        .options(selectinload(CourseVersion.lessons).load_only(Lesson.position, Lesson.title, Lesson.minutes))
        .order_by(CourseVersion.number.desc())
        .limit(1)
    )


@bp.get("/courses/<code>")
@describe(
    "getCourse", "One course, with an outline of its e-learning content", tag="courses", response=CourseDetail,
    errors=(404,), path=COURSE_CODE,
    description=(
        "Lessons are given by title and length only, and the quiz by its size and pass mark: never "
        "the lessons' text or the quiz's questions and answers. 404 for an unknown or retired course."
    ),
)
def course(code: str):
    row = catalogue.get_course(code)  # NotFound (404) for an unknown or retired course
    version = outline_version(row) if row.delivery_mode == "elearning" else None
    return jsonify(dump(CourseDetail, With(row, outline=version)))


@bp.post("/courses/<code>/enrolments")
@describe(
    "enrolPerson", "Enrol someone on an e-learning course", tag="learning", response=Enrolment,
    errors=(400, 403, 404, 422), path=COURSE_CODE,
    body=EnrolPerson, body_description='The person to enrol, e.g. {"person_id": 42}.',
    created="Enrolled now.",
    ok="Already enrolled and part-way through: the existing enrolment (no second one is made).",
    description=(
        "A setting lead may enrol the staff of the organisations they lead, an admin anyone, "
        "anyone themselves. Other callers get a 403; a person the caller may not see is a 404, "
        "as is an unknown or retired course. A course that is not e-learning, or a closed "
        "account, is a 422. " + BODY_ERRORS
    ),
)
def enrol_person(code: str):
    actor = caller()
    row = catalogue.get_course(code)
    person_id = person_id_field(json_object('{"person_id": 42}'))
    if person_id != actor.id and not (actor.is_admin or accounts.led_organisation_ids(actor)):
        raise ApiError(403, "Only setting leads (for their own staff) and admins can enrol other people")
    person = services.get_visible_person(actor, person_id)
    if person is None:  # the same answer whether the person is missing or hidden from the caller
        raise field_error(404, "person_id", "No person has this id")
    if not person.active:
        raise field_error(422, "person_id", f"{person.full_name}'s account has been closed, so they cannot be enrolled")
    return enrol_and_answer(person, row, actor=actor)
