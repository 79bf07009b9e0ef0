from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput, GovSelect, GovSubmitInput, GovTextInput
from wtforms import SelectChoice, SearchField, SelectField, SelectMultipleField, SubmitField

from lms.catalogue.models import LEVELS
from lms.records.models import DELIVERY_MODES

CATALOGUE_MODES = ["elearning", "face-to-face", "virtual", "outreach", "twilight", "event"]


class CatalogueFilterForm(FlaskForm):
    """The catalogue's filters, sent by GET (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    keyword = SearchField("Search courses", widget=GovTextInput())
    mode = SelectMultipleField(
        "How it is delivered", widget=GovCheckboxesInput(), choices=[SelectChoice(m, DELIVERY_MODES[m]) for m in CATALOGUE_MODES],
        validate_choice=False,
    )
    level = SelectMultipleField(
        "Level", widget=GovCheckboxesInput(), choices=[SelectChoice(str(k), f"Level {k}: {v}") for k, v in LEVELS.items()],
        validate_choice=False,
    )
    sector = SelectField("Sector", widget=GovSelect(), validate_choice=False)
    job_role = SelectField("Job role", widget=GovSelect(), validate_choice=False)
    submit = SubmitField("Apply filters", widget=GovSubmitInput())


class ButtonForm(FlaskForm):
    submit = SubmitField("Continue", widget=GovSubmitInput())
