"""The DSL network twilight series: making a year's series, its terms' topics and sessions,
copying them forward, booking (one session a term, or "the year" in one step), the title a
twilight's completion carries, and the per-term report.

A series is a Programme of kind "twilight-series" covering a school year (1 September to
31 August). Its sessions are ordinary TrainingSessions of the catalogue's twilight course
(delivery mode "twilight"), so the booking engine, the register and the training record
treat them as they treat every session; attendance counts towards the DSL annual update
through the course's delivery mode (compliance's baseline rule). What this module adds:

- terms: autumn (September to December), spring (January to 14 April), summer (15 April to
  August), each with a topic, the presenting agencies and materials that only the people
  who attended see;
- one live booking per person per term, whatever the concurrency: every twilight booking
  first takes the term's row lock (an UPDATE of lock_version), then the session's;
- the completion's title: "DSL network twilight, autumn 2026: Online extremism: the school
  response", given to the register through the completion_title signal.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import case, func, or_, select, update
from sqlalchemy.orm import selectinload

from lms.accounts.models import User
from lms.audit import services as audit
from lms.bookings import services as bookings
from lms.bookings.models import ATTENDANCE_STATUSES, LIVE_STATUSES, Booking, TrainingSession
from lms.bookings.sessions import services as sessions
from lms.catalogue.models import Course
from lms.core.errors import DomainError, Forbidden, NotFound
from lms.core.time import add_months, as_utc, format_date, london_today, to_london
from lms.extensions import db
from lms.records import services as records
from lms.records.models import Completion
from lms.organisations.models import Area, JobRole, Organisation, OrganisationType
from lms.programmes.models import Programme
from lms.programmes.twilights.models import TERM_ORDER, TwilightSession, TwilightTerm
from lms.signals import booking_problem, completion_title

KIND = "twilight-series"
# Who the twilights are for (DESIGN.md sections 3 and 8a): school DSLs, their deputies and
# early years DSLs.
AUDIENCE_ROLES = ("school-dsl", "deputy-dsl", "ey-dsl")
# The organisation types counted as schools in the per-term report.
SCHOOL_TYPES = ("primary-school", "secondary-school", "all-through-school", "special-school",
                "independent-school", "alternative-provision")
# Hosts are schools and other education settings.
HOST_SECTOR = "education"
DEFAULT_CAPACITY = 100
# Booking closes at noon on the day (London), or at the start if that is earlier.
SIGNUP_CLOSES_AT = time(12, 0)
CANCELLATION_WORKING_DAYS = 2


# --- terms and dates ----------------------------------------------------------------------


def academic_year_of(day: date) -> int:
    """The year a school year starts in: 2026 for any day from 1 Sep 2026 to 31 Aug 2027."""
    return day.year if day.month >= 9 else day.year - 1


def year_label(start_year: int) -> str:
    return f"{start_year}-{(start_year + 1) % 100:02d}"


def term_window(start_year: int, term: str) -> tuple[date, date]:
    """The first and last days a term's twilights may fall on."""
    return {
        "autumn": (date(start_year, 9, 1), date(start_year, 12, 31)),
        "spring": (date(start_year + 1, 1, 1), date(start_year + 1, 4, 14)),
        "summer": (date(start_year + 1, 4, 15), date(start_year + 1, 8, 31)),
    }[term]


def _same_weekday_near(target: date, weekday: int) -> date:
    """The day with `weekday` nearest to `target` (up to three days either side)."""
    shift = (weekday - target.weekday()) % 7
    if shift > 3:
        shift -= 7
    return target + timedelta(days=shift)


def _into_window(day: date, window: tuple[date, date]) -> date:
    """Move a day by whole weeks until it lies in the window (keeping its weekday)."""
    first, last = window
    while day < first:
        day += timedelta(days=7)
    while day > last:
        day -= timedelta(days=7)
    return day


# --- reading ------------------------------------------------------------------------------


def get_series(programme_id: int) -> Programme:
    programme = db.session.get(Programme, programme_id)
    if programme is None or programme.kind != KIND:
        raise NotFound("There is no such twilight series")
    return programme


