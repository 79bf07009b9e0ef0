"""The learner licences page (/admin/licences): licences bought, the dormancy policy."""
from flask import Blueprint, flash, redirect, render_template, url_for

from lms.core.auth import actor, admin_required
from lms.core.errors import DomainError
from lms.core.forms import fail
from lms.core.time import utcnow
from lms.extensions import db
from lms.licences import forms, services

bp = Blueprint("licences", __name__, url_prefix="/admin/licences", template_folder="templates")


def _page(purchase_form=None, policy_form=None):
    now = utcnow()
    policy = services.get_policy()
    purchases = services.list_purchases()
    if policy_form is None:
        policy_form = forms.PolicyForm(obj=policy, formdata=None)
    return render_template(
        "licences/index.html",
        summary=services.summary(now=now),
        purchases=purchases,
        purchase_form=purchase_form or forms.AddPurchaseForm(formdata=None),
        policy_form=policy_form,
        form=purchase_form if purchase_form is not None and purchase_form.errors else policy_form,
    )


@bp.get("/")
@admin_required
def index():
    return _page()


@bp.post("/purchases")
@admin_required
def add_purchase():
    form = forms.AddPurchaseForm()
    if form.validate_on_submit():
        try:
            services.add_purchase(
                actor(), quantity=form.quantity.data, starts_on=form.starts_on.data, ends_on=form.ends_on.data,
                reference=form.reference.data, now=utcnow(),
            )
        except DomainError as error:
            fail(error, form)
        else:
            db.session.commit()
            flash(f"{form.quantity.data} learner licences recorded.", "success")
            return redirect(url_for("licences.index"))
    return _page(purchase_form=form), 400


@bp.post("/policy")
@admin_required
def update_policy():
    form = forms.PolicyForm()
    if form.validate_on_submit():
        try:
            services.update_policy(
                actor(), dormant_after_months=form.dormant_after_months.data,
                close_after_dormant_months=form.close_after_dormant_months.data,
                warn_at_percent=form.warn_at_percent.data, now=utcnow(),
            )
        except DomainError as error:
            fail(error, form)
        else:
            db.session.commit()
            flash("Licence settings saved.", "success")
            return redirect(url_for("licences.index"))
    return _page(policy_form=form), 400
