"""The filters above a setting lead's staff list, and the forms for a lead's decisions
about who works at their organisation."""
from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovDateInput, GovSubmitInput, GovTextInput
from wtforms import Form, StringField, SubmitField

from lms.accounts.admin.forms import DateRequired
from lms.core.forms import GovDateField
from lms.organisations.forms import ServiceSelect


class StaffFilterForm(Form):
    """The filters above a setting lead's staff list (GET)."""

    q = StringField("Name or email address", widget=GovTextInput())
    organisation = ServiceSelect("Organisation")


class DecideJoinRequestForm(FlaskForm):
    """Confirm someone asking to join, or say they do not work here: a button each."""

    submit = SubmitField("Confirm", widget=GovSubmitInput())


class RecordLeavingForm(FlaskForm):
    """The day a member of staff left (ends their employment there)."""

    ended_on = GovDateField(
        "Date they left",
        description="For example, 31 8 2026",
        validators=[DateRequired("Enter the date they left")],
        widget=GovDateInput(),
    )
    submit = SubmitField("Record that they have left", widget=GovSubmitInput())
