"""The two follow-up questions."""
from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSubmitInput, GovTextArea
from wtforms import RadioField, SelectChoice, SubmitField, TextAreaField

from lms.evaluations.followup.models import USED


class FollowUpForm(FlaskForm):
    """Both answers are checked by the service, which names the field for its message."""

    used = RadioField("Have you used what you learned in your work?", choices=[SelectChoice(value, label) for value, label in USED.items()],
                      widget=GovRadioInput(), validate_choice=False)
    how = TextAreaField("How have you used it? (optional)", widget=GovTextArea(),
                        description="For example, a concern you recognised, a conversation you had, or a change "
                                    "your team made. Please leave out anything that could identify a child or family.")
    submit = SubmitField("Send your answer", widget=GovSubmitInput())
