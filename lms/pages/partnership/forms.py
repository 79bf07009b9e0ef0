from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovDateInput,
    GovFileInput,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import BooleanField, StringField, SubmitField, TextAreaField
from wtforms.validators import Optional

from lms.core.forms import GovDateField


class PartnershipForm(FlaskForm):
    name = StringField("Partnership name", widget=GovTextInput(),
                       description="As it appears in the header, emails, certificates and the privacy notice")
    service_name = StringField("Service name", widget=GovTextInput(), description="The name of this training service")
    contact_email = StringField("Contact email address", widget=GovTextInput(),
                                description="Where people write with questions about their training and their data")
    contact_phone = StringField("Contact telephone number (optional)", widget=GovTextInput())
    postal_address = TextAreaField("Postal address (optional)", widget=GovTextArea())
    dpo_name = StringField("Data protection officer (optional)", widget=GovTextInput(),
                           description="The name or title of the data protection officer of the organisation that is the controller")
    dpo_email = StringField("Data protection officer's email address (optional)", widget=GovTextInput())
    ico_registration = StringField("ICO registration number (optional)", widget=GovTextInput(),
                                   description="The controller's entry in the Information Commissioner's register of fee payers, like ZA123456")
    signatory_name = StringField("Certificate signatory (optional)", widget=GovTextInput(),
                                 description="Who signs certificates for the partnership; certificates issued from now on carry it")
    signatory_role = StringField("Signatory's role (optional)", widget=GovTextInput(), description="For example, Partnership Business Manager")
    logo = FileField("Logo for certificates (optional)", widget=GovFileInput(),
                     description="A PNG or JPEG image smaller than 200 KB")
    remove_logo = BooleanField("Remove the current logo", widget=GovCheckboxInput())
    accessibility_email = StringField("Accessibility contact email address (optional)", widget=GovTextInput(),
                                      description="Where people report accessibility problems or ask for another format; the contact email address if blank")
    accessibility_checked_on = GovDateField("When the service was last checked for accessibility (optional)",
                                            widget=GovDateInput(), validators=[Optional()],
                                            description="For example, 7 12 2026")
    accessibility_known_issues = TextAreaField("Known accessibility issues (optional)", widget=GovTextArea(),
                                               description="One issue a line: what does not work and for whom, and when it will be fixed")
    submit = SubmitField("Save", widget=GovSubmitInput())