def get_term(term_id: int) -> TwilightTerm:
    term = db.session.get(TwilightTerm, term_id)
    if term is None:
        raise NotFound("There is no such term")
    return term


def list_series() -> list[Programme]:
    return list(db.session.scalars(
        select(Programme).where(Programme.kind == KIND).order_by(Programme.starts_on.desc())
    ))


def current_series(now: datetime) -> Programme | None:
    """This school year's series, or else the next one."""
    today = london_today(now)
    return db.session.scalar(
        select(Programme).where(Programme.kind == KIND, Programme.ends_on >= today).order_by(Programme.starts_on)
    )


def terms_of(programme: Programme) -> list[TwilightTerm]:
    terms = db.session.scalars(
        select(TwilightTerm).where(TwilightTerm.programme_id == programme.id)
        .options(selectinload(TwilightTerm.sessions).selectinload(TwilightSession.session),
                 selectinload(TwilightTerm.sessions).selectinload(TwilightSession.area),
                 selectinload(TwilightTerm.sessions).selectinload(TwilightSession.host))
    )
    return sorted(terms, key=lambda t: TERM_ORDER.index(t.term))


def term_sessions(term: TwilightTerm, *, include_cancelled: bool = False) -> list[TwilightSession]:
    """The term's sessions by area order, then date."""
    rows = [row for row in term.sessions if include_cancelled or not row.session.is_cancelled]
    return sorted(rows, key=lambda r: (r.area.position, r.area.name, as_utc(r.session.starts_at)))


def twilight_of(session: TrainingSession) -> TwilightSession | None:
    return db.session.scalar(select(TwilightSession).where(TwilightSession.session_id == session.id))


def twilight_course() -> Course:
    """The catalogue's twilight course: the active course of delivery mode "twilight"
    (TWILIGHT if there are several)."""
    courses = list(db.session.scalars(
        select(Course).where(Course.delivery_mode == "twilight", Course.active.is_(True)).order_by(Course.id)
    ))
    if not courses:
        raise DomainError("The catalogue has no active course of delivery mode ‘DSL network twilight’: add it first",
                          field="course")
    return next((c for c in courses if c.code == "TWILIGHT"), courses[0])


def places_left(rows: list[TwilightSession]) -> dict[int, int]:
    """{session id: places left} for the sessions of `rows`, in one statement."""
    counts = bookings.place_counts([row.session_id for row in rows])
    return {row.session_id: max(row.session.capacity - counts[row.session_id]["places"], 0) for row in rows}


def bookings_in_series(programme: Programme, person: User) -> dict[int, Booking]:
    """{term id: the person's live booking in that term} (the latest, if there were ever
    more than one)."""
    rows = db.session.execute(
        select(TwilightSession.term_id, Booking)
        .join(Booking, Booking.session_id == TwilightSession.session_id)
        .join(TwilightTerm, TwilightTerm.id == TwilightSession.term_id)
        .where(TwilightTerm.programme_id == programme.id, Booking.user_id == person.id,
               Booking.status.in_(LIVE_STATUSES))
        .order_by(Booking.id)
    ).all()
    return {term_id: booking for term_id, booking in rows}


def attended_term(term: TwilightTerm, person: User) -> bool:
    return db.session.scalar(
        select(func.count()).select_from(Booking)
        .join(TwilightSession, TwilightSession.session_id == Booking.session_id)
        .where(TwilightSession.term_id == term.id, Booking.user_id == person.id,
               Booking.status.in_(("attended", "partly-attended")))
    ) > 0


def may_see_materials(term: TwilightTerm, person: User | None) -> bool:
    """The materials are for the people who attended (and the partnership's staff)."""
    if person is None:
        return False
    return person.is_admin or person.is_trainer or attended_term(term, person)


