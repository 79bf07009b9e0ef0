"""The one table of scheduled jobs: what runs, when, and what it does.

Every job is a function `job(*, now) -> summary` in its feature's `jobs.py` that polls the
database for work that is due and commits its own changes, so a missed tick catches up and
running a job twice does nothing twice. The schedule is this table; the state lives in our
tables. lms.runner runs the jobs: `flask lms jobs run NAME` one now, `flask lms scheduler`
all of them on time in one process per install.
"""
from __future__ import annotations

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from lms.accounts import jobs as accounts_jobs
from lms.bookings import jobs as bookings_jobs
from lms.compliance import jobs as compliance_jobs
from lms.core.jobs import Job
from lms.core.time import LONDON
from lms.downloads import jobs as downloads_jobs
from lms.evaluations.followup import jobs as followup_jobs
from lms.licences import jobs as licences_jobs
from lms.notifications import jobs as notifications_jobs
from lms.privacy import jobs as privacy_jobs
from lms.programmes.week import jobs as week_jobs
from lms.records import jobs as records_jobs
from lms.records.imports import jobs as imports_jobs

JOBS: list[Job] = [
    Job("send-email", notifications_jobs.send_outbox, IntervalTrigger(minutes=1, timezone=LONDON), "send queued email"),
    Job("heartbeat", notifications_jobs.heartbeat, IntervalTrigger(minutes=1, timezone=LONDON), "record that the scheduler is running"),
    Job(
        "prune-security-records",
        accounts_jobs.prune_security_records,
        # 03:15 is outside the hour the clocks change in.
        CronTrigger(hour=3, minute=15, timezone=LONDON),
        "delete sign-in attempts, finished sessions and used or expired account links older than 30 days",
    ),
    Job(
        "anonymise-closed-accounts",
        privacy_jobs.anonymise_closed,
        CronTrigger(hour=3, minute=45, timezone=LONDON),
        "erase the personal details of accounts closed longer ago than the retention period, keeping what reports count",
    ),
    Job("run-imports", imports_jobs.run_imports, IntervalTrigger(seconds=30, timezone=LONDON),
        "run the history imports queued from the upload page (files too large for a web request), oldest first"),
    Job("run-downloads", downloads_jobs.run_downloads, IntervalTrigger(seconds=20, timezone=LONDON),
        "make the prepared downloads people asked for (large evidence packs, certificate ZIPs, exports), oldest first"),
    Job("expire-downloads", downloads_jobs.expire_downloads, CronTrigger(hour=4, minute=50, timezone=LONDON),
        "delete prepared downloads older than the retention period (the retention rule for prepared downloads)"),
    Job(
        "rebuild-compliance",
        compliance_jobs.rebuild_compliance,
        CronTrigger(hour=2, minute=30, timezone=LONDON),
        "recompute everyone's compliance status from the training record and the rules, and the overview's counts",
    ),
    Job(
        "rebuild-uptake",
        records_jobs.rebuild_uptake_rows,
        CronTrigger(hour=2, minute=15, timezone=LONDON),
        "rebuild the kept uptake rows (who completed what in which months) from the training record",
    ),
    Job(
        "warn-dormant-accounts",
        licences_jobs.warn_dormant_accounts,
        CronTrigger(hour=4, minute=0, timezone=LONDON),
        "email people whose accounts will become dormant within a month",
    ),
    Job(
        "make-accounts-dormant",
        licences_jobs.make_accounts_dormant,
        CronTrigger(hour=4, minute=15, timezone=LONDON),
        "make accounts not used for the licence policy's period dormant",
    ),
    Job(
        "close-dormant-accounts",
        licences_jobs.close_dormant_accounts,
        CronTrigger(hour=4, minute=30, timezone=LONDON),
        "close accounts dormant for longer than the licence policy allows (the retention rule for accounts)",
    ),
    Job(
        "check-licence-counts",
        licences_jobs.check_licence_counts,
        CronTrigger(hour=4, minute=40, timezone=LONDON),
        "count open and dormant accounts again and put right the licence summary's kept counts",
    ),
    Job(
        "prune-sent-emails",
        notifications_jobs.prune_sent_emails,
        CronTrigger(hour=4, minute=45, timezone=LONDON),
        "clear the text and attachments of emails sent or given up on longer ago than the retention period "
        "(the retention rule for email)",
    ),
    # After the nightly rebuild of the status table (02:30); the send-email job delivers.
    Job(
        "queue-reminders",
        compliance_jobs.queue_reminders,
        CronTrigger(hour=6, minute=0, timezone=LONDON),
        "queue training reminders (60, 30 and 7 days before a due date, and when overdue) and new starters' emails",
    ),
    Job(
        "queue-lead-digests",
        compliance_jobs.queue_lead_digests,
        CronTrigger(hour=6, minute=10, timezone=LONDON),
        "queue each setting lead's weekly list of staff overdue or due within 60 days (once per week)",
    ),
    Job("expire-offers", bookings_jobs.expire_offers, IntervalTrigger(minutes=5, timezone=LONDON),
        "end waiting-list offers not taken in time and offer the places to the next people"),
    Job("queue-session-reminders", bookings_jobs.queue_session_reminders, IntervalTrigger(minutes=15, timezone=LONDON),
        "remind people with a place two days before their session (once each)"),
    Job("alert-under-minimum", bookings_jobs.alert_under_minimum, IntervalTrigger(hours=1, timezone=LONDON),
        "tell the admins about sessions below their minimum numbers at the cancellation cut-off (once each)"),
    *week_jobs.JOBS,
    Job("send-followups", followup_jobs.send_followups, IntervalTrigger(minutes=30, timezone=LONDON),
        "email attendees the impact follow-up some weeks after their course (once each)"),
]


def get_job(name: str) -> Job:
    """The job called `name`; KeyError if there is none."""
    for job in JOBS:
        if job.name == name:
            return job
    raise KeyError(name)
