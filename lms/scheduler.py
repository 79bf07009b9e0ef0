"""The one table of scheduled jobs, and the scheduler process that runs them.

Every job is a function `job(*, now) -> summary` that polls the database for work that is
due and commits its own changes, so a missed tick catches up and running a job twice does
nothing twice. The schedule is this code; the state lives in our tables (APScheduler keeps
its job store in memory).

- `flask lms jobs list` lists JOBS; `flask lms jobs run NAME` runs one now (run_job).
- `flask lms scheduler` runs them on time (run_scheduler): one process per install,
  enforced by a PostgreSQL advisory lock, or on SQLite by a lock file. It is never started
  by create_app(), wsgi.py or a gunicorn worker.
"""
from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import signal
import threading
import traceback
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

import click
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask, current_app
from sqlalchemy import delete, or_, text

from lms.core.time import LONDON, utcnow
from lms.extensions import db

logger = logging.getLogger("lms.scheduler")


# --- the jobs --------------------------------------------------------------------------------

def send_email(*, now: datetime) -> dict[str, int]:
    """Send the outbox (see lms.notifications.jobs)."""
    from lms.notifications.jobs import send_outbox

    return send_outbox(now=now)


def heartbeat(*, now: datetime) -> str:
    """Nothing to do: run_job's record of this run (JobRun "heartbeat") is the heartbeat that
    tells the admin pages the scheduler is alive."""
    return "the scheduler is running"


# Security records are kept for 30 days, long enough to look into an incident (DESIGN.md
# section 10: a retention rule per record type, enforced nightly).
SECURITY_RECORD_RETENTION = timedelta(days=30)


def prune_security_records(*, now: datetime) -> dict[str, int]:
    """Delete sign-in and reset attempts, finished sessions and finished account tokens
    once they are older than SECURITY_RECORD_RETENTION."""
    from lms.accounts.models import AccountToken, LoginAttempt, UserSession

    cutoff = now - SECURITY_RECORD_RETENTION
    idle = current_app.config["SESSION_IDLE_TIMEOUT"]
    absolute = current_app.config["SESSION_ABSOLUTE_TIMEOUT"]
    attempts = db.session.execute(delete(LoginAttempt).where(LoginAttempt.created_at < cutoff))
    # A session ended when it was revoked, or when it timed out (idle, or too old).
    sessions = db.session.execute(
        delete(UserSession).where(
            or_(
                UserSession.revoked_at < cutoff,
                UserSession.last_seen_at < cutoff - idle,
                UserSession.created_at < cutoff - absolute,
            )
        )
    )
    # A token is finished once used or expired.
    tokens = db.session.execute(
        delete(AccountToken).where(or_(AccountToken.used_at < cutoff, AccountToken.expires_at < cutoff))
    )
    db.session.commit()
    return {
        "login attempts deleted": attempts.rowcount,
        "sessions deleted": sessions.rowcount,
        "account tokens deleted": tokens.rowcount,
    }


@dataclass(frozen=True)
class Job:
    name: str
    function: Callable[..., object]
    trigger: BaseTrigger
    summary: str

    def describe(self) -> str:
        return f"{describe_trigger(self.trigger)}: {self.summary}"


def describe_trigger(trigger: BaseTrigger) -> str:
    """'every minute', 'every day at 03:15 (Europe/London)', or APScheduler's own words."""
    if isinstance(trigger, IntervalTrigger):
        seconds = int(trigger.interval.total_seconds())
        for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
            if seconds % size == 0:
                count = seconds // size
                return f"every {unit}" if count == 1 else f"every {count} {unit}s"
    if isinstance(trigger, CronTrigger):
        fields = {field.name: str(field) for field in trigger.fields}
        daily = all(fields[name] == "*" for name in ("year", "month", "day", "week", "day_of_week"))
        if daily and fields["hour"].isdigit() and fields["minute"].isdigit() and fields["second"] == "0":
            return f"every day at {int(fields['hour']):02d}:{int(fields['minute']):02d} ({trigger.timezone})"
    return str(trigger)