def series_detail(programme: Programme) -> dict:
    """The series as plain JSON-ready values: its terms in order, each with its topic and its
    sessions (area, host, when in UTC ISO 8601, venue, places and places left). Materials
    are not included: they are only for the people who attended."""
    terms = terms_of(programme)
    rows = [row for term in terms for row in term_sessions(term)]
    left = places_left(rows)
    return {
        "id": programme.id,
        "kind": programme.kind,
        "title": programme.title,
        "starts_on": programme.starts_on.isoformat(),
        "ends_on": programme.ends_on.isoformat(),
        "summary": programme.summary,
        "terms": [{
            "id": term.id,
            "term": term.term,
            "name": term.label,
            "topic": {"title": term.topic_title, "summary": term.topic_summary, "agencies": term.agencies},
            "sessions": [{
                "session_id": row.session_id,
                "area": {"code": row.area.code, "name": row.area.name},
                "host": {"id": row.host_id, "name": row.host.name},
                "starts_at": as_utc(row.session.starts_at).isoformat(),
                "ends_at": as_utc(row.session.ends_at).isoformat(),
                "venue": {"name": row.session.venue_name, "address": row.session.venue_address,
                          "postcode": row.session.venue_postcode},
                "capacity": row.session.capacity,
                "places_left": left[row.session_id],
            } for row in term_sessions(term)],
        } for term in terms],
    }


# --- the completion's title ---------------------------------------------------------------


def completion_title_for(session: TrainingSession) -> str | None:
    """"DSL network twilight, autumn 2026: Online extremism: the school response" for a
    series' session, None for any other session."""
    row = twilight_of(session)
    if row is None:
        return None
    term = row.term
    title = f"{session.course.title}, {term.term_name.lower()} {term.year}"
    if term.topic_title:
        title = f"{title}: {term.topic_title}"
    return title[:200]


def _answer_title(sender, session=None, **_):
    return completion_title_for(session) if session is not None else None


def _answer_booking_problem(sender, session=None, person=None, now=None, **_):
    """One live twilight booking per person per term, whichever page or API books it."""
    if session is None or person is None:
        return None
    row = twilight_of(session)
    if row is None:
        return None
    return term_conflict(row, person)


def connect_signals() -> None:
    completion_title.connect(_answer_title, weak=False)
    booking_problem.connect(_answer_booking_problem, weak=False)


# --- making a series ----------------------------------------------------------------------


def _check_admin(actor: User) -> None:
    if not actor.is_admin:
        raise Forbidden("Only partnership admins can change the twilight series")


def _new_series(start_year: int, summary: str | None, *, now: datetime) -> Programme:
    programme = Programme(
        kind=KIND, title=f"DSL network twilights {year_label(start_year)}",
        starts_on=date(start_year, 9, 1), ends_on=date(start_year + 1, 8, 31),
        summary=(summary or "").strip() or None, created_at=now, updated_at=now,
    )
    db.session.add(programme)
    db.session.flush()
    for term in TERM_ORDER:
        db.session.add(TwilightTerm(programme_id=programme.id, term=term, lock_version=0, updated_at=now))
    db.session.flush()
    return programme


def series_for_year(start_year: int) -> Programme | None:
    return db.session.scalar(select(Programme).where(Programme.kind == KIND, Programme.starts_on == date(start_year, 9, 1)))


def create_series(start_year: int, *, summary: str | None, actor: User, now: datetime) -> Programme:
    """A series for the school year starting in September of `start_year`, with its three
    terms (topics to be announced)."""
    _check_admin(actor)
    if not 2000 <= start_year <= 2100:
        raise DomainError("Enter the year the school year starts in, like 2026", field="start_year")
    if series_for_year(start_year) is not None:
        raise DomainError(f"There is already a twilight series for {year_label(start_year)}", field="start_year")
    programme = _new_series(start_year, summary, now=now)
    audit.record(actor, "twilights.create", target=programme, now=now,
                 summary=f"Added the DSL network twilight series {year_label(start_year)}",
                 after={"title": programme.title, "starts_on": programme.starts_on, "ends_on": programme.ends_on})
    return programme


@dataclass
class TopicValues:
    title: str = ""
    summary: str = ""
    agencies: str = ""
    materials_url: str = ""
    materials_text: str = ""


TOPIC_FIELDS = ("topic_title", "topic_summary", "agencies", "materials_url", "materials_text")


