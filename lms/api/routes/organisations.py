"""Organisations: any authenticated caller may list and read them."""
from flask import jsonify

from lms.api import bp, services
from lms.api.document import describe, path_id
from lms.api.errors import ApiError
from lms.api.fields import dump
from lms.api.paging import paginate
from lms.api.schemas import Organisation, OrganisationArgs, OrganisationPage
from lms.extensions import db
from lms.organisations.models import Organisation as OrganisationRow


@bp.get("/organisations")
@describe(
    "listOrganisations", "Organisations, by name", tag="organisations", response=OrganisationPage,
    query=OrganisationArgs, paged=True, errors=(400,),
    description="Any caller may list organisations. Unknown codes are a 400 naming the parameter.",
)
def organisations():
    args = OrganisationArgs.parse()
    query = services.organisations_query(
        q=args["q"], type_code=args["type"], sector_code=args["sector"], area_code=args["area"], active=args["active"],
    )
    return jsonify(dump(OrganisationPage, paginate(query)))


@bp.get("/organisations/<int:organisation_id>")
@describe("getOrganisation", "One organisation", tag="organisations", response=Organisation, errors=(404,),
          path={"organisation_id": path_id("The organisation's id.")})
def organisation(organisation_id: int):
    row = db.session.get(OrganisationRow, organisation_id)
    if row is None:
        raise ApiError(404, "No organisation has this id")
    return jsonify(dump(Organisation, row))
