"""The annual report pack for a financial year (DESIGN.md section 8): the same figures as
the page, its PDF and its spreadsheet."""
from __future__ import annotations

from marshmallow import fields

from lms.api.fields import Args, Shape, Text, described
from lms.api.schemas.common import day, text


def count(description: str | None = None, **kwargs) -> fields.Integer:
    return fields.Integer(**described(description, minimum=0), **kwargs)


def share(description: str) -> fields.Integer:
    return fields.Integer(allow_none=True, **described(description + " Null when there is nobody to count.",
                                                       minimum=0, maximum=100))


def sentences() -> fields.List:
    return fields.List(fields.String(), **described("The section's figures in words, ready to paste."))


class AnnualQuarter(Shape):
    key = text("e.g. 2025-26 Q1.")
    label = text("e.g. Apr to Jun 2025.")
    start = day(data_key="from")
    end = day(data_key="to")


class AnnualElearningSector(Shape):
    sector = text("The sector's stable code, or none for people with no organisation.")
    name = fields.String()
    learners = fields.Dict(keys=fields.String(), values=fields.Integer(),
                           **described("Unique learners per quarter key, and `total` for the year."))


class AnnualElearning(Shape):
    class Meta:
        description = "Unique learners among e-learning completions, by sector and financial quarter."

    quarters = fields.List(fields.Nested(AnnualQuarter))
    sectors = fields.List(fields.Nested(AnnualElearningSector))
    total = fields.Nested(AnnualElearningSector)
    in_words = sentences()


class AnnualCourse(Shape):
    code = text("The course's code.")
    title = fields.String()
    sessions_held = count()
    sessions_cancelled = count()
    places = count()
    attended = count()
    partly_attended = count()
    no_shows = count()


class AnnualSectorAttendance(Shape):
    sector = text("The sector's stable code, or none.")
    name = fields.String()
    attendances = count("Face-to-face and virtual training completed in the year.")
    people = count("Each person once.")


class AnnualClassroom(Shape):
    class Meta:
        description = "Face-to-face and virtual courses run, sessions held and attendances by sector."

    courses_run = count()
    sessions_held = count()
    courses = fields.List(fields.Nested(AnnualCourse))
    total = fields.Nested(AnnualCourse)
    sectors = fields.List(fields.Nested(AnnualSectorAttendance))
    everyone = fields.Nested(AnnualSectorAttendance)
    in_words = sentences()


class AnnualTerm(Shape):
    term = text("autumn, spring or summer.")
    label = text("e.g. Autumn 2025.")
    topic = fields.String()
    dsls_attending = count()
    schools_represented = count()
    schools = count("Active schools.")
    schools_represented_percent = fields.Float(**described("One decimal place.", minimum=0, maximum=100))


class AnnualTwilights(Shape):
    class Meta:
        description = "Terms of the DSL network twilight series that start in the year (none if it did not run)."

    terms = fields.List(fields.Nested(AnnualTerm))
    in_words = sentences()


class AnnualWeek(Shape):
    programme_id = fields.Integer()
    title = fields.String()
    start = day(data_key="from")
    end = day(data_key="to")
    theme = fields.String()
    events = count()
    professionals_booked = count()
    professionals_attended = count()
    public_registrations = count()
    public_attending = count("As recorded for each event.")
    engagement = fields.Dict(keys=fields.String(), values=fields.Integer(),
                             **described("Engagement recorded, by measure code."))


class AnnualWeeks(Shape):
    class Meta:
        description = "Safeguarding Weeks that start in the year (none if there was none)."

    weeks = fields.List(fields.Nested(AnnualWeek))
    in_words = sentences()


class AnnualEvaluations(Shape):
    class Meta:
        description = "Evaluations of training completed in the year."

    responses = count()
    satisfied_percent = share("Satisfied or very satisfied.")
    skills_improved_percent = share("Yes, a lot or a little.")
    confidence_before = fields.Float(allow_none=True, **described("Average, 1 to 5."))
    confidence_after = fields.Float(allow_none=True, **described("Average, 1 to 5."))
    more_confident_percent = share("Rated their confidence higher after.")
    quotes = fields.List(fields.String(), **described("Only from people who agreed to be quoted; no names."))
    in_words = sentences()


class AnnualFollowUp(Shape):
    class Meta:
        description = "Impact follow-up of training attended in the year."

    sent = count()
    answered = count()
    response_rate = share("Answered as a share of sent.")
    used_percent = share("Of those who answered, the share who have used what they learned.")
    used = count("Answered yes.")
    not_yet = count("Answered not yet.")
    not_used = count("Answered no.")
    in_words = sentences()


class AnnualComplianceGroup(Shape):
    sector = text("The sector's stable code, or none.")
    name = fields.String()
    current = count()
    due_soon = count()
    overdue = count()
    not_yet_due = count()
    counted = count("Requirements counted (one per person and requirement).")


class AnnualCompliance(Shape):
    class Meta:
        description = "Training requirements by status and sector at the year end (today for a year not over)."

    as_of = day()
    sectors = fields.List(fields.Nested(AnnualComplianceGroup))
    total = fields.Nested(AnnualComplianceGroup)
    in_words = sentences()


class AnnualReport(Shape):
    class Meta:
        description = "The annual report pack for a financial year (April to March)."

    year = text("e.g. 2025-26.")
    start = day(data_key="from")
    end = day("The last day counted: 31 March, or today while the year is not over.", data_key="to")
    over = fields.Boolean(**described("False while the year is not over: the figures are so far."))
    elearning = fields.Nested(AnnualElearning)
    classroom = fields.Nested(AnnualClassroom)
    twilights = fields.Nested(AnnualTwilights)
    safeguarding_week = fields.Nested(AnnualWeeks)
    evaluations = fields.Nested(AnnualEvaluations)
    followup = fields.Nested(AnnualFollowUp)
    compliance = fields.Nested(AnnualCompliance)
    definitions = fields.Dict(keys=fields.String(), values=fields.String(),
                              **described("What each section counts, by section."))


class AnnualArgs(Args):
    year = Text(7, description="The financial year, like 2025-26; the last one over if not given.")
