"""GET /api/v1/openapi.json: the OpenAPI document (no token needed)."""
from flask import jsonify

from lms.api import bp
from lms.api.auth import public
from lms.api.openapi import build_spec


@bp.get("/openapi.json")
@public
def openapi():
    return jsonify(build_spec())
