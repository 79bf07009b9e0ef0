"""An admin checks a bad history file, then a good one, then imports it, in a real
browser; axe-core finds nothing on any page visited. (The `page` and `axe` fixtures come
from tests/browser/fixtures.py.)"""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from lms.extensions import db
from lms.records.models import Completion
from tests import factories
from tests.records.imports.test_services import GOOD_FILE, csv_text, line

pytestmark = pytest.mark.browser


def test_admin_checks_and_imports_a_history_file(page, axe, tmp_path):
    admin = factories.user("admin@example.org", full_name="Ada Admin", admin=True)
    db.session.commit()
    bad = tmp_path / "bad.csv"
    bad.write_text(csv_text(line(), line(completed_on="31/02/2021"), line(email="")), encoding="utf-8")
    good = tmp_path / "good.csv"
    good.write_text(GOOD_FILE, encoding="utf-8")

    page.goto("/sign-in")
    page.get_by_label("Email address").fill(admin.email)
    page.locator("#password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"^[^?]*://[^/]+/$"))

    page.goto("/admin/import/")
    assert page.get_by_role("heading", name="Import training history").is_visible()
    axe(page)

    # Nothing chosen: the error summary.
    page.get_by_role("button", name="Continue").click()
    page.locator(".govuk-error-summary").wait_for()
    assert "Select a CSV file" in page.locator(".govuk-error-summary").inner_text()
    axe(page)

    # A bad file: every bad row listed, nothing imported.
    page.get_by_label("Upload a file").set_input_files(str(bad))
    page.get_by_label("Import the records").check()
    page.get_by_role("button", name="Continue").click()
    page.locator("#problems").wait_for()
    table = page.locator("#problems").inner_text()
    assert "completed_on '31/02/2021' must be a date written YYYY-MM-DD" in table
    assert "email is missing" in table
    assert "bad.csv has 2 problems" in page.locator(".govuk-error-summary").inner_text()
    axe(page)

    # A good file, checked only.
    page.get_by_label("Upload a file").set_input_files(str(good))
    page.get_by_label("Check the file only").check()
    page.get_by_role("button", name="Continue").click()
    page.locator("#check-result").wait_for()
    assert "good.csv has no problems" in page.locator("#check-result").inner_text()
    axe(page)
    db.session.remove()
    assert db.session.scalar(select(func.count()).select_from(Completion)) == 0

    # Then imported.
    page.get_by_label("Upload a file").set_input_files(str(good))
    page.get_by_label("Import the records").check()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(r"/admin/import/\d+$"))
    assert "good.csv imported: 3 completions added" in page.content()
    axe(page)
    db.session.remove()
    assert db.session.scalar(select(func.count()).select_from(Completion)) == 3
