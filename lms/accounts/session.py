"""Server-side sessions for Flask-Login.

The cookie holds only a random session token (as Flask-Login's user id). Each request
looks the token up in `user_session`: revoked, idle or too-old sessions sign the person out.
"""
from __future__ import annotations

from flask import Flask, current_app, g, request

from lms.core.time import utcnow
from lms.extensions import db, login_manager


def init_app(app: Flask) -> None:
    login_manager.login_view = "accounts.sign_in"
    login_manager.login_message = "Sign in to continue."
    login_manager.login_message_category = "info"
    login_manager.session_protection = None  # the server-side session does this job

    @login_manager.user_loader
    def load_user(token: str):
        from lms.accounts import services

        user, touched = services.load_session(
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
