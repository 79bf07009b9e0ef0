"""Uptake: the definitions partnerships compare year to year (DESIGN.md section 8)."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from lms.core.errors import DomainError
from lms.extensions import db
from lms.reports import services
from lms.reports.services import UptakeQuery
from tests.bookings.conftest import make_course_row


def _by_name(result):
    return {row.name: row for row in result.rows}


# --- periods -------------------------------------------------------------------------------------------

def test_financial_quarters_and_years():
    quarters = services.buckets(date(2026, 4, 1), date(2027, 3, 31), "quarter")
    assert [(b.key, b.start, b.end) for b in quarters] == [
        ("2026-27 Q1", date(2026, 4, 1), date(2026, 6, 30)),
        ("2026-27 Q2", date(2026, 7, 1), date(2026, 9, 30)),
        ("2026-27 Q3", date(2026, 10, 1), date(2026, 12, 31)),
        ("2026-27 Q4", date(2027, 1, 1), date(2027, 3, 31)),
    ]
    assert quarters[3].label == "Jan to Mar 2027"
    years = services.buckets(date(2025, 5, 15), date(2027, 2, 1), "year")
    assert [(b.key, b.start, b.end) for b in years] == [
        ("2025-26", date(2025, 5, 15), date(2026, 3, 31)),
        ("2026-27", date(2026, 4, 1), date(2027, 2, 1)),
    ]
    # A period inside one quarter is cut at both ends.
    assert [(b.start, b.end) for b in services.buckets(date(2028, 2, 10), date(2028, 2, 29), "quarter")] == [
        (date(2028, 2, 10), date(2028, 2, 29))]


@pytest.mark.parametrize("query, field", [
    (UptakeQuery(date(2026, 4, 1), date(2026, 3, 31)), "end"),
    (UptakeQuery(date(2016, 4, 1), date(2026, 4, 1)), "end"),
    (UptakeQuery(date(2026, 4, 1), date(2027, 3, 31), by="colour"), "by"),
    (UptakeQuery(date(2026, 4, 1), date(2027, 3, 31), period="month"), "period"),
])
def test_bad_queries_are_named(query, field):
    with pytest.raises(DomainError) as error:
        services.uptake(query)
    assert error.value.field == field


# --- unique learners and completions --------------------------------------------------------------------

def test_a_person_counts_once_in_the_year_and_once_in_each_quarter(place, completed):
    ana, ben = place["ana"], place["ben"]
    completed(ana, date(2026, 5, 1))  # Q1
    completed(ana, date(2026, 5, 20))  # Q1 again
    completed(ana, date(2026, 11, 3))  # Q3
    completed(ben, date(2026, 11, 30))  # Q3
    result = services.uptake(UptakeQuery(date(2026, 4, 1), date(2027, 3, 31), by="sector"))
    education = _by_name(result)["Education"]
    assert [education.value("unique-learners", k) for k in result.bucket_keys] == [1, 0, 2, 0]
    assert education.value("unique-learners", "total") == 2  # not 3
    assert [education.value("completions", k) for k in result.bucket_keys] == [2, 0, 2, 0]
    assert education.value("completions", "total") == 4
    assert result.total.value("unique-learners", "total") == 2

    yearly = services.uptake(UptakeQuery(date(2026, 4, 1), date(2027, 3, 31), by="sector", period="year"))
    assert _by_name(yearly)["Education"].value("unique-learners", "2026-27") == 2


def test_the_sector_is_the_one_at_the_time_and_totals_count_people_once(place, completed):
    ana = place["ana"]
    completed(ana, date(2026, 5, 1))  # at the school
    ana.organisation_id = place["nursery"].id  # she moves to the nursery
    db.session.flush()
    db.session.expire(ana)
    completed(ana, date(2026, 8, 1))
    completed(place["dee"], date(2026, 8, 2))  # no organisation
    result = services.uptake(UptakeQuery(date(2026, 4, 1), date(2027, 3, 31), by="sector"))
    rows = _by_name(result)
    assert rows["Education"].value("unique-learners", "total") == 1
    assert rows["Early years"].value("unique-learners", "total") == 1
    assert rows["No organisation"].value("unique-learners", "total") == 1
    assert [row.name for row in result.rows] == ["Education", "Early years", "No organisation"]
    # Ana is in two sectors but one person in the total.
    assert result.total.value("unique-learners", "total") == 2
    assert result.total.value("completions", "total") == 3


def test_by_organisation_type_area_course_and_mode(place, completed):
    course = make_course_row("SGE", mode="elearning", title="Safeguarding Everyone")
    completed(place["ana"], date(2026, 6, 1), course=course)
    completed(place["cal"], date(2026, 6, 2), course=course)
    completed(place["cal"], date(2026, 6, 3), mode="twilight", title="DSL twilight")
    query = UptakeQuery(date(2026, 4, 1), date(2026, 6, 30))

    by_type = _by_name(services.uptake(UptakeQuery(query.start, query.end, by="organisation-type")))
    assert by_type["Primary school"].value("completions", "total") == 1
    assert by_type["Private day nursery"].value("unique-learners", "total") == 1
    assert by_type["Private day nursery"].value("completions", "total") == 2
    by_area = _by_name(services.uptake(UptakeQuery(query.start, query.end, by="area")))
    assert (by_area["North"].value("completions", "total"), by_area["South"].value("completions", "total")) == (1, 2)
    by_course = services.uptake(UptakeQuery(query.start, query.end, by="course"))
    assert [(r.name, r.value("unique-learners", "total")) for r in by_course.rows] == [
        ("Safeguarding Everyone (SGE)", 2), ("Not in the catalogue", 1)]
    assert by_course.rows[0].value("registrations", "total") is None  # not grouped so
    by_mode = services.uptake(UptakeQuery(query.start, query.end, by="delivery-mode"))
    assert [(r.name, r.value("completions", "total")) for r in by_mode.rows] == [
        ("E-learning", 2), ("DSL network twilight", 1)]


def test_only_the_period_counts_both_ends_included(place, completed):
    for day in (date(2026, 3, 31), date(2026, 4, 1), date(2026, 6, 30), date(2026, 7, 1)):
        completed(place["ana"], day)
    result = services.uptake(UptakeQuery(date(2026, 4, 1), date(2026, 6, 30)))
    assert result.total.value("completions", "total") == 2


# --- registrations ------------------------------------------------------------------------------------

def test_registrations_fall_in_the_london_day_they_were_made(place):
    ana, ben, cal = place["ana"], place["ben"], place["cal"]
    # 23:30 UTC on 31 March 2026 is 00:30 on 1 April in London (BST): the new year's Q1.
    ana.created_at = datetime(2026, 3, 31, 23, 30, tzinfo=timezone.utc)
    # 23:30 UTC on 31 December is still 31 December in London (GMT): Q3.
    ben.created_at = datetime(2026, 12, 31, 23, 30, tzinfo=timezone.utc)
    cal.created_at = datetime(2026, 3, 31, 22, 59, tzinfo=timezone.utc)  # 23:59 BST on 31 March: last year
    place["dee"].created_at = datetime(2025, 1, 1, tzinfo=timezone.utc)
    db.session.flush()
    result = services.uptake(UptakeQuery(date(2026, 4, 1), date(2027, 3, 31), by="sector"))
    education = _by_name(result)["Education"]
    assert [education.value("registrations", k) for k in result.bucket_keys] == [1, 0, 1, 0]
    assert result.total.value("registrations", "total") == 2
    assert "Early years" not in _by_name(result) or _by_name(result)["Early years"].value("registrations", "total") == 0


def test_the_figures_take_a_fixed_number_of_statements(place, completed, count_queries):
    for index, name in enumerate(("ana", "ben", "cal", "dee")):
        completed(place[name], date(2026, 4 + index, 1))
    query = UptakeQuery(date(2024, 4, 1), date(2027, 3, 31), by="organisation-type")
    with count_queries() as statements:
        services.uptake(query)
    assert len(statements) <= 9
    few = len(statements)
    for index in range(20):
        completed(place["ana"], date(2025, 1 + index % 12, 1))
    with count_queries() as statements:
        services.uptake(query)
    assert len(statements) == few
