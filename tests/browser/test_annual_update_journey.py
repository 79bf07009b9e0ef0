"""A teacher whose annual safeguarding update is overdue takes the shipped course UPDATE in
the browser, passes its quiz and becomes current for staff-annual-update until 30 September
after the academic year they did it in; axe-core checks each kind of page on the way."""
from datetime import date, timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from lms.catalogue import services as catalogue
from lms.core.time import london_today, utcnow
from lms.extensions import db
from lms.records import services as records
from tests import factories
from tests.browser.fixtures import answer_quiz_correctly, sign_in
from tests.elearning.conftest import COURSES

pytestmark = pytest.mark.browser


def next_deadline(done_on: date) -> date:
    """30 September after the academic year (1 September to 31 August) of `done_on`."""
    return date(done_on.year + 1 if done_on.month >= 9 else done_on.year, 9, 30)


def test_a_teacher_completes_the_annual_update_and_becomes_current(page, axe):
    now = utcnow()
    sources, problems = catalogue.check_course_files(COURSES)
    assert problems == []
    catalogue.sync_courses(sources, now=now)
    school = factories.organisation("Brook Lane Primary")
    teacher = factories.user("teacher@example.org", full_name="Tess Teacher", organisation=school,
                             roles=("teacher",), role_start=date(2019, 9, 1))
    # Last year's update, more than a year ago: overdue now.
    update = catalogue.get_course("UPDATE")
    records.record_completion(teacher, course=update, title=update.title, delivery_mode="imported",
                              on=london_today(now) - timedelta(days=500), hours=Decimal("1"), source="imported",
                              source_ref="browser-test-1", now=now)
    db.session.commit()

    sign_in(page, "teacher@example.org")
    page.goto("/my-training")
    card = page.locator("#requirement-staff-annual-update")
    expect(card).to_contain_text("Overdue")
    expect(card.get_by_role("link", name="Annual safeguarding update for school staff")).to_be_visible()
    axe(page)

    page.goto("/courses/UPDATE")
    expect(page.get_by_role("heading", name="Annual safeguarding update for school staff")).to_be_visible()
    axe(page)
    page.get_by_role("button", name="Start this course").click()
    page.wait_for_url("**/lessons/1")
    axe(page)
    lessons = len(sources[[s.code for s in sources].index("UPDATE")].lessons)
    for position in range(1, lessons + 1):
        page.wait_for_url(f"**/lessons/{position}")
        page.get_by_role("button", name="Continue" if position < lessons else "Finish lessons").click()
    page.wait_for_url("**/overview")
    page.get_by_role("link", name="Take the quiz").click()
    page.wait_for_url("**/quiz")
    axe(page)

    answer_quiz_correctly(page)
    page.wait_for_url("**/attempts/1")
    expect(page.get_by_role("heading", name="You passed")).to_be_visible()

    page.goto("/my-training")
    card = page.locator("#requirement-staff-annual-update")
    deadline = next_deadline(london_today(utcnow()))
    expect(card).to_contain_text("Current")
    expect(card).to_contain_text(f"{deadline.day} {deadline:%B %Y}")
    expect(card).not_to_contain_text("Overdue")
    axe(page)
