"""The send job against a real SMTP server: each email exactly once, however many runs,
threads or processes, with retries, backoff and giving up."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from lms.extensions import db
from lms.notifications.jobs import CLAIM_TIMEOUT, retry_delay, send_outbox
from lms.notifications.models import OutboundEmail
from tests.notifications.helpers import queue, use_smtp
from tests.notifications.notify import NotifyServer
from tests.notifications.smtp import SMTPServer

ROOT = Path(__file__).resolve().parents[2]


def rows() -> list[OutboundEmail]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboundEmail).order_by(OutboundEmail.id)))


def subjects(server: SMTPServer) -> Counter:
    return Counter(message["Subject"] for message in server.messages)


def test_retry_delay_doubles_up_to_six_hours():
    assert [retry_delay(n) for n in (1, 2, 3, 4)] == [timedelta(minutes=m) for m in (2, 4, 8, 16)]
    assert retry_delay(20) == timedelta(hours=6)


def test_sends_due_emails_and_records_them(app, now, smtp_server):
    queue(3, now=now)
    later = queue(1, now=now, start=4, send_after=now + timedelta(hours=1))[0]

    assert send_outbox(now=now) == {"sent": 3, "retrying": 0, "failed": 0, "skipped": 0}

    assert sorted(subjects(smtp_server)) == ["Message 1", "Message 2", "Message 3"]
    by_subject = {message["Subject"]: message for message in smtp_server.messages}
    for row in rows():
        if row.id == later:
            assert row.sent_at is None and row.attempts == 0
            continue
        assert row.sent_at == now
        assert row.attempts == 1
        assert row.last_error is None
        assert row.provider_reference == by_subject[row.subject]["Message-ID"]
        assert row.status == "sent"

    # The one queued for later goes when it is due.
    assert send_outbox(now=now + timedelta(hours=1))["sent"] == 1
    assert len(smtp_server.messages) == 4


def test_running_twice_sends_each_email_once(app, now, smtp_server):
    queue(5, now=now)
    first = send_outbox(now=now)
    second = send_outbox(now=now)
    third = send_outbox(now=now + timedelta(days=1))
    assert first["sent"] == 5
    assert second == third == {"sent": 0, "retrying": 0, "failed": 0, "skipped": 0}
    assert subjects(smtp_server) == Counter({f"Message {n}": 1 for n in range(1, 6)})


def test_limit_sends_the_oldest_first(app, now, smtp_server):
    queue(2, now=now, send_after=now - timedelta(minutes=1))
    queue(3, now=now, start=3)
    assert send_outbox(now=now, limit=2)["sent"] == 2
    assert sorted(subjects(smtp_server)) == ["Message 1", "Message 2"]
    assert send_outbox(now=now, limit=2)["sent"] == 2
    assert send_outbox(now=now, limit=2)["sent"] == 1
    assert len(smtp_server.messages) == 5


def test_two_threads_at_once_send_each_email_once(app, now, smtp_server):
    total = 60
    queue(total, now=now)
    barrier = threading.Barrier(2)
    summaries, errors = [], []

    def run():
        try:
            with app.app_context():
                barrier.wait(timeout=10)
                summaries.append(send_outbox(now=now))
        except Exception as error:  # reported below, so a crash in a thread fails the test
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert len(summaries) == 2
    counts = subjects(smtp_server)
    assert len(smtp_server.messages) == total
    assert set(counts.values()) == {1}
    assert sum(summary["sent"] for summary in summaries) == total
    # Whatever one thread claimed, the other found claimed (how the work was shared
    # depends on timing: only the totals are certain).
    assert all(summary["sent"] + summary["skipped"] <= total for summary in summaries)
    assert all(row.sent_at is not None and row.attempts == 1 for row in rows())


PROCESS_SCRIPT = textwrap.dedent(
    """
    import json, sys, time
    from datetime import datetime
    from lms import create_app
    from lms.notifications.jobs import send_outbox

    url, port, now, start_at = sys.argv[1], int(sys.argv[2]), datetime.fromisoformat(sys.argv[3]), float(sys.argv[4])
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url, MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1",
                     MAIL_PORT=port, MAIL_USE_TLS=False, MAIL_USE_SSL=False, MAIL_USERNAME=None, MAIL_TIMEOUT=10)
    with app.app_context():
        time.sleep(max(0.0, start_at - time.time()))
        print(json.dumps(send_outbox(now=now)))
    """
)


@pytest.mark.slow
def test_two_processes_at_once_send_each_email_once(app, now, smtp_server):
    total = 60
    queue(total, now=now)
    start_at = time.time() + 4  # both processes will have started by then
    args = [app.config["SQLALCHEMY_DATABASE_URI"], str(smtp_server.port), now.isoformat(), str(start_at)]
    processes = [
        subprocess.Popen([sys.executable, "-c", PROCESS_SCRIPT, *args], cwd=ROOT, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)))
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=120) for process in processes]
    for process, (out, err) in zip(processes, outputs):
        assert process.returncode == 0, err
    summaries = [json.loads(out.strip().splitlines()[-1]) for out, _ in outputs]
    assert sum(summary["sent"] for summary in summaries) == total
    assert len(smtp_server.messages) == total
    assert set(subjects(smtp_server).values()) == {1}


def test_failure_backs_off_then_succeeds(app, now, monkeypatch):
    [email_id] = queue(1, now=now)
    with SMTPServer("451 4.3.0 Mail server temporarily rejected message") as busy:
        use_smtp(app, monkeypatch, busy)
        assert send_outbox(now=now) == {"sent": 0, "retrying": 1, "failed": 0, "skipped": 0}
        [row] = rows()
        assert row.attempts == 1
        assert row.sent_at is None and row.failed_at is None
        assert "451 4.3.0 Mail server temporarily rejected message" in row.last_error
        assert row.claimed_at is None and row.claim_token is None  # released
        assert row.send_after == now + timedelta(minutes=2)
        # Not due again until the backoff has passed.
        assert send_outbox(now=now + timedelta(minutes=1))["retrying"] == 0
        assert busy.handler.rejected == 1
        assert send_outbox(now=now + timedelta(minutes=2))["retrying"] == 1
        [row] = rows()
        assert row.attempts == 2
        assert row.send_after == now + timedelta(minutes=2) + timedelta(minutes=4)

    with SMTPServer() as working:
        use_smtp(app, monkeypatch, working)
        assert send_outbox(now=now + timedelta(minutes=6))["sent"] == 1
    [row] = rows()
    assert row.id == email_id
    assert row.sent_at == now + timedelta(minutes=6)
    assert row.attempts == 3
    assert row.last_error is None
    assert len(working.messages) == 1


def test_gives_up_after_max_attempts(app, now, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_MAX_ATTEMPTS", 3)
    queue(1, now=now)
    when = now
    with SMTPServer("550 5.1.1 No such mailbox") as refusing:
        use_smtp(app, monkeypatch, refusing)
        results = []
        for _ in range(3):
            results.append(send_outbox(now=when))
            [row] = rows()
            when = row.send_after
        assert [result["retrying"] for result in results] == [1, 1, 0]
        assert results[-1]["failed"] == 1
        [row] = rows()
        assert row.attempts == 3
        assert row.failed_at is not None and row.sent_at is None
        assert row.status == "failed"
        assert "550 5.1.1 No such mailbox" in row.last_error
        # Given up: never tried again.
        assert send_outbox(now=when + timedelta(days=7))["retrying"] == 0
        assert refusing.handler.rejected == 3


def test_a_broken_message_fails_at_once(app, now, smtp_server):
    queue(1, now=now, attachments=[{"filename": "a.pdf", "content_type": "application/pdf", "content": "%%%"}])
    assert send_outbox(now=now) == {"sent": 0, "retrying": 0, "failed": 1, "skipped": 0}
    [row] = rows()
    assert row.failed_at == now and row.attempts == 1
    assert "Attachment 1 is not valid" in row.last_error
    assert smtp_server.messages == []


def test_a_crashed_claim_is_taken_over_after_the_timeout(app, now, smtp_server):
    [email_id] = queue(1, now=now)
    # A process claimed it five minutes ago and died before sending.
    db.session.execute(
        update(OutboundEmail).where(OutboundEmail.id == email_id)
        .values(claimed_at=now - timedelta(minutes=5), claim_token="f" * 32, attempts=1)
    )
    db.session.commit()
    assert send_outbox(now=now)["sent"] == 0  # the claim may still be alive
    later = now - timedelta(minutes=5) + CLAIM_TIMEOUT + timedelta(seconds=1)
    assert send_outbox(now=later)["sent"] == 1
    [row] = rows()
    assert row.sent_at == later and row.attempts == 2
    assert len(smtp_server.messages) == 1


def test_a_claim_abandoned_on_the_last_attempt_is_given_up(app, now, smtp_server, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_MAX_ATTEMPTS", 2)
    [email_id] = queue(1, now=now)
    db.session.execute(
        update(OutboundEmail).where(OutboundEmail.id == email_id)
        .values(claimed_at=now - timedelta(hours=1), claim_token="e" * 32, attempts=2, last_error="421 try later")
    )
    db.session.commit()
    assert send_outbox(now=now) == {"sent": 0, "retrying": 0, "failed": 1, "skipped": 0}
    [row] = rows()
    assert row.failed_at == now
    assert row.last_error == "421 try later"  # the real reason is kept
    assert smtp_server.messages == []


def test_console_backend_is_the_default(app, now, capsys, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "console")
    queue(2, now=now)
    assert send_outbox(now=now)["sent"] == 2
    printed = capsys.readouterr().out
    assert "Subject: Message 1" in printed and "Subject: Message 2" in printed
    assert all(row.sent_at == now for row in rows())


def test_notify_backend_through_the_job(app, now, monkeypatch):
    queue(2, now=now)
    with NotifyServer() as notify:
        monkeypatch.setitem(app.config, "MAIL_BACKEND", "notify")
        monkeypatch.setitem(app.config, "NOTIFY_API_KEY", notify.api_key)
        monkeypatch.setitem(app.config, "NOTIFY_TEMPLATE_ID", "f1a2b3c4-0000-4000-8000-000000000001")
        monkeypatch.setitem(app.config, "NOTIFY_BASE_URL", notify.base_url)
        assert send_outbox(now=now)["sent"] == 2
    assert [request["body"]["personalisation"]["subject"] for request in notify.requests] == ["Message 1", "Message 2"]
    assert all(request["claims"]["iss"] == notify.service_id for request in notify.requests)
    for row, request in zip(rows(), notify.requests):
        assert request["body"]["reference"] == f"outbox-{row.id}"
        assert row.provider_reference  # Notify's notification id


def test_nothing_due_opens_no_connection(app, now, monkeypatch):
    from tests.notifications.smtp import free_port

    # Nobody listens on this port: a connection attempt would fail the run.
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "smtp")
    monkeypatch.setitem(app.config, "MAIL_PORT", free_port())
    queue(1, now=now, send_after=now + timedelta(minutes=5))
    assert send_outbox(now=now) == {"sent": 0, "retrying": 0, "failed": 0, "skipped": 0}


@pytest.mark.parametrize("status", ["sent", "failed"])
def test_finished_rows_are_never_claimed(app, now, smtp_server, status):
    [email_id] = queue(1, now=now)
    db.session.execute(update(OutboundEmail).where(OutboundEmail.id == email_id).values(**{f"{status}_at": now}))
    db.session.commit()
    assert send_outbox(now=now + timedelta(hours=1))["sent"] == 0
    assert smtp_server.messages == []
