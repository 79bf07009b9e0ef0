"""Bearer-token authentication for every API route.

The API reads `Authorization: Bearer <token>` and nothing else: not the browser's session
cookie, not Flask-Login's `current_user`. The caller is kept in `g.api_user` (and the
token in `g.api_token`); API views get it with `caller()`.

A read-only token (a reporting token) is refused here, once for every route, on any
method but GET, HEAD and OPTIONS: 403, whatever the route would have said.
"""
from __future__ import annotations

from flask import g, request

from lms.accounts.models import User
from lms.api import bp
from lms.api import services
from lms.api.errors import ApiError, Unauthorised
from lms.core.time import utcnow
from lms.extensions import db

# Endpoints anyone may call without a token.
PUBLIC_ENDPOINTS: set[str] = set()

MAX_TOKEN_LENGTH = 200
READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


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
    g.api_token = None
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    token = bearer_token()
    if token is None:
        raise Unauthorised(
            "Send a personal API token in the Authorization header: Authorization: Bearer <token>",
            invalid_token=False,
        )
    row = services.authenticate_token(token, now=utcnow()) if len(token) <= MAX_TOKEN_LENGTH else None
    if row is None:
        raise Unauthorised(
            "This API token is not valid: it is unknown, it has been revoked or has expired, or its account is closed",
            invalid_token=True,
        )
    user, read_only = row.user, row.read_only  # read before a commit expires them
    if db.session.dirty:  # last_used_at moved on (at most once a minute)
        db.session.commit()
    if read_only and request.method not in READING_METHODS:
        raise ApiError(403, "This token is read-only: it can read reports and records but not change anything. "
                            "Use a token that is not read-only to make changes.")
    g.api_user = user
    g.api_token = row
    return None


def caller() -> User:
    """The person whose token made this request."""
    user = g.get("api_user")
    if user is None:  # only reachable from a public endpoint that asks for a caller
        raise Unauthorised("This endpoint needs an API token", invalid_token=False)
    return user
