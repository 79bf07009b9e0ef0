"""Reports: uptake figures by group and period, filtered (DESIGN.md sections 8 and 9), also
as a long table; the sessions report; evaluation summaries; compliance counts by
organisation and requirement."""
from __future__ import annotations

from marshmallow import fields

from lms.api.fields import Args, Day, Shape, Text, described
from lms.api.schemas.common import choice, day, text
from lms.catalogue.models import DELIVERY_MODES

UPTAKE_MEASURES = ["unique-learners", "completions", "registrations"]
FILTER_DESCRIPTIONS = {
    "delivery_mode": f"Count only these delivery modes, comma-separated: {', '.join(DELIVERY_MODES)}.",
    "sector": "Count only these sectors (the sector of the person's organisation at the time), comma-separated "
              "codes, e.g. education,early-years. See /reference/sectors.",
    "organisation_type": "Count only these organisation types (the organisation's type now), comma-separated "
                         "codes. See /reference/organisation-types.",
    "area": "Count only these areas (the organisation's area now), comma-separated codes. See /reference/areas.",
    "course": "Count only these courses, comma-separated course codes, e.g. SGE,CE.",
}
MAX_FILTER_LENGTH = 2000


def filter_param(name: str) -> Text:
    return Text(MAX_FILTER_LENGTH, description=FILTER_DESCRIPTIONS[name] + " An unknown code is a 400 listing the "
                "codes allowed. Also taken as the parameter given several times.")


class FilterArgs(Args):
    """The uptake filters (DESIGN.md section 8: filters combine with grouping)."""

    delivery_mode = filter_param("delivery_mode")
    sector = filter_param("sector")
    organisation_type = filter_param("organisation_type")
    area = filter_param("area")
    course = filter_param("course")


class AppliedFilters(Shape):
    class Meta:
        description = ("The filters the figures were counted under, by parameter: the codes given. An empty list "
                       "does not filter.")

    delivery_mode = fields.List(fields.String())
    sector = fields.List(fields.String())
    organisation_type = fields.List(fields.String())
    area = fields.List(fields.String())
    course = fields.List(fields.String())

UPTAKE_GROUPS = ["sector", "organisation-type", "area", "course", "delivery-mode"]
UPTAKE_PERIODS = ["quarter", "year"]


def figures(description: str = "One number per period key, and `total` for the whole period.", **kwargs):
    return fields.Dict(keys=fields.String(), values=fields.Integer(**described(minimum=0)),
                       **described(description), **kwargs)


class UptakeFigures(Shape):
    class Meta:
        description = "Everyone: unique learners are counted once, not added up."

    unique_learners = figures()
    completions = figures()
    registrations = figures("Null when the grouping is by course or delivery mode, or the figures are limited to "
                            "courses or delivery modes.", allow_none=True)


class UptakePeriod(Shape):
    key = text("e.g. 2026-27 Q1 or 2026-27.")
    label = text("e.g. Apr to Jun 2026.")
    start = day(data_key="from")
    end = day("Cut to the report's period at either end.", data_key="to")


class UptakeRow(UptakeFigures):
    class Meta:
        description = "One group's figures."

    key = text("The group's stable code (sector, organisation type, area, course or delivery mode), or none.")
    name = fields.String()


class Uptake(Shape):
    class Meta:
        description = "Uptake figures by group and period (DESIGN.md section 8)."

    start = day(data_key="from")
    end = day(data_key="to")
    by = choice(UPTAKE_GROUPS)
    period = choice(UPTAKE_PERIODS)
    filters = fields.Nested(AppliedFilters)
    counting = text("What the figures count, in words: the filters, or everything.")
    periods = fields.List(fields.Nested(UptakePeriod))
    rows = fields.List(fields.Nested(UptakeRow))
    total = fields.Nested(UptakeFigures)


class UptakeArgs(FilterArgs):
    start = Day("First day, YYYY-MM-DD; the start of this financial year if not given.", data_key="from")
    end = Day("Last day, YYYY-MM-DD; today (London) if not given. At most 10 years.", data_key="to")
    by = Text(40, description="What to group by.", enum=UPTAKE_GROUPS, default="sector")
    period = Text(20, description="Financial quarters (April to June...) or financial years (April to March).",
                  enum=UPTAKE_PERIODS, default="quarter")


class UptakeLongRow(Shape):
    class Meta:
        description = "One figure: a group, a period and a measure."

    group = text("The group's stable code, none (no organisation, area or course), or all (everyone, each person "
                 "counted once).")
    group_name = fields.String()
    period = text("A period key (2026-27 Q1, 2026-27) or whole-period.")
    period_from = day()
    period_to = day()
    measure = choice(UPTAKE_MEASURES)
    value = fields.Integer(**described(minimum=0))


class UptakeLong(Shape):
    class Meta:
        description = ("Uptake as a long table, one row per group, period and measure, for Power BI or Power Query. "
                       "Unique learners of the whole period are not the periods added up: use the whole-period rows.")

    start = day(data_key="from")
    end = day(data_key="to")
    by = choice(UPTAKE_GROUPS)
    period = choice(UPTAKE_PERIODS)
    filters = fields.Nested(AppliedFilters)
    counting = text("What the figures count, in words: the filters, or everything.")
    items = fields.List(fields.Nested(UptakeLongRow))


