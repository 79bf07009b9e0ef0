"""The register form: one row per person with a place, made for the session's register.

Each row has a select `status_<booking id>` (not marked, attended, partly attended, did not
attend; "not marked" leaves the person as they are) and a text input `hours_<booking id>`
for partial attendance: one compact row a person, so a register of a hundred fits on a
phone. The form only checks what was typed (a choice, a number where hours are
needed); the rules (the hours must be less than the session's, the register opens at the
start...) are the engine's, and its errors come back on the row they name.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSelect, GovSubmitInput, GovTextInput
from wtforms import SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import Optional

from lms.bookings.models import ATTENDANCE_STATUSES, Booking

CHOICES = [
    SelectChoice("", "Not marked"),
    SelectChoice("attended", "Attended"),
    SelectChoice("partly-attended", "Partly attended"),
    SelectChoice("no-show", "Did not attend"),
]
# (value, text) of each choice, for the register's template, which writes the selects out.
STATUS_CHOICES = [(choice.value, choice.label) for choice in CHOICES]


def status_field(booking_id: int) -> str:
    return f"status_{booking_id}"


def hours_field(booking_id: int) -> str:
    return f"hours_{booking_id}"


class MarkAllForm(FlaskForm):
    """The one button that marks everyone still booked (not yet marked) as attended."""

    submit = SubmitField("Mark everyone booked as attended", widget=GovSubmitInput())


class RegisterFormBase(FlaskForm):
    """The fields are added per register by `register_form`."""

    submit = SubmitField("Save the register", widget=GovSubmitInput())

    bookings: list[Booking] = []

    def rows(self):
        """(booking, status field, hours field) for each person, in the register's order."""
        for booking in self.bookings:
            yield booking, self[status_field(booking.id)], self[hours_field(booking.id)]

    def marks(self) -> dict[int, tuple[str, str | None]]:
        """{booking id: (status, hours)} for the rows given a status."""
        result = {}
        for booking, status, hours in self.rows():
            if status.data:
                result[booking.id] = (status.data, hours.data if status.data == "partly-attended" else None)
        return result

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for booking, status, hours in self.rows():
            if status.data != "partly-attended":
                continue
            text = (hours.data or "").strip()
            name = booking.user.full_name
            if not text:
                hours.errors = [*hours.errors, f"Enter the hours {name} attended"]
                valid = False
                continue
            try:
                number = Decimal(text)
            except InvalidOperation:
                number = None
            if number is None or not number.is_finite():
                hours.errors = [*hours.errors, f"Hours for {name} must be a number, like 1.5"]
                valid = False
        return valid


def register_form(bookings: list[Booking], *, formdata=None) -> RegisterFormBase:
    """A register form for these bookings; a GET shows each person's current mark."""

    class RegisterForm(RegisterFormBase):
        pass

    for booking in bookings:
        name = booking.user.full_name
        setattr(RegisterForm, status_field(booking.id), SelectField(
            f"Attendance for {name}",
            choices=CHOICES,
            validators=[Optional()],
            widget=GovSelect(),
            default=booking.status if booking.status in ATTENDANCE_STATUSES else "",
        ))
        hours = booking.attendance_hours if booking.status == "partly-attended" else None
        setattr(RegisterForm, hours_field(booking.id), StringField(
            f"Hours {name} attended",
            widget=GovTextInput(),
            default=format(Decimal(hours).normalize(), "f") if hours is not None else "",
        ))
    RegisterForm.bookings = list(bookings)
    if formdata is None:
        return RegisterForm()
    return RegisterForm(formdata=formdata)
