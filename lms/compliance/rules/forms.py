"""Forms for the requirements admin pages. The forms only read what was typed (numbers,
dates, ticked boxes); the ranges and everything else are checked by the rules services (rules.changes), whose
DomainError the views put on the field it names. Choices are filled in by the views."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovDateInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import Field, RadioField, SelectChoice, SelectField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from lms.compliance.models import STRENGTHS
from lms.compliance.rules.layers import KIND_NAMES, RuleValues
from lms.core.forms import GovDateField


class WholeNumberField(Field):
    """A whole number, or None when left blank."""

    widget = GovTextInput()

    def __init__(self, label=None, validators=None, example: str = "12", **kwargs):
        super().__init__(label, validators, **kwargs)
        self.example = example

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else str(self.data)

    def process_formdata(self, valuelist):
        text = (valuelist[0] if valuelist else "").strip()
        if not text:
            self.data = None
            return
        try:
            self.data = int(text)
        except ValueError:
            self.data = None
            raise ValueError(f"{self.label.text} must be a whole number, like {self.example}") from None


class HoursField(Field):
    """A number of hours (1.5 allowed), or None when left blank."""

    widget = GovTextInput()

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else format(Decimal(self.data).normalize(), "f")

    def process_formdata(self, valuelist):
        text = (valuelist[0] if valuelist else "").strip()
        if not text:
            self.data = None
            return
        try:
            value = Decimal(text)
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite():
            self.data = None
            raise ValueError(f"{self.label.text} must be a number, like 12 or 1.5")
        self.data = value


def _number_params(width: int = 3) -> dict:
    return {"classes": f"govuk-input--width-{width}", "inputmode": "numeric", "spellcheck": False}


class RuleForm(FlaskForm):
    """The values one layer sets. Every number may be left blank to use the layer below;
    the view shows only the fields that apply to the requirement's kind."""

    period_months = WholeNumberField("Period in months", example="36")
    hours_required = HoursField("Hours required")
    window_months = WholeNumberField("Rolling period in months", example="36")
    deadline_day = WholeNumberField("Day", example="30")
    deadline_month = WholeNumberField("Month", example="9")
    edition_date = GovDateField("Date of the current edition", widget=GovDateInput())
    due_soon_days = WholeNumberField("Due-soon window in days", example="90")
    induction_days = WholeNumberField("Days a new starter has to complete it", example="30")
    grace_days = WholeNumberField("Grace period in days after the due date", example="0")
    counts_from = SelectMultipleField(
        "Training for these requirements also counts", choices=[], widget=GovCheckboxesInput(), validate_choice=False
    )
    qualifying_modes = SelectMultipleField(
        "These kinds of activity also count", choices=[], widget=GovCheckboxesInput(), validate_choice=False
    )
    note = TextAreaField(
        "Note (optional)",
        description="Why this rule was set, for example the board decision and its date.",
        validators=[Length(max=2000, message="Note must be 2,000 characters or fewer")],
        widget=GovTextArea(),
    )

    def values(self, *, fields, inherited: dict | None = None) -> RuleValues:
        """The values typed in the fields shown. A list that matches the layer below is
        kept as "as below" (None), so a later change below still shows through."""
        data = {}
        for name in fields:
            value = self._fields[name].data
            if name in ("counts_from", "qualifying_modes"):
                chosen = tuple(value or ())
                below = tuple((inherited or {}).get(name) or ())
                value = None if (inherited is not None and sorted(chosen) == sorted(below)) or (inherited is None and not chosen) else chosen
            data[name] = value
        note = (self.note.data or "").strip()
        data["note"] = note or None
        return RuleValues(**data)

    def fill(self, values: RuleValues, *, inherited: dict | None = None) -> None:
        """Show a layer's stored values (lists: as stored, else as inherited)."""
        for name in ("period_months", "hours_required", "window_months", "deadline_day", "deadline_month", "edition_date",
                     "due_soon_days", "induction_days", "grace_days"):
            self._fields[name].data = getattr(values, name)
        for name in ("counts_from", "qualifying_modes"):
            stored = getattr(values, name)
            self._fields[name].data = list(stored if stored is not None else (inherited or {}).get(name) or ())
        self.note.data = values.note


class OrganisationRuleForm(RuleForm):
    organisation = SelectField(
        "Organisation", choices=[], validators=[DataRequired("Select an organisation")], widget=GovSelect()
    )


