"""Jinja filters and globals shared by every template: dates, hours, page links, the
GOV.UK WTForms helpers and the service navigation. A feature's own filters and globals
are registered by its blueprint (catalogue.views: requirement names, delivery modes)."""
from __future__ import annotations

from flask import Flask, g
from flask_login import current_user
from govuk_frontend_wtf.main import WTFormsHelpers

from lms.core.pagination import page_href
from lms.core.time import format_date, format_datetime


def format_hours(value) -> str:
    """2 -> '2 hours', 1.5 -> '1.5 hours', 1 -> '1 hour'."""
    if value is None:
        return ""
    number = f"{float(value):.2f}".rstrip("0").rstrip(".")
    return f"{number} hour{'' if number == '1' else 's'}"


def init_app(app: Flask) -> None:
    WTFormsHelpers(app)
    app.add_template_filter(format_datetime, "datetime")
    app.add_template_filter(format_date, "date")
    app.add_template_filter(format_hours, "hours")
    app.add_template_global(page_href)

    @app.context_processor
    def inject_globals():
        return {
            "service_name": app.config["SERVICE_NAME"],
            "partnership_name": app.config["PARTNERSHIP_NAME"],
            "cspNonce": getattr(g, "csp_nonce", None),
            "navigation": _navigation,
        }


def _navigation(active_endpoint: str | None) -> list[dict]:
    """Service navigation items for the signed-in person's roles: [{"text", "href",
    "active"}]. Rendered on every page, so the items for each combination of roles and
    page are worked out once per application (and URL root) and then reused."""
    from flask import current_app, request

    user = current_user._get_current_object()
    if user.is_authenticated:
        roles = (True, bool(user.is_setting_lead), bool(user.is_admin), bool(user.is_trainer))
    else:
        roles = (False, False, False, False)
    key = (roles, active_endpoint or "", request.script_root)
    cache = current_app.extensions.setdefault("lms.navigation", {})
    items = cache.get(key)
    if items is None:
        items = cache[key] = _navigation_items(*roles, endpoint=active_endpoint or "")
    return [{"text": text, "href": href, "active": active} for text, href, active in items]


# The practitioner's booking pages, a setting lead's staff bookings and the calendar (the
# other sub-features of bookings are under "Manage sessions" and "Admin").
SESSIONS_PAGES = ("bookings.index", "bookings.session", "bookings.book", "bookings.mine", "bookings.booking",
                  "bookings.accept", "bookings.cancel", "bookings.substitute", "bookings.check_in", "bookings.staff.",
                  "bookings.calendar.", "programmes.twilights.index", "programmes.twilights.series",
                  "programmes.twilights.book")
# The public Safeguarding Week pages (programme, registration, calendar files).
WEEK_PAGES = ("programmes.week.current", "programmes.week.programme", "programmes.week.register",
              "programmes.week.registration", "programmes.week.event_ics")
# What trainers and admins run: the twilight series' admin pages and the programmes' reports.
MANAGED_PROGRAMME_PAGES = ("programmes.twilights.manage", "programmes.twilights.create", "programmes.twilights.topic",
                           "programmes.twilights.term_sessions", "programmes.twilights.copy",
                           "programmes.twilights.report", "reports.week.", "reports.annual.",
                           "evaluations.followup.results")


def _navigation_items(
    signed_in: bool, setting_lead: bool, admin: bool, trainer: bool, *, endpoint: str
) -> tuple[tuple[str, str, bool], ...]:
    """(text, href, active) for each item. Each item is active for the endpoints (or
    blueprints, ending in '.') listed with it.

    The first item naming the endpoint (or a pattern it is named after) is active; failing
    that, the first with a blueprint pattern matching it, where a blueprint pattern
    gives way to a longer one that also matches, in any item of anyone's navigation: a
    sub-feature's blueprint ("elearning.staff.", My organisation) is not its feature's
    ("elearning.", My learning), even for someone without that item."""
    from flask import url_for

    items = _items(signed_in, setting_lead, admin, trainer)
    matches = [
        (index, pattern) for index, (_, _, patterns) in enumerate(items) for pattern in patterns
        if _matches(endpoint, pattern)
    ]
    longest = max((len(pattern) for pattern in _BLUEPRINT_PATTERNS if endpoint.startswith(pattern)), default=0)
    # An endpoint named in an item beats any blueprint pattern ("elearning.scorm.upload" is
    # the Admin's, though "elearning." is My learning's).
    active_index = next((index for index, pattern in matches if not pattern.endswith(".")), None)
    if active_index is None:
        active_index = next((index for index, pattern in matches if len(pattern) == longest), None)
    if endpoint == "accounts.sign_out":
        active_index = len(items) - 1
    return tuple((text, url_for(target), index == active_index) for index, (text, target, _) in enumerate(items))


