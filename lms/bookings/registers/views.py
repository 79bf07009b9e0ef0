"""The trainer's register, the printable sign-in sheet and the QR code for self check-in.

Only the session's trainers and partnership admins (services.check_may_manage) see these
pages. Attendance is written by registers.services.mark_many, which also writes the
training record; nothing here touches a completion.
"""
from __future__ import annotations

import re

import segno
from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from markupsafe import Markup

from lms.bookings import formatting
from lms.bookings.access import managed_session
from lms.bookings.models import ATTENDANCE_STATUSES, TrainingSession
from lms.bookings.registers import services
from lms.bookings.registers.forms import STATUS_CHOICES, MarkAllForm, hours_field, register_form, status_field
from lms.core import auth
from lms.core.auth import trainer_required
from lms.core.errors import DomainError
from lms.core.forms import apply_domain_error, fail
from lms.core.pdf import render_pdf
from lms.core.time import as_utc, to_london, utcnow
from lms.core.urls import external_url
from lms.extensions import db

bp = Blueprint("registers", __name__, url_prefix="/manage/sessions", template_folder="templates")

# Blank rows at the foot of the sign-in sheet, for anyone who turns up without a place.
SPARE_ROWS = 5
_STATUS_KEY = re.compile(r"^status_(\d+)$")


def _managed_session(session_id: int) -> TrainingSession:
    """The session, if the signed-in person may run it: 404 if there is none, 403 if not."""
    return managed_session(session_id, auth.actor())


def _register_state(session: TrainingSession, now) -> str:
    """"cancelled", "not-started" or "open" (marking is allowed from the start on)."""
    if session.is_cancelled:
        return "cancelled"
    if as_utc(now) < as_utc(session.starts_at):
        return "not-started"
    return "open"


def _counts(bookings) -> dict[str, int]:
    counts = {status: 0 for status in ATTENDANCE_STATUSES}
    counts["unmarked"] = 0
    for booking in bookings:
        if booking.status in ATTENDANCE_STATUSES:
            counts[booking.status] += 1
        else:
            counts["unmarked"] += 1
    return counts


def _search_text() -> str:
    return " ".join(request.args.get("q", "").split())[:100]


def _render_register(session, bookings, form, state, now, status_code=200):
    query = _search_text()
    shown = {booking.id for booking in bookings if services.matches(booking, query)}
    return render_template(
        "bookings/registers/register.html",
        training_session=session,
        bookings=bookings,
        form=form,
        query=query,
        shown=shown,
        unmarked=sum(1 for booking in bookings if booking.status == "booked"),
        mark_all_form=MarkAllForm(),
        state=state,
        counts=_counts(bookings),
        when=formatting.session_when(session),
        where=formatting.session_where(session),
        starts_clock=formatting.clock(session.starts_at),
        starts_day=formatting.day(session.starts_at),
        clock=formatting.clock,
        now=now,
        status_choices=STATUS_CHOICES,
    ), status_code


def _error_field(error: DomainError, marks: dict) -> str | None:
    """The form field an engine error belongs on: the row it names (its hours when the row
    was marked partly attended), else the first row."""
    match = re.fullmatch(r"booking-(\d+)", error.field or "")
    if match:
        booking_id = int(match.group(1))
        status = marks.get(booking_id, (None,))[0]
        return hours_field(booking_id) if status == "partly-attended" else status_field(booking_id)
    return None


