"""External CPD pages: a person's own (list, log, change, delete), the evidence download,
and a setting lead's page for verifying their staff's.

Thin views over lms.records.external.services: form, service, commit, flash, redirect. Someone
else's entry is a 404 (a lead does not learn that people elsewhere exist); a person who is
not a lead or admin gets a 403 on the leads' pages, as on the other "My organisation" pages.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from werkzeug.exceptions import RequestEntityTooLarge

from lms.core.auth import actor, login_required, setting_lead_required
from lms.core.errors import DomainError
from lms.core.forms import fail
from lms.core.time import london_today, utcnow
from lms.core.limits import body_limit
from lms.extensions import db
from lms.records.external import services as external
from lms.records.external.forms import (
    CannotVerifyExternalCpdForm,
    DeleteExternalCpdForm,
    ExternalCpdForm,
    VerifyExternalCpdForm,
)

# Nested in the records blueprint: endpoints records.external.*.
bp = Blueprint("external", __name__, template_folder="templates")

# The whole request may be a little larger than the file (the other fields, the multipart
# boundaries); the file itself is held to MAX_EVIDENCE_BYTES.
REQUEST_LIMIT = external.MAX_EVIDENCE_BYTES + 256 * 1024


def _own(activity_id: int):
    return external.get_own(actor(), activity_id)


def _evidence_of(form: ExternalCpdForm) -> external.Evidence | None:
    upload = form.evidence.data
    if upload is None or not getattr(upload, "filename", None):
        return None
    return external.Evidence(name=upload.filename, content=upload.read(external.MAX_EVIDENCE_BYTES + 1))


def _form(today, **kwargs) -> tuple[ExternalCpdForm, bool]:
    """The form, and whether the request was too large to read (then the form is empty)."""
    request.max_content_length = REQUEST_LIMIT
    try:
        return ExternalCpdForm(today=today, person=actor(), **kwargs), False
    except RequestEntityTooLarge:
        form = ExternalCpdForm(formdata=None, today=today, person=actor())
        form.evidence.errors = [external.MESSAGES["evidence_size"]]
        return form, True


# --- the person's own ------------------------------------------------------------------------

@bp.get("/learning/external")
@login_required
def mine():
    return render_template("records/external/mine.html", activities=external.list_own(actor()))


@bp.route("/learning/external/new", methods=["GET", "POST"])
@body_limit(REQUEST_LIMIT, external.MESSAGES["evidence_size"])
@login_required
def mine_new():
    now = utcnow()
    form, too_large = _form(london_today(now))
    if too_large:
        return render_template("records/external/form.html", form=form, activity=None), 413
    if form.validate_on_submit():
        try:
            activity = external.log_external(actor(), form.values(), evidence=_evidence_of(form), now=now)
        except DomainError as error:
            fail(error, form)
        else:
            db.session.commit()
            flash(f"“{activity.completion.title}” added to your training record", "success")
            return redirect(url_for("records.external.mine"))
    return render_template("records/external/form.html", form=form, activity=None), 400 if form.errors else 200


@bp.route("/learning/external/<int:activity_id>/edit", methods=["GET", "POST"])
@body_limit(REQUEST_LIMIT, external.MESSAGES["evidence_size"])
@login_required
def mine_edit(activity_id: int):
    activity = _own(activity_id)
    if activity.verified:
        flash("This training has been verified, so it can no longer be changed", "info")
        return redirect(url_for("records.external.mine"))
    now = utcnow()
    form, too_large = _form(london_today(now))
    if too_large:
        return render_template("records/external/form.html", form=form, activity=activity), 413
    if request.method == "GET":
        form.fill(activity)
    elif form.validate_on_submit():
        try:
            external.update_external(activity, form.values(), actor=actor(), now=now, evidence=_evidence_of(form),
                                     remove_evidence=bool(form.remove_evidence.data))
        except DomainError as error:
            fail(error, form)
        else:
            db.session.commit()
            flash(f"“{activity.completion.title}” saved", "success")
            return redirect(url_for("records.external.mine"))
    return render_template("records/external/form.html", form=form, activity=activity), 400 if form.errors else 200


@bp.route("/learning/external/<int:activity_id>/delete", methods=["GET", "POST"])
@login_required
def mine_delete(activity_id: int):
    activity = _own(activity_id)
    form = DeleteExternalCpdForm()
    if form.validate_on_submit():
        title = activity.completion.title
        try:
            external.delete_external(activity, actor=actor(), now=utcnow())
        except DomainError as error:
            fail(error)
            raise
        db.session.commit()
        flash(f"“{title}” deleted from your training record", "success")
        return redirect(url_for("records.external.mine"))
    if request.method == "POST":
        abort(400)
    return render_template("records/external/delete.html", form=form, activity=activity)


# --- the evidence --------------------------------------------------------------------------

@bp.get("/learning/external/<int:activity_id>/evidence")
@login_required
def evidence(activity_id: int):
    activity = external.get_external(activity_id)
    if not external.can_download(actor(), activity):
        abort(404)
    path = external.evidence_file(activity)
    if path is None or not path.is_file():
        abort(404)
    response = send_file(
        path, mimetype=activity.evidence_content_type, as_attachment=True,
        download_name=activity.evidence_name or "evidence", max_age=0, conditional=False, etag=False,
    )
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# --- a setting lead verifying their staff's ------------------------------------------------

@bp.get("/organisation/external-cpd")
@setting_lead_required
def staff():
    lead = actor()
    awaiting, total = external.list_awaiting(lead)
    return render_template(
        "records/external/staff.html",
        awaiting=awaiting, awaiting_total=total,
        checked=external.list_recently_checked(lead, now=utcnow()),
        recent_days=external.RECENT_DAYS,
    )


def _checkable(activity_id: int):
    try:
        return external.get_for_checking(actor(), activity_id)
    except DomainError as error:
        fail(error)
        raise


def _check_page(activity, verify_form=None, reason_form=None, status: int = 200):
    return render_template(
        "records/external/check.html",
        activity=activity,
        verify_form=verify_form or VerifyExternalCpdForm(formdata=None),
        form=reason_form or CannotVerifyExternalCpdForm(formdata=None),
    ), status


@bp.get("/organisation/external-cpd/<int:activity_id>")
@setting_lead_required
def staff_check(activity_id: int):
    return _check_page(_checkable(activity_id))


@bp.post("/organisation/external-cpd/<int:activity_id>/verify")
@setting_lead_required
def staff_verify(activity_id: int):
    activity = _checkable(activity_id)
    form = VerifyExternalCpdForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        external.verify(activity, actor=actor(), now=utcnow())
    except DomainError as error:
        fail(error)
        flash(error.message, "info")
        return redirect(url_for("records.external.staff_check", activity_id=activity_id))
    db.session.commit()
    flash(f"“{activity.completion.title}” verified for {activity.completion.user.full_name}", "success")
    return redirect(url_for("records.external.staff"))


@bp.post("/organisation/external-cpd/<int:activity_id>/cannot-verify")
@setting_lead_required
def staff_cannot_verify(activity_id: int):
    activity = _checkable(activity_id)
    form = CannotVerifyExternalCpdForm()
    if form.validate_on_submit():
        try:
            external.cannot_verify(activity, actor=actor(), reason=form.reason.data, now=utcnow())
        except DomainError as error:
            fail(error, form, default_field="reason")
            activity = _checkable(activity_id)
        else:
            db.session.commit()
            flash(f"{activity.completion.user.full_name} has been told why “{activity.completion.title}” could not be verified",
                  "success")
            return redirect(url_for("records.external.staff"))
    return _check_page(activity, reason_form=form, status=400)
