"""Sessions and bookings for practitioners: the list of upcoming sessions, a session's
page, booking yourself, your bookings, one booking with its offer, cancellation and
substitution, the .ics of a booking and QR self check-in. The feature's one blueprint,
`bookings`, nests its sub-features' blueprints: staff (a setting lead books staff and
decides requests), sessions (trainers and admins manage sessions), registers, charges and
calendar.

Thin views over bookings.services: form -> service -> commit -> flash -> redirect. A
DomainError becomes an error on the form (so the GOV.UK error summary links to it);
NotFound and Forbidden become 404 and 403. Sessions and bookings a person may not see are
404 (an outreach session of another organisation, someone else's booking), so ids cannot
be probed. Pages that list sessions or bookings run a fixed number of SQL statements
however many there are (place_counts and bookings.queries read them in bulk).
"""
from __future__ import annotations

import secrets
from datetime import datetime

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from lms.accounts import services as accounts
from lms.accounts.models import User
from lms.bookings import ics, offers, queries, services
from lms.bookings.access import visible_session
from lms.bookings.calendar.views import bp as calendar_bp
from lms.bookings.charges import services as charges
from lms.bookings.charges.views import bp as charges_bp
from lms.bookings.formatting import clock, day, session_when, session_where
from lms.bookings.forms import (
    MODE_CHOICES,
    AcceptForm,
    BookForm,
    CancelForm,
    CheckInForm,
    SessionQuery,
    SubstituteForm,
)
from lms.bookings.models import LIVE_STATUSES, STATUSES, Booking, TrainingSession
from lms.bookings.registers import services as registers
from lms.bookings.registers.views import bp as registers_bp
from lms.bookings.sessions.views import bp as sessions_bp
from lms.bookings.staff.views import bp as staff_bp
from lms.catalogue.models import Course
from lms.core import auth
from lms.core.errors import DomainError, NotFound
from lms.core.forms import fail
from lms.core.pagination import Page, page_href, paginate
from lms.core.time import as_utc, to_london, utcnow
from lms.extensions import db
from lms.organisations.models import Area

bp = Blueprint("bookings", __name__, template_folder="templates")
for child in (staff_bp, sessions_bp, registers_bp, charges_bp, calendar_bp):
    bp.register_blueprint(child)

PER_PAGE = 20
# Bookings whose person has a place they can come to: they see the joining link.
WITH_A_PLACE = ("booked", "attended", "partly-attended", "no-show")
# Bookings that can still be cancelled (withdrawn, declined, left).
CANCELLABLE = ("requested", "booked", "waitlisted", "offered")
# GOV.UK tag colours for booking statuses (the tag always carries the status in words).
STATUS_TAGS = {
    "requested": "govuk-tag--yellow",
    "booked": "govuk-tag--green",
    "waitlisted": "govuk-tag--blue",
    "offered": "govuk-tag--purple",
    "cancelled": "govuk-tag--grey",
    "attended": "govuk-tag--green",
    "partly-attended": "govuk-tag--turquoise",
    "no-show": "govuk-tag--red",
}


@bp.context_processor
def _helpers():
    """For every page of the feature and its sub-features (a nested blueprint's pages get
    its parent's context too); a value a view passes itself wins."""
    return {
        "session_when": session_when,
        "session_where": session_where,
        "day": day,
        "clock": clock,
        "status_tags": STATUS_TAGS,
        "status_names": STATUSES,
        "cutoff_text": queries.cutoff_text,
    }


# --- helpers --------------------------------------------------------------------------


def _leads(person: User, organisation_id: int | None) -> bool:
    """A setting lead of the organisation, or an admin."""
    return person.is_admin or (organisation_id is not None and accounts.leads(person, organisation_id))


def _visible_booking(booking_id: int) -> Booking:
    """The booking, if it is the person's own, one of their staff's (as setting lead), or on
    a session they run; otherwise 404 (whether or not it exists)."""
    person = auth.actor()
    booking = db.session.get(Booking, booking_id)
    if booking is None:
        raise NotFound("There is no such booking")
    if person.id == booking.user_id or _leads(person, booking.organisation_id) or services.may_manage(person, booking.session):
        return booking
    raise NotFound("There is no such booking")


