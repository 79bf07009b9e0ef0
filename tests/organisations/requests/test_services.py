"""organisations.requests.services ("my organisation is not listed") with a fixed `now`."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select

from lms.organisations.models import Employment, SettingLead
from lms.core.errors import DomainError
from lms.extensions import db
from lms.organisations.requests import services as requests
from lms.organisations.models import Organisation, OrganisationRequest
from tests import factories
from tests.organisations.conftest import events, outbox, sector_id, type_id


def _error(excinfo) -> tuple[str | None, str]:
    return excinfo.value.field, excinfo.value.message


def test_request_organisation_records_a_pending_request(now):
    north = factories.area("North")
    person = factories.user(roles=("teacher",))
    request = requests.request_organisation(
        person, now=now, name=" Oakwood  Academy ", type_id=str(type_id("secondary-school")), area_id=str(north.id),
        address="Oak Lane", postcode="m1 1aa", urn="140000",
    )
    assert request.status == requests.PENDING
    assert (request.name, request.type.code, request.area_id) == ("Oakwood Academy", "secondary-school", north.id)
    assert (request.postcode, request.urn, request.address) == ("M1 1AA", "140000", "Oak Lane")
    assert request.requested_by_id == person.id
    assert request.created_at == now


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"name": ""}, "new_organisation_name"),
        ({"name": "y" * 201}, "new_organisation_name"),
        ({"type_id": None}, "new_organisation_type"),
        ({"type_id": 424242}, "new_organisation_type"),
        ({"area_id": 424242}, "new_organisation_area"),
        ({"postcode": "12345"}, "new_organisation_postcode"),
        ({"urn": "no spaces-or-hyphens!"}, "new_organisation_urn"),
        ({"address": "z" * 501}, "new_organisation_address"),
    ],
)
def test_request_organisation_errors_name_the_registration_fields(now, changes, field):
    person = factories.user()
    values = {"name": "Oakwood Academy", "type_id": type_id("secondary-school")} | changes
    with pytest.raises(DomainError) as excinfo:
        requests.request_organisation(person, now=now, **values)
    assert excinfo.value.field == field
    assert db.session.scalar(select(OrganisationRequest.id)) is None


def test_request_for_an_organisation_already_listed_says_so(now):
    north, south = factories.area("North"), factories.area("South")
    factories.organisation("St Mary's C of E Primary School", area=north)
    person = factories.user()
    with pytest.raises(DomainError) as excinfo:
        requests.request_organisation(
            person, now=now, name="saint marys c of e primary school", type_id=type_id("primary-school")
        )
    field, message = _error(excinfo)
    assert field == "new_organisation_name"
    assert message.startswith("St Mary's C of E Primary School (Primary school, North) is already listed")

    # Same name in another area, or another type of organisation: a different organisation
    other_area = requests.request_organisation(
        person, now=now, name="St Mary's C of E Primary School", type_id=type_id("primary-school"), area_id=south.id
    )
    other_type = requests.request_organisation(
        person, now=now, name="St Mary's C of E Primary School", type_id=type_id("school-nursery")
    )
    assert other_area.id and other_type.id


def test_request_with_a_known_urn_says_so(now):
    factories.organisation("Little Acorns", type_code="day-nursery", urn="EY123456")
    with pytest.raises(DomainError) as excinfo:
        requests.request_organisation(
            factories.user(), now=now, name="Little Acorns Day Nursery", type_id=type_id("day-nursery"), urn="ey 123456"
        )
    assert excinfo.value.field == "new_organisation_urn"
    assert "Little Acorns" in excinfo.value.message


def test_a_deactivated_organisation_does_not_block_a_request(now):
    factories.organisation("Closed School", active=False)
    request = requests.request_organisation(factories.user(), now=now, name="Closed School", type_id=type_id("primary-school"))
    assert request.status == requests.PENDING


def test_possible_duplicates(now):
    a = factories.organisation("Hillside Primary School")
    b = factories.organisation("The Hillside Nursery", type_code="day-nursery")
    factories.organisation("Riverside Primary School")
    person = factories.user()
    request = requests.request_organisation(person, now=now, name="Hillside", type_id=type_id("childminder"), urn="999999")
    c = factories.organisation("Oakwood", urn="999999")  # added since
    found = {s.organisation.id: s.reason for s in requests.possible_duplicates(request)}
    assert found == {a.id: "similar name", b.id: "similar name", c.id: "same URN"}
    assert requests.possible_duplicates(request)[0].organisation.id == c.id


def test_register_with_an_unlisted_organisation_creates_a_request(app, now):
    from lms.accounts import services as accounts

    person_count = len(outbox())
    with app.test_request_context():
        user = accounts.register(
            accounts.Registration(
                full_name="Nina New",
                email="nina@example.org",
                password="violet kettle marathon quartz",
                roles=[accounts.RoleChoice(job_role_id=factories.job_role("vcs-staff").id, started_on=date(2024, 1, 1))],
                new_organisation={"name": "Northside Boxing Club", "type_id": type_id("sports-youth"), "postcode": "N1 1AA"},
            ),
            now=now,
        )
    request = db.session.scalar(select(OrganisationRequest))
    assert request.requested_by_id == user.id and request.name == "Northside Boxing Club"
    assert user.organisation_id is None
    assert len(outbox()) == person_count + 1  # the confirmation email

    with app.test_request_context(), pytest.raises(DomainError) as excinfo:
        accounts.register(
            accounts.Registration(
                full_name="Ned New",
                email="ned@example.org",
                password="violet kettle marathon quartz",
                roles=[accounts.RoleChoice(job_role_id=factories.job_role("vcs-staff").id, started_on=date(2024, 1, 1))],
                new_organisation={"name": "", "type_id": type_id("sports-youth")},
            ),
            now=now,
        )
    assert excinfo.value.field == "new_organisation_name"


# --- deciding requests ----------------------------------------------------------------

@pytest.fixture()
def pending(now):
    person = factories.user("rita@example.org", full_name="Rita Requester")
    request = requests.request_organisation(
        person, now=now, name="Oakwood Academy", type_id=type_id("secondary-school"), postcode="M1 1AA"
    )
    db.session.commit()
    return request


def test_approve_request_creates_the_organisation_and_places_the_person(admin, pending):
    # 23:30 UTC on 30 June is 00:30 on 1 July in London (BST)
    late = datetime(2026, 6, 30, 23, 30, tzinfo=timezone.utc)
    north = factories.area("North")
    org = requests.approve_request(
        admin, pending, now=late, organisation_fields={"area_id": north.id, "sector_id": sector_id("vcs")}
    )
    person = pending.requested_by
    assert (org.name, org.type.code, org.sector.code, org.area_id, org.postcode) == (
        "Oakwood Academy", "secondary-school", "vcs", north.id, "M1 1AA",
    )
    assert pending.status == requests.APPROVED
    assert (pending.decided_by_id, pending.decided_at, pending.organisation_id) == (admin.id, late, org.id)
    assert person.organisation_id == org.id
    [employment] = person.employments
    assert (employment.organisation_id, employment.started_on, employment.ended_on) == (org.id, date(2026, 7, 1), None)
    assert [e.action for e in events()] == ["organisation.create", "organisation-request.approve"]
    approve = events("organisation-request.approve")[0]
    assert approve.target_type == "organisation_request" and approve.target_id == str(pending.id)
    assert approve.before["status"] == "pending" and approve.after["status"] == "approved"
    assert approve.after["organisation_id"] == org.id
    [email] = outbox("rita@example.org")
    assert email.user_id == person.id
    assert email.subject == "Oakwood Academy has been added"
    assert "Dear Rita Requester" in email.body_text
    assert "recorded you as working there from 1 July 2026" in email.body_text


def test_approve_request_with_corrections_and_errors(admin, now, pending):
    with pytest.raises(DomainError) as excinfo:
        requests.approve_request(admin, pending, now=now, organisation_fields={"name": ""})
    assert excinfo.value.field == "name"
    db.session.rollback()
    org = requests.approve_request(admin, pending, now=now, organisation_fields={"name": "Oakwood Academy Trust School"})
    assert org.name == "Oakwood Academy Trust School"
    with pytest.raises(DomainError) as excinfo:
        requests.approve_request(admin, pending, now=now)
    assert excinfo.value.message == "This request has already been approved"
    with pytest.raises(TypeError):
        requests.approve_request(admin, pending, now=now, organisation_fields={"colour": "red"})


def test_a_request_is_decided_once_even_if_the_object_is_stale(admin, now, pending):
    # Another admin decided it first (the row changed behind this session's back).
    db.session.execute(
        OrganisationRequest.__table__.update().values(status=requests.REJECTED, decision_reason="Duplicate")
    )
    with pytest.raises(DomainError) as excinfo:
        requests.reject_request(admin, pending, "Also a duplicate", now=now)
    assert excinfo.value.message == "This request has already been rejected"
    assert events() == [] and outbox("rita@example.org") == []


def test_link_request_places_the_person_at_an_existing_organisation(admin, now, pending):
    existing = factories.organisation("Oakwood Academy (Upper School)", type_code="secondary-school")
    previous = factories.organisation("Old Place")
    person = pending.requested_by
    person.organisation_id = previous.id
    person.employments.append(Employment(organisation_id=previous.id, started_on=date(2020, 1, 1)))
    db.session.add(SettingLead(user_id=person.id, organisation_id=previous.id, created_at=now))
    db.session.flush()

    requests.link_request(admin, pending, existing, now=now)
    assert pending.status == requests.LINKED and pending.organisation_id == existing.id
    assert person.organisation_id == existing.id
    history = sorted((e.organisation_id, e.started_on, e.ended_on) for e in person.employments)
    assert history == sorted([(previous.id, date(2020, 1, 1), date(2026, 11, 23)), (existing.id, date(2026, 11, 23), None)])
    assert person.led_organisations == []  # leading the old place does not move with them
    [event] = events("organisation-request.link")
    assert event.after["organisation_id"] == existing.id and event.before["requester_organisation_id"] == previous.id
    [email] = outbox("rita@example.org")
    assert "It is already listed as Oakwood Academy (Upper School)" in email.body_text
    assert db.session.scalar(select(Organisation.id).where(Organisation.name == "Oakwood Academy")) is None


def test_link_request_needs_an_active_organisation(admin, now, pending):
    closed = factories.organisation("Closed", active=False)
    for target in (None, closed):
        with pytest.raises(DomainError) as excinfo:
            requests.link_request(admin, pending, target, now=now)
        assert excinfo.value.field == "organisation"
    assert pending.status == requests.PENDING


def test_reject_request_emails_the_reason(admin, now, pending):
    with pytest.raises(DomainError) as excinfo:
        requests.reject_request(admin, pending, "   ", now=now)
    assert excinfo.value.field == "reason"
    requests.reject_request(admin, pending, "We only list organisations in the borough.", now=now)
    assert pending.status == requests.REJECTED
    assert pending.decision_reason == "We only list organisations in the borough."
    assert pending.requested_by.organisation_id is None
    [event] = events("organisation-request.reject")
    assert event.after == {"status": "rejected", "reason": "We only list organisations in the borough."}
    [email] = outbox("rita@example.org")
    assert "We only list organisations in the borough." in email.body_text
    assert email.category == "account"


def test_list_requests(now, pending):
    second = requests.request_organisation(factories.user(), now=now, name="Second", type_id=type_id("police"))
    assert list(db.session.scalars(requests.list_requests())) == [pending, second]
    assert requests.count_pending_requests() == 2
    assert list(db.session.scalars(requests.list_requests(status=requests.REJECTED))) == []


# --- reference data -------------------------------------------------------------------

