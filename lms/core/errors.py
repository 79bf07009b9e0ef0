"""Domain errors raised by services and turned into form or API errors at the edges."""
from __future__ import annotations


class DomainError(Exception):
    """A rule was broken. `field` names the form field the message belongs to, if any."""

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class DomainErrors(DomainError):
    """Several rules broken at once (a check that looks at every field before answering):
    `errors`, each a DomainError; the first one's message and field are this one's."""

    def __init__(self, errors: list[DomainError]):
        super().__init__(errors[0].message, field=errors[0].field)
        self.errors = list(errors)


def each_error(error: DomainError) -> list[DomainError]:
    """The errors a DomainError carries: its own, or each of a DomainErrors'."""
    return list(error.errors) if isinstance(error, DomainErrors) else [error]


class NotFound(DomainError):
    status_code = 404


class Forbidden(DomainError):
    status_code = 403


class Conflict(DomainError):
    status_code = 409
