"""Reads for the pages that list sessions and bookings, each a fixed number of statements
however many rows there are: a course's next dates (for its course page), how a session
stands for booking in words, places held as a correlated count, waiting-list positions in
bulk, and the cancellation cut-off in words. The engine's own reads (place_counts,
live_booking, visible_to...) are in services.py."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import url_for
from sqlalchemy import exists, false, func, or_, select
from sqlalchemy.orm import lazyload

from lms.accounts.models import PersonRole, SettingLead, User
from lms.bookings import services
from lms.bookings.formatting import session_when, session_where
from lms.bookings.models import LIVE_STATUSES, PLACE_STATUSES, Booking, TrainingSession, session_job_role, session_sector
from lms.catalogue.models import Course
from lms.core.time import as_utc, format_date, format_datetime, to_london
from lms.extensions import db
from lms.organisations.models import Organisation

# Dates listed on a course's page before "see all dates".
COURSE_PAGE_DATES = 6


def places_held():
    """A correlated count of the places held on each session (for "has places")."""
    return (
        select(func.count())
        .select_from(Booking)
        .where(Booking.session_id == TrainingSession.id, Booking.status.in_(PLACE_STATUSES))
        .correlate(TrainingSession)
        .scalar_subquery()
    )


def availability(session: TrainingSession, places_held: int, now: datetime) -> dict:
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


def waiting_positions(bookings: list[Booking]) -> dict[int, int]:
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


def cutoff_text(session: TrainingSession) -> str:
    """When people can cancel without it counting as a late cancellation, in words."""
    deadline = services.cancellation_deadline(session)
    if deadline >= as_utc(session.starts_at):
        return "before the session starts"
    return f"by the end of {format_date(to_london(deadline - timedelta(microseconds=1)).date())}"


def upcoming_sessions_for(course: Course, viewer: User | None, *, now: datetime, limit: int = COURSE_PAGE_DATES) -> dict:
    """The next dates of a course for its course page: {"rows": [{"session", "when",
    "where", "availability", "href"}], "more": bool}, at most `limit` rows and whether
    there are more. Only sessions `viewer` (None for a visitor) may see: outreach sessions
    are for one organisation (the rule of services.visible_to, written here as a subquery
    so that it needs no statement of its own). One statement: the sessions with the places
    held on each. Call it inside a request (the rows' links are made with url_for)."""
    query = (
        services.upcoming_sessions(now=now, course=course)
        .add_columns(places_held().label("places"))
        .options(lazyload(TrainingSession.course))
    )
    if viewer is None:
        query = query.where(TrainingSession.organisation_id.is_(None))
    elif not (viewer.is_admin or viewer.is_trainer):
        allowed = [
            TrainingSession.organisation_id.is_(None),
            TrainingSession.organisation_id.in_(select(SettingLead.organisation_id).where(SettingLead.user_id == viewer.id)),
        ]
        if viewer.organisation_id is not None:
            allowed.append(TrainingSession.organisation_id == viewer.organisation_id)
        query = query.where(or_(*allowed))
    found = db.session.execute(query.limit(limit + 1)).all()
    more = len(found) > limit
    href_prefix = url_for("bookings.session", session_id=0).removesuffix("0")
    rows = [
        {
            "session": s,
            "when": session_when(s),
            "where": session_where(s),
            "availability": availability(s, held, now),
            "href": f"{href_prefix}{s.id}",
        }
        for s, held in found[:limit]
    ]
    return {"rows": rows, "more": more}


def bookable_now(query, person: User | None, *, now: datetime):
    """Narrow a query of sessions to those `person` could book a place on now, the checks
    services.book makes, in SQL: sign-up open, a free place with nobody waiting for it,
    and, for a signed-in person, their account open, the session's audience (its
    organisation, sectors and job roles) including them and no live booking of theirs
    on it. A visitor sees the sessions open to everyone with places free."""
    query = query.where(
        TrainingSession.status == "scheduled",
        TrainingSession.starts_at > now,
        or_(TrainingSession.signup_opens_at.is_(None), TrainingSession.signup_opens_at <= now),
        TrainingSession.signup_closes_at > now,
        places_held() < TrainingSession.capacity,
        ~exists().where(Booking.session_id == TrainingSession.id, Booking.status == "waitlisted"),
    )
    if person is None:
        return query.where(TrainingSession.organisation_id.is_(None))
    if not person.active:
        return query.where(false())
    # The person's sector and current roles as subqueries: no statement of their own.
    sector = select(Organisation.sector_id).where(Organisation.id == person.organisation_id).scalar_subquery()
    roles = select(PersonRole.job_role_id).where(PersonRole.user_id == person.id, PersonRole.ended_on.is_(None))
    return query.where(
        or_(TrainingSession.organisation_id.is_(None), TrainingSession.organisation_id == person.organisation_id),
        or_(
            ~exists().where(session_sector.c.session_id == TrainingSession.id),
            exists().where(session_sector.c.session_id == TrainingSession.id, session_sector.c.sector_id == sector),
        ),
        or_(
            ~exists().where(session_job_role.c.session_id == TrainingSession.id),
            exists().where(session_job_role.c.session_id == TrainingSession.id, session_job_role.c.job_role_id.in_(roles)),
        ),
        ~exists().where(Booking.session_id == TrainingSession.id, Booking.user_id == person.id,
                        Booking.status.in_(LIVE_STATUSES)),
    )
