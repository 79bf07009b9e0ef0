"""The programmes' pages: each programme's blueprint nested in one (programmes.<name>.*)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("programmes", __name__)
from lms.programmes.week.views import bp as week_bp; bp.register_blueprint(week_bp)  # noqa: E402,E702
