"""accounts.staff.services (a setting lead's staff) with a fixed `now`."""
from __future__ import annotations

import pytest

from lms.core.errors import NotFound
from lms.extensions import db
from lms.accounts.staff import services as staff
from tests import factories
from tests.organisations.conftest import admin, school  # noqa: F401  (fixtures)


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


