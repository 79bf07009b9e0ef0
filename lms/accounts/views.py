"""Registration, email confirmation, sign-in and out, password reset and the profile pages.
The feature's blueprint nests its sub-features': the admin's people pages
(accounts.admin) and a setting lead's staff (accounts.staff)."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select
from wtforms import SelectChoice

from lms.accounts import forms, services
from lms.accounts.admin.views import bp as admin_bp
from lms.accounts.staff.views import bp as staff_bp
from lms.core.auth import actor
from lms.core.errors import DomainError
from lms.core.forms import apply_domain_error, fail
from lms.core.time import utcnow
from lms.extensions import db
from lms.organisations.models import Area, JobRole, Organisation, OrganisationType, PersonRole

bp = Blueprint("accounts", __name__, template_folder="templates")
bp.register_blueprint(admin_bp)
bp.register_blueprint(staff_bp)


def _client_ip() -> str:
    return request.remote_addr or "unknown"


def _safe_next(target: str | None) -> str:
    """Only same-site paths: never redirect to another host after sign-in."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for("pages.index")


def _organisation_choices(blank: str) -> list[tuple]:
    rows = db.session.execute(
        select(Organisation.id, Organisation.name, Organisation.postcode)
        .where(Organisation.active.is_(True))
        .order_by(Organisation.name)
    ).all()
    return [SelectChoice("", blank)] + [
        SelectChoice(row.id, f"{row.name} ({row.postcode})" if row.postcode else row.name) for row in rows
    ]


def _job_role_choices(blank: str) -> list[tuple]:
    rows = db.session.scalars(select(JobRole).where(JobRole.active.is_(True)).order_by(JobRole.position, JobRole.name))
    return [SelectChoice("", blank)] + [SelectChoice(role.id, role.name) for role in rows]


def _type_choices() -> list[tuple]:
    rows = db.session.scalars(select(OrganisationType).order_by(OrganisationType.position))
    return [SelectChoice("", "Select a type")] + [SelectChoice(row.id, row.name) for row in rows]


def _area_choices() -> list[tuple]:
    rows = db.session.scalars(select(Area).order_by(Area.position, Area.name))
    return [SelectChoice("", "Not sure")] + [SelectChoice(row.id, row.name) for row in rows]


# --- registration and confirmation ----------------------------------------------------