def update_topic(term: TwilightTerm, values: TopicValues, *, actor: User, now: datetime) -> TwilightTerm:
    _check_admin(actor)
    title = values.title.strip()
    if not title:
        raise DomainError("Enter the term’s topic", field="title")
    if len(title) > 150:
        raise DomainError("The topic must be 150 characters or fewer", field="title")
    url = values.materials_url.strip()
    if url and not url.lower().startswith("https://"):
        raise DomainError("The materials link must start https://", field="materials_url")
    if len(url) > 500:
        raise DomainError("The materials link must be 500 characters or fewer", field="materials_url")
    before = audit.snapshot(term, list(TOPIC_FIELDS))
    term.topic_title = title
    term.topic_summary = values.summary.strip() or None
    term.agencies = values.agencies.strip() or None
    term.materials_url = url or None
    term.materials_text = values.materials_text.strip() or None
    term.updated_at = now
    db.session.flush()
    changed_before, changed_after = audit.changed(before, audit.snapshot(term, list(TOPIC_FIELDS)))
    if changed_after:
        audit.record(actor, "twilights.topic", target=term, now=now,
                     summary=f"Changed the {term.label} twilight topic", before=changed_before, after=changed_after)
    if "topic_title" in changed_after:
        _retitle_completions(term, now=now)
    return term


def _retitle_completions(term: TwilightTerm, *, now: datetime) -> int:
    """Give the completions already recorded at the term's twilights the new topic (a topic
    corrected after the registers were marked), through the record's own update."""
    found = db.session.execute(
        select(Completion, TrainingSession)
        .join(Booking, Booking.completion_id == Completion.id)
        .join(TrainingSession, TrainingSession.id == Booking.session_id)
        .join(TwilightSession, TwilightSession.session_id == Booking.session_id)
        .where(TwilightSession.term_id == term.id)
    ).all()
    for completion, session in found:
        title = completion_title_for(session)
        if title and completion.title != title:
            records.update_completion(completion, title=title, on=completion.completed_on,
                                      hours=completion.cpd_hours, now=now)
    return len(found)


# --- a term's sessions --------------------------------------------------------------------


def audience_roles() -> list[JobRole]:
    return list(db.session.scalars(select(JobRole).where(JobRole.code.in_(AUDIENCE_ROLES)).order_by(JobRole.position)))


def areas() -> list[Area]:
    return list(db.session.scalars(select(Area).order_by(Area.position, Area.name)))


def possible_hosts(area: Area) -> list[Organisation]:
    """Active education settings in the area, by name."""
    return list(db.session.scalars(
        select(Organisation)
        .where(Organisation.area_id == area.id, Organisation.active.is_(True),
               Organisation.sector.has(code=HOST_SECTOR))
        .order_by(Organisation.name)
    ))


@dataclass
class PlannedSession:
    area: Area
    host: Organisation
    day: date


@dataclass
class TermPlan:
    starts: time
    ends: time
    sessions: list[PlannedSession]
    capacity: int = DEFAULT_CAPACITY
    trainers: list[User] = field(default_factory=list)


def _london(day: date, clock: time) -> datetime:
    from lms.bookings.sessions.forms import ClockChangeError, london_to_utc

    try:
        return london_to_utc(day, clock)
    except ClockChangeError as error:
        raise DomainError(str(error), field="starts") from None


def _details(term: TwilightTerm, planned: PlannedSession, *, starts: time, ends: time, capacity: int,
             trainers: list[User], course: Course, roles: list[JobRole]) -> sessions.SessionDetails:
    host = planned.host
    starts_at = _london(planned.day, starts)
    ends_at = _london(planned.day, ends)
    closes = min(_london(planned.day, SIGNUP_CLOSES_AT), starts_at)
    return sessions.SessionDetails(
        course=course, starts_at=starts_at, ends_at=ends_at, capacity=capacity,
        signup_closes_at=closes, cancellation_working_days=CANCELLATION_WORKING_DAYS,
        venue_name=host.name, venue_address=host.address or host.name, venue_postcode=host.postcode,
        access_notes=f"Hosted by {host.name}: sign in at the school office.",
        area_id=planned.area.id, trainers=list(trainers), roles=list(roles),
        notes=f"DSL network twilight, {term.label}",
    )


