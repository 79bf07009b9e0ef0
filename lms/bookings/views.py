"""Sessions and bookings for practitioners and setting leads: the list of upcoming
sessions, a session's page, booking (yourself, or your staff), your bookings, one
booking with its offer, cancellation and substitution, a setting lead's approvals and
staff bookings, the .ics of a booking and QR self check-in.

Thin views over bookings.services: form -> service -> commit -> flash -> redirect. A
DomainError becomes an error on the form (so the GOV.UK error summary links to it);
NotFound and Forbidden become 404 and 403. Sessions and bookings a person may not see are
404 (an outreach session of another organisation, someone else's booking), so ids cannot
be probed. Pages that list sessions or bookings run a fixed number of SQL statements
however many there are (place_counts and the helpers below read them in bulk).
"""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask import session as flask_session
from flask_login import current_user, login_required
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import selectinload

from lms.accounts import services as accounts
from lms.accounts.models import User
from lms.bookings import charges, ics, services
from lms.bookings.formatting import clock, day, session_when, session_where
from lms.bookings.forms import (
    MODE_CHOICES,
    AcceptForm,
    BookForm,
    BookStaffForm,
    CancelForm,
    CheckInForm,
    DecideForm,
    SessionQuery,
    SubstituteForm,
)
from lms.bookings.models import ATTENDANCE_STATUSES, LIVE_STATUSES, STATUSES, Booking, TrainingSession
from lms.catalogue.models import Course
from lms.core.auth import setting_lead_required
from lms.core.errors import DomainError, Forbidden, NotFound
from lms.core.forms import apply_domain_error
from lms.core.pagination import Page, clamp_page, page_href
from lms.core.time import as_utc, format_date, format_datetime, to_london, utcnow
from lms.extensions import db
from lms.organisations.models import Area, Organisation

bp = Blueprint("bookings", __name__, template_folder="templates")

PER_PAGE = 20
# Dates listed on a course's page before "see all dates".
COURSE_PAGE_DATES = 6
# A setting lead's page shows staff attendance from this far back.
RECENT_DAYS = 90
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
BOOK_STAFF_RESULT = "bookings.book_staff.result"


@bp.context_processor
def _helpers():
    return {
        "session_when": session_when,
        "session_where": session_where,
        "day": day,
        "clock": clock,
        "status_tags": STATUS_TAGS,
        "status_names": STATUSES,
        "cutoff_text": cutoff_text,
    }


# --- helpers --------------------------------------------------------------------------


def _actor() -> User | None:
    return current_user._get_current_object() if current_user.is_authenticated else None


def _fail(error: DomainError) -> None:
    """Roll back whatever a service flushed; NotFound and Forbidden become 404 and 403."""
    db.session.rollback()
    if isinstance(error, NotFound):
        abort(404)
    if isinstance(error, Forbidden):
        abort(403)


def _visible_session(session_id: int) -> TrainingSession:
    """The session, or 404 when there is none or the person may not see it (an outreach
    session of another organisation)."""
    session = db.session.get(TrainingSession, session_id)
    if session is None or not services.can_see(session, _actor()):
        abort(404)
    return session


def _leads(actor: User, organisation_id: int | None) -> bool:
    """A setting lead of the organisation, or an admin."""
    return actor.is_admin or (organisation_id is not None and accounts.leads(actor, organisation_id))


def _visible_booking(booking_id: int) -> Booking:
    """The booking, if it is the person's own, one of their staff's (as setting lead), or on
    a session they run; otherwise 404 (whether or not it exists)."""
    actor = _actor()
    booking = db.session.get(Booking, booking_id)
    if booking is None:
        abort(404)
    if actor.id == booking.user_id or _leads(actor, booking.organisation_id) or services.may_manage(actor, booking.session):
        return booking
    abort(404)


def _may_act_for(actor: User, booking: Booking) -> bool:
    """Accept, cancel or pass on the place: the person, their setting lead or an admin."""
    return actor.id == booking.user_id or _leads(actor, booking.organisation_id)


def cutoff_text(session: TrainingSession) -> str:
    """When people can cancel without it counting as a late cancellation, in words."""
    deadline = services.cancellation_deadline(session)
    if deadline >= as_utc(session.starts_at):
        return "before the session starts"
    return f"by the end of {format_date(to_london(deadline - timedelta(microseconds=1)).date())}"


def _is_late(booking: Booking, now: datetime) -> bool:
    return booking.status == "booked" and as_utc(now) > services.cancellation_deadline(booking.session)


def _waiting_positions(bookings: list[Booking]) -> dict[int, int]:
    """{booking id: place on the waiting list} for the waitlisted bookings given, in one
    statement however many sessions they are on."""
    waiting = [b for b in bookings if b.status == "waitlisted"]
    if not waiting:
        return {}
    ranked = (
        select(
            Booking.id.label("id"),
            func.row_number().over(partition_by=Booking.session_id, order_by=(Booking.queued_at, Booking.id)).label("position"),
        )
        .where(Booking.status == "waitlisted", Booking.session_id.in_(sorted({b.session_id for b in waiting})))
        .subquery()
    )
    rows = db.session.execute(select(ranked.c.id, ranked.c.position).where(ranked.c.id.in_([b.id for b in waiting])))
    return {booking_id: position for booking_id, position in rows}


