"""Forms for the organisation pages. Choices are filled in by the views; the rules live in
organisations.services, so these forms check only what a browser could get wrong."""
from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSelect, GovSubmitInput, GovTextArea, GovTextInput
from wtforms import Form, SelectChoice, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, Regexp


class _Select(SelectField):
    """A select whose value the service checks (so its message, not WTForms', is shown)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("validate_choice", False)
        kwargs.setdefault("widget", GovSelect())
        super().__init__(*args, **kwargs)


class OrganisationForm(FlaskForm):
    name = StringField(
        "Name",
        widget=GovTextInput(),
        validators=[InputRequired("Enter the organisation's name"), Length(max=200, message="Name must be 200 characters or fewer")],
    )
    type = _Select("Type of organisation", validators=[InputRequired("Select the type of organisation")])
    sector = _Select(
        "Sector",
        description="Leave as it is to use the sector of the organisation's type. Change it when an organisation "
        "counts elsewhere, for example a children's centre run by a charity.",
    )
    area = _Select("Area")
    urn = StringField(
        "URN or Ofsted number (optional)",
        widget=GovTextInput(),
        description="For example 123456 or EY123456",
        validators=[Optional(), Length(max=20, message="URN or Ofsted number must be 20 characters or fewer")],
    )
    address = TextAreaField(
        "Address (optional)",
        widget=GovTextArea(),
        validators=[Optional(), Length(max=500, message="Address must be 500 characters or fewer")],
    )
    postcode = StringField("Postcode (optional)", widget=GovTextInput(), validators=[Optional()])
    submit = SubmitField("Save organisation", widget=GovSubmitInput())

    def service_fields(self) -> dict:
        return {
            "name": self.name.data,
            "type_id": self.type.data or None,
            "sector_id": self.sector.data or None,
            "area_id": self.area.data or None,
            "urn": self.urn.data,
            "address": self.address.data,
            "postcode": self.postcode.data,
        }


class OrganisationFilterForm(Form):
    """The filters above the organisations list (GET, so no CSRF token)."""

    q = StringField("Name, URN or postcode", widget=GovTextInput())
    type = _Select("Type")
    sector = _Select("Sector")
    area = _Select("Area")
    status = _Select(
        "Status",
        choices=[
            SelectChoice("active", "Active"),
            SelectChoice("inactive", "Deactivated"),
            SelectChoice("all", "Active and deactivated"),
        ],
        default="active",
    )


class StaffFilterForm(Form):
    """The filters above a setting lead's staff list (GET)."""

    q = StringField("Name or email address", widget=GovTextInput())
    organisation = _Select("Organisation")


class ConfirmForm(FlaskForm):
    """A button that changes something: only the CSRF token and the button."""

    submit = SubmitField("Confirm", widget=GovSubmitInput())


class AddSettingLeadForm(FlaskForm):
    email = StringField(
        "Email address of the new setting lead",
        widget=GovTextInput(),
        description="They must already have an account",
        validators=[InputRequired("Enter the email address of the new setting lead")],
    )
    submit = SubmitField("Add setting lead", widget=GovSubmitInput())


class LinkRequestForm(FlaskForm):
    organisation = _Select("Organisation already listed")
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
    sector = _Select("Sector")
    position = StringField(
        "Position in lists",
        widget=GovTextInput(),
        description="1 puts it first",
        validators=[InputRequired("Enter the position, as a whole number"),
                    Regexp(r"^\s*[1-9][0-9]{0,5}\s*$", message="Position must be a whole number, 1 or more, like 3")],
    )
    submit = SubmitField("Save", widget=GovSubmitInput())
