"""In a real browser, with axe-core: a setting lead sees on the staff matrix, in words,
that a status rests on unverified self-reported CPD; an admin changes the setting (a
missing answer first, then a real change) and the marker goes."""
from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from lms.extensions import db
from lms.records.external import services as external
from tests import factories
from tests.conftest import NOW


def sign_in(page, email):
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(email)
    page.locator("#password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"^[^?]*://[^/]+/$"))


@pytest.mark.browser
def test_a_lead_sees_the_marker_and_an_admin_changes_the_setting(page, axe):
    school = factories.organisation("Brook Lane Primary")
    lead = factories.user("lead@brook.example", full_name="Lee Lead", organisation=school, leads=(school,),
                          roles=("school-dsl",))
    teacher = factories.user("tom@brook.example", full_name="Tom Teacher", organisation=school, roles=("teacher",),
                             role_start=date(2015, 9, 1))
    admin = factories.user("admin@example.org", full_name="Ada Admin", admin=True, roles=("other",))
    external.log_external(teacher, external.ExternalValues(
        title="Safeguarding basics", provider="County council", completed_on=date(2026, 10, 1), hours="2",
        requirement_codes=["staff-safeguarding"]), now=NOW)
    db.session.commit()
    lead_email, admin_email = lead.email, admin.email

    sign_in(page, lead_email)
    page.goto("/organisation/compliance")
    row = page.get_by_role("row").filter(has_text="Tom Teacher")
    assert "No expiry (unverified CPD)" in row.inner_text()
    axe(page)
    page.get_by_role("link", name="Tom Teacher").click()
    expect(page.get_by_text("this status rests on self-reported CPD").first).to_be_visible()
    axe(page)
    page.context.clear_cookies()

    sign_in(page, admin_email)
    page.goto("/admin/requirements/")
    page.get_by_role("link", name="Change whether self-reported CPD counts before it is verified").click()
    page.wait_for_url("**/admin/requirements/unverified-cpd")
    axe(page)
    page.evaluate("document.querySelectorAll('input[name=unverified_cpd_counts]').forEach(i => i.checked = false)")
    page.get_by_role("button", name="Save setting").click()
    page.locator(".govuk-error-summary").wait_for()
    assert "Select whether self-reported CPD counts" in page.locator(".govuk-error-summary").inner_text()
    axe(page)
    page.get_by_label("No, it counts only once a setting lead").check()
    page.get_by_role("button", name="Save setting").click()
    page.wait_for_url("**/admin/requirements/")
    assert "Statuses worked out again for 1 person" in page.content()
    assert page.locator("#unverified-cpd-setting").inner_text().startswith("Self-reported CPD counts only once")
    axe(page)
    page.context.clear_cookies()

    sign_in(page, lead_email)
    page.goto("/organisation/compliance")
    assert "unverified CPD" not in page.get_by_role("row").filter(has_text="Tom Teacher").inner_text()
