"""The CPD portfolio and the evidence pack in a real browser, checked by axe-core: a DSL
picks a period, sees their portfolio and downloads it; as a setting lead they open the
evidence pack from the staff matrix and download it; a bad period shows the error summary."""
from datetime import date

import pytest
from playwright.sync_api import expect

from lms.compliance import services as compliance
from lms.core.time import utcnow
from lms.extensions import db
from lms.records import services as records
from tests import factories

pytestmark = pytest.mark.browser


def test_portfolio_and_evidence_pack(open_as, axe):
    school = factories.organisation("Brook Lane Primary", area=factories.area("North"))
    dsl = factories.user("dee@example.org", full_name="Dee Ess", organisation=school, leads=(school,),
                         roles=("school-dsl",), role_start=date(2020, 1, 1))
    ann = factories.user("ann@example.org", full_name="Ann Teacher", organisation=school, roles=("teacher",))
    records.record_completion(dsl, title="DSL refresher", delivery_mode="virtual", on=date(2026, 5, 1), hours=6,
                              source="imported", source_ref="browser:portfolio", now=utcnow())
    compliance.refresh_status([dsl.id, ann.id], now=utcnow())
    db.session.commit()

    page = open_as("dee@example.org")
    page.goto("/my-training")
    page.get_by_role("link", name="download your CPD portfolio (PDF)").click()
    expect(page.get_by_role("heading", name="My CPD portfolio", level=1)).to_be_visible()
    page.get_by_role("group", name="From").get_by_label("Day").fill("1")
    page.get_by_role("group", name="From").get_by_label("Month").fill("4")
    page.get_by_role("group", name="From").get_by_label("Year").fill("2026")
    page.get_by_role("button", name="Show this period").click()
    expect(page.get_by_role("cell", name="DSL refresher")).to_be_visible()
    axe(page)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the portfolio (PDF)").click()
    assert download.value.suggested_filename.startswith("cpd-portfolio-dee-ess-")
    with open(download.value.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"

    page.get_by_role("group", name="To").get_by_label("Year").fill("2025")
    page.get_by_role("button", name="Show this period").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("must be the same as or after")
    axe(page)

    page.goto("/organisation/compliance")
    page.get_by_role("link", name="download the training evidence pack (PDF)").click()
    expect(page.get_by_role("heading", name="Training evidence for inspectors and governors")).to_be_visible()
    axe(page)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the evidence pack (PDF)").click()
    assert download.value.suggested_filename.startswith("training-evidence-brook-lane-primary-")
