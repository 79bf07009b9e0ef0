"""The admin compliance overview as a spreadsheet: CSV and XLSX with the same columns.

A header row, then one row per group: everyone counted ("All organisations"), then each
sector, organisation type and area, then every organisation (all of them, not one page
of the overview), by name. The columns are the group, its name, the number current, due
soon, overdue and not yet due, the number counted, and the share current as a whole
percentage (rounded as the page rounds it; empty when nothing is counted).

The figures come from the same queries as the page (queries.overview), so they match it:
a few statements that group in SQL, however many organisations there are.

Text that a spreadsheet would run as a formula (a name starting =, +, - or @) stays
text: written through safe_text in the CSV file, and as a typed text cell, marked as
quoted, in the XLSX file.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import func, select

from lms.compliance import engine, queries
from lms.compliance.models import Requirement
from lms.core.tables import slug
from lms.core.tables import finish_workbook, safe_text, write_text
from lms.extensions import db
from lms.organisations.models import Organisation

FORMATS = ("csv", "xlsx")

# The statuses, in the order of the page's columns.
STATUSES = (engine.CURRENT, engine.DUE_SOON, engine.OVERDUE, engine.NOT_YET_DUE)

HEADER = ["Group", "Name", *[queries.STATUS_LABELS[s] for s in STATUSES], "People counted", "% current"]

TOTAL_GROUP = "All organisations"
ORGANISATION_GROUP = "Organisation"


@dataclass
class OverviewExport:
    """What a download holds: the day, the requirement (None for all of them), and the
    rows as (group title, counts) in the order they are written."""

    as_of: date
    requirement: Requirement | None
    rows: list[tuple[str, queries.GroupCounts]]
    organisations: int  # how many organisation rows there are


def gather(*, as_of: date, requirement: Requirement | None) -> OverviewExport:
    """Every row of the overview for `as_of` and `requirement`: the groups and every
    organisation. One statement finds how many organisations there could be, so that
    the organisations come back as a single page, by name; the rest are the overview's
    own statements (two from the kept counts, six from the status table)."""
    requirement_id = requirement.id if requirement else None
    most = db.session.scalar(select(func.count(Organisation.id))) or 0
    groups, page = queries.overview(
        as_of=as_of, requirement_id=requirement_id, sort="name", page=1, per_page=max(1, most),
    )
    rows: list[tuple[str, queries.GroupCounts]] = [(TOTAL_GROUP, queries.overview_total(groups["sector"]))]
    for key, (title, _) in queries.OVERVIEW_GROUPS.items():
        rows += [(title, group) for group in groups[key]]
    rows += [(ORGANISATION_GROUP, organisation) for organisation in page.items]
    return OverviewExport(as_of=as_of, requirement=requirement, rows=rows, organisations=len(page.items))


def _numbers(counts: queries.GroupCounts) -> list[int | None]:
    """The row's numbers: a count per status, the total and the share current (None
    when nothing is counted)."""
    total = counts.total
    return [*(counts.count(status) for status in STATUSES), total, counts.percent(engine.CURRENT) if total else None]


def to_csv(report: OverviewExport) -> bytes:
    buffer = io.StringIO()
    buffer.write("\ufeff")  # so spreadsheet programs read the file as UTF-8
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    for group, counts in report.rows:
        writer.writerow([safe_text(group), safe_text(counts.name)] + ["" if n is None else n for n in _numbers(counts)])
    return buffer.getvalue().encode("utf-8")


def definitions(report: OverviewExport) -> list[tuple[str, str]]:
    """What the columns mean, for the "About this file" sheet (and the guide)."""
    if report.requirement is None:
        counted = ("Each person's requirements, counted once each (someone with three requirements counts "
                   "three times); open accounts recorded at an organisation only")
    else:
        counted = f"People {report.requirement.name} applies to, recorded at an organisation (open accounts only)"
    return [
        ("Group", "All organisations (everyone counted), then each sector, organisation type, area and organisation"),
        ("Current", "Done, and not yet inside the window before the due date (or no expiry)"),
        ("Due soon", "Inside the window before the due date"),
        ("Overdue", "Past the due date (and any grace days the rule allows)"),
        ("Not yet due", "New starters who have not done it yet, before their deadline"),
        ("People counted", counted),
        ("% current", "Current as a share of the people counted in the row, rounded to a whole number"),
    ]


def to_xlsx(report: OverviewExport, *, generated_at: datetime) -> bytes:
    """The rows on one sheet, and what they show (the day, the requirement, the
    definitions, when it was downloaded) on a second, "About this file"."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Compliance overview"
    sheet.append(HEADER)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "C2"
    for group, counts in report.rows:
        sheet.append([None, None, *_numbers(counts)])
        line = sheet.max_row
        write_text(sheet.cell(row=line, column=1), group)
        write_text(sheet.cell(row=line, column=2), counts.name)
    sheet.column_dimensions["A"].width = 20
    sheet.column_dimensions["B"].width = 45
    for letter in "CDEFGH":
        sheet.column_dimensions[letter].width = 14

    return finish_workbook(workbook, [
        ("Statuses as of", report.as_of),
        ("Requirement", report.requirement.name if report.requirement else "All requirements"),
        ("Organisations", report.organisations),
        *definitions(report),
    ], generated_at=generated_at, widths=(22, 90))


def filename(report: OverviewExport, extension: str) -> str:
    """compliance-overview-2026-06-11.csv, or compliance-overview-dsl-role-training-2026-06-11.xlsx"""
    code = slug(report.requirement.code, default="", limit=100) if report.requirement else ""
    requirement = f"-{code}" if code else ""
    return f"compliance-overview{requirement}-{report.as_of.isoformat()}.{extension}"
