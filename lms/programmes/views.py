"""The programmes' pages: each programme's blueprint nested in one (programmes.<name>.*)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("programmes", __name__)
