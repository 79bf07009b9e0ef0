"""The annual report pack as a page, a PDF (read back) and a spreadsheet (read back), for
admins and trainers only."""
from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
import pytest
from pypdf import PdfReader

from lms.reports.annual import services
from tests import factories
from tests.reports.annual.conftest import AFTER_YEAR

URL = "/reports/annual?year=2026-27"
# Asked after the year is over (the year in progress is counted to today: test_services).
pytestmark = pytest.mark.usefixtures("year_over")


def _plain(value):
    """A cell as the spreadsheet and the pack both mean it: numbers as numbers, empty as ""."""
    if value is None:
        return ""
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return float(value)
    return str(value)


def _as(app, person):
    return factories.signed_in_client(app, person)


def test_the_page(app, year_of_data, trainer, admin):
    for viewer in (trainer, admin):
        response = _as(app, viewer).get(URL)
        html = response.get_data(as_text=True)
        assert response.status_code == 200
        assert "Annual report: April 2026 to March 2027" in html
        for title in services.SECTIONS.values():
            assert title in html
        assert "3 professionals completed safeguarding e-learning" in html
        assert "Online extremism: the school response" in html
        assert "There was no Safeguarding Week from April 2026 to March 2027." in html
        assert "I will check the chronology first." in html and "Something private." not in html
        assert 'class="app-table-wrapper" tabindex="0" role="region"' in html and "<svg" in html
        assert "format=pdf" in html and "format=xlsx" in html


def test_the_year_by_default_is_the_last_one_over(app, trainer):
    html = _as(app, trainer).get("/reports/annual").get_data(as_text=True)
    assert 'value="2025-26"' in html or 'value="2026-27"' in html  # depends on today's date


@pytest.mark.parametrize("year", ["2026", "2026-28", "x" * 300])
def test_a_bad_year_is_shown_on_the_field(app, trainer, year):
    response = _as(app, trainer).get(f"/reports/annual?year={year}")
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "There is a problem" in html and 'href="#year"' in html


def test_a_year_not_started_is_shown_on_the_field(app, trainer):
    response = _as(app, trainer).get("/reports/annual?year=2030-31")
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and 'href="#year"' in html
    assert "2030-31 has not started yet" in html


def test_the_pdf_reads_back(app, year_of_data, trainer):
    response = _as(app, trainer).get(URL + "&format=pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert 'filename="annual-report-2026-27.pdf"' in response.headers["Content-Disposition"]
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    text = " ".join(text.split())
    assert "Annual report: April 2026 to March 2027" in text
    assert "From April 2026 to March 2027, 3 professionals completed safeguarding e-learning" in text
    assert "2 face-to-face and virtual courses ran 2 sessions" in text
    assert "DSL network twilight, Autumn 2026: Online extremism: the school response (2 DSLs attended" in text
    assert "Impact follow-up: 1 of 6 attendees answered (17%)" in text
    assert "I will check the chronology first." in text and "Something private." not in text


def test_the_spreadsheet_reads_back_with_the_same_figures(app, year_of_data, trainer):
    response = _as(app, trainer).get(URL + "&format=xlsx")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    expected = services.tables(services.annual_report(2026, actor=trainer, today=AFTER_YEAR))
    for found in expected.values():
        for table in found:
            sheet = book[table.sheet]
            rows = [list(row) for row in sheet.iter_rows(values_only=True)]
            assert rows[0] == table.header
            if table.key == "compliance":
                continue  # counted on today's date by the page, on 31 March here
            assert [[_plain(v) for v in row] for row in rows[1:]] == [[_plain(v) for v in row] for row in table.rows]
    elearning = [list(row) for row in book["E-learning by sector"].iter_rows(values_only=True)]
    assert elearning[-1] == ["All sectors", 2, 0, 1, 1, 3]
    assert book["Quotes"]["A2"].value == "I will check the chronology first."
    about = {row[0]: row[1] for row in book["About this file"].iter_rows(values_only=True)}
    assert about["Financial year"] == "2026-27"
    assert "There was no Safeguarding Week" in about["Safeguarding Week"]


def test_wrong_role_is_refused(app, year_of_data, borough):
    people = year_of_data["people"]
    lead = factories.user("lead@example.org", organisation=borough["hosts"]["north"], roles=("school-dsl",),
                          leads=(borough["hosts"]["north"],))
    for person in (people["ana"], lead):
        for suffix in ("", "&format=pdf", "&format=xlsx"):
            assert _as(app, person).get(URL + suffix).status_code == 403
    anonymous = app.test_client().get(URL + "&format=pdf")
    assert anonymous.status_code == 302 and "/sign-in" in anonymous.headers["Location"]


def test_the_spreadsheet_of_a_year_not_over_says_so(app, year_of_data, trainer, monkeypatch):
    from datetime import datetime, timezone

    monkeypatch.setattr("lms.reports.annual.views.utcnow", lambda: datetime(2026, 12, 31, 12, tzinfo=timezone.utc))
    response = _as(app, trainer).get(URL + "&format=xlsx")
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    about = {row[0]: row[1] for row in book["About this file"].iter_rows(values_only=True)}
    assert about["To"].date().isoformat() == "2026-12-31"
    assert about["Not over"] == "The financial year ends on 31/03/2027: these figures are to 31/12/2026 so far."
    assert "Compliance by sector on 31 December 2026" in about
    header = [cell.value for cell in book["E-learning by sector"][1]]
    assert not any("Q4" in str(value) for value in header)