def rebuild_compliance(*, now: datetime) -> str:
    """Recompute the compliance status table and the kept counts for everyone
    (lms.compliance.services), then tidy the rewritten tables on PostgreSQL."""
    from lms.compliance.services import rebuild_status_table, vacuum_rebuilt_tables

    rows = rebuild_status_table(now=now)
    db.session.commit()
    tidied = vacuum_rebuilt_tables()
    return f"{rows} status rows rebuilt" + (", tables vacuumed and analysed" if tidied else "")


def warn_dormant_accounts(*, now: datetime) -> str:
    from lms.licences.jobs import warn_dormant_accounts as job

    return job(now=now)


def make_accounts_dormant(*, now: datetime) -> str:
    from lms.licences.jobs import make_accounts_dormant as job

    return job(now=now)


def close_dormant_accounts(*, now: datetime) -> str:
    from lms.licences.jobs import close_dormant_accounts as job

    return job(now=now)


def prune_sent_emails(*, now: datetime) -> dict[str, int]:
    """Clear the content of emails sent or given up on longer ago than
    EMAIL_BODY_RETENTION_DAYS (lms.notifications.jobs: the retention rule for email)."""
    from lms.notifications.jobs import prune_sent_emails as job

    return job(now=now)


def queue_reminders(*, now: datetime) -> dict[str, int]:
    """Queue today's training reminders and induction emails (lms.compliance.reminders)."""
    from lms.compliance.reminders import queue_reminders as job

    summary = job(now=now)
    db.session.commit()
    return summary


def queue_lead_digests(*, now: datetime) -> dict[str, int]:
    """Queue this week's staff digest for each setting lead (lms.compliance.reminders)."""
    from lms.compliance.reminders import queue_lead_digests as job

    summary = job(now=now)
    db.session.commit()
    return summary


def expire_offers(*, now: datetime) -> str:
    """End waiting-list offers not taken in time and offer the places on (lms.bookings)."""
    from lms.bookings.services import expire_offers as job

    expired = job(now=now)
    db.session.commit()
    return f"{expired} offers ended"


def queue_session_reminders(*, now: datetime) -> str:
    from lms.bookings.services import queue_session_reminders as job

    count = job(now=now)
    db.session.commit()
    return f"{count} session reminders queued"


def alert_under_minimum(*, now: datetime) -> str:
    from lms.bookings.services import alert_under_minimum as job

    count = job(now=now)
    db.session.commit()
    return f"{count} sessions under their minimum reported"


JOBS: list[Job] = [
    Job("send-email", send_email, IntervalTrigger(minutes=1, timezone=LONDON), "send queued email"),
    Job("heartbeat", heartbeat, IntervalTrigger(minutes=1, timezone=LONDON), "record that the scheduler is running"),
    Job(
        "prune-security-records",
        prune_security_records,
        # 03:15 is outside the hour the clocks change in.
        CronTrigger(hour=3, minute=15, timezone=LONDON),
        "delete sign-in attempts, finished sessions and used or expired account links older than 30 days",
    ),
    Job(
        "rebuild-compliance",
        rebuild_compliance,
        CronTrigger(hour=2, minute=30, timezone=LONDON),
        "recompute everyone's compliance status from the training record and the rules, and the overview's counts",
    ),
    Job(
        "warn-dormant-accounts",
        warn_dormant_accounts,
        CronTrigger(hour=4, minute=0, timezone=LONDON),
        "email people whose accounts will become dormant within a month",
    ),
    Job(
        "make-accounts-dormant",
        make_accounts_dormant,
        CronTrigger(hour=4, minute=15, timezone=LONDON),
        "make accounts not used for the licence policy's period dormant",
    ),
    Job(
        "close-dormant-accounts",
        close_dormant_accounts,
        CronTrigger(hour=4, minute=30, timezone=LONDON),
        "close accounts dormant for longer than the licence policy allows (the retention rule for accounts)",
    ),
    Job(
        "prune-sent-emails",
        prune_sent_emails,
        CronTrigger(hour=4, minute=45, timezone=LONDON),
        "clear the text and attachments of emails sent or given up on longer ago than the retention period "
        "(the retention rule for email)",
    ),
    # After the nightly rebuild of the status table (02:30); the send-email job delivers.
    Job(
        "queue-reminders",
        queue_reminders,
        CronTrigger(hour=6, minute=0, timezone=LONDON),
        "queue training reminders (60, 30 and 7 days before a due date, and when overdue) and new starters' emails",
    ),
    Job(
        "queue-lead-digests",
        queue_lead_digests,
        CronTrigger(hour=6, minute=10, timezone=LONDON),
        "queue each setting lead's weekly list of staff overdue or due within 60 days (once per week)",
    ),
    Job("expire-offers", expire_offers, IntervalTrigger(minutes=5, timezone=LONDON),
        "end waiting-list offers not taken in time and offer the places to the next people"),
    Job("queue-session-reminders", queue_session_reminders, IntervalTrigger(minutes=15, timezone=LONDON),
        "remind people with a place two days before their session (once each)"),
    Job("alert-under-minimum", alert_under_minimum, IntervalTrigger(hours=1, timezone=LONDON),
        "tell the admins about sessions below their minimum numbers at the cancellation cut-off (once each)"),
]


