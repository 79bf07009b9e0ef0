"""Form helpers shared by features."""
from __future__ import annotations

from datetime import date

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovDateInput
from wtforms import DateField, ValidationError

from lms.core.errors import DomainError, Forbidden, NotFound, each_error
from lms.extensions import db


def apply_domain_error(form, error: DomainError, default_field: str | None = None) -> None:
    """Show a service's DomainError on the form field it names (or a default field), so
    the GOV.UK error summary links to it."""
    for each in each_error(error):
        name = each.field if each.field and each.field in form._fields else default_field
        if name is None:
            name = next(iter(form._fields))
        field = form._fields[name]
        field.errors = list(field.errors or []) + [each.message]


def attempt(form, action, *, default_field: str | None = None) -> tuple[bool, object]:
    """Run a service call (`action()`): commit and return (True, its result), or, when it
    refuses, go through fail() (roll back; 404/403; the error on the form) and return
    (False, None)."""
    try:
        result = action()
    except DomainError as error:
        fail(error, form, default_field)
        return False, None
    db.session.commit()
    return True, result


def fail(error: DomainError, form=None, default_field: str | None = None) -> None:
    """A service refused: roll back whatever it flushed, then let NotFound and Forbidden
    go on to the one error handler (404 and 403 pages, lms.security), and show any other
    error on the form field it names, when there is a form."""
    db.session.rollback()
    if isinstance(error, (NotFound, Forbidden)):
        raise error
    if form is not None:
        apply_domain_error(form, error, default_field)


class GovDateField(DateField):
    """A day/month/year date field that gives GOV.UK-style messages."""

    def __init__(self, label=None, validators=None, format="%d %m %Y", **kwargs):
        super().__init__(label, validators, format=format, **kwargs)

    def process_formdata(self, valuelist):
        if len(valuelist) != 3:
            # Not posted as day, month and year (the widget needs three parts to redisplay).
            self.raw_data = (list(valuelist) + ["", "", ""])[:3]
        if not valuelist or not any(part.strip() for part in valuelist):
            self.data = None
            return
        parts = [part.strip() for part in valuelist]
        if len(parts) != 3 or not all(parts):
            self.data = None
            missing = [name for name, part in zip(("day", "month", "year"), parts) if not part]
            raise ValueError(f"{self.label.text} must include a {' and '.join(missing)}")
        try:
            super().process_formdata([" ".join(parts)])
        except ValueError:
            self.data = None
            raise ValueError(f"{self.label.text} must be a real date") from None


class PeriodDateField(GovDateField):
    """A GOV.UK day/month/year date that also takes one YYYY-MM-DD value, so a report's
    links (a CSV download) can carry the period as ?from=2026-04-01&to=2026-06-30."""

    def process_formdata(self, valuelist):
        if len(valuelist) == 1 and valuelist[0].strip():
            text = valuelist[0].strip()
            try:
                self.data = date.fromisoformat(text)
            except ValueError:
                self.data = None
                self.raw_data = ["", "", ""]
                raise ValueError(f"{self.label.text} must be a real date") from None
            self.raw_data = [str(self.data.day), str(self.data.month), str(self.data.year)]
            return
        super().process_formdata(valuelist)


class PeriodForm(FlaskForm):
    """A report's period, from and to (London dates, both included). Sent with GET, so no
    CSRF token."""

    class Meta:
        csrf = False

    start = PeriodDateField("From", name="from", description="For example, 1 4 2026", widget=GovDateInput())
    end = PeriodDateField("To", name="to", description="For example, 30 6 2026", widget=GovDateInput())

    def validate_start(self, field):
        if field.data is None and not field.errors:
            raise ValidationError("Enter the date the period starts")

    def validate_end(self, field):
        if field.data is None and not field.errors:
            raise ValidationError("Enter the date the period ends")
        if field.data and self.start.data and field.data < self.start.data:
            raise ValidationError("The ‘To’ date must be the same as or after the ‘From’ date")

    def as_args(self) -> dict:
        """The period as link arguments, {"from": "2026-04-01", "to": "2026-06-30"}."""
        return {"from": self.start.data.isoformat(), "to": self.end.data.isoformat()}


def financial_quarter_start(today: date) -> date:
    """The first day of the financial quarter (Apr-Jun, Jul-Sep, Oct-Dec, Jan-Mar) of today."""
    return date(today.year, (today.month - 1) // 3 * 3 + 1, 1)


def read_period(args, today: date, default_start=financial_quarter_start) -> tuple[PeriodForm, bool]:
    """The period in the query string (`from`, `to`), checked; from default_start(today)
    (this financial quarter) to today when neither is given. Returns the form (to show,
    with any errors) and whether it is valid."""
    if any(args.getlist(name) for name in ("from", "to")):
        form = PeriodForm(formdata=args)
        return form, form.validate()
    return PeriodForm(formdata=None, data={"start": default_start(today), "end": today}), True