def _availability(session: TrainingSession, places_held: int, now: datetime) -> dict:
    """How a session stands for booking: {"state", "left", "text"} for lists and pages."""
    state = services.signup_state(session, now)
    left = max(session.capacity - places_held, 0)
    if state == "not-open":
        text = f"Booking opens {format_datetime(session.signup_opens_at)}"
    elif state == "closed":
        text = "Booking closed"
    elif state in ("finished", "cancelled"):
        text = "Cancelled" if state == "cancelled" else "Finished"
    elif left:
        text = f"{left} place{'' if left == 1 else 's'} left"
    else:
        text = "Full: join the waiting list"
    return {"state": state, "left": left, "text": text}


def _page_links(page: Page, query: SessionQuery) -> dict | None:
    """GOV.UK pagination parameters, each link keeping the filters; None when one page holds all."""
    args = query.query_args()
    return page.govuk_pagination(page_href("bookings.index", args, anchor="results"), label="Session pages")


# --- the course page's dates ----------------------------------------------------------


@bp.app_template_global()
def upcoming_sessions_for(course: Course, limit: int = COURSE_PAGE_DATES) -> dict:
    """The next dates of a course for its catalogue page: {"rows": [{"session", "when",
    "where", "availability", "href"}], "more": bool}. Only sessions the signed-in person
    may see (outreach sessions are for one organisation: the rule of
    services.visible_to, written here as a subquery so that it needs no statement of its
    own). One statement: the sessions with the places held on each."""
    from sqlalchemy.orm import lazyload

    from lms.accounts.models import SettingLead

    now = utcnow()
    person = _actor()
    query = (
        services.upcoming_sessions(now=now, course=course)
        .add_columns(_places_held().label("places"))
        .options(lazyload(TrainingSession.course))
    )
    if person is None:
        query = query.where(TrainingSession.organisation_id.is_(None))
    elif not (person.is_admin or person.is_trainer):
        allowed = [
            TrainingSession.organisation_id.is_(None),
            TrainingSession.organisation_id.in_(select(SettingLead.organisation_id).where(SettingLead.user_id == person.id)),
        ]
        if person.organisation_id is not None:
            allowed.append(TrainingSession.organisation_id == person.organisation_id)
        query = query.where(or_(*allowed))
    found = db.session.execute(query.limit(limit + 1)).all()
    more = len(found) > limit
    href_prefix = url_for("bookings.session", session_id=0).removesuffix("0")
    rows = [
        {
            "session": s,
            "when": session_when(s),
            "where": session_where(s),
            "availability": _availability(s, held, now),
            "href": f"{href_prefix}{s.id}",
        }
        for s, held in found[:limit]
    ]
    return {"rows": rows, "more": more}


# --- the list of sessions -------------------------------------------------------------


def _places_held():
    """A correlated count of the places held on each session (for "has places")."""
    return (
        select(func.count())
        .select_from(Booking)
        .where(Booking.session_id == TrainingSession.id, Booking.status.in_(services.PLACE_STATUSES))
        .correlate(TrainingSession)
        .scalar_subquery()
    )


@bp.get("/sessions")
def index():
    query = SessionQuery.from_args(request.args)
    person = _actor()
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
        statement = statement.where(
            _places_held() < TrainingSession.capacity,
            or_(TrainingSession.signup_opens_at.is_(None), TrainingSession.signup_opens_at <= now),
            TrainingSession.signup_closes_at > now,
        )
    total = db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery())) or 0
    number = clamp_page(query.page, total, PER_PAGE)
    sessions = list(db.session.scalars(
        statement.options(selectinload(TrainingSession.area), selectinload(TrainingSession.organisation))
        .limit(PER_PAGE).offset((number - 1) * PER_PAGE)
    ))
    page = Page(items=sessions, total=total, page=number, per_page=PER_PAGE)
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
        {"session": s, "availability": _availability(s, counts[s.id]["places"], now), "booking": mine.get(s.id)}
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
    person = _actor()
    now = utcnow()
    counts = services.place_counts([session.id])[session.id]
    availability = _availability(session, counts["places"], now)
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
        staff_positions = _waiting_positions(staff_bookings)
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
    return _render_session(_visible_session(session_id))


_BOOKED_MESSAGES = {
    "booked": "You have a place on {course}, {when}. We have emailed you the details.",
    "waitlisted": "The session is full, so you are on the waiting list for {course} (number {position}). "
                  "We will email you if a place comes free.",
    "requested": "We have asked your setting lead to approve your place on {course}. We will email you when they decide.",
}


