"""Safeguarding Week in a real browser, with nobody signed in: the public programme page,
registering for an event, the email's link to the registration, confirming and cancelling;
axe-core checks every page, at 1280 and at 320 CSS pixels wide (no sideways scrolling)."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from lms.extensions import db
from lms.notifications.models import OutboundEmail
from lms.programmes.week.models import PublicRegistration
from tests.programmes.week.conftest import admin, make_event, week  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser


def assert_no_sideways_scroll(page):
    width, scroll_width = page.evaluate("[window.innerWidth, document.documentElement.scrollWidth]")
    assert scroll_width <= width, f"{page.url} scrolls sideways at {width}px: {scroll_width}px wide"


def latest_link(address: str) -> str:
    db.session.expire_all()
    email = db.session.scalars(
        select(OutboundEmail).where(OutboundEmail.to_address == address).order_by(OutboundEmail.id.desc())
    ).first()
    return re.search(r"https?://[^/\s]+(/safeguarding-week/registration/\S+)", email.body_text).group(1)


@pytest.mark.parametrize("width", [1280, 320])
def test_a_member_of_the_public_registers_confirms_and_cancels(browser, live_server, axe, week, width):
    context = browser.new_context(base_url=live_server, bypass_csp=True, viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto("/safeguarding-week")
        expect(page.get_by_role("heading", level=1)).to_have_text("Safeguarding Week 2027")
        expect(page.get_by_role("heading", name="Tuesday 15 June")).to_be_visible()
        assert_no_sideways_scroll(page)
        axe(page)

        page.get_by_role("link", name="Register for Staying safe online: for parents").click()
        page.wait_for_url(f"**/events/{week.public.id}/register")
        assert_no_sideways_scroll(page)
        axe(page)
        expect(page.get_by_role("link", name="privacy notice", exact=True)).to_have_attribute("href", "/privacy")

        # Nothing typed: the errors say what and where.
        page.get_by_role("button", name="Register").click()
        expect(page.locator(".govuk-error-summary")).to_contain_text("Enter your name")
        axe(page)
        page.get_by_label("Your name").fill("Sam Smith")
        page.get_by_label("Email address").fill("sam.smith@example.org")
        page.get_by_role("button", name="Register").click()
        expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
        assert_no_sideways_scroll(page)
        axe(page)

        page.goto(latest_link("sam.smith@example.org"))
        expect(page.get_by_text("Place held, awaiting confirmation")).to_be_visible()
        assert_no_sideways_scroll(page)
        axe(page)
        page.get_by_role("button", name="Confirm my place").click()
        expect(page.get_by_text("Your place is confirmed").first).to_be_visible()
        axe(page)
        page.get_by_role("button", name="Cancel my registration").click()
        expect(page.get_by_text("Your registration is cancelled")).to_be_visible()
        assert_no_sideways_scroll(page)
        axe(page)
        db.session.expire_all()
        assert db.session.scalar(select(PublicRegistration.status)) == "cancelled"
    finally:
        context.close()


def test_a_full_event_offers_the_waiting_list(page, axe, week):
    from lms.programmes.week import services
    from tests.conftest import NOW

    services.register(week.public, "Ann One", "ann@example.org", now=NOW)
    services.register(week.public, "Bob Two", "bob@example.org", now=NOW)
    db.session.commit()
    page.goto("/safeguarding-week")
    expect(page.get_by_text("Full: you can join the waiting list")).to_be_visible()
    page.get_by_role("link", name="Join the waiting list for Staying safe online: for parents").click()
    page.get_by_label("Your name").fill("Cat Three")
    page.get_by_label("Email address").fill("cat@example.org")
    page.get_by_role("button", name="Join the waiting list").click()
    expect(page.get_by_role("heading", name="You are on the waiting list")).to_be_visible()
    axe(page)


@pytest.mark.parametrize("width", [1280, 320])
def test_the_admin_pages_and_the_report(browser, live_server, axe, week, width):
    from tests.browser.fixtures import sign_in

    context = browser.new_context(base_url=live_server, bypass_csp=True, viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        sign_in(page, "admin@partnership.example")
        for path in ("/admin/safeguarding-weeks", f"/admin/safeguarding-weeks/{week.programme.id}",
                     f"/admin/safeguarding-weeks/{week.programme.id}/events/new",
                     f"/admin/safeguarding-weeks/events/{week.stall.id}/engagement",
                     f"/reports/safeguarding-week/{week.programme.id}"):
            page.goto(path)
            expect(page.get_by_role("heading", level=1)).to_be_visible()
            assert_no_sideways_scroll(page)
            axe(page)
        page.goto(f"/admin/safeguarding-weeks/events/{week.stall.id}/engagement")
        page.get_by_label("Conversations at the stall").fill("many")
        page.get_by_role("button", name="Save the counts").click()
        expect(page.locator(".govuk-error-summary")).to_contain_text("as a whole number")
        axe(page)
    finally:
        context.close()
