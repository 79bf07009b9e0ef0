"""A session with many certificates: the ZIP is prepared in the background (above
CERTIFICATE_ZIP_DIRECT_LIMIT), made by the run-downloads job as a real ZIP of PDFs, for the
trainer who asked only."""
from __future__ import annotations

import io
import zipfile

import pytest
from pypdf import PdfReader

from lms.courses.sessions import services
from lms.downloads import jobs
from lms.downloads.models import PreparedDownload
from lms.extensions import db
from tests import factories
from tests.certificates.conftest import AFTER_SESSION
from tests.downloads.fixtures import downloads_folder  # noqa: F401  (fixture)


@pytest.fixture()
def issued(app, past_session, trainer, attend, make_people, monkeypatch):
    monkeypatch.setitem(app.config, "CERTIFICATE_ZIP_DIRECT_LIMIT", 2)
    for someone in make_people(3):
        attend(someone, past_session)
    certificates = services.issue_for_session(past_session, actor=trainer, now=AFTER_SESSION).issued
    db.session.commit()
    return certificates


def test_many_certificates_are_zipped_in_the_background(app, past_session, trainer, issued):
    client = factories.signed_in_client(app, trainer)
    page = client.get(f"/manage/sessions/{past_session.id}/certificates").get_data(as_text=True)
    assert "Prepare a ZIP of all 3 certificates" in page and "certificates.zip" not in page
    direct = client.get(f"/manage/sessions/{past_session.id}/certificates.zip")
    assert direct.status_code == 302

    asked = client.post(f"/manage/sessions/{past_session.id}/certificates/prepare")
    assert asked.status_code == 302 and asked.headers["Location"].startswith("/downloads/")
    download_id = int(asked.headers["Location"].rsplit("/", 1)[-1])
    assert jobs.run_downloads(now=AFTER_SESSION) == {"made": 1, "failed": 0}
    db.session.expire_all()
    download = db.session.get(PreparedDownload, download_id)
    assert download.status == "ready" and download.progress_text == "3 of 3 certificates"

    response = client.get(f"/downloads/{download_id}/file")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert len(archive.namelist()) == 3
    for certificate in issued:
        [name] = [n for n in archive.namelist() if certificate.code in n]
        text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(archive.read(name))).pages)
        assert certificate.holder_name in text


def test_only_the_trainer_who_asked_fetches_the_zip(app, past_session, trainer, issued, lead):
    client = factories.signed_in_client(app, trainer)
    asked = client.post(f"/manage/sessions/{past_session.id}/certificates/prepare")
    download_id = int(asked.headers["Location"].rsplit("/", 1)[-1])
    jobs.run_downloads(now=AFTER_SESSION)
    other_trainer = factories.user(trainer=True)
    db.session.commit()
    for person in (other_trainer, lead):
        assert factories.signed_in_client(app, person).get(f"/downloads/{download_id}/file").status_code == 404
    # Another trainer may not ask for it.
    assert factories.signed_in_client(app, other_trainer).post(
        f"/manage/sessions/{past_session.id}/certificates/prepare").status_code == 403
