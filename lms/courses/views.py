"""A course's public page, composing the catalogue (the course and what it counts
towards), e-learning (its lessons, and a start or continue button) and bookings (its next
dates, from lms.bookings.queries.upcoming_sessions_for)."""
from __future__ import annotations

from flask import Blueprint, abort, render_template
from sqlalchemy import bindparam, exists, func, literal_column, select, union_all

from lms.bookings.queries import upcoming_sessions_for
from lms.catalogue import services as catalogue
from lms.catalogue.models import Course, CourseInterest, CourseVersion, Lesson, course_job_role, course_sector
from lms.core.auth import actor
from lms.core.time import utcnow
from lms.courses.sessions.views import bp as sessions_bp
from lms.elearning.models import Enrolment
from lms.extensions import db
from lms.organisations.models import JobRole, Sector

bp = Blueprint("courses", __name__, template_folder="templates")
bp.register_blueprint(sessions_bp)


@bp.get("/courses/<code>")
def course(code: str):
    """A course's page: its details, then its lessons and a start or continue button
    (e-learning) or its next dates and "tell me when there are dates" (other modes). Three
    statements after the session check, whoever asks (the course, its details, then its
    lessons or its dates): see _course_statements."""
    statements = _course_statements()
    viewer = actor()
    person_id = viewer.id if viewer is not None else None
    found = db.session.execute(statements["course"], {"code": code, "person_id": person_id}).first()
    if found is None:
        abort(404)
    course = found.Course
    sectors: list[str] = []
    roles: list[str] = []
    names = dict(catalogue.REQUIREMENTS)
    for kind, name, requirement_code in db.session.execute(statements["details"], {"course_id": course.id}):
        if kind == 0:
            sectors.append(name)
        elif kind == 1:
            roles.append(name)
        else:
            names[requirement_code] = name
    version = None
    if course.delivery_mode == "elearning":
        lessons = db.session.execute(statements["lessons"], {"course_id": course.id}).all()
        if lessons:
            version = {
                "pass_mark": lessons[0].pass_mark,
                "question_count": lessons[0].question_count,
                "lessons": [row for row in lessons if row.title is not None],
            }
    return render_template(
        "courses/course.html", course=course, sectors=sectors, roles=roles,
        requirements=[names.get(requirement, requirement) for requirement in course.requirement_codes or []],
        version=version, enrolment_id=found.enrolment_id, interested=bool(found.interested),
        dates=upcoming_sessions_for(course, viewer, now=utcnow()) if course.delivery_mode != "elearning" else None,
    )


_COURSE_STATEMENTS: dict = {}


def _course_statements() -> dict:
    """The course page's statements, built once and then run with new parameters:

    - "course": the active course by code, with the signed-in person's in-progress
      enrolment on it (its id) and whether they asked to hear about dates (none for a
      visitor: person_id is NULL);
    - "details": its audience's sector names, then job role names (each in their order),
      then every requirement's name by code (the partnership may rename or add them);
    - "lessons": its latest version's pass mark and number of questions with each lesson's
      title and minutes, in order (no rows when it has no version yet).
    """
    if not _COURSE_STATEMENTS:
        person_id = bindparam("person_id", type_=db.Integer)
        enrolment = (
            select(Enrolment.id)
            .where(Enrolment.user_id == person_id, Enrolment.course_id == Course.id, Enrolment.status == "in-progress")
            .order_by(Enrolment.id)
            .limit(1)
            .correlate(Course)
            .scalar_subquery()
        )
        interested = exists().where(CourseInterest.course_id == Course.id, CourseInterest.user_id == person_id)
        _COURSE_STATEMENTS["course"] = select(
            Course, enrolment.label("enrolment_id"), interested.label("interested")
        ).where(Course.code == bindparam("code"), Course.active.is_(True))

        course_id = bindparam("course_id", type_=db.Integer)
        requirement = db.metadata.tables["requirement"]
        details = union_all(
            select(literal_column("0").label("kind"), Sector.position.label("position"), Sector.id.label("id"),
                   Sector.name.label("name"), Sector.code.label("code"))
            .join(course_sector, course_sector.c.sector_id == Sector.id)
            .where(course_sector.c.course_id == course_id),
            select(literal_column("1"), JobRole.position, JobRole.id, JobRole.name, JobRole.code)
            .join(course_job_role, course_job_role.c.job_role_id == JobRole.id)
            .where(course_job_role.c.course_id == course_id),
            select(literal_column("2"), literal_column("0"), literal_column("0"), requirement.c.name, requirement.c.code),
        ).subquery()
        _COURSE_STATEMENTS["details"] = select(details.c.kind, details.c.name, details.c.code).order_by(
            details.c.kind, details.c.position, details.c.id
        )

        latest = (
            select(CourseVersion.id).where(CourseVersion.course_id == course_id)
            .order_by(CourseVersion.number.desc()).limit(1).scalar_subquery()
        )
        _COURSE_STATEMENTS["lessons"] = (
            select(
                CourseVersion.pass_mark, func.json_array_length(CourseVersion.questions).label("question_count"),
                Lesson.title, Lesson.minutes,
            )
            .select_from(CourseVersion)
            .outerjoin(Lesson, Lesson.version_id == CourseVersion.id)
            .where(CourseVersion.id == latest)
            .order_by(Lesson.position)
        )
    return _COURSE_STATEMENTS
