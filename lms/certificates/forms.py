"""Forms for checking, reissuing, revoking and issuing certificates."""
from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextArea, GovTextInput
from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length

from lms.certificates.services import MAX_REASON


class VerifyForm(FlaskForm):
    """Sent with GET, so a check can be bookmarked or linked; no CSRF, it changes nothing."""

    class Meta:
        csrf = False

    code = StringField(
        "Certificate code", widget=GovTextInput(),
        description="The 16 letters and numbers under the QR code, for example 7KQ2-M9XD-4TWB-H3RA",
        validators=[InputRequired("Enter the certificate code")],
    )
    submit = SubmitField("Check certificate", widget=GovSubmitInput())


def _reason_field(label: str, hint: str) -> TextAreaField:
    return TextAreaField(
        label, widget=GovTextArea(), description=hint,
        validators=[InputRequired("Enter the reason"),
                    Length(max=MAX_REASON, message=f"The reason must be {MAX_REASON} characters or fewer")],
    )


class ReissueForm(FlaskForm):
    reason = _reason_field(
        "Why is the certificate reissued?",
        "For example, the holder changed their name. This is kept with both certificates and in the audit log.",
    )
    submit = SubmitField("Reissue certificate", widget=GovSubmitInput())


class RevokeForm(FlaskForm):
    reason = _reason_field(
        "Why is the certificate revoked?",
        "Kept in the audit log. Anyone checking the code sees only that it was revoked and when.",
    )
    submit = SubmitField("Revoke certificate", widget=GovSubmitInput())


class IssueForm(FlaskForm):
    submit = SubmitField("Issue certificates", widget=GovSubmitInput())
