"""Charges for no-shows and late cancellations: rates, the report and its pages."""
from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from lms.audit.models import AuditEvent
from lms.bookings import services
from lms.bookings.charges import services as charges
from lms.bookings.models import Booking, ChargeRate
from lms.core.errors import DomainError, Forbidden
from lms.extensions import db
from lms.organisations.models import OrganisationType
from tests import factories
from tests.conftest import NOW, csrf_token_from


def type_id(code: str) -> int:
    return db.session.scalar(select(OrganisationType.id).where(OrganisationType.code == code))


def set_rate(code: str, no_show: int, late: int, applies_from: date = charges.EARLIEST_APPLIES_FROM) -> None:
    db.session.add(ChargeRate(organisation_type_id=type_id(code), applies_from=applies_from, no_show_pence=no_show,
                              late_cancellation_pence=late, updated_at=NOW))
    db.session.flush()


def rates_of(type_id_: int) -> list[ChargeRate]:
    """A type's dated rates, the earliest first."""
    return list(db.session.scalars(
        select(ChargeRate).where(ChargeRate.organisation_type_id == type_id_).order_by(ChargeRate.applies_from)
    ))


def only_rate(type_id_: int) -> ChargeRate | None:
    rows = rates_of(type_id_)
    assert len(rows) <= 1, rows
    return rows[0] if rows else None


TODAY = date(2026, 11, 23)


def from_day(day: date) -> dict:
    """The rates form's "apply from" date, as its three boxes send it."""
    return {"applies_from": [str(day.day), str(day.month), str(day.year)]}


def add_booking(session, person, status, *, ended_reason=None, organisation="person's", substitute_for=None) -> Booking:
    """A booking row in the state a test needs (the engine's own paths are tested with it too)."""
    org_id = person.organisation_id if organisation == "person's" else (organisation.id if organisation else None)
    booking = Booking(
        session_id=session.id, user_id=person.id, status=status, organisation_id=org_id,
        created_at=NOW, queued_at=NOW, ended_reason=ended_reason,
        cancelled_at=NOW if status == "cancelled" else None,
        substitute_for_id=substitute_for.id if substitute_for else None,
    )
    db.session.add(booking)
    db.session.flush()
    return booking


def sign_in_as(client, person):
    response = factories.sign_in(client, person)
    assert response.status_code == 302


def error_summary(html: str) -> str:
    match = re.search(r'<div class="govuk-error-summary".*?</ul>', html, re.S)
    assert match, "no error summary on the page"
    return match.group(0)


# --- money ---------------------------------------------------------------------------------


@pytest.mark.no_database
@pytest.mark.parametrize("text, pence", [
    ("25", 2500), ("25.5", 2550), ("25.50", 2550), ("£25.50", 2550), (" 1,000 ", 100000),
    ("0", 0), ("0.01", 1), ("", None), ("   ", None), ("£", None), (None, None),
])
def test_parse_pounds(text, pence):
    assert charges.parse_pounds(text) == pence


@pytest.mark.no_database
@pytest.mark.parametrize("text", ["25.555", "-5", "abc", "1e3", "25.", ".5", "£-1", "NaN", "12 50"])
def test_parse_pounds_refuses_what_is_not_money(text):
    with pytest.raises(ValueError):
        charges.parse_pounds(text)


@pytest.mark.no_database
def test_pounds():
    assert charges.pounds(0) == "0.00"
    assert charges.pounds(2550) == "25.50"
    assert charges.pounds(100000) == "1,000.00"


# --- rates ---------------------------------------------------------------------------------


def test_every_organisation_type_has_a_rate_grouped_by_sector():
    set_rate("childminder", 2500, 1000)
    rates = charges.list_rates(TODAY)
    assert len(rates) == 35
    by_code = {rate.organisation_type.code: rate for rate in rates}
    assert (by_code["childminder"].no_show_pence, by_code["childminder"].late_cancellation_pence) == (2500, 1000)
    assert (by_code["police"].no_show_pence, by_code["police"].late_cancellation_pence) == (0, 0)
    groups = charges.group_by_sector(rates)
    assert [sector.code for sector, _ in groups] == [
        "education", "early-years", "vcs", "health", "police", "local-authority", "other-statutory",
    ]
    assert [rate.organisation_type.code for rate in groups[0][1]][:2] == ["primary-school", "secondary-school"]
    assert sum(len(group) for _, group in groups) == 35


