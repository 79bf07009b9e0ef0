"""organisations.services with a fixed `now`."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select

from lms.organisations.models import Employment, SettingLead
from lms.core.errors import DomainError, Forbidden, NotFound
from lms.extensions import db
from lms.organisations import services
from lms.core.pagination import paginate
from lms.accounts.admin import services as people
from lms.accounts.staff import services as staff
from lms.organisations.reference import services as reference
from lms.organisations.requests import services as requests
from lms.organisations.models import Area, JobRole, Organisation, OrganisationRequest, OrganisationType, Sector
from tests import factories
from tests.organisations.conftest import events, outbox, sector_id, type_id


def _error(excinfo) -> tuple[str | None, str]:
    return excinfo.value.field, excinfo.value.message


# --- creating and changing organisations ----------------------------------------------

def test_create_organisation_takes_the_sector_of_its_type(admin, now):
    north = factories.area("North")
    org = services.create_organisation(
        admin, now=now, name="  Hillside   Primary School ", type_id=type_id("primary-school"), area_id=north.id,
        urn=" 123 456 ", address="1 Hill Road\r\n\r\nTownsville", postcode="sw1a1aa",
    )
    assert org.name == "Hillside Primary School"
    assert org.sector.code == "education"
    assert org.area_id == north.id
    assert org.urn == "123456"
    assert org.address == "1 Hill Road\nTownsville"
    assert org.postcode == "SW1A 1AA"
    assert org.active is True
    assert org.created_at == now
    [event] = events("organisation.create")
    assert event.actor_id == admin.id
    assert event.target_type == "organisation" and event.target_id == str(org.id)
    assert event.after["name"] == "Hillside Primary School"
    assert event.after["sector_id"] == sector_id("education")


def test_create_organisation_sector_can_be_overridden(admin, now):
    org = services.create_organisation(
        admin, now=now, name="Rainbow Children's Centre", type_id=type_id("childrens-centre"), sector_id=sector_id("vcs")
    )
    assert org.type.code == "childrens-centre"
    assert org.sector.code == "vcs"


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"name": "   "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"type_id": None}, "type"),
        ({"type_id": 999999}, "type"),
        ({"type_id": "not-a-number"}, "type"),
        ({"sector_id": 999999}, "sector"),
        ({"area_id": 999999}, "area"),
        ({"postcode": "NOT A POSTCODE"}, "postcode"),
        ({"urn": "12-34"}, "urn"),
        ({"urn": "1" * 21}, "urn"),
        ({"address": "x" * 501}, "address"),
    ],
)
def test_create_organisation_rejects_bad_details(admin, now, changes, field):
    values = {"name": "Good Name", "type_id": type_id("police")} | changes
    with pytest.raises(DomainError) as excinfo:
        services.create_organisation(admin, now=now, **values)
    assert excinfo.value.field == field
    assert db.session.scalar(select(Organisation.id)) is None
    assert events() == []


def test_urn_is_unique(admin, now):
    factories.organisation("First School", urn="100001")
    with pytest.raises(DomainError) as excinfo:
        services.create_organisation(admin, now=now, name="Second School", type_id=type_id("primary-school"), urn="100001")
    assert _error(excinfo) == ("urn", "First School already has the URN or Ofsted number 100001")


def test_only_admins_change_organisations(now, school):
    lead = factories.user(organisation=school, leads=(school,))
    with pytest.raises(Forbidden):
        services.create_organisation(lead, now=now, name="X", type_id=type_id("police"))
    with pytest.raises(Forbidden):
        services.update_organisation(lead, school, now=now, name="X", type_id=type_id("police"))
    with pytest.raises(Forbidden):
        services.deactivate_organisation(lead, school, now=now)
    with pytest.raises(Forbidden):
        services.add_setting_lead(lead, lead, school, now=now)


def test_update_organisation_audits_only_what_changed(admin, now):
    org = services.create_organisation(
        admin, now=now, name="Rainbow Centre", type_id=type_id("childrens-centre"), sector_id=sector_id("vcs")
    )
    changed = services.update_organisation(
        admin, org, now=now, name="Rainbow Family Centre", type_id=type_id("childrens-centre"), sector_id=None,
        postcode="ab12cd",
    )
    assert changed is True
    assert org.name == "Rainbow Family Centre"
    assert org.sector.code == "early-years"  # blank sector: the type's again
    assert org.postcode == "AB1 2CD"
    [event] = events("organisation.update")
    assert event.before == {"name": "Rainbow Centre", "sector_id": sector_id("vcs"), "postcode": None}
    assert event.after == {"name": "Rainbow Family Centre", "sector_id": sector_id("early-years"), "postcode": "AB1 2CD"}

    unchanged = services.update_organisation(
        admin, org, now=now, name="Rainbow Family Centre", type_id=type_id("childrens-centre"), postcode="AB1 2CD"
    )
    assert unchanged is False
    assert len(events("organisation.update")) == 1


def test_update_organisation_keeps_its_own_urn(admin, now, school):
    school.urn = "123456"
    factories.organisation("Other School", urn="654321")
    services.update_organisation(admin, school, now=now, name=school.name, type_id=school.type_id, urn="123456")
    with pytest.raises(DomainError) as excinfo:
        services.update_organisation(admin, school, now=now, name=school.name, type_id=school.type_id, urn="654321")
    assert excinfo.value.field == "urn"


def test_deactivate_and_reactivate(admin, now, school):
    services.deactivate_organisation(admin, school, now=now)
    assert school.active is False
    with pytest.raises(DomainError):
        services.deactivate_organisation(admin, school, now=now)
    services.reactivate_organisation(admin, school, now=now)
    assert school.active is True
    assert [(e.action, e.before, e.after) for e in events()] == [
        ("organisation.deactivate", {"active": True}, {"active": False}),
        ("organisation.reactivate", {"active": False}, {"active": True}),
    ]


# --- listing --------------------------------------------------------------------------

def test_list_organisations_filters(now):
    north, south = factories.area("North"), factories.area("South")
    a = factories.organisation("Hillside Primary", area=north, urn="111111", postcode="AB1 2CD")
    b = factories.organisation("Hillview Nursery", type_code="day-nursery", area=south)
    c = factories.organisation("Riverside 100% Club", type_code="out-of-school-club", area=north)
    d = factories.organisation("Hill Police Station", type_code="police", active=False)

    def names(**filters):
        return [org.name for org in db.session.scalars(services.list_organisations(**filters))]

    assert names() == ["Hillside Primary", "Hillview Nursery", "Riverside 100% Club"]
    assert names(search="HILL") == ["Hillside Primary", "Hillview Nursery"]
    assert names(search="hill", active=None) == ["Hill Police Station", "Hillside Primary", "Hillview Nursery"]
    assert names(active=False) == [d.name]
    assert names(search="100%") == [c.name]
    assert names(search="0%") == [c.name]
    assert names(search="_") == []  # not a wildcard
    assert names(search="111111") == [a.name]
    assert names(search="ab12cd") == [a.name]
    assert names(type_id=type_id("day-nursery")) == [b.name]
    assert names(sector_id=sector_id("early-years")) == [b.name, c.name]
    assert names(area_id=north.id) == [a.name, c.name]
    assert people.people_counts([a.id, b.id]) == {a.id: 0, b.id: 0}


def test_paginate():
    for n in range(7):
        factories.organisation(f"Org {n}")
    query = services.list_organisations()
    first = paginate(query, page=1, per_page=3)
    assert [o.name for o in first.items] == ["Org 0", "Org 1", "Org 2"]
    assert (first.total, first.pages, first.has_previous, first.has_next) == (7, 3, False, True)
    last = paginate(query, page=99, per_page=3)
    assert last.page == 3 and [o.name for o in last.items] == ["Org 6"]
    assert (last.first_index, last.last_index) == (7, 7)
    empty = paginate(services.list_organisations(search="nothing"), page=1, per_page=3)
    assert (empty.total, empty.pages, empty.items, empty.first_index) == (0, 1, [], 0)


def test_people_counts_count_current_open_accounts(school):
    other = factories.organisation("Other")
    factories.user(organisation=school)
    factories.user(organisation=school)
    closed = factories.user(organisation=school)
    closed.active = False
    factories.user(organisation=other)
    assert people.people_counts([school.id, other.id]) == {school.id: 2, other.id: 1}


# --- "my organisation is not listed" --------------------------------------------------

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


def test_name_key():
    assert services.name_key("The St. Mary’s & St John's  School") == services.name_key("saint marys and st johns school")
    assert services.name_key("Hillside") != services.name_key("Hillside Nursery")


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

@pytest.mark.parametrize(
    "code, message",
    [
        ("", "Enter a code"),
        ("Has Capitals", "Code must use only lower-case letters"),
        ("double--hyphen", "Code must use only lower-case letters"),
        ("-leading", "Code must use only lower-case letters"),
        ("trailing-", "Code must use only lower-case letters"),
        ("under_score", "Code must use only lower-case letters"),
        ("a" * 41, "Code must be 40 characters or fewer"),
        ("education", "There is already a sector with the code education"),
    ],
)
def test_reference_codes_are_validated(admin, now, code, message):
    with pytest.raises(DomainError) as excinfo:
        reference.create_sector(admin, code=code, name="A new sector", now=now)
    assert excinfo.value.field == "code"
    assert excinfo.value.message.startswith(message)


def test_create_reference_data(admin, now):
    sector = reference.create_sector(admin, code="armed-forces", name="Armed forces", now=now)
    assert sector.position == max(s.position for s in services.list_reference(Sector))
    org_type = reference.create_organisation_type(admin, code="cadets", name="Cadet force", sector_id=sector.id, now=now)
    assert org_type.sector_id == sector.id
    area = reference.create_area(admin, code="east", name="East", now=now)
    role = reference.create_job_role(admin, code="youth-worker", name="Youth worker", now=now)
    assert role.active is True
    assert services.list_reference(JobRole)[-1] == role
    assert [e.action for e in events()] == ["sector.create", "organisation-type.create", "area.create", "job-role.create"]
    assert events("area.create")[0].after == {"code": "east", "name": "East", "position": area.position}
    with pytest.raises(DomainError) as excinfo:
        reference.create_organisation_type(admin, code="other-cadets", name="Other", sector_id=None, now=now)
    assert excinfo.value.field == "sector"
    with pytest.raises(DomainError) as excinfo:
        reference.create_job_role(admin, code="teacher-2", name="teacher", now=now)
    assert excinfo.value.field == "name"


def test_rename_and_reorder_keep_the_code(admin, now):
    roles = services.list_reference(JobRole)
    governor = next(r for r in roles if r.code == "governor")
    assert reference.reference_position(governor) == 7
    reference.rename_reference(admin, governor, "Governor, trustee or board member", now=now)
    reference.reorder_reference(admin, governor, 1, now=now)
    ordered = services.list_reference(JobRole)
    assert ordered[0].code == "governor" and ordered[0].name == "Governor, trustee or board member"
    assert [r.position for r in ordered] == list(range(len(ordered)))
    assert [r.code for r in ordered[1:7]] == ["school-staff", "teacher", "teaching-assistant", "school-dsl", "deputy-dsl", "head-teacher"]
    reference.reorder_reference(admin, governor, 500, now=now)
    assert services.list_reference(JobRole)[-1].code == "governor"
    assert [(e.action, e.before, e.after) for e in events()] == [
        ("job-role.update", {"name": "Governor or trustee"}, {"name": "Governor, trustee or board member"}),
        ("job-role.update", {"position": 7}, {"position": 1}),
        ("job-role.update", {"position": 1}, {"position": len(ordered)}),
    ]
    with pytest.raises(DomainError) as excinfo:
        reference.reorder_reference(admin, governor, 0, now=now)
    assert excinfo.value.field == "position"
    assert reference.reorder_reference(admin, governor, len(ordered), now=now) is False


def test_changing_a_types_sector_leaves_organisations_alone(admin, now, school):
    primary = db.session.get(OrganisationType, type_id("primary-school"))
    reference.update_reference(admin, primary, name=primary.name, sector_id=sector_id("other-statutory"), now=now)
    assert primary.sector.code == "other-statutory"
    assert school.sector.code == "education"
    [event] = events("organisation-type.update")
    assert event.before == {"sector_id": sector_id("education")}


def test_areas_can_be_renamed_and_reordered(admin, now):
    a = reference.create_area(admin, code="north", name="North", now=now)
    b = reference.create_area(admin, code="south", name="South", now=now)
    reference.update_reference(admin, b, name="South and Central", position=1, now=now)
    assert [x.code for x in services.list_reference(Area)] == ["south", "north"]
    assert b.code == "south" and b.name == "South and Central"
    assert a.position == 1


def test_deactivate_and_reactivate_job_role(admin, now):
    role = factories.job_role("governor")
    reference.deactivate_job_role(admin, role, now=now)
    assert role.active is False
    with pytest.raises(DomainError):
        reference.deactivate_job_role(admin, role, now=now)
    reference.reactivate_job_role(admin, role, now=now)
    assert role.active is True
    assert [e.action for e in events()] == ["job-role.deactivate", "job-role.reactivate"]


def test_reference_usage(school):
    factories.user(organisation=school, roles=("teacher", "school-dsl"))
    factories.user(organisation=school, roles=("teacher",))
    assert reference.reference_usage(JobRole)[factories.job_role("teacher").id] == 2
    assert reference.reference_usage(OrganisationType) == {school.type_id: 1}
    assert reference.reference_usage(Sector) == {school.sector_id: 1}
    assert reference.reference_usage(Area) == {}


def test_reference_data_needs_an_admin(now, school):
    practitioner = factories.user(organisation=school)
    with pytest.raises(Forbidden):
        reference.create_area(practitioner, code="x", name="X", now=now)
    with pytest.raises(Forbidden):
        reference.deactivate_job_role(practitioner, factories.job_role("teacher"), now=now)


# --- setting leads and staff ----------------------------------------------------------

def test_add_and_remove_setting_lead(admin, now, school):
    dsl = factories.user("dsl@example.org", full_name="Dee Dsl", organisation=school, roles=("school-dsl",))
    assert dsl.is_setting_lead is False
    services.add_setting_lead(admin, dsl, school, now=now)
    assert services.is_setting_lead(dsl, school)
    assert dsl.is_setting_lead is True
    with pytest.raises(DomainError) as excinfo:
        services.add_setting_lead(admin, dsl, school, now=now)
    assert excinfo.value.field == "email"
    assert [lead.user for lead in people.list_setting_leads(school)] == [dsl]
    services.remove_setting_lead(admin, dsl, school, now=now)
    assert not services.is_setting_lead(dsl, school)
    assert dsl.is_setting_lead is False
    with pytest.raises(NotFound):
        services.remove_setting_lead(admin, dsl, school, now=now)
    add, remove = events()
    assert (add.action, add.target_id, add.after["user_id"], add.after["works_here"]) == (
        "setting-lead.add", str(school.id), dsl.id, True,
    )
    assert (remove.action, remove.before["email"]) == ("setting-lead.remove", "dsl@example.org")


def test_setting_lead_may_work_elsewhere_but_not_lead_a_closed_organisation(admin, now, school):
    trust = factories.organisation("Oak Trust", type_code="mat-central")
    central = factories.user(organisation=trust)
    services.add_setting_lead(admin, central, school, now=now)
    assert events("setting-lead.add")[0].after["works_here"] is False
    school.active = False
    with pytest.raises(DomainError):
        services.add_setting_lead(admin, factories.user(), school, now=now)
    closed_account = factories.user()
    closed_account.active = False
    with pytest.raises(DomainError):
        services.add_setting_lead(admin, closed_account, trust, now=now)


def test_find_person_by_email(admin):
    assert people.find_person_by_email("  ADMIN@example.org ") == admin
    with pytest.raises(DomainError) as excinfo:
        people.find_person_by_email("nobody@example.org")
    assert excinfo.value.field == "email"
    with pytest.raises(DomainError):
        people.find_person_by_email("not an email")


def test_staff_of_shows_only_the_leads_organisations(admin, school, count_queries):
    other = factories.organisation("Other School")
    third = factories.organisation("Third School")
    lead = factories.user(full_name="Lena Lead", organisation=school, leads=(school, third), roles=("school-dsl",))
    amy = factories.user(full_name="amy Able", organisation=school, roles=("teacher", "governor"))
    ben = factories.user(full_name="Ben Best", organisation=third)
    factories.user(full_name="Zed Elsewhere", organisation=other)
    factories.user(full_name="No Org")
    gone = factories.user(full_name="Gone Away", organisation=school)
    gone.active = False
    db.session.commit()

    def names(actor, ids=None, **kwargs):
        return [p.full_name for p in db.session.scalars(staff.staff_of(actor, ids, **kwargs)).unique()]

    assert names(lead) == ["amy Able", "Ben Best", "Lena Lead"]
    assert names(lead, [school.id]) == ["amy Able", "Lena Lead"]
    assert names(lead, [other.id]) == []  # not theirs: nothing
    assert names(lead, search="BEST") == ["Ben Best"]
    assert names(lead, search="zzz") == []
    assert names(admin) == ["amy Able", "Ben Best", "Lena Lead", "Zed Elsewhere"]
    assert names(admin, [other.id]) == ["Zed Elsewhere"]

    db.session.expire_all()
    with count_queries() as statements:
        people = db.session.scalars(staff.staff_of(lead)).unique().all()
        roles = {p.full_name: [r.job_role.code for r in p.current_roles] for p in people}
        organisations = {p.full_name: p.organisation.name for p in people}
    assert roles["amy Able"] == ["teacher", "governor"]
    assert organisations["Ben Best"] == "Third School"
    assert len(statements) <= 4  # the (expired) actor, led organisations, people, roles


def test_get_staff_member(admin, school):
    other = factories.organisation("Other School")
    lead = factories.user(organisation=school, leads=(school,))
    mine = factories.user(organisation=school)
    theirs = factories.user(organisation=other)
    assert staff.get_staff_member(lead, mine.id) == mine
    assert staff.get_staff_member(admin, theirs.id) == theirs
    for user_id in (theirs.id, 999999):
        with pytest.raises(NotFound):
            staff.get_staff_member(lead, user_id)


def test_setting_lead_rows_are_removed_with_the_link_only(admin, now, school):
    lead = factories.user(organisation=school)
    services.add_setting_lead(admin, lead, school, now=now)
    services.remove_setting_lead(admin, lead, school, now=now)
    assert db.session.scalar(select(SettingLead.user_id)) is None
    assert db.session.get(type(lead), lead.id) is not None
