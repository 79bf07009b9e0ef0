"""Filters that combine with grouping (DESIGN.md section 8): "229 school professionals
undertook e-learning in Q2" is the sector grouping with an e-learning filter, on the page,
in the CSV and XLSX downloads, the long table and the API, each equal to a count made
directly from the completions."""
from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from lms.core.errors import DomainError
from lms.extensions import db
from lms.organisations.models import Sector
from lms.records.models import Completion
from lms.reports import services
from lms.reports.services import UptakeQuery
from tests import factories
from tests.api.conftest import assert_matches, bearer, make_token, response_schema, spec  # noqa: F401
from tests.bookings.conftest import make_course_row

YEAR = dict(start=date(2026, 4, 1), end=date(2027, 3, 31))
Q2 = "2026-27 Q2"


@pytest.fixture()
def mixed(place, completed):
    """Q2 (July to September 2026): Ana does two e-learning courses and a face-to-face one;
    Ben only face-to-face; Cal (the nursery) e-learning; Dee (no organisation) e-learning.
    Q3: Ana e-learning again. So by sector, e-learning only, Education has 1 learner in Q2
    (Ana, once), not 2 (Ben came face to face)."""
    sge = make_course_row("SGE", mode="elearning", title="Safeguarding Everyone")
    ce = make_course_row("CE", mode="elearning", title="Child Exploitation")
    f2f = make_course_row("DSL-NEW", mode="face-to-face", title="DSL new to role")
    ana, ben, cal, dee = place["ana"], place["ben"], place["cal"], place["dee"]
    completed(ana, date(2026, 7, 3), course=sge)
    completed(ana, date(2026, 8, 9), course=ce)
    completed(ana, date(2026, 9, 1), course=f2f, mode="face-to-face")
    completed(ben, date(2026, 7, 20), course=f2f, mode="face-to-face")
    completed(cal, date(2026, 9, 30), course=sge)
    completed(dee, date(2026, 8, 1), course=sge)
    completed(ana, date(2026, 10, 5), course=ce)
    trainer = factories.user("tess@example.org", trainer=True)
    db.session.commit()
    return {"trainer": trainer, "sge": sge, "ce": ce, "f2f": f2f}


def direct_learners(*, sector: str, mode: str, start: date, end: date) -> int:
    """Distinct people with a completion of `mode` in `sector` (at the time) in the period,
    counted straight from the table."""
    return db.session.scalar(
        select(func.count(func.distinct(Completion.user_id)))
        .join(Sector, Sector.id == Completion.sector_id)
        .where(Sector.code == sector, Completion.delivery_mode == mode, Completion.completed_on.between(start, end))
    )


def _by_key(result):
    return {row.key: row for row in result.rows}


# --- the figures ------------------------------------------------------------------------------------

def test_by_sector_with_elearning_counts_elearning_learners_only(mixed):
    query = UptakeQuery(**YEAR, by="sector", delivery_modes=("elearning",))
    result = services.uptake(query)
    rows = _by_key(result)
    education = rows["education"]
    assert education.value("unique-learners", Q2) == 1 == direct_learners(
        sector="education", mode="elearning", start=date(2026, 7, 1), end=date(2026, 9, 30))
    assert education.value("completions", Q2) == 2  # Ana's two e-learning courses, not the face-to-face ones
    assert education.value("unique-learners", "total") == 1  # Ana in Q2 and Q3: once in the year
    assert education.value("unique-learners", "2026-27 Q3") == 1
    assert rows["early-years"].value("unique-learners", Q2) == 1
    assert rows["none"].value("unique-learners", Q2) == 1
    assert result.total.value("unique-learners", Q2) == 3 and result.total.value("unique-learners", "total") == 3
    # Without the filter Ben counts too.
    unfiltered = _by_key(services.uptake(UptakeQuery(**YEAR, by="sector")))
    assert unfiltered["education"].value("unique-learners", Q2) == 2
    assert result.filters_text == "Delivery mode: E-learning"


