"""People: only those the caller may see (admins everyone, setting leads their own
organisations' people, everyone else themselves)."""
from flask import jsonify

from lms.api import bp, services
from lms.api.auth import caller
from lms.api.document import describe, path_id
from lms.api.errors import ApiError
from lms.api.fields import dump
from lms.api.paging import paginate
from lms.api.schemas import PeopleArgs, Person, PersonPage


@bp.get("/people")
@describe(
    "listPeople", "People the caller may see, by name", tag="people", response=PersonPage,
    query=PeopleArgs, paged=True, errors=(400,),
    description=(
        "Admins see everyone; setting leads see the people of the organisations they lead, "
        "and themselves; everyone else sees only themselves."
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
