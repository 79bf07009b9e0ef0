"""Organisations: any authenticated caller may list and read them."""
from flask import jsonify

from lms.api import bp, serialise, services
from lms.api.errors import ApiError
from lms.api.params import bool_arg, paginate, text_arg
from lms.extensions import db
from lms.organisations.models import Organisation


@bp.get("/organisations")
def organisations():
    query = services.organisations_query(
        q=text_arg("q"),
        type_code=text_arg("type", max_length=40),
        sector_code=text_arg("sector", max_length=40),
        area_code=text_arg("area", max_length=40),
        active=bool_arg("active"),
    )
    return jsonify(paginate(query, serialise.organisation))


@bp.get("/organisations/<int:organisation_id>")
def organisation(organisation_id: int):
    row = db.session.get(Organisation, organisation_id)
    if row is None:
        raise ApiError(404, "No organisation has this id")
    return jsonify(serialise.organisation(row))