def test_filters_on_every_dimension_combine(mixed, place):
    start, end = YEAR["start"], YEAR["end"]
    # Several codes in one filter are alternatives; different filters must all hold.
    both = services.uptake(UptakeQuery(start, end, by="delivery-mode", sectors=("education", "early-years")))
    assert {row.key: row.value("unique-learners", "total") for row in both.rows} == {"elearning": 2, "face-to-face": 2}
    by_course = services.uptake(UptakeQuery(start, end, by="course", organisation_types=("day-nursery",)))
    assert [(row.key, row.value("completions", "total")) for row in by_course.rows] == [("SGE", 1)]
    north = services.uptake(UptakeQuery(start, end, by="sector", areas=(place["north"].code,),
                                        delivery_modes=("face-to-face",)))
    assert [(row.key, row.value("unique-learners", "total")) for row in north.rows] == [("education", 2)]
    courses = services.uptake(UptakeQuery(start, end, by="area", courses=("SGE", "CE"), period="year"))
    assert {row.name: row.value("completions", "total") for row in courses.rows} == {
        "North": 3, "South": 1, "No area": 1}
    # Lists and comma-separated text are taken as well as tuples.
    assert UptakeQuery(start, end, sectors="education, early-years").sectors == ("education", "early-years")
    assert UptakeQuery(start, end, courses=["SGE", "SGE"]).courses == ("SGE",)


def test_registrations_follow_organisation_filters_and_not_course_filters(mixed, place):
    by_area = services.uptake(UptakeQuery(**YEAR, by="area", sectors=("early-years",)))
    assert by_area.total.value("registrations", "total") is not None
    assert {row.name for row in by_area.rows if row.value("registrations", "total")} <= {"South"}
    limited = services.uptake(UptakeQuery(**YEAR, by="sector", delivery_modes=("elearning",)))
    assert not limited.counts_registrations
    assert limited.total.value("registrations", "total") is None
    assert all(row.value("registrations", "total") is None for row in limited.rows)


@pytest.mark.parametrize("param, attribute, code", [
    ("delivery_mode", "delivery_modes", "e-learning"),
    ("sector", "sectors", "schools"),
    ("organisation_type", "organisation_types", "school"),
    ("area", "areas", "narnia"),
    ("course", "courses", "NOPE"),
])
def test_unknown_codes_name_the_filter_and_the_codes_allowed(mixed, param, attribute, code):
    with pytest.raises(DomainError) as error:
        services.uptake(UptakeQuery(**YEAR, **{attribute: (code,)}))
    assert error.value.field == param
    label = {"delivery_mode": "a delivery mode", "sector": "a sector", "organisation_type": "an organisation type",
             "area": "an area", "course": "a course"}[param]
    assert f"“{code}” is not {label} code" in error.value.message
    allowed = {"delivery_mode": "elearning", "sector": "early-years", "organisation_type": "day-nursery",
               "area": "north", "course": "SGE"}[param]
    assert allowed in error.value.message


def test_filters_add_one_statement_whatever_their_number(mixed, count_queries):
    plain = UptakeQuery(**YEAR, by="organisation-type")
    with count_queries() as statements:
        # Filtered figures are counted from the completions: compare with the same path
        # unfiltered (unfiltered figures come from the kept rows, in fewer statements).
        services.uptake(plain, kept=False)
    unfiltered = len(statements)
    every = UptakeQuery(**YEAR, by="organisation-type", delivery_modes=("elearning", "face-to-face"),
                        sectors=("education", "early-years"), organisation_types=("primary-school", "day-nursery"),
                        areas=("north", "south"), courses=("SGE", "CE", "DSL-NEW"))
    with count_queries() as statements:
        services.uptake(every)
    assert len(statements) == unfiltered - 2 + 1  # no registrations under a course filter; one look-up of the codes
    without_registrations = UptakeQuery(**YEAR, by="organisation-type", sectors=("education",))
    with count_queries() as statements:
        services.uptake(without_registrations)
    assert len(statements) == unfiltered + 1


