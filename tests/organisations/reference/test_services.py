"""organisations.reference.services (reference data) with a fixed `now`."""
from __future__ import annotations

import pytest

from lms.core.errors import DomainError, Forbidden
from lms.extensions import db
from lms.organisations import services
from lms.organisations.reference import services as reference
from lms.organisations.models import Area, JobRole, OrganisationType, Sector
from tests import factories
from tests.organisations.conftest import events, sector_id, type_id


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

