"""The downloads' pages: only the requester, and only while they may still see what the
download holds; anyone else gets a 404 for the page, its JSON and the file."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from lms.downloads import jobs, services
from lms.downloads.models import FAILED, PreparedDownload
from lms.extensions import db
from tests import factories
from tests.conftest import NOW


@pytest.fixture()
def people(test_kind):
    asker = factories.user("asker@example.org", full_name="Asa Asker")
    other = factories.user("other@example.org", full_name="Oli Other")
    admin = factories.user("admin@example.org", full_name="Ada Admin", admin=True, roles=("other",))
    test_kind.allowed.update({asker.id, other.id, admin.id})
    db.session.commit()
    return {"asker": asker, "other": other, "admin": admin}


def _made(person, *, run: bool = True) -> PreparedDownload:
    download = services.queue(person, "test-kind", {"n": 2}, title="Test file", now=NOW)
    db.session.commit()
    if run:
        jobs.run_downloads(now=NOW)
        db.session.expire_all()
        download = db.session.get(PreparedDownload, download.id)
    return download


def test_the_requester_follows_a_waiting_download(app, people):
    download = _made(people["asker"], run=False)
    client = factories.signed_in_client(app, people["asker"])
    page = client.get(f"/downloads/{download.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<h1 class=\"govuk-heading-l\">Test file</h1>" in html and "Waiting" in html
    assert "<progress" in html and 'aria-live="polite"' in html
    assert f'href="/downloads/{download.id}"' in html and "Check progress" in html
    assert "http-equiv" not in html  # no meta refresh
    assert "&lt;span" not in html
    state = client.get(f"/downloads/{download.id}/progress.json").get_json()
    assert state == {"id": download.id, "status": "queued", "done": 0, "total": None, "text": "Waiting to start",
                     "file_url": None}
    assert client.get(f"/downloads/{download.id}/file").status_code == 404  # not made yet
    listing = client.get("/downloads").get_data(as_text=True)
    assert "Your downloads" in listing and f"/downloads/{download.id}" in listing


def test_the_requester_downloads_the_file_when_it_is_ready(app, people):
    download = _made(people["asker"])
    client = factories.signed_in_client(app, people["asker"])
    html = client.get(f"/downloads/{download.id}").get_data(as_text=True)
    assert "Ready" in html and f"/downloads/{download.id}/file" in html and "Available until" in html
    state = client.get(f"/downloads/{download.id}/progress.json").get_json()
    assert state["status"] == "ready" and state["text"] == "3 of 3 people"
    assert state["file_url"] == f"/downloads/{download.id}/file"
    response = client.get(f"/downloads/{download.id}/file")
    assert response.status_code == 200 and response.data == b"hello, 2"
    assert response.headers["Content-Disposition"] == "attachment; filename=hello.txt"
    assert response.headers["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize("who", ["other", "admin"])
def test_nobody_else_sees_a_download_not_even_an_admin(app, people, who):
    download = _made(people["asker"])
    client = factories.signed_in_client(app, people[who])
    for path in ("", "/progress.json", "/file"):
        assert client.get(f"/downloads/{download.id}{path}").status_code == 404, path
    assert client.post(f"/downloads/{download.id}/retry").status_code == 404
    assert f"/downloads/{download.id}" not in client.get("/downloads").get_data(as_text=True)


def test_a_requester_who_lost_access_gets_a_404(app, people, test_kind):
    download = _made(people["asker"])
    test_kind.allowed.discard(people["asker"].id)
    client = factories.signed_in_client(app, people["asker"])
    for path in ("", "/progress.json", "/file"):
        assert client.get(f"/downloads/{download.id}{path}").status_code == 404, path


def test_signed_out_people_are_sent_to_sign_in(app, people):
    download = _made(people["asker"])
    client = app.test_client()
    for path in ("/downloads", f"/downloads/{download.id}", f"/downloads/{download.id}/file"):
        assert client.get(path).status_code == 302, path


def test_a_failed_download_offers_to_try_again(app, people, test_kind):
    test_kind.fail_with = RuntimeError("out of paper")
    download = _made(people["asker"])
    assert download.status == FAILED
    client = factories.signed_in_client(app, people["asker"])
    html = client.get(f"/downloads/{download.id}").get_data(as_text=True)
    assert "out of paper" in html and "Try again" in html
    response = client.post(f"/downloads/{download.id}/retry")
    assert response.status_code == 302 and response.headers["Location"] == f"/downloads/{download.id}"
    db.session.expire_all()
    assert db.session.scalar(select(PreparedDownload.status)) == "queued"


def test_the_retry_form_needs_its_csrf_token(app, people, test_kind):
    test_kind.fail_with = RuntimeError("out of paper")
    download = _made(people["asker"])
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        client = factories.signed_in_client(app, people["asker"])
        client.post(f"/downloads/{download.id}/retry")
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    db.session.expire_all()
    assert db.session.scalar(select(PreparedDownload.status)) == FAILED
