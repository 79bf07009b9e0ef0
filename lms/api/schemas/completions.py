"""The training record for analysts: every completion the caller may see, paged, filtered,
and readable again from where the last read stopped (DESIGN.md section 8)."""
from __future__ import annotations

from datetime import datetime, timezone

from marshmallow import fields

from lms.api.fields import Args, Day, Hours, QueryField, Shape, UtcDateTime, described
from lms.api.schemas.common import choice, day, page_of, text
from lms.api.schemas.reports import FilterArgs
from lms.catalogue.models import DELIVERY_MODES
from lms.records.models import SOURCES


class Instant(QueryField, fields.DateTime):
    """A date and time in ISO 8601 (2026-11-23T10:00:00Z, or with an offset); without an
    offset it is UTC. Given back aware, in UTC."""

    def __init__(self, description: str | None = None, **kwargs):
        super().__init__(**described(description), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        raw = value.strip()
        if raw == "":
            return None
        try:
            if len(raw) > 40 or "T" not in raw.upper():
                raise ValueError
            moment = datetime.fromisoformat(raw.replace("z", "Z"))
        except ValueError:
            raise self.invalid("{name} must be a date and time written like 2026-11-23T10:00:00Z") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        return moment.astimezone(timezone.utc)


class CompletionRow(Shape):
    class Meta:
        description = ("One completed piece of training, for analysts: the person's id, what was done, and the "
                       "organisation and sector codes it counts under in the uptake figures.")

    id = fields.Integer()
    person_id = fields.Integer()
    title = text("The training's title when it was completed.")
    course = text("The course's code; null for training outside the catalogue.", allow_none=True)
    delivery_mode = choice(DELIVERY_MODES)
    completed_on = day()
    cpd_hours = Hours()
    score = fields.Integer(allow_none=True, **described("Quiz score in percent, for e-learning.", minimum=0, maximum=100))
    source = choice(SOURCES)
    self_reported = fields.Boolean(**described("True for external CPD the person logged themselves."))
    organisation_id = fields.Integer(allow_none=True, **described("The person's organisation when they did it."))
    organisation = text("That organisation's name now.", allow_none=True)
    organisation_type = text("That organisation's type code now.", allow_none=True)
    area = text("That organisation's area code now.", allow_none=True)
    sector = text("The sector code of the person's organisation when they did it (what the uptake figures group "
                  "by); null with no organisation.", allow_none=True)
    created_at = UtcDateTime(**described("When it was recorded."))
    updated_at = UtcDateTime(**described("When it last changed (recorded, corrected or moved to a course): the "
                                         "value to read on from with changed_since."))


CompletionFeed = page_of(CompletionRow, "CompletionFeed")
CompletionFeed.Meta.description = "One page of completions, oldest change first (updated_at, then id)."


class CompletionFeedArgs(FilterArgs):
    start = Day("Completed on or after this day, YYYY-MM-DD.", data_key="from")
    end = Day("Completed on or before this day, YYYY-MM-DD.", data_key="to")
    changed_since = Instant(
        "Only completions recorded or changed after this moment (ISO 8601, e.g. 2026-11-23T10:00:00Z; UTC without "
        "an offset). For an incremental refresh, pass the largest updated_at you read last time, less a few "
        "minutes, and replace rows by id."
    )



class RemovalArgs(Args):
    changed_since = Instant(
        "Only completions taken off the record after this moment (ISO 8601; UTC without an offset). Pass the "
        "largest removed_at you read last time, less a few minutes."
    )


class RemovedCompletion(Shape):
    class Meta:
        description = ("A completion taken off the record (attendance corrected to a no-show, external CPD deleted): "
                       "delete the row with this id from what you read before.")

    id = fields.Integer(**described("The id the completion had in GET /api/v1/completions."))
    person_id = fields.Integer()
    removed_at = UtcDateTime(**described("When it was taken off: the value to read on from with changed_since."))


RemovedCompletionPage = page_of(RemovedCompletion, "RemovedCompletionPage")
RemovedCompletionPage.Meta.description = "One page of completions taken off the record, oldest first (removed_at, then id)."
