"""The partnership's own pages in a real browser, checked by axe-core at laptop width and at
320 pixels: the privacy notice and accessibility statement written from the partnership's
details, the admin's page for those details (with its error summary), and erasing a
person on request."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from lms.accounts.models import User
from lms.extensions import db
from tests import factories

pytestmark = pytest.mark.browser


def no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), page.url


def check_at_both_widths(page, axe) -> None:
    for width in (1280, 320):
        page.set_viewport_size({"width": width, "height": 900})
        axe(page)
        no_sideways_scroll(page)


def test_privacy_notice_and_accessibility_statement(page, axe):
    page.goto("/privacy")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.locator("main")).to_contain_text("Information Commissioner")
    check_at_both_widths(page, axe)
    page.goto("/accessibility")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    check_at_both_widths(page, axe)


def test_the_partnership_details_page_and_its_errors(open_as, axe):
    factories.user("admin@example.org", full_name="Ada Admin", admin=True, roles=())
    db.session.commit()
    admin = open_as("admin@example.org")
    admin.goto("/admin/partnership")
    check_at_both_widths(admin, axe)
    admin.set_viewport_size({"width": 1280, "height": 900})
    admin.get_by_label("Contact email address", exact=True).fill("not an email")
    admin.get_by_role("button", name="Save").click()
    expect(admin.locator(".govuk-error-summary")).to_be_visible()
    check_at_both_widths(admin, axe)


def test_erasing_a_person_on_request(open_as, axe):
    factories.user("admin@example.org", full_name="Ada Admin", admin=True, roles=())
    person = factories.user("leaver@example.org", full_name="Lee Leaver")
    db.session.commit()
    admin = open_as("admin@example.org")
    admin.goto(f"/admin/people/{person.id}/erase")
    check_at_both_widths(admin, axe)
    admin.set_viewport_size({"width": 1280, "height": 900})
    admin.get_by_role("button", name="Erase their personal details").click()
    expect(admin.locator(".govuk-error-summary")).to_be_visible()
    axe(admin)
    admin.get_by_label("Why are you erasing this person's details?").fill("Asked to be forgotten by email.")
    admin.get_by_label("I understand this cannot be undone").check()
    admin.get_by_role("button", name="Erase their personal details").click()
    expect(admin.locator(".govuk-notification-banner, .govuk-panel").first).to_be_visible()
    axe(admin)
    db.session.expire_all()
    erased = db.session.get(User, person.id)
    assert erased.erased_at is not None and "Leaver" not in (erased.full_name or "")
