"""The reports, for trainers, admins and their reporting tools (DESIGN.md sections 8 and 9):

GET /api/v1/reports/uptake         the uptake figures of the report page, filtered
GET /api/v1/reports/uptake/long    the same as a long table (a row per group, period, measure)
GET /api/v1/reports/sessions       the sessions report: fill and attendance by course
GET /api/v1/reports/evaluations    evaluation summaries by course, and for all
GET /api/v1/reports/compliance     compliance counts by organisation and requirement
"""
from __future__ import annotations

from datetime import date

from flask import current_app, jsonify, request

from lms.core.db_routing import reads_reports
from lms.accounts import services as accounts
from lms.api import bp
from lms.api.auth import caller
from lms.api.document import describe
from lms.api.errors import ApiError, InvalidParameter, InvalidParameters
from lms.api.fields import With, dump
from lms.api.schemas import (ComplianceReport, ComplianceReportArgs, EvaluationArgs, EvaluationsReport, PeriodArgs,
                             SessionsReport, Uptake, UptakeArgs, UptakeLong)
from lms.catalogue.models import Course
from lms.core.errors import DomainError, each_error
from lms.core.forms import financial_quarter_start
from lms.core.time import london_today, utcnow
from lms.evaluations import services as evaluations
from lms.extensions import db
from lms.reports import analyst
from lms.reports import services as reports
from lms.reports.sessions import sessions_report

FIELD_NAMES = {"start": "from", "end": "to", "by": "by", "period": "period"}
FILTERS_NOTE = (
    " Filters combine with the grouping: delivery_mode, sector, organisation_type, area and course take stable codes, "
    "comma-separated (sector=education,early-years); within a filter any code counts, across filters each must hold. "
    "Unknown codes are a 400 naming the parameter and the codes allowed."
)


def reader():
    """The caller, if a trainer or an admin; otherwise a 403."""
    actor = caller()
    if not (actor.is_admin or actor.is_trainer):
        raise ApiError(403, "Only trainers and partnership admins can read reports")
    return actor


def codes(param: str) -> tuple[str, ...]:
    """A filter's codes: comma-separated, the parameter given once or several times."""
    return tuple(part.strip() for value in request.args.getlist(param) for part in value.split(",") if part.strip())


def filter_codes() -> dict[str, tuple[str, ...]]:
    return {param: codes(param) for param in reports.FILTERS}


def as_parameter(error: DomainError) -> InvalidParameters:
    """A service's DomainError (or each of a DomainErrors') as a 400 naming the parameters."""
    return InvalidParameters([(FIELD_NAMES.get(each.field, each.field or "from"), each.message)
                              for each in each_error(error)])


def _uptake() -> reports.Uptake:
    reader()
    today = london_today(utcnow())
    args = UptakeArgs.parse()
    start = args["start"] or date(reports.financial_year(today), 4, 1)
    end = args["end"] or today
    query = reports.UptakeQuery(
        start, end, by=args["by"] or "sector", period=args["period"] or "quarter",
        **{reports.FILTERS[param].attribute: given for param, given in filter_codes().items()},
    )
    try:
        return reports.uptake(query, kept=current_app.config["UPTAKE_KEPT_FIGURES"])
    except DomainError as error:
        raise as_parameter(error) from None


def _about(result: reports.Uptake) -> dict:
    query = result.query
    return {
        "start": query.start, "end": query.end, "by": query.by, "period": query.period,
        "filters": {param: list(query.codes(param)) for param in reports.FILTERS},
        "counting": result.filters_text or "Everything (no filters)",
    }


def _figures(row: reports.Row, result: reports.Uptake) -> dict:
    keys = result.bucket_keys + ["total"]
    figures = {}
    for measure in result.measures:
        name = measure.replace("-", "_")
        if row.value(measure, "total") is None:
            figures[name] = None
        else:
            figures[name] = {key: row.value(measure, key) or 0 for key in keys}
    return figures


@bp.get("/reports/uptake")
@describe(
    "getUptake", "Uptake: unique learners, completions and registrations by group and period", tag="reports",
    response=Uptake, query=UptakeArgs, errors=(400, 403),
    description=(
        "For trainers and admins. Unique learners are distinct people with at least one completion in the period "
        "(once per group and period); completions count every completed activity; registrations count accounts "
        "created. A completion counts in the sector of the person's organisation at the time." + FILTERS_NOTE
    ),
)
@reads_reports
def uptake_report():
    result = _uptake()
    return jsonify(dump(Uptake, {
        **_about(result),
        "periods": result.buckets,
        "rows": [{"key": row.key, "name": row.name, **_figures(row, result)} for row in result.rows],
        "total": _figures(result.total, result),
    }))


