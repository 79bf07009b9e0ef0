"""The learner's pages (My learning, lessons, quiz); a setting lead's pages are the staff
sub-feature (elearning.staff.*), nested in this blueprint."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from lms.catalogue import services as catalogue
from lms.catalogue.forms import ButtonForm
from lms.core.auth import actor, login_required
from lms.core.errors import DomainError
from lms.core.time import utcnow
from lms.elearning import services
from lms.elearning.scorm import services as scorm
from lms.elearning.scorm.views import bp as scorm_bp
from lms.elearning.staff.views import bp as staff_bp
from lms.extensions import db
from lms.records.external.services import external_by_completion
from lms.records.services import list_completions

bp = Blueprint("elearning", __name__, template_folder="templates")
bp.register_blueprint(staff_bp)
bp.register_blueprint(scorm_bp)


def _my_enrolment(enrolment_id: int):
    return services.get_enrolment_for(actor(), enrolment_id)


@bp.get("/learning")
@login_required
def my_learning():
    person = actor()
    enrolments = services.list_my_learning(person)
    completions = list(db.session.scalars(list_completions(person)))
    return render_template(
        "elearning/my_learning.html",
        in_progress=[e for e in enrolments if e.status == "in-progress"],
        packages=scorm.progress_by_enrolment([e.id for e in enrolments if e.status == "in-progress"]),
        completions=completions,
        external=external_by_completion(c.id for c in completions if c.source == "external"),
    )


@bp.post("/courses/<code>/start")
@login_required
def start(code: str):
    course = catalogue.get_course(code)
    form = ButtonForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        person = actor()
        enrolment, _ = services.enrol(person, course, actor=person, now=utcnow())
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "info")
        return redirect(url_for("courses.course", code=code))
    db.session.commit()
    return redirect(url_for("elearning.resume", enrolment_id=enrolment.id))


@bp.get("/learning/<int:enrolment_id>")
@login_required
def resume(enrolment_id: int):
    enrolment = _my_enrolment(enrolment_id)
    if scorm.package_for_version(enrolment.version_id) is not None:
        return redirect(url_for("elearning.scorm.player", enrolment_id=enrolment.id))
    if enrolment.status != "in-progress":
        return redirect(url_for("elearning.overview", enrolment_id=enrolment.id))
    if services.all_lessons_read(enrolment):
        return redirect(url_for("elearning.overview", enrolment_id=enrolment.id))
    return redirect(url_for("elearning.lesson", enrolment_id=enrolment.id, position=services.resume_position(enrolment)))


@bp.get("/learning/<int:enrolment_id>/overview")
@login_required
def overview(enrolment_id: int):
    enrolment = _my_enrolment(enrolment_id)
    if scorm.package_for_version(enrolment.version_id) is not None:
        return redirect(url_for("elearning.scorm.player", enrolment_id=enrolment.id))
    return render_template(
        "elearning/overview.html", enrolment=enrolment, lessons=enrolment.version.lessons,
        read=set(enrolment.lessons_read or []), ready=services.all_lessons_read(enrolment), button=ButtonForm(),
    )


@bp.route("/learning/<int:enrolment_id>/lessons/<int:position>", methods=["GET", "POST"])
@login_required
def lesson(enrolment_id: int, position: int):
    if request.method != "POST":
        return _show_lesson(enrolment_id, position)
    enrolment = _my_enrolment(enrolment_id)
    lessons = enrolment.version.lessons
    if not 1 <= position <= len(lessons):
        abort(404)
    form = ButtonForm()
    if form.validate_on_submit():
        if enrolment.status == "in-progress":
            services.mark_lesson_read(enrolment, position, now=utcnow())
            db.session.commit()
        if position < len(lessons):
            return redirect(url_for("elearning.lesson", enrolment_id=enrolment.id, position=position + 1))
        return redirect(url_for("elearning.overview", enrolment_id=enrolment.id))
    return render_template(
        "elearning/lesson.html", enrolment_id=enrolment.id, course_title=enrolment.course.title,
        lesson_title=lessons[position - 1].title, body_html=lessons[position - 1].body_html, position=position,
        total=len(lessons), form=None,
    )


_LESSON_STATEMENT = None
# Larger positions are no lesson (and would not fit the database's integer column).
_MAX_POSITION = 2**31 - 1


def _lesson_statement():
    """Built once: what a lesson page shows, in one statement. The enrolment (whose it is),
    its course's title, the lesson at a position of the enrolment's version and how many
    lessons that version has."""
    global _LESSON_STATEMENT
    if _LESSON_STATEMENT is None:
        from sqlalchemy import and_, bindparam, func, select

        from lms.catalogue.models import Course, Lesson
        from lms.elearning.models import Enrolment

        total = (
            select(func.count(Lesson.id)).where(Lesson.version_id == Enrolment.version_id)
            .correlate(Enrolment).scalar_subquery()
        )
        _LESSON_STATEMENT = (
            select(
                Enrolment.id, Enrolment.user_id, Course.title.label("course_title"),
                Lesson.title.label("lesson_title"), Lesson.body_html, total.label("total"),
            )
            .join(Course, Course.id == Enrolment.course_id)
            .outerjoin(Lesson, and_(Lesson.version_id == Enrolment.version_id, Lesson.position == bindparam("position")))
            .where(Enrolment.id == bindparam("enrolment_id"))
        )
    return _LESSON_STATEMENT


def _show_lesson(enrolment_id: int, position: int):
    """A lesson page (GET): one statement. 404 for someone else's enrolment or a position
    outside the course version's lessons (numbered 1 to the number of lessons). The
    reading is recorded by the POST, which works on the enrolment itself."""
    if not 1 <= position <= _MAX_POSITION:
        abort(404)
    row = db.session.execute(_lesson_statement(), {"enrolment_id": enrolment_id, "position": position}).first()
    if row is None or row.user_id != actor().id:
        abort(404)
    if not 1 <= position <= row.total or row.lesson_title is None:
        abort(404)
    return render_template(
        "elearning/lesson.html", enrolment_id=row.id, course_title=row.course_title, lesson_title=row.lesson_title,
        body_html=row.body_html, position=position, total=row.total, form=None,
    )


@bp.route("/learning/<int:enrolment_id>/quiz", methods=["GET", "POST"])
@login_required
def quiz(enrolment_id: int):
    enrolment = _my_enrolment(enrolment_id)
    if enrolment.status != "in-progress":
        return redirect(url_for("elearning.overview", enrolment_id=enrolment.id))
    try:
        attempt = services.start_quiz(enrolment, now=utcnow())
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "info")
        return redirect(url_for("elearning.overview", enrolment_id=enrolment.id))
    db.session.commit()
    button = ButtonForm()
    errors: dict[str, str] = {}
    chosen: dict[str, list[str]] = {}
    if request.method == "POST":
        if not button.validate_on_submit():
            abort(400)
        chosen = {item["question"]: request.form.getlist(f"q-{item['question']}") for item in attempt.layout}
        missing = [qid for qid, values in chosen.items() if not values]
        if missing:
            errors = {qid: "Select an answer" for qid in missing}
        else:
            try:
                services.submit_quiz(attempt, chosen, now=utcnow())
            except DomainError as error:
                db.session.rollback()
                errors = {error.field or attempt.layout[0]["question"]: error.message}
            else:
                db.session.commit()
                return redirect(url_for("elearning.result", enrolment_id=enrolment.id, number=attempt.number))
    return render_template(
        "elearning/quiz.html", enrolment=enrolment, attempt=attempt, questions=services.questions_for(attempt),
        errors=errors, chosen=chosen, button=button,
    ), (400 if errors else 200)


@bp.get("/learning/<int:enrolment_id>/attempts/<int:number>")
@login_required
def result(enrolment_id: int, number: int):
    enrolment = _my_enrolment(enrolment_id)
    attempt = next((a for a in enrolment.attempts if a.number == number and a.submitted_at), None)
    if attempt is None:
        abort(404)
    return render_template(
        "elearning/result.html", enrolment=enrolment, attempt=attempt, questions=services.questions_for(attempt),
        button=ButtonForm(),
    )
