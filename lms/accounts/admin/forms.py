"""Forms for the admin's people pages. Choices are filled in by the views."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput, GovDateInput, GovSelect, GovSubmitInput, GovTextInput
from wtforms import SelectChoice, SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length, StopValidation

from lms.core.forms import GovDateField


class DateRequired:
    """Asks for a date only when none was typed. DataRequired would replace the more useful
    message a half-typed or impossible date already has ("must be a real date")."""

    def __init__(self, message: str):
        self.message = message

    def __call__(self, form, field):
        if field.data is None:
            if field.process_errors:
                raise StopValidation()
            raise StopValidation(self.message)


ACCESS_CHOICES = [SelectChoice("admin", "Partnership admin"), SelectChoice("trainer", "Trainer")]


class PeopleFilterForm(FlaskForm):
    """The filters above the people list. Sent with GET, so no CSRF token."""

    class Meta:
        csrf = False

    q = StringField("Name or email", widget=GovTextInput())
    organisation = SelectField("Organisation", choices=[], widget=GovSelect(), validate_choice=False)
    sector = SelectField("Sector", choices=[], widget=GovSelect(), validate_choice=False)
    job_role = SelectField("Job role", choices=[], widget=GovSelect(), validate_choice=False)
    access = SelectField(
        "Access",
        choices=[
            SelectChoice("", "Anyone"),
            SelectChoice("admin", "Partnership admins"),
            SelectChoice("trainer", "Trainers"),
            SelectChoice("setting-lead", "Setting leads"),
        ],
        widget=GovSelect(),
        validate_choice=False,
    )
    status = SelectField(
        "Account status",
        choices=[
            SelectChoice("", "Any"),
            SelectChoice("active", "Active"),
            SelectChoice("unconfirmed", "Email not confirmed"),
            SelectChoice("closed", "Closed"),
        ],
        widget=GovSelect(),
        validate_choice=False,
    )


class EditPersonForm(FlaskForm):
    full_name = StringField(
        "Full name",
        validators=[
            DataRequired("Enter their full name"),
            Length(max=200, message="Full name must be 200 characters or fewer"),
        ],
        widget=GovTextInput(),
    )
    email = StringField(
        "Email address",
        description="If you change it, they must confirm the new address before they can sign in again.",
        validators=[
            DataRequired("Enter their email address"),
            Length(max=254, message="Email address must be 254 characters or fewer"),
        ],
        widget=GovTextInput(),
    )
    submit = SubmitField("Save changes", widget=GovSubmitInput())


class AccessForm(FlaskForm):
    access = SelectMultipleField(
        "What else can they do?",
        description="Select all that apply. Everyone can book and take training.",
        choices=ACCESS_CHOICES,
        widget=GovCheckboxesInput(),
    )
    submit = SubmitField("Save access", widget=GovSubmitInput())


class ConfirmForm(FlaskForm):
    """A button that needs only a CSRF token (close, reopen, resend)."""

    submit = SubmitField("Continue", widget=GovSubmitInput())


class ChangeOrganisationForm(FlaskForm):
    organisation = SelectField(
        "New organisation", choices=[], validators=[DataRequired("Select their new organisation")], widget=GovSelect()
    )
    started_on = GovDateField(
        "Date they moved",
        description="For example, 1 9 2026. Their time at their current organisation ends on this date.",
        validators=[DateRequired("Enter the date they moved")],
        widget=GovDateInput(),
    )
    submit = SubmitField("Change organisation", widget=GovSubmitInput())


class AddRoleForm(FlaskForm):
    job_role = SelectField("Job role", choices=[], validators=[DataRequired("Select a job role")], widget=GovSelect())
    started_on = GovDateField(
        "Date they started in this role",
        description="For example, 1 9 2026",
        validators=[DateRequired("Enter the date they started in this role")],
        widget=GovDateInput(),
    )
    submit = SubmitField("Add job role", widget=GovSubmitInput())


class EndRoleForm(FlaskForm):
    ended_on = GovDateField(
        "Date the role ended",
        description="For example, 31 8 2026",
        validators=[DateRequired("Enter the date the role ended")],
        widget=GovDateInput(),
    )
    submit = SubmitField("End job role", widget=GovSubmitInput())


class CreatePersonForm(FlaskForm):
    full_name = StringField(
        "Full name",
        validators=[
            DataRequired("Enter their full name"),
            Length(max=200, message="Full name must be 200 characters or fewer"),
        ],
        widget=GovTextInput(),
    )
    email = StringField(
        "Email address",
        description="We will send an invitation to set a password to this address.",
        validators=[
            DataRequired("Enter their email address"),
            Length(max=254, message="Email address must be 254 characters or fewer"),
        ],
        widget=GovTextInput(),
    )
    organisation = SelectField(
        "Organisation", choices=[], validators=[DataRequired("Select their organisation")], widget=GovSelect()
    )
    job_role = SelectField(
        "Job role", choices=[], validators=[DataRequired("Select their job role")], widget=GovSelect()
    )
    started_on = GovDateField(
        "Date they started in this role",
        description="For example, 1 9 2024",
        validators=[DateRequired("Enter the date they started in this role")],
        widget=GovDateInput(),
    )
    access = SelectMultipleField(
        "What else can they do?",
        description="Select all that apply, or none.",
        choices=ACCESS_CHOICES
        + [SelectChoice("setting-lead", "Setting lead: sees the training of everyone at their organisation")],
        widget=GovCheckboxesInput(),
    )
    submit = SubmitField("Create account and send invitation", widget=GovSubmitInput())


class AddSettingLeadForm(FlaskForm):
    """Make someone a setting lead, on an organisation's admin page."""

    email = StringField(
        "Email address of the new setting lead",
        widget=GovTextInput(),
        description="They must already have an account",
        validators=[InputRequired("Enter the email address of the new setting lead")],
    )
    submit = SubmitField("Add setting lead", widget=GovSubmitInput())
