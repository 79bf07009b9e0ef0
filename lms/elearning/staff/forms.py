"""Forms for a setting lead's e-learning pages. The views fill in the choices; the rules
(which course, which people) live in elearning.staff.services, so these forms check only
what a browser could get wrong."""
from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput, GovSelect, GovSubmitInput
from wtforms import Form, SelectField, SelectMultipleField, SubmitField


class _Select(SelectField):
    """A select whose value the service checks (so its message, not WTForms', is shown)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("validate_choice", False)
        kwargs.setdefault("widget", GovSelect())
        super().__init__(*args, **kwargs)


class ProgressFilterForm(Form):
    """The filters above the progress table (GET, so no CSRF token)."""

    course = _Select("Course")
    status = _Select("Status")


class ChooseOrganisationForm(Form):
    """Which organisation's staff to look at, for people who lead several (GET)."""

    organisation = _Select("Organisation")


EVERYONE = "everyone"


class EnrolStaffForm(FlaskForm):
    course = _Select("Course")
    # The chosen staff's ids, or EVERYONE: a box that works without JavaScript.
    people = SelectMultipleField("Who do you want to enrol?", widget=GovCheckboxesInput(), validate_choice=False)
    submit = SubmitField("Enrol", widget=GovSubmitInput())

    def everyone(self) -> bool:
        return EVERYONE in (self.people.data or [])

    def person_ids(self) -> list[int] | None:
        """The chosen people's ids; None if any value is not an id at all."""
        ids = []
        for value in self.people.data or []:
            if value == EVERYONE:
                continue
            try:
                ids.append(int(value))
            except (TypeError, ValueError):
                return None
        return ids

    def course_id(self) -> int | None:
        try:
            return int(self.course.data) if self.course.data not in (None, "") else None
        except (TypeError, ValueError):
            return -1  # never a real id: the service says to choose from the list


class RowButtonForm(FlaskForm):
    """The "Enrol" button on a row of the progress table. The row's form posts the person
    and course as hidden inputs to the enrol page, which checks them like any other."""

    submit = SubmitField("Enrol", widget=GovSubmitInput())
