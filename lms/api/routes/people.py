"""People: only those the caller may see (admins everyone, setting leads their own
organisations' people, everyone else themselves)."""
from flask import jsonify

from lms.api import bp, serialise, services
from lms.api.auth import caller
from lms.api.errors import ApiError
from lms.api.params import int_arg, paginate, text_arg


@bp.get("/people")
def people():
    query = services.people_query(
        caller(),
        email=text_arg("email", max_length=254),
        organisation_id=int_arg("organisation_id", minimum=1),
    )
    return jsonify(paginate(query, serialise.person))


@bp.get("/people/<int:person_id>")
def person(person_id: int):
    row = services.get_visible_person(caller(), person_id)
    if row is None:  # the same answer whether the person is missing or hidden from the caller
        raise ApiError(404, "No person has this id")
    return jsonify(serialise.person(row))
