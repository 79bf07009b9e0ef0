"""A session's pages for its trainers and admins: its certificates (issue, list, a ZIP of
the PDFs) and the summary of its evaluations."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for

from lms.bookings import formatting
from lms.certificates import services as certificates
from lms.certificates.forms import IssueForm
from lms.core.auth import actor, trainer_required
from lms.core.errors import DomainError
from lms.core.forms import fail
from lms.core.tables import attachment
from lms.core.time import as_utc, to_london, utcnow
from lms.courses.sessions import downloads as zip_downloads
from lms.courses.sessions import services
from lms.downloads import services as downloads
from lms.downloads.forms import PrepareDownloadForm
from lms.evaluations import services as evaluations
from lms.evaluations.models import CONFIDENCE, SATISFACTION, SKILLS
from lms.extensions import db

bp = Blueprint("sessions", __name__, template_folder="templates")


@bp.route("/manage/sessions/<int:session_id>/certificates", methods=["GET", "POST"], endpoint="certificates")
@trainer_required
def certificates_page(session_id: int):
    session = services.get_managed(session_id, actor=actor())
    form = IssueForm()
    if form.validate_on_submit():
        try:
            result = services.issue_for_session(session, actor=actor(), now=utcnow())
        except DomainError as error:
            fail(error)
            flash(error.message, "info")
        else:
            asked = evaluations.ask_for(result.awaiting, now=utcnow())
            db.session.commit()
            messages = []
            if result.issued:
                count = len(result.issued)
                messages.append(f"{count} certificate{'s' if count != 1 else ''} issued and emailed")
            if result.awaiting:
                count = len(result.awaiting)
                messages.append(f"{count} {'person' if count == 1 else 'people'} must fill in the evaluation first"
                                + (f" ({asked} asked by email now)" if asked else " (already asked by email)"))
            if messages:
                flash("; ".join(messages), "success")
            else:
                flash("Everyone marked as attending already has a certificate", "info")
        return redirect(url_for("courses.sessions.certificates", session_id=session.id))
    attendance = services.session_attendance(session)
    live = certificates.live_by_completion(b.completion_id for b in attendance)
    unmarked = services.unmarked_count(session)
    evaluating = {c.id for c in services.session_waiting(session)} if session.course.asks_for_evaluation else set()
    return render_template(
        "courses/sessions/certificates.html", training_session=session, attendance=attendance, live=live, form=form,
        unmarked=unmarked, waiting=sum(1 for b in attendance if b.completion_id not in live), evaluating=evaluating,
        when=formatting.session_when(session), started=as_utc(utcnow()) >= as_utc(session.starts_at),
        prepare=len(live) > zip_downloads.direct_limit(), prepare_form=PrepareDownloadForm(),
    )


@bp.get("/manage/sessions/<int:session_id>/certificates.zip", endpoint="certificates_zip")
@trainer_required
def certificates_download(session_id: int):
    session = services.get_managed(session_id, actor=actor())
    if len(certificates.session_certificates(session.id)) > zip_downloads.direct_limit():
        flash("There are too many certificates to put in a ZIP straight away: select ‘Prepare a ZIP’", "info")
        return redirect(url_for("courses.sessions.certificates", session_id=session.id))
    try:
        body, _ = services.session_zip(session, actor=actor(), now=utcnow())
    except DomainError as error:
        fail(error)
        flash(error.message, "info")
        return redirect(url_for("courses.sessions.certificates", session_id=session.id))
    day = to_london(session.starts_at).date().isoformat()
    response = attachment(body, "zip", f"certificates-{session.course.code}-{day}.zip".lower())
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/manage/sessions/<int:session_id>/certificates/prepare", endpoint="certificates_prepare")
@trainer_required
def certificates_prepare(session_id: int):
    """Queue the ZIP of a session's many certificates and go to its progress page."""
    session = services.get_managed(session_id, actor=actor())
    form = PrepareDownloadForm()
    if not form.validate_on_submit():
        return redirect(url_for("courses.sessions.certificates", session_id=session.id))
    download = downloads.queue(actor(), zip_downloads.KIND, {"session_id": session.id},
                               title=zip_downloads.title_for(session), now=utcnow())
    db.session.commit()
    return redirect(url_for("downloads.show", download_id=download.id))


@bp.get("/manage/sessions/<int:session_id>/evaluations", endpoint="evaluations")
@trainer_required
def evaluations_page(session_id: int):
    session = services.get_managed(session_id, actor=actor())
    summary = evaluations.summarise(evaluations.Filters(training_session_id=session.id))
    return render_template(
        "courses/sessions/evaluations.html", training_session=session, summary=summary,
        waiting=len(services.session_waiting(session)) if session.course.asks_for_evaluation else None,
        when=formatting.session_when(session),
        satisfaction_labels=SATISFACTION, skills_labels=SKILLS, confidence_labels=CONFIDENCE,
    )
