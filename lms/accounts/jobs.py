"""The accounts' nightly job: forget security records once they are old enough."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, or_

from lms.accounts.models import AccountToken, LoginAttempt, SignInGuard, UserSession
from lms.extensions import db

# Security records are kept for 30 days, long enough to look into an incident (DESIGN.md
# section 10: a retention rule per record type, enforced nightly).
SECURITY_RECORD_RETENTION = timedelta(days=30)


def prune_security_records(*, now: datetime) -> dict[str, int]:
    """Delete sign-in and reset attempts, finished sessions and finished account tokens
    once they are older than SECURITY_RECORD_RETENTION."""
    cutoff = now - SECURITY_RECORD_RETENTION
    idle = current_app.config["SESSION_IDLE_TIMEOUT"]
    absolute = current_app.config["SESSION_ABSOLUTE_TIMEOUT"]
    attempts = db.session.execute(delete(LoginAttempt).where(LoginAttempt.created_at < cutoff))
    guards = db.session.execute(delete(SignInGuard).where(SignInGuard.touched_at < cutoff))
    # A session ended when it was revoked, or when it timed out (idle, or too old).
    sessions = db.session.execute(
        delete(UserSession).where(
            or_(
                UserSession.revoked_at < cutoff,
                UserSession.last_seen_at < cutoff - idle,
                UserSession.created_at < cutoff - absolute,
            )
        )
    )
    # A token is finished once used or expired.
    tokens = db.session.execute(
        delete(AccountToken).where(or_(AccountToken.used_at < cutoff, AccountToken.expires_at < cutoff))
    )
    db.session.commit()
    return {
        "login attempts deleted": attempts.rowcount,
        "sign-in guards deleted": guards.rowcount,
        "sessions deleted": sessions.rowcount,
        "account tokens deleted": tokens.rowcount,
    }
