"""Server-side sessions for Flask-Login.

The cookie holds only a random session token (as Flask-Login's user id). Each request
looks the token up in `user_session`: revoked, idle or too-old sessions sign the person out.

The check is one SQL statement: the session row, joined to its person, with whether the
person leads any organisation (asked by the navigation and by `setting_lead_required` on
every page). A session past its idle or absolute timeout is revoked, and a live one is
renewed (last_seen_at moved on) at most once a minute; either is committed before the
view runs.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import Flask, current_app, g, request
from sqlalchemy import bindparam, exists, select, update

from lms.accounts.models import SETTING_LEAD_KEY, SettingLead, User, UserSession
from lms.core.time import utcnow
from lms.core.tokens import hash_token
from lms.extensions import db, login_manager

# A live session is renewed on the first request more than this after its last renewal.
RENEW_AFTER = timedelta(seconds=60)

_statement = None


def _session_statement():
    """Built once: the session's timestamps, its person and the setting-lead flag."""
    global _statement
    if _statement is None:
        _statement = (
            select(
                UserSession.id,
                UserSession.created_at,
                UserSession.last_seen_at,
                UserSession.revoked_at,
                User,
                exists().where(SettingLead.user_id == User.id).label("leads"),
            )
            .join(User, User.id == UserSession.user_id)
            .where(UserSession.token_hash == bindparam("token_hash"))
        )
    return _statement


def load_signed_in(token: str, *, now: datetime, idle_timeout: timedelta, absolute_timeout: timedelta):
    """(user, touched) for a session token, in one statement (the session, its person and
    whether they lead an organisation):
    None for an unknown or revoked session, a closed account, or a session idle too long
    or too old (which is revoked: touched). A live session is renewed once a minute
    (touched). Writes go through UPDATE statements; the caller commits when touched."""
    row = db.session.execute(_session_statement(), {"token_hash": hash_token(token or "")}).first()
    if row is None or row.revoked_at is not None:
        return None, False
    if now - row.last_seen_at > idle_timeout or now - row.created_at > absolute_timeout:
        db.session.execute(update(UserSession).where(UserSession.id == row.id).values(revoked_at=now))
        return None, True
    user = row.User
    if not user.active:
        return None, False
    touched = now - row.last_seen_at > RENEW_AFTER
    if touched:
        db.session.execute(update(UserSession).where(UserSession.id == row.id).values(last_seen_at=now))
    user.session_token = token
    request.environ[SETTING_LEAD_KEY] = (user.id, bool(row.leads))
    return user, touched


def init_app(app: Flask) -> None:
    login_manager.login_view = "accounts.sign_in"
    login_manager.login_message = "Sign in to continue."
    login_manager.login_message_category = "info"
    login_manager.session_protection = None  # the server-side session does this job

    @login_manager.user_loader
    def load_user(token: str):
        user, touched = load_signed_in(
            token,
            now=utcnow(),
            idle_timeout=current_app.config["SESSION_IDLE_TIMEOUT"],
            absolute_timeout=current_app.config["SESSION_ABSOLUTE_TIMEOUT"],
        )
        g.session_touched = touched
        return user

    @app.before_request
    def touch_session():
        # Never reuse a user loaded by an earlier request that shared this app context.
        g.pop("_login_user", None)
        g.pop("session_touched", None)
        if request.endpoint in {"static", "govuk.static", "autocomplete.static", "health.health"}:
            return
        if request.path.startswith("/api/"):
            return  # the API takes bearer tokens only: it neither reads nor extends a browser session
        from flask_login import current_user

        _ = current_user.is_authenticated  # loads (and checks) the session now
        if getattr(g, "session_touched", False):
            db.session.commit()
