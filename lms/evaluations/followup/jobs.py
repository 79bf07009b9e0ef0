"""The follow-up's scheduled work: send what is due, each once."""
from __future__ import annotations

from datetime import datetime

from lms.evaluations.followup import services
from lms.extensions import db


def send_followups(*, now: datetime) -> dict[str, int]:
    """Email everyone whose follow-up is due. Each row is claimed with a conditional
    UPDATE and committed with its email, so a second scheduler sends nothing twice."""
    sent = skipped = 0
    while True:
        ids = services.due_ids(now=now)
        if not ids:
            break
        for followup_id in ids:
            if services.send(followup_id, now=now):
                sent += 1
            else:
                skipped += 1
            db.session.commit()
        if len(ids) < services.BATCH:
            break
    return {"sent": sent, "already sent": skipped}
