"""Erasing a person. Their account stays as an anonymous row, with its organisation, job
roles and employment history and their training record, so every report counts the same;
everything that identifies them goes: name and email (everywhere they were copied: the
certificates' holder name, the audit log's words, import results), password, sign-in
records, sessions, links, API tokens, emails sent to them, evidence files, the downloads they
prepared (and any prepared download whose request names them), and what they
or others wrote about them in free text (evaluation answers, booking notes, CPD notes)."""
from __future__ import annotations

import json
import re
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import String, cast, delete, or_, select, update

from lms.accounts.models import AccountToken, LoginAttempt, SignInGuard, User, UserSession
from lms.api.models import ApiToken
from lms.audit import services as audit
from lms.audit.models import AuditEvent
from lms.bookings.models import Booking
from lms.certificates.models import Certificate
from lms.core.errors import DomainError
from lms.downloads import services as downloads
from lms.downloads.models import PreparedDownload
from lms.evaluations.models import Evaluation
from lms.extensions import db
from lms.notifications.models import OutboundEmail
from lms.records.external import services as external
from lms.records.imports.models import ImportJob
from lms.records.models import Completion, ExternalActivity

ERASED_NAME = "Erased person"


def erased_email(person: User) -> str:
    return f"erased-{person.id}@erased.invalid"


def erase(person: User, *, actor: User | None, now: datetime, reason: str) -> None:
    """Remove everything that identifies `person` (see the module). `actor` None is the
    retention job. Audited, without the person's name. DomainError if already erased, or
    if an admin tries to erase themself."""
    reason = " ".join((reason or "").split())
    if actor is not None:
        if not reason:
            raise DomainError("Enter why this person's details are being erased", field="reason")
        if len(reason) > 500:
            raise DomainError("The reason must be 500 characters or fewer", field="reason")
        if actor.id == person.id:
            raise DomainError("You cannot erase your own account", field="reason")
    if person.erased_at is not None:
        raise DomainError("This person's details have already been erased", field="reason")
    words = sorted({value for value in (person.full_name, person.email, person.email.split("@")[0]) if value},
                   key=len, reverse=True)
    email = person.email

    db.session.execute(delete(AccountToken).where(AccountToken.user_id == person.id))
    db.session.execute(delete(UserSession).where(UserSession.user_id == person.id))
    db.session.execute(delete(ApiToken).where(ApiToken.user_id == person.id))
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.email == email))
    db.session.execute(delete(SignInGuard).where(SignInGuard.email == email))
    db.session.execute(delete(OutboundEmail).where(or_(OutboundEmail.user_id == person.id,
                                                        OutboundEmail.to_address == email)))
    db.session.execute(update(Certificate).where(Certificate.user_id == person.id).values(holder_name=ERASED_NAME))
    db.session.execute(update(Evaluation).where(Evaluation.user_id == person.id)
                       .values(will_do_differently=None, improvements=None, may_quote=False))
    db.session.execute(update(Booking).where(Booking.user_id == person.id)
                       .values(decision_note=None, cancellation_note=None, ended_reason=None))
    activities = db.session.scalars(
        select(ExternalActivity).join(Completion, Completion.id == ExternalActivity.completion_id)
        .where(Completion.user_id == person.id)
    ).all()
    for activity in activities:
        if activity.evidence_path:
            external._remove_after_commit(activity)  # the file goes once this is committed
        activity.evidence_path = activity.evidence_name = activity.evidence_content_type = None
        activity.note = activity.rejection_reason = None

    # Where their name or email was written into words: the audit log and import results.
    # The database's lower() does not fold every letter (SQLite's only ASCII), and JSON is
    # stored with such letters escaped ("Zo\u00eb"): look for each as typed, in lower and
    # in upper case, plain and escaped; the rows found are then scrubbed in Python.
    cased = {form for word in words for form in (word, word.lower(), word.upper())}
    search = sorted(cased | {json.dumps(form)[1:-1] for form in cased})
    for event in db.session.scalars(select(AuditEvent).where(_mentions(AuditEvent, search))):
        event.summary = _scrub(event.summary, words)
        event.before = _scrub_json(event.before, words)
        event.after = _scrub_json(event.after, words)
    for job in db.session.scalars(select(ImportJob).where(_mentions(ImportJob, search, ("result", "error")))):
        job.result = _scrub_json(job.result, words)
        job.error = _scrub(job.error, words)
    # Prepared downloads: the files they asked for (other people's details), and any request
    # that names them (a compliance export filtered by their name), with its file.
    downloads.remove_where(or_(PreparedDownload.requested_by_id == person.id,
                               _mentions(PreparedDownload, search, ("title", "params", "error"))))

    person.full_name = ERASED_NAME
    person.email = erased_email(person)
    person.password_hash = None
    person.email_confirmed_at = None
    person.last_sign_in_at = None
    person.active = False
    person.closed_at = person.closed_at or now
    person.erased_at = now
    db.session.flush()
    audit.record(
        actor, "person.erase", target=person, now=now,
        summary=(f"Erased the personal details of person {person.id}: {reason}" if actor is not None else
                 f"Erased the personal details of person {person.id}: closed for longer than "
                 f"{closed_account_retention_days()} days"),
        after={"erased": True},
    )
    db.session.flush()


def _mentions(model, words: list[str], columns: tuple[str, ...] = ("summary", "before", "after")):
    """Rows whose text (JSON cast to text) contains any of `words`, case-insensitively."""
    return or_(*(cast(getattr(model, column), String).contains(word) for column in columns for word in words))


def _scrub(text: str | None, words: list[str]) -> str | None:
    if not text:
        return text
    for word in words:
        text = re.sub(re.escape(word), ERASED_NAME, text, flags=re.IGNORECASE)
    return text


def _scrub_json(value, words: list[str]):
    """The same JSON value with every string in it (keys too) scrubbed."""
    if isinstance(value, str):
        return _scrub(value, words)
    if isinstance(value, list):
        return [_scrub_json(item, words) for item in value]
    if isinstance(value, dict):
        return {_scrub(key, words): _scrub_json(item, words) for key, item in value.items()}
    return value


def closed_account_retention_days() -> int:
    return int(current_app.config.get("CLOSED_ACCOUNT_RETENTION_DAYS", 365))


def anonymise_closed_accounts(*, now: datetime) -> int:
    """Erase every account closed longer ago than the retention period. Returns how many;
    the caller commits."""
    cutoff = now - timedelta(days=closed_account_retention_days())
    people = db.session.scalars(
        select(User).where(User.active.is_(False), User.erased_at.is_(None), User.closed_at.is_not(None),
                           User.closed_at <= cutoff).order_by(User.id)
    ).all()
    for person in people:
        erase(person, actor=None, now=now, reason="")
    return len(people)
