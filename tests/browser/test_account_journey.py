"""A practitioner registers, confirms their email, signs in, edits their profile and
signs out, in a real browser; axe-core finds nothing on any page visited."""
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from lms.accounts.models import User
from lms.extensions import db
from lms.notifications.models import OutboundEmail
from tests import factories

pytestmark = pytest.mark.browser

PASSWORD = "orchard kettle silver puzzle"


def confirmation_path(email: str) -> str:
    db.session.expire_all()
    body = db.session.scalar(select(OutboundEmail.body_text).where(OutboundEmail.to_address == email))
    return re.search(r"https?://[^/\s]+(/confirm/\S+)", body).group(1)


def test_register_confirm_sign_in_edit_sign_out(page, axe):
    factories.organisation("Brook Lane Primary", postcode="BL1 4PQ")
    factories.organisation("Hill Top Academy", type_code="secondary-school")
    db.session.commit()

    page.goto("/")
    axe(page)
    page.get_by_role("button", name="Create an account").click()
    page.wait_for_url("**/register")
    axe(page)

    # Submitting an empty form shows the GOV.UK error summary, which axe also checks.
    page.get_by_role("button", name="Create account").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert "Enter your full name" in page.locator(".govuk-error-summary").inner_text()
    axe(page)

    page.get_by_label("Full name").fill("Sam Patel")
    page.get_by_label("Work email address").fill("sam.patel@example.org")
    page.locator("#password").fill(PASSWORD)
    # The organisation list is searchable.
    organisation = page.locator("#organisation")
    organisation.fill("Brook")
    page.get_by_role("option", name=re.compile("Brook Lane Primary")).click()
    page.get_by_label("Job role", exact=True).select_option(label="Teacher")
    page.locator("#job_role_1_started-day").fill("1")
    page.locator("#job_role_1_started-month").fill("9")
    page.locator("#job_role_1_started-year").fill("2022")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/register/check-your-email")
    assert "sam.patel@example.org" in page.content()
    axe(page)

    user = db.session.scalar(select(User).where(User.email == "sam.patel@example.org"))
    # Registering into a school asks to join it: its lead confirms them.
    assert user.organisation is None
    assert user.open_join_request.organisation.name == "Brook Lane Primary"

    page.goto(confirmation_path("sam.patel@example.org"))
    page.wait_for_url("**/sign-in")
    assert "is confirmed" in page.content()
    axe(page)

    page.get_by_label("Email address").fill("sam.patel@example.org")
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: url.endswith("/"))
    expect(page.get_by_role("heading", name="Hello, Sam Patel")).to_be_visible()
    axe(page)

    page.get_by_role("link", name="Your account").first.click()
    page.wait_for_url("**/account")
    assert "You are waiting for Brook Lane Primary to confirm that you work there" in page.content()
    axe(page)
    page.get_by_role("link", name="Change full name").click()
    page.wait_for_url("**/account/details")
    axe(page)
    page.get_by_label("Full name").fill("Samira Patel")
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_url("**/account")
    assert "Your details are saved" in page.content()
    assert "Samira Patel" in page.content()
    axe(page)

    page.get_by_role("link", name="Add a job role").click()
    page.wait_for_url("**/account/roles/add")
    axe(page)
    page.get_by_label("Job role").select_option(label="Deputy designated safeguarding lead")
    page.locator("#started_on-day").fill("1")
    page.locator("#started_on-month").fill("1")
    page.locator("#started_on-year").fill("2025")
    page.get_by_role("button", name="Add role").click()
    page.wait_for_url("**/account")
    assert "Deputy designated safeguarding lead" in page.content()

    page.get_by_role("link", name="Sign out").click()
    page.wait_for_url("**/sign-out")
    axe(page)
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/sign-in")
    assert "You have signed out" in page.content()
    page.goto("/account")
    assert "/sign-in" in page.url


def test_error_pages_are_accessible(page, axe):
    page.goto("/no-such-page")
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    axe(page)
    page.goto("/forgot-password")
    axe(page)
