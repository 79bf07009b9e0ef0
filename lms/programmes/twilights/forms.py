"""Forms for the twilight pages. They check what a browser could get wrong (blank, too
long, not a number, not a date); the series' rules (the term's dates, one area one
session, a host in the area) are the service's, whose DomainErrors land on these fields."""
from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovDateInput, GovSelect, GovSubmitInput, GovTextArea, GovTextInput
from wtforms import SelectChoice, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length

from lms.bookings.sessions.forms import TimeField, WholeNumberField, coerce_int_or_none
from lms.core.forms import GovDateField
from lms.organisations.models import Area


class SeriesForm(FlaskForm):
    start_year = WholeNumberField("School year starting in September of", noun="the year", example="2026",
                                  description="For example, 2026 for the 2026-27 school year",
                                  validators=[InputRequired("Enter the year the school year starts in")])
    summary = TextAreaField("About the series (optional)", widget=GovTextArea(),
                            description="Shown to DSLs above the year’s twilights",
                            validators=[Length(max=2000, message="About the series must be 2,000 characters or fewer")])
    submit = SubmitField("Add the series", widget=GovSubmitInput())


class TopicForm(FlaskForm):
    title = StringField("Topic", widget=GovTextInput(), description="For example, Online extremism: the school response",
                        validators=[Length(max=150, message="The topic must be 150 characters or fewer")])
    summary = TextAreaField("What it covers (optional)", widget=GovTextArea(),
                            validators=[Length(max=4000, message="What it covers must be 4,000 characters or fewer")])
    agencies = TextAreaField("Presenting agencies (optional)", widget=GovTextArea(),
                             description="For example, Police Prevent team; Education safeguarding team",
                             validators=[Length(max=1000, message="Presenting agencies must be 1,000 characters or fewer")])
    materials_url = StringField("Link to the materials (optional)", widget=GovTextInput(),
                                description="Slides and handouts. Only people who attended see it. Starts https://",
                                validators=[Length(max=500, message="The link must be 500 characters or fewer")])
    materials_text = TextAreaField("Notes for those who attended (optional)", widget=GovTextArea(),
                                   description="Only people who attended see these",
                                   validators=[Length(max=4000, message="The notes must be 4,000 characters or fewer")])
    submit = SubmitField("Save the topic", widget=GovSubmitInput())


def host_field(area_id: int) -> str:
    return f"host_{area_id}"


class TermSessionsBase(FlaskForm):
    day = GovDateField("Date", widget=GovDateInput(), description="For example, 10 11 2026",
                       validators=[InputRequired("Enter the date of the twilights")])
    starts = TimeField("Start time", noun="the start time", description="After school, for example 3:45pm",
                       validators=[InputRequired("Enter the start time")])
    ends = TimeField("End time", noun="the end time", description="For example, 5:45pm",
                     validators=[InputRequired("Enter the end time")])
    capacity = WholeNumberField("Places at each session", noun="the number of places", example="100",
                                validators=[InputRequired("Enter the number of places")])
    trainer = SelectField("Trainer running the registers (optional)", widget=GovSelect(), coerce=coerce_int_or_none,
                          validate_choice=False)
    submit = SubmitField("Add the sessions", widget=GovSubmitInput())

    areas: list[Area] = []

    def host_fields(self):
        for area in self.areas:
            yield area, self[host_field(area.id)]


def term_sessions_form(areas_and_hosts, *, formdata=None) -> TermSessionsBase:
    """The form with a host school select for each area: [(area, [organisations])]."""

    class TermSessionsForm(TermSessionsBase):
        pass

    for area, hosts in areas_and_hosts:
        setattr(TermSessionsForm, host_field(area.id), SelectField(
            f"Host school in {area.name}", widget=GovSelect(), coerce=coerce_int_or_none, validate_choice=False,
            choices=[SelectChoice("", "No twilight in this area")] + [SelectChoice(str(h.id), h.name) for h in hosts],
        ))
    TermSessionsForm.areas = [area for area, _ in areas_and_hosts]
    return TermSessionsForm() if formdata is None else TermSessionsForm(formdata=formdata)


class ButtonForm(FlaskForm):
    """One button (book, book the year, copy forward): the CSRF token and nothing else."""

    submit = SubmitField("Continue", widget=GovSubmitInput())
