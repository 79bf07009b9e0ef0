"""The upload page at /admin/import: admins only, check or import, every bad row listed,
nothing written on error."""
from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from lms.accounts.models import User
from lms.audit.models import AuditEvent
from lms.extensions import db
from lms.records.imports.checks import COLUMNS
from lms.records.models import Completion
from tests import factories
from tests.conftest import csrf_token_from
from tests.records.imports.test_services import GOOD_FILE, HEADER, csv_text, line

URL = "/admin/import/"


@pytest.fixture()
def admin(client):
    person = factories.user("admin@partnership.example", admin=True, roles=("other",))
    db.session.commit()
    factories.sign_in(client, person)
    return person


def _count(model) -> int:
    db.session.remove()
    return db.session.scalar(select(func.count()).select_from(model))


def _post(client, data: bytes | str, *, action: str = "check", name: str = "history.csv"):
    if isinstance(data, str):
        data = data.encode("utf-8")
    return client.post(
        URL,
        data={"file": (io.BytesIO(data), name), "action": action},
        content_type="multipart/form-data",
    )


def _has_error_summary(html: str) -> bool:
    return 'class="govuk-error-summary"' in html and "There is a problem" in html


# --- who may use it ---------------------------------------------------------------------


@pytest.mark.parametrize("method, url", [("get", URL), ("post", URL), ("get", URL + "template.csv"), ("get", URL + "1")])
def test_anonymous_people_are_sent_to_sign_in(client, method, url):
    response = getattr(client, method)(url)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in")


@pytest.mark.parametrize("flags", [{}, {"trainer": True}])
def test_people_who_are_not_admins_are_refused(client, flags):
    oak = factories.organisation("Oak Primary School")
    person = factories.user(organisation=oak, leads=(oak,), **flags)
    db.session.commit()
    factories.sign_in(client, person)
    assert client.get(URL).status_code == 403
    assert client.get(URL + "template.csv").status_code == 403
    assert _post(client, GOOD_FILE, action="import").status_code == 403
    assert _count(Completion) == 0


# --- the page -------------------------------------------------------------------------------


def test_the_page_has_the_form_the_guidance_and_the_codes(client, admin):
    response = client.get(URL)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<h1 class=\"govuk-heading-l\">Import training history</h1>" in html
    assert 'enctype="multipart/form-data"' in html
    assert 'type="file"' in html and 'name="file"' in html
    assert "Check the file only" in html and "Import the records" in html
    assert 'href="/admin/import/template.csv"' in html
    assert ",".join(COLUMNS) in html
    assert "day-nursery" in html and "Private day nursery" in html  # the codes table
    assert not _has_error_summary(html)


