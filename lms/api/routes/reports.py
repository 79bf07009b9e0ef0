"""GET /api/v1/reports/uptake: the uptake figures of the report page (DESIGN.md sections 8
and 9), for trainers and admins."""
from __future__ import annotations

from datetime import date

from flask import jsonify

from lms.api import bp
from lms.api.auth import caller
from lms.api.document import describe
from lms.api.errors import ApiError, InvalidParameter
from lms.api.fields import dump
from lms.api.schemas import Uptake, UptakeArgs
from lms.core.errors import DomainError
from lms.core.time import london_today, utcnow
from lms.reports import services as reports

FIELD_NAMES = {"start": "from", "end": "to", "by": "by", "period": "period"}


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
        "created. A completion counts in the sector of the person's organisation at the time."
    ),
)
def uptake_report():
    actor = caller()
    if not (actor.is_admin or actor.is_trainer):
        raise ApiError(403, "Only trainers and partnership admins can read uptake reports")
    today = london_today(utcnow())
    args = UptakeArgs.parse()
    start = args["start"] or date(reports.financial_year(today), 4, 1)
    end = args["end"] or today
    query = reports.UptakeQuery(start, end, by=args["by"] or "sector", period=args["period"] or "quarter")
    try:
        result = reports.uptake(query)
    except DomainError as error:
        raise InvalidParameter(FIELD_NAMES.get(error.field, error.field or "from"), error.message) from None
    return jsonify(dump(Uptake, {
        "start": start,
        "end": end,
        "by": query.by,
        "period": query.period,
        "periods": result.buckets,
        "rows": [{"key": row.key, "name": row.name, **_figures(row, result)} for row in result.rows],
        "total": _figures(result.total, result),
    }))
