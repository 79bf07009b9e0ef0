"""The public month calendar of sessions and its iCalendar feed.

Anyone may look: outreach sessions (closed to one organisation) show only to the people
allowed to see them (services.visible_to). Days and times are London's; a session is on
the London day it starts. The feed never carries joining links (ics.feed_ics)."""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import Blueprint, Response, current_app, render_template, request, url_for
from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload, selectinload

from lms.bookings import ics, services
from lms.bookings.formatting import clock
from lms.bookings.models import TrainingSession
from lms.catalogue.models import Course
from lms.core import auth
from lms.core.time import LONDON, as_utc, to_london, utcnow
from lms.core.urls import external_url
from lms.extensions import db
from lms.organisations.models import Area

bp = Blueprint("calendar", __name__, template_folder="templates")

# How far ahead the feed reaches, and at most how many sessions it carries.
FEED_DAYS = 366
FEED_LIMIT = 1000
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def _month_start(text: str | None, today: date) -> date:
    """The first day of ?month=YYYY-MM; this month when it is missing or not a month."""
    match = _MONTH.match(text or "")
    if match:
        year, month = int(match[1]), int(match[2])
        if 2000 <= year <= 2100 and 1 <= month <= 12:
            return date(year, month, 1)
    return today.replace(day=1)


def _next_month(first: date) -> date:
    return (first + timedelta(days=32)).replace(day=1)


def _previous_month(first: date) -> date:
    return (first - timedelta(days=1)).replace(day=1)


def _london_midnight(day: date) -> datetime:
    """Midnight at the start of a London day, in UTC (UK clocks never change at midnight)."""
    return as_utc(datetime(day.year, day.month, day.day, tzinfo=LONDON))


@dataclass
class Filters:
    course: str = ""
    area: str = ""

    @classmethod
    def from_args(cls, args) -> "Filters":
        return cls(course=args.get("course", "").strip()[:30], area=args.get("area", "").strip()[:40])

    def apply(self, query: Select) -> Select:
        if self.course:
            query = query.where(TrainingSession.course_id.in_(select(Course.id).where(Course.code == self.course)))
        if self.area:
            query = query.where(TrainingSession.area_id.in_(select(Area.id).where(Area.code == self.area)))
        return query

    def args(self) -> dict:
        return {key: value for key, value in (("course", self.course), ("area", self.area)) if value}


def _status(session: TrainingSession, state: str, places_left: int) -> str:
    if state == "cancelled":
        return "Cancelled"
    if state == "finished":
        return "Started or finished"
    if state == "not-open":
        opens = to_london(session.signup_opens_at)
        return f"Booking opens {opens.day} {opens:%B}"
    if state == "closed":
        return "Booking closed"
    if places_left <= 0:
        return "Full: you can join the waiting list"
    return f"{places_left} place{'' if places_left == 1 else 's'} left"


@bp.get("/sessions/calendar")
def month():
    now = utcnow()
    first = _month_start(request.args.get("month"), to_london(now).date())
    after = _next_month(first)
    filters = Filters.from_args(request.args)
    query = (
        select(TrainingSession)
        .where(TrainingSession.starts_at >= _london_midnight(first), TrainingSession.starts_at < _london_midnight(after))
        .options(joinedload(TrainingSession.area), joinedload(TrainingSession.organisation))
        .order_by(TrainingSession.starts_at, TrainingSession.id)
    )
    sessions = list(db.session.scalars(services.visible_to(filters.apply(query), auth.actor())).unique())
    counts = services.place_counts([session.id for session in sessions])
    by_day: dict[date, list[dict]] = {}
    for session in sessions:
        places_left = max(session.capacity - counts[session.id]["places"], 0)
        by_day.setdefault(to_london(session.starts_at).date(), []).append({
            "session": session,
            "time": f"{clock(session.starts_at)} to {clock(session.ends_at)}",
            "status": _status(session, services.signup_state(session, now), places_left),
            "cancelled": session.is_cancelled,
        })
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    courses = list(db.session.execute(
        select(Course.code, Course.title)
        .where(Course.delivery_mode.in_(services.BOOKABLE_MODES), Course.active.is_(True)).order_by(Course.title)
    ))
    areas = list(db.session.execute(select(Area.code, Area.name).order_by(Area.position, Area.name)))
    args = filters.args()
    previous, following = _previous_month(first), _next_month(first)
    return render_template(
        "bookings/calendar/month.html",
        first=first, weeks=weeks, by_day=by_day, filters=filters, courses=courses, areas=areas,
        today=to_london(now).date(),
        previous={"href": url_for("bookings.calendar.month", month=f"{previous:%Y-%m}", **args),
                  "labelText": f"{previous:%B %Y}"},
        following={"href": url_for("bookings.calendar.month", month=f"{following:%Y-%m}", **args),
                   "labelText": f"{following:%B %Y}"},
        feed_url=external_url("bookings.calendar.feed", **args),
        session_href_prefix=url_for("bookings.session", session_id=0).removesuffix("0"),
    )


@bp.get("/sessions/calendar.ics")
def feed():
    """Upcoming sessions as iCalendar; cancelled ones stay in (marked CANCELLED) so a
    subscribed calendar drops them."""
    now = utcnow()
    filters = Filters.from_args(request.args)
    query = (
        select(TrainingSession)
        .where(TrainingSession.starts_at > now, TrainingSession.starts_at <= as_utc(now) + timedelta(days=FEED_DAYS))
        .options(selectinload(TrainingSession.trainers))
        .order_by(TrainingSession.starts_at, TrainingSession.id)
        .limit(FEED_LIMIT)
    )
    sessions = list(db.session.scalars(services.visible_to(filters.apply(query), auth.actor())))
    name = current_app.config["SERVICE_NAME"] + ": sessions"
    body = ics.feed_ics(sessions, base_url=current_app.config["BASE_URL"].rstrip("/"), now=now, name=name)
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = 'inline; filename="sessions.ics"'
    response.headers["Cache-Control"] = "private, max-age=300" if auth.actor() is not None else "public, max-age=300"
    return response