def _strength_choices() -> list[SelectChoice]:
    return [SelectChoice(code, name) for code, name in STRENGTHS.items()]


class DetailsForm(FlaskForm):
    """A requirement's details. There is no code field: codes never change."""

    name = StringField(
        "Name",
        validators=[DataRequired("Enter the requirement's name"), Length(max=200, message="Name must be 200 characters or fewer")],
        widget=GovTextInput(),
    )
    description = TextAreaField(
        "Description (optional)",
        validators=[Length(max=5000, message="Description must be 5,000 characters or fewer")],
        widget=GovTextArea(),
    )
    source = StringField(
        "Source (optional)",
        description="Where the requirement comes from, for example KCSIE 2025, Annex C.",
        validators=[Length(max=200, message="Source must be 200 characters or fewer")],
        widget=GovTextInput(),
    )
    strength = RadioField("Strength", choices=_strength_choices(), widget=GovRadioInput(), validate_choice=False)
    job_roles = SelectMultipleField(
        "Job roles it applies to", choices=[], widget=GovCheckboxesInput(), validate_choice=False
    )
    active = RadioField(
        "Is the requirement in use?",
        choices=[SelectChoice("yes", "Yes: people in these roles must hold it"), SelectChoice("no", "No: nobody is measured against it")],
        widget=GovRadioInput(),
        validate_choice=False,
    )
    organisation_overrides = RadioField(
        "May organisations set their own rule?",
        description="For example, a school that refreshes whole-staff training every year. "
        "Their rule applies to their own people only.",
        choices=[SelectChoice("yes", "Yes"), SelectChoice("no", "No: everyone follows the partnership’s rule")],
        widget=GovRadioInput(),
        validate_choice=False,
    )


class NewRequirementForm(RuleForm):
    code = StringField(
        "Code",
        description="Lower-case letters, numbers and hyphens, like first-aid-awareness. "
        "Courses, reports and the API refer to it. It cannot be changed later.",
        validators=[DataRequired("Enter a code"), Length(max=40, message="Code must be 40 characters or fewer")],
        widget=GovTextInput(),
    )
    name = StringField(
        "Name",
        validators=[DataRequired("Enter the requirement's name"), Length(max=200, message="Name must be 200 characters or fewer")],
        widget=GovTextInput(),
    )
    description = TextAreaField(
        "Description (optional)",
        validators=[Length(max=5000, message="Description must be 5,000 characters or fewer")],
        widget=GovTextArea(),
    )
    source = StringField(
        "Source (optional)",
        description="For example, a decision of the partnership's board and its date.",
        validators=[Length(max=200, message="Source must be 200 characters or fewer")],
        widget=GovTextInput(),
    )
    strength = RadioField("Strength", choices=_strength_choices(), default="local", widget=GovRadioInput(), validate_choice=False)
    job_roles = SelectMultipleField(
        "Job roles it applies to", choices=[], widget=GovCheckboxesInput(), validate_choice=False
    )


class ChooseKindForm(FlaskForm):
    """The first step of adding a requirement. Sent with GET, so no CSRF token."""

    class Meta:
        csrf = False

    kind = RadioField(
        "What kind of rule is it?",
        choices=[SelectChoice(code, name) for code, name in KIND_NAMES.items()],
        validators=[DataRequired("Select the kind of rule")],
        widget=GovRadioInput(),
        validate_choice=False,
    )


class ConfirmForm(FlaskForm):
    """A form that carries only a CSRF token (removing a layer)."""


YES, NO = "yes", "no"


class UnverifiedCpdForm(FlaskForm):
    """The partnership's setting: does self-reported CPD count before it is verified?"""

    unverified_cpd_counts = RadioField(
        "Does self-reported CPD count before a setting lead verifies it?",
        choices=[
            SelectChoice(YES, "Yes, it counts at once, and every status that rests on it says “unverified CPD”"),
            SelectChoice(NO, "No, it counts only once a setting lead (or an admin) has verified it"),
        ],
        validators=[InputRequired("Select whether self-reported CPD counts before a setting lead verifies it")],
        widget=GovRadioInput(),
    )
    submit = SubmitField("Save setting", widget=GovSubmitInput())

    @property
    def counts(self) -> bool | None:
        return {YES: True, NO: False}.get(self.unverified_cpd_counts.data)
