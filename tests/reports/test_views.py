"""The uptake page and its downloads; who may see them."""
from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from openpyxl import load_workbook

from lms.extensions import db
from tests import factories


def _as(app, person):
    return factories.signed_in_client(app, person)


@pytest.fixture()
def trainer():
    person = factories.user("tess@example.org", trainer=True)
    db.session.commit()
    return person


def test_a_trainer_reads_uptake_by_sector_and_quarter(app, place, completed, trainer):
    completed(place["ana"], date(2026, 5, 1))
    completed(place["ana"], date(2026, 11, 1))
    completed(place["cal"], date(2026, 11, 2))
    db.session.commit()
    response = _as(app, trainer).get("/reports/uptake?from=2026-04-01&to=2027-03-31&by=sector&period=quarter")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Unique learners by sector" in html and "2026-27 Q3" in html and "Early years" in html
    assert "<svg" in html and 'role="img"' in html
    assert "/reports/uptake?format=csv" in html and "format=xlsx" in html


def test_the_default_is_the_financial_year_so_far(app, trainer):
    html = _as(app, trainer).get("/reports/uptake").get_data(as_text=True)
    assert "Unique learners by sector" in html and "All" in html


def test_downloads_hold_every_figure(app, place, completed, trainer):
    completed(place["ana"], date(2026, 5, 1))
    db.session.commit()
    client = _as(app, trainer)
    download = client.get("/reports/uptake?from=2026-04-01&to=2027-03-31&by=sector&period=year&format=csv")
    assert download.mimetype == "text/csv"
    assert 'filename="uptake-by-sector-2026-04-01-to-2027-03-31.csv"' in download.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(download.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["Sector", "Figure", "2026-27", "Whole period", "Counting"]
    assert ["Education", "Unique learners", "1", "1", "Everything (no filters)"] in rows
    assert ["Education", "Completions", "1", "1", "Everything (no filters)"] in rows
    assert any(r[:2] == ["All", "Registrations"] for r in rows)

    workbook = client.get("/reports/uptake?from=2026-04-01&to=2027-03-31&by=sector&period=year&format=xlsx")
    assert workbook.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(workbook.data))["Uptake"]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0] == ["Sector", "Figure", "2026-27", "Whole period", "Counting"]
    assert ["Education", "Unique learners", 1, 1, "Everything (no filters)"] in values


def test_names_that_look_like_formulas_stay_text(app, place, completed, trainer):
    from tests.bookings.conftest import make_course_row

    course = make_course_row("EVIL", title='=HYPERLINK("http://x.example","click")')
    completed(place["ana"], date(2026, 5, 1), course=course)
    db.session.commit()
    client = _as(app, trainer)
    body = client.get("/reports/uptake?from=2026-04-01&to=2026-06-30&by=course&format=csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows[1][0].startswith("'=HYPERLINK")
    workbook = client.get("/reports/uptake?from=2026-04-01&to=2026-06-30&by=course&format=xlsx")
    cell = load_workbook(io.BytesIO(workbook.data))["Uptake"]["A2"]
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")


@pytest.mark.parametrize("query, message", [
    ("from=2026-04-01&to=2026-03-01", "must be the same as or after"),
    ("from=2026-02-30&to=2026-03-01", "must be a real date"),
    ("from=2016-04-01&to=2026-04-01", "at most 10 years"),
    ("from=2026-04-01&to=2026-06-30&by=colour", "Choose what to group the figures by"),
])
def test_bad_filters_are_explained(app, trainer, query, message):
    response = _as(app, trainer).get(f"/reports/uptake?{query}")
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert "There is a problem" in response.get_data(as_text=True)


def test_only_trainers_and_admins_see_uptake(app, client, place):
    lead = factories.user(leads=(place["school"],))
    db.session.commit()
    for person in (place["ana"], lead):
        assert _as(app, person).get("/reports/uptake").status_code == 403
        assert _as(app, person).get("/reports/uptake?format=csv").status_code == 403
    assert client.get("/reports/uptake").status_code == 302
    admin = factories.user(admin=True)
    db.session.commit()
    assert _as(app, admin).get("/reports/uptake").status_code == 200
