"""A large setting's evidence pack is prepared in the background: the page offers a POST
form instead of the direct PDF, the job makes a real PDF (read back with pypdf) with its
progress, and only the lead who asked may fetch it, while they still lead the setting."""
from __future__ import annotations

import io

import pytest
from pypdf import PdfReader
from sqlalchemy import delete, select

from lms.accounts.models import SettingLead
from lms.audit.models import AuditEvent
from lms.downloads import jobs
from lms.downloads.models import PreparedDownload
from lms.extensions import db
from tests import factories
from tests.conftest import NOW
from tests.downloads.fixtures import downloads_folder  # noqa: F401  (fixture)
from tests.reports.portfolio.test_portfolio import ARGS, world  # noqa: F401  (fixture)


@pytest.fixture()
def small_limit(app, monkeypatch):
    monkeypatch.setitem(app.config, "EVIDENCE_PACK_DIRECT_LIMIT", 2)  # Hillside has five staff


def _prepare(client, hillside) -> int:
    response = client.post(f"/organisation/evidence-pack/prepare?organisation={hillside.id}&{ARGS}")
    assert response.status_code == 302 and response.headers["Location"].startswith("/downloads/")
    return int(response.headers["Location"].rsplit("/", 1)[-1])


def test_a_large_pack_is_prepared_in_the_background(app, world, small_limit):
    hillside = world["hillside"]
    client = factories.signed_in_client(app, world["lead"])
    page = client.get(f"/organisation/evidence-pack?organisation={hillside.id}&{ARGS}").get_data(as_text=True)
    assert "Prepare the evidence pack (PDF)" in page and "evidence-pack.pdf?" not in page
    # The direct link, followed anyway, goes back to the page rather than making it in the request.
    direct = client.get(f"/organisation/evidence-pack.pdf?organisation={hillside.id}&{ARGS}")
    assert direct.status_code == 302 and "/organisation/evidence-pack?" in direct.headers["Location"]

    download_id = _prepare(client, hillside)
    download = db.session.get(PreparedDownload, download_id)
    assert download.kind == "evidence-pack" and download.params == {
        "organisation_id": hillside.id, "from": "2025-04-01", "to": "2026-03-31"}
    assert download.title == "Training evidence pack: Hillside Primary School, 1 Apr 2025 to 31 Mar 2026"
    assert client.get(f"/downloads/{download_id}").status_code == 200

    assert jobs.run_downloads(now=NOW) == {"made": 1, "failed": 0}
    db.session.expire_all()
    download = db.session.get(PreparedDownload, download_id)
    assert download.status == "ready", download.error
    assert download.progress_text.endswith("training records") or download.progress_text.endswith("people")
    assert download.file_name == "training-evidence-hillside-primary-school-2026-03-31.pdf"

    response = client.get(f"/downloads/{download_id}/file")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    for expected in ("Hillside Primary School", "Dee Ess", "Dan Deputy", "Ann Teacher", "Lee Lead",
                     "Designated safeguarding leads", "Every member of staff", "Training completed",
                     "About this evidence", "/verify", f"Page 1 of {len(reader.pages)}"):
        assert expected in text, expected
    assert "Otto Other" not in text and "Beechwood" not in text
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "evidence_pack.download")).one()
    assert event.actor_id == world["lead"].id and event.target_id == str(hillside.id)
    assert event.after["prepared_download"] == download_id


def test_only_the_lead_who_asked_may_see_it_while_they_lead_the_setting(app, world, small_limit):
    hillside = world["hillside"]
    lead = factories.signed_in_client(app, world["lead"])
    download_id = _prepare(lead, hillside)
    jobs.run_downloads(now=NOW)
    for who in ("lead_b", "admin", "teacher"):
        client = factories.signed_in_client(app, world[who])
        for path in ("", "/progress.json", "/file"):
            assert client.get(f"/downloads/{download_id}{path}").status_code == 404, (who, path)
    # Another setting's lead may not even ask.
    assert factories.signed_in_client(app, world["lead_b"]).post(
        f"/organisation/evidence-pack/prepare?organisation={hillside.id}&{ARGS}").status_code == 404
    assert factories.signed_in_client(app, world["teacher"]).post(
        f"/organisation/evidence-pack/prepare?organisation={hillside.id}&{ARGS}").status_code == 403
    # A lead who no longer leads the setting loses the file too.
    db.session.execute(delete(SettingLead).where(SettingLead.user_id == world["lead"].id))
    db.session.commit()
    assert lead.get(f"/downloads/{download_id}").status_code == 404
    assert lead.get(f"/downloads/{download_id}/file").status_code == 404


def test_a_lead_who_loses_the_role_before_the_job_runs_gets_no_pack(app, world, small_limit):
    hillside = world["hillside"]
    download_id = _prepare(factories.signed_in_client(app, world["lead"]), hillside)
    db.session.execute(delete(SettingLead).where(SettingLead.user_id == world["lead"].id))
    db.session.commit()
    assert jobs.run_downloads(now=NOW) == {"made": 0, "failed": 1}
    db.session.expire_all()
    download = db.session.get(PreparedDownload, download_id)
    assert download.status == "failed" and download.stored_name is None


def test_small_packs_stay_direct(app, world):
    client = factories.signed_in_client(app, world["lead"])
    page = client.get(f"/organisation/evidence-pack?{ARGS}").get_data(as_text=True)
    assert "Download the evidence pack (PDF)" in page and "Prepare the evidence pack" not in page


def test_worker_processes_make_the_same_pack(app, world, small_limit, monkeypatch):
    from lms.reports.portfolio import pdf

    monkeypatch.setitem(app.config, "PDF_WORKERS", 2)
    monkeypatch.setattr(pdf, "PARALLEL_FROM_PARTS", 2)  # the front, the staff, the training
    client = factories.signed_in_client(app, world["lead"])
    download_id = _prepare(client, world["hillside"])
    assert jobs.run_downloads(now=NOW) == {"made": 1, "failed": 0}
    reader = PdfReader(io.BytesIO(client.get(f"/downloads/{download_id}/file").data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    for expected in ("Hillside Primary School", "Dee Ess", "Ann Teacher", "Every member of staff",
                     "About this evidence", f"Page {len(reader.pages)} of {len(reader.pages)}"):
        assert expected in text, expected
