"""Compliance: where people stand on the requirements of their roles, as of a date."""
from __future__ import annotations

from marshmallow import fields

from lms.api.fields import Args, Day, Shape, described
from lms.api.schemas.common import choice, day, page_of, text

REQUIREMENT_STATUSES = ["current", "due-soon", "overdue", "not-yet-due"]


class RequirementHours(Shape):
    class Meta:
        description = "For rolling-hours requirements: CPD hours inside the window, required, still needed."

    counted = fields.Float()
    required = fields.Float(attribute="hours_required")
    needed = fields.Float()

    def counted_of(self, result):
        return result.hours_counted or 0

    def needed_of(self, result):
        return result.hours_needed or 0


class RequirementStatus(Shape):
    """Shapes With(the engine's result, requirement=code, name=the requirement's name)."""

    class Meta:
        description = "Where a person stands on one requirement that applies to their roles."

    requirement = text("The requirement's stable code, e.g. dsl-role-training.")
    name = fields.String()
    status = choice(REQUIREMENT_STATUSES)
    due_on = day("Valid until / due by this date; null means no expiry (no national period and none set locally).",
                 allow_none=True)
    overdue_since = day("Set when overdue.", allow_none=True)
    last_completed_on = day(allow_none=True)
    hours = fields.Nested(RequirementHours, allow_none=True)
    rests_on_unverified = fields.Boolean(**described(
        "True when this status rests on self-reported external CPD that a setting lead has not verified "
        "yet (the partnership lets it count before verification); without it the status, date or hours "
        "would be different."
    ))

    def hours_of(self, result):
        return result if result.hours_required is not None else None


class PersonCompliance(Shape):
    class Meta:
        description = "A person's status on every requirement that applies to them, as of a date."

    person_id = fields.Integer()
    as_of = day()
    requirements = fields.List(fields.Nested(RequirementStatus))


class OrganisationComplianceRow(Shape):
    """Shapes With(person, requirements=[...])."""

    person_id = fields.Integer(attribute="id")
    full_name = fields.String()
    email = fields.Email()
    requirements = fields.List(fields.Nested(RequirementStatus))


OrganisationCompliance = page_of(
    OrganisationComplianceRow, "OrganisationCompliance", organisation_id=fields.Integer(), as_of=day(),
)
OrganisationCompliance.Meta.description = (
    "One page of an organisation's people with their status on each requirement."
)


class ComplianceArgs(Args):
    as_of = Day("The date to answer for, YYYY-MM-DD; today (London) if not given.")
