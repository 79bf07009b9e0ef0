"""Forms for a setting lead's staff pages: booking several of their staff on a session,
and deciding a booking request. They check only what a browser could get wrong; the rules
live in bookings.services."""
from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput, GovSubmitInput, GovTextArea
from wtforms import SelectMultipleField, SubmitField, TextAreaField
from wtforms.validators import Length, Optional

from lms.bookings.forms import NOTE_MAX_LENGTH


class DecideForm(FlaskForm):
    """Approve or refuse one booking request. Each request on the page has its own form,
    made with prefix "request-<booking id>" so field ids are unique on the page."""

    note = TextAreaField(
        "Note to the person (optional)",
        validators=[Optional(), Length(max=NOTE_MAX_LENGTH, message=f"Note must be {NOTE_MAX_LENGTH} characters or fewer")],
        widget=GovTextArea(),
    )
    approve = SubmitField("Approve", widget=GovSubmitInput())
    refuse = SubmitField("Refuse", widget=GovSubmitInput())


class BookStaffForm(FlaskForm):
    # The chosen people's ids; the service checks each one.
    people = SelectMultipleField("Who do you want to book?", widget=GovCheckboxesInput(), validate_choice=False)
    submit = SubmitField("Book places", widget=GovSubmitInput())

    def person_ids(self) -> list[int] | None:
        """The chosen people's ids (each once, in the order given); None if any value is
        not an id at all."""
        ids: list[int] = []
        for value in self.people.data or []:
            try:
                number = int(value)
            except (TypeError, ValueError):
                return None
            if number not in ids:
                ids.append(number)
        return ids