def _matches(endpoint: str, pattern: str) -> bool:
    """A blueprint pattern ('bookings.') matches its endpoints; an endpoint pattern matches
    itself and the endpoints named after it ('compliance.person' and 'compliance.person_pdf')."""
    return endpoint == pattern or (pattern.endswith(".") and endpoint.startswith(pattern)) or (
        not pattern.endswith(".") and endpoint.startswith(pattern + "_")
    )


def _items(signed_in: bool, setting_lead: bool, admin: bool, trainer: bool) -> list[tuple[str, str, tuple[str, ...]]]:
    """(text, endpoint, the patterns it is active for) of each item for these roles."""
    items: list[tuple[str, str, tuple[str, ...]]] = []
    if signed_in:
        items.append(("Home", "pages.index", ("pages.index",)))
        items.append(("Courses", "catalogue.index", ("catalogue.index", "catalogue.register_interest", "courses.")))
        items.append(("Sessions", "bookings.index", SESSIONS_PAGES + WEEK_PAGES))
        items.append(("My learning", "elearning.my_learning", ("elearning.", "certificates.mine", "certificates.show", "certificates.download",
                                                                   "evaluations.evaluate", "records.external.mine")))
        items.append(("My training", "compliance.my_training", ("compliance.my_training", "reports.portfolio.mine",
                                                                "evaluations.followup.answer_own")))
        if setting_lead:
            items.append(("My organisation", "accounts.staff.index", (
                "accounts.staff.", "elearning.staff.", "compliance.matrix", "compliance.person", "compliance.export",
                "records.external.staff", "reports.portfolio.staff", "reports.portfolio.pack",
            )))
        if admin or trainer:
            items.append(("Manage sessions", "bookings.sessions.index", ("bookings.sessions.", "bookings.registers.", "courses.sessions.",
                                                                      "evaluations.summary", "reports.uptake", "reports.sessions",
                                                                      *MANAGED_PROGRAMME_PAGES)))
        if admin:
            items.append(("Admin", "pages.admin", (
                "pages.admin", "accounts.admin.", "organisations.admin", "organisations.reference.", "organisations.requests.", "compliance.overview", "licences.", "compliance.rules.", "records.imports.", "bookings.charges.", "certificates.admin_index", "certificates.reissue", "certificates.revoke",
                "programmes.week.admin", "elearning.scorm.upload",
            )))
            items.append(("Audit log", "audit.index", ("audit.",)))
        items.append(("Your account", "accounts.profile", ("accounts.", "api_tokens.", "notifications.")))
        items.append(("Sign out", "accounts.sign_out", ()))  # active on sign-out itself: see above
    else:
        items.append(("Courses", "catalogue.index", ("catalogue.index", "catalogue.register_interest", "courses.")))
        items.append(("Sessions", "bookings.index", SESSIONS_PAGES))
        items.append(("Safeguarding Week", "programmes.week.current", WEEK_PAGES))
        items.append(("Check a certificate", "certificates.verify", ("certificates.verify",)))
        items.append(("Sign in", "accounts.sign_in", ("accounts.sign_in",)))
        items.append(("Create an account", "accounts.register", ("accounts.register",)))
    return items


# Every blueprint pattern of the navigation, whoever looks at it.
_BLUEPRINT_PATTERNS = frozenset(
    pattern
    for roles in ((True, True, True, True), (False, False, False, False))
    for _, _, patterns in _items(*roles)
    for pattern in patterns
    if pattern.endswith(".")
)
