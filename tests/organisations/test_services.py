"""organisations.services with a fixed `now`."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from lms.organisations.models import SettingLead
from lms.core.errors import DomainError, Forbidden, NotFound
from lms.extensions import db
from lms.organisations import services
from lms.core.pagination import paginate
from lms.accounts.admin import services as people
from lms.organisations.models import Organisation
from tests import factories
from tests.organisations.conftest import events, sector_id, type_id


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


def test_name_key():
    assert services.name_key("The St. Mary’s & St John's  School") == services.name_key("saint marys and st johns school")
    assert services.name_key("Hillside") != services.name_key("Hillside Nursery")


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


def test_setting_lead_rows_are_removed_with_the_link_only(admin, now, school):
    lead = factories.user(organisation=school)
    services.add_setting_lead(admin, lead, school, now=now)
    services.remove_setting_lead(admin, lead, school, now=now)
    assert db.session.scalar(select(SettingLead.user_id)) is None
    assert db.session.get(type(lead), lead.id) is not None
