"""The home page in a real browser, signed in as each role of the small partnership in
tests/pages/home_data.py: each shows its section with what to do next, and axe-core finds
nothing to fix."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from lms.core.time import utcnow
from lms.extensions import db
from tests.pages.home_data import build

pytestmark = pytest.mark.browser


def test_each_role_sees_what_to_do_next(open_as, axe):
    scene = build(utcnow())
    db.session.commit()

    teacher = open_as("teacher@example.org")
    card = teacher.locator("#home-practitioner")
    expect(card.get_by_role("heading", name="Your training")).to_be_visible()
    expect(card).to_contain_text("Overdue")
    expect(card).to_contain_text("Places offered to you (1)")
    expect(card).to_contain_text("Evaluations to fill in (1)")
    axe(teacher)
    card.get_by_role("link", name="Annual safeguarding update").click()
    teacher.wait_for_url("**/courses/UPDATE")

    lead = open_as("lead@example.org")
    staff = lead.locator("#home-setting-lead")
    expect(staff.get_by_role("heading", name="Your staff")).to_be_visible()
    expect(staff).to_contain_text("Booking requests to decide")
    expect(staff).to_contain_text("External training to verify")
    axe(lead)
    staff.get_by_role("link", name="3 people have training overdue").click()
    lead.wait_for_url(f"**/organisation/compliance?organisation={scene.school.id}&status=overdue")
    expect(lead.get_by_role("heading", level=1)).to_be_visible()

    trainer = open_as("trainer@example.org")
    sessions = trainer.locator("#home-trainer")
    expect(sessions.get_by_role("heading", name="Your sessions")).to_be_visible()
    expect(sessions).to_contain_text("1 person not marked")
    axe(trainer)
    sessions.get_by_role("link", name="Mark").first.click()
    trainer.wait_for_url(f"**/manage/sessions/{scene.ended.id}/register")

    admin = open_as("admin@example.org")
    queues = admin.locator("#home-admin")
    expect(queues.get_by_role("heading", name="The partnership's queues")).to_be_visible()
    expect(queues).to_contain_text("Not running")
    expect(queues).to_contain_text("Emails that failed")
    expect(queues).to_contain_text("1 booked, minimum 6")
    axe(admin)
