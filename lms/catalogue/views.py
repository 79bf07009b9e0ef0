"""The public catalogue: every course with filters, and a page per course."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from lms.bookings.queries import upcoming_sessions_for
from lms.catalogue import services
from lms.catalogue.forms import LEVEL_CHOICES, MODE_CHOICES, ButtonForm, CatalogueQuery
from lms.core.auth import actor
from lms.core.errors import DomainError, NotFound
from lms.core.pagination import page_href
from lms.core.time import utcnow
from lms.extensions import db

bp = Blueprint("catalogue", __name__, template_folder="templates")


@bp.get("/courses")
def index():
    query = CatalogueQuery.from_args(request.args)
    filters = services.CourseFilters(
        keyword=query.keyword,
        modes=list(query.modes),
        levels=[int(level) for level in query.levels],
        sector=query.sector or None,
        job_role=query.job_role or None,
    )
    listing = services.catalogue_listing(filters, page=query.page)
    page = listing.page
    return render_template(
        "catalogue/index.html", query=query, page=page, sectors=listing.sectors, job_roles=listing.job_roles,
        mode_choices=MODE_CHOICES, level_choices=LEVEL_CHOICES, course_href_prefix=_course_href_prefix(),
        page_links=_page_links(page, query),
    )


def _course_href_prefix() -> str:
    """The link to a course page without the code at its end (the template adds each
    course's code, quoted): url_for once per request rather than once per course listed."""
    return url_for("catalogue.course", code="CODE").removesuffix("CODE")


def _page_links(page, query: CatalogueQuery) -> dict | None:
    """GOV.UK pagination parameters, each link keeping the filters; None when one page holds all."""
    args = query.query_args()
    return page.govuk_pagination(page_href("catalogue.index", args, anchor="results"), label="Course pages")


@bp.get("/courses/<code>")
def course(code: str):
    """A course's page: its details, then its lessons and a start or continue button
    (e-learning) or its next dates and "tell me when there are dates" (other modes). Three
    statements after the session check, whoever asks (the course, its details, then its
    lessons or its dates): see _course_statements."""
    statements = _course_statements()
    person_id = current_user.id if current_user.is_authenticated else None
    found = db.session.execute(statements["course"], {"code": code, "person_id": person_id}).first()
    if found is None:
        abort(404)
    course = found.Course
    sectors: list[str] = []
    roles: list[str] = []
    names = dict(services.REQUIREMENTS)
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
        "catalogue/course.html", course=course, sectors=sectors, roles=roles,
        requirements=[names.get(requirement, requirement) for requirement in course.requirement_codes or []],
        version=version, enrolment_id=found.enrolment_id, interested=bool(found.interested),
        dates=upcoming_sessions_for(course, actor(), now=utcnow()) if course.delivery_mode != "elearning" else None,
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
        from sqlalchemy import bindparam, exists, func, literal_column, select, union_all

        from lms.catalogue.models import Course, CourseInterest, CourseVersion, Lesson, course_job_role, course_sector
        from lms.elearning.models import Enrolment
        from lms.organisations.models import JobRole, Sector

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


@bp.post("/courses/<code>/interest")
@login_required
def register_interest(code: str):
    try:
        course = services.get_course(code)
    except NotFound:
        abort(404)
    form = ButtonForm()
    if form.validate_on_submit():
        try:
            added = services.register_interest(current_user, course, now=utcnow())
        except DomainError as error:
            flash(error.message, "info")
        else:
            db.session.commit()
            flash(
                "We will email you when dates are planned." if added else "You are already on the list for this course.",
                "success",
            )
    return redirect(url_for("catalogue.course", code=course.code))
