"""GET /api/v1/reports/uptake."""
from __future__ import annotations

from datetime import date

from lms.extensions import db
from tests import factories
from tests.api.conftest import assert_matches, bearer, make_token, response_schema, spec  # noqa: F401


def test_a_trainer_reads_the_figures_by_sector_code(client, spec, place, completed):
    completed(place["ana"], date(2026, 5, 1))
    completed(place["ana"], date(2026, 11, 1))
    completed(place["cal"], date(2026, 11, 2))
    trainer = factories.user(trainer=True)
    db.session.commit()
    response = client.get("/api/v1/reports/uptake?from=2026-04-01&to=2027-03-31&by=sector&period=quarter",
                          headers=bearer(make_token(trainer)))
    assert response.status_code == 200, response.json
    assert_matches(spec, response_schema(spec, "/reports/uptake"), response.json)
    body = response.json
    assert [p["key"] for p in body["periods"]] == ["2026-27 Q1", "2026-27 Q2", "2026-27 Q3", "2026-27 Q4"]
    education = next(row for row in body["rows"] if row["key"] == "education")
    assert education["unique_learners"] == {"2026-27 Q1": 1, "2026-27 Q2": 0, "2026-27 Q3": 1, "2026-27 Q4": 0, "total": 1}
    assert education["completions"]["total"] == 2
    assert body["total"]["unique_learners"]["total"] == 2


def test_grouped_by_course_there_are_no_registrations(client, spec, place, completed):
    completed(place["ana"], date(2026, 5, 1))
    admin = factories.user(admin=True)
    db.session.commit()
    body = client.get("/api/v1/reports/uptake?from=2026-04-01&to=2026-06-30&by=delivery-mode&period=year",
                      headers=bearer(make_token(admin))).json
    assert body["rows"][0]["key"] == "elearning" and body["rows"][0]["registrations"] is None
    assert body["total"]["registrations"] is not None


def test_bad_parameters_are_named(client, place):
    admin = factories.user(admin=True)
    db.session.commit()
    token = make_token(admin)
    for query, field in (("from=2026-04-01&to=2026-01-01", "to"), ("by=colour", "by"), ("period=month", "period"),
                         ("from=2026-02-30", "from")):
        response = client.get(f"/api/v1/reports/uptake?{query}", headers=bearer(token))
        assert response.status_code == 400, query
        assert response.json["errors"][0]["field"] == field, query


def test_only_trainers_and_admins_read_uptake(client, place):
    lead = factories.user(leads=(place["school"],))
    db.session.commit()
    for person in (place["ana"], lead):
        response = client.get("/api/v1/reports/uptake", headers=bearer(make_token(person)))
        assert response.status_code == 403
    assert client.get("/api/v1/reports/uptake").status_code == 401
