"""The form for importing training history: the upload of a CSV file."""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired, FileSize
from govuk_frontend_wtf.wtforms_widgets import GovFileInput, GovRadioInput, GovSubmitInput
from wtforms import RadioField, SelectChoice, SubmitField
from wtforms.validators import InputRequired

from lms.records.imports.checks import MAX_FILE_BYTES

MAPPING_MAX_BYTES = 1024 * 1024
CHECK = "check"
IMPORT = "import"


class ImportRecordsForm(FlaskForm):
    file = FileField(
        "Upload a file",
        description="A CSV file saved as UTF-8, smaller than 20 MB, with up to 200,000 rows",
        validators=[
            FileRequired("Select a CSV file"),
            FileAllowed(["csv"], "The selected file must be a CSV file"),
            FileSize(max_size=MAX_FILE_BYTES, message="The selected file must be smaller than 20 MB"),
        ],
        widget=GovFileInput(),
    )
    mapping = FileField(
        "Course mapping (optional)",
        description=(
            "A CSV file with the columns old_code,course_code: each course code of your old system, and the code of the "
            "catalogue course it is the same as. Rows with a mapped code count towards that course’s requirements"
        ),
        validators=[
            FileAllowed(["csv"], "The selected course mapping must be a CSV file"),
            FileSize(max_size=MAPPING_MAX_BYTES, message="The selected course mapping must be smaller than 1 MB"),
        ],
        widget=GovFileInput(),
    )
    action = RadioField(
        "What do you want to do?",
        choices=[
            SelectChoice(CHECK, "Check the file only"),
            SelectChoice(IMPORT, "Import the records"),
        ],
        validators=[InputRequired("Select whether to check the file only or import the records")],
        widget=GovRadioInput(),
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())
