"""Jinja filters and globals shared by every template."""
from __future__ import annotations

from flask import Flask, g
from flask_login import current_user
from govuk_frontend_wtf.main import WTFormsHelpers

from lms.core.time import format_date, format_datetime


def init_app(app: Flask) -> None:
    WTFormsHelpers(app)
    app.add_template_filter(format_datetime, "datetime")
    app.add_template_filter(format_date, "date")

    @app.context_processor
    def inject_globals():
        return {
            "service_name": app.config["SERVICE_NAME"],
            "partnership_name": app.config["PARTNERSHIP_NAME"],
            "cspNonce": getattr(g, "csp_nonce", None),
            "navigation": _navigation,
        }


def _navigation(active_endpoint: str | None) -> list[dict]:
    """Service navigation items for the signed-in person's roles."""
    from flask import url_for

    items: list[tuple[str, str]] = []
    if current_user.is_authenticated:
        items.append(("Home", "home.index"))
        if current_user.is_setting_lead:
            items.append(("My organisation", "organisations.staff"))
        if current_user.is_admin:
            items.append(("Admin", "admin.index"))
            items.append(("Audit log", "audit.index"))
        items.append(("Your account", "accounts.profile"))
        items.append(("Sign out", "accounts.sign_out"))
    else:
        items.append(("Sign in", "accounts.sign_in"))
        items.append(("Create an account", "accounts.register"))
    active_prefix = (active_endpoint or "").split(".")[0]
    result = []
    for text, endpoint in items:
        result.append(
            {
                "text": text,
                "href": url_for(endpoint),
                "active": endpoint == active_endpoint
                or (endpoint.split(".")[0] == active_prefix and endpoint.endswith(".index") and active_prefix != "home"),
            }
        )
    return result
