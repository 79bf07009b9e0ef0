"""The figures of one Safeguarding Week's report, read in a fixed number of statements
whatever the number of events.

Definitions:
- professionals booked: bookings holding a place (booked, offered, attended, partly
  attended, no-show); attended: attended or partly attended on the register; by sector:
  the sector of the organisation the person booked from ("No organisation" without one);
- public registered: every public registration made (whatever became of it); public
  places: registrations holding a place now or confirmed (confirmed, awaiting
  confirmation); public waiting: on the waiting list now;
- public attending: the count an admin recorded for the event ("Members of the public
  attending"), as the public have no register; other engagement likewise as recorded;
- evaluations: those of the week's sessions (lms.evaluations).
Counts stay the same after the registrants' names and emails are erased."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import case, func, select

from lms.bookings.models import PLACE_STATUSES, Booking
from lms.evaluations.models import Evaluation
from lms.evaluations.services import Summary
from lms.extensions import db
from lms.organisations.models import Organisation, Sector
from lms.programmes.models import Programme
from lms.programmes.week import services as week
from lms.programmes.week.models import ENGAGEMENT_MEASURES, HOLDING_STATUSES, PublicRegistration, WeekEvent

PUBLIC = "Members of the public"
NO_ORGANISATION = "No organisation"


@dataclass
class EventLine:
    event: WeekEvent
    capacity: int | None
    booked: int = 0
    attended: int = 0
    registered: int = 0
    public_places: int = 0
    public_waiting: int = 0
    engagement: dict[str, int] = field(default_factory=dict)

    @property
    def public_attended(self) -> int:
        return self.engagement.get("public-attended", 0)


@dataclass
class OrganiserLine:
    name: str
    events: int = 0
    attended: int = 0
    registered: int = 0
    public_attended: int = 0
    engagement: int = 0


@dataclass
class WeekReport:
    programme: Programme
    theme: str
    boards: list[str]
    lines: list[EventLine]
    by_sector: list[tuple[str, int]]  # attendance: professionals by sector, then the public
    by_organiser: list[OrganiserLine]
    engagement: dict[str, int]
    evaluations: Summary

    @property
    def totals(self) -> EventLine:
        total = EventLine(event=None, capacity=sum(line.capacity or 0 for line in self.lines))  # type: ignore[arg-type]
        for line in self.lines:
            total.booked += line.booked
            total.attended += line.attended
            total.registered += line.registered
            total.public_places += line.public_places
            total.public_waiting += line.public_waiting
        total.engagement = dict(self.engagement)
        return total


def week_report(programme: Programme) -> WeekReport:
    details = week.details_of(programme)
    events = week.events_of(programme)
    session_ids = [event.session_id for event in events]
    lines = {event.session_id: EventLine(event=event, capacity=None if event.drop_in else event.session.capacity)
             for event in events}
    sectors: Counter = Counter()
    if session_ids:
        for session_id, status, count in db.session.execute(
            select(Booking.session_id, Booking.status, func.count())
            .where(Booking.session_id.in_(session_ids), Booking.status.in_(PLACE_STATUSES))
            .group_by(Booking.session_id, Booking.status)
        ):
            lines[session_id].booked += count
            if status in ("attended", "partly-attended"):
                lines[session_id].attended += count
        for sector, count in db.session.execute(
            select(Sector.name, func.count())
            .select_from(Booking)
            .outerjoin(Organisation, Organisation.id == Booking.organisation_id)
            .outerjoin(Sector, Sector.id == Organisation.sector_id)
            .where(Booking.session_id.in_(session_ids), Booking.status.in_(("attended", "partly-attended")))
            .group_by(Sector.name)
        ):
            sectors[sector or NO_ORGANISATION] += count
        for session_id, status, count in db.session.execute(
            select(PublicRegistration.session_id, PublicRegistration.status, func.count())
            .where(PublicRegistration.session_id.in_(session_ids))
            .group_by(PublicRegistration.session_id, PublicRegistration.status)
        ):
            line = lines[session_id]
            line.registered += count
            if status in HOLDING_STATUSES:
                line.public_places += count
            elif status == "waitlisted":
                line.public_waiting += count
    engagement = week.engagement_of(events)
    totals: Counter = Counter()
    for line in lines.values():
        line.engagement = engagement.get(line.event.id, {})
        totals.update(line.engagement)
    by_sector = sorted(sectors.items(), key=lambda item: (-item[1], item[0]))
    by_sector.append((PUBLIC, totals.get("public-attended", 0)))
    organisers: dict[str, OrganiserLine] = {}
    for line in lines.values():
        name = line.event.organiser.name
        row = organisers.setdefault(name, OrganiserLine(name))
        row.events += 1
        row.attended += line.attended
        row.registered += line.registered
        row.public_attended += line.public_attended
        row.engagement += sum(count for measure, count in line.engagement.items() if measure != "public-attended")
    summary = Summary()
    if session_ids:
        for row in db.session.execute(
            select(Evaluation.satisfaction, Evaluation.skills, func.count(), func.sum(Evaluation.confidence_before),
                   func.sum(Evaluation.confidence_after),
                   func.sum(case((Evaluation.confidence_after > Evaluation.confidence_before, 1), else_=0)))
            .where(Evaluation.training_session_id.in_(session_ids))
            .group_by(Evaluation.satisfaction, Evaluation.skills)
        ):
            summary.add(*row)
        summary.quotes = list(db.session.scalars(
            select(Evaluation.will_do_differently)
            .where(Evaluation.training_session_id.in_(session_ids), Evaluation.may_quote.is_(True),
                   Evaluation.will_do_differently.is_not(None))
            .order_by(Evaluation.submitted_at.desc()).limit(10)
        ))
    return WeekReport(
        programme=programme, theme=details.theme if details else (programme.summary or ""),
        boards=details.boards if details else [], lines=list(lines.values()), by_sector=by_sector,
        by_organiser=sorted(organisers.values(), key=lambda row: row.name),
        engagement={measure: totals[measure] for measure in ENGAGEMENT_MEASURES if measure in totals},
        evaluations=summary,
    )


EVENT_COLUMNS = ["Day", "Event", "Kind", "Run by", "For", "Places", "Professionals booked", "Professionals attended",
                 "Public registrations", "Public places held", "Public waiting", "Public attending",
                 *[name for code, name in ENGAGEMENT_MEASURES.items() if code != "public-attended"]]


def event_rows(report: WeekReport) -> list[list]:
    rows = []
    for line in report.lines:
        event = line.event
        rows.append([
            event.day, event.title, event.kind_name, event.organiser.name, event.audience_name,
            "Drop-in" if line.capacity is None else line.capacity, line.booked, line.attended, line.registered,
            line.public_places, line.public_waiting, line.public_attended,
            *[line.engagement.get(code, 0) for code in ENGAGEMENT_MEASURES if code != "public-attended"],
        ])
    return rows
