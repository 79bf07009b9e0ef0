"""The form for adding or changing reference data."""
from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextInput
from wtforms import StringField, SubmitField
from wtforms.validators import InputRequired, Regexp

from lms.organisations.forms import ServiceSelect


class ReferenceForm(FlaskForm):
    """Add or change a sector, organisation type, area or job role. The views remove
    `code` when editing (codes never change), `sector` unless it is an organisation type
    and `position` when adding (new items go at the end)."""

    code = StringField(
        "Code",
        widget=GovTextInput(),
        description="Lower-case letters, numbers and hyphens, like early-help. Reports, imports and the API "
        "use it, so it cannot be changed later.",
        validators=[InputRequired("Enter a code")],
    )
    name = StringField("Name", widget=GovTextInput(), validators=[InputRequired("Enter a name")])
    sector = ServiceSelect("Sector")
    position = StringField(
        "Position in lists",
        widget=GovTextInput(),
        description="1 puts it first",
        validators=[InputRequired("Enter the position, as a whole number"),
                    Regexp(r"^\s*[1-9][0-9]{0,5}\s*$", message="Position must be a whole number, 1 or more, like 3")],
    )
    submit = SubmitField("Save", widget=GovSubmitInput())
