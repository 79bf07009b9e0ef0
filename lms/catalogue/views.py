"""The public catalogue: every course with filters, and a page per course."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import SelectChoice

from lms.catalogue import services
from lms.catalogue.forms import ButtonForm, CatalogueFilterForm
from lms.catalogue.models import Course
from lms.core.errors import DomainError, NotFound
from lms.core.time import utcnow
from lms.extensions import db
from lms.organisations.models import JobRole, Sector

bp = Blueprint("catalogue", __name__, template_folder="templates")


@bp.get("/courses")
def index():
    form = CatalogueFilterForm(request.args)
    form.sector.choices = [SelectChoice("", "Any sector")] + [
        SelectChoice(s.code, s.name) for s in db.session.scalars(select(Sector).where(Sector.code != "public").order_by(Sector.position))
    ]
    form.job_role.choices = [SelectChoice("", "Any job role")] + [
        SelectChoice(r.code, r.name) for r in db.session.scalars(select(JobRole).where(JobRole.active.is_(True)).order_by(JobRole.position))
    ]
    filters = services.CourseFilters(
        keyword=(form.keyword.data or "").strip()[:100],
        modes=[m for m in (form.mode.data or []) if m],
        levels=[int(level) for level in (form.level.data or []) if level.isdigit()],
        sector=form.sector.data or None,
        job_role=form.job_role.data or None,
    )
    courses = list(db.session.scalars(services.list_courses(filters).options(selectinload(Course.audience_sectors))))
    return render_template(
        "catalogue/index.html", filter_form=form, courses=courses,
        filtered=any([filters.keyword, filters.modes, filters.levels, filters.sector, filters.job_role]),
    )


@bp.get("/courses/<code>")
def course(code: str):
    try:
        course = services.get_course(code)
    except NotFound:
        abort(404)
    enrolment = interested = None
    if current_user.is_authenticated:
        if course.delivery_mode == "elearning":
            from lms.elearning.services import current_enrolment  # the page offers to start or continue

            enrolment = current_enrolment(current_user, course)
        else:
            interested = services.is_interested(current_user, course)
    version = services.latest_version(course) if course.delivery_mode == "elearning" else None
    return render_template(
        "catalogue/course.html", course=course, version=version, enrolment=enrolment, interested=interested,
        button=ButtonForm(),
    )


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
