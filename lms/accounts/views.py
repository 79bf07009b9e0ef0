from flask import Blueprint

bp = Blueprint("accounts", __name__, template_folder="templates")


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    return "sign in"


@bp.route("/sign-out", methods=["GET", "POST"])
def sign_out():
    return "sign out"


@bp.route("/register", methods=["GET", "POST"])
def register():
    return "register"


@bp.get("/account")
def profile():
    return "profile"


@bp.get("/confirm/<token>")
def confirm_email(token):
    return "confirm"


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token):
    return "reset"
