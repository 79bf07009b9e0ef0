"""Invitations made outside a web request (the command line, a job)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from lms.accounts.admin import services
from lms.extensions import db
from lms.notifications.models import OutboundEmail
from tests import factories as f


def test_an_invitation_can_be_sent_outside_a_request(app, now):
    admin = f.user(admin=True)
    school = f.organisation("Oak Primary")
    data = services.NewPerson(
        full_name="Nia Newcomer",
        email="nia@example.org",
        organisation_id=school.id,
        job_role_id=f.job_role("teacher").id,
        started_on=date(2024, 9, 1),
    )
    services.create_person(admin, data, now=now)
    body = select(OutboundEmail.body_text).where(OutboundEmail.to_address == "nia@example.org")
    assert f"{app.config['BASE_URL']}/reset-password/" in db.session.scalar(body)
