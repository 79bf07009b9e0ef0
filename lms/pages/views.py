"""Pages that belong to no one feature: the start page and each person's home page (what
to do next, a section for each role they hold), the partnership admin's dashboard (figures
across features, learner licences and whether the scheduler is running), and the fixed
pages (accessibility, privacy)."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from lms.bookings.formatting import session_where
from lms.core.auth import actor, admin_required
from lms.core.time import utcnow
from lms.licences.services import summary as licence_summary
from lms.pages import services
from lms.pages.partnership.views import bp as partnership_bp
from lms.partnership.services import details as partnership_details

bp = Blueprint("pages", __name__, template_folder="templates")
bp.register_blueprint(partnership_bp)


@bp.get("/")
def index():
    if current_user.is_authenticated:
        return render_template("pages/dashboard.html", home=services.home(actor(), now=utcnow()), where=session_where)
    return render_template("pages/start.html")


@bp.get("/admin/")
@admin_required
def admin():
    return render_template(
        "pages/admin.html",
        figures=services.dashboard_figures(),
        scheduler=services.scheduler_status(now=utcnow()),
        licences=licence_summary(now=utcnow()),
    )


@bp.get("/accessibility")
def accessibility():
    details = partnership_details()
    issues = [line.strip() for line in (details.accessibility_known_issues or "").splitlines() if line.strip()]
    return render_template("pages/accessibility.html", details=details, issues=issues)


@bp.get("/privacy")
def privacy():
    return render_template("pages/privacy.html", details=partnership_details(),
                           retention=services.retention_schedule())