@bp.route("/register", methods=["GET", "POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("pages.index"))
    form = forms.RegisterForm()
    form.organisation.choices = _organisation_choices("Select your organisation")
    form.new_organisation_type.choices = _type_choices()
    form.new_organisation_area.choices = _area_choices()
    form.job_role_1.choices = _job_role_choices("Select a job role")
    form.job_role_2.choices = _job_role_choices("None")
    if form.validate_on_submit():
        roles = []
        if form.job_role_1.data is not None:
            if form.job_role_1_started.data is None:
                form.job_role_1_started.errors = ["Enter the date you started in this role"]
            else:
                roles.append(services.RoleChoice(form.job_role_1.data, form.job_role_1_started.data))
        if form.job_role_2.data is not None:
            if form.job_role_2_started.data is None:
                form.job_role_2_started.errors = ["Enter the date you started in your second role"]
            else:
                roles.append(services.RoleChoice(form.job_role_2.data, form.job_role_2_started.data))
        if form.job_role_1.data is None:
            form.job_role_1.errors = ["Select your job role"]
        if not form.org_not_listed.data and form.organisation.data is None:
            form.organisation.errors = ["Select your organisation, or select \u2018My organisation is not listed\u2019"]
        new_organisation = None
        if form.org_not_listed.data:
            new_organisation = {
                "name": form.new_organisation_name.data or "",
                "type_id": form.new_organisation_type.data,
                "area_id": form.new_organisation_area.data,
                "postcode": form.new_organisation_postcode.data or None,
            }
        if not form.errors:
            data = services.Registration(
                full_name=form.full_name.data,
                email=form.email.data,
                password=form.password.data,
                organisation_id=None if new_organisation else form.organisation.data,
                roles=roles,
                new_organisation=new_organisation,
            )
            try:
                services.register(data, now=utcnow(), ip_address=_client_ip())
            except DomainError as error:
                field = {"job_roles": "job_role_1"}.get(error.field, error.field)
                fail(DomainError(error.message, field=field), form, default_field="email")
            else:
                # The same answer whether the address was new (an account, and a link to
                # confirm it) or already in use (an email to its owner instead).
                db.session.commit()
                session["registered_email"] = services.normalise_email(form.email.data)
                return redirect(url_for("accounts.check_email"))
    return render_template("accounts/register.html", form=form)


@bp.get("/register/check-your-email")
def check_email():
    email = session.get("registered_email")
    if not email:
        return redirect(url_for("accounts.register"))
    return render_template("accounts/check_email.html", email=email)


@bp.get("/confirm/<token>")
def confirm_email(token: str):
    try:
        user = services.confirm_email(token, now=utcnow())
    except DomainError:
        db.session.rollback()
        return render_template("accounts/link_expired.html", resend=True), 400
    db.session.commit()
    flash(f"Your email address {user.email} is confirmed. You can now sign in.", "success")
    if current_user.is_authenticated:
        return redirect(url_for("accounts.profile"))
    return redirect(url_for("accounts.sign_in"))


@bp.route("/confirm/resend", methods=["GET", "POST"])
def resend_confirmation():
    form = forms.EmailOnlyForm()
    if form.validate_on_submit():
        try:
            email = services.normalise_email(form.email.data)
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            now = utcnow()
            user = services.get_user_by_email(email)
            if user is not None and user.email_confirmed_at is None and services.may_resend_confirmation(user, now=now):
                services.send_confirmation(user, now=now)
                db.session.commit()
            return render_template("accounts/link_sent.html", email=email, purpose="confirm")
    return render_template("accounts/resend_confirmation.html", form=form)


# --- sign in and out ------------------------------------------------------------------

@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    if current_user.is_authenticated:
        return redirect(url_for("pages.index"))
    form = forms.SignInForm()
    if form.validate_on_submit():
        now = utcnow()
        try:
            user = services.authenticate(form.email.data, form.password.data, ip_address=_client_ip(), now=now)
        except DomainError as error:
            db.session.commit()  # keep the record of the failed attempt: it is what the limit counts
            apply_domain_error(form, error)
            form.password.data = ""
            return render_template("accounts/sign_in.html", form=form), 400 if not isinstance(error, services.SignInLocked) else 429
        session.clear()  # a fresh cookie session at every sign-in
        services.start_session(user, now=now, ip_address=_client_ip(), user_agent=request.user_agent.string)
        db.session.commit()
        login_user(user)
        return redirect(_safe_next(request.args.get("next")))
    return render_template("accounts/sign_in.html", form=form)


@bp.route("/sign-out", methods=["GET", "POST"])
def sign_out():
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.sign_in"))
    form = forms.ConfirmForm()
    if form.validate_on_submit():
        services.end_session(current_user.get_id(), now=utcnow())
        db.session.commit()
        logout_user()
        session.clear()
        flash("You have signed out.", "success")
        return redirect(url_for("accounts.sign_in"))
    return render_template("accounts/sign_out.html", form=form)


# --- password reset -------------------------------------------------------------------

@bp.route("/forgot-password", methods=["GET", "POST"])
def forgot_password():
    form = forms.EmailOnlyForm()
    if form.validate_on_submit():
        try:
            services.request_password_reset(form.email.data, ip_address=_client_ip(), now=utcnow())
        except DomainError as error:
            db.session.commit()
            apply_domain_error(form, error)
        else:
            db.session.commit()
            return render_template("accounts/link_sent.html", email=form.email.data.strip(), purpose="reset")
    return render_template("accounts/forgot_password.html", form=form)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    now = utcnow()
    try:
        services.check_reset_token(token, now=now)
    except DomainError:
        return render_template("accounts/link_expired.html", resend=False), 400
    form = forms.ResetPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(token, form.password.data, now=now)
        except DomainError as error:
            fail(error, form, default_field="password")
        else:
            db.session.commit()
            logout_user()
            session.clear()
            flash("Your password has been changed. Sign in with your new password.", "success")
            return redirect(url_for("accounts.sign_in"))
    return render_template("accounts/reset_password.html", form=form)


# --- profile --------------------------------------------------------------------------

@bp.get("/account")
@login_required
def profile():
    return render_template("accounts/profile.html", user=current_user, signout_form=forms.ConfirmForm())


@bp.route("/account/details", methods=["GET", "POST"])
@login_required
def edit_details():
    form = forms.ProfileForm(obj=current_user)
    if form.validate_on_submit():
        try:
            email_changed = services.update_profile(
                actor(), full_name=form.full_name.data, email=form.email.data, now=utcnow()
            )
        except DomainError as error:
            fail(error, form)
        else:
            db.session.commit()
            if email_changed:
                flash(f"Your details are saved. We have sent a link to {current_user.email}: use it to confirm your new address.", "success")
            else:
                flash("Your details are saved.", "success")
            return redirect(url_for("accounts.profile"))
    return render_template("accounts/edit_details.html", form=form)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = forms.ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(
                actor(), form.current_password.data, form.new_password.data,
                now=utcnow(), keep_token=current_user.get_id(),
            )
        except DomainError as error:
            fail(error, form)
        else:
            db.session.commit()
            flash("Your password has been changed. You have been signed out on your other devices.", "success")
            return redirect(url_for("accounts.profile"))
    return render_template("accounts/change_password.html", form=form)


@bp.route("/account/roles/add", methods=["GET", "POST"])
@login_required
def add_role():
    form = forms.AddRoleForm()
    form.job_role.choices = _job_role_choices("Select a job role")
    if form.validate_on_submit():
        job_role = db.session.get(JobRole, form.job_role.data) if form.job_role.data else None
        if job_role is None or not job_role.active:
            form.job_role.errors = ["Select a job role from the list"]
        else:
            try:
                services.add_role(actor(), job_role, started_on=form.started_on.data, now=utcnow())
            except DomainError as error:
                fail(error, form)
            else:
                db.session.commit()
                flash(f"{job_role.name} has been added to your roles.", "success")
                return redirect(url_for("accounts.profile"))
    return render_template("accounts/add_role.html", form=form)


@bp.route("/account/roles/<int:role_id>/end", methods=["GET", "POST"])
@login_required
def end_role(role_id: int):
    role = db.session.get(PersonRole, role_id)
    if role is None or role.user_id != current_user.id or role.ended_on is not None:
        abort(404)
    form = forms.EndRoleForm()
    if form.validate_on_submit():
        try:
            services.end_role(actor(), role, ended_on=form.ended_on.data, now=utcnow())
        except DomainError as error:
            fail(error, form)
        else:
            db.session.commit()
            flash(f"Your role {role.job_role.name} has been ended.", "success")
            return redirect(url_for("accounts.profile"))
    return render_template("accounts/end_role.html", form=form, role=role)


@bp.route("/account/organisation", methods=["GET", "POST"])
@login_required
def change_organisation():
    form = forms.ChangeOrganisationForm()
    form.organisation.choices = _organisation_choices("Select your new organisation")
    if form.validate_on_submit():
        organisation = db.session.get(Organisation, form.organisation.data) if form.organisation.data else None
        if organisation is None:
            form.organisation.errors = ["Select your new organisation from the list"]
        else:
            try:
                services.ask_to_join(actor(), organisation, on=form.started_on.data, now=utcnow())
            except DomainError as error:
                fail(error, form)
            else:
                db.session.commit()
                flash(
                    f"You have asked to join {organisation.name}. Its safeguarding lead will confirm that you work "
                    "there; until then your organisation stays as it was.", "success",
                )
                return redirect(url_for("accounts.profile"))
    return render_template("accounts/change_organisation.html", form=form)


@bp.post("/account/organisation/withdraw")
@login_required
def withdraw_join_request():
    form = forms.ConfirmForm()
    if form.validate_on_submit():
        try:
            join_request = services.withdraw_join_request(actor(), now=utcnow())
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(f"You are no longer asking to join {join_request.organisation.name}.", "success")
    return redirect(url_for("accounts.profile"))


@bp.post("/account/sign-out-everywhere")
@login_required
def sign_out_everywhere():
    form = forms.ConfirmForm()
    if form.validate_on_submit():
        services.end_all_sessions(actor(), now=utcnow(), except_token=current_user.get_id())
        db.session.commit()
        flash("You have been signed out on all your other devices.", "success")
    return redirect(url_for("accounts.profile"))
