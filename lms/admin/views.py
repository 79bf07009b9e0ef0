from flask import Blueprint

from lms.core.auth import admin_required

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")


@bp.get("/")
@admin_required
def index():
    return "admin"
