"""Follow-up pages (evaluations.followup.*): the person answers through the emailed link
without signing in, or from their account; trainers and admins see the results by course
with the response rate, beside the evaluations."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from lms.catalogue.models import Course
from lms.core.auth import actor, login_required, trainer_required
from lms.core.errors import DomainError
from lms.core.forms import attempt, fail, read_period
from lms.core.time import london_today, utcnow
from lms.evaluations.followup import services
from lms.evaluations.followup.forms import FollowUpForm
from lms.evaluations.followup.models import USED
from lms.extensions import db

bp = Blueprint("followup", __name__, template_folder="templates")


def _page(row, form, *, action, status=200):
    return render_template("evaluations/followup/answer.html", followup=row, form=form, action=action), status


def _answer(row, action):
    if row.answered_at is not None:
        return render_template("evaluations/followup/done.html", followup=row)
    form = FollowUpForm()
    if request.method == "POST" and form.validate_on_submit():
        done, _ = attempt(form, lambda: services.answer(row, form.used.data, form.how.data or "", now=utcnow()),
                          default_field="used")
        if done:
            return render_template("evaluations/followup/done.html", followup=row, thanks=True)
    return _page(row, form, action=action, status=400 if request.method == "POST" else 200)


@bp.route("/follow-up/<token>", methods=["GET", "POST"])
def answer(token: str):
    """Answer through the emailed link: the token is the key, no sign-in needed."""
    try:
        row = services.by_token(token)
    except DomainError as error:
        fail(error)
        raise
    return _answer(row, url_for("evaluations.followup.answer", token=token))


@bp.route("/my-training/follow-up/<int:followup_id>", methods=["GET", "POST"])
@login_required
def answer_own(followup_id: int):
    """Answer signed in: only the person's own follow-up, once it has been sent."""
    try:
        row = services.get_own(actor(), followup_id)
    except DomainError as error:
        fail(error)
        raise
    return _answer(row, url_for("evaluations.followup.answer_own", followup_id=followup_id))


@bp.get("/evaluations/follow-up")
@trainer_required
def results():
    """Follow-up results by course for training attended in a period, with response rates."""
    now = utcnow()
    form, valid = read_period(request.args, london_today(now))
    if not valid:
        return render_template("evaluations/followup/results.html", form=form, rows=[], overall=None), 400
    start, end = form.start.data, form.end.data
    by_course = services.course_results(start=start, end=end)
    courses = {course.id: course for course in db.session.scalars(select(Course).where(Course.id.in_(list(by_course) or [0])))}
    rows = sorted(((courses[cid], found) for cid, found in by_course.items() if cid in courses),
                  key=lambda pair: pair[0].title.lower())
    return render_template("evaluations/followup/results.html", form=form, rows=rows,
                           overall=services.results(start=start, end=end, hows=20), labels=USED)


@bp.app_template_global()
def followup_results(course=None, start=None, end=None):
    """The follow-up figures shown beside a course's evaluations (evaluations summary)."""
    return services.results(course_id=course.id if course is not None else None, start=start, end=end, hows=10)
