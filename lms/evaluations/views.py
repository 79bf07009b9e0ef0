"""Evaluation pages: a person fills in the evaluation of a course they completed; trainers
see a session's summary; trainers and admins see every course's summary for a period, with
a CSV of the figures."""
from __future__ import annotations

import csv
import io

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from lms.bookings import formatting
from lms.bookings.access import managed_session
from lms.catalogue.models import Course
from lms.core.auth import login_required, trainer_required
from lms.core.errors import DomainError, NotFound
from lms.core.forms import apply_domain_error, read_period
from lms.core.time import london_today, utcnow
from lms.evaluations import services
from lms.evaluations.forms import EvaluationForm
from lms.evaluations.models import CONFIDENCE, SATISFACTION, SKILLS
from lms.extensions import db

bp = Blueprint("evaluations", __name__, template_folder="templates")


def _actor():
    return current_user._get_current_object()


@bp.route("/evaluations/<int:completion_id>", methods=["GET", "POST"])
@login_required
def evaluate(completion_id: int):
    try:
        completion = services.get_to_evaluate(_actor(), completion_id)
    except NotFound:
        abort(404)
    if services.evaluation_for(completion.id) is not None:
        flash("You have already evaluated this training. Thank you.", "info")
        return redirect(url_for("certificates.mine"))
    form = EvaluationForm()
    if request.method == "POST" and form.validate_on_submit():
        answers = form.answers()
        errors = services.problems(answers)
        for name, message in errors.items():
            getattr(form, name).errors = list(getattr(form, name).errors or []) + [message]
        if not errors:
            try:
                certificate = services.submit(completion, answers, actor=_actor(), now=utcnow())
            except DomainError as error:
                db.session.rollback()
                apply_domain_error(form, error, "satisfaction")
            else:
                db.session.commit()
                flash("Thank you for your evaluation. Your certificate is ready.", "success")
                return redirect(url_for("certificates.show", code=certificate.code))
    status = 400 if request.method == "POST" else 200
    return render_template("evaluations/form.html", form=form, completion=completion), status


# --- trainers ------------------------------------------------------------------------------------

@bp.get("/manage/sessions/<int:session_id>/evaluations")
@trainer_required
def session_summary(session_id: int):
    session = managed_session(session_id, _actor())
    summary = services.summarise(services.Filters(training_session_id=session.id))
    return render_template(
        "evaluations/session.html", training_session=session, summary=summary,
        waiting=len(services.session_waiting(session)) if session.course.asks_for_evaluation else None,
        when=formatting.session_when(session), **_labels(),
    )


def _labels() -> dict:
    return {"satisfaction_labels": SATISFACTION, "skills_labels": SKILLS, "confidence_labels": CONFIDENCE}


@bp.get("/evaluations")
@trainer_required
def summary():
    """Every course's evaluations in a period (this financial quarter so far by default),
    or one course's in full."""
    now = utcnow()
    form, valid = read_period(request.args, london_today(now))
    code = (request.args.get("course") or "").strip()[:30]
    course = db.session.scalar(select(Course).where(Course.code == code)) if code else None
    if code and course is None:
        abort(404)
    if not valid:
        return render_template("evaluations/summary.html", form=form, course=None, rows=[], summary=None,
                               csv_url=None, **_labels()), 400
    filters = services.Filters(date_from=form.start.data, date_to=form.end.data,
                               course_id=course.id if course else None)
    if request.args.get("format") == "csv":
        return _csv(services.course_rows(filters), form)
    return render_template(
        "evaluations/summary.html", form=form, course=course,
        rows=[] if course else services.course_rows(filters),
        summary=services.summarise(filters) if course else None,
        period=form.as_args(),
        csv_url=url_for("evaluations.summary", format="csv", **form.as_args()),
        **_labels(),
    )


def _text(value) -> str:
    return "" if value is None else str(value)


def _csv(rows, form):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["Course code", "Course", "Responses", "Satisfied %", "Skills improved %",
                     "Confidence before (1-5)", "Confidence after (1-5)", "More confident %"])
    for course, summary in rows:
        writer.writerow([course.code, course.title, summary.responses, _text(summary.satisfaction_percent),
                         _text(summary.skills_percent), _text(summary.confidence_before),
                         _text(summary.confidence_after), _text(summary.more_confident_percent)])
    response = make_response(buffer.getvalue())
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    period = form.as_args()
    response.headers["Content-Disposition"] = f'attachment; filename="evaluations-{period["from"]}-to-{period["to"]}.csv"'
    return response
