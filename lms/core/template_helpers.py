"""Jinja filters and globals shared by every template."""
from __future__ import annotations

from flask import Flask, g
from flask_login import current_user
from govuk_frontend_wtf.main import WTFormsHelpers

from lms.core.time import format_date, format_datetime
from lms.records.models import DELIVERY_MODES


def format_hours(value) -> str:
    """2 -> '2 hours', 1.5 -> '1.5 hours', 1 -> '1 hour'."""
    if value is None:
        return ""
    number = f"{float(value):.2f}".rstrip("0").rstrip(".")
    return f"{number} hour{'' if number == '1' else 's'}"


def requirement_name(code: str) -> str:
    """A requirement's name, looked up once per request."""
    from flask import g

    from lms.catalogue.services import requirement_names

    if "requirement_names" not in g:
        g.requirement_names = requirement_names()
    return g.requirement_names.get(code, code)


def init_app(app: Flask) -> None:
    WTFormsHelpers(app)
    app.add_template_filter(format_datetime, "datetime")
    app.add_template_filter(format_date, "date")
    app.add_template_filter(format_hours, "hours")
    app.add_template_filter(requirement_name, "requirement_name")

    @app.context_processor
    def inject_globals():
        return {
            "service_name": app.config["SERVICE_NAME"],
            "partnership_name": app.config["PARTNERSHIP_NAME"],
            "cspNonce": getattr(g, "csp_nonce", None),
            "navigation": _navigation,
            "delivery_modes": DELIVERY_MODES,
        }


def _navigation(active_endpoint: str | None) -> list[dict]:
    """Service navigation items for the signed-in person's roles. Each item is active for
    the endpoints (or blueprints, ending in '.') listed with it."""
    from flask import url_for

    items: list[tuple[str, str, tuple[str, ...]]] = []
    if current_user.is_authenticated:
        items.append(("Home", "home.index", ("home.index",)))
        items.append(("Courses", "catalogue.index", ("catalogue.",)))
        items.append(("My learning", "elearning.my_learning", ("elearning.",)))
        items.append(("My training", "compliance.my_training", ("compliance.my_training",)))
        if current_user.is_setting_lead:
            items.append(("My organisation", "organisations.staff", (
                "organisations.staff", "staff_learning.", "compliance.matrix", "compliance.person", "compliance.export",
            )))
        if current_user.is_admin:
            items.append(("Admin", "admin.index", (
                "admin.", "organisations.admin", "compliance.overview", "licences.", "requirements_admin.", "records_import.",
            )))
            items.append(("Audit log", "audit.index", ("audit.",)))
        items.append(("Your account", "accounts.profile", ("accounts.", "api_tokens.", "notifications.")))
        items.append(("Sign out", "accounts.sign_out", ("accounts.sign_out",)))
    else:
        items.append(("Courses", "catalogue.index", ("catalogue.",)))
        items.append(("Sign in", "accounts.sign_in", ("accounts.sign_in",)))
        items.append(("Create an account", "accounts.register", ("accounts.register",)))
    endpoint = active_endpoint or ""
    active_index = None
    for index, (_, _, patterns) in enumerate(items):
        for pattern in patterns:
            if endpoint == pattern or (pattern.endswith(".") and endpoint.startswith(pattern)) or (
                not pattern.endswith(".") and endpoint.startswith(pattern + "_")
            ):
                active_index = index if active_index is None else active_index
    if endpoint == "accounts.sign_out":
        active_index = len(items) - 1
    return [
        {"text": text, "href": url_for(target), "active": index == active_index}
        for index, (text, target, _) in enumerate(items)
    ]
