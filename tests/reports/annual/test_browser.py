"""The annual report pack and the follow-up pages in a real browser: axe-core finds nothing,
and at 320 CSS pixels nothing scrolls sideways (the pack's tables scroll inside named,
focusable regions)."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from lms.evaluations.followup import services as followup
from lms.evaluations.followup.models import FollowUp
from lms.extensions import db
from tests.browser.test_reflow import assert_no_sideways_scroll, assert_table_scrolls_in_named_region
from tests.reports.annual.conftest import FOLLOWUP_SENT

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [320, 1280])
def test_the_pack_and_the_follow_up_reflow_and_pass_axe(year_of_data, trainer, browser, live_server, axe, width):
    row = db.session.scalar(select(FollowUp).where(FollowUp.user_id == year_of_data["people"]["ben"].id,
                                                   FollowUp.answered_at.is_(None)).limit(1))
    db.session.execute(db.update(FollowUp).where(FollowUp.id == row.id).values(sent_at=None, token_hash=None))
    token = followup.claim(row.id, now=FOLLOWUP_SENT)
    db.session.commit()
    context = browser.new_context(base_url=live_server, bypass_csp=True, viewport={"width": width, "height": 900})
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        # The follow-up, answered through its link without signing in.
        page.goto(f"/follow-up/{token}")
        assert_no_sideways_scroll(page)
        axe(page)
        page.get_by_role("button", name="Send your answer").click()
        expect(page.locator(".govuk-error-summary")).to_contain_text("Select whether you have used")
        axe(page)
        page.get_by_label("Not yet").check()
        page.get_by_role("button", name="Send your answer").click()
        expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
        axe(page)

        from tests.browser.fixtures import sign_in
        sign_in(page, trainer.email)
        page.goto("/reports/annual?year=2026-27")
        expect(page.get_by_role("heading", name="Annual report: April 2026 to March 2027")).to_be_visible()
        assert_no_sideways_scroll(page)
        assert_table_scrolls_in_named_region(page)
        axe(page)
        page.goto("/reports/annual?year=2026")
        expect(page.locator(".govuk-error-summary")).to_contain_text("like 2025-26")
        axe(page)
        page.goto("/evaluations/follow-up?from=2026-12-01&to=2026-12-31")
        assert_no_sideways_scroll(page)
        axe(page)
    finally:
        context.close()