@bp.route("/<int:session_id>/register", methods=["GET", "POST"])
@trainer_required
def register(session_id: int):
    session = _managed_session(session_id)
    now = utcnow()
    state = _register_state(session, now)
    bookings = services.register(session)
    if request.method == "GET":
        return _render_register(session, bookings, register_form(bookings), state, now)
    if state != "open":
        flash("This session was cancelled: there is no register to mark" if state == "cancelled" else
              f"The register opens when the session starts, at {formatting.clock(session.starts_at)} "
              f"on {formatting.day(session.starts_at)}")
        return redirect(url_for("bookings.registers.register", session_id=session.id))

    form = register_form(bookings, formdata=request.form)
    known = {booking.id for booking in bookings}
    posted = {int(m.group(1)) for key in request.form if (m := _STATUS_KEY.match(key))}
    if posted - known:
        flash("The register changed while you were marking it: someone’s place has ended. "
              "Check the register and save it again.")
        return redirect(url_for("bookings.registers.register", session_id=session.id, **_keep_search()))
    if not form.validate():
        return _render_register(session, bookings, form, state, now, 400)
    marks = form.marks()
    if not marks and bookings:
        form[status_field(bookings[0].id)].errors = [
            "Choose attended, partly attended or did not attend for at least one person"
        ]
        return _render_register(session, bookings, form, state, now, 400)
    try:
        result = services.mark_many(session, marks, actor=auth.actor(), now=now)
    except DomainError as error:
        fail(error)
        if error.field == "register":
            flash(error.message)
            return redirect(url_for("bookings.registers.register", session_id=session.id))
        apply_domain_error(form, DomainError(error.message, field=_error_field(error, marks)),
                           default_field=status_field(bookings[0].id) if bookings else None)
        return _render_register(session, services.register(session), form, state, now, 400)
    db.session.commit()
    if result.marked:
        flash(f"Register saved: {result.marked} {'person' if result.marked == 1 else 'people'} marked", "success")
    else:
        flash("Register saved: nothing had changed", "success")
    return redirect(url_for("bookings.registers.register", session_id=session.id, **_keep_search()))


def _keep_search() -> dict:
    query = _search_text()
    return {"q": query} if query else {}


@bp.post("/<int:session_id>/register/mark-all")
@trainer_required
def mark_all(session_id: int):
    """Mark everyone still booked as attended; the trainer then changes the exceptions."""
    session = _managed_session(session_id)
    now = utcnow()
    state = _register_state(session, now)
    back = redirect(url_for("bookings.registers.register", session_id=session.id))
    if state != "open":
        flash("This session was cancelled: there is no register to mark" if state == "cancelled" else
              f"The register opens when the session starts, at {formatting.clock(session.starts_at)} "
              f"on {formatting.day(session.starts_at)}")
        return back
    if not MarkAllForm().validate_on_submit():
        flash("The form expired: mark everyone again")
        return back
    try:
        marked = services.mark_all_attended(session, actor=auth.actor(), now=now)
    except DomainError as error:
        fail(error)
        flash(error.message)
        return back
    db.session.commit()
    if marked:
        flash(f"{marked} {'person' if marked == 1 else 'people'} marked as attended: now change anyone who did not come "
              "or left early, and save the register", "success")
    else:
        flash("Everyone on the register was already marked", "success")
    return back


@bp.get("/<int:session_id>/sign-in-sheet.pdf")
@trainer_required
def sign_in_sheet(session_id: int):
    session = _managed_session(session_id)
    now = utcnow()
    bookings = services.register(session)
    pdf = render_pdf(
        "bookings/registers/sign_in_sheet.html",
        training_session=session,
        bookings=bookings,
        spare_rows=SPARE_ROWS,
        when=formatting.session_when(session),
        where=formatting.session_where(session),
        printed_at=now,
    )
    day = to_london(session.starts_at).date().isoformat()
    response = make_response(pdf)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="sign-in-sheet-{session.course.code}-{day}.pdf"'
    return response


def qr_svg(url: str) -> Markup:
    """The URL as a QR code, drawn as inline SVG that fills the width it is given."""
    code = segno.make(url, error="m", micro=False)
    svg = code.svg_inline(
        scale=1, border=4, omitsize=True, dark="#0b0c0c", light="#ffffff",
        title="QR code for checking in to this session", svgclass="app-checkin-qr",
    )
    return Markup(svg.replace("<svg ", '<svg role="img" focusable="false" ', 1))


@bp.get("/<int:session_id>/check-in-code")
@trainer_required
def checkin_code(session_id: int):
    session = _managed_session(session_id)
    now = utcnow()
    opens, closes = services.checkin_window(session)
    if session.is_cancelled:
        window = "cancelled"
    elif as_utc(now) < opens:
        window = "not-open"
    elif as_utc(now) > closes:
        window = "closed"
    else:
        window = "open"
    url = external_url("bookings.check_in", session_id=session.id, code=session.checkin_code)
    return render_template(
        "bookings/registers/checkin_code.html",
        training_session=session,
        checkin_url=url,
        qr=qr_svg(url) if not session.is_cancelled else None,
        window=window,
        opens=opens,
        closes=closes,
        when=formatting.session_when(session),
        where=formatting.session_where(session),
        clock=formatting.clock,
        day=formatting.day,
    )