def _may_act_for(person: User, booking: Booking) -> bool:
    """Accept, cancel or pass on the place: the person, their setting lead or an admin."""
    return person.id == booking.user_id or _leads(person, booking.organisation_id)


def _is_late(booking: Booking, now: datetime) -> bool:
    return booking.status == "booked" and as_utc(now) > services.cancellation_deadline(booking.session)


def _page_links(page: Page, query: SessionQuery) -> dict | None:
    """GOV.UK pagination parameters, each link keeping the filters; None when one page holds all."""
    args = query.query_args()
    return page.govuk_pagination(page_href("bookings.index", args, anchor="results"), label="Session pages")


# --- the list of sessions -------------------------------------------------------------


@bp.get("/sessions")
def index():
    query = SessionQuery.from_args(request.args)
    person = auth.actor()
    now = utcnow()
    courses = list(db.session.scalars(
        select(Course).where(Course.active.is_(True), Course.delivery_mode.in_(services.BOOKABLE_MODES)).order_by(Course.title)
    ))
    areas = list(db.session.scalars(select(Area).order_by(Area.position, Area.name)))
    statement = services.visible_to(services.upcoming_sessions(now=now), person)
    if query.course:
        statement = statement.where(TrainingSession.course_id.in_(select(Course.id).where(Course.code == query.course)))
    if query.mode:
        statement = statement.where(TrainingSession.course_id.in_(select(Course.id).where(Course.delivery_mode == query.mode)))
    if query.area:
        statement = statement.where(TrainingSession.area_id == query.area)
    if query.has_places:
        statement = queries.bookable_now(statement, person, now=now)
    page = paginate(
        statement.options(selectinload(TrainingSession.area), selectinload(TrainingSession.organisation)),
        page=query.page, per_page=PER_PAGE,
    )
    sessions = page.items
    counts = services.place_counts([s.id for s in sessions])
    mine = {}
    if person is not None and sessions:
        mine = {
            b.session_id: b
            for b in db.session.scalars(
                select(Booking).where(
                    Booking.user_id == person.id,
                    Booking.session_id.in_([s.id for s in sessions]),
                    Booking.status.in_(LIVE_STATUSES),
                )
            )
        }
    rows = [
        {"session": s, "availability": queries.availability(s, counts[s.id]["places"], now), "booking": mine.get(s.id)}
        for s in sessions
    ]
    return render_template(
        "bookings/index.html",
        query=query,
        page=page,
        rows=rows,
        courses=courses,
        areas=areas,
        mode_choices=MODE_CHOICES,
        page_links=_page_links(page, query),
        href_prefix=url_for("bookings.session", session_id=0).removesuffix("0"),
    )


# --- one session ----------------------------------------------------------------------


def _render_session(session: TrainingSession, *, book_form: BookForm | None = None, status: int = 200):
    person = auth.actor()
    now = utcnow()
    counts = services.place_counts([session.id])[session.id]
    availability = queries.availability(session, counts["places"], now)
    booking = services.live_booking(session, person) if person is not None else None
    position = services.waiting_position(booking) if booking is not None else None
    problem = None
    if person is not None and booking is None and availability["state"] == "open":
        problem = services.audience_problem(session, person)
    manages = person is not None and services.may_manage(person, session)
    staff_bookings: list[Booking] = []
    staff_positions: dict[int, int] = {}
    led_ids = accounts.led_organisation_ids(person) if person is not None else []
    if led_ids:
        staff_bookings = list(db.session.scalars(
            select(Booking).join(Booking.user)
            .where(Booking.session_id == session.id, Booking.organisation_id.in_(led_ids),
                   Booking.status.in_(LIVE_STATUSES), Booking.user_id != person.id)
            .options(selectinload(Booking.user))
            .order_by(func.lower(User.full_name), Booking.id)
        ))
        staff_positions = queries.waiting_positions(staff_bookings)
    may_book_staff = bool(led_ids) and availability["state"] == "open" and (
        session.organisation_id is None or session.organisation_id in led_ids
    )
    form = book_form or BookForm()
    return render_template(
        "bookings/session.html",
        session=session,
        counts=counts,
        availability=availability,
        booking=booking,
        position=position,
        problem=problem,
        show_joining=session.is_online and ((booking is not None and booking.status in WITH_A_PLACE) or manages),
        late=booking is not None and _is_late(booking, now),
        can_cancel=booking is not None and booking.status in CANCELLABLE and as_utc(now) < as_utc(session.starts_at),
        can_accept=booking is not None and booking.status == "offered" and as_utc(now) < as_utc(booking.offer_expires_at),
        book_form=form,
        form=form,
        accept_form=AcceptForm(),
        staff_bookings=staff_bookings,
        staff_positions=staff_positions,
        may_book_staff=may_book_staff,
        manages=manages,
    ), status


