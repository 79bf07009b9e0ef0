"""Forms for the practitioner's booking pages (a setting lead's are in staff/forms.py).
They check only what a browser could get wrong; the booking rules (places, audience,
dates, who may act for whom) live in bookings.services, whose DomainErrors the views put
on these fields."""
from __future__ import annotations

from dataclasses import dataclass

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from werkzeug.datastructures import MultiDict
from wtforms import SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import Length, Optional

from lms.bookings.services import BOOKABLE_MODES
from lms.catalogue.models import DELIVERY_MODES

NOTE_MAX_LENGTH = 500
# The delivery modes the session list can be filtered by, as (value, label).
MODE_CHOICES = tuple((mode, DELIVERY_MODES[mode]) for mode in BOOKABLE_MODES)


@dataclass
class SessionQuery:
    """The session list's filters, read from the query string (a GET form: it changes
    nothing, so it has no CSRF token). Anything unexpected is ignored: an area that is
    not a number, a mode that is not bookable, a page that is not a whole number above
    zero."""

    course: str = ""
    area: int | None = None
    mode: str = ""
    has_places: bool = False
    page: int = 1

    @classmethod
    def from_args(cls, args: MultiDict) -> "SessionQuery":
        area = args.get("area", "").strip()
        page = args.get("page", "").strip()
        mode = args.get("mode", "").strip()
        return cls(
            course=args.get("course", "").strip()[:30],
            area=int(area) if area.isascii() and area.isdigit() and 0 < int(area) < 2**31 else None,
            mode=mode if mode in BOOKABLE_MODES else "",
            has_places=args.get("places") == "yes",
            page=int(page) if page.isascii() and page.isdigit() and 0 < int(page) < 1_000_000 else 1,
        )

    @property
    def filtered(self) -> bool:
        return bool(self.course or self.area or self.mode or self.has_places)

    def query_args(self) -> dict[str, object]:
        """The filters as query-string arguments (no page), for links that keep them."""
        args: dict[str, object] = {}
        if self.course:
            args["course"] = self.course
        if self.area:
            args["area"] = self.area
        if self.mode:
            args["mode"] = self.mode
        if self.has_places:
            args["places"] = "yes"
        return args


class BookForm(FlaskForm):
    """The one button that books the signed-in person (or joins the waiting list)."""

    book = SubmitField("Book a place", widget=GovSubmitInput())


class AcceptForm(FlaskForm):
    """Take a place offered from the waiting list."""

    accept = SubmitField("Accept the place", widget=GovSubmitInput())


class CancelForm(FlaskForm):
    note = TextAreaField(
        "Why are you cancelling? (optional)",
        validators=[Optional(), Length(max=NOTE_MAX_LENGTH, message=f"Reason must be {NOTE_MAX_LENGTH} characters or fewer")],
        widget=GovTextArea(),
        description="This helps the training team plan future sessions.",
    )
    # Errors about the booking itself (already cancelled, session finished) are shown here.
    booking = SubmitField("Cancel booking", widget=GovSubmitInput())


class SubstituteForm(FlaskForm):
    """Pass a place to a colleague. A setting lead (or admin) chooses from the
    organisation's staff; the person booked gives their colleague's email address, so
    practitioners are not shown a list of everyone at their organisation."""

    colleague = SelectField("Colleague", validate_choice=False, widget=GovSelect())
    email = StringField(
        "Your colleague's email address",
        validators=[Length(max=254, message="Email address must be 254 characters or fewer")],
        widget=GovTextInput(),
        description="The email address they use to sign in. They must have an account and work for the same organisation.",
    )
    submit = SubmitField("Pass on the place", widget=GovSubmitInput())


class CheckInForm(FlaskForm):
    check_in = SubmitField("Check in", widget=GovSubmitInput())
