"""Forms for the organisation pages. Choices are filled in by the views; the rules live in
organisations.services, so these forms check only what a browser could get wrong."""
from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSelect, GovSubmitInput, GovTextArea, GovTextInput
from wtforms import Form, SelectChoice, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from lms.organisations.models import Area, OrganisationType, Sector
from lms.organisations.services import list_reference


class ServiceSelect(SelectField):
    """A select whose value the service checks (so its message, not WTForms', is shown).
    The organisation pages' sub-features and the accounts pages use it too."""

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
    type = ServiceSelect("Type of organisation", validators=[InputRequired("Select the type of organisation")])
    sector = ServiceSelect(
        "Sector",
        description="Leave as it is to use the sector of the organisation's type. Change it when an organisation "
        "counts elsewhere, for example a children's centre run by a charity.",
    )
    area = ServiceSelect("Area")
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
    type = ServiceSelect("Type")
    sector = ServiceSelect("Sector")
    area = ServiceSelect("Area")
    status = ServiceSelect(
        "Status",
        choices=[
            SelectChoice("active", "Active"),
            SelectChoice("inactive", "Deactivated"),
            SelectChoice("all", "Active and deactivated"),
        ],
        default="active",
    )


class ConfirmForm(FlaskForm):
    """A button that changes something: only the CSRF token and the button."""

    submit = SubmitField("Confirm", widget=GovSubmitInput())


# --- filling in choices, and where an error goes ---------------------------------------

def choices(rows, blank: str | None = None) -> list[SelectChoice]:
    items = [SelectChoice(str(row.id), row.name) for row in rows]
    return [SelectChoice("", blank), *items] if blank is not None else items


def organisation_form_choices(form: OrganisationForm) -> None:
    types = list_reference(OrganisationType)
    form.type.choices = [SelectChoice("", "Select a type")] + [
        SelectChoice(str(t.id), f"{t.name} ({t.sector.name})") for t in types
    ]
    form.sector.choices = choices(list_reference(Sector), blank="Same as the type's sector")
    form.area.choices = choices(list_reference(Area), blank="No area")


def first_field(form) -> str:
    """The first field a person fills in: where an error that names no field is shown."""
    return next(f.name for f in form if f.type not in ("CSRFTokenField", "SubmitField", "HiddenField"))