def test_the_long_table_has_a_row_per_group_period_and_measure(mixed):
    result = services.uptake(UptakeQuery(**YEAR, by="sector", delivery_modes=("elearning",)))
    rows = services.long_table(result)
    periods = ["2026-27 Q1", Q2, "2026-27 Q3", "2026-27 Q4", "whole-period"]
    education = [(r.period, r.measure, r.value) for r in rows if r.group == "education"]
    assert [(p, v) for p, m, v in education if m == "unique-learners"] == list(zip(periods, [0, 1, 1, 0, 1]))
    assert {m for _, m, _ in education} == {"unique-learners", "completions"}  # no registrations under this filter
    everyone = [r for r in rows if r.group == "all" and r.measure == "unique-learners"]
    assert [r.value for r in everyone] == [0, 3, 1, 0, 3]
    assert everyone[-1].period_from == YEAR["start"] and everyone[-1].period_to == YEAR["end"]
    assert len(rows) == (len(result.rows) + 1) * len(periods) * 2


# --- the page and its downloads -------------------------------------------------------------------------

def _cell(html: str, row_name: str) -> list[str]:
    """The numbers in the table row headed `row_name`."""
    row = re.search(r'<th scope="row" class="govuk-table__header">' + re.escape(row_name) + r"</th>(.*?)</tr>",
                    html, re.S)
    assert row, row_name
    return re.findall(r'govuk-table__cell--numeric">([^<]*)<', row.group(1))


def test_the_page_filters_and_says_what_it_counts(app, mixed):
    client = factories.signed_in_client(app, mixed["trainer"])
    page = client.get("/reports/uptake?from=2026-04-01&to=2027-03-31&by=sector&period=quarter&delivery_mode=elearning")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    expected = direct_learners(sector="education", mode="elearning", start=date(2026, 7, 1), end=date(2026, 9, 30))
    assert _cell(html, "Education")[1] == str(expected) == "1"
    assert "Counting only" in html and "Delivery mode: E-learning" in html
    assert 'name="delivery_mode" type="checkbox" value="elearning" checked' in html
    assert "delivery_mode=elearning" in html and "format=csv" in html and "format=xlsx" in html
    assert "format=long-csv" in html
    # Checkboxes send the parameter once per code; links send them comma-separated. Both work.
    repeated = client.get("/reports/uptake?from=2026-04-01&to=2027-03-31&sector=education&sector=early-years"
                          "&by=delivery-mode").get_data(as_text=True)
    commas = client.get("/reports/uptake?from=2026-04-01&to=2027-03-31&sector=education,early-years"
                        "&by=delivery-mode").get_data(as_text=True)
    assert _cell(repeated, "E-learning") == _cell(commas, "E-learning") and _cell(commas, "E-learning")[-1] == "2"
    assert "Sector: Education or Early years" in commas
    unfiltered = client.get("/reports/uptake?from=2026-04-01&to=2027-03-31").get_data(as_text=True)
    assert _cell(unfiltered, "Education")[1] == "2" and "Counting everything" in unfiltered


def test_an_unknown_code_on_the_page_is_explained(app, mixed):
    client = factories.signed_in_client(app, mixed["trainer"])
    response = client.get("/reports/uptake?from=2026-04-01&to=2027-03-31&sector=schools")
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "There is a problem" in html
    assert "“schools” is not a sector code" in html and 'href="#sector"' in html


