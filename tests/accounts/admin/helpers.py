"""Helpers shared by the admin and audit tests."""

from __future__ import annotations

from tests import factories


def sign_in_as(client, person) -> None:
    """Sign `person` in on `client` through the real sign-in form."""
    response = factories.sign_in(client, person)
    assert response.status_code == 302, f"sign-in failed for {person.email}: {response.status_code}"


def error_summary(html: str) -> bool:
    return 'class="govuk-error-summary"' in html and "There is a problem" in html