@bp.get("/sessions/<int:session_id>", endpoint="session")
def show_session(session_id: int):
    return _render_session(visible_session(session_id, auth.actor()))


_BOOKED_MESSAGES = {
    "booked": "You have a place on {course}, {when}. We have emailed you the details.",
    "waitlisted": "The session is full, so you are on the waiting list for {course} (number {position}). "
                  "We will email you if a place comes free.",
    "requested": "We have asked your setting lead to approve your place on {course}. We will email you when they decide.",
}


@bp.post("/sessions/<int:session_id>/book")
@login_required
def book(session_id: int):
    session = visible_session(session_id, auth.actor())
    actor = auth.actor()
    form = BookForm()
    if not form.validate_on_submit():
        return redirect(url_for(".session", session_id=session.id))
    try:
        booking = services.book(session, actor, actor=actor, now=utcnow())
    except services.AlreadyBooked as error:
        # A second click, or a second tab: the first booking stands.
        db.session.rollback()
        flash(error.message, "info")
        return redirect(url_for(".session", session_id=session_id))
    except DomainError as error:
        fail(error, form, default_field="book")
        return _render_session(visible_session(session_id, auth.actor()), book_form=form, status=400)
    message = _BOOKED_MESSAGES[booking.status].format(
        course=session.course.title, when=session_when(session), position=services.waiting_position(booking)
    )
    db.session.commit()
    flash(message, "success")
    return redirect(url_for(".session", session_id=session_id))


# --- my bookings ----------------------------------------------------------------------


@bp.get("/bookings")
@login_required
def mine():
    now = as_utc(utcnow())
    bookings = list(db.session.scalars(services.bookings_for(auth.actor())))
    upcoming, waiting, past = [], [], []
    for booking in bookings:
        ended = as_utc(booking.session.ends_at) <= now
        if booking.status in ("booked", "offered", "requested") and not ended:
            upcoming.append(booking)
        elif booking.status == "waitlisted" and not ended:
            waiting.append(booking)
        else:
            past.append(booking)
    upcoming.reverse()
    waiting.reverse()
    return render_template(
        "bookings/mine.html", upcoming=upcoming, waiting=waiting, past=past, positions=queries.waiting_positions(waiting),
    )


# --- one booking ----------------------------------------------------------------------


def _render_booking(booking: Booking, *, accept_form: AcceptForm | None = None, status: int = 200):
    actor = auth.actor()
    now = utcnow()
    session = booking.session
    may_act = _may_act_for(actor, booking)
    started = as_utc(now) >= as_utc(session.starts_at)
    form = accept_form or AcceptForm()
    return render_template(
        "bookings/booking.html",
        booking=booking,
        session=session,
        own=actor.id == booking.user_id,
        position=services.waiting_position(booking),
        late=_is_late(booking, now),
        show_joining=session.is_online and (booking.status in WITH_A_PLACE or services.may_manage(actor, session)),
        can_accept=may_act and booking.status == "offered" and as_utc(now) < as_utc(booking.offer_expires_at),
        can_cancel=(may_act or services.may_manage(actor, session)) and booking.status in CANCELLABLE
        and as_utc(now) < as_utc(session.starts_at),
        can_substitute=may_act and booking.status in ("booked", "offered") and not started and booking.organisation_id is not None,
        accept_form=form,
        form=form,
    ), status


@bp.get("/bookings/<int:booking_id>", endpoint="booking")
@login_required
def show_booking(booking_id: int):
    return _render_booking(_visible_booking(booking_id))


