"""The prepared downloads' services and jobs: asking, claiming once, progress, failure,
expiry and the email with the link."""
from __future__ import annotations

import os
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from lms.core.errors import NotFound
from lms.downloads import jobs, services
from lms.downloads.models import EXPIRED, FAILED, QUEUED, READY, RUNNING, PreparedDownload
from lms.extensions import db
from lms.notifications.jobs import send_outbox
from lms.notifications.models import OutboundEmail
from tests import factories
from tests.conftest import NOW


@pytest.fixture()
def requester(test_kind):
    person = factories.user("asker@example.org", full_name="Asa Asker")
    test_kind.allowed.add(person.id)
    db.session.commit()
    return person


def _queue(person, n: int = 1, *, now=NOW) -> PreparedDownload:
    download = services.queue(person, "test-kind", {"n": n}, title=f"Test file {n}", now=now)
    db.session.commit()
    return download


def test_asking_queues_a_download_for_the_requester(requester):
    download = _queue(requester)
    assert (download.status, download.requested_by_id, download.params) == (QUEUED, requester.id, {"n": 1})
    assert download.progress_text == "Waiting to start"


def test_nobody_may_ask_for_what_they_may_not_see(test_kind):
    stranger = factories.user()
    with pytest.raises(NotFound):
        services.queue(stranger, "test-kind", {}, title="No", now=NOW)


def test_the_job_makes_the_file_with_progress_and_emails_the_link(app, requester, test_kind, downloads_folder,
                                                                 smtp_server):
    download = _queue(requester, 7)
    assert jobs.run_downloads(now=NOW) == {"made": 1, "failed": 0}
    db.session.expire_all()
    download = db.session.get(PreparedDownload, download.id)
    assert download.status == READY and download.finished_at == NOW
    assert download.expires_at == NOW + timedelta(days=7)
    assert (download.file_name, download.content_type, download.size) == ("hello.txt", "text/plain", 8)
    # The progress was committed where the page reads it while the job was still running.
    assert test_kind.seen_progress == [(3, 3, "people")]
    assert download.progress_text == "3 of 3 people"
    # Stored under a random name in the folder, never the file's own name.
    assert download.stored_name != "hello.txt" and download.stored_name.startswith(f"{download.id}-")
    with open(os.path.join(downloads_folder, download.stored_name), "rb") as handle:
        assert handle.read() == b"hello, 7"
    # The email, through a real SMTP server, with the link to the page.
    send_outbox(now=NOW + timedelta(minutes=1))
    [message] = smtp_server.messages
    assert message["To"] == "asker@example.org" and message["Subject"] == "Your download is ready: Test file 7"
    body = message.get_body(("plain",)).get_content()
    assert f"http://localhost/downloads/{download.id}" in body and "7 days" in body
    # Nothing more to do.
    assert jobs.run_downloads(now=NOW) == {"made": 0, "failed": 0}


def test_two_runners_claim_a_download_once(app, requester):
    download = _queue(requester)
    barrier = threading.Barrier(2)
    claimed = []

    def runner():
        with app.app_context():
            barrier.wait()
            claimed.append(services.claim_next(now=NOW))
            db.session.remove()

    threads = [threading.Thread(target=runner) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(claimed, key=lambda x: x is None) == [download.id, None]
    db.session.expire_all()
    assert db.session.get(PreparedDownload, download.id).status == RUNNING
    assert services.claim_next(now=NOW) is None


def test_a_download_left_running_by_a_stopped_scheduler_is_taken_again(requester):
    download = _queue(requester)
    assert services.claim_next(now=NOW) == download.id
    assert services.claim_next(now=NOW + timedelta(minutes=30)) is None
    assert services.claim_next(now=NOW + timedelta(hours=2)) == download.id


def test_the_oldest_is_made_first(requester):
    first, second = _queue(requester, 1), _queue(requester, 2)
    assert services.claim_next(now=NOW) == first.id
    assert services.claim_next(now=NOW) == second.id


def test_a_failure_is_kept_with_its_reason_emailed_and_can_be_tried_again(app, requester, test_kind):
    test_kind.fail_with = RuntimeError("the printer is on fire")
    download = _queue(requester)
    assert jobs.run_downloads(now=NOW) == {"made": 0, "failed": 1}
    db.session.expire_all()
    download = db.session.get(PreparedDownload, download.id)
    assert download.status == FAILED and "the printer is on fire" in download.error
    email = db.session.scalars(select(OutboundEmail)).one()
    assert email.subject == "Your download could not be made: Test file 1"
    assert f"http://localhost/downloads/{download.id}" in email.body_text and "try again" in email.body_text

    test_kind.fail_with = None
    services.retry(download, now=NOW + timedelta(minutes=5))
    db.session.commit()
    assert download.status == QUEUED and download.error is None
    assert jobs.run_downloads(now=NOW + timedelta(minutes=5)) == {"made": 1, "failed": 0}


def test_a_requester_who_lost_access_gets_a_failure_not_the_file(requester, test_kind):
    download = _queue(requester)
    test_kind.allowed.clear()
    jobs.run_downloads(now=NOW)
    db.session.expire_all()
    download = db.session.get(PreparedDownload, download.id)
    assert download.status == FAILED and download.stored_name is None
    assert download.error == "You can no longer see what this download holds"


def test_expired_files_are_deleted_daily(app, requester, downloads_folder):
    download = _queue(requester)
    jobs.run_downloads(now=NOW)
    db.session.expire_all()
    download = db.session.get(PreparedDownload, download.id)
    path = os.path.join(downloads_folder, download.stored_name)
    assert os.path.exists(path)
    assert jobs.expire_downloads(now=NOW + timedelta(days=6)) == {"expired": 0}
    assert jobs.expire_downloads(now=NOW + timedelta(days=7)) == {"expired": 1}
    db.session.expire_all()
    download = db.session.get(PreparedDownload, download.id)
    assert download.status == EXPIRED and download.stored_name is None and not os.path.exists(path)


def test_retention_is_configurable(app, requester, monkeypatch):
    monkeypatch.setitem(app.config, "DOWNLOAD_RETENTION_DAYS", 2)
    download = _queue(requester)
    jobs.run_downloads(now=NOW)
    db.session.expire_all()
    assert db.session.get(PreparedDownload, download.id).expires_at == NOW + timedelta(days=2)


def test_erasing_a_person_deletes_their_downloads_and_requests_naming_them(app, requester, test_kind, downloads_folder):
    from lms.privacy import services as privacy

    admin = factories.user("admin@example.org", full_name="Ada Admin", admin=True, roles=("other",))
    colleague = factories.user("col@example.org", full_name="Cole League")
    test_kind.allowed.add(colleague.id)
    own = _queue(requester, 1)
    naming = services.queue(colleague, "test-kind", {"q": "Asa Asker"}, title="Export", now=NOW)
    other = services.queue(colleague, "test-kind", {"q": "someone else"}, title="Export", now=NOW)
    db.session.commit()
    jobs.run_downloads(now=NOW)
    db.session.expire_all()
    path = os.path.join(downloads_folder, db.session.get(PreparedDownload, own.id).stored_name)
    assert os.path.exists(path)
    privacy.erase(db.session.get(type(requester), requester.id), actor=admin, now=NOW, reason="Asked to be forgotten")
    db.session.commit()
    assert set(db.session.scalars(select(PreparedDownload.id))) == {other.id}
    assert not os.path.exists(path) and naming.id != other.id
