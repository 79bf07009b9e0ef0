"""An admin erases a person's personal details on request (the right to erasure)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for

from lms.accounts.models import User
from lms.core.auth import actor, admin_required
from lms.core.forms import attempt
from lms.core.time import utcnow
from lms.extensions import db
from lms.privacy import services
from lms.privacy.forms import EraseForm

bp = Blueprint("privacy", __name__, template_folder="templates")


@bp.route("/admin/people/<int:person_id>/erase", methods=["GET", "POST"])
@admin_required
def erase(person_id: int):
    person = db.session.get(User, person_id)
    if person is None:
        abort(404)
    if person.erased_at is not None:
        flash("This person's details have already been erased", "info")
        return redirect(url_for("accounts.admin.person", person_id=person.id))
    form = EraseForm()
    if form.validate_on_submit():
        done, _ = attempt(form, lambda: services.erase(person, actor=actor(), now=utcnow(), reason=form.reason.data))
        if done:
            flash(f"The personal details of person {person.id} have been erased", "success")
            return redirect(url_for("accounts.admin.person", person_id=person.id))
    return render_template("privacy/erase.html", form=form, person=person,
                           days=services.closed_account_retention_days()), 400 if form.errors else 200
