"""The JSON API under /api/v1, authenticated with personal API tokens.

`bp` carries the JSON API. It takes bearer tokens only and never the browser's session
cookie, so it is exempt from CSRF: a cross-site request cannot use someone's session to
reach it. `tokens_bp` carries the pages where a signed-in person creates and revokes
their tokens (ordinary HTML pages with CSRF protection).
"""
from flask import Blueprint

from lms.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

# Attach authentication, error handlers and routes to `bp` (imported for their effects).
from lms.api import auth, errors  # noqa: E402,F401
from lms.api.routes import annual  # noqa: E402,F401  (the annual report pack)
from lms.api.routes import (  # noqa: E402,F401
    bookings,
    certificates,
    completions,
    compliance,
    courses,
    learning,
    me,
    organisations,
    people,
    programmes,
    public,
    reference,
    reports,
    spec,
    twilights,
)
from lms.api.tokens import bp as tokens_bp  # noqa: E402,F401

__all__ = ["bp", "tokens_bp"]
