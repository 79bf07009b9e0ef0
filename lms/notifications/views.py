"""What was sent to me: the emails the service has sent (or is about to send) to the
signed-in person, with their attachments. Only one's own."""
from __future__ import annotations

import io

from flask import Blueprint, abort, render_template, request, send_file, url_for
from flask_login import current_user

from lms.core.auth import login_required
from lms.core.errors import NotFound
from lms.extensions import db
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
    pagination = db.paginate(services.list_emails_for(current_user), page=page, per_page=PAGE_SIZE, error_out=False)
    if page > 1 and not pagination.items:
        abort(404)
    return render_template(
        "notifications/emails.html",
        pagination=pagination,
        pagination_params=_pagination_params(pagination, "notifications.emails"),
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
    try:
        return services.get_email_for(current_user, email_id)
    except NotFound:
        abort(404)


def _pagination_params(pagination, endpoint: str) -> dict | None:
    """Parameters for the govukPagination macro, or None for a single page."""
    if pagination.pages <= 1:
        return None
    params: dict = {"items": []}
    if pagination.has_prev:
        params["previous"] = {"href": url_for(endpoint, page=pagination.prev_num)}
    if pagination.has_next:
        params["next"] = {"href": url_for(endpoint, page=pagination.next_num)}
    for number in pagination.iter_pages(left_edge=1, left_current=1, right_current=2, right_edge=1):
        if number is None:
            params["items"].append({"ellipsis": True})
        else:
            params["items"].append(
                {"number": number, "href": url_for(endpoint, page=number), "current": number == pagination.page}
            )
    return params
