"""Queue email in the caller's transaction (delivery is the send job's business), list a
person's emails, and record scheduled job runs."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app, render_template
from jinja2 import TemplateNotFound
from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError

from lms.core.errors import NotFound
from lms.extensions import db
from lms.notifications.models import JobRun, OutboundEmail
from lms.partnership.services import details


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
    partnership = details()
    context.setdefault("service_name", partnership.service_name)
    context.setdefault("partnership_name", partnership.name)
    context.setdefault("base_url", current_app.config["BASE_URL"])
    body_text = render_template(f"emails/{template}.txt", subject=subject, **context)
    body_html = None
    try:
        current_app.jinja_env.get_template(f"emails/{template}.html")
    except TemplateNotFound:
        pass
    else:
        body_html = render_template(f"emails/{template}.html", subject=subject, **context)
    return queue_email(to_address, subject, body_text, now=now, body_html=body_html, **options)


# --- what was sent to me --------------------------------------------------------------------

# What an email is about, in words, by OutboundEmail.category.
CATEGORY_NAMES = {
    "account": "Your account",
    "booking": "Bookings",
    "reminder": "Training reminders",
    "certificate": "Certificates",
    "evaluation": "Evaluations",
    "general": "General",
}
# Emails whose text is not shown again on the website: they carry sign-in links (confirm
# your email, reset your password) that would let anyone holding a stolen session take
# over the account.
PRIVATE_CATEGORIES = frozenset({"account"})


def category_name(category: str) -> str:
    return CATEGORY_NAMES.get(category) or category.replace("-", " ").replace("_", " ").capitalize()


def list_emails_for(user) -> Select:
    """The emails queued for `user`, newest first."""
    return (
        select(OutboundEmail)
        .where(OutboundEmail.user_id == user.id)
        .order_by(OutboundEmail.created_at.desc(), OutboundEmail.id.desc())
    )


def get_email_for(user, email_id: int) -> OutboundEmail:
    """One of `user`'s own emails; NotFound for anyone else's (or none)."""
    email = db.session.get(OutboundEmail, email_id)
    if email is None or email.user_id != user.id:
        raise NotFound("No such email")
    return email


def shows_text(email: OutboundEmail) -> bool:
    return email.category not in PRIVATE_CATEGORIES


def email_retention_days() -> int:
    """EMAIL_BODY_RETENTION_DAYS: how many days after an email is sent (or given up on)
    its content is kept. ValueError unless a whole number of at least 1."""
    value = current_app.config["EMAIL_BODY_RETENTION_DAYS"]
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"EMAIL_BODY_RETENTION_DAYS must be a whole number of days, at least 1; got {value!r}")
    return value


# --- job runs and the scheduler's heartbeat ---------------------------------------------------

HEARTBEAT = "heartbeat"
# The heartbeat runs every minute; missing five beats means the scheduler is not running.
HEARTBEAT_STALE_AFTER = timedelta(minutes=5)


def _job_run(name: str) -> JobRun:
    row = db.session.get(JobRun, name)
    if row is None:
        try:
            with db.session.begin_nested():
                row = JobRun(name=name)
                db.session.add(row)
        except IntegrityError:  # another process added it at the same moment
            row = db.session.get(JobRun, name, populate_existing=True)
    return row


def record_job_started(name: str, *, now: datetime) -> JobRun:
    row = _job_run(name)
    row.last_started_at = now
    db.session.flush()
    return row


def record_job_finished(name: str, *, now: datetime, error: str | None = None) -> JobRun:
    row = _job_run(name)
    row.last_finished_at = now
    row.last_error = error
    db.session.flush()
    return row


def list_job_runs() -> list[JobRun]:
    return list(db.session.scalars(select(JobRun).order_by(JobRun.name)))


def last_heartbeat() -> datetime | None:
    """When the scheduler's heartbeat last finished, or None if it never has."""
    row = db.session.get(JobRun, HEARTBEAT)
    return row.last_finished_at if row is not None else None


def heartbeat_is_recent(last: datetime | None, *, now: datetime) -> bool:
    """Whether a heartbeat that finished at `last` means the scheduler is running now:
    the one rule behind every "scheduler is not running" warning."""
    return last is not None and now - last <= HEARTBEAT_STALE_AFTER


def scheduler_is_running(*, now: datetime) -> bool:
    """True if the scheduler's heartbeat has beaten in the last few minutes (admin pages
    use this to warn that reminders and email are not going out)."""
    return heartbeat_is_recent(last_heartbeat(), now=now)
