"""Reading the audit log: filters, London dates, CSV rows and readable values."""

from __future__ import annotations

from datetime import UTC, date, datetime

from lms.audit import services as audit
from lms.extensions import db
from tests import factories as f


def at(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def actions(filters: audit.AuditFilter) -> list[str]:
    return [event.action for event in db.session.scalars(audit.filtered_events(filters)).unique()]


def test_filters_by_action_prefix_actor_target_and_newest_first(now):
    ada = f.user("ada@partnership.example.org", full_name="Ada", admin=True)
    bob = f.user("bob@council.example.org", full_name="Bob", admin=True)
    person = f.user()
    audit.record(ada, "person.admin.grant", summary="a", target=person, now=at(2026, 1, 1, 9))
    audit.record(bob, "person.admin.remove", summary="b", target=person, now=at(2026, 1, 2, 9))
    audit.record(ada, "person.close", summary="c", target=person, now=at(2026, 1, 3, 9))
    audit.record(ada, "organisation.update", summary="d", target=f.organisation(), now=at(2026, 1, 4, 9))
    audit.record(None, "person.create", summary="e", target=person, now=at(2026, 1, 5, 9))
    db.session.flush()

    assert actions(audit.AuditFilter()) == [
        "person.create",
        "organisation.update",
        "person.close",
        "person.admin.remove",
        "person.admin.grant",
    ]
    assert actions(audit.AuditFilter(action="person.admin")) == ["person.admin.remove", "person.admin.grant"]
    assert actions(audit.AuditFilter(action=" PERSON.ADMIN.")) == ["person.admin.remove", "person.admin.grant"]
    assert actions(audit.AuditFilter(action="person_")) == []  # _ is not a wildcard
    assert actions(audit.AuditFilter(actor_email="COUNCIL.example")) == ["person.admin.remove"]
    assert actions(audit.AuditFilter(target_type="organisation")) == ["organisation.update"]
    assert actions(audit.AuditFilter(target_type="user", target_id=str(person.id), actor_email="ada@")) == [
        "person.close",
        "person.admin.grant",
    ]
    assert audit.count_events(audit.AuditFilter(action="person.")) == 4
    assert audit.target_types() == ["organisation", "user"]


def test_date_range_is_in_london_dates_across_summer_time(now):
    admin = f.user(admin=True)
    # 23:30 UTC on 30 June is 00:30 on 1 July in London (BST); in January London is on UTC.
    audit.record(admin, "summer.late", summary="s", now=at(2026, 6, 30, 23, 30))
    audit.record(admin, "summer.early", summary="s", now=at(2026, 6, 30, 22, 59))
    audit.record(admin, "winter.late", summary="w", now=at(2026, 1, 31, 23, 30))
    db.session.flush()

    assert actions(audit.AuditFilter(date_to=date(2026, 6, 30))) == ["summer.early", "winter.late"]
    assert actions(audit.AuditFilter(date_from=date(2026, 7, 1))) == ["summer.late"]
    assert actions(audit.AuditFilter(date_from=date(2026, 1, 31), date_to=date(2026, 1, 31))) == ["winter.late"]
    assert actions(audit.AuditFilter(date_from=date(2026, 2, 1), date_to=date(2026, 6, 30))) == ["summer.early"]


def test_events_about_one_thing(now):
    admin = f.user(admin=True)
    person, other = f.user(), f.user()
    for n in range(12):
        audit.record(admin, f"person.step{n:02d}", summary="s", target=person, now=at(2026, 1, 1, n))
    audit.record(admin, "person.other", summary="s", target=other, now=at(2026, 2, 1))
    db.session.flush()
    latest = audit.events_about("user", person.id, limit=10)
    assert [e.action for e in latest] == [f"person.step{n:02d}" for n in range(11, 1, -1)]


def test_csv_rows_are_safe_for_spreadsheets(now):
    admin = f.user("ada@example.org", full_name="=Ada", admin=True)
    target = f.user()
    audit.record(
        admin,
        "person.update",
        summary="+SUM(A1)",
        target=target,
        now=at(2026, 7, 1, 12),
        before={"full_name": "@Old"},
        after={"full_name": "New"},
    )
    audit.record(None, "person.create", summary="From the command line", now=at(2026, 7, 1, 13))
    db.session.flush()

    header, first, second = list(audit.csv_rows(audit.AuditFilter()))
    assert header == audit.CSV_HEADER
    assert first == [
        "2026-07-01 14:00:00",
        "2026-07-01T13:00:00Z",
        "System",
        "",
        "person.create",
        "",
        "",
        "From the command line",
        "",
        "",
    ]
    assert second[:8] == [
        "2026-07-01 13:00:00",
        "2026-07-01T12:00:00Z",
        "'=Ada",
        "ada@example.org",
        "person.update",
        "user",
        str(target.id),
        "'+SUM(A1)",
    ]
    assert second[8:] == ['{"full_name": "@Old"}', '{"full_name": "New"}']


def test_record_export_notes_the_filters_and_row_count(now):
    admin = f.user(admin=True)
    event = audit.record_export(audit.AuditFilter(action="person.", date_from=date(2026, 4, 1)), actor=admin, rows=3, now=now)
    assert event.action == "audit.export"
    assert event.after == {"filters": {"action": "person.", "date_from": "2026-04-01"}, "rows": 3}


def test_readable_keys_and_values():
    assert audit.readable_key("email_confirmed_at") == "Email confirmed at"
    assert audit.readable_key("organisation_id") == "Organisation ID"
    assert audit.readable_value(True) == "Yes"
    assert audit.readable_value(False) == "No"
    assert audit.readable_value(None) == "Not set"
    assert audit.readable_value(audit.MISSING) == "Not recorded"
    assert audit.readable_value(["a", "b"]) == "a, b"
    assert audit.readable_value({"active": False, "rows": 2}) == "Active: No; Rows: 2"
    assert audit.readable_value("2026-09-01") == "1 September 2026"
    assert audit.readable_value("2026-07-01T12:30:00+00:00") == "1 July 2026 at 1:30pm"
    assert audit.readable_value("2026-13-45") == "2026-13-45"
    assert audit.readable_value(7) == "7"


def test_change_rows_pair_before_and_after():
    assert audit.change_rows({"a": 1, "b": None}, {"b": 2, "c": 3}) == [
        ("a", 1, audit.MISSING),
        ("b", None, 2),
        ("c", audit.MISSING, 3),
    ]
    assert audit.change_rows(None, None) == []
