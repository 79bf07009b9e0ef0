"""The compliance pages as spreadsheets, CSV and XLSX with the same columns, written
through lms.core.tables (text a spreadsheet would run as a formula stays text; dates are
real dates in XLSX and YYYY-MM-DD in CSV; the XLSX file ends with "About this file").

- A setting lead's staff matrix: a header row, then one row per person: name, email
  address, current job roles, and for each requirement two columns, its status
  ("Overdue", "Due soon", "Current", "Not yet due", "Not applicable") and its due date
  (empty when there is no expiry or it does not apply).
- The admin overview: a header row, then one row per group: everyone counted ("All
  organisations"), then each sector, organisation type and area, then every organisation
  (all of them, not one page of the overview), by name. The columns are the group, its
  name, the number current, due soon, overdue and not yet due, the number counted, and
  the share current as a whole percentage (rounded as the page rounds it; empty when
  nothing is counted). The figures come from the same queries as the page
  (overview.overview), so they match it: a few statements that group in SQL, however many
  organisations there are.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select

from lms.compliance import engine, overview, queries
from lms.compliance.matrix import Matrix
from lms.compliance.models import Requirement
from lms.core import tables
from lms.core.tables import Sheet, sheet_title, slug
from lms.extensions import db
from lms.organisations.models import Organisation

FORMATS = ("csv", "xlsx")


# --- a setting lead's staff matrix ------------------------------------------------------------

def matrix_header(matrix: Matrix) -> list[str]:
    columns = ["Name", "Email address", "Job roles"]
    for requirement in matrix.requirements:
        columns += [f"{requirement.name}: status", f"{requirement.name}: due date"]
    return columns


def matrix_rows(matrix: Matrix):
    """Each person's row as Python values (dates as dates), from the row's cells in column
    order."""
    codes = [requirement.code for requirement in matrix.requirements]
    for row in matrix.rows:
        line = row.line if len(row.line) == len(codes) else [row.cell(code) for code in codes]
        values: list = [row.name, row.email, "; ".join(row.roles)]
        for cell in line:
            values += [cell.label, cell.due_on]
        yield values


def matrix_csv(matrix: Matrix) -> bytes:
    return tables.to_csv(matrix_header(matrix), matrix_rows(matrix))


def matrix_xlsx(matrix: Matrix, *, generated_at: datetime, filters: list[tuple[str, str]]) -> bytes:
    """The matrix on one sheet, and what it shows (organisation, date, filters) on a second."""
    titles = matrix_header(matrix)
    widths = {
        column: 14 if title.endswith(": due date") else max(14, min(len(title) + 2, 40))
        for column, title in enumerate(titles, start=1)
    }
    sheet = Sheet(sheet_title(matrix.organisation.name, default="Compliance"), titles, matrix_rows(matrix),
                  widths=widths, freeze="B2")
    return tables.to_xlsx([sheet], [
        ("Organisation", matrix.organisation.name),
        ("Statuses as of", matrix.as_of),
        ("People", len(matrix.rows)),
        *((f"Filter: {label}", value) for label, value in filters),
    ], generated_at=generated_at, about_widths=(24, 40))


def matrix_filename(matrix: Matrix, extension: str) -> str:
    """compliance-hillside-primary-school-2026-06-11.csv"""
    return f"compliance-{slug(matrix.organisation.name, default='organisation')}-{matrix.as_of.isoformat()}.{extension}"


# --- the admin overview -----------------------------------------------------------------------

# The statuses, in the order of the page's columns.
STATUSES = (engine.CURRENT, engine.DUE_SOON, engine.OVERDUE, engine.NOT_YET_DUE)

OVERVIEW_HEADER = ["Group", "Name", *[queries.STATUS_LABELS[s] for s in STATUSES], "People counted", "% current"]

TOTAL_GROUP = "All organisations"
ORGANISATION_GROUP = "Organisation"


@dataclass
class OverviewExport:
    """What a download holds: the day, the requirement (None for all of them), and the
    rows as (group title, counts) in the order they are written."""

    as_of: date
    requirement: Requirement | None
    rows: list[tuple[str, overview.GroupCounts]]
    organisations: int  # how many organisation rows there are


def gather_overview(*, as_of: date, requirement: Requirement | None) -> OverviewExport:
    """Every row of the overview for `as_of` and `requirement`: the groups and every
    organisation. One statement finds how many organisations there could be, so that
    the organisations come back as a single page, by name; the rest are the overview's
    own statements (two from the kept counts, six from the status table)."""
    requirement_id = requirement.id if requirement else None
    most = db.session.scalar(select(func.count(Organisation.id))) or 0
    groups, page = overview.overview(
        as_of=as_of, requirement_id=requirement_id, sort="name", page=1, per_page=max(1, most),
    )
    rows: list[tuple[str, overview.GroupCounts]] = [(TOTAL_GROUP, overview.overview_total(groups["sector"]))]
    for key, (title, _) in overview.OVERVIEW_GROUPS.items():
        rows += [(title, group) for group in groups[key]]
    rows += [(ORGANISATION_GROUP, organisation) for organisation in page.items]
    return OverviewExport(as_of=as_of, requirement=requirement, rows=rows, organisations=len(page.items))


def _numbers(counts: overview.GroupCounts) -> list[int | None]:
    """The row's numbers: a count per status, the total and the share current (None
    when nothing is counted)."""
    total = counts.total
    return [*(counts.count(status) for status in STATUSES), total, counts.percent(engine.CURRENT) if total else None]


def _overview_rows(report: OverviewExport):
    for group, counts in report.rows:
        yield [group, counts.name, *_numbers(counts)]


def overview_csv(report: OverviewExport) -> bytes:
    return tables.to_csv(OVERVIEW_HEADER, _overview_rows(report))


def overview_definitions(report: OverviewExport) -> list[tuple[str, str]]:
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


def overview_xlsx(report: OverviewExport, *, generated_at: datetime) -> bytes:
    """The rows on one sheet, and what they show (the day, the requirement, the
    definitions, when it was downloaded) on a second, "About this file"."""
    widths = {1: 20, 2: 45, **{column: 14 for column in range(3, 9)}}
    sheet = Sheet("Compliance overview", OVERVIEW_HEADER, _overview_rows(report), widths=widths, freeze="C2")
    return tables.to_xlsx([sheet], [
        ("Statuses as of", report.as_of),
        ("Requirement", report.requirement.name if report.requirement else "All requirements"),
        ("Organisations", report.organisations),
        *overview_definitions(report),
    ], generated_at=generated_at, about_widths=(22, 90))


def overview_filename(report: OverviewExport, extension: str) -> str:
    """compliance-overview-2026-06-11.csv, or compliance-overview-dsl-role-training-2026-06-11.xlsx"""
    code = slug(report.requirement.code, default="", limit=100) if report.requirement else ""
    requirement = f"-{code}" if code else ""
    return f"compliance-overview{requirement}-{report.as_of.isoformat()}.{extension}"
