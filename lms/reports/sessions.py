"""How full sessions were and who came (DESIGN.md section 8: fill rate, no-show rate, late
cancellations), course by course, for sessions held on London dates in a period.

- **Places**: the capacity of the sessions held (sessions the partnership cancelled are
  left out and counted apart).
- **Taken**: places booked, attended, partly attended or not attended (no-show); an offer
  not yet taken and a waiting list are not places taken.
- **Fill rate**: places taken as a share of places.
- **No-show rate**: no-shows as a share of the people marked on the register (attended,
  partly attended or no-show).
- **Late cancellations**: bookings cancelled after the session's cut-off.

Two grouped statements whatever the number of sessions or courses.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import case, func, select

from lms.bookings.models import Booking, TrainingSession
from lms.catalogue.models import Course
from lms.core.errors import DomainError
from lms.core.figures import percent
from lms.extensions import db
from lms.reports.services import london_start_utc

TAKEN = ("booked", "attended", "partly-attended", "no-show")


@dataclass
class CourseLine:
    code: str
    title: str
    sessions: int = 0
    cancelled_sessions: int = 0
    places: int = 0
    taken: int = 0
    attended: int = 0
    partly: int = 0
    no_shows: int = 0
    late_cancellations: int = 0

    @property
    def fill_rate(self) -> Decimal | None:
        return percent(self.taken, self.places)

    @property
    def marked(self) -> int:
        return self.attended + self.partly + self.no_shows

    @property
    def no_show_rate(self) -> Decimal | None:
        return percent(self.no_shows, self.marked)

    def add(self, other: "CourseLine") -> None:
        for name in ("sessions", "cancelled_sessions", "places", "taken", "attended", "partly", "no_shows",
                     "late_cancellations"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class SessionsReport:
    start: date
    end: date
    lines: list[CourseLine] = field(default_factory=list)
    total: CourseLine = field(default_factory=lambda: CourseLine("", "All courses"))


def sessions_report(start: date, end: date) -> SessionsReport:
    if start is None or end is None:
        raise DomainError("Enter the period", field="start")
    if end < start:
        raise DomainError("The end of the period must be the same as or after the start", field="end")
    low, high = london_start_utc(start), london_start_utc(end + timedelta(days=1))
    held = TrainingSession.starts_at >= low, TrainingSession.starts_at < high
    lines: dict[int, CourseLine] = {}
    cancelled = TrainingSession.status == "cancelled"
    for course_id, code, title, sessions, cancelled_count, places in db.session.execute(
        select(Course.id, Course.code, Course.title,
               func.sum(case((cancelled, 0), else_=1)), func.sum(case((cancelled, 1), else_=0)),
               func.sum(case((cancelled, 0), else_=TrainingSession.capacity)))
        .join(Course, Course.id == TrainingSession.course_id)
        .where(*held)
        .group_by(Course.id, Course.code, Course.title)
    ):
        lines[course_id] = CourseLine(code, title, sessions=int(sessions or 0), cancelled_sessions=int(cancelled_count or 0),
                                      places=int(places or 0))
    for course_id, status, ended_reason, number in db.session.execute(
        select(TrainingSession.course_id, Booking.status, Booking.ended_reason, func.count())
        .join(TrainingSession, TrainingSession.id == Booking.session_id)
        .where(*held, TrainingSession.status != "cancelled")
        .group_by(TrainingSession.course_id, Booking.status, Booking.ended_reason)
    ):
        line = lines.get(course_id)
        if line is None:
            continue
        if status in TAKEN:
            line.taken += number
        if status == "attended":
            line.attended += number
        elif status == "partly-attended":
            line.partly += number
        elif status == "no-show":
            line.no_shows += number
        elif status == "cancelled" and ended_reason == "late-cancelled":
            line.late_cancellations += number
    report = SessionsReport(start, end, lines=sorted(lines.values(), key=lambda line: (line.title.lower(), line.code)))
    for line in report.lines:
        report.total.add(line)
    return report
