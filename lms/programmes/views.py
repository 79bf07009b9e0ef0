"""The programmes' pages: each programme's blueprint nested in one (programmes.<name>.*):
the DSL network twilight series (programmes.twilights) and Safeguarding Week
(programmes.week)."""
from __future__ import annotations

from flask import Blueprint

from lms.programmes.twilights.views import bp as twilights_bp
from lms.programmes.week.views import bp as week_bp

bp = Blueprint("programmes", __name__)
bp.register_blueprint(twilights_bp)
bp.register_blueprint(week_bp)
