"""Forms for the API token pages."""
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSubmitInput, GovTextInput
from wtforms import RadioField, SelectChoice, StringField, SubmitField
from wtforms.validators import InputRequired, Length

from lms.api.services import MAX_NAME_LENGTH

FULL, READ_ONLY = "full", "read-only"
NEVER = "never"
# How long a token lasts, in days, by the choice's value.
LIFETIMES = {"30": "30 days", "90": "90 days", "182": "6 months", "365": "A year"}


class CreateTokenForm(FlaskForm):
    name = StringField(
        "Token name",
        widget=GovTextInput(),
        description="Say what will use it, so you can recognise it later. For example, ‘School MIS export’.",
        validators=[
            InputRequired(message="Enter a name for the token"),
            Length(max=MAX_NAME_LENGTH, message=f"Name must be {MAX_NAME_LENGTH} characters or fewer"),
        ],
    )
    access = RadioField(
        "What can it do?",
        choices=[
            SelectChoice(READ_ONLY, "Read only: for a reporting tool such as Power BI or Excel. It can read what you "
                                    "can read, and is refused if it tries to change anything."),
            SelectChoice(FULL, "Read and change: everything you can do, such as booking places"),
        ],
        default=FULL,
        widget=GovRadioInput(),
    )
    expires = RadioField(
        "When does it stop working?",
        description="A read-only token must expire, at most a year from now.",
        choices=[*(SelectChoice(days, label) for days, label in LIFETIMES.items()),
                 SelectChoice(NEVER, "Never: only until it is revoked (not for read-only tokens)")],
        default=NEVER,
        widget=GovRadioInput(),
    )
    submit = SubmitField("Create token", widget=GovSubmitInput())

    def process(self, formdata=None, obj=None, data=None, extra_filters=None, **kwargs):
        """A form posted without the choices (an older page, a script) makes a token that
        reads and changes and does not expire, as before they were offered."""
        super().process(formdata, obj, data, extra_filters, **kwargs)
        if not self.access.data:
            self.access.data = FULL
        if not self.expires.data:
            self.expires.data = NEVER


class RevokeTokenForm(FlaskForm):
    submit = SubmitField("Yes, revoke this token", widget=GovSubmitInput())
