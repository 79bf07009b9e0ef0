"""Forms for Safeguarding Week: the public registration form (with its honeypot), the
registrant's confirm and cancel buttons, and the admin's week, event and engagement forms.
They check only what a browser could get wrong; the rules live in services.py, whose
DomainErrors the views put on these fields."""
from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovDateInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import BooleanField, RadioField, SelectChoice, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length

from lms.bookings.sessions.forms import TimeField, WholeNumberField, coerce_int_or_none
from lms.core.forms import GovDateField
from lms.programmes.week.models import AUDIENCES, ENGAGEMENT_MEASURES, EVENT_KINDS


class RegisterForm(FlaskForm):
    name = StringField("Your name", widget=GovTextInput())
    email = StringField("Email address", widget=GovTextInput(),
                        description="We will email you a link to confirm your place. We use it for nothing else.")
    # A honeypot: hidden from people (and from screen readers), filled in only by bots.
    website = StringField("Leave this blank", widget=GovTextInput())
    submit = SubmitField("Register", widget=GovSubmitInput())


class ConfirmForm(FlaskForm):
    confirm = SubmitField("Confirm my place", widget=GovSubmitInput())


class CancelForm(FlaskForm):
    cancel = SubmitField("Cancel my registration", widget=GovSubmitInput())


class WeekForm(FlaskForm):
    title = StringField("Title", widget=GovTextInput(), description="For example, Safeguarding Week 2027",
                        validators=[InputRequired("Enter the week's title, like Safeguarding Week 2027"), Length(max=200)])
    theme = StringField("Theme", widget=GovTextInput(),
                        validators=[InputRequired("Enter the week's theme"), Length(max=200)])
    starts_on = GovDateField("First day", widget=GovDateInput(), description="For example, 14 6 2027",
                             validators=[InputRequired("Enter the first day of the week")])
    ends_on = GovDateField("Last day", widget=GovDateInput(), description="For example, 18 6 2027",
                           validators=[InputRequired("Enter the last day of the week")])
    lead_boards = TextAreaField("Boards leading the week", widget=GovTextArea(), description="One a line",
                                validators=[InputRequired("Enter at least one board leading the week, one a line")])
    description = TextAreaField("Description", widget=GovTextArea(), validators=[Length(max=5000)])
    submit = SubmitField("Add the week", widget=GovSubmitInput())


class EventForm(FlaskForm):
    title = StringField("Title", widget=GovTextInput(), validators=[InputRequired("Enter the event's title"), Length(max=200)])
    description = TextAreaField("What it is about", widget=GovTextArea(),
                                validators=[InputRequired("Enter what the event is about"), Length(max=5000)])
    kind = RadioField("Kind of event", widget=GovRadioInput(), choices=[SelectChoice(code, name) for code, name in EVENT_KINDS.items()],
                      validators=[InputRequired("Choose what kind of event it is")])
    audience = RadioField("Who it is for", widget=GovRadioInput(), choices=[SelectChoice(code, name) for code, name in AUDIENCES.items()],
                          validators=[InputRequired("Choose who the event is for")])
    organiser_id = SelectField("Run by", widget=GovSelect(), coerce=coerce_int_or_none, validate_choice=False,
                               description="The partner organisation named as the event's organiser")
    day = GovDateField("Date", widget=GovDateInput(), description="For example, 15 6 2027",
                       validators=[InputRequired("Enter the date of the event")])
    start_time = TimeField("Start time", description="For example, 9:30am or 14:00",
                           validators=[InputRequired("Enter the start time")])
    end_time = TimeField("End time", validators=[InputRequired("Enter the end time")])
    drop_in = BooleanField("A drop-in: people just come, nobody registers", widget=GovCheckboxInput())
    capacity = WholeNumberField("Places", noun="the number of places", example="40",
                                description="Leave blank for a drop-in")
    location_kind = RadioField("Where", widget=GovRadioInput(), default="in-person",
                               choices=[SelectChoice("in-person", "In person"), SelectChoice("online", "Online")])
    venue_name = StringField("Venue", widget=GovTextInput(), validators=[Length(max=200)])
    venue_address = TextAreaField("Venue address", widget=GovTextArea(), validators=[Length(max=1000)])
    venue_postcode = StringField("Postcode", widget=GovTextInput(), validators=[Length(max=10)])
    joining_url = StringField("Joining link (online)", widget=GovTextInput(), validators=[Length(max=500)])
    submit = SubmitField("Add the event", widget=GovSubmitInput())


def engagement_form(formdata=None, data: dict[str, int] | None = None):
    """A form with one whole-number field per engagement measure."""

    class EngagementForm(FlaskForm):
        submit = SubmitField("Save the counts", widget=GovSubmitInput())

    for code, label in ENGAGEMENT_MEASURES.items():
        setattr(EngagementForm, code.replace("-", "_"),
                WholeNumberField(label, noun=label.lower(), example="120", description="Leave blank if not counted"))
    form = EngagementForm(formdata=formdata)
    if formdata is None:
        for code, value in (data or {}).items():
            getattr(form, code.replace("-", "_")).data = value
    return form
