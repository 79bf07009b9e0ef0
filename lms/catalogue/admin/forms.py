"""The course form for admins. It only reads what was typed; lms.catalogue.admin.services checks
it and the view puts its message on the field it names. Choices are filled in by the view."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovCheckboxesInput,
    GovRadioInput,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import BooleanField, Field, RadioField, SelectMultipleField, StringField, SubmitField, TextAreaField

from lms.catalogue.admin.services import CourseValues
from lms.catalogue.models import DEFAULT_FOLLOWUP_WEEKS


class HoursField(Field):
    """CPD hours as typed ("3", "1.5"); None when blank or not a number (the service says so)."""

    widget = GovTextInput()

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else format(Decimal(self.data).normalize(), "f")

    def process_formdata(self, valuelist):
        text = (valuelist[0] if valuelist else "").strip()
        try:
            value = Decimal(text) if text else None
        except InvalidOperation:
            value = None
        self.data = value if value is None or value.is_finite() else None


class WeeksField(Field):
    """Whole weeks as typed; None when blank (no follow-up), -1 when not a whole number
    (the service says so)."""

    widget = GovTextInput()

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else str(self.data)

    def process_formdata(self, valuelist):
        text = (valuelist[0] if valuelist else "").strip()
        self.data = None if not text else int(text) if text.isdigit() and len(text) < 6 else -1


class CourseForm(FlaskForm):
    code = StringField("Course code", widget=GovTextInput(),
                       description="Capital letters and digits with hyphens, like DSL-NEW. It cannot be changed later.")
    title = StringField("Title", widget=GovTextInput())
    summary = TextAreaField("Summary", widget=GovTextArea(),
                            description="What the course covers and who it is for, shown in the catalogue.")
    learning_outcomes = TextAreaField("Learning outcomes (optional)", widget=GovTextArea(),
                                      description="One a line, at most 12.")
    delivery_mode = RadioField("How is it delivered?", choices=[], widget=GovRadioInput(), validate_choice=False)
    cpd_hours = HoursField("CPD hours", description="In quarter hours, like 3 or 1.5.")
    level = RadioField("Level", choices=[], widget=GovRadioInput(), validate_choice=False)
    sector_codes = SelectMultipleField("Who is it for? Sectors (optional)", choices=[], widget=GovCheckboxesInput(),
                                       validate_choice=False)
    job_role_codes = SelectMultipleField("Job roles (optional)", choices=[], widget=GovCheckboxesInput(),
                                         validate_choice=False)
    requirement_codes = SelectMultipleField(
        "Training requirements it counts towards", choices=[], widget=GovCheckboxesInput(), validate_choice=False,
        description="Completing the course meets these in people's compliance.",
    )
    asks_for_evaluation = BooleanField("Ask people to evaluate the course before they get their certificate",
                                       widget=GovCheckboxInput())
    followup_weeks = WeeksField(
        "Impact follow-up: weeks after attendance (optional)", default=DEFAULT_FOLLOWUP_WEEKS,
        description="Attendees are asked whether and how they have used what they learned this many weeks after the "
                    "course (usually 12). Leave it empty for no follow-up.",
    )
    active = BooleanField("Show it in the catalogue and let sessions be added", widget=GovCheckboxInput())
    submit = SubmitField("Save course", widget=GovSubmitInput())

    def values(self) -> CourseValues:
        level = self.level.data
        return CourseValues(
            code=self.code.data or "",
            title=self.title.data or "",
            summary=self.summary.data or "",
            learning_outcomes=[line.strip() for line in (self.learning_outcomes.data or "").splitlines() if line.strip()],
            delivery_mode=self.delivery_mode.data or None,
            cpd_hours=self.cpd_hours.data,
            level=int(level) if level and str(level).isdigit() else None,
            sector_codes=list(self.sector_codes.data or []),
            job_role_codes=list(self.job_role_codes.data or []),
            requirement_codes=list(self.requirement_codes.data or []),
            asks_for_evaluation=bool(self.asks_for_evaluation.data),
            followup_weeks=self.followup_weeks.data,
            active=bool(self.active.data),
        )

    def fill(self, values: CourseValues) -> None:
        self.code.data = values.code
        self.title.data = values.title
        self.summary.data = values.summary
        self.learning_outcomes.data = "\n".join(values.learning_outcomes)
        self.delivery_mode.data = values.delivery_mode
        self.cpd_hours.data = values.cpd_hours
        self.level.data = str(values.level) if values.level else None
        self.sector_codes.data = values.sector_codes
        self.job_role_codes.data = values.job_role_codes
        self.requirement_codes.data = values.requirement_codes
        self.asks_for_evaluation.data = values.asks_for_evaluation
        self.followup_weeks.data = values.followup_weeks
        self.active.data = values.active
