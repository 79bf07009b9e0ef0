"""Bearer-token authentication for every API route.

The API reads `Authorization: Bearer <token>` and nothing else: not the browser's session
cookie, not Flask-Login's `current_user`. The caller is kept in `g.api_user`; API views
get it with `caller()`.
"""
from __future__ import annotations

from flask import g, request

from lms.accounts.models import User
from lms.api import bp
from lms.api import services
from lms.api.errors import Unauthorised
from lms.core.time import utcnow
from lms.extensions import db

# Endpoints anyone may call without a token.
PUBLIC_ENDPOINTS: set[str] = set()

MAX_TOKEN_LENGTH = 200


def public(view):
    """Mark an API view as callable without a token."""
    PUBLIC_ENDPOINTS.add(f"{bp.name}.{view.__name__}")
    return view


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, credentials = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return credentials.strip() or None


@bp.before_request
def authenticate_request():
    g.api_user = None
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    token = bearer_token()
    if token is None:
        raise Unauthorised(
            "Send a personal API token in the Authorization header: Authorization: Bearer <token>",
            invalid_token=False,
        )
    user = services.authenticate(token, now=utcnow()) if len(token) <= MAX_TOKEN_LENGTH else None
    if user is None:
        raise Unauthorised(
            "This API token is not valid: it is unknown, it has been revoked, or its account is closed",
            invalid_token=True,
        )
    if db.session.dirty:  # last_used_at moved on (at most once a minute)
        db.session.commit()
    g.api_user = user
    return None


def caller() -> User:
    """The person whose token made this request."""
    user = g.get("api_user")
    if user is None:  # only reachable from a public endpoint that asks for a caller
        raise Unauthorised("This endpoint needs an API token", invalid_token=False)
    return user
