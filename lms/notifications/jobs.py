"""The outbox's two jobs: send (each email exactly once) and prune (the retention rule).

Services only ever add OutboundEmail rows; the send job (run every minute by the scheduler,
or by `flask lms jobs run send-email`) sends the ones that are due. It is safe to run in
two processes at once and after a crash:

1. It reads the ids of due rows, then claims them one at a time with a conditional UPDATE
   (still unsent, not given up, due, and unclaimed or claimed so long ago that the
   claimer must have died) that sets claimed_at and a random claim_token. The claim is
   committed before anything is sent, and only the process whose UPDATE matched the row
   sends it. The database serialises the two UPDATEs, so one of them matches nothing.
2. On success it sets sent_at. On failure it records the error, releases the claim and
   moves send_after on by an exponential backoff; after MAIL_MAX_ATTEMPTS attempts it
   sets failed_at and stops trying.
3. A process that dies between claim and send leaves a claim behind; after CLAIM_TIMEOUT
   another run takes the row over. Each claim counts as an attempt, so a message that
   keeps killing its sender is given up on too.

The only way to send an email twice is for a process to send it and then fail to record
that for longer than CLAIM_TIMEOUT (the database goes away at that very moment).

The prune job (nightly, `prune-sent-emails`) clears the content of emails sent or given
up on more than EMAIL_BODY_RETENTION_DAYS ago: their text, HTML and attachments, which
hold most of the personal data. The row stays, with its subject, address, category,
dedupe_key and times, so once-only emails are still never sent again and the person's
list of emails still shows it. Queued emails are never touched.

Jobs commit their own work: they are an edge, like views.
"""
from __future__ import annotations

import logging
import secrets
import time
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, func, null, or_, select, update

from lms.core.time import as_utc
from lms.extensions import db
from lms.notifications.backends import Backend, DeliveryError, PermanentDeliveryError, get_backend
from lms.notifications.models import OutboundEmail
from lms.notifications.services import email_retention_days

logger = logging.getLogger("lms.mail")

