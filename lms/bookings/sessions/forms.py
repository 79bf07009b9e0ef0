"""Forms for the trainers' and admins' session pages.

Times are typed as a London date (GOV.UK date input) and a clock time; `london_to_utc`
turns them into the UTC instant that is stored, and refuses, with a clear message, a time
that does not exist (the hour the clocks skip in March) or happens twice (the hour they
repeat in October). The forms only read what was typed; the session rules (end after
start, places, booking dates, venue or link...) are checked by bookings.sessions.services, whose
DomainError the views put on the field it names. Choices are filled in by the views."""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovCheckboxInput,
    GovDateInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    Field,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length

from lms.core.forms import GovDateField
from lms.core.time import LONDON

DEFAULT_CANCELLATION_DAYS = 3
# Booking closes at this London time on the day chosen when no time is given.
DEFAULT_CLOSING_TIME = time(23, 59)
# A copy is first offered a week after the original.
COPY_SHIFT = timedelta(days=7)


# --- London clock times -------------------------------------------------------------------


class ClockChangeError(ValueError):
    """A London time that does not exist, or exists twice, on a clock-change day."""


def spoken_time(value: time) -> str:
    """'9:30am', '2pm', '12pm' (noon), '12am' (midnight)."""
    hour = value.hour % 12 or 12
    suffix = "am" if value.hour < 12 else "pm"
    minute = "" if value.minute == 0 else f":{value.minute:02d}"
    return f"{hour}{minute}{suffix}"