# --- sessions: fill and attendance ------------------------------------------------------------------

def _percent(description: str):
    return fields.Float(allow_none=True, **described(description + " Null when there is nothing to divide by.",
                                                     minimum=0, maximum=100))


class SessionsFigures(Shape):
    class Meta:
        description = "Fill and attendance figures of sessions held (see docs/reports.md)."

    sessions = fields.Integer(**described("Sessions held (not cancelled).", minimum=0))
    cancelled_sessions = fields.Integer(**described("Sessions the partnership cancelled.", minimum=0))
    places = fields.Integer(**described("The capacity of the sessions held.", minimum=0))
    taken = fields.Integer(**described("Places booked, attended, partly attended or not attended.", minimum=0))
    fill_rate = _percent("Places taken as a share of places, in percent.")
    attended = fields.Integer(**described(minimum=0))
    partly_attended = fields.Integer(attribute="partly", **described(minimum=0))
    no_shows = fields.Integer(**described(minimum=0))
    no_show_rate = _percent("No-shows as a share of the people marked on the register, in percent.")
    late_cancellations = fields.Integer(**described("Bookings cancelled after the cut-off.", minimum=0))


class SessionsCourse(SessionsFigures):
    class Meta:
        description = "One course's sessions."

    course = text("The course's code.", attribute="code")
    title = fields.String()


class SessionsReport(Shape):
    class Meta:
        description = "Sessions held in a period, course by course, as on the sessions report."

    start = day(data_key="from")
    end = day(data_key="to")
    courses = fields.List(fields.Nested(SessionsCourse), attribute="lines")
    total = fields.Nested(SessionsFigures)


class PeriodArgs(Args):
    start = Day("First day, YYYY-MM-DD; the start of this financial quarter if not given.", data_key="from")
    end = Day("Last day, YYYY-MM-DD; today (London) if not given.", data_key="to")


# --- evaluations ---------------------------------------------------------------------------------------

class EvaluationFigures(Shape):
    class Meta:
        description = "What people said in their evaluations."

    responses = fields.Integer(**described(minimum=0))
    satisfied_percent = _percent("Share satisfied or very satisfied.")
    skills_improved_percent = _percent("Share whose knowledge and skills improved (a lot or a little).")
    confidence_before = fields.Float(allow_none=True, **described("Average confidence before, 1 to 5.", minimum=1,
                                                                  maximum=5))
    confidence_after = fields.Float(allow_none=True, **described("Average confidence after, 1 to 5.", minimum=1,
                                                                 maximum=5))
    more_confident_percent = _percent("Share who rated their confidence higher after than before.")

    def satisfied_percent_of(self, summary):
        return summary.satisfaction_percent

    def skills_improved_percent_of(self, summary):
        return summary.skills_percent


class EvaluationCourse(EvaluationFigures):
    class Meta:
        description = "One course's evaluations."

    course = text("The course's code.")
    title = fields.String()


class EvaluationTotal(EvaluationFigures):
    class Meta:
        description = "Every evaluation counted, with quotes from people who agreed to be quoted."

    quotes = fields.List(fields.String(), **described("The newest answers to 'what will you do differently' from "
                                                      "people who agreed to be quoted, at most 20."))


class EvaluationsReport(Shape):
    class Meta:
        description = "Evaluation summaries for a period, course by course and for all of them."

    start = day(data_key="from")
    end = day(data_key="to")
    course = text("The course asked for, or null for every course.", allow_none=True)
    courses = fields.List(fields.Nested(EvaluationCourse))
    total = fields.Nested(EvaluationTotal)


class EvaluationArgs(PeriodArgs):
    course = Text(30, description="One course's code; every course if not given.")


# --- compliance by organisation and requirement --------------------------------------------------------

class ComplianceCountRow(Shape):
    class Meta:
        description = "How many of an organisation's people stand where on one requirement."

    organisation_id = fields.Integer()
    organisation = fields.String()
    organisation_type = text("The organisation type's code.")
    sector = text("The organisation's sector code.")
    area = text("The organisation's area code; null without one.", allow_none=True)
    requirement = text("The requirement's code.")
    current = fields.Integer(**described(minimum=0))
    due_soon = fields.Integer(**described(minimum=0))
    overdue = fields.Integer(**described(minimum=0))
    not_yet_due = fields.Integer(**described(minimum=0))
    total = fields.Integer(**described("People the requirement applies to (open accounts).", minimum=0))


class ComplianceReport(Shape):
    class Meta:
        description = ("Compliance counted by organisation and requirement, as the admin overview counts it: open "
                       "accounts recorded at an organisation, active requirements.")

    as_of = day()
    items = fields.List(fields.Nested(ComplianceCountRow))


class ComplianceReportArgs(Args):
    as_of = Day("The date to count for, YYYY-MM-DD; today (London) if not given.")
    sector = Text(MAX_FILTER_LENGTH, description="Only organisations in these sectors (their sector now), "
                                                 "comma-separated codes.")
    organisation_type = Text(MAX_FILTER_LENGTH, description="Only organisations of these types, comma-separated codes.")
    area = Text(MAX_FILTER_LENGTH, description="Only organisations in these areas, comma-separated codes.")
    requirement = Text(MAX_FILTER_LENGTH, description="Only these requirements, comma-separated codes.")
