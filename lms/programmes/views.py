"""The programmes' pages: each programme's blueprint nested in one (programmes.<name>.*)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("programmes", __name__)

from lms.programmes.twilights.views import bp as twilights_bp  # noqa: E402

bp.register_blueprint(twilights_bp)
