"""The table of jobs, running one job, the retention job, and the scheduler process with
its one-per-install lock (a real process, a real lock)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import timedelta
from pathlib import Path

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select

from lms import runner as job_runner
from lms.accounts.jobs import prune_security_records
from lms.accounts.models import AccountToken, LoginAttempt, SignInGuard, UserSession
from lms.core.time import utcnow
from lms.extensions import db
from lms.notifications import services as notifications
from lms.notifications.models import JobRun, OutboundEmail
from lms.runner import SchedulerAlreadyRunning, run_job, run_scheduler, scheduler_lock
from lms.scheduler import JOBS
from tests import factories
from tests.notifications.helpers import queue, use_smtp
from tests.notifications.smtp import SMTPServer

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture()
def smtp_server(app, monkeypatch):
    with SMTPServer() as server:
        use_smtp(app, monkeypatch, server)
        yield server


@pytest.fixture()
def lock_file(app, tmp_path, monkeypatch):
    """A lock file of the test's own, so a developer's running scheduler is left alone."""
    path = tmp_path / "scheduler.lock"
    monkeypatch.setitem(app.config, "SCHEDULER_LOCK_FILE", str(path))
    return path


def job_run(name: str) -> JobRun | None:
    db.session.expire_all()
    return db.session.get(JobRun, name)


# --- the table --------------------------------------------------------------------------------

def test_the_jobs_and_when_they_run():
    assert [job.name for job in JOBS][:3] == ["send-email", "heartbeat", "prune-security-records"]
    assert {"rebuild-compliance", "warn-dormant-accounts", "make-accounts-dormant"} <= {job.name for job in JOBS}
    assert len({job.name for job in JOBS}) == len(JOBS)
    by_name = {job.name: job for job in JOBS}
    assert isinstance(by_name["send-email"].trigger, IntervalTrigger)
    assert by_name["send-email"].trigger.interval == timedelta(minutes=1)
    assert isinstance(by_name["prune-security-records"].trigger, CronTrigger)
    assert by_name["send-email"].describe() == "every minute: send queued email"
    assert by_name["prune-security-records"].describe().startswith("every day at 03:15 (Europe/London): delete")


def test_jobs_list_command(runner):
    result = runner.invoke(args=["lms", "jobs", "list"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert len(lines) == len(JOBS)
    assert lines[0].split()[:4] == ["send-email", "every", "minute:", "send"]
    assert "prune-security-records" in lines[2] and "03:15" in lines[2]


def test_build_scheduler_settings(app):
    built = job_runner.build_scheduler(app)
    assert str(built.timezone) == "Europe/London"
    # Every job: a missed run is run once, and never two copies of one job at once.
    assert built._job_defaults["coalesce"] is True
    assert built._job_defaults["max_instances"] == 1
    jobs = {job.id: job for job in built.get_jobs()}
    assert set(jobs) == {job.name for job in JOBS}
    for job in jobs.values():
        assert job.func is run_job
        assert job.args == (job.id,)
        assert job.kwargs == {"app": app}


# --- running one job --------------------------------------------------------------------------

def test_run_job_unknown_name(app):
    with pytest.raises(KeyError):
        run_job("no-such-job")
    assert job_run("no-such-job") is None


def test_jobs_run_command_with_an_unknown_name(runner):
    result = runner.invoke(args=["lms", "jobs", "run", "no-such-job"])
    assert result.exit_code != 0
    assert "No job is called no-such-job" in result.output


def test_heartbeat_records_a_job_run(app):
    before = utcnow()
    assert run_job("heartbeat") == "the scheduler is running"
    row = job_run("heartbeat")
    assert before <= row.last_started_at <= row.last_finished_at <= utcnow()
    assert row.last_error is None
    assert notifications.scheduler_is_running(now=utcnow())
    assert not notifications.scheduler_is_running(now=utcnow() + timedelta(minutes=6))


def test_no_heartbeat_means_not_running(app):
    assert not notifications.scheduler_is_running(now=utcnow())


def test_jobs_run_send_email_command(runner, now, smtp_server):
    queue(2, now=now - timedelta(days=1))
    result = runner.invoke(args=["lms", "jobs", "run", "send-email"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "send-email: sent 2, retrying 0, failed 0, skipped 0"
    assert sorted(message["Subject"] for message in smtp_server.messages) == ["Message 1", "Message 2"]
    assert job_run("send-email").last_error is None
    # Again: nothing more goes.
    result = runner.invoke(args=["lms", "jobs", "run", "send-email"])
    assert result.output.strip() == "send-email: sent 0, retrying 0, failed 0, skipped 0"
    assert len(smtp_server.messages) == 2


def test_a_failing_job_records_its_error(app, now, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "carrier-pigeon")
    queue(1, now=now - timedelta(days=1))
    with pytest.raises(ValueError):
        run_job("send-email")
    row = job_run("send-email")
    assert row.last_error.startswith("ValueError: MAIL_BACKEND must be console, smtp or notify")
    assert row.last_finished_at is not None
    # The next good run clears it.
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "console")
    run_job("send-email")
    assert job_run("send-email").last_error is None


# --- retention --------------------------------------------------------------------------------

def test_prune_deletes_only_old_security_records(app, now):
    person = factories.user()
    old, recent = now - timedelta(days=31), now - timedelta(days=29)

    def attempt(when):
        db.session.add(LoginAttempt(kind="sign-in", email=person.email, ip_address="192.0.2.1", created_at=when))

    def session(token, created, last_seen, revoked=None):
        db.session.add(UserSession(token_hash=token * 64, user_id=person.id, created_at=created, last_seen_at=last_seen,
                                   revoked_at=revoked))

    def token(letter, created, expires, used=None):
        db.session.add(AccountToken(user_id=person.id, purpose="reset-password", token_hash=letter * 64,
                                    created_at=created, expires_at=expires, used_at=used))

    attempt(old), attempt(recent), attempt(now)
    db.session.add_all([SignInGuard(email="old@example.org", touched_at=old),  # goes
                        SignInGuard(email=person.email, touched_at=recent)])  # stays
    session("a", old, old, revoked=old)  # signed out long ago: goes
    session("b", recent - timedelta(hours=1), recent, revoked=recent)  # signed out recently: stays
    session("c", old - timedelta(days=1), old)  # idle for a month: goes
    session("d", now - timedelta(hours=1), now)  # in use: stays
    token("e", old, old + timedelta(hours=1), used=old)  # used long ago: goes
    token("f", old, old + timedelta(hours=1))  # expired long ago: goes
    token("g", recent, recent + timedelta(hours=1), used=recent)  # used recently: stays
    token("h", now, now + timedelta(days=7))  # still live: stays
    db.session.commit()

    result = prune_security_records(now=now)

    assert result == {"login attempts deleted": 1, "sign-in guards deleted": 1, "sessions deleted": 2,
                      "account tokens deleted": 2}
    assert list(db.session.scalars(select(SignInGuard.email))) == [person.email]
    assert sorted(db.session.scalars(select(LoginAttempt.created_at))) == [recent, now]
    assert sorted(row[0] for row in db.session.scalars(select(UserSession.token_hash))) == ["b", "d"]
    assert sorted(row[0] for row in db.session.scalars(select(AccountToken.token_hash))) == ["g", "h"]
    # Idempotent: a second night finds nothing more.
    assert set(prune_security_records(now=now).values()) == {0}


def test_prune_job_runs_by_name(app):
    assert run_job("prune-security-records") == (
        "login attempts deleted 0, sign-in guards deleted 0, sessions deleted 0, account tokens deleted 0"
    )
    assert job_run("prune-security-records").last_error is None


# --- one scheduler per install ----------------------------------------------------------------

def test_scheduler_will_not_start_while_another_holds_the_lock(app, lock_file, runner):
    held = scheduler_lock(app)
    held.acquire()
    try:
        with pytest.raises(SchedulerAlreadyRunning, match="Another scheduler is already running"):
            run_scheduler(app)
        result = runner.invoke(args=["lms", "scheduler"])
        assert result.exit_code == 1
        assert "Another scheduler is already running" in result.output
        assert "Run only one scheduler per install" in result.output
    finally:
        held.release()
    # Released: it can be taken again.
    again = scheduler_lock(app)
    again.acquire()
    again.release()


def test_wsgi_does_not_start_the_scheduler():
    code = "import sys, wsgi; print('lms.scheduler' in sys.modules, 'lms.runner' in sys.modules, 'apscheduler' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                            env=dict(os.environ, LMS_CONFIG="testing", PYTHONPATH=str(ROOT)))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False False False"


SCHEDULER_SCRIPT = textwrap.dedent(
    """
    import sys
    from lms import create_app
    from lms.runner import run_scheduler

    url, port, lock_file = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url, MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1",
                     MAIL_PORT=port, MAIL_USE_TLS=False, MAIL_USE_SSL=False, MAIL_USERNAME=None, MAIL_TIMEOUT=10,
                     SCHEDULER_LOCK_FILE=lock_file)
    with app.app_context():
        run_scheduler()
    """
)


def start_scheduler(app, smtp_port: int, lock_file: Path) -> subprocess.Popen:
    args = [app.config["SQLALCHEMY_DATABASE_URI"], str(smtp_port), str(lock_file)]
    return subprocess.Popen([sys.executable, "-c", SCHEDULER_SCRIPT, *args], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)))


def wait_for(condition, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.slow
def test_the_scheduler_process_runs_jobs_and_is_alone(app, now, smtp_server, lock_file):
    queue(1, now=now - timedelta(days=1))
    first = start_scheduler(app, smtp_server.port, lock_file)
    try:
        # On start it beats and sends what is waiting, without waiting a minute.
        assert wait_for(lambda: job_run("heartbeat") is not None and job_run("heartbeat").last_finished_at), (
            first.poll(), first.stderr.read() if first.poll() is not None else "")
        assert wait_for(lambda: len(smtp_server.messages) == 1)
        assert notifications.scheduler_is_running(now=utcnow())

        second = start_scheduler(app, smtp_server.port, lock_file)
        out, err = second.communicate(timeout=60)
        assert second.returncode == 1
        assert "Another scheduler is already running" in err
        assert first.poll() is None  # the first carries on
    finally:
        first.send_signal(signal.SIGTERM)
        out, err = first.communicate(timeout=60)
    assert first.returncode == 0, err
    assert "Scheduler started" in out and "Scheduler stopped." in out
    db.session.expire_all()
    assert db.session.scalar(select(OutboundEmail.sent_at)) is not None
    assert len(smtp_server.messages) == 1
    # It let go of the lock on the way out.
    lock = scheduler_lock(app)
    lock.acquire()
    lock.release()


def test_losing_the_postgresql_connection_is_noticed(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the advisory lock is PostgreSQL's")
    from sqlalchemy import text

    lock = scheduler_lock(app)
    lock.acquire()
    try:
        assert lock.check()
        pid = lock.connection.execute(text("SELECT pg_backend_pid()")).scalar()
        lock.connection.commit()
        with db.engine.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        # The lock went with the connection: the scheduler's watch sees it and another may start.
        assert not lock.check()
        taker = scheduler_lock(app)
        taker.acquire()
        taker.release()
    finally:
        lock.release()