def test_set_rates_saves_and_audits_each_change(admin, now):
    primary, police = type_id("primary-school"), type_id("police")

    changed = charges.set_rates({primary: (5000, 2500), police: (0, 0)}, applies_from=TODAY, actor=admin, now=now)

    assert changed == 1  # police stays at nothing: no row, no audit
    row = only_rate(primary)
    assert (row.no_show_pence, row.late_cancellation_pence, row.updated_at) == (5000, 2500, now)
    assert only_rate(police) is None
    events = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "charges.update")))
    assert len(events) == 1
    assert events[0].actor_id == admin.id
    assert events[0].target_type == "organisation_type" and events[0].target_id == str(primary)
    assert events[0].before == {"no_show_pence": 0, "late_cancellation_pence": 0}
    assert events[0].after == {"applies_from": "2026-11-23", "no_show_pence": 5000, "late_cancellation_pence": 2500}
    assert "Primary school from 23 November 2026" in events[0].summary and "£50.00" in events[0].summary

    assert charges.set_rates({primary: (5000, 2500)}, applies_from=TODAY, actor=admin, now=now) == 0
    assert charges.set_rates({primary: (0, 2500)}, applies_from=TODAY, actor=admin, now=now) == 1
    assert only_rate(primary).no_show_pence == 0


@pytest.mark.parametrize("values, field", [
    ((100001, 0), "no_show"),
    ((-1, 0), "no_show"),
    ((0, 100001), "late_cancellation"),
])
def test_set_rates_refuses_amounts_out_of_range(admin, now, values, field):
    primary, childminder = type_id("primary-school"), type_id("childminder")
    with pytest.raises(DomainError) as raised:
        charges.set_rates({childminder: (100, 100), primary: values}, applies_from=TODAY, actor=admin, now=now)
    assert raised.value.field == f"{field}_{primary}"
    assert "Primary school" in raised.value.message
    assert db.session.scalars(select(ChargeRate)).all() == []


def test_only_admins_set_rates(trainer, lead, now):
    for person in (trainer, lead):
        with pytest.raises(Forbidden):
            charges.set_rates({type_id("police"): (100, 100)}, applies_from=TODAY, actor=person, now=now)


def test_a_dated_change_leaves_the_days_before_it_alone(admin, now):
    """Charges set from 1 April 2027 apply from then; today's stay; setting the same day
    again changes that rate rather than adding another; each change says what it replaced."""
    primary = type_id("primary-school")
    charges.set_rates({primary: (5000, 2500)}, applies_from=TODAY, actor=admin, now=now)
    april = date(2027, 4, 1)

    assert charges.set_rates({primary: (6000, 3000)}, applies_from=april, actor=admin, now=now) == 1
    assert charges.set_rates({primary: (6500, 3000)}, applies_from=april, actor=admin, now=now) == 1
    assert charges.set_rates({primary: (6500, 3000)}, applies_from=date(2027, 5, 1), actor=admin, now=now) == 0

    assert [(r.applies_from, r.no_show_pence, r.late_cancellation_pence) for r in rates_of(primary)] == [
        (TODAY, 5000, 2500), (april, 6500, 3000),
    ]
    by_day = {day: {r.organisation_type.id: r for r in charges.list_rates(day)}[primary]
              for day in (TODAY - timedelta(days=1), TODAY, date(2027, 3, 31), april)}
    assert [(r.no_show_pence, r.applies_from) for r in by_day.values()] == [
        (0, None), (5000, TODAY), (5000, TODAY), (6500, april),
    ]
    changes = [c for c in charges.rate_changes() if c.organisation_type.id == primary]
    assert [(c.rate.applies_from, c.before) for c in changes] == [(april, (5000, 2500)), (TODAY, None)]
    # An earlier date than both: a rate for the days before them only.
    assert charges.set_rates({primary: (1000, 0)}, applies_from=date(2026, 9, 1), actor=admin, now=now) == 1
    assert charges.RateBook.load().amounts(primary, date(2026, 10, 1)) == (1000, 0)
    assert charges.RateBook.load().amounts(primary, date(2027, 1, 1)) == (5000, 2500)


def test_set_rates_needs_a_sensible_day(admin, now):
    with pytest.raises(DomainError) as raised:
        charges.set_rates({type_id("police"): (100, 100)}, applies_from=date(1999, 12, 31), actor=admin, now=now)
    assert raised.value.field == "applies_from"
    assert db.session.scalars(select(ChargeRate)).all() == []


