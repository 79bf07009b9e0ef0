"""External CPD in a real browser: a DSL logs training done elsewhere with a certificate,
makes a mistake on the way, changes it; their lead verifies it; the DSL sees it verified.
axe-core checks each page."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from lms.core.time import london_today, utcnow
from lms.extensions import db
from tests import factories

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_log_change_and_verify_external_cpd(app, open_as, axe, tmp_path):
    app.config["EVIDENCE_FOLDER"] = str(tmp_path / "evidence")
    try:
        _journey(open_as, axe, tmp_path)
    finally:
        app.config["EVIDENCE_FOLDER"] = None


def _journey(open_as, axe, tmp_path):
    school = factories.organisation("Brook Lane Primary")
    factories.user("dee@example.org", full_name="Dee Dsl", organisation=school, roles=("school-dsl",))
    factories.user("lee@example.org", full_name="Lee Lead", organisation=school, leads=(school,))
    db.session.commit()
    certificate = tmp_path / "certificate.pdf"
    certificate.write_bytes(PDF)
    fake = tmp_path / "fake.pdf"
    fake.write_bytes(b"<html>not a pdf</html>")
    today = london_today(utcnow())

    dee = open_as("dee@example.org")
    dee.goto("/learning")
    axe(dee)
    dee.get_by_role("link", name="Add external CPD").click()
    dee.wait_for_url("**/learning/external/new")
    axe(dee)

    # A mistake first: no provider, and a file that is not really a PDF.
    dee.get_by_label("Title of the training").fill("Local authority DSL refresher")
    dee.locator("#completed_on-day").fill(str(today.day))
    dee.locator("#completed_on-month").fill(str(today.month))
    dee.locator("#completed_on-year").fill(str(today.year))
    dee.get_by_label("CPD hours").fill("3")
    dee.get_by_label("DSL annual knowledge update").check()
    dee.get_by_label("Evidence (optional)").set_input_files(str(fake))
    dee.get_by_role("button", name="Save training").click()
    summary = dee.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Enter who provided the training")
    expect(summary).to_contain_text("The selected file must be a PDF, PNG or JPEG")
    axe(dee)

    dee.get_by_label("Who provided it").fill("County council")
    dee.get_by_label("Evidence (optional)").set_input_files(str(certificate))
    dee.get_by_role("button", name="Save training").click()
    dee.wait_for_url("**/learning/external")
    expect(dee.get_by_text("“Local authority DSL refresher” added to your training record")).to_be_visible()
    expect(dee.locator(".govuk-summary-card")).to_contain_text("Self-reported")
    axe(dee)

    # Change the hours.
    dee.get_by_role("link", name="Change Local authority DSL refresher").click()
    axe(dee)
    dee.get_by_label("CPD hours").fill("2.5")
    dee.get_by_role("button", name="Save training").click()
    dee.wait_for_url("**/learning/external")
    expect(dee.locator(".govuk-summary-card")).to_contain_text("2.5 hours")

    # The delete page, without deleting.
    dee.get_by_role("link", name="Delete Local authority DSL refresher").click()
    axe(dee)
    dee.get_by_role("link", name="No, keep it").click()

    # The lead verifies it, from their staff page.
    lee = open_as("lee@example.org")
    lee.goto("/organisation/staff")
    lee.get_by_role("link", name="Verify external CPD your staff have added").click()
    lee.wait_for_url("**/organisation/external-cpd")
    axe(lee)
    lee.get_by_role("link", name="Local authority DSL refresher for Dee Dsl").click()
    expect(lee.get_by_role("link", name="certificate.pdf (evidence for Local authority DSL refresher)")).to_be_visible()
    axe(lee)
    # Saying it cannot be verified needs a reason.
    lee.get_by_role("button", name="Send reason").click()
    expect(lee.locator(".govuk-error-summary")).to_contain_text("Enter why you cannot verify this training")
    axe(lee)
    lee.get_by_role("button", name="Verify").click()
    lee.wait_for_url("**/organisation/external-cpd")
    expect(lee.locator("#checked-table")).to_contain_text("Verified by Lee Lead")
    axe(lee)

    dee.goto("/learning")
    expect(dee.get_by_text(f"Verified by Lee Lead on {today.day} {today:%B %Y}")).to_be_visible()
    axe(dee)
