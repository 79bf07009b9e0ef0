"""The admin pages for reference data (organisations.reference)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from lms.extensions import db
from lms.organisations import services
from lms.organisations.models import Area, JobRole, Sector
from tests import factories
from tests.organisations.conftest import events, sector_id, type_id


@pytest.mark.parametrize("kind", ["sectors", "organisation-types", "areas", "job-roles"])
def test_reference_pages(admin_client, world, kind):
    assert admin_client.get(f"/admin/reference/{kind}").status_code == 200
    assert admin_client.get(f"/admin/reference/{kind}/new").status_code == 200


def test_unknown_reference_kind_is_not_found(admin_client, world):
    assert admin_client.get("/admin/reference/colours").status_code == 404
    assert admin_client.get("/admin/reference/areas/999999/edit").status_code == 404


def test_add_reference_items(admin_client, world):
    response = admin_client.post("/admin/reference/areas/new", data={"code": "north", "name": "North"}, follow_redirects=True)
    assert "North has been added" in response.get_data(as_text=True)
    assert db.session.scalar(select(Area.name).where(Area.code == "north")) == "North"
    html = admin_client.post("/admin/reference/areas/new", data={"code": "North Side", "name": "North side"}).get_data(as_text=True)
    assert 'href="#code"' in html and "lower-case" in html
    html = admin_client.post("/admin/reference/organisation-types/new", data={"code": "cadets", "name": "Cadets", "sector": ""}).get_data(as_text=True)
    assert 'href="#sector"' in html
    admin_client.post("/admin/reference/organisation-types/new",
                      data={"code": "cadets", "name": "Cadets", "sector": str(sector_id("vcs"))})
    admin_client.post("/admin/reference/sectors/new", data={"code": "armed-forces", "name": "Armed forces"})
    assert db.session.scalar(select(Sector.name).where(Sector.code == "armed-forces")) == "Armed forces"
    assert [e.action for e in events()] == ["area.create", "organisation-type.create", "sector.create"]


def test_edit_reference_items(admin_client, world):
    role = factories.job_role("governor")
    form = admin_client.get(f"/admin/reference/job-roles/{role.id}/edit").get_data(as_text=True)
    assert "<code>governor</code>" in form and 'name="code"' not in form and 'value="7"' in form
    response = admin_client.post(f"/admin/reference/job-roles/{role.id}/edit",
                                 data={"name": "Governor or board member", "position": "1", "code": "hacked"},
                                 follow_redirects=True)
    assert "Governor or board member has been updated" in response.get_data(as_text=True)
    db.session.expire_all()
    role = db.session.get(JobRole, role.id)
    assert (role.code, role.name) == ("governor", "Governor or board member")
    assert services.list_reference(JobRole)[0].id == role.id
    html = admin_client.post(f"/admin/reference/job-roles/{role.id}/edit", data={"name": "X", "position": "first"}).get_data(as_text=True)
    assert 'href="#position"' in html
    html = admin_client.post(f"/admin/reference/job-roles/{role.id}/edit", data={"name": "Teacher", "position": "1"}).get_data(as_text=True)
    assert 'href="#name"' in html and "There is already a job role called Teacher" in html

    primary = type_id("primary-school")
    admin_client.post(f"/admin/reference/organisation-types/{primary}/edit",
                      data={"name": "Primary school", "position": "1", "sector": str(sector_id("early-years"))})
    assert events("organisation-type.update")[0].after == {"sector_id": sector_id("early-years")}


def test_deactivate_job_role(admin_client, world):
    role = factories.job_role("governor")
    html = admin_client.post(f"/admin/reference/job-roles/{role.id}/deactivate", follow_redirects=True).get_data(as_text=True)
    assert "Governor or trustee has been deactivated" in html
    db.session.expire_all()
    assert db.session.get(JobRole, role.id).active is False
    admin_client.post(f"/admin/reference/job-roles/{role.id}/reactivate")
    db.session.expire_all()
    assert db.session.get(JobRole, role.id).active is True


# --- CSRF -----------------------------------------------------------------------------

