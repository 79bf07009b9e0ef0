from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovDateInput,
    GovPasswordInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, Optional

from lms.core.forms import GovDateField


def _coerce_int_or_none(value):
    if value in (None, "", "None"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1  # an id that matches nothing: the service says "select from the list"


class SignInForm(FlaskForm):
    email = EmailField("Email address", widget=GovTextInput(), validators=[InputRequired("Enter your email address")])
    password = PasswordField("Password", widget=GovPasswordInput(), validators=[InputRequired("Enter your password")])
    submit = SubmitField("Sign in", widget=GovSubmitInput())


class RegisterForm(FlaskForm):
    full_name = StringField(
        "Full name", widget=GovTextInput(), validators=[InputRequired("Enter your full name"), Length(max=200)]
    )
    email = EmailField(
        "Work email address",
        widget=GovTextInput(),
        description="We will send a link to this address to confirm it",
        validators=[InputRequired("Enter your work email address")],
    )
    password = PasswordField(
        "Create a password",
        widget=GovPasswordInput(),
        description="Use 10 characters or more. Three random words together make a strong password",
        validators=[InputRequired("Enter a password")],
    )
    organisation = SelectField(
        "Organisation",
        widget=GovSelect(),
        coerce=_coerce_int_or_none,
        description="Start typing the name of your school, nursery, team or organisation",
        validate_choice=False,
    )
    org_not_listed = BooleanField("My organisation is not listed", widget=GovCheckboxInput())
    new_organisation_name = StringField("Organisation name", widget=GovTextInput(), validators=[Optional(), Length(max=200)])
    new_organisation_type = SelectField("Type of organisation", widget=GovSelect(), coerce=_coerce_int_or_none, validate_choice=False)
    new_organisation_area = SelectField("Area", widget=GovSelect(), coerce=_coerce_int_or_none, validate_choice=False)
    new_organisation_postcode = StringField("Postcode", widget=GovTextInput(), validators=[Optional(), Length(max=10)])
    job_role_1 = SelectField("Job role", widget=GovSelect(), coerce=_coerce_int_or_none, validate_choice=False)
    job_role_1_started = GovDateField("When did you start in this role?", widget=GovDateInput(), validators=[Optional()])
    job_role_2 = SelectField("Second job role (optional)", widget=GovSelect(), coerce=_coerce_int_or_none, validate_choice=False)
    job_role_2_started = GovDateField("When did you start in your second role?", widget=GovDateInput(), validators=[Optional()])
    submit = SubmitField("Create account", widget=GovSubmitInput())


class EmailOnlyForm(FlaskForm):
    email = EmailField("Email address", widget=GovTextInput(), validators=[InputRequired("Enter your email address")])
    submit = SubmitField("Send link", widget=GovSubmitInput())


class ResetPasswordForm(FlaskForm):
    password = PasswordField(
        "New password",
        widget=GovPasswordInput(),
        description="Use 10 characters or more. Three random words together make a strong password",
        validators=[InputRequired("Enter a new password")],
    )
    submit = SubmitField("Save new password", widget=GovSubmitInput())


class ProfileForm(FlaskForm):
    full_name = StringField("Full name", widget=GovTextInput(), validators=[InputRequired("Enter your full name"), Length(max=200)])
    email = EmailField(
        "Work email address",
        widget=GovTextInput(),
        description="If you change it, we will send a link to the new address to confirm it",
        validators=[InputRequired("Enter your work email address")],
    )
    submit = SubmitField("Save changes", widget=GovSubmitInput())


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        "Current password", widget=GovPasswordInput(), validators=[InputRequired("Enter your current password")]
    )
    new_password = PasswordField(
        "New password",
        widget=GovPasswordInput(),
        description="Use 10 characters or more. Three random words together make a strong password",
        validators=[InputRequired("Enter a new password")],
    )
    submit = SubmitField("Change password", widget=GovSubmitInput())


class AddRoleForm(FlaskForm):
    job_role = SelectField("Job role", widget=GovSelect(), coerce=_coerce_int_or_none, validate_choice=False)
    started_on = GovDateField(
        "When did you start in this role?",
        widget=GovDateInput(),
        description="For example, 1 9 2024",
        validators=[InputRequired("Enter the date you started in this role")],
    )
    submit = SubmitField("Add role", widget=GovSubmitInput())


class EndRoleForm(FlaskForm):
    ended_on = GovDateField(
        "When did you stop doing this role?",
        widget=GovDateInput(),
        description="For example, 31 8 2026",
        validators=[InputRequired("Enter the date you stopped doing this role")],
    )
    submit = SubmitField("End role", widget=GovSubmitInput())


class ChangeOrganisationForm(FlaskForm):
    organisation = SelectField(
        "New organisation",
        widget=GovSelect(),
        coerce=_coerce_int_or_none,
        description="Start typing the name of your school, nursery, team or organisation",
        validate_choice=False,
    )
    started_on = GovDateField(
        "When did you start there?",
        widget=GovDateInput(),
        description="For example, 1 9 2026",
        validators=[InputRequired("Enter the date you started at the new organisation")],
    )
    submit = SubmitField("Change organisation", widget=GovSubmitInput())


class ConfirmForm(FlaskForm):
    """A form that is only a button (sign out, sign out everywhere)."""

    submit = SubmitField("Continue", widget=GovSubmitInput())
