"""What the home dashboards show (pages.services), with a fixed `now`."""
from __future__ import annotations

from datetime import timedelta

from lms.pages import services as pages
from lms.extensions import db
from lms.notifications.models import JobRun, OutboundEmail
from lms.organisations.models import OrganisationRequest
from tests import factories as f


def test_dashboard_figures_count_each_kind(now):
    school = f.organisation("Oak Primary")
    f.organisation("Closed Nursery", type_code="day-nursery", active=False)
    f.user(organisation=school)
    f.user(organisation=school, confirmed=False)
    closed = f.user(organisation=school)
    closed.active = False
    f.user(admin=True)
    f.user(trainer=True)
    f.user(trainer=True, organisation=school, leads=(school,))
    requester = f.user()
    db.session.add_all(
        [
            OrganisationRequest(
                name="New Club", type_id=school.type_id, requested_by_id=requester.id, status="pending", created_at=now
            ),
            OrganisationRequest(
                name="Old Club", type_id=school.type_id, requested_by_id=requester.id, status="approved", created_at=now
            ),
        ]
    )
    db.session.add_all(
        [
            OutboundEmail(to_address="a@example.org", subject="s", body_text="b", created_at=now, send_after=now),
            OutboundEmail(
                to_address="b@example.org", subject="s", body_text="b", created_at=now, send_after=now, sent_at=now
            ),
            OutboundEmail(
                to_address="c@example.org", subject="s", body_text="b", created_at=now, send_after=now, failed_at=now
            ),
        ]
    )
    db.session.flush()

    figures = pages.dashboard_figures()

    assert figures.active_people == 5  # seven people: the closed and the unconfirmed are counted apart
    assert figures.unconfirmed_people == 1
    assert figures.closed_people == 1
    assert figures.admins == 1
    assert figures.trainers == 2
    assert figures.setting_leads == 1
    assert figures.organisations == 1
    assert figures.pending_organisation_requests == 1
    assert figures.emails_waiting == 1
    assert figures.emails_failed == 1


def test_scheduler_is_not_running_without_a_recent_heartbeat(now):
    assert pages.scheduler_status(now=now).running is False
    heartbeat = JobRun(
        name="heartbeat", last_started_at=now - timedelta(minutes=6), last_finished_at=now - timedelta(minutes=6)
    )
    db.session.add(heartbeat)
    db.session.flush()
    status = pages.scheduler_status(now=now)
    assert status.running is False
    assert status.last_heartbeat == now - timedelta(minutes=6)
    heartbeat.last_finished_at = now - timedelta(minutes=4)
    db.session.flush()
    assert pages.scheduler_status(now=now).running is True


# --- finding people -----------------------------------------------------------------------