# --- the report ----------------------------------------------------------------------------


@pytest.fixture()
def december(make_session, trainer):
    """Sessions on 8 December 2026 (held), 9 December (cancelled by the partnership) and
    12 January 2027 (outside the period)."""
    held = make_session(trainers=[trainer])
    cancelled = make_session(starts_at=datetime(2026, 12, 9, 10, 0, tzinfo=timezone.utc), trainers=[trainer],
                             status="cancelled", cancelled_at=NOW, cancelled_reason="Venue flooded")
    later = make_session(starts_at=datetime(2027, 1, 12, 10, 0, tzinfo=timezone.utc), trainers=[trainer])
    return held, cancelled, later


@pytest.fixture()
def charged(december, person, colleague, outsider, lead, make_people, organisation):
    """No-shows and late cancellations of every kind, and the things never charged."""
    held, cancelled, later = december
    set_rate("primary-school", 5000, 2500)
    set_rate("day-nursery", 3000, 0)
    public = factories.user("walk.in@example.org", full_name="Pat Public", organisation=None, roles=("other",))
    passer, taker, attender, canceller = make_people(4)
    add_booking(held, person, "no-show")                                   # £50
    add_booking(held, colleague, "cancelled", ended_reason="late-cancelled")  # £25
    add_booking(held, outsider, "no-show")                                 # £30 (nursery)
    add_booking(held, public, "no-show")                                   # nobody to invoice
    passed = add_booking(held, passer, "cancelled", ended_reason="substituted")
    add_booking(held, taker, "attended", substitute_for=passed)
    add_booking(held, attender, "attended")
    add_booking(held, canceller, "cancelled", ended_reason="cancelled")
    add_booking(held, lead, "partly-attended")
    add_booking(cancelled, person, "cancelled", ended_reason="late-cancelled")  # before the session was cancelled
    add_booking(cancelled, colleague, "cancelled", ended_reason="session-cancelled")
    add_booking(later, person, "no-show")
    db.session.flush()
    return held


def test_report_lists_chargeable_events_by_organisation(charged):
    report = charges.charge_report(date(2026, 12, 1), date(2026, 12, 31))

    rows = {row.organisation.name: row for row in report.organisations}
    assert list(rows) == ["Elm Day Nursery", "Oak Primary School"]  # by name
    oak, elm = rows["Oak Primary School"], rows["Elm Day Nursery"]
    assert (oak.no_shows, oak.late_cancellations, oak.total_pence) == (1, 1, 7500)
    assert (oak.no_show_total_pence, oak.late_cancellation_total_pence) == (5000, 2500)
    assert (elm.no_shows, elm.late_cancellations, elm.total_pence) == (1, 0, 3000)
    assert [(e.booking.user.full_name, e.kind, e.amount_pence) for e in oak.events] == [
        ("Cara Colleague", "late-cancellation", 2500), ("Tom Teacher", "no-show", 5000),
    ]
    assert (report.no_shows, report.late_cancellations, report.total_pence) == (2, 1, 10500)
    assert report.without_organisation == 1


def test_each_event_is_priced_at_the_rate_of_its_sessions_day(december, person, colleague, admin, now):
    """A change from 1 January 2027 prices the January no-show, not the December ones,
    whenever the report is asked for."""
    held, _, later = december
    set_rate("primary-school", 5000, 2500)
    add_booking(held, person, "no-show")
    add_booking(later, person, "no-show")
    add_booking(later, colleague, "cancelled", ended_reason="late-cancelled")
    db.session.flush()
    charges.set_rates({type_id("primary-school"): (8000, 4000)}, applies_from=date(2027, 1, 1), actor=admin, now=now)

    report = charges.charge_report(date(2026, 12, 1), date(2027, 1, 31))

    assert sorted((e.session.starts_at.date().isoformat(), e.kind, e.amount_pence) for e in report.events) == [
        ("2026-12-08", "no-show", 5000), ("2027-01-12", "late-cancellation", 4000), ("2027-01-12", "no-show", 8000),
    ]


def test_report_period_is_inclusive_of_both_days(charged):
    assert charges.charge_report(date(2026, 12, 8), date(2026, 12, 8)).total_pence == 10500
    assert charges.charge_report(date(2026, 12, 9), date(2027, 1, 11)).organisations == []
    later = charges.charge_report(date(2027, 1, 12), date(2027, 1, 12))
    assert [(row.organisation.name, row.total_pence) for row in later.organisations] == [("Oak Primary School", 5000)]


