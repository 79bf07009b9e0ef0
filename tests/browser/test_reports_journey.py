"""The uptake report in a real browser, checked by axe-core: the page with its chart and
table, a changed grouping, and the error summary for a bad period."""
from datetime import date

import pytest
from playwright.sync_api import expect

from lms.extensions import db
from lms.records import services as records
from lms.core.time import utcnow
from tests import factories

pytestmark = pytest.mark.browser


def test_uptake_page(open_as, axe):
    school = factories.organisation("Brook Lane Primary", area=factories.area("North"))
    ana = factories.user("ana@example.org", organisation=school)
    factories.user("tess@example.org", full_name="Tess Trainer", trainer=True)
    records.record_completion(ana, title="Safeguarding Everyone", delivery_mode="elearning", on=date(2026, 5, 1),
                              hours=1, source="imported", source_ref="browser:1", now=utcnow())
    db.session.commit()

    trainer = open_as("tess@example.org")
    trainer.goto("/reports/uptake?from=2026-04-01&to=2027-03-31")
    expect(trainer.get_by_role("img", name="Unique learners by sector, whole period")).to_be_visible()
    expect(trainer.get_by_role("rowheader", name="Education", exact=True)).to_be_visible()
    axe(trainer)
    trainer.get_by_label("Group by").select_option(label="Area")
    trainer.get_by_label("Figure").select_option(label="Completions")
    trainer.get_by_label("Financial year").check()
    trainer.get_by_role("button", name="Show the figures").click()
    expect(trainer.get_by_role("heading", name="Completions by area, 1 April 2026 to 31 March 2027")).to_be_visible()
    axe(trainer)
    # Grouped by sector, counting e-learning only: the filter is said above the figures.
    trainer.get_by_label("Group by").select_option(label="Sector")
    trainer.get_by_text("Delivery modes", exact=True).click()
    trainer.get_by_label("E-learning").check()
    trainer.get_by_role("button", name="Show the figures").click()
    expect(trainer.locator("#uptake-counting")).to_contain_text("Delivery mode: E-learning")
    expect(trainer.get_by_role("checkbox", name="E-learning")).to_be_checked()
    assert "delivery_mode=elearning" in trainer.get_by_role("link", name="CSV", exact=True).get_attribute("href")
    axe(trainer)
    trainer.goto("/reports/uptake?from=2026-04-01&to=2026-01-01")
    expect(trainer.locator(".govuk-error-summary")).to_contain_text("must be the same as or after")
    axe(trainer)
    trainer.goto("/reports/sessions")
    expect(trainer.get_by_role("heading", name="Sessions: fill and attendance")).to_be_visible()
    axe(trainer)

    # A reporting token for Power BI: read-only, expiring in 90 days.
    trainer.goto("/account/api-tokens/new")
    axe(trainer)
    trainer.get_by_label("Token name").fill("Power BI")
    trainer.get_by_label("Read only", exact=False).check()
    trainer.get_by_label("90 days").check()
    trainer.get_by_role("button", name="Create token").click()
    expect(trainer.get_by_role("heading", name="API token created")).to_be_visible()
    trainer.goto("/account/api-tokens")
    expect(trainer.get_by_role("cell", name="Read only")).to_be_visible()
    axe(trainer)
