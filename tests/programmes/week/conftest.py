"""Shared fixtures for the Safeguarding Week tests: a week in June 2027 with a public event
(2 places), an event for both professionals and the public (2 places), one for
professionals only and a stall (a drop-in), made through the services as an admin would.

`now` is Monday 23 November 2026, 10:00 (tests/conftest.py).

Fixtures:
    admin                     a partnership admin
    week                      SimpleNamespace(programme, public, both, professionals, stall, police, charity)
    make_event(week_programme, **EventForm fields) -> WeekEvent
    registrant_emails(server) -> list of (to, subject, text) read from the SMTP server
"""
from __future__ import annotations

from datetime import date, datetime
from types import SimpleNamespace

import pytest

from lms.core.time import LONDON
from lms.extensions import db
from lms.programmes.week import services
from tests import factories
from tests.conftest import NOW

WEEK_START = date(2027, 6, 14)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A London time in the week (June 2027: BST)."""
    return datetime(2027, 6, day, hour, minute, tzinfo=LONDON)


def event_form(organiser, **fields) -> services.EventForm:
    values = dict(title="Event", description="About the event.", kind="face-to-face", audience="public",
                  organiser_id=organiser.id, starts_at=at(15, 10), ends_at=at(15, 12), capacity=2,
                  venue_name="Halifax Central Library", venue_address="Square Road\nHalifax", venue_postcode="HX1 1QG")
    values.update(fields)
    return services.EventForm(**values)


@pytest.fixture()
def admin():
    return factories.user("admin@partnership.example", full_name="Ada Admin", admin=True, roles=())


@pytest.fixture()
def make_event(admin):
    def build(programme, organiser, **fields):
        return services.create_event(programme, event_form(organiser, **fields), actor=admin, now=NOW)

    return build


@pytest.fixture()
def week(admin, make_event):
    programme = services.create_week(services.WeekForm(
        title="Safeguarding Week 2027", theme="See me, hear me, know me", starts_on=WEEK_START, ends_on=date(2027, 6, 18),
        lead_boards=["Safeguarding Children Partnership", "Safeguarding Adults Board", "Community Safety Partnership"],
        description="A week of events for everyone.",
    ), actor=admin, now=NOW)
    police = factories.organisation("West Yorkshire Police", type_code="police")
    charity = factories.organisation("Calder Domestic Abuse Service", type_code="charity")
    public = make_event(programme, police, title="Staying safe online: for parents", audience="public")
    both = make_event(programme, charity, title="Recognising domestic abuse", audience="both", starts_at=at(16, 14),
                      ends_at=at(16, 16))
    professionals = make_event(programme, police, title="Contextual safeguarding for practitioners",
                               audience="professionals", capacity=20, starts_at=at(14, 9, 30), ends_at=at(14, 12))
    stall = make_event(programme, charity, title="Safeguarding stall at the food festival", kind="stall",
                       audience="public", capacity=None, starts_at=at(17, 10), ends_at=at(17, 16))
    db.session.commit()
    return SimpleNamespace(programme=programme, public=public, both=both, professionals=professionals, stall=stall,
                           police=police, charity=charity)
