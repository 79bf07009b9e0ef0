"""Forms for external CPD: log or change it, delete it, verify it or say it cannot be."""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from govuk_frontend_wtf.wtforms_widgets import (
    GovCharacterCount,
    GovCheckboxesInput,
    GovCheckboxInput,
    GovDateInput,
    GovFileInput,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import BooleanField, SelectChoice, SelectMultipleField, StringField, SubmitField, TextAreaField, ValidationError

from lms.core.forms import GovDateField
from lms.records.external.services import (
    MAX_EVIDENCE_BYTES,
    MAX_NOTE,
    MAX_REASON,
    MESSAGES,
    Evidence,
    ExternalValues,
    check_evidence,
    check_values,
    parse_hours,
    requirement_choices,
)
from lms.core.errors import DomainError


class ExternalCpdForm(FlaskForm):
    """The details of external CPD. Each field is checked by the same rules the service
    applies (external.check_values), so every mistake is shown at once."""

    title = StringField("Title of the training", description="For example, Designated safeguarding lead refresher",
                        widget=GovTextInput())
    provider = StringField("Who provided it", description="For example, the local authority, the NSPCC or a conference organiser",
                           widget=GovTextInput())
    completed_on = GovDateField("Date you completed it", description="For example, 27 3 2026", widget=GovDateInput())
    cpd_hours = StringField("CPD hours", description="In quarter hours, for example 1.5 or 2.25", widget=GovTextInput())
    requirement_codes = SelectMultipleField(
        "Training requirements it counts towards (optional)", choices=[], widget=GovCheckboxesInput(), validate_choice=False,
        description="Select any your training meets. Your lead may check this when they verify it.",
    )
    note = TextAreaField("Note (optional)", description="Anything your lead should know, such as what it covered",
                         widget=GovCharacterCount())
    evidence = FileField("Evidence (optional)", description="A certificate or attendance letter: a PDF, PNG or JPEG smaller than 5 MB",
                         widget=GovFileInput())
    remove_evidence = BooleanField("Remove the evidence file", widget=GovCheckboxInput())
    submit = SubmitField("Save training", widget=GovSubmitInput())

    # Set by the view: London today, for the date checks.
    today = None

    # Set by the view: whose CPD it is (the requirements offered are those of their roles).
    person = None

    def __init__(self, *args, today=None, person=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.person = person
        self.requirement_codes.choices = [SelectChoice(code, name) for code, name in requirement_choices(person)]
        if person is not None and not self.requirement_codes.choices:
            self.requirement_codes.description = (
                "None of the training requirements apply to your job roles, so there are none to choose. "
                "If your job roles are wrong, change them in your account."
            )

    def validate_title(self, field):
        self._check(field, "title")

    def validate_provider(self, field):
        self._check(field, "provider")

    def validate_completed_on(self, field):
        if field.errors:
            return
        if field.data is None:
            raise ValidationError(MESSAGES["date_missing"])
        self._check(field, "completed_on")

    def validate_cpd_hours(self, field):
        try:
            parse_hours(field.data)
        except DomainError as error:
            raise ValidationError(error.message) from None

    def validate_requirement_codes(self, field):
        self._check(field, "requirement_codes")

    def validate_note(self, field):
        if field.data and len(field.data.strip()) > MAX_NOTE:
            raise ValidationError(MESSAGES["note_long"])

    def validate_evidence(self, field):
        upload = field.data
        if upload is None or not getattr(upload, "filename", None):
            field.data = None
            return
        upload.stream.seek(0, 2)
        size = upload.stream.tell()
        upload.stream.seek(0)
        if size > MAX_EVIDENCE_BYTES:
            raise ValidationError(MESSAGES["evidence_size"])
        try:
            check_evidence(Evidence(name=upload.filename, content=upload.stream.read(MAX_EVIDENCE_BYTES + 1)))
        except DomainError as error:
            raise ValidationError(error.message) from None
        finally:
            upload.stream.seek(0)

    def _check(self, field, name: str) -> None:
        """Run the service's checks and keep only the error about this field."""
        values = ExternalValues(
            title=self.title.data if name == "title" else "x",
            provider=self.provider.data if name == "provider" else "x",
            completed_on=self.completed_on.data if name == "completed_on" else self.today,
            hours="1",
            requirement_codes=list(self.requirement_codes.data or []) if name == "requirement_codes" else [],
        )
        try:
            check_values(values, today=self.today, person=self.person)
        except DomainError as error:
            if error.field == name:
                raise ValidationError(error.message) from None

    def values(self) -> ExternalValues:
        return ExternalValues(
            title=self.title.data,
            provider=self.provider.data,
            completed_on=self.completed_on.data,
            hours=self.cpd_hours.data,
            requirement_codes=list(self.requirement_codes.data or []),
            note=self.note.data,
        )

    def fill(self, activity) -> None:
        completion = activity.completion
        self.title.data = completion.title
        self.provider.data = activity.provider
        self.completed_on.data = completion.completed_on
        hours = f"{completion.cpd_hours:.2f}".rstrip("0").rstrip(".")
        self.cpd_hours.data = hours
        offered = {choice.value for choice in self.requirement_codes.choices}
        self.requirement_codes.data = [code for code in activity.requirement_codes or [] if code in offered]
        self.note.data = activity.note or ""


class DeleteExternalCpdForm(FlaskForm):
    submit = SubmitField("Yes, delete it", widget=GovSubmitInput())


class VerifyExternalCpdForm(FlaskForm):
    submit = SubmitField("Verify", widget=GovSubmitInput())


class CannotVerifyExternalCpdForm(FlaskForm):
    reason = TextAreaField(
        "Why can you not verify it?",
        description="The person is sent this by email, so they can add evidence or correct it",
        widget=GovCharacterCount(),
    )
    submit = SubmitField("Send reason", widget=GovSubmitInput())

    def validate_reason(self, field):
        text = (field.data or "").strip()
        if not text:
            raise ValidationError(MESSAGES["reason_missing"])
        if len(text) > MAX_REASON:
            raise ValidationError(MESSAGES["reason_long"])

