"""The filters above a setting lead's staff list."""
from __future__ import annotations

from govuk_frontend_wtf.wtforms_widgets import GovTextInput
from wtforms import Form, StringField

from lms.organisations.forms import ServiceSelect


class StaffFilterForm(Form):
    """The filters above a setting lead's staff list (GET)."""

    q = StringField("Name or email address", widget=GovTextInput())
    organisation = ServiceSelect("Organisation")
