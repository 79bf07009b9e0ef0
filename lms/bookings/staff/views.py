"""A setting lead's pages about their staff's bookings: booking several of their staff on
a session at once, and the booking requests awaiting their approval with their staff's
upcoming and recent bookings. Partnership admins may use both for any organisation.

Thin views over the engine (bookings.services.book and decide); each person booked is
checked by the engine, and the outcome of "book places" is kept across the redirect."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask import session as flask_session
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import selectinload

from lms.accounts import services as accounts
from lms.accounts.models import User
from lms.bookings import queries, services
from lms.bookings.access import visible_session
from lms.bookings.models import ATTENDANCE_STATUSES, LIVE_STATUSES, Booking, TrainingSession
from lms.bookings.staff.forms import BookStaffForm, DecideForm
from lms.core import auth
from lms.core.auth import setting_lead_required
from lms.core.errors import DomainError
from lms.core.forms import fail
from lms.core.time import as_utc, utcnow
from lms.extensions import db
from lms.organisations.models import Organisation

bp = Blueprint("staff", __name__, template_folder="templates")

# A setting lead's page shows staff attendance from this far back.
RECENT_DAYS = 90
# Where the outcome of the last "book places" waits for the page after the redirect.
BOOK_STAFF_RESULT = "bookings.book_staff.result"


def _bookable_organisations(actor: User, session: TrainingSession) -> list[Organisation] | None:
    """The organisations whose staff the actor may book on the session; None when an
    admin who leads none must first choose one (?organisation=)."""
    led = list(actor.led_organisations)
    if actor.is_admin:
        chosen = request.args.get("organisation", "")
        if session.organisation_id is not None:
            return [session.organisation]
        if chosen.isascii() and chosen.isdigit():
            organisation = db.session.get(Organisation, int(chosen))
            if organisation is None:
                abort(404)
            return [organisation]
        if not led:
            return None
    if session.organisation_id is not None:
        return [org for org in led if org.id == session.organisation_id]
    return led


def _staff(organisations: list[Organisation]) -> list[User]:
    if not organisations:
        return []
    return list(db.session.scalars(
        select(User)
        .where(User.organisation_id.in_([org.id for org in organisations]), User.active.is_(True))
        .order_by(func.lower(User.full_name), User.id)
    ))


def _book_staff_result(session: TrainingSession) -> dict | None:
    """The outcome of the last "book places" on this session, kept across the redirect
    (in the signed session cookie, so kept small: ids, and each distinct reason once)."""
    stored = flask_session.pop(BOOK_STAFF_RESULT, None)
    if not isinstance(stored, dict) or stored.get("session") != session.id:
        return None
    outcomes = [tuple(entry) for entry in stored.get("outcomes", [])]
    reasons = [str(reason) for reason in stored.get("reasons", [])]
    booking_ids = [int(entry[1]) for entry in outcomes if entry[0] in ("made", "already")]
    person_ids = [int(entry[1]) for entry in outcomes if entry[0] == "failed"]
    bookings = {
        b.id: b for b in db.session.scalars(
            select(Booking).where(Booking.id.in_(booking_ids)).options(selectinload(Booking.user))
        )
    } if booking_ids else {}
    people = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(person_ids)))} if person_ids else {}
    positions = queries.waiting_positions(list(bookings.values()))
    rows = []
    tally = {"booked": 0, "waitlisted": 0, "requested": 0, "failed": 0}
    for kind, ident, *rest in outcomes:
        if kind == "made" and ident in bookings:
            booking = bookings[ident]
            rows.append({"person": booking.user, "booking": booking, "position": positions.get(booking.id), "reason": None})
            if booking.status in tally:
                tally[booking.status] += 1
        elif kind == "already" and ident in bookings:
            booking = bookings[ident]
            where = f", number {positions[booking.id]}" if booking.id in positions else ""
            rows.append({"person": booking.user, "booking": None, "position": None,
                         "reason": f"Already on this session: {booking.status_name.lower()}{where}"})
            tally["failed"] += 1
        elif kind == "failed" and ident in people and rest and 0 <= rest[0] < len(reasons):
            rows.append({"person": people[ident], "booking": None, "position": None, "reason": reasons[rest[0]]})
            tally["failed"] += 1
    return {"rows": rows, "tally": tally}


@bp.route("/sessions/<int:session_id>/book-staff", methods=["GET", "POST"])
@setting_lead_required
def book(session_id: int):
    session = visible_session(session_id, auth.actor())
    actor = auth.actor()
    now = utcnow()
    organisations = _bookable_organisations(actor, session)
    if organisations is None:
        return render_template(
            "bookings/staff/choose_organisation.html", session=session,
            organisations=list(db.session.scalars(select(Organisation).where(Organisation.active.is_(True)).order_by(Organisation.name))),
        )
    staff = _staff(organisations)
    by_id = {person.id: person for person in staff}
    form = BookStaffForm()
    if form.validate_on_submit():
        person_ids = form.person_ids()
        if person_ids is None or any(pid not in by_id for pid in person_ids):
            abort(403)  # someone who is not on this lead's staff list
        if not person_ids:
            form.people.errors = ["Choose the people you want to book"]
        else:
            outcomes: list[list] = []
            reasons: list[str] = []
            for pid in person_ids:
                try:
                    with db.session.begin_nested():
                        booking = services.book(session, by_id[pid], actor=actor, now=now)
                except services.AlreadyBooked as error:
                    outcomes.append(["already", error.booking.id])
                except DomainError as error:  # closed, outside the audience...
                    if error.message not in reasons:
                        reasons.append(error.message)
                    outcomes.append(["failed", pid, reasons.index(error.message)])
                else:
                    outcomes.append(["made", booking.id])
            db.session.commit()
            flask_session[BOOK_STAFF_RESULT] = {"session": session_id, "outcomes": outcomes, "reasons": reasons}
            return redirect(_book_staff_url(session_id))
    result = _book_staff_result(session) if request.method == "GET" else None
    counts = services.place_counts([session.id])[session.id]
    existing = {
        b.user_id: b for b in db.session.scalars(
            select(Booking).where(Booking.session_id == session.id, Booking.user_id.in_(list(by_id) or [-1]),
                                  Booking.status.in_(LIVE_STATUSES))
        )
    }
    chosen = set(form.people.data or []) if request.method == "POST" else set()
    return render_template(
        "bookings/staff/book.html",
        session=session,
        form=form,
        organisations=organisations,
        staff=staff,
        existing=existing,
        chosen=chosen,
        result=result,
        availability=queries.availability(session, counts["places"], now),
        several=len(organisations) > 1,
        organisation_names={org.id: org.name for org in organisations},
        form_action=_book_staff_url(session_id),
    ), 400 if form.errors else 200


def _book_staff_url(session_id: int) -> str:
    """The page's own address, keeping an admin's choice of organisation."""
    chosen = request.args.get("organisation", "")
    args = {"organisation": chosen} if chosen.isascii() and chosen.isdigit() else {}
    return url_for(".book", session_id=session_id, **args)



# --- a setting lead's approvals and staff bookings ------------------------------------


def _render_requests(*, failed: tuple[int, DecideForm] | None = None, status: int = 200):
    actor = auth.actor()
    now = as_utc(utcnow())
    pending = list(db.session.scalars(
        services.requests_for(actor).options(selectinload(Booking.user), selectinload(Booking.organisation))
    ))
    forms = {b.id: DecideForm(prefix=f"request-{b.id}", formdata=None) for b in pending}
    if failed is not None and failed[0] in forms:
        forms[failed[0]] = failed[1]
    led_ids = accounts.led_organisation_ids(actor)
    upcoming: list[Booking] = []
    recent: list[Booking] = []
    if led_ids:
        upcoming = list(db.session.scalars(
            select(Booking).join(Booking.session).join(Booking.user)
            .where(Booking.organisation_id.in_(led_ids), Booking.status.in_(("booked", "offered", "waitlisted")),
                   TrainingSession.ends_at > now)
            .options(selectinload(Booking.user), selectinload(Booking.session))
            .order_by(TrainingSession.starts_at, func.lower(User.full_name), Booking.id)
        ))
        recent = list(db.session.scalars(
            select(Booking).join(Booking.session).join(Booking.user)
            .where(
                Booking.organisation_id.in_(led_ids),
                TrainingSession.starts_at >= now - timedelta(days=RECENT_DAYS),
                TrainingSession.starts_at <= now,
                or_(Booking.status.in_(ATTENDANCE_STATUSES),
                    and_(Booking.status == "cancelled", Booking.ended_reason == "late-cancelled")),
            )
            .options(selectinload(Booking.user), selectinload(Booking.session))
            .order_by(TrainingSession.starts_at.desc(), func.lower(User.full_name), Booking.id)
        ))
    form = failed[1] if failed is not None else None
    return render_template(
        "bookings/staff/requests.html",
        pending=pending,
        forms=forms,
        form=form,
        upcoming=upcoming,
        recent=recent,
        positions=queries.waiting_positions(upcoming),
        led=actor.led_organisations,
        recent_days=RECENT_DAYS,
    ), status


@bp.get("/organisation/booking-requests")
@setting_lead_required
def requests():
    return _render_requests()


@bp.post("/organisation/booking-requests/<int:booking_id>")
@setting_lead_required
def decide(booking_id: int):
    actor = auth.actor()
    booking = db.session.get(Booking, booking_id)
    if booking is None or not services.may_decide(actor, booking):
        abort(404)
    form = DecideForm(prefix=f"request-{booking_id}")
    if not form.validate_on_submit():
        return _render_requests(failed=(booking_id, form), status=400)
    if booking.status != "requested":
        flash(f"This request was already decided: {booking.user.full_name} is {booking.status_name.lower()}.", "info")
        return redirect(url_for(".requests"))
    if not (form.approve.data or form.refuse.data):
        form.approve.errors = ["Choose approve or refuse"]
        return _render_requests(failed=(booking_id, form), status=400)
    approve = bool(form.approve.data)
    try:
        services.decide(booking, approve=approve, actor=actor, now=utcnow(), note=form.note.data)
    except DomainError as error:
        fail(error, form, default_field="approve")
        return _render_requests(failed=(booking_id, form), status=400)
    if approve:
        outcome = "has a place" if booking.status == "booked" else "is on the waiting list (the session is full)"
        message = f"Approved: {booking.user.full_name} {outcome} on {booking.session.course.title}."
    else:
        message = f"Refused: {booking.user.full_name} has been told they do not have a place on {booking.session.course.title}."
    db.session.commit()
    flash(message, "success")
    return redirect(url_for(".requests"))
