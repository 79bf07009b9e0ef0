"""The annual report pack for a financial year (reports.annual.pack): the page, its PDF
and its spreadsheet, for admins and trainers."""
from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovTextInput
from wtforms import StringField

from lms.core.db_routing import reads_reports
from lms.core import tables
from lms.core.auth import actor, trainer_required
from lms.core.errors import DomainError
from lms.core.forms import apply_domain_error
from lms.core.pdf import render_pdf
from lms.core.time import london_today, utcnow
from lms.reports.annual import services

bp = Blueprint("annual", __name__, template_folder="templates")


class YearForm(FlaskForm):
    class Meta:
        csrf = False  # sent with GET: it changes nothing

    year = StringField("Financial year", widget=GovTextInput(),
                       description="April to March, like 2025-26")


def xlsx(report: services.AnnualReport, *, generated_at) -> bytes:
    sheets = []
    for key, found in services.tables(report).items():
        for table in found:
            sheets.append(tables.Sheet(table.sheet, table.header, table.rows, widths={1: 40, 2: 30}))
    quotes = [[quote] for quote in report.evaluations.quotes] + [[how] for how in report.followup.hows]
    if quotes:
        sheets.append(tables.Sheet("Quotes", ["In people's own words, without names"], quotes, widths={1: 100}))
    about = [("Financial year", report.label), ("From", report.start), ("To", report.to)]
    if not report.over:
        about.append(("Not over", f"The financial year ends on {report.end:%d/%m/%Y}: these figures are to "
                                  f"{report.to:%d/%m/%Y} so far."))
    titles = services.sections(report)
    for key, sentences in services.paste(report).items():
        about.append((titles[key], " ".join(sentences)))
    about += [(f"Definitions: {titles[key]}", text) for key, text in services.DEFINITIONS.items() if key in titles]
    return tables.to_xlsx(sheets, about, generated_at=generated_at)


@bp.get("/reports/annual")
@trainer_required
@reads_reports
def pack():
    now = utcnow()
    today = london_today(now)
    form = YearForm(formdata=request.args if request.args.get("year") else None,
                    data={"year": services.year_label(services.latest_full_year(today))})
    try:
        year = services.parse_year(form.year.data)
        services.check_started(year, today)
    except DomainError as error:
        apply_domain_error(form, error, "year")
        return render_template("reports/annual/pack.html", form=form, report=None), 400
    report = services.annual_report(year, actor=actor(), today=today)
    download = request.args.get("format")
    name = f"annual-report-{report.label}"
    if download == "xlsx":
        return tables.attachment(xlsx(report, generated_at=now), "xlsx", f"{name}.xlsx")
    context = dict(report=report, sections=services.sections(report), tables=services.tables(report),
                   words=services.paste(report), definitions=services.DEFINITIONS)
    if download == "pdf":
        body = render_pdf("reports/annual/pack_pdf.html", generated_at=now, **context)
        return tables.attachment(body, "pdf", f"{name}.pdf")
    return render_template(
        "reports/annual/pack.html", form=form,
        pdf_url=url_for("reports.annual.pack", year=report.label, format="pdf"),
        xlsx_url=url_for("reports.annual.pack", year=report.label, format="xlsx"),
        **context,
    )
