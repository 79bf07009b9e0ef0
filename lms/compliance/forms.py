"""Forms for the compliance pages. All are sent with GET (they choose what to show and
change nothing), so none carries a CSRF token. Choices are filled in by the views."""
from __future__ import annotations

import re
from datetime import date

from govuk_frontend_wtf.wtforms_widgets import GovDateInput, GovSelect, GovTextInput
from markupsafe import Markup
from wtforms import Form, HiddenField, SelectField, StringField

from lms.core.forms import GovDateField

EARLIEST = date(2000, 1, 1)
LATEST = date(2099, 12, 31)
_ISO = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$")


class _Remembered:
    """A GOV.UK widget that keeps the markup it wrote, by its parameters. The markup is
    the GOV.UK macro's output for exactly these parameters (label, hint, value, choices,
    errors...), so the same parameters give the same markup: the filter forms, whose
    fields rarely change between requests, are not written out again on every page.
    A few hundred variants at most are kept per process."""

    _KEPT: dict = {}
    _LIMIT = 500

    def render(self, params):
        key = (self.template, repr(params))
        markup = self._KEPT.get(key)
        if markup is None:
            markup = Markup(super().render(params))
            if len(self._KEPT) >= self._LIMIT:
                self._KEPT.clear()
            self._KEPT[key] = markup
        return markup


class _DateInput(_Remembered, GovDateInput):
    pass


class _SelectWidget(_Remembered, GovSelect):
    pass


class _TextInput(_Remembered, GovTextInput):
    pass


class AsOfField(GovDateField):
    """A GOV.UK date input (day, month, year) that also takes one YYYY-MM-DD value, as in
    ?as_of=2026-06-11, so a link can set the date. Dates outside 2000-2099 are refused."""

    def process_formdata(self, valuelist):
        if len(valuelist) == 1:
            value = (valuelist[0] or "").strip()
            match = _ISO.match(value)
            if not value:
                valuelist = []
            elif match:
                year, month, day = (str(int(part)) for part in match.groups())
                valuelist = [day, month, year]
                self.raw_data = list(valuelist)  # so the date input shows it, even if not real
            else:
                self.raw_data = [value, "", ""]
                self.data = None
                raise ValueError(f"{self.label.text} must be a real date, like 11 6 2026")
        super().process_formdata(valuelist)
        if self.data is not None and not EARLIEST <= self.data <= LATEST:
            self.data = None
            raise ValueError(f"{self.label.text} must be between 2000 and 2099")


def _as_of_field(description: str) -> AsOfField:
    return AsOfField("As of date", description=description, widget=_DateInput())


class _Select(SelectField):
    """A select whose value the view checks against the choices it offers."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("validate_choice", False)
        kwargs.setdefault("widget", _SelectWidget())
        super().__init__(*args, **kwargs)


class AsOfForm(Form):
    """The date the practitioner page (and a lead's view of one person) is worked out for."""

    as_of = _as_of_field("See what you will need on another day. For example, 1 9 2027")


class MatrixFilterForm(Form):
    """The filters above a setting lead's staff matrix."""

    organisation = HiddenField()
    sort = HiddenField()
    q = StringField("Name or email address", widget=_TextInput())
    requirement = _Select("Requirement")
    status = _Select("Status")
    job_role = _Select("Job role")
    as_of = _as_of_field("Leave empty for today. For example, 11 6 2026")


class OverviewFilterForm(Form):
    """The filters above the admin overview."""

    sort = HiddenField()
    requirement = _Select("Requirement")
    as_of = _as_of_field("Leave empty for today. For example, 11 6 2026")


class ChooseOrganisationForm(Form):
    organisation = _Select("Organisation")
