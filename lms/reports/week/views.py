"""The Safeguarding Week report page and its CSV and XLSX downloads (reports.week.*)."""
from __future__ import annotations

from flask import Blueprint, render_template, request, url_for

from lms.core.db_routing import reads_reports
from lms.core import tables
from lms.core.auth import trainer_required
from lms.core.errors import DomainError
from lms.core.forms import fail
from lms.core.time import utcnow
from lms.programmes.week import services as week
from lms.programmes.week.models import ENGAGEMENT_MEASURES
from lms.reports.week.services import EVENT_COLUMNS, event_rows, week_report

bp = Blueprint("week", __name__, template_folder="templates")


def _xlsx(report, now) -> bytes:
    sheets = [
        tables.Sheet("Events", EVENT_COLUMNS, event_rows(report), widths={1: 12, 2: 45, 4: 35}, freeze="C2"),
        tables.Sheet("Attendance by sector", ["Sector", "Attended"], [list(row) for row in report.by_sector]),
        tables.Sheet("By organiser", ["Run by", "Events", "Professionals attended", "Public registrations",
                                      "Public attending", "Other engagement"],
                     [[row.name, row.events, row.attended, row.registered, row.public_attended, row.engagement]
                      for row in report.by_organiser], widths={1: 40}),
        tables.Sheet("Engagement", ["Measure", "Count"],
                     [[ENGAGEMENT_MEASURES[code], count] for code, count in report.engagement.items()], widths={1: 45}),
    ]
    summary = report.evaluations
    about = [
        ("Week", report.programme.title), ("Theme", report.theme), ("From", report.programme.starts_on),
        ("To", report.programme.ends_on), ("Led by", ", ".join(report.boards)),
        ("Evaluations", summary.responses),
        ("Satisfied", f"{summary.satisfaction_percent}%" if summary.satisfaction_percent is not None else "no answers"),
        ("Skills improved", f"{summary.skills_percent}%" if summary.skills_percent is not None else "no answers"),
        ("Professionals attended", "Marked attended or partly attended on the register, by their organisation's sector"),
        ("Public attending", "As recorded by the partnership for each event (the public have no register)"),
    ]
    return tables.to_xlsx(sheets, about, generated_at=now)


@bp.get("/reports/safeguarding-week/<int:programme_id>")
@trainer_required
@reads_reports
def report(programme_id: int):
    try:
        programme = week.get_week(programme_id)
    except DomainError as error:
        fail(error)
        raise
    result = week_report(programme)
    download = request.args.get("format")
    name = tables.slug(programme.title, default="safeguarding-week")
    if download == "csv":
        return tables.attachment(tables.to_csv(EVENT_COLUMNS, event_rows(result)), "csv", f"{name}.csv")
    if download == "xlsx":
        return tables.attachment(_xlsx(result, utcnow()), "xlsx", f"{name}.xlsx")
    return render_template(
        "reports/week/report.html", report=result, totals=result.totals, measures=ENGAGEMENT_MEASURES,
        csv_url=url_for("reports.week.report", programme_id=programme.id, format="csv"),
        xlsx_url=url_for("reports.week.report", programme_id=programme.id, format="xlsx"),
    )
