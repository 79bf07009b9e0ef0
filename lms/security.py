"""Security headers, error pages (HTML or JSON), the health check and the govuk-frontend assets."""
from __future__ import annotations

import secrets

from flask import Blueprint, Flask, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy import text
from werkzeug import exceptions as werkzeug_exceptions
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from lms.core.errors import Forbidden as DomainForbidden
from lms.core.errors import NotFound as DomainNotFound
from lms.extensions import db

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


def init_app(app: Flask) -> None:
    trust_proxies(app)
    app.register_blueprint(health_bp)
    node_modules = app.config["NODE_MODULES_DIR"]
    for name, folder in (
        ("govuk", "govuk-frontend/dist/govuk"),
        ("autocomplete", "accessible-autocomplete/dist"),
    ):
        app.register_blueprint(
            Blueprint(name, __name__, static_folder=f"{node_modules}/{folder}", static_url_path=f"/static/{name}")
        )

    @app.before_request
    def make_nonce():
        g.csp_nonce = secrets.token_urlsafe(16)

    @app.after_request
    def set_headers(response):
        nonce = getattr(g, "csp_nonce", "")
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; "
            f"script-src 'self' 'nonce-{nonce}'; "
            "style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; "
            "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
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
        template = {403: "errors/403.html", 404: "errors/404.html"}.get(error.code, "errors/generic.html")
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
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        if _wants_json():
            return jsonify({"error": "server-error", "message": "Something went wrong. Try again later."}), 500
        return render_template("errors/500.html"), 500
