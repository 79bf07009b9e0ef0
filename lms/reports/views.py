"""The reports: uptake and sessions (fill and attendance) for trainers and admins, with
their CSV and XLSX downloads, at /reports/...; the blueprint also nests the CPD portfolios
and evidence packs (reports.portfolio), whose pages are under /my-training and
/organisation, so it has no URL prefix of its own."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template, request, url_for

from lms.core.db_routing import reads_reports
from lms.core.auth import trainer_required
from lms.core.errors import DomainError
from lms.core.forms import apply_domain_error, read_period
from lms.core.tables import attachment
from lms.core.time import london_today, utcnow
from lms.reports import exports, services
from lms.reports.forms import uptake_form
from lms.reports.portfolio.views import bp as portfolio_bp
from lms.reports.sessions import sessions_report

bp = Blueprint("reports", __name__, template_folder="templates")
bp.register_blueprint(portfolio_bp)
bp.register_blueprint(__import__("lms.reports.week.views", fromlist=["bp"]).bp)  # the Safeguarding Week report
bp.register_blueprint(__import__("lms.reports.annual.views", fromlist=["bp"]).bp)  # the annual report pack

DOWNLOADS = ("csv", "xlsx")


@bp.get("/reports/uptake")
@trainer_required
@reads_reports
def uptake():
    """The uptake figures, grouped and filtered, with their downloads: `format=csv` or
    `xlsx` (the figures as on the page, every measure), `long-csv` (one row per group,
    period and measure, for Power BI and Power Query)."""
    now = utcnow()
    form, valid = uptake_form(request.args, london_today(now))
    result = None
    if valid:
        try:
            result = services.uptake(form.query(), kept=current_app.config["UPTAKE_KEPT_FIGURES"])
        except DomainError as error:
            apply_domain_error(form, error, "start")
            valid = False
    download = request.args.get("format")
    if valid and download in DOWNLOADS + ("long-csv",):
        if download == "long-csv":
            return attachment(exports.long_csv(result), "csv", exports.filename(result, "csv", long=True))
        body = exports.to_csv(result) if download == "csv" else exports.to_xlsx(result, generated_at=now)
        return attachment(body, download, exports.filename(result, download))
    args = form.link_args() if valid else {}
    measure = form.measure.data if form.measure.data in services.MEASURES else "unique-learners"
    return render_template(
        "reports/uptake.html", form=form, result=result, measure=measure,
        measure_name=services.MEASURES[measure], grouping=services.GROUPINGS.get(form.by.data, ""),
        not_grouped=valid and measure == "registrations" and form.by.data not in services.REGISTRATION_GROUPINGS,
        not_counted=valid and measure == "registrations" and not result.counts_registrations,
        csv_url=url_for("reports.uptake", format="csv", **args) if valid else None,
        xlsx_url=url_for("reports.uptake", format="xlsx", **args) if valid else None,
        long_url=url_for("reports.uptake", format="long-csv", **args) if valid else None,
        api_url=url_for("api.uptake_long", _external=True, **args) if valid else None,
    ), 200 if valid else 400


@bp.get("/reports/sessions")
@trainer_required
@reads_reports
def sessions():
    """Fill rate, no-shows and late cancellations by course for sessions held in a period
    (this financial quarter so far by default)."""
    now = utcnow()
    form, valid = read_period(request.args, london_today(now))
    report = None
    if valid:
        try:
            report = sessions_report(form.start.data, form.end.data)
        except DomainError as error:
            apply_domain_error(form, error, "start")
            valid = False
    download = request.args.get("format")
    if valid and download in DOWNLOADS:
        body = exports.sessions_csv(report) if download == "csv" else exports.sessions_xlsx(report, generated_at=now)
        period = form.as_args()
        return attachment(body, download, f"sessions-{period['from']}-to-{period['to']}.{download}")
    args = form.as_args() if valid else {}
    return render_template(
        "reports/sessions.html", form=form, report=report,
        csv_url=url_for("reports.sessions", format="csv", **args) if valid else None,
        xlsx_url=url_for("reports.sessions", format="xlsx", **args) if valid else None,
    ), 200 if valid else 400
