"""The uptake report's filters, sent with GET (no CSRF token): the period, what to group
by, quarters or years, which figure the page shows (the downloads hold all three), and
what to count: delivery modes, sectors, organisation types, areas and courses, each a set
of checkboxes named like the API's parameters (a link may also give them comma-separated,
sector=education,early-years). Unknown codes are refused by the report's own check
(services.resolve_filters), which names the codes allowed."""
from __future__ import annotations

from datetime import date

from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput, GovRadioInput, GovSelect
from werkzeug.datastructures import MultiDict
from wtforms import RadioField, SelectChoice, SelectField, SelectMultipleField

from lms.core.forms import PeriodForm
from lms.reports.services import FILTERS, GROUPINGS, MEASURES, PERIODS, UptakeQuery, filter_choices, financial_year


def _choices(labels: dict) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in labels.items()]


class CodesField(SelectMultipleField):
    """Checkboxes of stable codes; a value may also hold several, comma-separated. The
    codes are checked by the report (so the message lists the allowed ones), not here."""

    widget = GovCheckboxesInput()

    def __init__(self, label=None, **kwargs):
        super().__init__(label, choices=[], validate_choice=False, coerce=str, **kwargs)

    def process_formdata(self, valuelist):
        codes = [part.strip() for value in valuelist for part in value.split(",")]
        self.data = list(dict.fromkeys(code for code in codes if code))


FILTER_HINTS = {
    "delivery_mode": "How the training was delivered.",
    "sector": "The sector of the person's organisation when they did the training.",
    "organisation_type": "The type of the person's organisation (as it is now).",
    "area": "The area of the person's organisation (as it is now).",
    "course": "Courses in the catalogue.",
}


class UptakeForm(PeriodForm):
    by = SelectField("Group by", choices=_choices(GROUPINGS), widget=GovSelect(), default="sector")
    period = RadioField("Columns", choices=_choices(PERIODS), widget=GovRadioInput(), default="quarter")
    measure = SelectField("Figure", choices=_choices(MEASURES), widget=GovSelect(), default="unique-learners")
    delivery_mode = CodesField("Delivery modes", description=FILTER_HINTS["delivery_mode"])
    sector = CodesField("Sectors", description=FILTER_HINTS["sector"])
    organisation_type = CodesField("Organisation types", description=FILTER_HINTS["organisation_type"])
    area = CodesField("Areas", description=FILTER_HINTS["area"])
    course = CodesField("Courses", description=FILTER_HINTS["course"])

    def filter_fields(self):
        return [self._fields[param] for param in FILTERS]

    def query(self) -> UptakeQuery:
        return UptakeQuery(
            self.start.data, self.end.data, by=self.by.data, period=self.period.data,
            **{each.attribute: tuple(self._fields[param].data or ()) for param, each in FILTERS.items()},
        )

    def link_args(self) -> dict:
        """The period, grouping, columns and filters as link arguments (filters
        comma-separated), for the downloads."""
        return {**self.as_args(), "by": self.by.data, "period": self.period.data, **self.query().filter_args()}


def uptake_form(args, today: date) -> tuple[UptakeForm, bool]:
    """The filters in the query string, checked. Without a period, the financial year so
    far; without the rest, by sector, by quarter, unique learners, everything counted.
    Returns (form, valid)."""
    values = MultiDict(args)
    if not values.get("from") and not values.get("to"):
        values["from"] = date(financial_year(today), 4, 1).isoformat()
        values["to"] = today.isoformat()
    for name, default in (("by", "sector"), ("period", "quarter"), ("measure", "unique-learners")):
        if not values.get(name):
            values[name] = default
    form = UptakeForm(formdata=values)
    for param in FILTERS:
        form._fields[param].choices = [SelectChoice(code, name) for code, name in filter_choices(param)]
    valid = form.validate()
    for name, message in CHOICE_MESSAGES.items():
        field = form._fields[name]
        if field.errors:  # WTForms says only "Not a valid choice.": say which, and what is allowed
            field.errors = [message]
    return form, valid


CHOICE_MESSAGES = {
    "by": f"Choose what to group the figures by: {', '.join(label.lower() for label in GROUPINGS.values())}",
    "period": "Choose the columns: financial quarters or financial years",
    "measure": f"Choose the figure to show: {', '.join(label.lower() for label in MEASURES.values())}",
}
