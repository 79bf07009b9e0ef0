"""A large staff matrix export is prepared in the background: the page offers POST buttons
instead of the links, the job writes the real CSV or XLSX, and fetching it is audited as
the direct export is."""
from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from lms.audit.models import AuditEvent
from lms.downloads import jobs
from lms.downloads.models import PreparedDownload
from lms.extensions import db
from tests import factories
from tests.conftest import NOW
from tests.downloads.fixtures import downloads_folder  # noqa: F401  (fixture)
from tests.reports.portfolio.test_portfolio import world  # noqa: F401  (fixture)


@pytest.fixture()
def small_limit(app, monkeypatch):
    monkeypatch.setitem(app.config, "COMPLIANCE_EXPORT_DIRECT_LIMIT", 2)


def _prepare(client, organisation, extension: str, query: str = "") -> int:
    response = client.post(f"/organisation/compliance/export/prepare?organisation={organisation.id}{query}",
                           data={"format": extension})
    assert response.status_code == 302 and response.headers["Location"].startswith("/downloads/")
    return int(response.headers["Location"].rsplit("/", 1)[-1])


@pytest.mark.parametrize("extension", ["csv", "xlsx"])
def test_a_large_export_is_prepared_in_the_background(app, world, small_limit, extension):
    hillside = world["hillside"]
    client = factories.signed_in_client(app, world["lead"])
    page = client.get(f"/organisation/compliance?organisation={hillside.id}").get_data(as_text=True)
    assert "Prepare the CSV" in page and "export.csv" not in page
    assert client.get(f"/organisation/compliance/export.csv?organisation={hillside.id}").status_code == 302

    download_id = _prepare(client, hillside, extension)
    assert jobs.run_downloads(now=NOW) == {"made": 1, "failed": 0}
    db.session.expire_all()
    download = db.session.get(PreparedDownload, download_id)
    assert download.status == "ready", download.error
    response = client.get(f"/downloads/{download_id}/file")
    assert response.status_code == 200
    if extension == "csv":
        rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
        names = [row[0] for row in rows[1:]]
    else:
        sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
        names = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert "Ann Teacher" in names and "Dee Ess" in names and "Otto Other" not in names
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "compliance.export")).one()
    assert event.actor_id == world["lead"].id and event.after["prepared_download"] == download_id


def test_the_filters_go_with_the_export_and_others_get_404(app, world, small_limit):
    hillside = world["hillside"]
    client = factories.signed_in_client(app, world["lead"])
    download_id = _prepare(client, hillside, "csv", "&q=Ann")
    jobs.run_downloads(now=NOW)
    rows = list(csv.reader(io.StringIO(client.get(f"/downloads/{download_id}/file").data.decode("utf-8-sig"))))
    assert [row[0] for row in rows[1:]] == ["Ann Teacher"]
    for who in ("lead_b", "admin"):
        assert factories.signed_in_client(app, world[who]).get(f"/downloads/{download_id}/file").status_code == 404
    assert factories.signed_in_client(app, world["lead_b"]).post(
        f"/organisation/compliance/export/prepare?organisation={hillside.id}", data={"format": "csv"}
    ).status_code == 404


def test_small_exports_stay_direct(app, world):
    client = factories.signed_in_client(app, world["lead"])
    page = client.get(f"/organisation/compliance?organisation={world['hillside'].id}").get_data(as_text=True)
    assert "export.csv" in page and "Prepare the CSV" not in page
