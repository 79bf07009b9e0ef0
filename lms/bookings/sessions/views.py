"""Trainers' and admins' pages to add, copy, change, cancel and list sessions.

Trainers see and manage the sessions they train; partnership admins every session
(services.may_manage). Thin views: form -> services -> commit -> flash -> redirect; a
DomainError becomes an error on the field it names. Times are typed and shown in
Europe/London and stored in UTC (forms.london_to_utc)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.datastructures import MultiDict
from wtforms import SelectChoice

from lms.accounts.models import User
from lms.bookings import services
from lms.bookings.access import managed_session
from lms.bookings.formatting import clock, day, session_when, session_where
from lms.bookings.sessions.forms import (
    COPY_SHIFT,
    DEFAULT_CANCELLATION_DAYS,
    DEFAULT_CLOSING_TIME,
    FIELD_FOR,
    CancelSessionForm,
    ChooseCourseForm,
    ClockChangeError,
    SessionForm,
    london_to_utc,
)
from lms.bookings.models import ATTENDANCE_STATUSES, Booking, TrainingSession, session_trainer
from lms.bookings.sessions.services import (
    SessionDetails,
    cancel_session,
    copy_details,
    create_session,
    update_session,
)
from lms.catalogue.models import Course
from lms.core import auth
from lms.core.auth import trainer_required
from lms.core.errors import DomainError
from lms.core.forms import apply_domain_error, fail
from lms.core.pagination import Page, page_href, paginate
from lms.core.time import as_utc, to_london, utcnow
from lms.extensions import db
from lms.organisations.models import Area, JobRole, Organisation, Sector

bp = Blueprint("sessions", __name__, url_prefix="/manage/sessions", template_folder="templates")

PER_PAGE = 25
WHEN_CHOICES = {"upcoming": "Upcoming", "past": "Past", "all": "All dates"}


# --- helpers ---------------------------------------------------------------------------------

def _managed_session(session_id: int) -> TrainingSession:
    """The session, if the signed-in trainer or admin may manage it (else 404 or 403)."""
    return managed_session(session_id, auth.actor())


def _bookable_courses(include: Course | None = None) -> list[Course]:
    """Active courses run on dates, by title (and the session's own course when editing)."""
    courses = list(db.session.scalars(
        select(Course).where(Course.delivery_mode.in_(services.BOOKABLE_MODES), Course.active.is_(True))
        .order_by(Course.title, Course.code)
    ))
    if include is not None and include not in courses:
        courses.append(include)
    return courses


def _bookable_course(code: str | None) -> Course | None:
    if not code:
        return None
    return db.session.scalar(
        select(Course).where(Course.code == code, Course.delivery_mode.in_(services.BOOKABLE_MODES), Course.active.is_(True))
    )


def _course_choices(courses: list[Course], blank: str = "Select a course") -> list[SelectChoice]:
    return [SelectChoice("", blank)] + [
        SelectChoice(course.code, f"{course.title} ({course.code}, {course.delivery_mode.replace('-', ' ')})")
        for course in courses
    ]


def _trainer_candidates(current: list[User]) -> list[User]:
    people = list(db.session.scalars(
        select(User).where(User.active.is_(True), or_(User.is_trainer.is_(True), User.is_admin.is_(True)))
        .order_by(func.lower(User.full_name), User.id)
    ))
    for person in current:
        if person not in people:
            people.append(person)
    return people


def _organisation_choices(current_id: int | None) -> list[SelectChoice]:
    rows = db.session.execute(
        select(Organisation.id, Organisation.name, Organisation.postcode)
        .where(or_(Organisation.active.is_(True), Organisation.id == (current_id or -1)))
        .order_by(Organisation.name, Organisation.id)
    ).all()
    return [SelectChoice("", "Open to everyone in the audience")] + [
        SelectChoice(row.id, f"{row.name} ({row.postcode})" if row.postcode else row.name) for row in rows
    ]


@dataclass
class _Choices:
    courses: dict[str, Course]
    trainers: dict[int, User]
    sectors: dict[int, Sector]
    roles: dict[int, JobRole]


def _setup(form: SessionForm, *, course: Course | None = None, session: TrainingSession | None = None) -> _Choices:
    """Fill the form's choices; returns the objects behind them."""
    courses = _bookable_courses(include=session.course if session is not None else course)
    form.course.choices = _course_choices(courses)
    form.area.choices = [SelectChoice("", "Not set")] + [
        SelectChoice(area.id, area.name) for area in db.session.scalars(select(Area).order_by(Area.position, Area.name))
    ]
    sectors = list(db.session.scalars(select(Sector).order_by(Sector.position, Sector.name)))
    roles = list(db.session.scalars(
        select(JobRole).where(JobRole.active.is_(True)).order_by(JobRole.position, JobRole.name)
    ))
    if session is not None:
        roles += [role for role in session.audience_roles if role not in roles]
    form.sectors.choices = [SelectChoice(sector.id, sector.name) for sector in sectors]
    form.roles.choices = [SelectChoice(role.id, role.name) for role in roles]
    trainers = _trainer_candidates(list(session.trainers) if session is not None else [])
    form.trainers.choices = [
        SelectChoice(person.id, person.full_name + ("" if person.is_trainer else " (partnership admin)"))
        for person in trainers
    ]
    form.organisation.choices = _organisation_choices(session.organisation_id if session is not None else None)
    return _Choices(
        courses={c.code: c for c in courses},
        trainers={p.id: p for p in trainers},
        sectors={s.id: s for s in sectors},
        roles={r.id: r for r in roles},
    )


def _add_error(field, message: str) -> None:
    field.errors = list(field.errors or []) + [message]


def _local_parts(value: datetime | None) -> tuple[date | None, time | None]:
    if value is None:
        return None, None
    local = to_london(value)
    return local.date(), local.time().replace(second=0, microsecond=0)


def _fill(form: SessionForm, details: SessionDetails, *, days_later: int = 0) -> None:
    """Show a session's details in the form; dates moved `days_later` days on the London
    calendar with the same local clock times (so a copy keeps 9:30am across a clock change)."""
    shift = timedelta(days=days_later)
    form.course.data = details.course.code
    start_day, start_time = _local_parts(details.starts_at)
    end_day, end_time = _local_parts(details.ends_at)
    form.day.data = start_day + shift
    form.start_time.data = start_time
    form.end_time.data = end_time
    form.end_day.data = end_day + shift if end_day != start_day else None
    form.location_kind.data = details.location_kind
    for name in ("venue_name", "venue_address", "venue_postcode", "access_notes", "joining_url", "joining_notes", "notes"):
        form[name].data = getattr(details, name) or ""
    form.area.data = details.area_id
    form.capacity.data = details.capacity
    form.minimum.data = details.minimum
    form.cancellation_working_days.data = details.cancellation_working_days
    form.requires_approval.data = details.requires_approval
    form.organisation.data = details.organisation_id
    form.trainers.data = [person.id for person in details.trainers]
    form.sectors.data = [sector.id for sector in details.sectors]
    form.roles.data = [role.id for role in details.roles]
    if details.signup_opens_at is not None:
        form.signup_opens_on.data = _local_parts(details.signup_opens_at)[0] + shift
    if as_utc(details.signup_closes_at) != as_utc(details.starts_at):
        closes_day, closes_time = _local_parts(details.signup_closes_at)
        form.signup_closes_on.data = closes_day + shift
        form.signup_closes_time.data = None if closes_time == DEFAULT_CLOSING_TIME else closes_time


def _fill_new(form: SessionForm, course: Course | None, actor: User) -> None:
    form.location_kind.data = "in-person"
    form.cancellation_working_days.data = DEFAULT_CANCELLATION_DAYS
    form.minimum.data = 0
    if actor.is_trainer:
        form.trainers.data = [actor.id]
    if course is not None:
        form.course.data = course.code
        form.sectors.data = [sector.id for sector in course.audience_sectors]
        form.roles.data = [role.id for role in course.audience_roles]
        if course.delivery_mode == "virtual":
            form.location_kind.data = "online"


def _details(form: SessionForm, choices: _Choices) -> SessionDetails | None:
    """The typed session as SessionDetails, or None with errors on the fields."""
    course = choices.courses.get(form.course.data or "")
    if course is None:
        _add_error(form.course, "Select a course from the list")
    starts_at = ends_at = closes_at = opens_at = None
    try:
        starts_at = london_to_utc(form.day.data, form.start_time.data)
    except ClockChangeError as error:
        _add_error(form.start_time, str(error))
    try:
        ends_at = london_to_utc(form.end_day.data or form.day.data, form.end_time.data)
    except ClockChangeError as error:
        _add_error(form.end_time, str(error))
    if form.signup_closes_on.data is not None:
        try:
            closes_at = london_to_utc(form.signup_closes_on.data, form.signup_closes_time.data or DEFAULT_CLOSING_TIME)
        except ClockChangeError as error:
            _add_error(form.signup_closes_time, str(error))
    elif form.signup_closes_time.data is not None:
        _add_error(form.signup_closes_on, "Enter the date booking closes, or leave the time blank")
    else:
        closes_at = starts_at
    if form.signup_opens_on.data is not None:
        opens_at = london_to_utc(form.signup_opens_on.data, time(0, 0))  # midnight is never skipped or repeated
    if form.errors or course is None or starts_at is None or ends_at is None or closes_at is None:
        return None
    return SessionDetails(
        course=course,
        starts_at=starts_at,
        ends_at=ends_at,
        capacity=form.capacity.data,
        signup_closes_at=closes_at,
        location_kind=form.location_kind.data,
        venue_name=form.venue_name.data,
        venue_address=form.venue_address.data,
        venue_postcode=(form.venue_postcode.data or "").strip().upper() or None,
        access_notes=form.access_notes.data,
        area_id=form.area.data,
        joining_url=form.joining_url.data,
        joining_notes=form.joining_notes.data,
        minimum=form.minimum.data or 0,
        signup_opens_at=opens_at,
        cancellation_working_days=form.cancellation_working_days.data,
        requires_approval=bool(form.requires_approval.data),
        organisation_id=form.organisation.data,
        notes=form.notes.data,
        trainers=[choices.trainers[i] for i in dict.fromkeys(form.trainers.data or []) if i in choices.trainers],
        sectors=[choices.sectors[i] for i in dict.fromkeys(form.sectors.data or []) if i in choices.sectors],
        roles=[choices.roles[i] for i in dict.fromkeys(form.roles.data or []) if i in choices.roles],
    )


def _show_domain_error(form, error: DomainError) -> None:
    fail(error)
    field = FIELD_FOR.get(error.field or "", error.field)
    apply_domain_error(form, DomainError(error.message, field=field), default_field="course")


def _people_told(session: TrainingSession) -> int:
    """People who hear about a change or a cancellation: with a place (not yet marked),
    on the waiting list, offered a place or awaiting approval."""
    counts = services.place_counts([session.id])[session.id]
    marked = db.session.scalar(
        select(func.count()).select_from(Booking)
        .where(Booking.session_id == session.id, Booking.status.in_(ATTENDANCE_STATUSES))
    ) or 0
    return counts["places"] - marked + counts["waiting"] + counts["requested"]


# --- the list --------------------------------------------------------------------------------

@dataclass
class ListQuery:
    """The list's filters, read from the query string; anything unexpected is ignored."""

    course: str = ""
    area: str = ""
    when: str = "upcoming"
    trainer: str = ""
    cancelled: bool = True
    page: int = 1

    @classmethod
    def from_args(cls, args: MultiDict) -> "ListQuery":
        page = args.get("page", "")
        when = args.get("when", "upcoming")
        trainer = args.get("trainer", "").strip()
        return cls(
            course=args.get("course", "").strip()[:30],
            area=args.get("area", "").strip()[:40],
            when=when if when in WHEN_CHOICES else "upcoming",
            trainer=trainer if trainer == "me" or (trainer.isascii() and trainer.isdigit() and len(trainer) < 10) else "",
            cancelled=args.get("cancelled", "show") != "hide",
            page=int(page) if page.isascii() and page.isdigit() and 0 < int(page) < 1_000_000 else 1,
        )

    def args(self) -> dict:
        values = {"course": self.course, "area": self.area, "when": self.when if self.when != "upcoming" else "",
                  "trainer": self.trainer, "cancelled": "" if self.cancelled else "hide"}
        return {key: value for key, value in values.items() if value}

    @property
    def filtered(self) -> bool:
        return bool(self.args())


def _run_by(trainer_id: int):
    """The sessions a trainer runs, found from the trainer's side (session_trainer's
    user_id index), not by testing every session ever held."""
    return TrainingSession.id.in_(select(session_trainer.c.session_id).where(session_trainer.c.user_id == trainer_id))


def _list_query(query: ListQuery, actor: User, now: datetime) -> Select:
    statement = select(TrainingSession)
    if not actor.is_admin:
        statement = statement.where(_run_by(actor.id))
    elif query.trainer:
        trainer_id = actor.id if query.trainer == "me" else int(query.trainer)
        statement = statement.where(_run_by(trainer_id))
    if query.course:
        statement = statement.join(Course, Course.id == TrainingSession.course_id).where(Course.code == query.course)
    if query.area:
        statement = statement.join(Area, Area.id == TrainingSession.area_id).where(Area.code == query.area)
    if not query.cancelled:
        statement = statement.where(TrainingSession.status == "scheduled")
    if query.when == "upcoming":
        statement = statement.where(TrainingSession.ends_at > now).order_by(TrainingSession.starts_at, TrainingSession.id)
    elif query.when == "past":
        statement = statement.where(TrainingSession.ends_at <= now).order_by(
            TrainingSession.starts_at.desc(), TrainingSession.id.desc()
        )
    else:
        statement = statement.order_by(TrainingSession.starts_at.desc(), TrainingSession.id.desc())
    return statement


def _page_links(page: Page, query: ListQuery) -> dict | None:
    """GOV.UK pagination parameters, each link keeping the filters; None when one page holds all."""
    args = query.args()
    return page.govuk_pagination(page_href("bookings.sessions.index", args), label="Session pages")


@bp.get("")
@trainer_required
def index():
    actor = auth.actor()
    now = utcnow()
    query = ListQuery.from_args(request.args)
    statement = _list_query(query, actor, now)
    page = paginate(
        statement.options(selectinload(TrainingSession.trainers), joinedload(TrainingSession.area),
                          joinedload(TrainingSession.organisation)),
        page=query.page, per_page=PER_PAGE,
    )
    sessions = page.items
    counts = services.place_counts([session.id for session in sessions])
    courses = list(db.session.execute(
        select(Course.code, Course.title).where(Course.delivery_mode.in_(services.BOOKABLE_MODES)).order_by(Course.title)
    ))
    areas = list(db.session.execute(select(Area.code, Area.name).order_by(Area.position, Area.name)))
    trainers = []
    if actor.is_admin:
        trainers = list(db.session.execute(
            select(User.id, User.full_name).where(User.is_trainer.is_(True)).order_by(func.lower(User.full_name))
        ))
    return render_template(
        "bookings/sessions/index.html", page=page, query=query, counts=counts, courses=courses, areas=areas,
        trainers=trainers, when_choices=WHEN_CHOICES, page_links=_page_links(page, query),
        session_when=session_when, session_where=session_where, now=now,
    )


# --- one session -----------------------------------------------------------------------------

def _last_on_time_day(session: TrainingSession) -> str:
    """The cancellation cut-off in words: '11:59pm on Tuesday 22 December 2026' (the
    deadline is the first moment after that London day), or the start for no cut-off."""
    deadline = as_utc(services.cancellation_deadline(session))
    if session.cancellation_working_days <= 0:
        return f"the start, {clock(deadline)} on {day(deadline)}"
    last = deadline - timedelta(minutes=1)
    return f"{clock(last)} on {day(last)}"


@bp.get("/<int:session_id>")
@trainer_required
def show(session_id: int):
    session = _managed_session(session_id)
    now = utcnow()
    bookings = list(db.session.scalars(
        select(Booking).where(Booking.session_id == session.id)
        .options(selectinload(Booking.user), selectinload(Booking.organisation), selectinload(Booking.booked_by))
        .order_by(Booking.queued_at, Booking.id)
    ))
    with_place = sorted((b for b in bookings if b.status in ("booked",) + ATTENDANCE_STATUSES),
                        key=lambda b: (b.user.full_name.lower(), b.id))
    offered = [b for b in bookings if b.status == "offered"]
    waiting = [b for b in bookings if b.status == "waitlisted"]  # queued_at, id: the waiting-list order
    requested = [b for b in bookings if b.status == "requested"]
    cancelled = sorted((b for b in bookings if b.status == "cancelled"),
                       key=lambda b: (b.cancelled_at or b.created_at, b.id), reverse=True)
    taken = len(with_place) + len(offered)
    return render_template(
        "bookings/sessions/show.html", session=session, now=now,
        with_place=with_place, offered=offered, waiting=waiting, requested=requested, cancelled=cancelled,
        taken=taken, places_left=max(session.capacity - taken, 0),
        signup_state=services.signup_state(session, now), last_on_time_day=_last_on_time_day(session),
        started=now >= as_utc(session.starts_at), session_when=session_when(session), session_where=session_where(session),
    )


# --- adding, copying and changing ------------------------------------------------------------

@bp.route("/new", methods=["GET", "POST"])
@trainer_required
def create():
    actor = auth.actor()
    code = request.args.get("course", "")
    course = _bookable_course(code)
    if request.method == "GET" and course is None:
        choose = ChooseCourseForm(request.args if code else None)
        choose.course.choices = _course_choices(_bookable_courses())
        if code:
            choose.validate()
            _add_error(choose.course, "Select a course from the list")
        return render_template("bookings/sessions/choose_course.html", form=choose)
    form = SessionForm()
    choices = _setup(form, course=course)
    if request.method == "GET":
        _fill_new(form, course, actor)
    elif form.validate_on_submit():
        details = _details(form, choices)
        if details is not None:
            try:
                session = create_session(details, actor=actor, now=utcnow())
            except DomainError as error:
                _show_domain_error(form, error)
            else:
                db.session.commit()
                flash(f"Session added: {session.course.title}, {session_when(session)}.", "success")
                return redirect(url_for("bookings.sessions.show", session_id=session.id))
    return render_template(
        "bookings/sessions/form.html", form=form, heading="Add a session", course=course, session=None, copy_of=None,
        people_told=0,
    )


@bp.route("/<int:session_id>/copy", methods=["GET", "POST"])
@trainer_required
def copy(session_id: int):
    actor = auth.actor()
    original = _managed_session(session_id)
    form = SessionForm()
    choices = _setup(form, session=original)
    if request.method == "GET":
        _fill(form, copy_details(original), days_later=COPY_SHIFT.days)
    elif form.validate_on_submit():
        details = _details(form, choices)
        if details is not None:
            try:
                session = create_session(details, actor=actor, now=utcnow())
            except DomainError as error:
                _show_domain_error(form, error)
            else:
                db.session.commit()
                flash(f"Session added: {session.course.title}, {session_when(session)}.", "success")
                return redirect(url_for("bookings.sessions.show", session_id=session.id))
    return render_template(
        "bookings/sessions/form.html", form=form, heading="Copy a session", course=original.course, session=None,
        copy_of=original, copy_of_when=session_when(original), people_told=0,
    )


@bp.route("/<int:session_id>/edit", methods=["GET", "POST"])
@trainer_required
def edit(session_id: int):
    actor = auth.actor()
    session = _managed_session(session_id)
    if session.is_cancelled:
        flash("This session was cancelled, so it cannot be changed. Copy it to run it again.", "info")
        return redirect(url_for("bookings.sessions.show", session_id=session.id))
    form = SessionForm()
    choices = _setup(form, session=session)
    if request.method == "GET":
        _fill(form, copy_details(session))
    elif form.validate_on_submit():
        details = _details(form, choices)
        if details is not None:
            sequence = session.sequence
            try:
                update_session(session, details, actor=actor, now=utcnow())
            except DomainError as error:
                _show_domain_error(form, error)
            else:
                told = session.sequence != sequence
                people = _people_told(session) if told else 0
                db.session.commit()
                message = "Session changed."
                if told and people:
                    message += f" We have emailed the {people} {'person' if people == 1 else 'people'} booked or waiting."
                flash(message, "success")
                return redirect(url_for("bookings.sessions.show", session_id=session.id))
    return render_template(
        "bookings/sessions/form.html", form=form, heading="Change the session", course=session.course, session=session,
        copy_of=None, people_told=_people_told(session),
    )


@bp.route("/<int:session_id>/cancel", methods=["GET", "POST"])
@trainer_required
def cancel(session_id: int):
    actor = auth.actor()
    session = _managed_session(session_id)
    if session.is_cancelled:
        flash("This session is already cancelled.", "info")
        return redirect(url_for("bookings.sessions.show", session_id=session.id))
    form = CancelSessionForm()
    if form.validate_on_submit():
        try:
            told = cancel_session(session, reason=form.reason.data, actor=actor, now=utcnow())
        except DomainError as error:
            fail(error, form, default_field="reason")
        else:
            db.session.commit()
            people = f"{told} {'person' if told == 1 else 'people'}"
            flash("Session cancelled. " + (f"We have emailed the reason to {people}." if told else "Nobody was booked."),
                  "success")
            return redirect(url_for("bookings.sessions.show", session_id=session.id))
    return render_template(
        "bookings/sessions/cancel.html", form=form, session=session, people_told=_people_told(session),
        session_when=session_when(session), started=utcnow() >= as_utc(session.starts_at),
    )