def _add_sessions(term: TwilightTerm, plan: TermPlan, *, actor: User, now: datetime) -> list[TwilightSession]:
    window = term_window(term.programme.starts_on.year, term.term)
    taken = {row.area_id for row in term.sessions if not row.session.is_cancelled}
    course = twilight_course()
    roles = audience_roles()
    made = []
    if not plan.sessions:
        raise DomainError("Choose a host school for at least one area", field="hosts")
    for planned in plan.sessions:
        host_field = f"host_{planned.area.id}"
        if not window[0] <= planned.day <= window[1]:
            raise DomainError(
                f"The {term.term_name.lower()} term’s twilights must be between {format_date(window[0])} "
                f"and {format_date(window[1])}", field="day")
        if planned.area.id in taken:
            raise DomainError(f"{planned.area.name} already has a twilight in the {term.label} term", field=host_field)
        if planned.host.area_id != planned.area.id or not planned.host.active:
            raise DomainError(f"Choose a school in {planned.area.name} to host", field=host_field)
        if plan.ends <= plan.starts:
            raise DomainError("The end must be after the start", field="ends")
        details = _details(term, planned, starts=plan.starts, ends=plan.ends, capacity=plan.capacity,
                           trainers=plan.trainers, course=course, roles=roles)
        if as_utc(details.starts_at) <= as_utc(now):
            raise DomainError("Choose a day in the future", field="day")
        try:
            session = sessions.create_session(details, actor=actor, now=now)
        except DomainError as error:
            if error.field == "capacity":
                raise DomainError(error.message, field="capacity") from None
            raise
        row = TwilightSession(term_id=term.id, session_id=session.id, area_id=planned.area.id, host_id=planned.host.id)
        db.session.add(row)
        taken.add(planned.area.id)
        made.append(row)
    db.session.flush()
    db.session.refresh(term)
    return made


def create_term_sessions(term: TwilightTerm, plan: TermPlan, *, actor: User, now: datetime) -> list[TwilightSession]:
    """Add a session in each planned area, hosted by the school chosen there, its address as
    the venue. All or nothing."""
    _check_admin(actor)
    made = _add_sessions(term, plan, actor=actor, now=now)
    audit.record(actor, "twilights.sessions", target=term, now=now,
                 summary=f"Added {len(made)} twilight session{'s' if len(made) != 1 else ''} for {term.label}",
                 after={"sessions": [{"area": r.area.name, "host": r.host.name, "session_id": r.session_id} for r in made]})
    return made


def _next_term(term: TwilightTerm, *, now: datetime) -> TwilightTerm:
    index = TERM_ORDER.index(term.term)
    if index < len(TERM_ORDER) - 1:
        programme, code = term.programme, TERM_ORDER[index + 1]
    else:
        start = term.programme.starts_on.year + 1
        programme = series_for_year(start) or _new_series(start, term.programme.summary, now=now)
        code = TERM_ORDER[0]
    return db.session.scalar(select(TwilightTerm).where(TwilightTerm.programme_id == programme.id, TwilightTerm.term == code))


# How far a term's twilight moves to the next term (then to the nearest same weekday).
_MONTHS_TO_NEXT = {"autumn": 4, "spring": 3, "summer": 4}


def moved_day(day: date, *, months: int, window: tuple[date, date]) -> date:
    return _into_window(_same_weekday_near(add_months(day, months), day.weekday()), window)