def test_report_days_are_london_days(make_session, person):
    """00:30 on 1 July in London is 23:30 UTC on 30 June: the session is in July."""
    set_rate("primary-school", 4000, 0)
    session = make_session(starts_at=datetime(2026, 6, 30, 23, 30, tzinfo=timezone.utc))
    add_booking(session, person, "no-show")

    assert charges.charge_report(date(2026, 4, 1), date(2026, 6, 30)).organisations == []
    assert charges.charge_report(date(2026, 7, 1), date(2026, 7, 1)).total_pence == 4000


def test_events_go_to_the_organisation_booked_with(make_session, person, other_organisation):
    """Tom booked as staff of Oak Primary, then moved to Elm Day Nursery: Oak pays, at a
    primary school's rate."""
    set_rate("primary-school", 5000, 0)
    set_rate("day-nursery", 1000, 0)
    session = make_session()
    add_booking(session, person, "no-show")
    person.organisation_id = other_organisation.id
    db.session.flush()

    report = charges.charge_report(date(2026, 12, 1), date(2026, 12, 31))

    assert [(row.organisation.name, row.total_pence) for row in report.organisations] == [("Oak Primary School", 5000)]


def test_types_without_a_rate_are_listed_at_nothing(make_session, outsider):
    session = make_session()
    add_booking(session, outsider, "no-show")

    report = charges.charge_report(date(2026, 12, 1), date(2026, 12, 31))

    assert [(row.organisation.name, row.no_shows, row.total_pence) for row in report.organisations] == [
        ("Elm Day Nursery", 1, 0)
    ]


def test_engine_late_cancellation_is_charged_and_substitution_is_not(
        training_session, person, colleague, lead, make_people):
    """Through the engine: a cancellation after the cut-off is charged; a place passed on
    after the cut-off is not, and neither is a cancellation before the cut-off."""
    set_rate("primary-school", 5000, 2500)
    early, late_person = make_people(2)
    booked_at = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
    after_cutoff = datetime(2026, 12, 4, 12, 0, tzinfo=timezone.utc)  # cut-off: end of Thursday 3 December
    bookings = {p.id: services.book(training_session, p, actor=p, now=booked_at) for p in (person, early, late_person)}
    services.cancel(bookings[early.id], actor=early, now=booked_at + timedelta(days=1))
    services.cancel(bookings[late_person.id], actor=late_person, now=after_cutoff)
    services.substitute(bookings[person.id], colleague, actor=lead, now=after_cutoff)

    report = charges.charge_report(date(2026, 12, 8), date(2026, 12, 8))

    assert [(e.booking.user_id, e.kind, e.amount_pence) for e in report.events] == [
        (late_person.id, "late-cancellation", 2500)
    ]


def test_report_refuses_a_backwards_period():
    with pytest.raises(DomainError) as raised:
        charges.charge_report(date(2026, 12, 31), date(2026, 12, 1))
    assert raised.value.field == "end"


def test_csv_has_a_row_per_event(charged, organisation):
    organisation.name = "=HYPERLINK(\"http://evil.example\")"
    db.session.flush()

    data = charges.report_csv(charges.charge_report(date(2026, 12, 1), date(2026, 12, 31)))

    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == charges.CSV_COLUMNS
    body = {(row[3], row[9]): row for row in rows[1:]}
    assert len(rows) == 4
    tom = body[("Tom Teacher", "Did not attend")]
    assert tom[0] == "'=HYPERLINK(\"http://evil.example\")"  # stays text in a spreadsheet
    assert tom[1:3] == ["Primary school", "Education"]
    assert tom[4] == "tom@oak.example"
    assert tom[5:7] == ["SAFE-F2F", "Working together to safeguard children"]
    assert tom[7:9] == ["2026-12-08", "09:30"]
    assert tom[10] == "" and tom[11] == "50.00"
    cara = body[("Cara Colleague", "Late cancellation")]
    assert cara[10] == "2026-11-23 10:00" and cara[11] == "25.00"
    assert body[("Nina Nursery", "Did not attend")][11] == "30.00"


# --- the rates page ------------------------------------------------------------------------


