"""Form helpers shared by features."""
from __future__ import annotations

from wtforms import DateField

from lms.core.errors import DomainError


def apply_domain_error(form, error: DomainError, default_field: str | None = None) -> None:
    """Show a service's DomainError on the form field it names (or a default field), so
    the GOV.UK error summary links to it."""
    name = error.field if error.field and error.field in form._fields else default_field
    if name is None:
        name = next(iter(form._fields))
    field = form._fields[name]
    field.errors = list(field.errors or []) + [error.message]


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
