"""The public catalogue: every course with filters, and "tell me when there are dates" for
a course with none planned. A course's own page is lms.courses (it shows e-learning and
bookings too)."""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from lms.catalogue import services
from lms.catalogue.admin.views import bp as admin_bp
from lms.catalogue.forms import LEVEL_CHOICES, MODE_CHOICES, ButtonForm, CatalogueQuery
from lms.catalogue.models import DELIVERY_MODES
from lms.core.auth import actor, login_required
from lms.core.errors import DomainError
from lms.core.pagination import page_href
from lms.core.time import utcnow
from lms.extensions import db

bp = Blueprint("catalogue", __name__, template_folder="templates")
bp.register_blueprint(admin_bp)

# Every template may name a course's delivery mode: {{ delivery_modes[course.delivery_mode] }}.
bp.add_app_template_global(DELIVERY_MODES, "delivery_modes")


@bp.app_template_filter("requirement_name")
def requirement_name(code: str) -> str:
    """A requirement's name, looked up once per request."""
    if "requirement_names" not in g:
        g.requirement_names = services.requirement_names()
    return g.requirement_names.get(code, code)


@bp.get("/courses")
def index():
    query = CatalogueQuery.from_args(request.args)
    filters = services.CourseFilters(
        keyword=query.keyword,
        modes=list(query.modes),
        levels=[int(level) for level in query.levels],
        sector=query.sector or None,
        job_role=query.job_role or None,
    )
    listing = services.catalogue_listing(filters, page=query.page)
    page = listing.page
    return render_template(
        "catalogue/index.html", query=query, page=page, sectors=listing.sectors, job_roles=listing.job_roles,
        mode_choices=MODE_CHOICES, level_choices=LEVEL_CHOICES, course_href_prefix=_course_href_prefix(),
        page_links=_page_links(page, query),
    )


def _course_href_prefix() -> str:
    """The link to a course page without the code at its end (the template adds each
    course's code, quoted): url_for once per request rather than once per course listed."""
    return url_for("courses.course", code="CODE").removesuffix("CODE")


def _page_links(page, query: CatalogueQuery) -> dict | None:
    """GOV.UK pagination parameters, each link keeping the filters; None when one page holds all."""
    args = query.query_args()
    return page.govuk_pagination(page_href("catalogue.index", args, anchor="results"), label="Course pages")


@bp.post("/courses/<code>/interest")
@login_required
def register_interest(code: str):
    course = services.get_course(code)
    form = ButtonForm()
    if form.validate_on_submit():
        try:
            added = services.register_interest(actor(), course, now=utcnow())
        except DomainError as error:
            flash(error.message, "info")
        else:
            db.session.commit()
            flash(
                "We will email you when dates are planned." if added else "You are already on the list for this course.",
                "success",
            )
    return redirect(url_for("courses.course", code=course.code))