def test_rates_page_shows_every_type_by_sector(client, admin):
    set_rate("childminder", 2550, 0)
    db.session.commit()
    sign_in_as(client, admin)

    response = client.get("/admin/charges/")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.count('name="no_show_') == 35 and html.count('name="late_cancellation_') == 35
    for sector in ("Education", "Early years", "Voluntary, community and faith", "Health", "Police",
                   "Local authority", "Other statutory and private"):
        assert f'govuk-table__caption--m">{sector}</caption>' in html
    childminder = type_id("childminder")
    assert re.search(rf'id="no_show_{childminder}"[^>]*value="25.50"', html)
    assert "No-show charge for Childminder" in html  # each input has its own label


def test_saving_rates(client, admin):
    set_rate("childminder", 1500, 500)
    db.session.commit()
    sign_in_as(client, admin)
    primary, police = type_id("primary-school"), type_id("police")

    response = client.post("/admin/charges/", data={
        f"no_show_{primary}": "£50", f"late_cancellation_{primary}": "25.50",
        f"no_show_{police}": "", f"late_cancellation_{police}": "0", **from_day(TODAY),
    })

    assert response.status_code == 302
    row = only_rate(primary)
    assert (row.no_show_pence, row.late_cancellation_pence) == (5000, 2550)
    assert only_rate(police) is None
    childminder = only_rate(type_id("childminder"))  # not sent: unchanged
    assert (childminder.no_show_pence, childminder.late_cancellation_pence) == (1500, 500)
    assert "Charges saved for 1 organisation type" in client.get("/admin/charges/").get_data(as_text=True)
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "charges.update")).actor_id == admin.id


def test_a_change_for_one_type_keeps_the_later_rates_of_the_others(client, admin):
    """The boxes show today's charges. Saving a change for childminders from 1 April 2027
    must not set primary schools back to today's charges from then, though their boxes
    were sent unchanged."""
    set_rate("primary-school", 5000, 2500)
    set_rate("primary-school", 6000, 3000, applies_from=date(2027, 4, 1))
    db.session.commit()
    sign_in_as(client, admin)
    primary, childminder = type_id("primary-school"), type_id("childminder")
    page = client.get("/admin/charges/").get_data(as_text=True)
    assert re.search(rf'id="no_show_{primary}"[^>]*value="50.00"', page)
    assert "Not yet" in page.split('id="changes-table"')[1]  # the April change, listed

    response = client.post("/admin/charges/", data={
        f"no_show_{primary}": "50.00", f"late_cancellation_{primary}": "25.00",
        f"no_show_{childminder}": "20", f"late_cancellation_{childminder}": "10", **from_day(date(2027, 4, 1)),
    })

    assert response.status_code == 302
    assert [(r.applies_from, r.no_show_pence) for r in rates_of(primary)] == [
        (charges.EARLIEST_APPLIES_FROM, 5000), (date(2027, 4, 1), 6000),
    ]
    assert [(r.applies_from, r.no_show_pence) for r in rates_of(childminder)] == [(date(2027, 4, 1), 2000)]
    html = client.get("/admin/charges/").get_data(as_text=True)
    assert "for sessions from 1 April 2027" in html
    assert re.search(rf'id="no_show_{childminder}"[^>]*value="0.00"', html)  # not yet in force


@pytest.mark.parametrize("day, message", [
    ({}, "Enter the date the charges apply from"),
    ({"applies_from": ["31", "2", "2027"]}, "must be a real date"),
    ({"applies_from": ["1", "", "2027"]}, "must include a month"),
])
def test_the_apply_from_date_is_checked(client, admin, day, message):
    db.session.commit()
    sign_in_as(client, admin)

    response = client.post("/admin/charges/", data={f"no_show_{type_id('police')}": "10", **day})

    assert response.status_code == 400
    summary = error_summary(response.get_data(as_text=True))
    assert 'href="#applies_from' in summary and message in summary
    assert db.session.scalars(select(ChargeRate)).all() == []


def test_bad_amounts_are_listed_and_nothing_is_saved(client, admin):
    db.session.commit()
    sign_in_as(client, admin)
    primary, police, childminder = type_id("primary-school"), type_id("police"), type_id("childminder")

    response = client.post("/admin/charges/", data={
        f"no_show_{primary}": "lots", f"late_cancellation_{police}": "1000.01",
        f"no_show_{childminder}": "12.345", f"late_cancellation_{childminder}": "40", **from_day(TODAY),
    })

    assert response.status_code == 400
    summary = error_summary(response.get_data(as_text=True))
    assert f'href="#no_show_{primary}"' in summary
    assert "Enter the no-show charge for Primary school in pounds and pence" in summary
    assert f'href="#late_cancellation_{police}"' in summary
    assert "late cancellation charge for Police must be between £0 and £1,000.00" in summary
    assert f'href="#no_show_{childminder}"' in summary
    assert db.session.scalars(select(ChargeRate)).all() == []
    assert 'value="lots"' in response.get_data(as_text=True)


