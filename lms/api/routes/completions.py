"""GET /api/v1/completions: the training record as a paged feed for analysts (Power BI,
Power Query), filtered like the uptake figures and readable again from where the last
read stopped (`changed_since`); and GET /api/v1/completions/removed, the completions taken
off the record since. Admins and trainers read everyone's; a setting lead reads their own
organisations' people's."""
from __future__ import annotations

from flask import jsonify

from lms.core.db_routing import reads_reports
from lms.accounts import services as accounts
from lms.api import bp
from lms.api.auth import caller
from lms.api.document import describe
from lms.api.errors import ApiError, InvalidParameter
from lms.api.fields import dump
from lms.api.routes.reports import as_parameter, filter_codes
from lms.api.schemas import CompletionFeed, CompletionFeedArgs, RemovalArgs, RemovedCompletionPage
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
        "(attendance corrected to a no-show, external CPD deleted) are listed by listRemovedCompletions: delete "
        "those first, then replace the changed rows. "
        "The filters are those of getUptake, on the same terms (stable codes, comma-separated)."
    ),
)
@reads_reports
def list_completions():
    people = _readable_people()
    args = CompletionFeedArgs.parse()
    if args["start"] and args["end"] and args["end"] < args["start"]:
        raise InvalidParameter("to", "to must be the same as or after from")
    try:
        filters = reports.resolve_codes(filter_codes())
    except DomainError as error:
        raise as_parameter(error) from None
    query = analyst.completions_feed(
        filters, start=args["start"], end=args["end"], changed_since=args["changed_since"], people=people,
    )
    return jsonify(dump(CompletionFeed, paginate_rows(query)))


@bp.get("/completions/removed")
@describe(
    "listRemovedCompletions", "Completions taken off the record, for an incremental refresh", tag="reports",
    response=RemovedCompletionPage, query=RemovalArgs, paged=True, errors=(400, 403),
    description=(
        "The ids of completions taken off the record (attendance corrected to a no-show, external CPD deleted), "
        "oldest first, for the people whose completions the caller may read (as listCompletions). With "
        "`changed_since`, only those removed after it: keep the largest `removed_at` read, ask again from a few "
        "minutes before it, and delete the rows with these ids before replacing the changed ones from "
        "listCompletions."
    ),
)
@reads_reports
def list_removed_completions():
    people = _readable_people()
    args = RemovalArgs.parse()
    return jsonify(dump(RemovedCompletionPage,
                        paginate_rows(analyst.removals_feed(changed_since=args["changed_since"], people=people))))


def _readable_people():
    """The people whose completions the caller may read: None for everyone (admins and
    trainers), else a select of a setting lead's organisations' people; 403 for anyone else."""
    actor = caller()
    if actor.is_admin or actor.is_trainer:
        return None
    organisations = accounts.led_organisation_ids(actor)
    if not organisations:
        raise ApiError(403, "Only partnership admins, trainers and setting leads can read completions")
    return analyst.lead_people(organisations)
