"""Writing text into CSV and XLSX files that people open in spreadsheet programs."""
from __future__ import annotations

import io
from datetime import date, datetime

# A cell starting with one of these is read as a formula by spreadsheet programs: text
# from people (names, titles) must never run as one.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


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