def test_rates_need_the_csrf_token(csrf_app, admin):
    db.session.commit()
    client = factories.signed_in_client(csrf_app, admin)
    primary = type_id("primary-school")

    assert client.post("/admin/charges/", data={f"no_show_{primary}": "10"}).status_code == 400
    assert db.session.scalars(select(ChargeRate)).all() == []

    page = client.get("/admin/charges/").get_data(as_text=True)
    response = client.post("/admin/charges/", data={f"no_show_{primary}": "10", "csrf_token": csrf_token_from(page),
                                                    **from_day(TODAY)})
    assert response.status_code == 302
    assert only_rate(primary).no_show_pence == 1000


# --- the report page -----------------------------------------------------------------------


def test_report_page(client, admin, charged):
    db.session.commit()
    sign_in_as(client, admin)

    response = client.get("/admin/charges/report?from=1&from=12&from=2026&to=31&to=12&to=2026")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Sessions from 1 December 2026 to 31 December 2026" in html
    table = html.split('id="report-table"')[1].split("</table>")[0]
    assert "Oak Primary School" in table and "Elm Day Nursery" in table
    assert "£75.00" in table and "£30.00" in table and "£105.00" in table
    assert "1 no-show or late cancellation was by people booked without an organisation" in html
    assert 'href="/admin/charges/report?format=csv&amp;from=2026-12-01&amp;to=2026-12-31"' in html


def test_report_page_defaults_to_this_quarter(client, admin):
    db.session.commit()
    sign_in_as(client, admin)

    html = client.get("/admin/charges/report").get_data(as_text=True)

    assert 'id="from-month"' in html
    assert re.search(r'Sessions from 1 (January|April|July|October) \d{4} to', html)
    assert "There were no no-shows or late cancellations to charge in this period" in html


def test_report_csv_download_is_audited(client, admin, charged):
    db.session.commit()
    sign_in_as(client, admin)

    response = client.get("/admin/charges/report?format=csv&from=2026-12-01&to=2026-12-31")

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert 'filename="charges-2026-12-01-to-2026-12-31.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert len(rows) == 4
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "charges.export"))
    assert event.actor_id == admin.id and event.after["events"] == 3


@pytest.mark.parametrize("query, field, message", [
    ("from=31&from=12&from=2026&to=1&to=12&to=2026", "to", "must be the same as or after"),
    ("from=31&from=2&from=2026&to=1&to=3&to=2026", "from", "must be a real date"),
    ("from=1&from=&from=2026&to=1&to=3&to=2026", "from", "must include a month"),
    ("from=&from=&from=&to=1&to=3&to=2026", "from", "Enter the date the period starts"),
    ("from=2026-13-01&to=2026-12-31", "from", "must be a real date"),
])
def test_report_page_date_errors(client, admin, query, field, message):
    db.session.commit()
    sign_in_as(client, admin)

    response = client.get(f"/admin/charges/report?{query}")

    assert response.status_code == 400
    summary = error_summary(response.get_data(as_text=True))
    assert f'href="#{field}"' in summary and message in summary
    assert client.get(f"/admin/charges/report?format=csv&{query}").status_code == 400


# --- who may see the charges pages ---------------------------------------------------------


@pytest.mark.parametrize("url", ["/admin/charges/", "/admin/charges/report", "/admin/charges/report?format=csv"])
def test_only_admins_see_charges(client, person, lead, trainer, url):
    db.session.commit()
    for who in (person, lead, trainer):
        client.post("/sign-out")
        sign_in_as(client, who)
        assert client.get(url).status_code == 403, who.email
    client.post("/sign-out")
    assert client.post("/admin/charges/", data={f"no_show_{type_id('police')}": "10"}).status_code in (302, 403)
    assert db.session.scalars(select(ChargeRate)).all() == []


def test_signed_out_people_are_sent_to_sign_in(client):
    response = client.get("/admin/charges/report")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
