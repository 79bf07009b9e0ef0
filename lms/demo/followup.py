"""Impact follow-up for the demo partnership: the follow-ups already due (attendance more
than its course's weeks ago, from the twilights and sessions the demo held) are marked sent
on the morning they fell due, and about half are answered a few days later, so the
evaluations pages and the annual report show real response rates. Goes through the
follow-up service's claim and answer, so the rows are as the scheduler would leave them;
no email is queued (the demo emails nobody). Run after the sessions; the caller commits."""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import select

from lms.core.time import LONDON, london_today
from lms.evaluations.followup import services
from lms.evaluations.followup.models import FollowUp
from lms.extensions import db

HOWS = [
    "I used the referral pathway for a child whose attendance dropped, and early help got involved within a week.",
    "We changed how we record low-level concerns: one log, checked by the DSL every Friday.",
    "I shared the online safety resources with parents at our coffee morning.",
    "I recognised signs of neglect sooner and spoke to our safeguarding lead the same day.",
    "Our staff briefing now covers child-on-child abuse, using the case study from the session.",
    "I challenged a delay in a referral and escalated it as the training showed.",
    "I checked our safer recruitment steps against the guidance and found a gap we have now closed.",
]


@dataclass
class DemoFollowUps:
    sent: int = 0
    answered: int = 0

    def summary(self) -> str:
        return f"Impact follow-up: {self.sent} sent, {self.answered} answered."


def add_demo_followups(now: datetime, rng: random.Random) -> DemoFollowUps:
    result = DemoFollowUps()
    today = london_today(now)
    rows = list(db.session.scalars(
        select(FollowUp).where(FollowUp.sent_at.is_(None), FollowUp.due_on <= today).order_by(FollowUp.id)))
    for row in rows:
        sent_at = datetime.combine(row.due_on, time(9, 0), tzinfo=LONDON)
        if services.claim(row.id, now=sent_at) is None:
            continue
        result.sent += 1
        answered_at = sent_at + timedelta(days=rng.randint(0, 10), hours=rng.randint(0, 8))
        if answered_at >= now or rng.random() > 0.52:
            continue
        used = rng.choices(["yes", "not-yet", "no"], weights=[7, 2, 1])[0]
        how = rng.choice(HOWS) if used == "yes" and rng.random() < 0.6 else ""
        services.answer(row, used, how, now=answered_at)
        result.answered += 1
    return result
