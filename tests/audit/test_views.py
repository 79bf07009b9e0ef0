"""The audit log viewer and CSV export through the test client."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from lms.audit import services as audit
from lms.audit.models import AuditEvent
from lms.extensions import db
from tests import factories as f
from tests.accounts.admin.helpers import error_summary, sign_in_as


def at(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.fixture()
def admin():
    person = f.user("ada@example.org", full_name="Ada Admin", admin=True)
    db.session.commit()
    return person


@pytest.fixture()
def signed_in(client, admin):
    sign_in_as(client, admin)
    return client


@pytest.fixture()
def log(admin):
    person = f.user("pat@example.org", full_name="Pat Practitioner")
    bob = f.user("bob@council.example.org", full_name="Bob Other", admin=True)
    audit.record(
        admin,
        "person.update",
        summary="Changed the name of Pat",
        target=person,
        now=at(2026, 6, 30, 23, 30),
        before={"full_name": "Pat P", "email_confirmed_at": "2026-01-05T09:00:00+00:00"},
        after={"full_name": "Pat Practitioner", "email_confirmed_at": None},
    )
    audit.record(
        bob,
        "person.admin.grant",
        summary="Gave Pat admin rights",
        target=person,
        now=at(2026, 1, 10, 9),
        before={"is_admin": False},
        after={"is_admin": True},
    )
    audit.record(
        None,
        "person.create",
        summary="Created from the command line",
        target=person,
        now=at(2026, 1, 1, 9),
        after={"email": "pat@example.org"},
    )
    db.session.commit()
    return person


URLS = ["/admin/audit/", "/admin/audit/export.csv"]


@pytest.mark.parametrize("url", URLS)
def test_anonymous_people_are_sent_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in")


@pytest.mark.parametrize("kind", ["practitioner", "trainer", "setting lead"])
@pytest.mark.parametrize("url", URLS)
def test_people_who_are_not_admins_are_refused(client, kind, url):
    school = f.organisation()
    visitor = f.user(organisation=school, trainer=kind == "trainer", leads=(school,) if kind == "setting lead" else ())
    db.session.commit()
    sign_in_as(client, visitor)
    assert client.get(url).status_code == 403
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "audit.export")) is None


def test_log_shows_newest_first_in_london_time_with_readable_changes(signed_in, log):
    html = signed_in.get("/admin/audit/").get_data(as_text=True)
    assert "3 events" in html
    newest, middle, oldest = (
        html.index(s) for s in ("Changed the name of Pat", "Gave Pat admin rights", "Created from the command line")
    )
    assert newest < middle < oldest
    assert "1 July 2026 at 12:30am" in html  # 23:30 UTC on 30 June, in BST
    assert "10 January 2026 at 9am" in html
    assert "Bob Other" in html and "bob@council.example.org" in html and "System" in html
    # Before and after, as a key/value table inside a details component.
    assert "govuk-details" in html
    assert "Email confirmed at" in html and "5 January 2026 at 9am" in html and "Not set" in html
    assert "Is admin" in html and ">No<" in html and ">Yes<" in html
    assert "Not recorded" in html  # "email" has no before value on the create event


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?action=person.admin", ["Gave Pat admin rights"]),
        ("?actor_email=council", ["Gave Pat admin rights"]),
        ("?target_type=user", ["Changed the name of Pat", "Gave Pat admin rights", "Created from the command line"]),
        ("?date_from=1&date_from=7&date_from=2026", ["Changed the name of Pat"]),
        ("?date_to=30&date_to=6&date_to=2026", ["Gave Pat admin rights", "Created from the command line"]),
        (
            "?date_from=2&date_from=1&date_from=2026&date_to=30&date_to=6&date_to=2026",
            ["Gave Pat admin rights"],
        ),
    ],
)
def test_log_filters(signed_in, log, query, expected):
    html = signed_in.get("/admin/audit/" + query).get_data(as_text=True)
    shown = [
        s for s in ("Changed the name of Pat", "Gave Pat admin rights", "Created from the command line") if s in html
    ]
    assert shown == expected


def test_events_about_one_person(signed_in, admin, log):
    audit.record(admin, "person.close", summary="Closed Ada's own test", target=admin, now=at(2026, 2, 1))
    db.session.commit()
    html = signed_in.get(f"/admin/audit/?target_type=user&target_id={log.id}").get_data(as_text=True)
    assert "3 events match" in html and "Closed Ada" not in html


def test_bad_dates_show_an_error_summary(signed_in, log):
    response = signed_in.get("/admin/audit/?date_from=31&date_from=2&date_from=2026")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and error_summary(html)
    assert "From must be a real date" in html and 'href="#date_from"' in html

    html = signed_in.get(
        "/admin/audit/?date_from=2&date_from=1&date_from=2026&date_to=1&date_to=1&date_to=2026"
    ).get_data(as_text=True)
    assert error_summary(html) and "must be the same as or after" in html


def test_log_is_paginated(signed_in, admin):
    for n in range(120):
        audit.record(admin, "thing.step", summary=f"Step {n:03d}", now=at(2026, 1, 1, n // 60, n % 60))
    db.session.commit()
    first = signed_in.get("/admin/audit/?action=thing").get_data(as_text=True)
    assert "Step 119" in first and "Step 070" in first and "Step 069" not in first
    assert 'href="/admin/audit/?action=thing&amp;page=3"' in first
    third = signed_in.get("/admin/audit/?action=thing&page=3").get_data(as_text=True)
    assert "Step 019" in third and "Step 000" in third and "Step 020" not in third


def _log_page_statements(client, count_queries) -> int:
    db.session.expire_all()
    with count_queries() as statements:
        assert client.get("/admin/audit/").status_code == 200
    return len(statements)


def test_log_statement_count_does_not_grow_with_rows(signed_in, admin, count_queries):
    people = [f.user(admin=True) for _ in range(12)]
    for person in people[:2]:
        audit.record(
            person, "person.update", summary="s", target=admin, now=at(2026, 1, 1), before={"a": 1}, after={"a": 2}
        )
    db.session.commit()
    few = _log_page_statements(signed_in, count_queries)
    for n, person in enumerate(people):
        audit.record(person, "person.update", summary="s", target=people[n - 1], now=at(2026, 1, 2), after={"a": n})
        audit.record(None, "job.run", summary="s", now=at(2026, 1, 3))
    db.session.commit()
    many = _log_page_statements(signed_in, count_queries)
    assert many == few


def _csv(response) -> list[list[str]]:
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_export_the_filtered_log_as_csv_and_audit_it(signed_in, admin, log):
    response = signed_in.get("/admin/audit/export.csv?actor_email=council")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="audit-log-')
    rows = _csv(response)
    assert rows[0] == audit.CSV_HEADER
    assert [row[4] for row in rows[1:]] == ["person.admin.grant"]
    assert rows[1][2:4] == ["Bob Other", "bob@council.example.org"]
    assert rows[1][8:] == ['{"is_admin": false}', '{"is_admin": true}']

    [export] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "audit.export"))
    assert export.actor_id == admin.id
    assert export.after == {"filters": {"actor_email": "council"}, "rows": 1}


def test_export_everything(signed_in, log):
    rows = _csv(signed_in.get("/admin/audit/export.csv"))
    assert [row[7] for row in rows[1:]] == [
        "Changed the name of Pat",
        "Gave Pat admin rights",
        "Created from the command line",
    ]
    assert rows[1][0] == "2026-07-01 00:30:00"  # London time
    # The export itself is now in the log, and shows on the page.
    assert "Exported 3 audit events as CSV" in signed_in.get("/admin/audit/").get_data(as_text=True)


def test_export_with_bad_filters_goes_back_to_the_form(signed_in, log):
    response = signed_in.get("/admin/audit/export.csv?date_from=31&date_from=2&date_from=2026")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/admin/audit/?date_from=31")
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "audit.export")) is None


def test_the_page_links_to_an_export_with_the_same_filters(signed_in, log):
    html = signed_in.get("/admin/audit/?action=person.admin").get_data(as_text=True)
    assert 'href="/admin/audit/export.csv?action=person.admin"' in html


def test_events_link_to_what_they_are_about(signed_in, log):
    html = signed_in.get("/admin/audit/").get_data(as_text=True)
    assert f'<a class="govuk-link" href="/admin/people/{log.id}">User {log.id}</a>' in html
