"""The demo's follow-ups: those already due are marked sent on the day they fell due, about
half answered, no email queued, and nothing is sent twice."""
from __future__ import annotations

import random
from datetime import date, datetime, timezone

from sqlalchemy import func, select

from lms.demo.followup import add_demo_followups
from lms.evaluations.followup import jobs, services
from lms.evaluations.followup.models import FollowUp
from lms.extensions import db
from lms.notifications.models import OutboundEmail

LATER = datetime(2027, 6, 1, 12, 0, tzinfo=timezone.utc)


def test_due_follow_ups_are_sent_and_some_answered(attend, make_people):
    for each in make_people(20):
        attend(each)
    db.session.commit()
    emails_before = db.session.scalar(select(func.count()).select_from(OutboundEmail))
    result = add_demo_followups(LATER, random.Random(2026))
    db.session.commit()
    rows = list(db.session.scalars(select(FollowUp)))
    assert result.sent == len(rows) == 20
    assert 0 < result.answered < 20
    assert all(row.sent_at == datetime(2027, 3, 2, 9, 0, tzinfo=timezone.utc) for row in rows)  # 9am London, GMT
    assert sum(row.answered_at is not None for row in rows) == result.answered
    assert db.session.scalar(select(func.count()).select_from(OutboundEmail)) == emails_before
    assert jobs.send_followups(now=LATER) == {"sent": 0, "already sent": 0}
    found = services.results(start=date(2026, 12, 1), end=date(2026, 12, 31))
    assert (found.sent, found.answered) == (20, result.answered)
    assert add_demo_followups(LATER, random.Random(1)).sent == 0