def _copy(source: TwilightTerm, target: TwilightTerm, move, *, actor: User, now: datetime) -> list[TwilightSession]:
    taken = {row.area_id for row in target.sessions if not row.session.is_cancelled}
    planned_by_times: dict[tuple, TermPlan] = {}
    for row in term_sessions(source):
        if row.area_id in taken or not row.host.active:
            continue
        session = row.session
        starts, ends = to_london(session.starts_at), to_london(session.ends_at)
        key = (starts.time(), ends.time(), session.capacity, tuple(t.id for t in session.trainers))
        plan = planned_by_times.setdefault(key, TermPlan(starts=starts.time(), ends=ends.time(), sessions=[],
                                                         capacity=session.capacity, trainers=list(session.trainers)))
        plan.sessions.append(PlannedSession(area=row.area, host=row.host, day=move(starts.date())))
    made = []
    for plan in planned_by_times.values():
        made += _add_sessions(target, plan, actor=actor, now=now)
    return made


def copy_term_forward(term: TwilightTerm, *, actor: User, now: datetime) -> tuple[TwilightTerm, list[TwilightSession]]:
    """Copy a term's sessions into the next term (summer's into next year's autumn): the same
    areas, hosts, times and places, each on the same weekday about a term later. Areas that
    already have a session there are left as they are."""
    _check_admin(actor)
    target = _next_term(term, now=now)
    window = term_window(target.programme.starts_on.year, target.term)
    made = _copy(term, target, lambda day: moved_day(day, months=_MONTHS_TO_NEXT[term.term], window=window),
                 actor=actor, now=now)
    if not made:
        raise DomainError(f"Nothing to copy: every area of {term.label} already has a session in {target.label}, "
                          "or the term has none", field="copy")
    audit.record(actor, "twilights.copy-term", target=target, now=now,
                 summary=f"Copied {term.label}'s twilights to {target.label} ({len(made)} sessions)",
                 after={"from_term_id": term.id, "sessions": [r.session_id for r in made]})
    return target, made


def copy_year_forward(programme: Programme, *, actor: User, now: datetime) -> tuple[Programme, list[TwilightSession]]:
    """Copy a whole series to the next school year (made if missing): each term's sessions
    into the same term, 52 weeks later (so on the same weekday), areas, hosts, times and
    places kept. Topics are the new year's to set."""
    _check_admin(actor)
    start = programme.starts_on.year + 1
    target = series_for_year(start) or _new_series(start, programme.summary, now=now)
    target_terms = {t.term: t for t in terms_of(target)}
    made = []
    for term in terms_of(programme):
        into = target_terms[term.term]
        window = term_window(start, term.term)
        made += _copy(term, into, lambda day, w=window: _into_window(day + timedelta(weeks=52), w), actor=actor, now=now)
    if not made:
        raise DomainError(f"Nothing to copy into {year_label(start)}: its terms already have these sessions, "
                          "or this year has none", field="copy")
    audit.record(actor, "twilights.copy-year", target=target, now=now,
                 summary=f"Copied the {year_label(programme.starts_on.year)} twilights to {year_label(start)} "
                         f"({len(made)} sessions)",
                 after={"from_programme_id": programme.id, "sessions": [r.session_id for r in made]})
    return target, made


# --- booking ------------------------------------------------------------------------------


def eligibility_problem(person: User) -> str | None:
    """Why the person cannot book twilights, or None."""
    codes = {role.job_role.code for role in person.current_roles}
    if codes & set(AUDIENCE_ROLES):
        return None
    names = ", ".join(role.name for role in audience_roles())
    held = ", ".join(sorted(role.job_role.name for role in person.current_roles)) or "none"
    return (f"DSL network twilights are for designated safeguarding leads and their deputies ({names}). "
            f"Your job roles on your account are: {held}. If you have become a DSL or deputy, "
            "update your job roles first.")


