from flask import Blueprint, render_template
from flask_login import current_user

bp = Blueprint("home", __name__, template_folder="templates")


@bp.get("/")
def index():
    if current_user.is_authenticated:
        return render_template("home/dashboard.html")
    return render_template("home/start.html")


@bp.get("/accessibility")
def accessibility():
    return render_template("home/accessibility.html")


@bp.get("/privacy")
def privacy():
    return render_template("home/privacy.html")
