"""GET /api/v1/reports/annual: the annual report pack as JSON, the same figures as the
page; trainers and admins only; a bad year is a 400 naming `year`."""
from __future__ import annotations

import pytest

from lms.reports.annual import services
from tests import factories
from tests.api.conftest import assert_matches, bearer, make_token, response_schema, spec  # noqa: F401
from tests.reports.annual.conftest import (  # noqa: F401  (fixtures)
    AFTER_YEAR,
    admin,
    borough,
    series,
    trainer,
    twilight_course,
    year_of_data,
    year_over,
)

PATH = "/api/v1/reports/annual"
pytestmark = pytest.mark.usefixtures("year_over")  # asked after 2026-27 is over


def test_the_figures_match_the_pack(client, year_of_data, trainer, spec):
    response = client.get(f"{PATH}?year=2026-27", headers=bearer(make_token(trainer)))
    assert response.status_code == 200
    body = response.json
    assert_matches(spec, response_schema(spec, "/reports/annual"), body)
    assert (body["year"], body["from"], body["to"]) == ("2026-27", "2026-04-01", "2027-03-31")
    e = body["elearning"]
    assert [q["key"] for q in e["quarters"]] == ["2026-27 Q1", "2026-27 Q2", "2026-27 Q3", "2026-27 Q4"]
    assert e["total"]["learners"] == {"2026-27 Q1": 2, "2026-27 Q3": 1, "2026-27 Q4": 1, "total": 3}
    assert {s["sector"]: s["learners"]["total"] for s in e["sectors"]} == {"education": 2, "early-years": 1}
    c = body["classroom"]
    assert (c["courses_run"], c["sessions_held"], c["everyone"]["attendances"], c["everyone"]["people"]) == (2, 2, 4, 3)
    assert [t["label"] for t in body["twilights"]["terms"]] == ["Autumn 2026", "Spring 2027"]
    assert body["twilights"]["terms"][0]["dsls_attending"] == 2
    assert body["safeguarding_week"] == {
        "weeks": [], "in_words": ["There was no Safeguarding Week from April 2026 to March 2027."]}
    assert body["evaluations"]["quotes"] == ["I will check the chronology first."]
    assert (body["evaluations"]["satisfied_percent"], body["evaluations"]["confidence_after"]) == (50, 4.0)
    assert (body["followup"]["sent"], body["followup"]["answered"], body["followup"]["response_rate"]) == (6, 1, 17)
    # The same words as the page.
    report = services.annual_report(2026, actor=trainer, today=AFTER_YEAR)
    assert body["elearning"]["in_words"] == services.paste(report)["elearning"]
    assert sum(g["counted"] for g in body["compliance"]["sectors"]) == body["compliance"]["total"]["counted"]
    assert set(body["definitions"]) >= set(services.SECTIONS)


def test_admins_too(client, year_of_data, admin):
    assert client.get(f"{PATH}?year=2026-27", headers=bearer(make_token(admin))).status_code == 200


@pytest.mark.parametrize("year", ["2026", "2026-28", "26-27", "x" * 8, "1999-00", "2030-31"])
def test_a_bad_year_is_400_naming_it(client, trainer, year):
    response = client.get(f"{PATH}?year={year}", headers=bearer(make_token(trainer)))
    assert response.status_code == 400
    assert [error["field"] for error in response.json["errors"]] == ["year"]


def test_wrong_role_and_no_token_are_refused(client, year_of_data, borough):
    people = year_of_data["people"]
    lead = factories.user("lead@example.org", organisation=borough["hosts"]["north"], roles=("school-dsl",),
                          leads=(borough["hosts"]["north"],))
    for person in (people["ana"], lead):
        response = client.get(f"{PATH}?year=2026-27", headers=bearer(make_token(person)))
        assert response.status_code == 403 and "message" in response.json
    assert client.get(f"{PATH}?year=2026-27").status_code == 401
