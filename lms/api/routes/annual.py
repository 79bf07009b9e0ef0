"""GET /api/v1/reports/annual: the annual report pack's figures as JSON, for trainers and
admins (the same as the page, its PDF and its spreadsheet)."""
from __future__ import annotations

from flask import jsonify

from lms.core.db_routing import reads_reports
from lms.api import bp
from lms.api.auth import caller
from lms.api.document import describe
from lms.api.errors import ApiError, InvalidParameter
from lms.api.fields import dump
from lms.api.schemas.annual import AnnualArgs, AnnualReport
from lms.compliance import engine
from lms.core.errors import DomainError
from lms.core.time import london_today, utcnow
from lms.reports.annual import services


def _course(line) -> dict:
    return {"code": line.code, "title": line.title, "sessions_held": line.sessions,
            "sessions_cancelled": line.cancelled_sessions, "places": line.places, "attended": line.attended,
            "partly_attended": line.partly, "no_shows": line.no_shows}


def _group(group) -> dict:
    return {"sector": group.code if hasattr(group, "code") else group.key, "name": group.name,
            "current": group.count(engine.CURRENT), "due_soon": group.count(engine.DUE_SOON),
            "overdue": group.count(engine.OVERDUE), "not_yet_due": group.count(engine.NOT_YET_DUE),
            "counted": group.total}


def body(report: services.AnnualReport) -> dict:
    words = services.paste(report)
    e, c, s, f = report.elearning, report.classroom, report.evaluations, report.followup
    codes = services.sector_codes([g.key for g in report.compliance.sectors])
    return {
        "year": report.label, "start": report.start, "end": report.to, "over": report.over,
        "elearning": {
            "quarters": e.quarters,
            "sectors": [{"sector": line.code, "name": line.name, "learners": line.values} for line in e.lines],
            "total": {"sector": "total", "name": e.total.name, "learners": e.total.values},
            "in_words": words["elearning"],
        },
        "classroom": {
            "courses_run": c.courses_run, "sessions_held": c.total.sessions,
            "courses": [_course(line) for line in c.courses], "total": _course(c.total),
            "sectors": [{"sector": line.code, "name": line.name, "attendances": line.value("attendances"),
                         "people": line.value("people")} for line in c.by_sector],
            "everyone": {"sector": "total", "name": c.everyone.name, "attendances": c.everyone.value("attendances"),
                         "people": c.everyone.value("people")},
            "in_words": words["classroom"],
        },
        "twilights": {
            "terms": [{"term": t.term.term, "label": t.term.label, "topic": t.topic,
                       "dsls_attending": t.report.attended, "schools_represented": t.report.represented,
                       "schools": t.report.schools, "schools_represented_percent": float(t.report.share)}
                      for t in report.terms],
            "in_words": words["twilights"],
        },
        "safeguarding_week": {
            "weeks": [{"programme_id": w.programme.id, "title": w.programme.title, "start": w.programme.starts_on,
                       "end": w.programme.ends_on, "theme": w.theme, "events": len(w.lines),
                       "professionals_booked": w.totals.booked, "professionals_attended": w.totals.attended,
                       "public_registrations": w.totals.registered, "public_attending": w.totals.public_attended,
                       "engagement": dict(w.engagement)} for w in report.weeks],
            "in_words": words["week"],
        },
        "evaluations": {
            "responses": s.responses, "satisfied_percent": s.satisfaction_percent,
            "skills_improved_percent": s.skills_percent,
            "confidence_before": s.confidence_before, "confidence_after": s.confidence_after,
            "more_confident_percent": s.more_confident_percent, "quotes": s.quotes, "in_words": words["evaluations"],
        },
        "followup": {
            "sent": f.sent, "answered": f.answered, "response_rate": f.response_rate, "used_percent": f.used_percent,
            "used": f.used_counts.get("yes", 0), "not_yet": f.used_counts.get("not-yet", 0),
            "not_used": f.used_counts.get("no", 0), "in_words": words["followup"],
        },
        "compliance": {
            "as_of": report.compliance.as_of,
            "sectors": [{**_group(g), "sector": codes.get(g.key, "none")} for g in report.compliance.sectors],
            "total": {**_group(report.compliance.total), "sector": "total"},
            "in_words": words["compliance"],
        },
        "definitions": dict(services.DEFINITIONS),
    }


@bp.get("/reports/annual")
@describe(
    "getAnnualReport", "The annual report pack for a financial year", tag="reports",
    response=AnnualReport, query=AnnualArgs, errors=(400, 403),
    description=(
        "For trainers and admins. The training section of the partnership's yearly report for a financial year "
        "(April to March): e-learning unique learners by sector and quarter; face-to-face and virtual courses, "
        "sessions and attendances by sector; DSL network twilight terms; Safeguarding Week; evaluations with "
        "consented quotes; impact follow-up; compliance by sector at the year end. Each section has its words "
        "ready to paste and `definitions` says what each counts. While the year is not over its figures are to "
        "today (`over` is false, `to` is today). A bad `year`, or one not started, is a 400 naming it."
    ),
)
@reads_reports
def annual_report():
    actor = caller()
    if not (actor.is_admin or actor.is_trainer):
        raise ApiError(403, "Only trainers and partnership admins can read the annual report")
    today = london_today(utcnow())
    args = AnnualArgs.parse()
    try:
        year = services.parse_year(args["year"] or services.year_label(services.latest_full_year(today)))
        services.check_started(year, today)
    except DomainError as error:
        raise InvalidParameter("year", error.message) from None
    return jsonify(dump(AnnualReport, body(services.annual_report(year, actor=actor, today=today))))