@bp.post("/bookings/<int:booking_id>/accept")
@login_required
def accept(booking_id: int):
    booking = _visible_booking(booking_id)
    actor = auth.actor()
    form = AcceptForm()
    if not form.validate_on_submit():
        return redirect(url_for(".booking", booking_id=booking_id))
    try:
        offers.accept_offer(booking, actor=actor, now=utcnow())
    except DomainError as error:
        fail(error, form, default_field="accept")
        return _render_booking(_visible_booking(booking_id), accept_form=form, status=400)
    message = f"{'You have' if actor.id == booking.user_id else booking.user.full_name + ' has'} a place on " \
              f"{booking.session.course.title}, {session_when(booking.session)}."
    db.session.commit()
    flash(message, "success")
    return redirect(url_for(".booking", booking_id=booking_id))


def _cancel_words(booking: Booking, own: bool) -> dict:
    """The cancel page's heading, button and confirmation for each kind of booking."""
    whose = "your" if own else f"{booking.user.full_name}’s"
    return {
        "requested": {"heading": f"Withdraw {whose} request", "button": "Withdraw request",
                      "done": "The request is withdrawn."},
        "waitlisted": {"heading": "Leave the waiting list" if own else f"Take {booking.user.full_name} off the waiting list",
                       "button": "Leave the waiting list" if own else "Take off the waiting list",
                       "done": "Taken off the waiting list."},
        "offered": {"heading": "Decline the place offered" if own else f"Decline the place offered to {booking.user.full_name}",
                    "button": "Decline the place", "done": "The place offered is declined."},
    }.get(booking.status, {"heading": f"Cancel {whose} booking", "button": "Cancel booking", "done": "The booking is cancelled."})


def _late_charge_pence(booking: Booking) -> int:
    """The late cancellation charge for the booking's organisation on its session's date."""
    organisation = booking.organisation if booking.organisation_id is not None else None
    if organisation is None:
        return 0
    book = charges.RateBook.load([organisation.type_id])
    return book.amounts(organisation.type_id, to_london(booking.session.starts_at).date())[1]


