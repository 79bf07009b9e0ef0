"""Domain errors raised by services and turned into form or API errors at the edges."""
from __future__ import annotations


class DomainError(Exception):
    """A rule was broken. `field` names the form field the message belongs to, if any."""

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    status_code = 404


class Forbidden(DomainError):
    status_code = 403


class Conflict(DomainError):
    status_code = 409
