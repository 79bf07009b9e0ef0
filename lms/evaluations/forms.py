"""The evaluation form and the summary filters."""
from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxInput, GovRadioInput, GovSubmitInput, GovTextArea
from wtforms import BooleanField, RadioField, SelectChoice, SubmitField, TextAreaField
from wtforms.validators import Length, Optional

from lms.evaluations.models import CONFIDENCE, MAX_TEXT, SATISFACTION, SKILLS
from lms.evaluations.services import Answers


def _choices(labels: dict) -> list[SelectChoice]:
    return [SelectChoice(str(value), label) for value, label in labels.items()]


def _number(value) -> int | None:
    return int(value) if value is not None and str(value).isdigit() else None


class EvaluationForm(FlaskForm):
    """Every question is checked by the service, whose messages the view puts on the
    fields, so all the answers missing are shown together."""

    satisfaction = RadioField("Overall, how satisfied were you with the training?",
                              choices=_choices(SATISFACTION), widget=GovRadioInput(),
                              validate_choice=False)
    skills = RadioField("Has the training improved your safeguarding knowledge and skills?",
                        choices=_choices(SKILLS), widget=GovRadioInput(), validate_choice=False)
    confidence_before = RadioField("How confident did you feel about this area of safeguarding before the training?",
                                   choices=_choices(CONFIDENCE), widget=GovRadioInput(),
                                   validate_choice=False)
    confidence_after = RadioField("How confident do you feel about it now?",
                                  choices=_choices(CONFIDENCE), widget=GovRadioInput(),
                                  validate_choice=False)
    will_do_differently = TextAreaField(
        "What will you do differently in your work because of the training? (optional)", widget=GovTextArea(),
        validators=[Optional(), Length(max=MAX_TEXT, message=f"Your answer must be {MAX_TEXT:,} characters or fewer")],
    )
    may_quote = BooleanField("The partnership may quote this answer in its reports, without my name",
                             widget=GovCheckboxInput())
    improvements = TextAreaField(
        "How could the training be better? (optional)", widget=GovTextArea(),
        description="Only the trainers and the partnership see this, without your name.",
        validators=[Optional(), Length(max=MAX_TEXT, message=f"Your answer must be {MAX_TEXT:,} characters or fewer")],
    )
    submit = SubmitField("Send evaluation", widget=GovSubmitInput())

    def answers(self) -> Answers:
        return Answers(
            satisfaction=_number(self.satisfaction.data),
            skills=self.skills.data or None,
            confidence_before=_number(self.confidence_before.data),
            confidence_after=_number(self.confidence_after.data),
            will_do_differently=self.will_do_differently.data or "",
            improvements=self.improvements.data or "",
            may_quote=bool(self.may_quote.data),
        )
