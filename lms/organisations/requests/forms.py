"""Forms for deciding a request to add an organisation (approving uses the organisation
form of organisations.forms)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextArea
from wtforms import SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length

from lms.organisations.forms import ServiceSelect


class LinkRequestForm(FlaskForm):
    organisation = ServiceSelect("Organisation already listed")
    submit = SubmitField("Link to this organisation", widget=GovSubmitInput())


class RejectRequestForm(FlaskForm):
    reason = TextAreaField(
        "Reason",
        widget=GovTextArea(),
        description="We will email this to the person who asked. Say what they can do next.",
        validators=[InputRequired("Enter the reason, which we will email to the person"),
                    Length(max=1000, message="Reason must be 1000 characters or fewer")],
    )
    submit = SubmitField("Reject request", widget=GovSubmitInput())
