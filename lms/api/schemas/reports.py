"""Reports: uptake figures by group and period (DESIGN.md sections 8 and 9)."""
from __future__ import annotations

from marshmallow import fields

from lms.api.fields import Args, Day, Shape, Text, described
from lms.api.schemas.common import choice, day, text

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
    registrations = figures("Null when the grouping is by course or delivery mode.", allow_none=True)


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
    periods = fields.List(fields.Nested(UptakePeriod))
    rows = fields.List(fields.Nested(UptakeRow))
    total = fields.Nested(UptakeFigures)


class UptakeArgs(Args):
    start = Day("First day, YYYY-MM-DD; the start of this financial year if not given.", data_key="from")
    end = Day("Last day, YYYY-MM-DD; today (London) if not given. At most 10 years.", data_key="to")
    by = Text(40, description="What to group by.", enum=UPTAKE_GROUPS, default="sector")
    period = Text(20, description="Financial quarters (April to June...) or financial years (April to March).",
                  enum=UPTAKE_PERIODS, default="quarter")
