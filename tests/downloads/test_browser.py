"""A prepared download's page in a real browser at 320 CSS pixels wide: the progress bar
and its words, no sideways scrolling, nothing for axe-core to flag; with JavaScript the
page notices the job has finished and shows the download button without a reload."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from lms.core.time import utcnow
from lms.downloads import jobs, services
from lms.extensions import db
from tests import factories
from tests.browser.fixtures import check_accessibility, sign_in

pytestmark = pytest.mark.browser


def test_the_progress_page_at_320_pixels(browser, live_server, test_kind):
    person = factories.user("asker@example.org", full_name="Asa Asker")
    test_kind.allowed.add(person.id)
    download = services.queue(person, "test-kind", {"n": 1}, title="Training evidence pack: Hillside Primary School",
                              now=utcnow())
    db.session.commit()

    context = browser.new_context(base_url=live_server, bypass_csp=True, viewport={"width": 320, "height": 800})
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        sign_in(page, person.email)
        page.goto(f"/downloads/{download.id}")
        expect(page.get_by_role("heading", level=1)).to_have_text("Training evidence pack: Hillside Primary School")
        expect(page.locator("progress")).to_be_visible()
        expect(page.locator("#download-progress-text")).to_have_text("Waiting to start")
        expect(page.locator("#download-status")).to_have_text("Waiting")
        expect(page.get_by_role("link", name="Check progress")).to_be_visible()
        width, scroll = page.evaluate("[window.innerWidth, document.documentElement.scrollWidth]")
        assert scroll <= width
        check_accessibility(page)

        jobs.run_downloads(now=utcnow())  # the page asks every few seconds
        expect(page.locator("#download-progress-text")).to_have_text("Ready to download", timeout=15_000)
        expect(page.get_by_role("link", name="Download the file")).to_be_visible()
        expect(page.locator("#download-status")).to_have_text("Ready")
        check_accessibility(page)

        page.reload()
        expect(page.get_by_role("link", name="Download hello.txt")).to_be_visible()
        width, scroll = page.evaluate("[window.innerWidth, document.documentElement.scrollWidth]")
        assert scroll <= width
        check_accessibility(page)
        page.goto("/downloads")
        expect(page.get_by_role("link", name="Training evidence pack: Hillside Primary School")).to_be_visible()
        check_accessibility(page)
    finally:
        context.close()
