"""The one writer of the tables people download: CSV and XLSX files that spreadsheet
programs open safely, the "About this file" sheet, and the response that saves a file.

Every cell of text that came from a person (a name, a course title, an organisation) is
written so that a spreadsheet never runs it as a formula: in CSV with a leading apostrophe,
in XLSX typed as text and marked as quoted. Numbers stay numbers and dates stay dates.
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from flask import Response
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

# A cell starting with one of these is read as a formula by spreadsheet programs: text
# from people (names, titles) must never run as one.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

BOM = "\ufeff"  # so spreadsheet programs read a CSV file as UTF-8

MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
    "zip": "application/zip",
}


# --- cells ---------------------------------------------------------------------------------------

def safe_text(value: str | None) -> str:
    """The text as it should be written to a cell: a leading apostrophe before anything a
    spreadsheet would take for a formula. None becomes an empty string."""
    value = value or ""
    return "'" + value if value.startswith(FORMULA_START) else value


def write_text(cell, value: str) -> None:
    """Write `value` into an XLSX cell as text, never a formula: typed as a string (openpyxl
    would store "=..." as a formula) and, when it starts like one, marked as quoted so a
    spreadsheet keeps it text when the cell is edited."""
    cell.value = value
    cell.data_type = "s"
    if value.startswith(FORMULA_START):
        cell.quotePrefix = True


def csv_value(value: object) -> object:
    """A value as a CSV cell: text made formula-safe, None empty, dates in ISO form."""
    if value is None:
        return ""
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def write_cell(cell, value: object) -> None:
    """Write one value into an XLSX cell: text as text, dates shown as dates, Decimals as
    numbers, None left empty."""
    if isinstance(value, str):
        write_text(cell, value)
        return
    if isinstance(value, Decimal):
        value = float(value)
    cell.value = value
    if isinstance(value, datetime):
        cell.value = value.replace(tzinfo=None)
        cell.number_format = "d mmm yyyy hh:mm"
    elif isinstance(value, date):
        cell.number_format = "d mmm yyyy"


# --- CSV -----------------------------------------------------------------------------------------

def csv_lines(header: Sequence[str] | None, rows: Iterable[Sequence[object]], *, bom: bool = True,
              chunk: int = 64 * 1024) -> Iterator[str]:
    """The CSV text in pieces of about `chunk` characters, for a streamed response of
    many rows. The header is written as it is (our own words); every row through
    csv_value."""
    buffer = io.StringIO()
    if bom:
        buffer.write(BOM)
    writer = csv.writer(buffer)
    if header is not None:
        writer.writerow(header)
    for row in rows:
        writer.writerow([csv_value(value) for value in row])
        if buffer.tell() > chunk:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def to_csv(header: Sequence[str] | None, rows: Iterable[Sequence[object]], *, bom: bool = True) -> bytes:
    """A whole CSV file as UTF-8 bytes (with a byte-order mark unless `bom` is false)."""
    return "".join(csv_lines(header, rows, bom=bom)).encode("utf-8")


# --- XLSX ----------------------------------------------------------------------------------------

@dataclass
class Sheet:
    """One worksheet: a bold, frozen header row and a row per line of values.
    `widths` gives column widths by column number (1 is the first); `freeze` is the
    first cell below and right of what stays in view."""

    title: str
    header: Sequence[str]
    rows: Iterable[Sequence[object]]
    widths: dict[int, float] = field(default_factory=dict)
    freeze: str = "A2"


def sheet_title(name: str, *, default: str = "Sheet") -> str:
    """A name Excel accepts for a sheet: at most 31 characters, none of []:*?/\\."""
    cleaned = re.sub(r"[\[\]:*?/\\]", " ", name).strip() or default
    return cleaned[:31]


def to_xlsx(sheets: Sequence[Sheet], about: Sequence[tuple[str, object]], *, generated_at: datetime,
            about_widths: tuple[int, int] = (22, 70)) -> bytes:
    """A workbook with the given sheets and, last, the "About this file" sheet."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for spec in sheets:
        sheet = workbook.create_sheet(sheet_title(spec.title))
        sheet.append(list(spec.header))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = spec.freeze
        for values in spec.rows:
            sheet.append([None] * len(values))
            row_number = sheet.max_row
            for column, value in enumerate(values, start=1):
                if value is not None:
                    write_cell(sheet.cell(row=row_number, column=column), value)
        for column, width in spec.widths.items():
            sheet.column_dimensions[get_column_letter(column)].width = width
    return finish_workbook(workbook, list(about), generated_at=generated_at, widths=about_widths)


def finish_workbook(workbook, lines: list[tuple[str, object]], *, generated_at: datetime,
                    widths: tuple[int, int] = (22, 70)) -> bytes:
    """Add the "About this file" sheet (a label and a value a line: dates shown as dates,
    text always as text, then when it was downloaded) and return the workbook's bytes."""
    about = workbook.create_sheet("About this file")
    for label, value in lines:
        about.append([label, None if isinstance(value, str) else value])
        cell = about.cell(row=about.max_row, column=2)
        if isinstance(value, str):
            write_text(cell, value)
        elif isinstance(value, date):
            cell.number_format = "d mmm yyyy"
    about.append(["Downloaded at (UTC)", generated_at.replace(tzinfo=None, microsecond=0)])
    about.cell(row=about.max_row, column=2).number_format = "d mmm yyyy hh:mm"
    about.column_dimensions["A"].width, about.column_dimensions["B"].width = widths
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- downloads -----------------------------------------------------------------------------------

def attachment(body, kind: str, filename: str) -> Response:
    """A response the browser saves as `filename`; `kind` is a key of MIMETYPES. `body`
    may be bytes, text or an iterator of pieces (a streamed CSV)."""
    return Response(body, headers={"Content-Type": MIMETYPES[kind],
                                   "Content-Disposition": f'attachment; filename="{filename}"'})


def slug(text: str, *, default: str, limit: int = 60) -> str:
    """'Hillside Primary School' -> 'hillside-primary-school': lower-case letters and digits
    joined by hyphens, at most `limit` characters, `default` when nothing is left."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:limit].strip("-") or default
