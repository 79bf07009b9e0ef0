"""Forms for the API token pages."""
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextInput
from wtforms import StringField, SubmitField
from wtforms.validators import InputRequired, Length

from lms.api.services import MAX_NAME_LENGTH


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
    submit = SubmitField("Create token", widget=GovSubmitInput())


class RevokeTokenForm(FlaskForm):
    submit = SubmitField("Yes, revoke this token", widget=GovSubmitInput())
