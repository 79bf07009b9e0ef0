"""What was sent to me: the emails the service has sent (or is about to send) to the
signed-in person, with their attachments. Only one's own."""
from __future__ import annotations

import io
import re

from flask import Blueprint, abort, current_app, render_template, request, send_file
from sqlalchemy import select

from lms.core.auth import actor, login_required
from lms.core.pagination import paginate
from lms.core.urls import url_for_each
from lms.extensions import db
from lms.notifications import services
from lms.notifications.backends import PermanentDeliveryError, decode_attachments
from lms.notifications.models import OutboundEmail

bp = Blueprint("notifications", __name__, template_folder="templates")

PAGE_SIZE = 25


@bp.get("/account/emails")
@login_required
def emails():
    page = request.args.get("page", 1, type=int)
    if page < 1:
        abort(404)
    pagination = paginate(services.list_emails_for(actor()), page=page, per_page=PAGE_SIZE)
    if pagination.page != page:  # past the last page
        abort(404)
    return render_template(
        "notifications/emails.html",
        pagination=pagination,
        pagination_params=pagination.govuk_pagination(url_for_each("notifications.emails", "page"), label="Pagination"),
        category_name=services.category_name,
    )


@bp.get("/account/emails/<int:email_id>")
@login_required
def email(email_id: int):
    message = _own_email(email_id)
    try:
        attachments = decode_attachments(message)
    except PermanentDeliveryError:
        attachments = []
    return render_template(
        "notifications/email.html",
        email=message,
        attachments=[
            (number, filename, len(content)) for number, (filename, _, content) in enumerate(attachments, start=1)
        ],
        shows_text=services.shows_text(message),
        # Said on the page of an email whose content has gone (the retention rule).
        retention_days=services.email_retention_days() if message.is_pruned else None,
        category_name=services.category_name,
    )


@bp.get("/account/emails/<int:email_id>/attachments/<int:number>")
@login_required
def attachment(email_id: int, number: int):
    message = _own_email(email_id)
    try:
        attachments = decode_attachments(message)
    except PermanentDeliveryError:
        abort(404)
    if not 1 <= number <= len(attachments):
        abort(404)
    filename, content_type, content = attachments[number - 1]
    response = send_file(io.BytesIO(content), mimetype=content_type, as_attachment=True, download_name=filename)
    response.headers["Cache-Control"] = "no-store"
    return response


def _own_email(email_id: int):
    return services.get_email_for(actor(), email_id)  # NotFound: the 404 page


# --- the development mailbox -----------------------------------------------------------------
# With DEV_MAILBOX on (the development configuration, as `make run` serves it), every email
# the service has queued or sent can be read here, from this machine only: a newcomer can
# confirm their account without a mail server. Absent (404) everywhere else.

MAILBOX_SIZE = 50
_LINK = re.compile(r"https?://[^\s<>\"')]+")


def _mailbox_open() -> None:
    if not current_app.config.get("DEV_MAILBOX"):
        abort(404)
    if request.remote_addr not in {"127.0.0.1", "::1"}:
        abort(404)


@bp.get("/dev/mailbox")
def mailbox():
    _mailbox_open()
    emails = db.session.scalars(select(OutboundEmail).order_by(OutboundEmail.id.desc()).limit(MAILBOX_SIZE)).all()
    return render_template("notifications/mailbox.html", emails=emails, size=MAILBOX_SIZE)


@bp.get("/dev/mailbox/<int:email_id>")
def mailbox_email(email_id: int):
    _mailbox_open()
    message = db.session.get(OutboundEmail, email_id)
    if message is None:
        abort(404)
    return render_template("notifications/mailbox_email.html", email=message,
                           links=_LINK.findall(message.body_text or ""))
