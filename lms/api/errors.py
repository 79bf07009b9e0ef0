"""JSON errors for the API.

Every error under /api/v1 has the same shape:

    {"error": "not-found", "message": "No person has this id",
     "errors": [{"field": "per_page", "message": "..."}]}   # "errors" only when relevant

`error` is the HTTP status name in lower case with hyphens ("bad-request",
"unauthorized", "forbidden", "not-found", "method-not-allowed", "conflict",
"unprocessable-entity", "server-error"). Never a stack trace, never HTML.
"""
from __future__ import annotations

from flask import current_app, jsonify, request
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from lms.api import bp
from lms.core.errors import DomainError
from lms.extensions import db


def error_code(status: int) -> str:
    if status == 500:
        return "server-error"
    return HTTP_STATUS_CODES.get(status, "error").lower().replace(" ", "-")


def error_response(status: int, message: str, *, errors: list[dict] | None = None, headers: dict | None = None):
    body: dict = {"error": error_code(status), "message": message}
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


class ApiError(Exception):
    """An error to send as JSON: raise it anywhere in an API view or hook."""

    def __init__(self, status: int, message: str, *, errors: list[dict] | None = None, headers: dict | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors or []
        self.headers = headers or {}


class InvalidParameter(ApiError):
    """A query parameter is missing or malformed: 400 naming the parameter."""

    def __init__(self, name: str, message: str):
        super().__init__(400, message, errors=[{"field": name, "message": message}])


class InvalidParameters(ApiError):
    """Several query parameters are wrong at once: 400 naming each, the first one's message
    as the message."""

    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__(400, problems[0][1], errors=[{"field": name, "message": message} for name, message in problems])


class Unauthorised(ApiError):
    """No token, or a token that is unknown, revoked or belongs to a closed account."""

    def __init__(self, message: str, *, invalid_token: bool):
        challenge = 'Bearer realm="api"'
        if invalid_token:
            challenge += ', error="invalid_token"'
        super().__init__(401, message, headers={"WWW-Authenticate": challenge})


@bp.errorhandler(ApiError)
def handle_api_error(error: ApiError):
    return error_response(error.status, error.message, errors=error.errors, headers=error.headers)


@bp.errorhandler(DomainError)
def handle_domain_error(error: DomainError):
    db.session.rollback()
    errors = [{"field": error.field, "message": error.message}] if error.field else None
    return error_response(error.status_code, error.message, errors=errors)


@bp.errorhandler(HTTPException)
def handle_http_exception(error: HTTPException):
    # Keep the headers werkzeug adds (Allow on 405, WWW-Authenticate on 401), not its HTML.
    headers = {name: value for name, value in error.get_headers() if name.lower() != "content-type"}
    status = error.code or 500
    return error_response(status, error.description or HTTP_STATUS_CODES.get(status, ""), headers=headers)


@bp.errorhandler(Exception)
def handle_unexpected(error: Exception):
    current_app.logger.exception("Unhandled API error on %s %s", request.method, request.path)
    db.session.rollback()
    return error_response(500, "Something went wrong. Try again later.")
