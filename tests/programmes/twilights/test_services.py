"""The twilight series' services: making a series and its sessions, copying forward, booking
one a term or the year, the completion's title and the per-term report."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from lms.audit.models import AuditEvent
from lms.bookings import services as bookings
from lms.bookings.models import Booking
from lms.bookings.registers import services as registers
from lms.compliance import services as compliance
from lms.core.errors import DomainError, Forbidden
from lms.core.time import LONDON, to_london
from lms.extensions import db
from lms.records.models import Completion
from lms.programmes.twilights import services
from tests import factories
from tests.conftest import NOW
from tests.programmes.twilights.conftest import AUTUMN_DAY, TOPIC, plan_for, term


def test_a_series_has_three_terms_over_the_school_year(series):
    assert (series.kind, series.starts_on, series.ends_on) == ("twilight-series", date(2026, 9, 1), date(2027, 8, 31))
    assert [t.label for t in services.terms_of(series)] == ["Autumn 2026", "Spring 2027", "Summer 2027"]
    assert series.title == "DSL network twilights 2026-27"


def test_a_second_series_for_the_same_year_is_refused(series, admin):
    with pytest.raises(DomainError) as error:
        services.create_series(2026, summary=None, actor=admin, now=NOW)
    assert error.value.field == "start_year" and "2026-27" in error.value.message


def test_only_admins_change_the_series(series, trainer, dsl):
    autumn = term(series, "autumn")
    for person in (trainer, dsl):
        with pytest.raises(Forbidden):
            services.create_series(2027, summary=None, actor=person, now=NOW)
        with pytest.raises(Forbidden):
            services.update_topic(autumn, services.TopicValues(title="x"), actor=person, now=NOW)
        with pytest.raises(Forbidden):
            services.copy_term_forward(autumn, actor=person, now=NOW)


def test_term_sessions_are_twilight_sessions_at_the_host_school(series, borough, twilight_course):
    rows = services.term_sessions(term(series, "autumn"))
    assert [r.area.code for r in rows] == ["north", "south", "east"]
    north = rows[0].session
    host = borough["hosts"]["north"]
    assert north.course_id == twilight_course.id
    assert (north.venue_name, north.venue_address, north.venue_postcode) == (host.name, host.address, host.postcode)
    assert north.area_id == borough["areas"]["north"].id
    assert to_london(north.starts_at) == datetime(2026, 12, 8, 15, 45, tzinfo=LONDON)
    assert to_london(north.ends_at) == datetime(2026, 12, 8, 17, 45, tzinfo=LONDON)
    assert {role.code for role in north.audience_roles} == {"school-dsl", "deputy-dsl", "ey-dsl"}
    assert north.capacity == 100
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"twilights.create", "twilights.topic", "twilights.sessions", "session.create"} <= actions


def test_a_day_outside_the_term_or_a_second_session_in_an_area_is_refused(series, borough, admin):
    autumn, spring = term(series, "autumn"), term(series, "spring")
    with pytest.raises(DomainError) as error:
        services.create_term_sessions(spring, plan_for(borough, day=date(2027, 5, 4)), actor=admin, now=NOW)
    assert error.value.field == "day"
    with pytest.raises(DomainError) as error:
        services.create_term_sessions(autumn, plan_for(borough, areas=("north",)), actor=admin, now=NOW)
    assert error.value.field == f"host_{borough['areas']['north'].id}"
    assert "already has a twilight" in error.value.message


def test_a_host_from_another_area_is_refused(series, borough, admin):
    spring = term(series, "spring")
    plan = plan_for(borough, day=date(2027, 3, 9), areas=("north",))
    plan.sessions[0].host = borough["hosts"]["south"]
    with pytest.raises(DomainError) as error:
        services.create_term_sessions(spring, plan, actor=admin, now=NOW)
    assert error.value.field == f"host_{borough['areas']['north'].id}"


def test_copying_a_term_forward_keeps_areas_hosts_and_weekday(series, admin):
    autumn = term(series, "autumn")
    target, made = services.copy_term_forward(autumn, actor=admin, now=NOW)
    assert target.term == "spring" and len(made) == 3
    before = {r.area_id: r for r in services.term_sessions(autumn)}
    for row in services.term_sessions(target):
        old = before[row.area_id]
        assert row.host_id == old.host_id
        new_start = to_london(row.session.starts_at)
        assert new_start.weekday() == AUTUMN_DAY.weekday()  # a Tuesday
        assert date(2027, 1, 1) <= new_start.date() <= date(2027, 4, 14)
        assert new_start.time() == time(15, 45)
        assert to_london(row.session.ends_at).time() == time(17, 45)
    assert to_london(services.term_sessions(target)[0].session.starts_at).date() == date(2027, 4, 6)


def test_copying_the_year_forward_lands_on_the_same_weekday_next_year(series, admin):
    target, made = services.copy_year_forward(series, actor=admin, now=NOW)
    assert target.starts_on == date(2027, 9, 1) and len(made) == 3
    rows = services.term_sessions(term(target, "autumn"))
    assert {r.area.code for r in rows} == {"north", "south", "east"}
    day = to_london(rows[0].session.starts_at).date()
    assert day == date(2027, 12, 7) and day.weekday() == AUTUMN_DAY.weekday()
    with pytest.raises(DomainError):  # nothing left to copy
        services.copy_year_forward(series, actor=admin, now=NOW)


def test_moved_day_stays_in_the_window():
    window = (date(2027, 1, 1), date(2027, 4, 14))
    assert services.moved_day(date(2026, 12, 22), months=4, window=window) == date(2027, 4, 13)
    assert services.moved_day(date(2026, 9, 1), months=4, window=window) == date(2027, 1, 5)


# --- booking ------------------------------------------------------------------------------


def test_book_the_year_books_one_a_term_in_the_persons_area(series, borough, admin, dsl):
    spring = term(series, "spring")
    services.create_term_sessions(spring, plan_for(borough, day=date(2027, 3, 9)), actor=admin, now=NOW)
    places = services.book_the_year(series, dsl, now=NOW)
    assert [(p.term.term, p.new) for p in places] == [("autumn", True), ("spring", True), ("summer", False)]
    assert all(p.booking.status == "booked" for p in places[:2])
    assert all(p.twilight.area.code == "north" for p in places[:2])
    assert places[2].note == "There is no twilight in North this term yet"


def test_book_the_year_joins_the_waiting_list_where_full(series, borough, admin, dsl, make_dsls):
    north = services.term_sessions(term(series, "autumn"))[0].session
    north.capacity = 2
    for person in make_dsls(2):
        bookings.book(north, person, actor=person, now=NOW)
    places = services.book_the_year(series, dsl, now=NOW)
    assert places[0].booking.status == "waitlisted"


def test_book_the_year_twice_books_nothing_more(series, dsl):
    services.book_the_year(series, dsl, now=NOW)
    with pytest.raises(DomainError) as error:
        services.book_the_year(series, dsl, now=NOW)
    assert "Nothing was booked" in error.value.message and "already had" in error.value.message


def test_a_teaching_assistant_is_told_why_not(series, assistant):
    with pytest.raises(DomainError) as error:
        services.book_the_year(series, assistant, now=NOW)
    assert "designated safeguarding leads and their deputies" in error.value.message
    assert "Teaching assistant" in error.value.message
    row = services.term_sessions(term(series, "autumn"))[0]
    with pytest.raises(DomainError):
        services.book_session(row.session, assistant, now=NOW)
    assert db.session.scalar(select(Booking).where(Booking.user_id == assistant.id)) is None


def test_one_live_booking_a_term_in_any_area(series, deputy):
    rows = services.term_sessions(term(series, "autumn"))
    booking = services.book_session(rows[0].session, deputy, now=NOW)  # north, not the deputy's own area
    assert booking.status == "booked"
    with pytest.raises(DomainError) as error:
        services.book_session(rows[1].session, deputy, now=NOW)
    assert "already have a twilight in Autumn 2026: North" in error.value.message
    bookings.cancel(booking, actor=deputy, now=NOW)
    assert services.book_session(rows[1].session, deputy, now=NOW).status == "booked"


def test_someone_without_an_area_books_term_by_term(series, borough):
    school = factories.organisation("Nowhere School")
    person = factories.user(organisation=school, roles=("school-dsl",))
    with pytest.raises(DomainError) as error:
        services.book_the_year(series, person, now=NOW)
    assert "no area" in error.value.message


# --- the record ---------------------------------------------------------------------------


def _attend(series, person, trainer, *, status="attended", hours=None):
    row = services.term_sessions(term(series, "autumn"))[0]
    booking = services.book_session(row.session, person, now=NOW)
    registers.mark(booking, status, actor=trainer, now=row.session.ends_at, hours=hours)
    db.session.commit()
    return booking


def test_attendance_records_two_hours_with_the_term_and_topic(series, dsl, trainer):
    booking = _attend(series, dsl, trainer)
    completion = db.session.get(Completion, booking.completion_id)
    assert completion.title == f"DSL network twilight, autumn 2026: {TOPIC}"
    assert completion.cpd_hours == Decimal("2.00")
    assert completion.delivery_mode == "twilight"
    assert completion.completed_on == AUTUMN_DAY


def test_attendance_counts_towards_the_dsl_annual_update(series, dsl, trainer):
    _attend(series, dsl, trainer)
    results = {r.requirement.code: r.result for r in compliance.person_compliance(dsl, as_of=AUTUMN_DAY + timedelta(days=1))}
    update = results["dsl-annual-update"]
    assert update.status == "current"
    assert update.due_on == date(2027, 12, 8)


def test_a_session_outside_a_series_keeps_the_course_title(series, twilight_course):
    from tests.bookings.conftest import make_session_row
    other = make_session_row(twilight_course)
    assert services.completion_title_for(other) is None


def test_materials_are_for_those_who_attended(series, dsl, deputy, trainer):
    autumn = term(series, "autumn")
    assert not services.may_see_materials(autumn, dsl)
    _attend(series, dsl, trainer)
    assert services.may_see_materials(autumn, dsl)
    assert not services.may_see_materials(autumn, deputy)
    assert services.may_see_materials(autumn, trainer)


# --- the report ---------------------------------------------------------------------------


def test_term_report_counts_by_area_and_names_the_schools_not_there(series, borough, dsl, deputy, trainer, admin):
    rows = services.term_sessions(term(series, "autumn"))
    for person, row in ((dsl, rows[0]), (deputy, rows[1])):
        booking = services.book_session(row.session, person, now=NOW)
        registers.mark(booking, "attended", actor=admin, now=row.session.ends_at)
    db.session.commit()
    report = services.term_report(term(series, "autumn"), actor=trainer)
    assert [(line.area.code, line.attended) for line in report.lines] == [("north", 1), ("south", 1), ("east", 0)]
    assert (report.attended, report.schools, report.represented) == (2, 5, 2)
    assert report.share == Decimal("40.0")
    assert [s.name for s in report.not_represented] == ["Brook Lane Special School", "Dunholt Park Primary School",
                                                        "Saltmere Academy"]
    assert "Little Acorns Day Nursery" not in [s.name for s in report.not_represented]  # not a school


def test_only_admins_and_trainers_see_the_report(series, dsl):
    with pytest.raises(Forbidden):
        services.term_report(term(series, "autumn"), actor=dsl)


def test_series_detail(series):
    detail = services.series_detail(series)
    assert [t["term"] for t in detail["terms"]] == ["autumn", "spring", "summer"]
    autumn = detail["terms"][0]
    assert autumn["topic"]["title"] == TOPIC and autumn["name"] == "Autumn 2026"
    first = autumn["sessions"][0]
    assert first["area"] == {"code": "north", "name": "North"}
    assert first["host"]["name"] == "Ashcombe Park Primary School"
    assert first["starts_at"] == "2026-12-08T15:45:00+00:00"
    assert first["places_left"] == 100
    assert "materials" not in str(detail)


def test_a_corrected_topic_retitles_the_completions_already_recorded(series, dsl, trainer, admin):
    booking = _attend(series, dsl, trainer)
    autumn = term(series, "autumn")
    services.update_topic(autumn, services.TopicValues(title="Online extremism and the Prevent duty"),
                          actor=admin, now=NOW)
    db.session.commit()
    completion = db.session.get(Completion, booking.completion_id)
    assert completion.title == "DSL network twilight, autumn 2026: Online extremism and the Prevent duty"
    assert completion.cpd_hours == Decimal("2.00")


def test_the_booking_engine_can_ask_for_the_one_a_term_rule(series, deputy):
    """bookings.services.book asks booking_problem under the session's lock; the series
    answers for its own sessions only."""
    from lms.signals import booking_problem_for
    from tests.bookings.conftest import make_session_row

    rows = services.term_sessions(term(series, "autumn"))
    assert booking_problem_for(rows[1].session, deputy, now=NOW) is None
    services.book_session(rows[0].session, deputy, now=NOW)
    assert "already have a twilight in Autumn 2026: North" in booking_problem_for(rows[1].session, deputy, now=NOW)
    assert booking_problem_for(rows[0].session, deputy, now=NOW) is None  # the engine says "already booked"
    other = make_session_row(rows[0].session.course)
    assert booking_problem_for(other, deputy, now=NOW) is None
