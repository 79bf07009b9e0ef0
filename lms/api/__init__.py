"""The JSON API under /api/v1, authenticated with personal API tokens."""
from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")
