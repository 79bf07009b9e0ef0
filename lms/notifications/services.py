"""Queue email in the caller's transaction. Delivery is the send job's business."""
from __future__ import annotations

from datetime import datetime

from flask import current_app, render_template
from sqlalchemy import select

from lms.extensions import db
from lms.notifications.models import OutboundEmail


def queue_email(
    to_address: str,
    subject: str,
    body_text: str,
    *,
    now: datetime,
    user=None,
    body_html: str | None = None,
    attachments: list[dict] | None = None,
    dedupe_key: str | None = None,
    category: str = "general",
    send_after: datetime | None = None,
) -> OutboundEmail | None:
    """Add an email to the outbox. With a `dedupe_key` that is already queued, adds nothing
    and returns None (the unique index also guards against two processes at once)."""
    if dedupe_key is not None:
        existing = db.session.scalar(select(OutboundEmail.id).where(OutboundEmail.dedupe_key == dedupe_key))
        if existing is not None:
            return None
    email = OutboundEmail(
        user_id=user.id if user is not None else None,
        to_address=to_address,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        attachments=attachments,
        dedupe_key=dedupe_key,
        category=category,
        created_at=now,
        send_after=send_after or now,
    )
    db.session.add(email)
    return email


def queue_templated_email(to_address: str, template: str, *, now: datetime, subject: str, **context) -> OutboundEmail | None:
    """Render `emails/<template>.txt` (and `.html` if present) and queue the result."""
    options = {k: context.pop(k) for k in ("user", "attachments", "dedupe_key", "category", "send_after") if k in context}
    context.setdefault("service_name", current_app.config["SERVICE_NAME"])
    context.setdefault("base_url", current_app.config["BASE_URL"])
    body_text = render_template(f"emails/{template}.txt", subject=subject, **context)
    return queue_email(to_address, subject, body_text, now=now, **options)