def get_job(name: str) -> Job:
    """The job called `name`; KeyError if there is none."""
    for job in JOBS:
        if job.name == name:
            return job
    raise KeyError(name)


def _summarise(result: object) -> str:
    if isinstance(result, dict):
        return ", ".join(f"{key} {value}" for key, value in result.items()) or "nothing to do"
    return "done" if result is None else str(result)


def run_job(name: str, *, app: Flask | None = None) -> str:
    """Run one job now, in a fresh app context, with now=utcnow(). Records the run in
    JobRun and returns the job's summary; re-raises the job's error after recording it.
    KeyError if no job has this name."""
    from lms.notifications import services as notifications

    job = get_job(name)
    app = app or current_app._get_current_object()
    with app.app_context():
        now = utcnow()
        notifications.record_job_started(name, now=now)
        db.session.commit()
        try:
            result = job.function(now=now)
        except Exception as error:
            db.session.rollback()
            logger.exception("Job %s failed", name)
            detail = "".join(traceback.format_exception_only(type(error), error)).strip()
            notifications.record_job_finished(name, now=utcnow(), error=detail[:2000])
            db.session.commit()
            raise
        notifications.record_job_finished(name, now=utcnow())
        db.session.commit()
        summary = _summarise(result)
        logger.debug("Job %s: %s", name, summary)
        return summary


# --- one scheduler per install ---------------------------------------------------------------

class SchedulerAlreadyRunning(click.ClickException):
    """Another scheduler holds the lock."""


# A fixed 64-bit key for pg_try_advisory_lock, derived from a name so it is recognisable.
ADVISORY_LOCK_KEY = int.from_bytes(hashlib.sha256(b"lms-scheduler").digest()[:8], "big", signed=True)


class PostgresLock:
    """A session-level advisory lock, held by a connection kept open for the scheduler's life.
    Advisory locks are per database, so one scheduler runs per install."""

    def __init__(self, engine):
        self.engine = engine
        self.connection = None
        self.description = f"PostgreSQL advisory lock {ADVISORY_LOCK_KEY}"

    def acquire(self) -> None:
        connection = self.engine.connect()
        try:
            got = connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY}).scalar()
            connection.commit()
        except BaseException:
            connection.invalidate()
            connection.close()
            raise
        if not got:
            connection.close()
            raise SchedulerAlreadyRunning(
                "Another scheduler is already running for this database (it holds PostgreSQL advisory "
                f"lock {ADVISORY_LOCK_KEY}). Run only one scheduler per install; this one is stopping."
            )
        self.connection = connection

    def check(self) -> bool:
        """True while the connection holding the lock is alive (if it drops, so does the lock)."""
        try:
            self.connection.execute(text("SELECT 1"))
            self.connection.commit()
            return True
        except Exception:
            return False

    def release(self) -> None:
        if self.connection is None:
            return
        try:
            self.connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY})
            self.connection.commit()
        except Exception:
            pass
        finally:
            # Closing the database connection (not just returning it to the pool) makes
            # sure no lock outlives the scheduler.
            self.connection.invalidate()
            self.connection.close()
            self.connection = None


