"""Pages where a signed-in person manages their personal API tokens, and where an admin
sees and revokes anyone's.

/account/api-tokens                 list
/account/api-tokens/new             create; the answer shows the new token once
/account/api-tokens/<id>/revoke     confirm, then revoke
/admin/people/<id>/api-tokens       an admin's view of one person's tokens
"""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from lms.accounts.models import User
from lms.api import services
from lms.api.forms import NEVER, READ_ONLY, CreateTokenForm, RevokeTokenForm
from lms.core.auth import admin_required, login_required
from lms.core.errors import DomainError
from lms.core.time import utcnow
from lms.extensions import db

bp = Blueprint("api_tokens", __name__, template_folder="templates")


@bp.get("/account/api-tokens")
@login_required
def index():
    return render_template(
        "api/tokens.html", tokens=services.list_tokens(current_user), person=current_user, own=True, now=utcnow()
    )


@bp.route("/account/api-tokens/new", methods=["GET", "POST"])
@login_required
def create():
    form = CreateTokenForm()
    if form.validate_on_submit():
        now = utcnow()
        lifetime = None if form.expires.data == NEVER else timedelta(days=int(form.expires.data))
        try:
            token, row = services.create_token(
                current_user, name=form.name.data, now=now, read_only=form.access.data == READ_ONLY,
                expires_at=now + lifetime if lifetime else None,
            )
        except DomainError as error:
            db.session.rollback()
            getattr(form, error.field or "name").errors.append(error.message)
        else:
            db.session.commit()
            # Shown in this response and never again: not redirected, because the token
            # would otherwise have to travel in the (signed, not encrypted) session cookie.
            # The page is sent with Cache-Control: no-store, so Back does not show it.
            return render_template("api/token_created.html", token=token, row=row)
    return render_template("api/token_new.html", form=form)


def _managed_token(token_id: int):
    row = services.get_token_for(current_user, token_id)
    if row is None:  # missing, revoked, or someone else's: the same answer
        abort(404)
    return row


@bp.route("/account/api-tokens/<int:token_id>/revoke", methods=["GET", "POST"])
@login_required
def revoke(token_id: int):
    row = _managed_token(token_id)
    own = row.user_id == current_user.id
    back = url_for(".index") if own else url_for(".person_tokens", person_id=row.user_id)
    form = RevokeTokenForm()
    if form.validate_on_submit():
        try:
            services.revoke_token(current_user, row, now=utcnow())
        except DomainError as error:
            db.session.rollback()
            form.submit.errors = [error.message]
        else:
            name = row.name
            db.session.commit()
            flash(f"Token ‘{name}’ revoked. Programs using it can no longer reach the API.", "success")
            return redirect(back)
    return render_template("api/token_revoke.html", form=form, row=row, own=own, back=back)


@bp.get("/admin/people/<int:person_id>/api-tokens")
@admin_required
def person_tokens(person_id: int):
    person = db.session.get(User, person_id)
    if person is None:
        abort(404)
    return render_template(
        "api/tokens.html", tokens=services.list_tokens(person), person=person, own=person.id == current_user.id,
        now=utcnow(),
    )
