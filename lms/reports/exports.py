"""The uptake report as CSV and XLSX: every figure, one line per group and figure, a
column per period and one for the whole period, then the totals, and a last column saying
what was counted (the filters), so a figure pasted elsewhere still says what it counts.
Also as a long table for analysts: one line per group, period and measure. The sessions
report the same way: a line per course, then all courses. All written by lms.core.tables."""
from __future__ import annotations

from datetime import datetime

from lms.core import tables
from lms.reports.services import FILTERS, GROUPINGS, MEASURES, PERIODS, Uptake, long_table

EVERYTHING = "Everything (no filters)"


def counted(result: Uptake) -> str:
    """What the figures count: the filters, or everything."""
    return result.filters_text or EVERYTHING


def header(result: Uptake) -> list[str]:
    return [GROUPINGS[result.query.by], "Figure"] + [b.key for b in result.buckets] + ["Whole period", "Counting"]


def lines(result: Uptake):
    """(group name, figure name, [numbers]) for each group and figure, then "All"
    (registrations are left out where they are not counted)."""
    keys = result.bucket_keys + ["total"]
    for row in result.rows + [result.total]:
        for measure in result.measures:
            if row.value(measure, "total") is None:
                continue
            yield row.name, MEASURES[measure], [row.value(measure, key) or 0 for key in keys]


def _table(result: Uptake) -> list[list]:
    what = counted(result)
    return [[name, figure, *numbers, what] for name, figure, numbers in lines(result)]


def to_csv(result: Uptake) -> bytes:
    return tables.to_csv(header(result), _table(result))


def to_xlsx(result: Uptake, *, generated_at: datetime) -> bytes:
    columns = len(result.buckets) + 4
    sheet = tables.Sheet("Uptake", header(result), _table(result), widths={1: 40, 2: 18, columns: 50}, freeze="C2")
    query = result.query
    about = [("Grouped by", GROUPINGS[query.by]), ("Columns", PERIODS[query.period]), ("Counting", counted(result))]
    about += [(applied.label, ", ".join(f"{name} ({code})" for name, code in zip(applied.names, applied.codes)))
              for applied in result.filters]
    about += [(bucket.key, f"{bucket.start:%d %b %Y} to {bucket.end:%d %b %Y}") for bucket in result.buckets]
    about += [
        ("Unique learners", "Distinct people with at least one completion; once per group and period"),
        ("Completions", "Completed activities"),
        ("Registrations", "Accounts created (by the organisation's sector, type or area now); not counted when "
                          "the figures are limited to courses or delivery modes"),
    ]
    return tables.to_xlsx([sheet], [("From", query.start), ("To", query.end), *about], generated_at=generated_at)


def filename(result: Uptake, extension: str, *, long: bool = False) -> str:
    """uptake-by-sector-2026-04-01-to-2027-03-31.csv; "-filtered" when filters apply, and
    "-long" for the long table."""
    query = result.query
    filtered = "-filtered" if result.filters else ""
    shape = "-long" if long else ""
    return f"uptake-by-{query.by}{filtered}{shape}-{query.start.isoformat()}-to-{query.end.isoformat()}.{extension}"


# --- the long table ---------------------------------------------------------------------------------

LONG_COLUMNS = ["grouping", "group", "group_name", "period", "period_from", "period_to", "measure", "value",
                *FILTERS]


def long_lines(result: Uptake):
    """The long table's lines: the grouping, the group's code and name, the period's key
    and dates, the measure's code and value, then each filter's codes (comma-separated;
    empty when not filtered)."""
    filters = [",".join(result.query.codes(param)) for param in FILTERS]
    for row in long_table(result):
        yield [result.query.by, row.group, row.group_name, row.period, row.period_from, row.period_to, row.measure,
               row.value, *filters]


def long_csv(result: Uptake) -> bytes:
    return tables.to_csv(LONG_COLUMNS, long_lines(result))


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