@bp.route("/bookings/<int:booking_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel(booking_id: int):
    booking = _visible_booking(booking_id)
    actor = auth.actor()
    now = utcnow()
    if not (_may_act_for(actor, booking) or services.may_manage(actor, booking.session)):
        abort(403)
    own = actor.id == booking.user_id
    words = _cancel_words(booking, own)
    open_ = booking.status in CANCELLABLE and as_utc(now) < as_utc(booking.session.ends_at)
    form = CancelForm()
    if request.method == "POST" and not open_:
        flash(f"This booking cannot be changed now: it is {booking.status_name.lower()}.", "info")
        return redirect(url_for(".booking", booking_id=booking_id))
    if form.validate_on_submit():
        try:
            services.cancel(booking, actor=actor, now=now, note=form.note.data)
        except DomainError as error:
            fail(error, form, default_field="booking")
            booking = _visible_booking(booking_id)
        else:
            message = words["done"]
            if booking.ended_reason == "late-cancelled":
                message += " It was after the cut-off, so it is recorded as a late cancellation."
            db.session.commit()
            flash(message, "success")
            return redirect(url_for(".booking", booking_id=booking_id))
    return render_template(
        "bookings/cancel.html",
        booking=booking,
        session=booking.session,
        form=form,
        own=own,
        words=words,
        open=open_,
        late=_is_late(booking, now),
        late_text=_late_text(booking) if _is_late(booking, now) else "",
    ), 400 if form.errors else 200


def _late_text(booking: Booking) -> str:
    """The warning on the cancel page after the cut-off, with the charge if one is set."""
    text = (f"The cut-off has passed: places had to be cancelled {queries.cutoff_text(booking.session)}. "
            "If you cancel now, it will be recorded as a late cancellation.")
    pence = _late_charge_pence(booking)
    if pence:
        text += f" {booking.organisation.name} may be charged £{pence / 100:.2f}."
    return text


@bp.route("/bookings/<int:booking_id>/substitute", methods=["GET", "POST"])
@login_required
def substitute(booking_id: int):
    booking = _visible_booking(booking_id)
    actor = auth.actor()
    now = utcnow()
    if not _may_act_for(actor, booking):
        abort(403)
    session = booking.session
    choose = _leads(actor, booking.organisation_id)  # leads and admins pick from the staff list
    colleagues = []
    if choose and booking.organisation_id is not None:
        colleagues = [
            person for person in db.session.scalars(
                select(User).where(User.organisation_id == booking.organisation_id, User.active.is_(True), User.id != booking.user_id)
                .order_by(func.lower(User.full_name), User.id)
            )
        ]
    form = SubstituteForm()
    form.colleague.choices = [("", "Choose a colleague")] + [(str(p.id), p.full_name) for p in colleagues]
    possible = booking.status in ("booked", "offered") and as_utc(now) < as_utc(session.starts_at) \
        and booking.organisation_id is not None
    if possible and form.validate_on_submit():
        colleague = None
        field = "colleague" if choose else "email"
        organisation_name = booking.organisation.name if booking.organisation else "your organisation"
        if choose:
            colleague = next((p for p in colleagues if str(p.id) == form.colleague.data), None)
            if colleague is None:
                form.colleague.errors = ["Choose the colleague who will take the place"]
        else:
            email = (form.email.data or "").strip()
            if not email:
                form.email.errors = ["Enter your colleague’s email address"]
            else:
                colleague = accounts.get_user_by_email(email)
                if colleague is None or colleague.organisation_id != booking.organisation_id or colleague.id == booking.user_id:
                    # The same message whoever it is, so the form does not reveal who has an account.
                    colleague = None
                    form.email.errors = [f"Enter the email address of a colleague at {organisation_name} who has an account"]
        if colleague is not None:
            try:
                replacement = services.substitute(booking, colleague, actor=actor, now=now)
            except DomainError as error:
                fail(error, form, default_field=field)
                booking = _visible_booking(booking_id)
                if error.field == "colleague" and field != "colleague":
                    form.colleague.errors = []
                    form.email.errors = list(form.email.errors) + [error.message]
            else:
                message = f"{colleague.full_name} now has the place on {session.course.title}. We have emailed them the details."
                db.session.commit()
                flash(message, "success")
                if _leads(actor, replacement.organisation_id):
                    return redirect(url_for(".booking", booking_id=replacement.id))
                return redirect(url_for(".mine"))
    return render_template(
        "bookings/substitute.html",
        booking=booking,
        session=session,
        form=form,
        choose=choose,
        colleagues=colleagues,
        possible=possible,
        own=actor.id == booking.user_id,
    ), 400 if form.errors else 200


@bp.get("/bookings/<int:booking_id>/calendar.ics")
@login_required
def booking_ics(booking_id: int):
    """The session for the person's calendar. The joining link is in it only while they
    have a place; a cancelled booking gives a cancelling event."""
    booking = _visible_booking(booking_id)
    session = booking.session
    base_url = current_app.config["BASE_URL"].rstrip("/")
    now = utcnow()
    if booking.status in WITH_A_PLACE:
        content = ics.booking_ics(session, base_url=base_url, now=now, booking=booking)
    elif booking.status == "cancelled" or session.is_cancelled:
        content = ics.booking_ics(session, base_url=base_url, now=now, cancelled=True, booking=booking)
    else:
        # Offered, waiting or asked for: a tentative event, without the joining link.
        content = ics.booking_ics(session, base_url=base_url, now=now, tentative=True, booking=booking)
    filename = f"{session.course.code}-{session.id}.ics".lower()
    return current_app.response_class(
        content, mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "private, no-store"},
    )


# --- self check-in --------------------------------------------------------------------


@bp.route("/sessions/<int:session_id>/check-in/<code>", methods=["GET", "POST"])
@login_required
def check_in(session_id: int, code: str):
    """The page the room's QR code opens: the person confirms and is marked attended."""
    session = visible_session(session_id, auth.actor())
    if not secrets.compare_digest(code.encode("utf-8"), session.checkin_code.encode("utf-8")):
        abort(404)
    actor = auth.actor()
    form = CheckInForm()
    if form.validate_on_submit():
        try:
            registers.check_in(session, actor, code, now=utcnow())
        except DomainError as error:
            fail(error, form, default_field="check_in")
            session = visible_session(session_id, auth.actor())
        else:
            message = f"You are checked in to {session.course.title}. Your attendance is recorded in your training record."
            db.session.commit()
            flash(message, "success")
            return redirect(url_for(".session", session_id=session_id))
    booking = services.live_booking(session, actor)
    return render_template(
        "bookings/check_in.html", session=session, form=form, booking=booking, code=code,
    ), 400 if form.errors else 200
