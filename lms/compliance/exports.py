"""The staff matrix as a spreadsheet: CSV and XLSX with the same columns.

A header row, then one row per person: name, email address, current job roles, and for
each requirement two columns, its status ("Overdue", "Due soon", "Current", "Not yet due",
"Not applicable") and its due date (empty when there is no expiry or it does not apply).
In the XLSX file dates are real dates; in the CSV file they are YYYY-MM-DD.

Text that a spreadsheet would run as a formula (starting =, +, - or @) is written so it
stays text.
"""
from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from lms.compliance.queries import Matrix
from lms.core.tables import slug
from lms.core.tables import finish_workbook, safe_text, write_text

def header(matrix: Matrix) -> list[str]:
    columns = ["Name", "Email address", "Job roles"]
    for requirement in matrix.requirements:
        columns += [f"{requirement.name}: status", f"{requirement.name}: due date"]
    return columns


def rows(matrix: Matrix):
    """Each person's row as Python values (dates as dates)."""
    for row in matrix.rows:
        values: list = [row.name, row.email, "; ".join(row.roles)]
        for requirement in matrix.requirements:
            cell = row.cell(requirement.code)
            values += [cell.label, cell.due_on]
        yield values


def to_csv(matrix: Matrix) -> bytes:
    """The same values as rows(), written straight from each row's cells in column order;
    a status and due date that read the same are worked out once."""
    buffer = io.StringIO()
    buffer.write("\ufeff")  # so spreadsheet programs read the file as UTF-8
    writer = csv.writer(buffer)
    writer.writerow(header(matrix))
    codes = [requirement.code for requirement in matrix.requirements]
    written: dict = {}
    for row in matrix.rows:
        line = row.line if len(row.line) == len(codes) else [row.cell(code) for code in codes]
        values = [safe_text(row.name), safe_text(row.email), safe_text("; ".join(row.roles))]
        for cell in line:
            pair = written.get(cell)
            if pair is None:
                pair = written[cell] = (safe_text(cell.label), cell.due_on.isoformat() if cell.due_on else "")
            values += pair
        writer.writerow(values)
    return buffer.getvalue().encode("utf-8")


def _sheet_title(name: str) -> str:
    """Excel sheet names: at most 31 characters, none of []:*?/\\."""
    cleaned = re.sub(r"[\[\]:*?/\\]", " ", name).strip() or "Compliance"
    return cleaned[:31]


def to_xlsx(matrix: Matrix, *, generated_at: datetime, filters: list[tuple[str, str]]) -> bytes:
    """The matrix on one sheet, and what it shows (organisation, date, filters) on a second."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _sheet_title(matrix.organisation.name)
    titles = header(matrix)
    sheet.append(titles)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "B2"
    for values in rows(matrix):
        sheet.append([None if isinstance(value, str) else value for value in values])
        row_number = sheet.max_row
        for column, value in enumerate(values, start=1):
            target = sheet.cell(row=row_number, column=column)
            if isinstance(value, str):
                write_text(target, value)
            elif isinstance(value, date):
                target.number_format = "d mmm yyyy"
    for column, title in enumerate(titles, start=1):
        width = 14 if title.endswith(": due date") else max(14, min(len(title) + 2, 40))
        sheet.column_dimensions[get_column_letter(column)].width = width

    return finish_workbook(workbook, [
        ("Organisation", matrix.organisation.name),
        ("Statuses as of", matrix.as_of),
        ("People", len(matrix.rows)),
        *((f"Filter: {label}", value) for label, value in filters),
    ], generated_at=generated_at, widths=(24, 40))


def filename(matrix: Matrix, extension: str) -> str:
    """compliance-hillside-primary-school-2026-06-11.csv"""
    return f"compliance-{slug(matrix.organisation.name, default='organisation')}-{matrix.as_of.isoformat()}.{extension}"
