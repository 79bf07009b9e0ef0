"""What was sent to me: the emails the service has sent (or is about to send) to the
signed-in person, with their attachments. Only one's own."""
from __future__ import annotations

import io

from flask import Blueprint, abort, render_template, request, send_file

from lms.core.auth import actor, login_required
from lms.core.pagination import paginate
from lms.core.urls import url_for_each
from lms.notifications import services
from lms.notifications.backends import PermanentDeliveryError, decode_attachments

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
