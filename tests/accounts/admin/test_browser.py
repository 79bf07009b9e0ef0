"""An admin finds people, adds one, changes their access and closes an account, then reads
the audit log, in a real browser; axe-core finds nothing on any page visited.
(The `page` and `axe` fixtures come from tests/browser/fixtures.py.)"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from lms.accounts.models import User
from lms.audit.models import AuditEvent
from lms.extensions import db
from tests import factories

pytestmark = pytest.mark.browser


def test_admin_journey(page, axe):
    school = factories.organisation("Brook Lane Primary")
    factories.organisation("Hill Top Academy", type_code="secondary-school")
    admin = factories.user("admin@example.org", full_name="Ada Admin", admin=True, organisation=school)
    leaver = factories.user("leaver@example.org", full_name="Lee Leaver", organisation=school)
    db.session.commit()
    admin_email, leaver_id = admin.email, leaver.id

    page.goto("/sign-in")
    page.get_by_label("Email address").fill(admin_email)
    page.locator("#password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"^[^?]*://[^/]+/$"))

    page.goto("/admin/")
    assert page.get_by_role("heading", name="Admin", exact=True).is_visible()
    assert "The scheduler is not running" in page.content()
    axe(page)

    page.get_by_role("link", name="Find a person").click()
    page.wait_for_url("**/admin/people")
    axe(page)
    page.get_by_label("Name or email").fill("leaver")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**/admin/people?q=leaver*")
    assert page.get_by_role("heading", name="1 person found").is_visible()

    # Add a person: an empty form first, to check the error summary.
    page.goto("/admin/people/new")
    page.get_by_role("button", name="Create account and send invitation").click()
    page.locator(".govuk-error-summary").wait_for()
    assert "Enter their full name" in page.locator(".govuk-error-summary").inner_text()
    axe(page)
    page.get_by_label("Full name", exact=True).fill("Nia Newcomer")
    page.get_by_label("Email address").fill("nia@example.org")
    page.get_by_label("Organisation", exact=True).select_option(label="Hill Top Academy")
    page.get_by_label("Job role", exact=True).select_option(label="Teacher")
    page.locator("#started_on-day").fill("1")
    page.locator("#started_on-month").fill("9")
    page.locator("#started_on-year").fill("2024")
    page.get_by_label("Trainer", exact=True).check()
    page.get_by_role("button", name="Create account and send invitation").click()
    page.wait_for_url(re.compile(r".*/admin/people/\d+$"))
    assert page.get_by_role("heading", name="Nia Newcomer").is_visible()
    assert "Invited: has not set a password yet" in page.content()
    axe(page)

    page.get_by_role("link", name="Change access").click()
    page.wait_for_url(re.compile(r".*/access$"))
    axe(page)
    page.get_by_label("Partnership admin").check()
    page.get_by_role("button", name="Save access").click()
    page.wait_for_url(re.compile(r".*/admin/people/\d+$"))
    assert "Access saved for Nia Newcomer" in page.content()

    # Close another account.
    page.goto(f"/admin/people/{leaver_id}")
    page.get_by_role("button", name="Close account").click()
    page.wait_for_url(f"**/admin/people/{leaver_id}/close")
    axe(page)
    page.get_by_role("button", name="Close account").click()
    page.wait_for_url(f"**/admin/people/{leaver_id}")
    assert "Closed the account of Lee Leaver" in page.content()
    axe(page)

    page.goto("/admin/audit/")
    axe(page)
    page.get_by_label("Action").fill("person.close")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**/admin/audit/?action=person.close*")
    assert page.get_by_role("heading", name="1 event matches the filters").is_visible()
    page.locator(".govuk-details__summary").first.click()
    assert page.locator(".govuk-details__text").first.is_visible()
    axe(page)

    db.session.expire_all()
    nia = db.session.scalar(select(User).where(User.email == "nia@example.org"))
    assert nia.is_admin and nia.is_trainer
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"person.create", "person.admin.grant", "person.close"} <= actions