# A claim older than this belongs to a process that stopped: the row may be claimed again.
CLAIM_TIMEOUT = timedelta(minutes=10)
# Stop claiming new rows once a run has taken this long (wall-clock), so that every claim
# is far younger than CLAIM_TIMEOUT when its message is sent; the next run does the rest.
RUN_BUDGET = timedelta(minutes=2)
# Retry after 2, 4, 8, 16 ... minutes, never more than 6 hours apart.
BACKOFF_FIRST = timedelta(minutes=2)
BACKOFF_LONGEST = timedelta(hours=6)
ERROR_LENGTH = 2000
PRUNED_ERROR = "Its content is no longer kept (cleared after the retention period), so it cannot be sent again"
# The prune clears this many emails per transaction, so that a large backlog (the first
# run, or a shorter period) never holds the table in one long transaction.
PRUNE_CHUNK = 500


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt."""
    return min(BACKOFF_FIRST * (2 ** max(attempts - 1, 0)), BACKOFF_LONGEST)


def _claimable(now: datetime, max_attempts: int):
    return and_(
        OutboundEmail.sent_at.is_(None),
        OutboundEmail.failed_at.is_(None),
        OutboundEmail.send_after <= now,
        OutboundEmail.attempts < max_attempts,
        or_(OutboundEmail.claimed_at.is_(None), OutboundEmail.claimed_at < now - CLAIM_TIMEOUT),
    )


def send_outbox(*, now: datetime, limit: int = 100, backend: Backend | None = None) -> dict[str, int]:
    """Send up to `limit` due emails. Returns counts: sent, retrying (failed this time,
    will be tried again), failed (given up), skipped (another process claimed it first)."""
    max_attempts = int(current_app.config["MAIL_MAX_ATTEMPTS"])
    summary = {"sent": 0, "retrying": 0, "failed": 0, "skipped": 0}
    summary["failed"] += _give_up_abandoned(now, max_attempts)

    due_ids = list(
        db.session.scalars(
            select(OutboundEmail.id)
            .where(_claimable(now, max_attempts))
            .order_by(OutboundEmail.send_after, OutboundEmail.id)
            .limit(limit)
        )
    )
    db.session.commit()  # end the read before claiming
    if not due_ids:
        return summary

    backend = backend or get_backend(current_app.config)
    started = time.monotonic()
    try:
        for email_id in due_ids:
            elapsed = timedelta(seconds=int(time.monotonic() - started))  # whole seconds
            if elapsed > RUN_BUDGET:
                break
            # `now` is when the run started; the claim records when it was really made.
            claimed_at = now + elapsed
            token = _claim(email_id, claimed_at, max_attempts)
            if token is None:
                summary["skipped"] += 1
                continue
            summary[_deliver(email_id, token, backend, claimed_at, max_attempts)] += 1
    finally:
        backend.close()
    return summary


def _claim(email_id: int, claimed_at: datetime, max_attempts: int) -> str | None:
    """Claim one row; the claim token if this process won it, else None."""
    token = secrets.token_hex(16)
    result = db.session.execute(
        update(OutboundEmail)
        .where(OutboundEmail.id == email_id, _claimable(claimed_at, max_attempts))
        .values(claimed_at=claimed_at, claim_token=token, attempts=OutboundEmail.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return token if result.rowcount == 1 else None


def _deliver(email_id: int, token: str, backend: Backend, now: datetime, max_attempts: int) -> str:
    email = db.session.get(OutboundEmail, email_id, populate_existing=True)
    if email is None:  # deleted since it was claimed
        return "skipped"
    if email.is_pruned:
        # Only sent or given-up emails are pruned; one comes back here only if someone
        # cleared its failed_at by hand to send it again. There is nothing left to send.
        return _record_failure(email, token, PRUNED_ERROR, now, give_up=True)
    try:
        reference = backend.send(email, now=now)
    except PermanentDeliveryError as error:
        return _record_failure(email, token, str(error), now, give_up=True)
    except DeliveryError as error:
        return _record_failure(email, token, str(error), now, give_up=email.attempts >= max_attempts)
    except Exception as error:  # a bug or an unexpected library error: log it, retry later
        logger.exception("Unexpected error sending email #%s", email_id)
        message = f"{type(error).__name__}: {error}"
        return _record_failure(email, token, message, now, give_up=email.attempts >= max_attempts)
    db.session.execute(
        update(OutboundEmail)
        .where(OutboundEmail.id == email_id, OutboundEmail.sent_at.is_(None))
        .values(sent_at=now, last_error=None, provider_reference=(reference or None) and str(reference)[:255])
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    logger.info("Sent email #%s to %s: %s", email_id, email.to_address, email.subject)
    return "sent"


def _record_failure(email: OutboundEmail, token: str, error: str, now: datetime, *, give_up: bool) -> str:
    values = {"last_error": error[:ERROR_LENGTH], "claimed_at": None, "claim_token": None}
    if give_up:
        values["failed_at"] = now
    else:
        values["send_after"] = now + retry_delay(email.attempts)
    db.session.execute(
        update(OutboundEmail)
        .where(OutboundEmail.id == email.id, OutboundEmail.claim_token == token, OutboundEmail.sent_at.is_(None))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if give_up:
        logger.error(
            "Gave up on email #%s to %s after %s attempts: %s", email.id, email.to_address, email.attempts, error
        )
        return "failed"
    logger.warning(
        "Could not send email #%s to %s (attempt %s); will retry at %s: %s",
        email.id, email.to_address, email.attempts, values["send_after"].isoformat(), error,
    )
    return "retrying"


def _give_up_abandoned(now: datetime, max_attempts: int) -> int:
    """Rows whose attempts are used up but which were never marked failed: the last
    attempt's process stopped mid-way, or MAIL_MAX_ATTEMPTS was lowered."""
    result = db.session.execute(
        update(OutboundEmail)
        .where(
            OutboundEmail.sent_at.is_(None),
            OutboundEmail.failed_at.is_(None),
            OutboundEmail.attempts >= max_attempts,
            or_(OutboundEmail.claimed_at.is_(None), OutboundEmail.claimed_at < now - CLAIM_TIMEOUT),
        )
        .values(
            failed_at=now,
            claimed_at=None,
            claim_token=None,
            last_error=func.coalesce(
                OutboundEmail.last_error, "Gave up: every attempt was used and the last one did not finish"
            ),
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount or 0


# --- the retention rule ---------------------------------------------------------------------

def retention_cutoff(now: datetime, days: int) -> datetime:
    """The instant `days` whole days (of 24 hours) before `now`, counted in UTC. An aware
    London time is converted first: subtracting from it directly would count on the wall
    clock, an hour out whenever a change of the clocks falls in between."""
    return as_utc(now) - timedelta(days=days)


def _prunable(cutoff: datetime) -> tuple:
    """The conditions for the two kinds of email whose content may go: sent, or given up
    on, on or before `cutoff`. Queued emails (neither) are never pruned. Both include
    `pruned_at IS NULL`, so they read the partial index ix_outbound_email_unpruned."""
    sent = and_(OutboundEmail.pruned_at.is_(None), OutboundEmail.sent_at <= cutoff)
    failed = and_(
        OutboundEmail.pruned_at.is_(None),
        OutboundEmail.sent_at.is_(None),
        OutboundEmail.failed_at <= cutoff,
    )
    return (("sent", sent, OutboundEmail.sent_at), ("failed", failed, OutboundEmail.failed_at))


def prune_sent_emails(*, now: datetime, chunk: int = PRUNE_CHUNK) -> dict[str, int]:
    """Clear the text, HTML and attachments of emails sent or given up on at least
    EMAIL_BODY_RETENTION_DAYS before `now`, and set their pruned_at. Oldest first, `chunk`
    at a time, each chunk committed. Running it again clears nothing more. Returns how
    many sent and how many failed emails were pruned."""
    cutoff = retention_cutoff(now, email_retention_days())
    summary = {}
    for kind, condition, oldest_first in _prunable(cutoff):
        pruned = 0
        while True:
            ids = list(db.session.scalars(select(OutboundEmail.id).where(condition).order_by(oldest_first).limit(chunk)))
            if not ids:
                break
            result = db.session.execute(
                update(OutboundEmail)
                # The condition again: the row may have changed since the SELECT.
                .where(OutboundEmail.id.in_(ids), condition)
                .values(body_text=None, body_html=None, attachments=null(), pruned_at=now)
                .execution_options(synchronize_session=False)
            )
            db.session.commit()
            pruned += result.rowcount or 0
            if len(ids) < chunk:
                break
        summary[f"{kind} emails pruned"] = pruned
    return summary


def heartbeat(*, now: datetime) -> str:
    """Nothing to do: the runner's record of this run (JobRun "heartbeat") is the heartbeat
    that tells the admin pages the scheduler is alive."""
    return "the scheduler is running"
