"""The service navigation marks the right item on every page of bookings and its
sub-features: a practitioner's and a setting lead's pages and the calendar under
"Sessions", trainers' session pages and registers under "Manage sessions", charges under
"Admin"."""
from __future__ import annotations

import pytest

from lms.core.template_helpers import _navigation_items

pytestmark = pytest.mark.no_database


def expected(endpoint: str) -> str:
    if endpoint.startswith(("bookings.sessions.", "bookings.registers.")):
        return "Manage sessions"
    if endpoint.startswith("bookings.charges."):
        return "Admin"
    return "Sessions"


def test_every_bookings_page_marks_its_navigation_item(app):
    endpoints = sorted({rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint.startswith("bookings.")})
    assert {"bookings.index", "bookings.staff.requests", "bookings.sessions.index", "bookings.registers.register",
            "bookings.charges.rates", "bookings.calendar.month"} <= set(endpoints)
    with app.test_request_context():
        for endpoint in endpoints:
            items = _navigation_items(True, True, True, True, endpoint=endpoint)
            assert [text for text, _, active in items if active] == [expected(endpoint)], endpoint
            signed_out = _navigation_items(False, False, False, False, endpoint=endpoint)
            active = [text for text, _, on in signed_out if on]
            assert active == (["Sessions"] if expected(endpoint) == "Sessions" else []), endpoint
