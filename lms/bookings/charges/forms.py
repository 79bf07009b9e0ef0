"""The forms of the charges pages: the rates form (two amounts in pounds for each
organisation type, made for the types there are, and the day they apply from). The
period of the report is lms.core.forms.PeriodForm."""
from __future__ import annotations

from datetime import date

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovDateInput, GovSubmitInput, GovTextInput
from wtforms import Field, SubmitField, ValidationError

from lms.bookings.charges import services as charges
from lms.core.forms import GovDateField


class PoundsField(Field):
    """An amount of money typed in pounds ('25', '25.50', '£25.50'), held as pence.
    Blank is no charge; a box not sent at all keeps the current charge."""

    widget = GovTextInput()

    def __init__(self, label=None, validators=None, what: str = "charge", **kwargs):
        super().__init__(label, validators, **kwargs)
        self.what = what

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return f"{(self.data or 0) / 100:.2f}"

    def process_formdata(self, valuelist):
        if not valuelist:
            return  # not sent at all: the current charge stays
        try:
            pence = charges.parse_pounds(valuelist[0])
        except ValueError:
            self.data = None
            raise ValueError(f"Enter the {self.what} in pounds and pence, like 25 or 25.50") from None
        self.data = 0 if pence is None else pence


def _within_limit(form, field):
    if field.data is not None and not 0 <= field.data <= charges.MAX_CHARGE_PENCE:
        raise ValidationError(f"The {field.what} must be between £0 and £{charges.pounds(charges.MAX_CHARGE_PENCE)}")


class RatesFormBase(FlaskForm):
    applies_from = GovDateField(
        "Which sessions do these charges apply to?", widget=GovDateInput(),
        description="Sessions on or after this date, for example 1 4 2027. Sessions before it keep the charges "
                    "that applied to them.",
    )
    submit = SubmitField("Save charges", widget=GovSubmitInput())
    rates: list[charges.Rate] = []

    def validate_applies_from(self, field):
        if field.data is None and not field.errors:
            raise ValidationError("Enter the date the charges apply from")

    def fields_for(self, rate: charges.Rate):
        type_id = rate.organisation_type.id
        return self[charges.no_show_field(type_id)], self[charges.late_cancellation_field(type_id)]

    def changes(self) -> dict[int, tuple[int, int]]:
        """The types whose boxes now differ from the charges the page showed (today's):
        only those are set, so a later change already set for another type stays."""
        result = {}
        for rate in self.rates:
            no_show, late = self.fields_for(rate)
            if (no_show.data, late.data) != (rate.no_show_pence, rate.late_cancellation_pence):
                result[rate.organisation_type.id] = (no_show.data, late.data)
        return result


def rates_form(rates: list[charges.Rate], formdata=None, *, today: date) -> RatesFormBase:
    class RatesForm(RatesFormBase):
        pass

    for rate in rates:
        org_type = rate.organisation_type
        setattr(RatesForm, charges.no_show_field(org_type.id), PoundsField(
            f"No-show charge for {org_type.name}", [_within_limit],
            what=f"no-show charge for {org_type.name}", default=rate.no_show_pence,
        ))
        setattr(RatesForm, charges.late_cancellation_field(org_type.id), PoundsField(
            f"Late cancellation charge for {org_type.name}", [_within_limit],
            what=f"late cancellation charge for {org_type.name}", default=rate.late_cancellation_pence,
        ))
    RatesForm.rates = list(rates)
    return RatesForm(data={"applies_from": today}) if formdata is None else RatesForm(formdata=formdata)
