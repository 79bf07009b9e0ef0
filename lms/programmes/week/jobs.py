"""Safeguarding Week's scheduled work: each job polls for what is due and commits, so a
missed run catches up and running one twice does nothing twice."""
from __future__ import annotations

from datetime import datetime

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from lms.core.jobs import Job
from lms.core.time import LONDON
from lms.extensions import db
from lms.programmes.week import services


def lapse_unconfirmed(*, now: datetime) -> dict[str, int]:
    """Free places held for public registrants who did not follow their link in time."""
    lapsed = 0
    for session_id in services.sessions_with_lapsed_holds(now=now):
        lapsed += services.lapse_unconfirmed(session_id, now=now)
        db.session.commit()  # one session's lock at a time
    return {"lapsed": lapsed}


def queue_reminders(*, now: datetime) -> dict[str, int]:
    """Remind registrants with a confirmed place the day before (once each)."""
    sent = services.queue_reminders(now=now)
    db.session.commit()
    return {"reminded": sent}


def tell_of_changes(*, now: datetime) -> dict[str, int]:
    """Tell registrants their event changed time or place, or was cancelled (once each)."""
    told = services.tell_of_changes(now=now)
    db.session.commit()
    return told


def erase_registrants(*, now: datetime) -> dict[str, int]:
    """The retention rule for public registrants: erase their names and emails
    PUBLIC_REGISTRATION_RETENTION_DAYS after their week ends; prune old attempts."""
    erased = services.erase_registrants(now=now)
    pruned = services.prune_attempts(now=now)
    db.session.commit()
    return {"erased": erased, "attempts pruned": pruned}


# The week's rows in lms.scheduler.JOBS.
JOBS = [
    Job("lapse-public-registrations", lapse_unconfirmed, IntervalTrigger(minutes=5, timezone=LONDON),
        "free Safeguarding Week places held for members of the public who did not confirm in time"),
    Job("remind-public-registrants", queue_reminders, IntervalTrigger(minutes=30, timezone=LONDON),
        "remind members of the public with a Safeguarding Week place the day before (once each)"),
    Job("tell-public-registrants-of-changes", tell_of_changes, IntervalTrigger(minutes=5, timezone=LONDON),
        "email members of the public registered for a Safeguarding Week event whose time or place changed, or "
        "which was cancelled (once each)"),
    Job("erase-public-registrants", erase_registrants, CronTrigger(hour=5, minute=0, timezone=LONDON),
        "erase public registrants' names and emails a set time after their Safeguarding Week "
        "(the retention rule for public registrations)"),
]