def _spoken_day(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def london_to_utc(day: date, at: time) -> datetime:
    """The UTC instant of a London wall-clock time. Raises ClockChangeError for a time the
    clocks skip (01:00-01:59 on the last Sunday of March) or repeat (01:00-01:59 on the
    last Sunday of October): the person must choose another time."""
    naive = datetime.combine(day, at.replace(tzinfo=None))
    earlier = naive.replace(tzinfo=LONDON, fold=0)
    later = naive.replace(tzinfo=LONDON, fold=1)
    instant = earlier.astimezone(timezone.utc)
    if instant.astimezone(LONDON).replace(tzinfo=None) != naive:
        raise ClockChangeError(
            f"There is no {spoken_time(at)} on {_spoken_day(day)}: the clocks go forward an hour at 1am. "
            "Enter a time before 1am or from 2am"
        )
    if earlier.utcoffset() != later.utcoffset():
        raise ClockChangeError(
            f"{spoken_time(at)} happens twice on {_spoken_day(day)}: the clocks go back an hour at 2am. "
            "Enter a time before 1am or from 2am"
        )
    return instant


_TIME = re.compile(r"^(?P<hour>\d{1,2})(?:\s*[:.]\s*(?P<minute>\d{2}))?\s*(?P<half>a\.?m\.?|p\.?m\.?)?$", re.IGNORECASE)


class TimeField(Field):
    """A clock time typed as 9:30am, 2pm, 14:00 or 14.00 (also "midday"). A time from 1
    to 6 without am or pm is refused: 2:00 is more often meant as 2pm than 2am."""

    widget = GovTextInput()

    def __init__(self, label=None, validators=None, noun: str | None = None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.noun = noun or f"the {str(label).lower()}"

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return spoken_time(self.data) if self.data is not None else ""

    def process_formdata(self, valuelist):
        text = (valuelist[0] if valuelist else "").strip()
        if not text:
            self.data = None
            return
        self.data = None
        self.data = parse_time(text, self.noun)


def parse_time(text: str, noun: str = "the time") -> time:
    words = " ".join(text.lower().split())
    if words in ("midday", "noon", "12 noon", "12 midday"):
        return time(12, 0)
    match = _TIME.match(words)
    example = "like 9:30am or 14:00"
    if match is None:
        raise ValueError(f"Enter {noun} as a time, {example}")
    hour = int(match["hour"])
    minute = int(match["minute"] or 0)
    half = (match["half"] or "").replace(".", "")
    if minute > 59:
        raise ValueError(f"Enter {noun} as a real time, {example}")
    if half:
        if not 1 <= hour <= 12:
            raise ValueError(f"Enter {noun} as a real time, {example}")
        hour = hour % 12 + (12 if half == "pm" else 0)
    else:
        if hour > 23:
            raise ValueError(f"Enter {noun} as a real time, {example}")
        if match["minute"] is None:
            raise ValueError(f"Enter {noun} with am or pm, like 9am, or with minutes, like 09:00")
        if 1 <= hour <= 6 and not match["hour"].startswith("0"):
            raise ValueError(
                f"Enter {noun} with am or pm, like {hour}:{minute:02d}pm, "
                f"or on the 24-hour clock, like {hour + 12}:{minute:02d}"
            )
    return time(hour, minute)


class WholeNumberField(Field):
    """A whole number, or None when left blank."""

    widget = GovTextInput()

    def __init__(self, label=None, validators=None, noun: str | None = None, example: str = "20", **kwargs):
        super().__init__(label, validators, **kwargs)
        self.noun = noun or f"the {str(label).lower()}"
        self.example = example

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else str(self.data)

    def process_formdata(self, valuelist):
        text = (valuelist[0] if valuelist else "").strip().replace(",", "")
        if not text:
            self.data = None
            return
        try:
            self.data = int(text)
        except ValueError:
            self.data = None
            raise ValueError(f"Enter {self.noun} as a whole number, like {self.example}") from None


def coerce_int_or_none(value):
    if value in (None, "", "None"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1  # matches nothing: the service says "choose from the list"


# --- the forms ----------------------------------------------------------------------------


class ChooseCourseForm(FlaskForm):
    """Step one of adding a session: which course (a GET form: it changes nothing)."""

    class Meta:
        csrf = False

    course = SelectField("Course", widget=GovSelect(), validate_choice=False,
                         validators=[InputRequired("Select the course the session is for")])


class SessionForm(FlaskForm):
    """Everything about one session; used to add, copy and change sessions."""

    course = SelectField("Course", widget=GovSelect(), validate_choice=False,
                         validators=[InputRequired("Select the course the session is for")])

    day = GovDateField("Date", widget=GovDateInput(), description="For example, 27 3 2027",
                       validators=[InputRequired("Enter the date of the session")])
    start_time = TimeField("Start time", noun="the start time", description="For example, 9:30am or 14:00",
                           validators=[InputRequired("Enter the start time")])
    end_time = TimeField("End time", noun="the end time", description="For example, 12:30pm or 16:00",
                         validators=[InputRequired("Enter the end time")])
    end_day = GovDateField("Last day (optional)", widget=GovDateInput(),
                           description="Only if the session runs over more than one day: the day it ends")

    location_kind = RadioField(
        "Where is it?", widget=GovRadioInput(),
        choices=[SelectChoice("in-person", "In person, at a venue"), SelectChoice("online", "Online")],
        validators=[InputRequired("Select in person or online")],
    )
    venue_name = StringField("Venue name", widget=GovTextInput(),
                             validators=[Length(max=200, message="Venue name must be 200 characters or fewer")])
    venue_address = TextAreaField("Address", widget=GovTextArea(),
                                  validators=[Length(max=1000, message="Address must be 1,000 characters or fewer")])
    venue_postcode = StringField("Postcode", widget=GovTextInput(),
                                 validators=[Length(max=10, message="Postcode must be 10 characters or fewer")])
    access_notes = TextAreaField(
        "Getting there and access (optional)", widget=GovTextArea(),
        description="Parking, step-free access, hearing loop, which door to use",
        validators=[Length(max=2000, message="Access notes must be 2,000 characters or fewer")],
    )
    joining_url = StringField(
        "Joining link", widget=GovTextInput(), description="Sent only to people with a place. Starts https://",
        validators=[Length(max=500, message="The joining link must be 500 characters or fewer")],
    )
    joining_notes = TextAreaField(
        "Joining details (optional)", widget=GovTextArea(), description="For example, the meeting ID and passcode",
        validators=[Length(max=2000, message="Joining details must be 2,000 characters or fewer")],
    )
    area = SelectField("Area (optional)", widget=GovSelect(), coerce=coerce_int_or_none, validate_choice=False,
                       description="The locality the session is held in or is for")

    capacity = WholeNumberField("Places", noun="the number of places", example="20",
                                validators=[InputRequired("Enter the number of places")])
    minimum = WholeNumberField("Minimum number (optional)", noun="the minimum number", example="8",
                               description="Admins are told if fewer are booked by the cancellation cut-off")
    signup_opens_on = GovDateField("Booking opens (optional)", widget=GovDateInput(),
                                   description="Leave blank to open booking now")
    signup_closes_on = GovDateField("Booking closes (optional)", widget=GovDateInput(),
                                    description="Leave blank to take bookings until the session starts")
    signup_closes_time = TimeField("Time booking closes (optional)", noun="the time booking closes",
                                   description="Leave blank for 11:59pm on that day")
    cancellation_working_days = WholeNumberField(
        "Cancellation cut-off", noun="the cancellation cut-off", example="3",
        description="Working days before the session: cancelling after this counts as late",
        validators=[InputRequired("Enter the cancellation cut-off in working days")],
    )
    requires_approval = BooleanField("People need their setting lead’s approval to book", widget=GovCheckboxInput())

    sectors = SelectMultipleField("Sectors", widget=GovCheckboxesInput(), coerce=int, validate_choice=False,
                                  description="Leave all unticked for every sector")
    roles = SelectMultipleField("Job roles", widget=GovCheckboxesInput(), coerce=int, validate_choice=False,
                                description="Leave all unticked for every job role")
    organisation = SelectField(
        "Outreach: only for the staff of (optional)", widget=GovSelect(), coerce=coerce_int_or_none,
        validate_choice=False,
        description="For a session delivered to one organisation. Start typing its name",
    )
    trainers = SelectMultipleField("Trainers", widget=GovCheckboxesInput(), coerce=int, validate_choice=False)
    notes = TextAreaField("Other information for people booking (optional)", widget=GovTextArea(),
                          validators=[Length(max=4000, message="Other information must be 4,000 characters or fewer")])

    submit = SubmitField("Save session", widget=GovSubmitInput())


class CancelSessionForm(FlaskForm):
    reason = TextAreaField(
        "Why is the session cancelled?", widget=GovTextArea(),
        description="This is sent to everyone booked, waiting or offered a place",
        validators=[InputRequired("Enter the reason: it is sent to everyone booked"),
                    Length(max=2000, message="The reason must be 2,000 characters or fewer")],
    )
    submit = SubmitField("Cancel the session", widget=GovSubmitInput())


# Service field names (SessionDetails, DomainError.field) -> form fields.
FIELD_FOR = {
    "course": "course",
    "starts_at": "day",
    "ends_at": "end_time",
    "location_kind": "location_kind",
    "venue_name": "venue_name",
    "venue_address": "venue_address",
    "venue_postcode": "venue_postcode",
    "access_notes": "access_notes",
    "joining_url": "joining_url",
    "joining_notes": "joining_notes",
    "area_id": "area",
    "capacity": "capacity",
    "minimum": "minimum",
    "signup_opens_at": "signup_opens_on",
    "signup_closes_at": "signup_closes_on",
    "cancellation_working_days": "cancellation_working_days",
    "requires_approval": "requires_approval",
    "organisation_id": "organisation",
    "trainers": "trainers",
    "sectors": "sectors",
    "roles": "roles",
    "notes": "notes",
}
