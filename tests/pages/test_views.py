"""The partnership admin's dashboard (pages.admin) through the test client."""
from __future__ import annotations

from datetime import timedelta

import pytest

from lms.core.time import utcnow
from lms.extensions import db
from lms.notifications.models import JobRun, OutboundEmail
from tests.accounts.admin.conftest import admin, person, school, signed_in  # noqa: F401  (fixtures)


def test_dashboard_shows_figures_and_links(signed_in, person):
    now = utcnow()
    db.session.add(
        OutboundEmail(to_address="x@example.org", subject="s", body_text="b", created_at=now, send_after=now)
    )
    db.session.add(JobRun(name="heartbeat", last_started_at=now, last_finished_at=now))
    db.session.commit()
    html = signed_in.get("/admin/").get_data(as_text=True)
    assert '<h1 class="govuk-heading-l">Admin</h1>' in html
    assert 'href="/admin/organisation-requests"' in html
    assert 'href="/admin/people?status=unconfirmed"' in html
    assert "Waiting to be sent" in html
    assert "The scheduler is not running" not in html


@pytest.mark.parametrize("age", [None, timedelta(minutes=6)])
def test_dashboard_warns_when_the_scheduler_is_not_running(signed_in, age):
    if age is not None:
        then = utcnow() - age
        db.session.add(JobRun(name="heartbeat", last_started_at=then, last_finished_at=then))
        db.session.commit()
    html = signed_in.get("/admin/").get_data(as_text=True)
    assert "The scheduler is not running: emails and reminders are not being sent" in html
    assert ("never reported in" in html) == (age is None)


# --- the people list ----------------------------------------------------------------------


