"""For analysts (DESIGN.md section 8): the completions feed with changed_since, compliance
counts by organisation and requirement, the sessions and evaluation figures, and reporting
tokens that are read-only and expire."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from itertools import count

import pytest
from sqlalchemy import func, select

from lms.api import services as tokens
from lms.api.models import ApiToken
from lms.bookings.models import Booking
from lms.compliance import overview
from lms.compliance import services as compliance
from lms.core.errors import DomainError
from lms.core.time import utcnow
from lms.extensions import db
from lms.records import services as records
from lms.records.models import Completion
from lms.reports.sessions import sessions_report
from tests import factories
from tests.api.conftest import assert_matches, bearer, make_token, response_schema, spec  # noqa: F401
from tests.bookings.conftest import make_course_row, make_session_row
from tests.conftest import NOW

_refs = count(1)


def complete(person, on: date, *, course=None, mode="elearning", now=NOW):
    completion, _ = records.record_completion(
        person, title=course.title if course else "Local briefing", delivery_mode=mode, on=on, hours=Decimal(2),
        source="imported", source_ref=f"feed:{next(_refs)}", course=course, now=now,
    )
    return completion


@pytest.fixture()
def staff():
    north = factories.area("North", code="north")
    oak = factories.organisation("Oak Primary", area=north)
    elm = factories.organisation("Elm Nursery", type_code="day-nursery")
    people = {
        "oak_lead": factories.user("lead@oak.example", organisation=oak, roles=("school-dsl",), leads=(oak,)),
        "oak_teacher": factories.user("teacher@oak.example", organisation=oak, roles=("teacher",)),
        "elm_worker": factories.user("worker@elm.example", organisation=elm, roles=("ey-practitioner",)),
        "trainer": factories.user("trainer@partnership.example", trainer=True),
        "admin": factories.user("admin@partnership.example", admin=True),
    }
    sge = make_course_row("SGE", mode="elearning", title="Safeguarding Everyone")
    db.session.commit()
    return {"oak": oak, "elm": elm, "sge": sge, **people}


def feed(client, token, query=""):
    return client.get(f"/api/v1/completions?{query}", headers=bearer(token))


# --- GET /api/v1/completions -------------------------------------------------------------------------------

def test_the_feed_gives_each_completion_with_its_codes(client, spec, staff):
    mine = complete(staff["oak_teacher"], date(2026, 10, 1), course=staff["sge"])
    complete(staff["elm_worker"], date(2026, 10, 2), mode="face-to-face")
    db.session.commit()
    response = feed(client, make_token(staff["trainer"]))
    assert response.status_code == 200, response.json
    assert_matches(spec, response_schema(spec, "/completions"), response.json)
    body = response.json
    assert body["total"] == 2 and body["next"] is None
    first = body["items"][0]
    assert first == {
        "id": mine.id, "person_id": staff["oak_teacher"].id, "title": "Safeguarding Everyone", "course": "SGE",
        "delivery_mode": "elearning", "completed_on": "2026-10-01", "cpd_hours": 2.0, "score": None,
        "source": "imported", "self_reported": False, "organisation_id": staff["oak"].id,
        "organisation": "Oak Primary", "organisation_type": "primary-school", "area": "north", "sector": "education",
        "created_at": "2026-11-23T10:00:00Z", "updated_at": "2026-11-23T10:00:00Z",
    }
    assert body["items"][1]["sector"] == "early-years" and body["items"][1]["course"] is None


def test_changed_since_gives_only_what_changed_after_it(client, staff):
    early, late = NOW, NOW + timedelta(hours=2)
    old = complete(staff["oak_teacher"], date(2026, 10, 1), course=staff["sge"], now=early)
    new = complete(staff["elm_worker"], date(2026, 10, 2), now=late)
    corrected = complete(staff["oak_lead"], date(2026, 9, 1), now=early)
    records.update_completion_hours(corrected, Decimal(3), now=late + timedelta(minutes=5))
    db.session.commit()
    token = make_token(staff["admin"])
    since = (NOW + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = feed(client, token, f"changed_since={since}").json
    assert [item["id"] for item in body["items"]] == [new.id, corrected.id]  # oldest change first
    assert body["items"][1]["updated_at"] == "2026-11-23T12:05:00Z" and body["items"][1]["cpd_hours"] == 3.0
    assert old.id not in [item["id"] for item in body["items"]]
    # The same moment with an offset, and without one (UTC).
    assert feed(client, token, "changed_since=2026-11-23T12:00:00%2B01:00").json["total"] == 2
    assert feed(client, token, "changed_since=2026-11-23T11:00:00").json["total"] == 2
    # Strictly after: a row changed at that very moment was read last time.
    assert feed(client, token, "changed_since=2026-11-23T12:05:00Z").json["total"] == 0
    bad = feed(client, token, "changed_since=yesterday")
    assert bad.status_code == 400 and bad.json["errors"][0]["field"] == "changed_since"


def test_the_feed_pages_and_filters_like_the_uptake_figures(client, staff):
    for day in range(1, 6):
        complete(staff["oak_teacher"], date(2026, 10, day), course=staff["sge"])
    complete(staff["elm_worker"], date(2026, 10, 3), mode="face-to-face")
    complete(staff["oak_lead"], date(2027, 1, 3), mode="face-to-face")
    db.session.commit()
    token = make_token(staff["trainer"])
    first = feed(client, token, "per_page=2&sector=education").json
    assert first["total"] == 6 and len(first["items"]) == 2
    assert "sector=education" in first["next"] and "page=2" in first["next"]
    second = client.get(first["next"], headers=bearer(token)).json
    assert [i["id"] for i in second["items"]] != [i["id"] for i in first["items"]]
    assert feed(client, token, "delivery_mode=face-to-face").json["total"] == 2
    assert feed(client, token, "delivery_mode=face-to-face&organisation_type=day-nursery").json["total"] == 1
    assert feed(client, token, "course=SGE&area=north").json["total"] == 5
    assert feed(client, token, "from=2026-10-02&to=2026-10-31").json["total"] == 5
    bad = feed(client, token, "from=2026-10-31&to=2026-10-01")
    assert bad.status_code == 400 and bad.json["errors"][0]["field"] == "to"


def test_a_setting_lead_reads_their_own_staff_only_and_practitioners_none(client, staff):
    complete(staff["oak_teacher"], date(2026, 10, 1))
    complete(staff["oak_lead"], date(2026, 10, 1))
    complete(staff["elm_worker"], date(2026, 10, 1))
    db.session.commit()
    lead = feed(client, make_token(staff["oak_lead"])).json
    assert {i["person_id"] for i in lead["items"]} == {staff["oak_teacher"].id, staff["oak_lead"].id}
    refused = feed(client, make_token(staff["elm_worker"]))
    assert refused.status_code == 403 and refused.json["error"] == "forbidden"
    assert client.get("/api/v1/completions").status_code == 401


def test_the_feed_takes_a_fixed_number_of_statements(client, staff, count_queries):
    token = make_token(staff["admin"])
    complete(staff["oak_teacher"], date(2026, 10, 1), course=staff["sge"])
    db.session.commit()
    feed(client, token)  # last_used_at is written on the first call
    with count_queries() as statements:
        assert feed(client, token, "per_page=100&sector=education,early-years").status_code == 200
    few = len(statements)
    for day in range(1, 29):
        complete(staff["oak_teacher"], date(2026, 11, day), course=staff["sge"])
        complete(staff["elm_worker"], date(2026, 11, day), mode="face-to-face")
    db.session.commit()
    with count_queries() as statements:
        body = feed(client, token, "per_page=100&sector=education,early-years").json
    assert body["total"] == 57 and len(statements) == few
    assert few <= 5  # the token, the filter codes, the count, the page (and the caller's roles)


# --- GET /api/v1/completions/removed ------------------------------------------------------------------------

def removed(client, token, query=""):
    return client.get(f"/api/v1/completions/removed?{query}", headers=bearer(token))


def test_completions_taken_off_the_record_are_listed_for_an_incremental_refresh(client, spec, staff):
    kept = complete(staff["oak_teacher"], date(2026, 10, 1))
    first = complete(staff["oak_teacher"], date(2026, 10, 2))
    second = complete(staff["elm_worker"], date(2026, 10, 3))
    db.session.commit()
    first_id, second_id = first.id, second.id
    records.remove_completion("imported", first.source_ref, now=NOW + timedelta(hours=1))
    records.remove_completion("imported", second.source_ref, now=NOW + timedelta(hours=3))
    db.session.commit()
    token = make_token(staff["admin"])
    response = removed(client, token)
    assert response.status_code == 200, response.json
    assert_matches(spec, response_schema(spec, "/completions/removed"), response.json)
    assert response.json["items"] == [
        {"id": first_id, "person_id": staff["oak_teacher"].id, "removed_at": "2026-11-23T11:00:00Z"},
        {"id": second_id, "person_id": staff["elm_worker"].id, "removed_at": "2026-11-23T13:00:00Z"},
    ]
    # The feed no longer has them; the removals since a moment are only those after it.
    assert [item["id"] for item in feed(client, token).json["items"]] == [kept.id]
    later = removed(client, token, "changed_since=2026-11-23T12:00:00Z").json
    assert [item["id"] for item in later["items"]] == [second_id]
    assert removed(client, token, "changed_since=2026-11-23T13:00:00Z").json["total"] == 0
    bad = removed(client, token, "changed_since=last week")
    assert bad.status_code == 400 and bad.json["errors"][0]["field"] == "changed_since"


def test_a_setting_lead_sees_their_own_staffs_removals_only(client, staff):
    ours = complete(staff["oak_teacher"], date(2026, 10, 1))
    theirs = complete(staff["elm_worker"], date(2026, 10, 1))
    db.session.commit()
    ours_id = ours.id
    for completion in (ours, theirs):
        records.remove_completion("imported", completion.source_ref, now=NOW)
    db.session.commit()
    assert [item["id"] for item in removed(client, make_token(staff["oak_lead"])).json["items"]] == [ours_id]
    assert removed(client, make_token(staff["trainer"])).json["total"] == 2
    assert removed(client, reporting_token(staff["trainer"])).json["total"] == 2  # a read-only token reads it
    refused = removed(client, make_token(staff["elm_worker"]))
    assert refused.status_code == 403 and refused.json["error"] == "forbidden"
    assert client.get("/api/v1/completions/removed").status_code == 401


def test_the_removals_take_a_fixed_number_of_statements(client, staff, count_queries):
    token = make_token(staff["oak_lead"])
    completion = complete(staff["oak_teacher"], date(2026, 10, 1))
    records.remove_completion("imported", completion.source_ref, now=NOW)
    db.session.commit()
    removed(client, token)  # last_used_at is written on the first call
    with count_queries() as statements:
        assert removed(client, token).status_code == 200
    few = len(statements)
    for day in range(1, 20):
        completion = complete(staff["oak_teacher"], date(2026, 11, day))
        records.remove_completion("imported", completion.source_ref, now=NOW)
    db.session.commit()
    with count_queries() as statements:
        assert removed(client, token, "per_page=100").json["total"] == 20
    assert len(statements) == few <= 5  # the token, the caller's roles, the count, the page


# --- reporting tokens --------------------------------------------------------------------------------------

def reporting_token(person, *, days=30, now=None) -> str:
    now = now or utcnow()
    token, _ = tokens.create_token(person, name="Power BI", now=now, read_only=True,
                                   expires_at=now + timedelta(days=days))
    db.session.commit()
    return token


def test_a_read_only_token_reads_the_feed_and_is_refused_a_booking(client, staff):
    complete(staff["oak_teacher"], date(2026, 10, 1))
    course = make_course_row("F2F", title="Working together")
    session = make_session_row(course, starts_at=utcnow() + timedelta(days=30))
    db.session.commit()
    read_only = reporting_token(staff["admin"])
    assert feed(client, read_only).status_code == 200
    assert client.get("/api/v1/me", headers=bearer(read_only)).status_code == 200
    refused = client.post(f"/api/v1/sessions/{session.id}/bookings", json={}, headers=bearer(read_only))
    assert refused.status_code == 403 and "read-only" in refused.json["message"]
    assert db.session.scalar(select(func.count(Booking.id))) == 0
    # Every other writing method is refused the same way, before the route is asked.
    assert client.delete("/api/v1/bookings/1", headers=bearer(read_only)).status_code == 403
    assert client.post("/api/v1/me/enrolments", json={"course": "SGE"}, headers=bearer(read_only)).status_code == 403
    # The same person's ordinary token books.
    booked = client.post(f"/api/v1/sessions/{session.id}/bookings", json={}, headers=bearer(make_token(staff["admin"])))
    assert booked.status_code == 201, booked.json


def test_an_expired_token_gets_a_401(client, staff):
    expired = reporting_token(staff["trainer"], days=1, now=utcnow() - timedelta(days=2))
    response = feed(client, expired)
    assert response.status_code == 401 and "expired" in response.json["message"]
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert feed(client, reporting_token(staff["trainer"], days=1)).status_code == 200


def test_a_read_only_token_must_expire_within_a_year(staff):
    person = staff["trainer"]
    with pytest.raises(DomainError) as error:
        tokens.create_token(person, name="Forever", now=NOW, read_only=True)
    assert error.value.field == "expires"
    with pytest.raises(DomainError, match="at most a year"):
        tokens.create_token(person, name="Too long", now=NOW, read_only=True, expires_at=NOW + timedelta(days=367))
    with pytest.raises(DomainError, match="in the future"):
        tokens.create_token(person, name="Past", now=NOW, expires_at=NOW - timedelta(seconds=1))
    _, row = tokens.create_token(person, name="A year", now=NOW, read_only=True, expires_at=NOW + timedelta(days=365))
    assert row.read_only and row.expires_at == NOW + timedelta(days=365)
    # An expired token no longer counts towards the limit of live tokens.
    assert not row.expired(NOW) and row.expired(NOW + timedelta(days=365))


def test_the_token_page_makes_a_read_only_token_that_expires(client, staff):
    from tests.api.conftest import sign_in_browser

    person = staff["trainer"]
    sign_in_browser(client, person)
    form = client.get("/account/api-tokens/new").get_data(as_text=True)
    assert 'name="access"' in form and 'value="read-only"' in form and 'name="expires"' in form
    refused = client.post("/account/api-tokens/new", data={"name": "Power BI", "access": "read-only",
                                                           "expires": "never"})
    assert "Choose when the read-only token expires" in refused.get_data(as_text=True)
    assert db.session.scalar(select(ApiToken)) is None
    made = client.post("/account/api-tokens/new", data={"name": "Power BI", "access": "read-only", "expires": "90"})
    html = made.get_data(as_text=True)
    assert made.status_code == 200 and "Read only" in html
    row = db.session.scalar(select(ApiToken))
    assert row.read_only and timedelta(days=89) < row.expires_at - row.created_at <= timedelta(days=90)
    listing = client.get("/account/api-tokens").get_data(as_text=True)
    assert "Read only" in listing and "Expires" in listing


# --- GET /api/v1/reports/compliance ------------------------------------------------------------------------

def test_compliance_counts_by_organisation_and_requirement_in_one_call(client, spec, staff, count_queries):
    complete(staff["oak_teacher"], date(2026, 10, 1), course=staff["sge"])
    compliance.rebuild_status_table(now=NOW)
    db.session.commit()
    token = make_token(staff["admin"])
    client.get("/api/v1/me", headers=bearer(token))
    as_of = NOW.date().isoformat()
    with count_queries() as statements:
        response = client.get(f"/api/v1/reports/compliance?as_of={as_of}", headers=bearer(token))
    assert response.status_code == 200, response.json
    assert_matches(spec, response_schema(spec, "/reports/compliance"), response.json)
    items = response.json["items"]
    assert {i["organisation"] for i in items} == {"Oak Primary", "Elm Nursery"}
    # The same counts as the admin overview's, organisation by organisation and requirement by requirement.
    for item in items:
        requirement = db.session.scalar(select(compliance.Requirement).where(compliance.Requirement.code == item["requirement"]))
        [row] = [r for r in overview.overview_organisations(as_of=NOW.date(), requirement_id=requirement.id).items
                 if r.key == item["organisation_id"]]
        assert (item["current"], item["due_soon"], item["overdue"], item["not_yet_due"]) == (
            row.count("current"), row.count("due-soon"), row.count("overdue"), row.count("not-yet-due"))
        assert item["total"] == row.total
    oak = [i for i in items if i["organisation"] == "Oak Primary"]
    assert {i["sector"] for i in oak} == {"education"} and {i["area"] for i in oak} == {"north"}
    few = len(statements)
    assert few <= 4
    # From the kept counts when they hold the day asked for: the same rows.
    compliance.rebuild_counts(NOW.date())
    db.session.commit()
    with count_queries() as statements:
        kept = client.get(f"/api/v1/reports/compliance?as_of={as_of}", headers=bearer(token)).json
    assert kept["items"] == items and len(statements) == few
    # More organisations, more people: the same number of statements.
    for index in range(5):
        school = factories.organisation(f"School {index}")
        factories.user(organisation=school, roles=("teacher",))
    compliance.rebuild_status_table(now=NOW)
    db.session.commit()
    with count_queries() as statements:
        more = client.get(f"/api/v1/reports/compliance?as_of=2026-11-24", headers=bearer(token)).json
    assert len(more["items"]) > len(items) and len(statements) == few


def test_compliance_filters_and_who_may_read_it(client, staff):
    compliance.rebuild_status_table(now=NOW)
    db.session.commit()
    admin = make_token(staff["admin"])
    nursery = client.get("/api/v1/reports/compliance?sector=early-years", headers=bearer(admin)).json["items"]
    assert {i["organisation"] for i in nursery} == {"Elm Nursery"}
    update = client.get("/api/v1/reports/compliance?requirement=staff-annual-update", headers=bearer(admin)).json
    assert {i["requirement"] for i in update["items"]} == {"staff-annual-update"}
    bad = client.get("/api/v1/reports/compliance?requirement=nope", headers=bearer(admin))
    assert bad.status_code == 400 and bad.json["errors"][0]["field"] == "requirement"
    assert "dsl-role-training" in bad.json["message"]
    lead = client.get("/api/v1/reports/compliance", headers=bearer(make_token(staff["oak_lead"]))).json["items"]
    assert {i["organisation"] for i in lead} == {"Oak Primary"}
    for person in ("trainer", "oak_teacher"):
        assert client.get("/api/v1/reports/compliance", headers=bearer(make_token(staff[person]))).status_code == 403


# --- GET /api/v1/reports/sessions and /evaluations ---------------------------------------------------------

from tests.reports.test_sessions import held  # noqa: E402,F401  (fixture)


def test_the_sessions_figures_are_the_sessions_report(client, spec, held, count_queries):
    trainer = factories.user(trainer=True)
    db.session.commit()
    token = make_token(trainer)
    client.get("/api/v1/me", headers=bearer(token))
    with count_queries() as statements:
        response = client.get("/api/v1/reports/sessions?from=2026-11-01&to=2026-12-31", headers=bearer(token))
    assert response.status_code == 200, response.json
    assert_matches(spec, response_schema(spec, "/reports/sessions"), response.json)
    report = sessions_report(date(2026, 11, 1), date(2026, 12, 31))
    body = response.json
    assert [c["course"] for c in body["courses"]] == [line.code for line in report.lines] == ["CP", "WT"]
    cp = body["courses"][0]
    assert (cp["sessions"], cp["cancelled_sessions"], cp["places"], cp["taken"]) == (2, 1, 15, 4)
    assert (cp["attended"], cp["partly_attended"], cp["no_shows"], cp["late_cancellations"]) == (2, 1, 1, 1)
    assert cp["fill_rate"] == 27 and cp["no_show_rate"] == 25
    assert body["total"]["places"] == report.total.places
    assert len(statements) <= 4  # the token, the caller, the report's two statements
    bad = client.get("/api/v1/reports/sessions?from=2026-12-01&to=2026-11-01", headers=bearer(token))
    assert bad.status_code == 400 and bad.json["errors"][0]["field"] == "to"
    practitioner = factories.user()
    db.session.commit()
    assert client.get("/api/v1/reports/sessions", headers=bearer(make_token(practitioner))).status_code == 403


def test_the_evaluation_figures_are_the_summaries(client, spec, staff, count_queries):
    from lms.evaluations import services as evaluations

    course = staff["sge"]
    course.asks_for_evaluation = True
    answers = [
        dict(satisfaction=5, skills="a-lot", confidence_before=2, confidence_after=4, may_quote=True,
             will_do_differently="Record concerns the same day."),
        dict(satisfaction=2, skills="no", confidence_before=3, confidence_after=3, may_quote=False,
             will_do_differently="Not for quoting."),
    ]
    for person, given in zip((staff["oak_teacher"], staff["elm_worker"]), answers):
        completion = complete(person, date(2026, 11, 2), course=course)
        completion.source = "elearning"
        evaluations.submit(completion, evaluations.Answers(**given), actor=person, now=NOW)
    db.session.commit()
    token = make_token(staff["trainer"])
    client.get("/api/v1/me", headers=bearer(token))
    with count_queries() as statements:
        response = client.get("/api/v1/reports/evaluations?from=2026-11-01&to=2026-11-30", headers=bearer(token))
    assert response.status_code == 200, response.json
    assert_matches(spec, response_schema(spec, "/reports/evaluations"), response.json)
    body = response.json
    [row] = body["courses"]
    assert row["course"] == "SGE" and row["responses"] == 2
    assert row["satisfied_percent"] == 50 and row["skills_improved_percent"] == 50
    assert row["confidence_before"] == 2.5 and row["confidence_after"] == 3.5 and row["more_confident_percent"] == 50
    assert body["total"]["quotes"] == ["Record concerns the same day."]
    assert len(statements) <= 6  # the token, the caller, the courses' two statements, the total's two
    one = client.get("/api/v1/reports/evaluations?course=SGE&from=2026-11-01&to=2026-11-30", headers=bearer(token))
    assert one.json["course"] == "SGE" and one.json["total"]["responses"] == 2
    unknown = client.get("/api/v1/reports/evaluations?course=NOPE", headers=bearer(token))
    assert unknown.status_code == 400 and unknown.json["errors"][0]["field"] == "course"


# --- updated_at is kept by the record's one writer ---------------------------------------------------------

def test_updated_at_moves_with_every_change_the_writer_makes(staff):
    completion = complete(staff["oak_teacher"], date(2026, 10, 1))
    assert completion.updated_at == completion.created_at == NOW
    later = NOW + timedelta(days=1)
    records.update_completion(completion, title="Renamed", on=date(2026, 10, 2), hours=Decimal(1), now=later)
    assert completion.updated_at == later
    records.move_to_course("imported", [completion.source_ref], staff["sge"], now=later + timedelta(days=1))
    db.session.expire_all()
    assert db.session.get(Completion, completion.id).updated_at == later + timedelta(days=1)
    added = records.record_completions([records.NewCompletion(
        user=staff["elm_worker"], title="History", delivery_mode="imported", on=date(2020, 1, 1), hours=Decimal(1),
        source_ref="history:1")], source="imported", now=later)
    assert added == 1
    assert db.session.scalar(select(Completion.updated_at).where(Completion.source_ref == "history:1")) == later
    assert datetime(2026, 1, 1, tzinfo=timezone.utc) < later