@bp.get("/reports/uptake/long")
@describe(
    "getUptakeLong", "Uptake as a long table: one row per group, period and measure", tag="reports",
    response=UptakeLong, query=UptakeArgs, errors=(400, 403),
    description=(
        "For trainers, admins and their reporting tools (Power BI, Power Query): the figures of getUptake, one value "
        "a row. The group `all` is everyone (each person counted once); the period `whole-period` is the whole "
        "period (unique learners are not the periods added up)." + FILTERS_NOTE
    ),
)
@reads_reports
def uptake_long():
    result = _uptake()
    return jsonify(dump(UptakeLong, {**_about(result), "items": reports.long_table(result)}))


def _period() -> tuple[date, date]:
    today = london_today(utcnow())
    args = PeriodArgs.parse()
    start, end = args["start"] or financial_quarter_start(today), args["end"] or today
    if end < start:
        raise InvalidParameter("to", "to must be the same as or after from")
    return start, end


@bp.get("/reports/sessions")
@describe(
    "getSessionsReport", "Sessions held: fill rate, attendance, no-shows and late cancellations by course",
    tag="reports", response=SessionsReport, query=PeriodArgs, errors=(400, 403),
    description=(
        "For trainers and admins: the figures of the sessions report for sessions held on London dates from `from` "
        "to `to` (this financial quarter so far by default), one entry per course and the total."
    ),
)
@reads_reports
def sessions_figures():
    reader()
    start, end = _period()
    try:
        report = sessions_report(start, end)
    except DomainError as error:
        raise as_parameter(error) from None
    return jsonify(dump(SessionsReport, report))


@bp.get("/reports/evaluations")
@describe(
    "getEvaluationsReport", "Evaluation summaries: satisfaction, skills improved and confidence by course",
    tag="reports", response=EvaluationsReport, query=EvaluationArgs, errors=(400, 403),
    description=(
        "For trainers and admins: the evaluation summaries of training completed from `from` to `to` (this "
        "financial quarter so far by default), one entry per course with evaluations and the total, with quotes "
        "from people who agreed to be quoted. `course` limits them to one course."
    ),
)
@reads_reports
def evaluation_figures():
    reader()
    code = EvaluationArgs.parse()["course"]
    start, end = _period()
    course = None
    if code:
        course = db.session.scalar(db.select(Course).where(Course.code == code))
        if course is None:
            raise InvalidParameter("course", f"course must be a course code; no course has the code “{code[:30]}”")
    filters = evaluations.Filters(date_from=start, date_to=end, course_id=course.id if course else None)
    rows = evaluations.course_rows(filters)
    return jsonify(dump(EvaluationsReport, {
        "start": start, "end": end, "course": course.code if course else None,
        "courses": [With(summary, course=each.code, title=each.title) for each, summary in rows],
        "total": evaluations.summarise(filters),
    }))


@bp.get("/reports/compliance")
@describe(
    "getComplianceReport", "Compliance counts by organisation and requirement, in one call", tag="reports",
    response=ComplianceReport, query=ComplianceReportArgs, errors=(400, 403),
    description=(
        "How many people at each organisation are current, due soon, overdue or not yet due on each requirement, "
        "as of a date, counted as the admin overview counts them. Admins see every organisation, setting leads "
        "their own; anyone else gets a 403. Not paged: one row per organisation and requirement."
    ),
)
@reads_reports
def compliance_figures():
    actor = caller()
    organisation_ids = None
    if not actor.is_admin:
        organisation_ids = accounts.led_organisation_ids(actor)
        if not organisation_ids:
            raise ApiError(403, "Only partnership admins and setting leads can read compliance counts")
    args = ComplianceReportArgs.parse()
    as_of = args["as_of"] or london_today(utcnow())
    try:
        rows = analyst.compliance_by_organisation(
            as_of=as_of, organisation_ids=organisation_ids, sectors=codes("sector"),
            organisation_types=codes("organisation_type"), areas=codes("area"), requirements=codes("requirement"),
        )
    except DomainError as error:
        raise as_parameter(error) from None
    return jsonify(dump(ComplianceReport, {"as_of": as_of, "items": rows}))
