"""The course catalogue (any caller may read it) and enrolling someone on an e-learning
course (a setting lead their own staff, an admin anyone).

Retired courses are neither listed nor found. Course details never include quiz answers,
feedback or lesson bodies (see serialise.course_detail)."""
from __future__ import annotations

from flask import jsonify, request
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms.accounts import services as accounts
from lms.api import bp, serialise, services
from lms.api.auth import caller
from lms.api.errors import ApiError, InvalidParameter
from lms.api.params import paginate, text_arg
from lms.api.routes.learning import enrol_and_answer, field_error, json_object, person_id_field
from lms.catalogue import services as catalogue
from lms.catalogue.models import DELIVERY_MODES, LEVELS, Course, CourseVersion, Lesson
from lms.extensions import db
from lms.organisations.models import JobRole, Sector

MAX_LIST_VALUES = 20


def list_arg(name: str) -> list[str]:
    """A parameter given several times (mode=a&mode=b), as a comma list (mode=a,b), or both."""
    values = [part.strip() for raw in request.args.getlist(name) for part in raw.split(",")]
    values = [value for value in values if value]
    if len(values) > MAX_LIST_VALUES:
        raise InvalidParameter(name, f"{name} may be given at most {MAX_LIST_VALUES} times")
    return list(dict.fromkeys(values))


def mode_args() -> list[str]:
    modes = list_arg("mode")
    for mode in modes:
        if mode not in DELIVERY_MODES:
            raise InvalidParameter(
                "mode", f"mode must be a delivery mode code ({', '.join(DELIVERY_MODES)}); “{mode[:40]}” is not one"
            )
    return modes


def level_args() -> list[int]:
    levels = list_arg("level")
    allowed = [str(level) for level in LEVELS]
    for level in levels:
        if level not in allowed:
            raise InvalidParameter("level", f"level must be {', '.join(allowed[:-1])} or {allowed[-1]}")
    return [int(level) for level in levels]


def code_arg(name: str, model, what: str) -> str | None:
    code = text_arg(name, max_length=40)
    if code is not None and db.session.scalar(select(model.id).where(model.code == code)) is None:
        raise InvalidParameter(name, f"{name} must be a {what} code; no {what} has the code “{code}”")
    return code


@bp.get("/courses")
def courses():
    filters = catalogue.CourseFilters(
        keyword=text_arg("q") or "",
        modes=mode_args(),
        levels=level_args(),
        sector=code_arg("sector", Sector, "sector"),
        job_role=code_arg("job_role", JobRole, "job role"),
    )
    # Titles may repeat, so the id keeps the pages' order stable.
    query = catalogue.list_courses(filters).options(
        selectinload(Course.audience_sectors), selectinload(Course.audience_roles)
    )
    return jsonify(paginate(query.order_by(Course.id), serialise.course))


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
def course(code: str):
    row = catalogue.get_course(code)  # NotFound (404) for an unknown or retired course
    version = outline_version(row) if row.delivery_mode == "elearning" else None
    return jsonify(serialise.course_detail(row, version))


@bp.post("/courses/<code>/enrolments")
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
