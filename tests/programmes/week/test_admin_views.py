"""The admin's Safeguarding Week pages: adding a week and its events (audited), recording
engagement; only admins may."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from lms.audit.models import AuditEvent
from lms.extensions import db
from lms.programmes.models import Programme
from lms.programmes.week.models import EventEngagement, WeekEvent
from tests import factories


@pytest.fixture()
def admin_client(app, admin):
    return factories.signed_in_client(app, admin)


def test_an_admin_adds_a_week_then_an_event(admin_client, admin):
    response = admin_client.post("/admin/safeguarding-weeks/new", data={
        "title": "Safeguarding Week 2028", "theme": "Safeguarding is everyone's business",
        "starts_on": ["12", "6", "2028"], "ends_on": ["16", "6", "2028"],
        "lead_boards": "Safeguarding Children Partnership\nSafeguarding Adults Board", "description": "",
    })
    assert response.status_code == 302
    programme = db.session.scalar(select(Programme))
    assert programme.kind == "safeguarding-week"
    police = factories.organisation("West Yorkshire Police", type_code="police")
    db.session.commit()
    response = admin_client.post(f"/admin/safeguarding-weeks/{programme.id}/events/new", data={
        "title": "Launch: see me, hear me", "description": "The week's launch for everyone.", "kind": "launch",
        "audience": "both", "organiser_id": str(police.id), "day": ["12", "6", "2028"], "start_time": "9:30am",
        "end_time": "11:00am", "capacity": "120", "location_kind": "in-person", "venue_name": "Town Hall",
        "venue_address": "Crossley Street\nHalifax", "venue_postcode": "HX1 1UJ",
    })
    assert response.status_code == 302, response.get_data(as_text=True)
    event = db.session.scalar(select(WeekEvent))
    assert (event.kind, event.audience, event.session.capacity) == ("launch", "both", 120)
    assert event.session.course.delivery_mode == "event"
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"week.create", "week.event.create", "session.create"} <= actions
    page = admin_client.get(f"/admin/safeguarding-weeks/{programme.id}")
    assert "Launch: see me, hear me" in page.get_data(as_text=True)


def test_an_event_outside_the_week_is_refused_and_nothing_is_saved(admin_client, week):
    before = db.session.scalar(select(func.count()).select_from(WeekEvent))
    response = admin_client.post(f"/admin/safeguarding-weeks/{week.programme.id}/events/new", data={
        "title": "Too late", "description": "x", "kind": "face-to-face", "audience": "public",
        "organiser_id": str(week.police.id), "day": ["1", "7", "2027"], "start_time": "10:00am", "end_time": "11am",
        "capacity": "10", "location_kind": "in-person", "venue_name": "Hall", "venue_address": "1 Road",
    })
    assert response.status_code == 400
    assert "The event must be during the week" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(WeekEvent)) == before


def test_engagement_is_recorded_and_audited(admin_client, week):
    response = admin_client.post(f"/admin/safeguarding-weeks/events/{week.stall.id}/engagement",
                                 data={"conversations": "500", "leaflets": "1,200", "public_attended": ""})
    assert response.status_code == 302
    rows = {row.measure: row.count for row in db.session.scalars(select(EventEngagement))}
    assert rows == {"conversations": 500, "leaflets": 1200}
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "week.engagement")) is not None
    bad = admin_client.post(f"/admin/safeguarding-weeks/events/{week.stall.id}/engagement",
                            data={"conversations": "lots"})
    assert bad.status_code == 400
    assert "as a whole number" in bad.get_data(as_text=True)
    assert {row.measure: row.count for row in db.session.scalars(select(EventEngagement))} == rows


@pytest.mark.parametrize("path", ["/admin/safeguarding-weeks", "/admin/safeguarding-weeks/new",
                                  "/admin/safeguarding-weeks/{week}", "/admin/safeguarding-weeks/{week}/events/new",
                                  "/admin/safeguarding-weeks/events/{event}/engagement"])
def test_only_admins_may(app, client, week, path):
    path = path.format(week=week.programme.id, event=week.stall.id)
    assert client.get(path).status_code == 302  # to sign in
    trainer = factories.user("tess@example.org", trainer=True)
    lead = factories.user("lee@example.org", organisation=week.police, leads=(week.police,))
    db.session.commit()
    for person in (trainer, lead):
        assert factories.signed_in_client(app, person).get(path).status_code == 403
    assert factories.signed_in_client(app, trainer).post(path, data={}).status_code in (403, 405)
