"""GET /api/v1/me: who the token belongs to."""
from flask import jsonify

from lms.api import bp, serialise, services
from lms.api.auth import caller


@bp.get("/me")
def me():
    return jsonify(serialise.me(services.get_caller(caller().id)))
