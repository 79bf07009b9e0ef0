from flask import Blueprint

from lms.core.auth import admin_required

bp = Blueprint("audit", __name__, url_prefix="/admin/audit", template_folder="templates")


@bp.get("/")
@admin_required
def index():
    return "audit"
