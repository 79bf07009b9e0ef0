"""GET /api/v1/me: who the token belongs to."""
from flask import jsonify

from lms.api import bp, services
from lms.api.auth import caller
from lms.api.document import describe
from lms.api.fields import dump
from lms.api.schemas import Me


@bp.get("/me")
@describe("getMe", "The person the token belongs to", tag="people", response=Me)
def me():
    return jsonify(dump(Me, services.get_caller(caller().id)))
