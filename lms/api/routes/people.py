"""People: only those the caller may see (admins everyone, setting leads their own
organisations' people, everyone else themselves); and the people asking to join an
organisation, which its setting leads (and admins) confirm or decline."""
from flask import jsonify

from lms.accounts import services as accounts
from lms.accounts.staff import services as staff
from lms.api import bp, services
from lms.api.auth import caller
from lms.api.document import describe, path_id
from lms.api.errors import ApiError
from lms.api.fields import dump
from lms.api.paging import paginate
from lms.api.schemas import JoinRequest, JoinRequestPage, PeopleArgs, Person, PersonPage
from lms.core.errors import DomainError, NotFound
from lms.core.time import utcnow
from lms.extensions import db
from lms.organisations.models import Organisation


@bp.get("/people")
@describe(
    "listPeople", "People the caller may see, by name", tag="people", response=PersonPage,
    query=PeopleArgs, paged=True, errors=(400,),
    description=(
        "Admins see everyone; setting leads see the people of the organisations they lead, "
        "and themselves; everyone else sees only themselves. Someone asking to join an organisation is "
        "not one of its people until confirmed: `organisation` stays as it was and `asking_to_join` says "
        "where they asked."
    ),
)
def people():
    actor = caller()
    args = PeopleArgs.parse()
    query = services.people_query(actor, email=args["email"], organisation_id=args["organisation_id"])
    return jsonify(dump(PersonPage, paginate(query)))


@bp.get("/people/<int:person_id>")
@describe("getPerson", "One person the caller may see", tag="people", response=Person, errors=(404,),
          path={"person_id": path_id("The person's id.")},
          description="404 both when no such person exists and when the caller may not see them.")
def person(person_id: int):
    row = services.get_visible_person(caller(), person_id)
    if row is None:  # the same answer whether the person is missing or hidden from the caller
        raise ApiError(404, "No person has this id")
    return jsonify(dump(Person, row))


JOIN_REQUEST_ID = {"request_id": path_id("The join request's id.")}


@bp.get("/organisations/<int:organisation_id>/join-requests")
@describe(
    "listJoinRequests", "People asking to join an organisation, oldest first", tag="people",
    response=JoinRequestPage, paged=True, errors=(403, 404),
    path={"organisation_id": path_id("The organisation's id.")},
    description=(
        "For the organisation's setting leads and partnership admins: the requests nobody has decided "
        "yet. Anyone else is a 403; an unknown organisation a 404."
    ),
)
def join_requests(organisation_id: int):
    actor = caller()
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        raise ApiError(404, "No organisation has this id")
    if not accounts.leads(actor, organisation.id):
        raise ApiError(403, "Only the organisation's setting leads and partnership admins can see who asks to join it")
    return jsonify(dump(JoinRequestPage, paginate(staff.join_requests_for(actor, [organisation.id]))))


def _decide(request_id: int, action):
    actor = caller()
    try:
        join_request = staff.get_join_request(actor, request_id)
        action(actor, join_request, now=utcnow())
    except NotFound:
        db.session.rollback()
        raise ApiError(404, "No join request has this id") from None
    except DomainError as error:
        db.session.rollback()
        raise ApiError(409, error.message) from None
    db.session.commit()
    return jsonify(dump(JoinRequest, join_request))


@bp.post("/join-requests/<int:request_id>/confirm")
@describe(
    "confirmJoinRequest", "Confirm that someone works at the organisation they asked to join", tag="people",
    response=JoinRequest, errors=(404, 409), path=JOIN_REQUEST_ID, ok="Confirmed: the request as it now is.",
    description=(
        "For the organisation's setting leads and admins: the person's organisation becomes this one "
        "from the day they said they started, and they are emailed. A request the caller may not decide "
        "is a 404; one already decided (or a closed account) a 409."
    ),
)
def confirm_join_request(request_id: int):
    return _decide(request_id, staff.confirm_join_request)


@bp.post("/join-requests/<int:request_id>/decline")
@describe(
    "declineJoinRequest", "Say that someone does not work at the organisation they asked to join", tag="people",
    response=JoinRequest, errors=(404, 409), path=JOIN_REQUEST_ID, ok="Declined: the request as it now is.",
    description=(
        "For the organisation's setting leads and admins. The person's account stays, with the "
        "organisation they had before asking (none, if they registered into this one), and they are "
        "emailed. A request the caller may not decide is a 404; one already decided a 409."
    ),
)
def decline_join_request(request_id: int):
    return _decide(request_id, staff.decline_join_request)
