"""The uptake report as CSV and XLSX: every figure, one line per group and figure, a
column per period and one for the whole period, then the totals. The sessions report the
same way: a line per course, then all courses. Both written by lms.core.tables."""
from __future__ import annotations

from datetime import datetime

from lms.core import tables
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
    return tables.to_csv(header(result), ([name, figure, *numbers] for name, figure, numbers in lines(result)))


def to_xlsx(result: Uptake, *, generated_at: datetime) -> bytes:
    sheet = tables.Sheet("Uptake", header(result), [[name, figure, *numbers] for name, figure, numbers in lines(result)],
                         widths={1: 40, 2: 18}, freeze="C2")
    query = result.query
    about = [("Grouped by", GROUPINGS[query.by]), ("Columns", PERIODS[query.period])]
    about += [(bucket.key, f"{bucket.start:%d %b %Y} to {bucket.end:%d %b %Y}") for bucket in result.buckets]
    about += [
        ("Unique learners", "Distinct people with at least one completion; once per group and period"),
        ("Completions", "Completed activities"),
        ("Registrations", "Accounts created (by the organisation's sector, type or area now)"),
    ]
    return tables.to_xlsx([sheet], [("From", query.start), ("To", query.end), *about], generated_at=generated_at)


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
    return tables.to_csv(SESSION_COLUMNS, session_lines(report))


def sessions_xlsx(report, *, generated_at: datetime) -> bytes:
    sheet = tables.Sheet("Sessions", SESSION_COLUMNS, session_lines(report), widths={2: 45}, freeze="C2")
    return tables.to_xlsx([sheet], [
        ("Sessions held from", report.start), ("To", report.end),
        ("Fill rate", "Places taken (booked, attended, partly attended, no-show) as a share of places"),
        ("No-show rate", "No-shows as a share of the people marked on the register"),
    ], generated_at=generated_at)
