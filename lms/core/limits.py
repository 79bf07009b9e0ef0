"""Limits on what a request may carry: how large its body may be (per page, refused with a
413 before any of it is read, lms.security) and how large a whole-number id in a URL may
be (beyond what the database's integer columns hold there is no such row: a 404)."""
from __future__ import annotations

from collections.abc import Callable

from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

# The largest value of a 32-bit signed integer column (PostgreSQL's "integer", which every
# id column is). A larger id names nothing.
MAX_ID = 2**31 - 1


def body_limit(max_bytes: int, message: str | None = None) -> Callable:
    """Let this view take request bodies of up to `max_bytes` (say, a file upload) instead
    of the app's MAX_CONTENT_LENGTH, with `message` on the 413 page for a larger one (what
    the page's file must be smaller than). Put it directly under the route decorator."""

    def decorate(view):
        view.body_limit = max_bytes
        view.body_limit_message = message
        return view

    return decorate


def body_limit_of(view, default: int | None) -> tuple[int | None, str | None]:
    """The most this view takes, and what its 413 page says (None: the general wording)."""
    return getattr(view, "body_limit", None) or default, getattr(view, "body_limit_message", None)


class DatabaseIntConverter(IntegerConverter):
    """`<int:...>` in every route: a whole number beyond MAX_ID names nothing, so the answer
    is a 404 rather than a database error. (Raised here rather than declining the match:
    declined, a path whose other rule takes another method would answer 405.)"""

    def to_python(self, value: str) -> int:
        number = super().to_python(value)
        if number > MAX_ID:
            raise NotFound()
        return number
