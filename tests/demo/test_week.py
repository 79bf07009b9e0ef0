"""The demo partnership's Safeguarding Week: a launch and 17 events by partner agencies,
public and professional, drop-ins and stalls, with bookings and public registrations that
keep the engine's rules, and no email sent."""
from __future__ import annotations

import random
from collections import Counter

from sqlalchemy import func, select

from lms.bookings import services as bookings
from lms.demo import data as demo
from lms.demo.week import add_demo_week
from lms.extensions import db
from lms.notifications.models import OutboundEmail
from lms.programmes.week import services as week
from lms.programmes.week.models import PublicRegistration


def test_the_demo_week(now):
    demo.create_demo_data(if_empty=False, seed=2026, now=now)
    emails_before = db.session.scalar(select(func.count()).select_from(OutboundEmail))
    result = add_demo_week(now, random.Random(2026))
    db.session.commit()
    programme = result.programme
    assert (programme.title, str(programme.starts_on), str(programme.ends_on)) == (
        "Safeguarding Week 2027", "2027-06-14", "2027-06-18")
    details = week.details_of(programme)
    assert len(details.boards) == 3 and "Community Safety Partnership" in details.boards[2]
    events = week.events_of(programme)
    assert len(events) == 18
    kinds = Counter(event.kind for event in events)
    assert kinds["launch"] == 1 and kinds["stall"] == 2 and kinds["drop-in"] == 2 and kinds["online"] >= 4
    assert {event.audience for event in events} == {"public", "professionals", "both"}
    assert len({event.organiser_id for event in events}) >= 10
    organisers = " ".join(event.organiser.name for event in events)
    for agency in ("Police", "Fire and Rescue", "Domestic Abuse", "early help", "Health"):
        assert agency in organisers
    assert result.bookings > 50 and result.registrations > 30
    # Never over capacity; the small fire safety session is full with a waiting list.
    counts = bookings.place_counts([event.session_id for event in events])
    for event in events:
        if not event.drop_in:
            assert counts[event.session_id]["places"] <= event.session.capacity
    statuses = Counter(db.session.scalars(select(PublicRegistration.status)))
    assert statuses["confirmed"] and statuses["awaiting-confirmation"] and statuses["waitlisted"]
    assert db.session.scalar(select(func.count()).select_from(OutboundEmail)) == emails_before
    # Only once.
    assert add_demo_week(now, random.Random(2026)).programme is None
