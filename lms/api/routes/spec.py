"""GET /api/v1/openapi.json: the OpenAPI document (no token needed)."""
from flask import jsonify

from lms.api import bp
from lms.api.auth import public
from lms.api.document import build_spec, describe


@bp.get("/openapi.json")
@describe("getOpenApi", "This document", tag="meta", public=True,
          response={"type": "object", "description": "An OpenAPI 3.1 document."})
@public
def openapi():
    return jsonify(build_spec())
