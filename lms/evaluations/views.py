"""Evaluation pages: a person fills in the evaluation of a course they completed; trainers
and admins see every course's summary for a period, with a CSV of the figures. A session's
summary, for its trainers, is in courses.sessions."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from lms.core.db_routing import reads_reports
from lms.catalogue.models import Course
from lms.core.auth import actor, login_required, trainer_required
from lms.core.errors import DomainError
from lms.core.forms import fail, read_period
from lms.core.tables import attachment, to_csv
from lms.core.time import london_today, utcnow
from lms.evaluations import services
from lms.evaluations.forms import EvaluationForm
from lms.evaluations.models import CONFIDENCE, SATISFACTION, SKILLS
from lms.extensions import db

bp = Blueprint("evaluations", __name__, template_folder="templates")
bp.register_blueprint(__import__("lms.evaluations.followup.views", fromlist=["bp"]).bp)  # impact follow-up


@bp.route("/evaluations/<int:completion_id>", methods=["GET", "POST"])
@login_required
def evaluate(completion_id: int):
    completion = services.get_to_evaluate(actor(), completion_id)
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
                certificate = services.submit(completion, answers, actor=actor(), now=utcnow())
            except DomainError as error:
                fail(error, form, "satisfaction")
            else:
                db.session.commit()
                flash("Thank you for your evaluation. Your certificate is ready.", "success")
                return redirect(url_for("certificates.show", code=certificate.code))
    status = 400 if request.method == "POST" else 200
    return render_template("evaluations/form.html", form=form, completion=completion), status


# --- trainers and admins ---------------------------------------------------------------------------

def _labels() -> dict:
    return {"satisfaction_labels": SATISFACTION, "skills_labels": SKILLS, "confidence_labels": CONFIDENCE}


@bp.get("/evaluations")
@trainer_required
@reads_reports
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


CSV_HEADER = ["Course code", "Course", "Responses", "Satisfied %", "Skills improved %",
              "Confidence before (1-5)", "Confidence after (1-5)", "More confident %"]


def _csv(rows, form):
    """The figures by course; course titles are written so a spreadsheet never runs one."""
    body = to_csv(CSV_HEADER, (
        [course.code, course.title, summary.responses, summary.satisfaction_percent, summary.skills_percent,
         summary.confidence_before, summary.confidence_after, summary.more_confident_percent]
        for course, summary in rows
    ), bom=False)
    period = form.as_args()
    return attachment(body, "csv", f"evaluations-{period['from']}-to-{period['to']}.csv")