def test_every_unknown_code_and_choice_on_the_page_is_named(app, mixed):
    client = factories.signed_in_client(app, mixed["trainer"])
    response = client.get("/reports/uptake?from=2026-04-01&to=2027-03-31&area=zz&organisation_type=qq")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "“qq” is not an organisation type code" in html
    assert 'href="#organisation_type"' in html and 'href="#area"' in html and "“zz” is not an area code" in html
    bad = client.get("/reports/uptake?from=2026-04-01&to=2027-03-31&by=bogus&measure=x&period=y")
    html = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "Not a valid choice" not in html
    for field, words in (("by", "Choose what to group the figures by"), ("period", "Choose the columns"),
                         ("measure", "Choose the figure to show")):
        assert f'href="#{field}' in html and words in html


def test_the_api_names_every_unknown_code(client, mixed):
    response = client.get("/api/v1/reports/uptake?area=zz&organisation_type=qq",
                          headers=bearer(make_token(mixed["trainer"])))
    assert response.status_code == 400
    assert [error["field"] for error in response.json["errors"]] == ["organisation_type", "area"]


def test_downloads_keep_the_filters_and_say_what_they_count(app, mixed):
    client = factories.signed_in_client(app, mixed["trainer"])
    query = "from=2026-04-01&to=2027-03-31&by=sector&period=quarter&delivery_mode=elearning"
    expected = direct_learners(sector="education", mode="elearning", start=date(2026, 7, 1), end=date(2026, 9, 30))

    download = client.get(f"/reports/uptake?{query}&format=csv")
    assert 'filename="uptake-by-sector-filtered-2026-04-01-to-2027-03-31.csv"' in download.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(download.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["Sector", "Figure", "2026-27 Q1", Q2, "2026-27 Q3", "2026-27 Q4", "Whole period", "Counting"]
    education = next(r for r in rows if r[:2] == ["Education", "Unique learners"])
    assert education[3] == str(expected) and education[-1] == "Delivery mode: E-learning"
    assert not any(r[1] == "Registrations" for r in rows[1:])

    workbook = load_workbook(io.BytesIO(client.get(f"/reports/uptake?{query}&format=xlsx").data))
    values = [[cell.value for cell in row] for row in workbook["Uptake"].iter_rows()]
    education = next(r for r in values if r[:2] == ["Education", "Unique learners"])
    assert education[3] == expected and education[-1] == "Delivery mode: E-learning"
    about = {row[0].value: row[1].value for row in workbook.worksheets[1].iter_rows() if row[0].value}
    assert about["Counting"] == "Delivery mode: E-learning" and about["Delivery mode"] == "E-learning (elearning)"

    long = client.get(f"/reports/uptake?{query}&format=long-csv")
    assert 'uptake-by-sector-filtered-long-2026-04-01-to-2027-03-31.csv' in long.headers["Content-Disposition"]
    lines = list(csv.DictReader(io.StringIO(long.get_data(as_text=True).lstrip("\ufeff"))))
    [line] = [x for x in lines if x["group"] == "education" and x["period"] == Q2 and x["measure"] == "unique-learners"]
    assert line["value"] == str(expected) and line["delivery_mode"] == "elearning" and line["sector"] == ""
    assert line["grouping"] == "sector" and line["period_from"] == "2026-07-01" and line["period_to"] == "2026-09-30"


# --- the API ------------------------------------------------------------------------------------------------

def test_the_api_filters_by_code_and_says_so(client, spec, mixed):
    token = make_token(mixed["trainer"])
    response = client.get("/api/v1/reports/uptake?from=2026-04-01&to=2027-03-31&by=sector&delivery_mode=elearning",
                          headers=bearer(token))
    assert response.status_code == 200, response.json
    assert_matches(spec, response_schema(spec, "/reports/uptake"), response.json)
    body = response.json
    education = next(row for row in body["rows"] if row["key"] == "education")
    expected = direct_learners(sector="education", mode="elearning", start=date(2026, 7, 1), end=date(2026, 9, 30))
    assert education["unique_learners"][Q2] == expected == 1
    assert education["registrations"] is None and body["total"]["registrations"] is None
    assert body["filters"] == {"delivery_mode": ["elearning"], "sector": [], "organisation_type": [], "area": [],
                               "course": []}
    assert body["counting"] == "Delivery mode: E-learning"

    several = client.get("/api/v1/reports/uptake?from=2026-04-01&to=2027-03-31&by=delivery-mode"
                         "&sector=education,early-years&course=SGE", headers=bearer(token)).json
    assert [(row["key"], row["unique_learners"]["total"]) for row in several["rows"]] == [("elearning", 2)]


def test_the_long_table_in_the_api(client, spec, mixed):
    token = make_token(mixed["trainer"])
    response = client.get("/api/v1/reports/uptake/long?from=2026-04-01&to=2027-03-31&by=sector"
                          "&delivery_mode=elearning", headers=bearer(token))
    assert response.status_code == 200, response.json
    assert_matches(spec, response_schema(spec, "/reports/uptake/long"), response.json)
    items = response.json["items"]
    [figure] = [i for i in items if (i["group"], i["period"], i["measure"]) == ("education", Q2, "unique-learners")]
    assert figure["value"] == 1 and figure["period_from"] == "2026-07-01"
    assert {i["measure"] for i in items} == {"unique-learners", "completions"}


@pytest.mark.parametrize("query, field, allowed", [
    ("delivery_mode=elearning,e-learning", "delivery_mode", "face-to-face"),
    ("sector=education,schools", "sector", "early-years"),
    ("organisation_type=school", "organisation_type", "primary-school"),
    ("area=narnia", "area", "north"),
    ("course=NOPE", "course", "SGE"),
])
def test_unknown_codes_are_a_400_naming_the_parameter_and_the_codes_allowed(client, mixed, query, field, allowed):
    token = make_token(mixed["trainer"])
    for path in ("/api/v1/reports/uptake", "/api/v1/reports/uptake/long", "/api/v1/completions"):
        response = client.get(f"{path}?{query}", headers=bearer(token))
        assert response.status_code == 400, (path, query)
        assert response.json["errors"][0]["field"] == field
        assert allowed in response.json["message"]
        assert f"{field.replace('_', ' ')} code. Use one or more of these" in response.json["message"]


def test_the_api_takes_a_fixed_number_of_statements(client, mixed, place, completed, count_queries):
    token = make_token(mixed["trainer"])
    client.get("/api/v1/me", headers=bearer(token))
    path = "/api/v1/reports/uptake/long?from=2024-04-01&to=2027-03-31&by=course&sector=education,early-years"
    with count_queries() as statements:
        assert client.get(path, headers=bearer(token)).status_code == 200
    few = len(statements)
    for index in range(30):
        completed(place["cal" if index % 2 else "ana"], date(2025, 1 + index % 12, 1), course=mixed["ce"])
    db.session.commit()
    with count_queries() as statements:
        assert client.get(path, headers=bearer(token)).status_code == 200
    assert len(statements) == few
    with count_queries() as statements:
        assert client.get(path.replace("/long", ""), headers=bearer(token)).status_code == 200
    assert len(statements) == few


def test_registrations_on_the_page_under_a_course_filter_say_why_there_are_none(app, mixed):
    client = factories.signed_in_client(app, mixed["trainer"])
    response = client.get("/reports/uptake?from=2026-04-01&to=2027-03-31&measure=registrations&course=SGE")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Registrations are not counted when the figures are limited to courses or delivery modes" in html
    assert "<table" not in html


def test_each_group_the_filter_names_has_its_row_even_at_nought(mixed):
    """Grouped by sector and limited to education or the police, with no police completions:
    the police row is there with 0, not left out (so 0 is not taken for "not counted")."""
    query = UptakeQuery(**YEAR, by="sector", sectors=("education", "police"))
    for kept in (True, False):
        result = services.uptake(query, kept=kept)
        police = next(row for row in result.rows if row.key != "none" and row.name == "Police")
        assert police.value("unique-learners", "total") == 0 and police.value("completions", "total") == 0
