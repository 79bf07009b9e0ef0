"""Security headers, error pages (HTML or JSON), the health check and the govuk-frontend assets."""
from __future__ import annotations

import secrets

from flask import Blueprint, Flask, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy import text
from sqlalchemy.exc import DataError, StatementError
from werkzeug import exceptions as werkzeug_exceptions
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from lms.core.errors import Forbidden as DomainForbidden
from lms.core.errors import NotFound as DomainNotFound
from lms.core.limits import DatabaseIntConverter, body_limit_of
from lms.extensions import db
from lms.partnership import services as partnership

health_bp = Blueprint("health", __name__)


@health_bp.get("/health")
def health():
    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
    except Exception:  # pragma: no cover - reported, not raised
        database = "unavailable"
    status = 200 if database == "ok" else 503
    return jsonify({"status": "ok" if status == 200 else "degraded", "database": database}), status


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def trust_proxies(app: Flask) -> None:
    """Behind TRUSTED_PROXIES proxies, take the client's address and scheme from the
    X-Forwarded-For and X-Forwarded-Proto headers they add (only that many hops from the
    right, so a client cannot put its own address in). With none, the headers are ignored."""
    hops = int(app.config.get("TRUSTED_PROXIES") or 0)
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB" if size >= 1024 * 1024 else f"{size // 1024} KB"


def _out_of_range(error: Exception) -> bool:
    """A number from the request too large for the database's columns (an id of 2**40 in a
    form or a query string): there is no such row."""
    if isinstance(error, OverflowError):  # SQLite: beyond 64 bits
        return True
    if isinstance(error, StatementError) and isinstance(error.orig, OverflowError):
        return True
    # PostgreSQL: numeric_value_out_of_range (beyond the column's 32 or 64 bits).
    return isinstance(error, DataError) and getattr(error.orig, "sqlstate", None) == "22003"


def init_app(app: Flask) -> None:
    trust_proxies(app)
    partnership.init_app(app)  # the partnership's name in every page's header
    # Before any route exists, so that every <int:...> is held to the database's range.
    app.url_map.converters["int"] = DatabaseIntConverter
    app.register_blueprint(health_bp)
    node_modules = app.config["NODE_MODULES_DIR"]
    for name, folder in (
        ("govuk", "govuk-frontend/dist/govuk"),
        ("autocomplete", "accessible-autocomplete/dist"),
    ):
        app.register_blueprint(
            Blueprint(name, __name__, static_folder=f"{node_modules}/{folder}", static_url_path=f"/static/{name}")
        )

    def refuse_large_bodies():
        """A body larger than the page takes (its body_limit, or MAX_CONTENT_LENGTH) is
        refused with a 413 from its Content-Length alone, before anything (the CSRF check
        included) reads it; a body sent without a length is cut off at the limit as it is
        read, with the same 413."""
        limit, message = body_limit_of(app.view_functions.get(request.endpoint), app.config.get("MAX_CONTENT_LENGTH"))
        if limit is None:
            return None
        request.max_content_length = limit
        if request.content_length is not None and request.content_length > limit:
            raise werkzeug_exceptions.RequestEntityTooLarge(
                message or f"What you sent is larger than this page accepts ({_megabytes(limit)}). "
                "Go back and choose a smaller file, or send less at a time."
            )
        return None

    # First of all the app's before-request functions (Flask-WTF's CSRF check reads the form).
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_large_bodies)

    @app.before_request
    def make_nonce():
        g.csp_nonce = secrets.token_urlsafe(16)

    @app.after_request
    def set_headers(response):
        nonce = getattr(g, "csp_nonce", "")
        # A response with its own policy keeps it (the sandboxed SCORM package files).
        response.headers.setdefault("Content-Security-Policy", (
            "default-src 'self'; "
            f"script-src 'self' 'nonce-{nonce}'; "
            "style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; "
            "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
        ))
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
        response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), interest-cohort=()"
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        if request.endpoint not in {"static", "govuk.static", "autocomplete.static"} and "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        if _wants_json():
            return jsonify({"error": "csrf", "message": error.description}), 400
        return render_template("errors/csrf.html"), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if _wants_json():
            response = jsonify({"error": error.name.lower().replace(" ", "-"), "message": error.description})
            for name, value in error.get_headers():
                if name.lower() != "content-type":
                    response.headers[name] = value  # e.g. Allow on a 405
            return response, error.code
        template = {403: "errors/403.html", 404: "errors/404.html", 413: "errors/413.html"}.get(
            error.code, "errors/generic.html")
        return render_template(template, error=error), error.code

    @app.errorhandler(DomainNotFound)
    @app.errorhandler(DomainForbidden)
    def domain_error(error):
        """A service's NotFound or Forbidden that a view let through: nothing it flushed is
        kept, and the person sees the 404 or 403 page (JSON under /api)."""
        db.session.rollback()
        return http_error(werkzeug_exceptions.NotFound() if isinstance(error, DomainNotFound)
                          else werkzeug_exceptions.Forbidden())

    @app.errorhandler(Exception)
    def server_error(error: Exception):
        if _out_of_range(error):
            db.session.rollback()
            return http_error(werkzeug_exceptions.NotFound())
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        if _wants_json():
            return jsonify({"error": "server-error", "message": "Something went wrong. Try again later."}), 500
        return render_template("errors/500.html"), 500
