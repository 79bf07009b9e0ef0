"""Runs the jobs of lms.scheduler.JOBS: one now (run_job, for `flask lms jobs run NAME`,
tests and cron), or all of them on time in this process (run_scheduler, for `flask lms
scheduler`): one process per install, enforced by a PostgreSQL advisory lock, or on SQLite
by a lock file. Never started by create_app(), wsgi.py or a gunicorn worker.
"""
from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import signal
import threading
import traceback
from datetime import datetime

import click
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask, current_app
from sqlalchemy import text

from lms.core.jobs import summarise
from lms.core.time import LONDON, utcnow
from lms.extensions import db
from lms.notifications import services as notifications
from lms.scheduler import JOBS, get_job

logger = logging.getLogger("lms.scheduler")


def run_job(name: str, *, app: Flask | None = None) -> str:
    """Run one job now, in a fresh app context, with now=utcnow(). Records the run in
    JobRun and returns the job's summary; re-raises the job's error after recording it.
    KeyError if no job has this name."""
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
        summary = summarise(result)
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
