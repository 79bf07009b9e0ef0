"""The partnership's own details, for an admin to keep up to date: the header and emails
name the partnership, certificates carry its logo and signatory, and the privacy notice
and accessibility statement are written from them."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for

from lms.audit import services as audit
from lms.core.auth import actor, admin_required
from lms.core.forms import attempt
from lms.core.limits import body_limit
from lms.core.time import utcnow
from lms.pages.partnership.forms import PartnershipForm
from lms.partnership import services

bp = Blueprint("partnership", __name__, template_folder="templates")

LOGO_MESSAGE = "The logo must be smaller than 200 KB"


@bp.route("/admin/partnership", methods=["GET", "POST"])
@body_limit(services.MAX_LOGO_BYTES + 64 * 1024, LOGO_MESSAGE)
@admin_required
def edit():
    current = services.details()
    form = PartnershipForm()
    if not form.is_submitted():
        for name in services.TEXT_FIELDS:
            getattr(form, name).data = getattr(current, name)
        form.accessibility_checked_on.data = current.accessibility_checked_on
    if form.validate_on_submit():
        upload = form.logo.data
        logo = upload.read(services.MAX_LOGO_BYTES + 1) if upload is not None and getattr(upload, "filename", None) else None
        now = utcnow()
        person = actor()

        def save():
            before, after = services.update(
                {name: getattr(form, name).data for name in services.TEXT_FIELDS}, actor=person, now=now, logo=logo,
                remove_logo=bool(form.remove_logo.data), accessibility_checked_on=form.accessibility_checked_on.data,
            )
            if after or before:
                audit.record(person, "partnership.update", now=now, summary="Changed the partnership's details: "
                             + ", ".join(services.LABELS.get(name, name.replace("_", " ")) for name in sorted(after)),
                             before=before, after=after)
            return after

        saved, _ = attempt(form, save)
        if saved:
            flash("The partnership's details have been saved", "success")
            return redirect(url_for("pages.partnership.edit"))
    return render_template("pages/partnership/edit.html", form=form, details=current), 400 if form.errors else 200
