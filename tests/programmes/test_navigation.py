"""The service navigation marks the right item on every programme page: a DSL's twilight
pages and the public Safeguarding Week pages under "Sessions" (signed out: "Safeguarding
Week" for the week, "Sessions" for the twilights), the twilight series' admin pages and the
week's report under "Manage sessions", the week's admin pages under "Admin"."""
from __future__ import annotations

import pytest

from lms.core.template_helpers import _navigation_items

pytestmark = pytest.mark.no_database

MANAGED = ("programmes.twilights.manage", "programmes.twilights.create", "programmes.twilights.topic",
           "programmes.twilights.term_sessions", "programmes.twilights.copy", "programmes.twilights.report",
           "reports.week.")


def expected(endpoint: str) -> str:
    if endpoint.startswith(MANAGED):
        return "Manage sessions"
    if endpoint.startswith("programmes.week.admin"):
        return "Admin"
    return "Sessions"


def expected_signed_out(endpoint: str) -> list[str]:
    if expected(endpoint) != "Sessions":
        return []
    return ["Safeguarding Week"] if endpoint.startswith("programmes.week.") else ["Sessions"]


def test_every_programme_page_marks_its_navigation_item(app):
    endpoints = sorted({
        rule.endpoint for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith(("programmes.", "reports.week.")) and not rule.endpoint.endswith(".static")
    })
    assert {"programmes.twilights.index", "programmes.twilights.manage_index", "programmes.twilights.report_csv",
            "programmes.week.current", "programmes.week.admin_index", "reports.week.report"} <= set(endpoints)
    with app.test_request_context():
        for endpoint in endpoints:
            items = _navigation_items(True, True, True, True, endpoint=endpoint)
            assert [text for text, _, active in items if active] == [expected(endpoint)], endpoint
            signed_out = _navigation_items(False, False, False, False, endpoint=endpoint)
            assert [text for text, _, on in signed_out if on] == expected_signed_out(endpoint), endpoint


def test_the_package_upload_is_under_admin_and_the_player_under_my_learning(app):
    with app.test_request_context():
        for endpoint, item in (("elearning.scorm.upload", "Admin"), ("elearning.scorm.player", "My learning"),
                               ("elearning.my_learning", "My learning"), ("elearning.staff.index", "My organisation")):
            items = _navigation_items(True, True, True, True, endpoint=endpoint)
            assert [text for text, _, active in items if active] == [item], endpoint
