"""The admin's form for uploading a SCORM 1.2 package."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovFileInput,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import SelectChoice, SelectMultipleField, StringField, SubmitField, TextAreaField, ValidationError

from lms.elearning.scorm.services import CourseDetails


class PackageForm(FlaskForm):
    package = FileField("SCORM 1.2 package", description="The zip file from the vendor, with imsmanifest.xml at its top",
                        widget=GovFileInput())
    code = StringField("Course code", widget=GovTextInput(),
                       description="Capital letters, numbers and hyphens, for example VENDOR-PREVENT. "
                                   "Use an existing package course's code to upload a new version of it.")
    title = StringField("Course title", widget=GovTextInput())
    summary = TextAreaField("Summary", description="What the course covers, shown in the catalogue", widget=GovTextArea())
    cpd_hours = StringField("CPD hours", description="For example 1.5", widget=GovTextInput())
    requirement_codes = SelectMultipleField("Training requirements it counts towards (optional)", choices=[],
                                            widget=GovCheckboxesInput(), validate_choice=False)
    completion_statuses = SelectMultipleField(
        "The course is complete when the package reports", widget=GovCheckboxesInput(), validate_choice=False,
        choices=[SelectChoice("passed", "Passed"), SelectChoice("completed", "Completed")],
        description="Where the manifest sets a mastery score, the learner's score decides passed or failed.",
    )
    submit = SubmitField("Upload package", widget=GovSubmitInput())

    def __init__(self, *args, requirements: dict[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.requirement_codes.choices = [SelectChoice(code, name) for code, name in (requirements or {}).items()]
        self._known = set(requirements or {})
        if not self.is_submitted():
            self.completion_statuses.data = ["passed", "completed"]

    def validate_package(self, field):
        if field.data is None or not getattr(field.data, "filename", None):
            raise ValidationError("Select the package's zip file")

    def validate_cpd_hours(self, field):
        try:
            Decimal((field.data or "").strip())
        except InvalidOperation:
            raise ValidationError("Enter the CPD hours as a number, for example 1.5") from None

    def validate_requirement_codes(self, field):
        unknown = set(field.data or []) - self._known
        if unknown:
            raise ValidationError("Select requirements from the list")

    def details(self) -> CourseDetails:
        return CourseDetails(
            code=(self.code.data or "").strip().upper(), title=(self.title.data or "").strip(),
            summary=(self.summary.data or "").strip(), cpd_hours=Decimal((self.cpd_hours.data or "0").strip()),
            requirement_codes=list(self.requirement_codes.data or []),
            completion_statuses=list(self.completion_statuses.data or []),
        )
