"""GET /api/v1/reports/uptake: the uptake figures of the report page (DESIGN.md sections 8
and 9), for trainers and admins."""
from __future__ import annotations

from datetime import date

from flask import jsonify

from lms.api import bp
from lms.api.auth import caller
from lms.api.errors import ApiError, InvalidParameter
from lms.api.params import date_arg, text_arg
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
def uptake_report():
    actor = caller()
    if not (actor.is_admin or actor.is_trainer):
        raise ApiError(403, "Only trainers and partnership admins can read uptake reports")
    today = london_today(utcnow())
    start = date_arg("from") or date(reports.financial_year(today), 4, 1)
    end = date_arg("to") or today
    query = reports.UptakeQuery(start, end, by=text_arg("by", max_length=40) or "sector",
                                period=text_arg("period", max_length=20) or "quarter")
    try:
        result = reports.uptake(query)
    except DomainError as error:
        raise InvalidParameter(FIELD_NAMES.get(error.field, error.field or "from"), error.message) from None
    return jsonify({
        "from": start.isoformat(),
        "to": end.isoformat(),
        "by": query.by,
        "period": query.period,
        "periods": [{"key": b.key, "label": b.label, "from": b.start.isoformat(), "to": b.end.isoformat()}
                    for b in result.buckets],
        "rows": [{"key": row.key, "name": row.name, **_figures(row, result)} for row in result.rows],
        "total": _figures(result.total, result),
    })
