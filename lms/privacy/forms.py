from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxInput, GovSubmitInput, GovTextArea
from wtforms import BooleanField, SubmitField, TextAreaField
from wtforms.validators import InputRequired


class EraseForm(FlaskForm):
    reason = TextAreaField("Why are you erasing this person's details?", widget=GovTextArea(),
                           description="For example, the date and reference of their request. Do not include their name",
                           validators=[InputRequired("Enter why this person's details are being erased")])
    confirm = BooleanField("I understand this cannot be undone", widget=GovCheckboxInput(),
                           validators=[InputRequired("Confirm that you understand this cannot be undone")])
    submit = SubmitField("Erase their personal details", widget=GovSubmitInput())