class FileLock:
    """An exclusive flock on a file (SQLite installs: one machine, one database file).
    The kernel drops the lock when the process ends, however it ends."""

    def __init__(self, path: str):
        self.path = path
        self.handle = None
        self.description = f"lock file {path}"

    def acquire(self) -> None:
        os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
        handle = open(self.path, "a+")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip()
            handle.close()
            raise SchedulerAlreadyRunning(
                f"Another scheduler is already running (it holds the lock file {self.path}"
                + (f", process {holder}" if holder else "")
                + "). Run only one scheduler per install; this one is stopping."
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self.handle = handle

    def check(self) -> bool:
        return True

    def release(self) -> None:
        if self.handle is not None:
            fcntl.flock(self.handle.fileno(), fcntl.LOCK_UN)
            self.handle.close()
            self.handle = None


def scheduler_lock(app: Flask):
    """The lock that keeps the scheduler to one process per install."""
    if db.engine.dialect.name == "postgresql":
        return PostgresLock(db.engine)
    path = app.config.get("SCHEDULER_LOCK_FILE") or os.path.join(app.instance_path, "scheduler.lock")
    return FileLock(path)


def build_scheduler(app: Flask, *, lock=None) -> BlockingScheduler:
    """A BlockingScheduler with every job in JOBS (not started). The every-minute jobs
    also run at once on start, so the heartbeat and waiting email do not wait a minute."""
    scheduler = BlockingScheduler(
        jobstores={"default": MemoryJobStore()},
        executors={"default": ThreadPoolExecutor(max_workers=4)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300},
        timezone=LONDON,
    )
    for job in JOBS:
        options = {}
        if isinstance(job.trigger, IntervalTrigger):
            options["next_run_time"] = datetime.now(LONDON)
        scheduler.add_job(
            run_job, trigger=job.trigger, args=[job.name], kwargs={"app": app}, id=job.name, name=job.name, **options
        )
    if lock is not None:

        def watch_lock():
            if not lock.check():
                logger.error("Lost the database connection holding the scheduler lock; stopping.")
                scheduler.lost_lock = True
                scheduler.shutdown(wait=False)

        scheduler.add_job(watch_lock, IntervalTrigger(seconds=30, timezone=LONDON), id="watch-lock", name="watch-lock")
    scheduler.lost_lock = False
    return scheduler


def run_scheduler(app: Flask | None = None) -> None:
    """Run the scheduler in this process until stopped (SIGINT or SIGTERM). Exits with a
    clear message if another scheduler already runs for this install."""
    app = app or current_app._get_current_object()
    if app.logger.level == logging.NOTSET:  # (app.logger also gives it Flask's stderr handler)
        app.logger.setLevel(logging.INFO)  # say what the jobs did: email sent, retries, errors
    with app.app_context():
        lock = scheduler_lock(app)
        lock.acquire()
    try:
        scheduler = build_scheduler(app, lock=lock)
        if threading.current_thread() is threading.main_thread():

            def stop(signum, frame):
                logger.info("Scheduler stopping (signal %s)", signum)
                raise SystemExit(0)

            signal.signal(signal.SIGTERM, stop)
        names = ", ".join(job.name for job in JOBS)
        click.echo(f"Scheduler started (holding the {lock.description}); jobs: {names}. Stop with Ctrl+C or SIGTERM.")
        try:
            scheduler.start()
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            if scheduler.running:
                scheduler.shutdown(wait=True)
        if scheduler.lost_lock:
            raise click.ClickException("The scheduler stopped: it lost the database connection that held its lock.")
        click.echo("Scheduler stopped.")
    finally:
        lock.release()