def term_to_book(person: User, *, now: datetime) -> TwilightTerm | None:
    """The soonest term of this year's (or the next) series that has a twilight open for
    booking now and in which the person, a DSL or deputy, holds no place: what their home
    page asks them to book. None for anyone else. One statement (the person's roles are
    already loaded by the caller's own work)."""
    if not {role.job_role.code for role in person.current_roles} & set(AUDIENCE_ROLES):
        return None
    bookable = (
        select(TwilightSession.id)
        .join(TrainingSession, TrainingSession.id == TwilightSession.session_id)
        .where(TwilightSession.term_id == TwilightTerm.id, TrainingSession.status == "scheduled",
               TrainingSession.starts_at > now, TrainingSession.signup_closes_at > now,
               or_(TrainingSession.signup_opens_at.is_(None), TrainingSession.signup_opens_at <= now))
        .exists()
    )
    booked = (
        select(Booking.id)
        .join(TwilightSession, TwilightSession.session_id == Booking.session_id)
        .where(TwilightSession.term_id == TwilightTerm.id, Booking.user_id == person.id,
               Booking.status.in_(LIVE_STATUSES))
        .exists()
    )
    order = case({code: index for index, code in enumerate(TERM_ORDER)}, value=TwilightTerm.term)
    return db.session.scalar(
        select(TwilightTerm).join(Programme, Programme.id == TwilightTerm.programme_id)
        .where(Programme.kind == KIND, Programme.ends_on >= london_today(now), bookable, ~booked)
        .order_by(Programme.starts_on, order)
        .limit(1)
    )


def _lock_term(term: TwilightTerm) -> None:
    db.session.execute(
        update(TwilightTerm).where(TwilightTerm.id == term.id)
        .values(lock_version=TwilightTerm.lock_version + 1).execution_options(synchronize_session=False)
    )


def live_booking_in_term(term: TwilightTerm, person: User) -> Booking | None:
    return db.session.scalar(
        select(Booking).join(TwilightSession, TwilightSession.session_id == Booking.session_id)
        .where(TwilightSession.term_id == term.id, Booking.user_id == person.id, Booking.status.in_(LIVE_STATUSES))
        .order_by(Booking.id)
    )


def _where(row: TwilightSession) -> str:
    return f"{row.area.name} ({row.host.name}) on {format_date(to_london(row.session.starts_at).date())}"


def book_session(session: TrainingSession, person: User, *, now: datetime) -> Booking:
    """Book the person themselves on one twilight, in any area: one live booking a term."""
    row = twilight_of(session)
    if row is None:
        raise NotFound("This session is not part of a twilight series")
    problem = eligibility_problem(person)
    if problem:
        raise DomainError(problem, field="session")
    conflict = term_conflict(row, person)
    if conflict:
        raise DomainError(conflict, field="session")
    return bookings.book(session, person, actor=person, now=now)


def term_conflict(row: TwilightSession, person: User) -> str | None:
    """Why the person may not book this twilight because they hold another in its term, or
    None. Takes the term's row lock first, so two requests for the same person queue."""
    _lock_term(row.term)
    existing = live_booking_in_term(row.term, person)
    if existing is None or existing.session_id == row.session_id:
        return None
    other = twilight_of(existing.session)
    return (f"You already have a twilight in {row.term.label}: {_where(other)} ({existing.status_name.lower()}). "
            "Cancel it first to change to another area.")


@dataclass
class YearPlace:
    """What "book the year" did for one term: a booking (new, or one the person already
    had) or a note saying why there is none."""

    term: TwilightTerm
    booking: Booking | None = None
    new: bool = False
    note: str | None = None
    twilight: TwilightSession | None = None


def book_the_year(programme: Programme, person: User, *, now: datetime) -> list[YearPlace]:
    """Book the person themselves on one session a term in their own area (their
    organisation's): a place where there is one, the waiting list where it is full. Terms
    they already have a booking in, terms already held and terms with no session in their
    area are left with a note. One transaction: the caller commits; nothing is booked when
    nothing can be."""
    problem = eligibility_problem(person)
    if problem:
        raise DomainError(problem, field="programme")
    area = person.organisation.area if person.organisation is not None else None
    if area is None:
        raise DomainError("Your organisation has no area recorded, so we cannot tell which twilights are yours: "
                          "book a session for each term instead", field="programme")
    places = []
    for term in terms_of(programme):
        _lock_term(term)
        place = YearPlace(term=term)
        places.append(place)
        existing = live_booking_in_term(term, person)
        if existing is not None:
            place.booking, place.twilight = existing, twilight_of(existing.session)
            place.note = f"You already had this term’s twilight ({existing.status_name.lower()})"
            continue
        mine = [row for row in term_sessions(term) if row.area_id == area.id]
        if not mine:
            place.note = f"There is no twilight in {area.name} this term yet"
            continue
        row = min(mine, key=lambda r: as_utc(r.session.starts_at))
        place.twilight = row
        closed = bookings.signup_problem(row.session, now)
        if closed:
            place.note = closed
            continue
        place.booking = bookings.book(row.session, person, actor=person, now=now)
        place.new = True
    if not any(place.new for place in places):
        notes = "; ".join(f"{place.term.label}: {place.note}" for place in places)
        raise DomainError(f"Nothing was booked. {notes}", field="programme")
    return places


