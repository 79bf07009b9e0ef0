"""GET /api/v1/completions: the training record as a paged feed for analysts (Power BI,
Power Query), filtered like the uptake figures and readable again from where the last
read stopped (`changed_since`). Admins and trainers read everyone's; a setting lead reads
their own organisations' people's."""
from __future__ import annotations

from flask import jsonify

from lms.core.db_routing import reads_reports
from lms.accounts import services as accounts
from lms.api import bp
from lms.api.auth import caller
from lms.api.document import describe
from lms.api.errors import ApiError, InvalidParameter
from lms.api.fields import dump
from lms.api.routes.reports import filter_codes
from lms.api.schemas import CompletionFeed, CompletionFeedArgs
from lms.api.services import paginate_rows
from lms.core.errors import DomainError
from lms.reports import analyst
from lms.reports import services as reports


@bp.get("/completions")
@describe(
    "listCompletions", "Completions: the training record for analysts, paged and filterable", tag="reports",
    response=CompletionFeed, query=CompletionFeedArgs, paged=True, errors=(400, 403),
    description=(
        "Every completion the caller may see (admins and trainers: everyone's; setting leads: their own "
        "organisations' people's, whatever organisation they were at), oldest change first. `changed_since` gives "
        "only those recorded or changed after a moment, for an incremental refresh: keep the largest `updated_at` "
        "read, ask again from a few minutes before it, and replace rows by `id`. Completions taken off a record "
        "(attendance corrected to a no-show, external CPD deleted) are not in the feed; refresh in full now and then. "
        "The filters are those of getUptake, on the same terms (stable codes, comma-separated)."
    ),
)
@reads_reports
def list_completions():
    actor = caller()
    people = None
    if not (actor.is_admin or actor.is_trainer):
        organisations = accounts.led_organisation_ids(actor)
        if not organisations:
            raise ApiError(403, "Only partnership admins, trainers and setting leads can read completions")
        people = analyst.lead_people(organisations)
    args = CompletionFeedArgs.parse()
    if args["start"] and args["end"] and args["end"] < args["start"]:
        raise InvalidParameter("to", "to must be the same as or after from")
    try:
        filters = reports.resolve_codes(filter_codes())
    except DomainError as error:
        raise InvalidParameter(error.field, error.message) from None
    query = analyst.completions_feed(
        filters, start=args["start"], end=args["end"], changed_since=args["changed_since"], people=people,
    )
    return jsonify(dump(CompletionFeed, paginate_rows(query)))
