from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovDateInput, GovSubmitInput, GovTextInput
from wtforms import IntegerField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, Optional

from lms.core.forms import GovDateField


class AddPurchaseForm(FlaskForm):
    quantity = IntegerField(
        "Number of learner licences", widget=GovTextInput(),
        validators=[InputRequired("Enter the number of licences, a whole number of 1 or more")],
    )
    starts_on = GovDateField("Licences start on", widget=GovDateInput(), validators=[InputRequired("Enter the start date")])
    ends_on = GovDateField(
        "Licences end on (optional)", widget=GovDateInput(), validators=[Optional()],
        description="Leave blank if they do not expire",
    )
    reference = StringField("Order or invoice reference (optional)", widget=GovTextInput(), validators=[Optional(), Length(max=100)])
    submit = SubmitField("Record licences", widget=GovSubmitInput())


class PolicyForm(FlaskForm):
    dormant_after_months = IntegerField(
        "Make accounts dormant after this many months without use", widget=GovTextInput(),
        validators=[InputRequired("Enter a number of months from 3 to 120")],
        description="People are emailed a month before. Admin accounts never become dormant",
    )
    close_after_dormant_months = IntegerField(
        "Close dormant accounts after this many more months (optional)", widget=GovTextInput(),
        validators=[Optional()],
        description="A closed account cannot be signed in to and is left out of compliance figures; its training "
                    "record is kept and an admin can reopen it. Leave blank to never close dormant accounts",
    )
    warn_at_percent = IntegerField(
        "Warn when this percentage of licences is in use", widget=GovTextInput(),
        validators=[InputRequired("Enter a percentage from 50 to 100")],
    )
    submit = SubmitField("Save settings", widget=GovSubmitInput())