def test_the_template_downloads_as_csv(client, admin):
    response = client.get(URL + "template.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0] == HEADER
    assert len(lines) == 3


# --- checking and importing -----------------------------------------------------------------


def test_checking_a_good_file_shows_what_would_be_added_and_writes_nothing(client, admin):
    response = _post(client, GOOD_FILE, action="check")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "history.csv has no problems" in html
    assert "Completions would be added" in html
    assert re.search(r"People would be created\s*</dt>\s*<dd[^>]*>\s*2\s*</dd>", html)
    assert not _has_error_summary(html)
    assert _count(Completion) == 0
    assert _count(AuditEvent) == 0


def test_importing_a_good_file_commits_and_shows_the_result(client, admin):
    response = _post(client, GOOD_FILE, action="import")
    assert response.status_code == 302
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "records.import"))
    assert response.headers["Location"] == f"/admin/import/{event.id}"
    assert event.actor_id == admin.id
    assert event.after["file"] == "history.csv"
    assert _count(Completion) == 3

    page = client.get(response.headers["Location"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "history.csv imported: 3 completions added" in html  # the success banner
    assert "Import of history.csv" in html
    assert re.search(r"Completions added\s*</dt>\s*<dd[^>]*>\s*3\s*</dd>", html)

    again = _post(client, GOOD_FILE, action="import")
    page = client.get(again.headers["Location"])
    assert re.search(r"Completions already recorded\s*</dt>\s*<dd[^>]*>\s*3\s*</dd>", page.get_data(as_text=True))
    assert _count(Completion) == 3


def test_a_bad_file_lists_every_bad_row_and_imports_nothing(client, admin):
    text = csv_text(
        line(),
        line(organisation_type="nursery school"),
        line(completed_on="31/02/2021"),
        line(delivery_mode="webinar"),
        line(email=""),
    )
    response = _post(client, text, action="import")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert _has_error_summary(html)
    assert 'href="#file"' in html
    assert "history.csv has 4 problems. Nothing was imported." in html
    rows = re.findall(r'<th scope="row" class="govuk-table__header[^"]*">\s*(\d+)\s*</th>\s*<td class="govuk-table__cell">([^<]*)</td>', html)
    assert [(int(number), text.strip()) for number, text in rows] == [
        (3, "organisation type &#39;nursery school&#39; is not known (use a code such as day-nursery, or a name from the list)"),
        (4, "completed_on &#39;31/02/2021&#39; must be a date written YYYY-MM-DD"),
        (5, "delivery mode &#39;webinar&#39; is not known (use one of elearning, face-to-face, virtual, outreach, twilight, event, external, imported)"),
        (6, "email is missing"),
    ]
    assert _count(Completion) == 0
    assert _count(User) == 1  # only the admin
    assert _count(AuditEvent) == 0


def test_a_file_that_is_not_utf8_is_refused(client, admin):
    data = HEADER.encode() + b"\n" + line(full_name="Zo\xeb").encode("latin-1") + b"\n"
    response = _post(client, data, action="import")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert _has_error_summary(html)
    assert "The file is not UTF-8 text (line 2 has a character that is not UTF-8)" in html
    assert _count(Completion) == 0


@pytest.mark.parametrize(
    "data, message",
    [
        ({"action": "check"}, "Select a CSV file"),
        ({"file": (io.BytesIO(GOOD_FILE.encode()), "history.txt"), "action": "check"}, "The selected file must be a CSV file"),
        ({"file": (io.BytesIO(GOOD_FILE.encode()), "history.csv")}, "Select whether to check the file only or import the records"),
    ],
)
def test_form_errors_are_shown_in_the_error_summary(client, admin, data, message):
    response = client.post(URL, data=data, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert _has_error_summary(html)
    assert message in html
    assert _count(Completion) == 0


@pytest.mark.parametrize("extra, status", [(1024, 400), (1024 * 1024, 413)])
def test_a_file_over_20_mb_is_refused(client, admin, extra, status):
    # Just over the limit, the form says so; far over it, the request is not even read.
    big = GOOD_FILE.encode() + b" " * (20 * 1024 * 1024 + extra)
    response = _post(client, big, action="import")
    html = response.get_data(as_text=True)
    assert response.status_code == status
    assert "The selected file must be smaller than 20 MB" in html
    assert _has_error_summary(html)
    assert _count(Completion) == 0


def test_the_result_page_is_only_for_import_events(client, admin):
    other = AuditEvent(action="person.create", summary="x", created_at=factories._now())
    db.session.add(other)
    db.session.commit()
    assert client.get(f"{URL}{other.id}").status_code == 404
    assert client.get(f"{URL}999999").status_code == 404


def test_the_form_needs_its_csrf_token(client, admin, csrf_app):
    without = _post(client, GOOD_FILE, action="import")
    assert without.status_code == 400
    assert _count(Completion) == 0

    token = csrf_token_from(client.get(URL).get_data(as_text=True))
    with_token = client.post(
        URL,
        data={"file": (io.BytesIO(GOOD_FILE.encode()), "history.csv"), "action": "import", "csrf_token": token},
        content_type="multipart/form-data",
    )
    assert with_token.status_code == 302
    assert _count(Completion) == 3