@bp.post("/sessions/<int:session_id>/book")
@login_required
def book(session_id: int):
    session = _visible_session(session_id)
    actor = _actor()
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
        _fail(error)
        apply_domain_error(form, error, default_field="book")
        return _render_session(_visible_session(session_id), book_form=form, status=400)
    message = _BOOKED_MESSAGES[booking.status].format(
        course=session.course.title, when=session_when(session), position=services.waiting_position(booking)
    )
    db.session.commit()
    flash(message, "success")
    return redirect(url_for(".session", session_id=session_id))


# --- a setting lead books staff -------------------------------------------------------


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
    positions = _waiting_positions(list(bookings.values()))
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
def book_staff(session_id: int):
    session = _visible_session(session_id)
    actor = _actor()
    now = utcnow()
    organisations = _bookable_organisations(actor, session)
    if organisations is None:
        return render_template(
            "bookings/book_staff_choose.html", session=session,
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
        "bookings/book_staff.html",
        session=session,
        form=form,
        organisations=organisations,
        staff=staff,
        existing=existing,
        chosen=chosen,
        result=result,
        availability=_availability(session, counts["places"], now),
        several=len(organisations) > 1,
        organisation_names={org.id: org.name for org in organisations},
        form_action=_book_staff_url(session_id),
    ), 400 if form.errors else 200


def _book_staff_url(session_id: int) -> str:
    """The page's own address, keeping an admin's choice of organisation."""
    chosen = request.args.get("organisation", "")
    args = {"organisation": chosen} if chosen.isascii() and chosen.isdigit() else {}
    return url_for(".book_staff", session_id=session_id, **args)


# --- my bookings ----------------------------------------------------------------------


@bp.get("/bookings")
@login_required
def mine():
    now = as_utc(utcnow())
    bookings = list(db.session.scalars(services.bookings_for(_actor())))
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
        "bookings/mine.html", upcoming=upcoming, waiting=waiting, past=past, positions=_waiting_positions(waiting),
    )


# --- one booking ----------------------------------------------------------------------


def _render_booking(booking: Booking, *, accept_form: AcceptForm | None = None, status: int = 200):
    actor = _actor()
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
    actor = _actor()
    form = AcceptForm()
    if not form.validate_on_submit():
        return redirect(url_for(".booking", booking_id=booking_id))
    try:
        services.accept_offer(booking, actor=actor, now=utcnow())
    except DomainError as error:
        _fail(error)
        apply_domain_error(form, error, default_field="accept")
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
    actor = _actor()
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
            _fail(error)
            apply_domain_error(form, error, default_field="booking")
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
    text = (f"The cut-off has passed: places had to be cancelled {cutoff_text(booking.session)}. "
            "If you cancel now, it will be recorded as a late cancellation.")
    pence = _late_charge_pence(booking)
    if pence:
        text += f" {booking.organisation.name} may be charged £{pence / 100:.2f}."
    return text


@bp.route("/bookings/<int:booking_id>/substitute", methods=["GET", "POST"])
@login_required
def substitute(booking_id: int):
    booking = _visible_booking(booking_id)
    actor = _actor()
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
                _fail(error)
                booking = _visible_booking(booking_id)
                apply_domain_error(form, error, default_field=field)
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


# --- a setting lead's approvals and staff bookings ------------------------------------


def _render_requests(*, failed: tuple[int, DecideForm] | None = None, status: int = 200):
    actor = _actor()
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
        "bookings/requests.html",
        pending=pending,
        forms=forms,
        form=form,
        upcoming=upcoming,
        recent=recent,
        positions=_waiting_positions(upcoming),
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
    actor = _actor()
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
        _fail(error)
        apply_domain_error(form, error, default_field="approve")
        return _render_requests(failed=(booking_id, form), status=400)
    if approve:
        outcome = "has a place" if booking.status == "booked" else "is on the waiting list (the session is full)"
        message = f"Approved: {booking.user.full_name} {outcome} on {booking.session.course.title}."
    else:
        message = f"Refused: {booking.user.full_name} has been told they do not have a place on {booking.session.course.title}."
    db.session.commit()
    flash(message, "success")
    return redirect(url_for(".requests"))


# --- self check-in --------------------------------------------------------------------


@bp.route("/sessions/<int:session_id>/check-in/<code>", methods=["GET", "POST"])
@login_required
def check_in(session_id: int, code: str):
    """The page the room's QR code opens: the person confirms and is marked attended."""
    session = _visible_session(session_id)
    if not secrets.compare_digest(code.encode("utf-8"), session.checkin_code.encode("utf-8")):
        abort(404)
    actor = _actor()
    form = CheckInForm()
    if form.validate_on_submit():
        try:
            services.check_in(session, actor, code, now=utcnow())
        except DomainError as error:
            _fail(error)
            session = _visible_session(session_id)
            apply_domain_error(form, error, default_field="check_in")
        else:
            message = f"You are checked in to {session.course.title}. Your attendance is recorded in your training record."
            db.session.commit()
            flash(message, "success")
            return redirect(url_for(".session", session_id=session_id))
    booking = services.live_booking(session, actor)
    return render_template(
        "bookings/check_in.html", session=session, form=form, booking=booking, code=code,
    ), 400 if form.errors else 200
