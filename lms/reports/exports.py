"""The uptake report as CSV and XLSX: every figure, one line per group and figure, a
column per period and one for the whole period, then the totals."""
from __future__ import annotations

import csv
import io
from datetime import datetime

from openpyxl import Workbook
from openpyxl.styles import Font

from lms.core.tables import finish_workbook, safe_text, write_text
from lms.reports.services import GROUPINGS, MEASURES, PERIODS, Uptake


def header(result: Uptake) -> list[str]:
    return [GROUPINGS[result.query.by], "Figure"] + [b.key for b in result.buckets] + ["Whole period"]


def lines(result: Uptake):
    """(group name, figure name, [numbers]) for each group and figure, then "All"."""
    keys = result.bucket_keys + ["total"]
    for row in result.rows + [result.total]:
        for measure in result.measures:
            if row is not result.total and row.value(measure, "total") is None:
                continue
            yield row.name, MEASURES[measure], [row.value(measure, key) or 0 for key in keys]


def to_csv(result: Uptake) -> bytes:
    buffer = io.StringIO()
    buffer.write("\ufeff")  # so spreadsheet programs read the file as UTF-8
    writer = csv.writer(buffer)
    writer.writerow(header(result))
    for name, figure, numbers in lines(result):
        writer.writerow([safe_text(name), figure] + numbers)
    return buffer.getvalue().encode("utf-8")


def to_xlsx(result: Uptake, *, generated_at: datetime) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Uptake"
    sheet.append(header(result))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "C2"
    for name, figure, numbers in lines(result):
        sheet.append([None, figure] + numbers)
        write_text(sheet.cell(row=sheet.max_row, column=1), name)
    sheet.column_dimensions["A"].width = 40
    sheet.column_dimensions["B"].width = 18

    query = result.query
    about = [("Grouped by", GROUPINGS[query.by]), ("Columns", PERIODS[query.period])]
    about += [(bucket.key, f"{bucket.start:%d %b %Y} to {bucket.end:%d %b %Y}") for bucket in result.buckets]
    about += [
        ("Unique learners", "Distinct people with at least one completion; once per group and period"),
        ("Completions", "Completed activities"),
        ("Registrations", "Accounts created (by the organisation's sector, type or area now)"),
    ]
    return finish_workbook(workbook, [("From", query.start), ("To", query.end), *about], generated_at=generated_at)


def filename(result: Uptake, extension: str) -> str:
    query = result.query
    return f"uptake-by-{query.by}-{query.start.isoformat()}-to-{query.end.isoformat()}.{extension}"


# --- sessions: fill and attendance -----------------------------------------------------------------

SESSION_COLUMNS = ["Course code", "Course", "Sessions held", "Sessions cancelled", "Places", "Places taken",
                   "Fill rate %", "Attended", "Partly attended", "No-shows", "No-show rate %", "Late cancellations"]


def session_lines(report):
    for line in report.lines + [report.total]:
        yield [line.code, line.title, line.sessions, line.cancelled_sessions, line.places, line.taken,
               line.fill_rate, line.attended, line.partly, line.no_shows, line.no_show_rate, line.late_cancellations]


def sessions_csv(report) -> bytes:
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(SESSION_COLUMNS)
    for values in session_lines(report):
        writer.writerow([safe_text(values[0]), safe_text(values[1])] + ["" if v is None else v for v in values[2:]])
    return buffer.getvalue().encode("utf-8")


def sessions_xlsx(report, *, generated_at: datetime) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Sessions"
    sheet.append(SESSION_COLUMNS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "C2"
    for values in session_lines(report):
        sheet.append([None, None] + [None if v is None else (float(v) if not isinstance(v, int) else v) for v in values[2:]])
        for column in (1, 2):
            write_text(sheet.cell(row=sheet.max_row, column=column), values[column - 1])
    sheet.column_dimensions["B"].width = 45
    return finish_workbook(workbook, [
        ("Sessions held from", report.start), ("To", report.end),
        ("Fill rate", "Places taken (booked, attended, partly attended, no-show) as a share of places"),
        ("No-show rate", "No-shows as a share of the people marked on the register"),
    ], generated_at=generated_at)
