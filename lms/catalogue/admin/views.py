"""Admin pages for courses: the list of every course, and adding or changing the courses
run on dates (face-to-face, virtual, outreach, twilight, event). E-learning courses are
listed with a note that their folder is where they change. Partnership admins only."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from wtforms import SelectChoice

from lms.catalogue.admin import services as admin
from lms.catalogue.admin.forms import CourseForm
from lms.catalogue.models import DELIVERY_MODES, LEVELS, Course
from lms.catalogue.services import requirement_names
from lms.core.auth import actor, admin_required
from lms.core.errors import DomainError
from lms.core.forms import fail
from lms.core.time import utcnow
from lms.extensions import db
from lms.organisations.models import JobRole, Sector

# Nested in the catalogue's blueprint: endpoints catalogue.admin.*.
bp = Blueprint("admin", __name__, url_prefix="/admin/courses", template_folder="templates")


def _choices(form: CourseForm) -> None:
    form.delivery_mode.choices = [SelectChoice(mode, name) for mode, name in admin.MODE_NAMES.items()]
    form.level.choices = [SelectChoice(str(level), f"Level {level}: {name}") for level, name in LEVELS.items()]
    form.sector_codes.choices = [
        SelectChoice(s.code, s.name) for s in db.session.scalars(select(Sector).order_by(Sector.position))
    ]
    form.job_role_codes.choices = [
        SelectChoice(r.code, r.name)
        for r in db.session.scalars(select(JobRole).where(JobRole.active.is_(True)).order_by(JobRole.position))
    ]
    form.requirement_codes.choices = [SelectChoice(code, name) for code, name in requirement_names().items()]


def _save(form: CourseForm, course: Course | None):
    """Make or change the course from the posted form; the page again (400) if the
    service refuses it, with its message on the field it names."""
    try:
        if course is None:
            course = admin.create_course(form.values(), actor=actor(), now=utcnow())
            message = f"Course {course.code} added"
        else:
            changed = admin.update_course(course, form.values(), actor=actor(), now=utcnow())
            message = f"Course {course.code} saved" if changed else "Nothing had changed"
    except DomainError as error:
        fail(error, form, default_field="title")
        return None
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("catalogue.admin.index"))


@bp.get("/")
@admin_required
def index():
    return render_template("catalogue/admin/list.html", courses=admin.list_all(), modes=DELIVERY_MODES)


@bp.route("/new", methods=["GET", "POST"])
@admin_required
def create():
    form = CourseForm()
    _choices(form)
    if request.method == "GET":
        form.active.data = True
    elif form.validate():
        done = _save(form, None)
        if done is not None:
            return done
    return render_template("catalogue/admin/form.html", form=form, course=None), 400 if form.errors else 200


@bp.route("/<code>/edit", methods=["GET", "POST"])
@admin_required
def edit(code: str):
    course = db.session.scalar(select(Course).where(Course.code == code))
    if course is None:
        abort(404)
    if course.managed_by == "files":
        return render_template("catalogue/admin/from_files.html", course=course), 409
    form = CourseForm()
    _choices(form)
    if request.method == "GET":
        form.fill(admin.values_of(course))
    else:
        form.code.data = course.code  # never changed here
        if form.validate():
            done = _save(form, course)
            if done is not None:
                return done
    return render_template("catalogue/admin/form.html", form=form, course=course), 400 if form.errors else 200
