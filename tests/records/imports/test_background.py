"""A file above IMPORT_BACKGROUND_BYTES is imported by the scheduler's run-imports job: the
upload answers at once with a page that shows the import's progress and then its result;
the import is still all or nothing."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from lms.audit.models import AuditEvent
from lms.core.time import utcnow
from lms.extensions import db
from lms.records.imports.jobs import run_imports
from lms.records.imports.models import ImportJob
from lms.records.models import Completion
from tests import factories
from tests.records.imports.test_services import csv_text, line
from tests.records.imports.test_views import URL, _count, _post
from tests.records.imports.test_views import admin  # noqa: F401  (the signed-in admin fixture)


@pytest.fixture()
def small_threshold(app):
    before = app.config["IMPORT_BACKGROUND_BYTES"]
    app.config["IMPORT_BACKGROUND_BYTES"] = 100
    yield
    app.config["IMPORT_BACKGROUND_BYTES"] = before


def _file(rows: int = 5) -> str:
    return csv_text(*(line(email=f"person{n}@oak.example", completed_on=f"2024-09-{n + 1:02d}") for n in range(rows)))


def test_a_large_file_is_queued_then_imported_by_the_job(client, admin, small_threshold):  # noqa: F811
    answer = _post(client, _file(), action="import")
    assert answer.status_code == 302
    location = answer.headers["Location"]
    assert location.startswith(URL + "jobs/")
    waiting = client.get(location).get_data(as_text=True)
    assert "Waiting" in waiting and "Refresh to see how far it has got" in waiting
    assert _count(Completion) == 0

    assert run_imports(now=utcnow()) == {"imports run": 1}
    assert _count(Completion) == 5
    page = client.get(location).get_data(as_text=True)
    assert "Finished" in page and "Everything in the file has been added" in page
    assert "See the import in the record of imports" in page
    job = db.session.scalar(select(ImportJob))
    assert job.status == "finished" and job.rows == 5 and job.content is None
    assert db.session.get(AuditEvent, job.event_id).action == "records.import"
    # Nothing left to do.
    assert run_imports(now=utcnow()) == {"imports run": 0}


def test_a_bad_large_file_lists_its_problems_and_imports_nothing(client, admin, small_threshold):  # noqa: F811
    bad = csv_text(*(line(email=f"person{n}@oak.example", completed_on="2024-13-40") for n in range(5)))
    location = _post(client, bad, action="import").headers["Location"]
    run_imports(now=utcnow())
    page = client.get(location).get_data(as_text=True)
    assert "Problems found" in page and "Nothing was imported" in page and "line 2:" in page
    assert _count(Completion) == 0


def test_a_large_check_keeps_nothing(client, admin, small_threshold):  # noqa: F811
    location = _post(client, _file(), action="check").headers["Location"]
    run_imports(now=utcnow())
    page = client.get(location).get_data(as_text=True)
    assert "Every row is good: nothing was imported" in page
    assert _count(Completion) == 0


def test_a_small_file_is_still_imported_at_once(client, admin):  # noqa: F811
    answer = _post(client, _file(), action="import")
    assert answer.headers["Location"].startswith(URL) and "/jobs/" not in answer.headers["Location"]
    assert _count(Completion) == 5


def test_only_admins_see_an_import(client, small_threshold):
    lead = factories.user("lead@example.org", trainer=True)
    db.session.add(ImportJob(created_at=utcnow(), file_name="history.csv", content=b"x", size=1))
    db.session.commit()
    job_id = db.session.scalar(select(func.max(ImportJob.id)))
    assert client.get(f"{URL}jobs/{job_id}").status_code == 302  # signed out: to sign in
    factories.sign_in(client, lead)
    assert client.get(f"{URL}jobs/{job_id}").status_code == 403


def test_an_unknown_import_is_404(client, admin):  # noqa: F811
    assert client.get(f"{URL}jobs/999").status_code == 404