# --- the per-term report ------------------------------------------------------------------


@dataclass
class AreaLine:
    area: Area
    host: Organisation
    session: TrainingSession
    booked: int
    attended: int


@dataclass
class TermReport:
    term: TwilightTerm
    lines: list[AreaLine]
    attended: int
    schools: int
    represented: int
    not_represented: list[Organisation]

    @property
    def share(self) -> Decimal:
        """Schools represented, as a percentage of all schools (one decimal place)."""
        if not self.schools:
            return Decimal("0")
        return (Decimal(self.represented) * 100 / self.schools).quantize(Decimal("0.1"))


ATTENDED = ("attended", "partly-attended")


def check_may_report(actor: User) -> None:
    if not (actor.is_admin or actor.is_trainer):
        raise Forbidden("Only partnership admins and trainers can see the twilight reports")


def term_report(term: TwilightTerm, *, actor: User) -> TermReport:
    """DSLs attending by area, schools represented among all active schools (SCHOOL_TYPES)
    and the schools with nobody at any of the term's twilights."""
    check_may_report(actor)
    rows = term_sessions(term)
    counts = {sid: {"booked": 0, "attended": 0} for sid in (r.session_id for r in rows)}
    if counts:
        for session_id, status, number in db.session.execute(
            select(Booking.session_id, Booking.status, func.count()).where(
                Booking.session_id.in_(list(counts)), Booking.status.in_(("booked",) + ATTENDANCE_STATUSES))
            .group_by(Booking.session_id, Booking.status)
        ):
            counts[session_id]["booked"] += number
            if status in ATTENDED:
                counts[session_id]["attended"] += number
    lines = [AreaLine(area=r.area, host=r.host, session=r.session, booked=counts[r.session_id]["booked"],
                      attended=counts[r.session_id]["attended"]) for r in rows]
    attended_people = db.session.scalar(
        select(func.count(func.distinct(Booking.user_id))).where(
            Booking.session_id.in_(list(counts) or [0]), Booking.status.in_(ATTENDED))
    ) or 0
    schools = list(db.session.scalars(
        select(Organisation).join(OrganisationType, OrganisationType.id == Organisation.type_id)
        .where(OrganisationType.code.in_(SCHOOL_TYPES), Organisation.active.is_(True))
        .options(selectinload(Organisation.area))
    ))
    present = set(db.session.scalars(
        select(func.distinct(Booking.organisation_id)).where(
            Booking.session_id.in_(list(counts) or [0]), Booking.status.in_(ATTENDED),
            Booking.organisation_id.is_not(None))
    ))
    missing = sorted((s for s in schools if s.id not in present),
                     key=lambda s: ((s.area.position, s.area.name) if s.area else (10**6, ""), s.name.lower()))
    return TermReport(term=term, lines=lines, attended=attended_people, schools=len(schools),
                      represented=len(schools) - len(missing), not_represented=missing)


REPORT_HEADER = ("School", "Type", "Area", "URN")


def not_represented_rows(report: TermReport) -> list[tuple]:
    return [(s.name, s.type.name, s.area.name if s.area else "", s.urn or "") for s in report.not_represented]


AREA_HEADER = ("Area", "Host school", "Date", "Booked or marked", "Attended")


def area_rows(report: TermReport) -> list[tuple]:
    return [(line.area.name, line.host.name, to_london(line.session.starts_at).date(), line.booked, line.attended)
            for line in report.lines]

