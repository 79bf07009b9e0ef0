"""The uptake report's filters, sent with GET (no CSRF token): the period, what to group
by, quarters or years, and which figure the page shows (the downloads hold all three)."""
from __future__ import annotations

from datetime import date

from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSelect
from werkzeug.datastructures import MultiDict
from wtforms import RadioField, SelectChoice, SelectField

from lms.core.forms import PeriodForm
from lms.reports.services import GROUPINGS, MEASURES, PERIODS, financial_year


def _choices(labels: dict) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in labels.items()]


class UptakeForm(PeriodForm):
    by = SelectField("Group by", choices=_choices(GROUPINGS), widget=GovSelect(), default="sector")
    period = RadioField("Columns", choices=_choices(PERIODS), widget=GovRadioInput(), default="quarter")
    measure = SelectField("Figure", choices=_choices(MEASURES), widget=GovSelect(), default="unique-learners")


def uptake_form(args, today: date) -> tuple[UptakeForm, bool]:
    """The filters in the query string, checked. Without a period, the financial year so
    far; without the rest, by sector, by quarter, unique learners. Returns (form, valid)."""
    values = MultiDict(args)
    if not values.get("from") and not values.get("to"):
        values["from"] = date(financial_year(today), 4, 1).isoformat()
        values["to"] = today.isoformat()
    for name, default in (("by", "sector"), ("period", "quarter"), ("measure", "unique-learners")):
        if not values.get(name):
            values[name] = default
    form = UptakeForm(formdata=values)
    return form, form.validate()
