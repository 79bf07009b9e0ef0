from flask import Blueprint

from lms.core.auth import setting_lead_required

bp = Blueprint("organisations", __name__, template_folder="templates")


@bp.get("/organisation/staff")
@setting_lead_required
def staff():
    return "staff"
