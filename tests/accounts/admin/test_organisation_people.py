"""accounts.admin.services: an organisation's people, and finding a person to make a setting lead."""
from __future__ import annotations

import pytest

from lms.core.errors import DomainError
from lms.accounts.admin import services as people
from tests import factories
from tests.organisations.conftest import admin, school  # noqa: F401  (fixtures)


def test_people_counts_count_current_open_accounts(school):
    other = factories.organisation("Other")
    factories.user(organisation=school)
    factories.user(organisation=school)
    closed = factories.user(organisation=school)
    closed.active = False
    factories.user(organisation=other)
    assert people.people_counts([school.id, other.id]) == {school.id: 2, other.id: 1}


# --- "my organisation is not listed" --------------------------------------------------

def test_find_person_by_email(admin):
    assert people.find_person_by_email("  ADMIN@example.org ") == admin
    with pytest.raises(DomainError) as excinfo:
        people.find_person_by_email("nobody@example.org")
    assert excinfo.value.field == "email"
    with pytest.raises(DomainError):
        people.find_person_by_email("not an email")


