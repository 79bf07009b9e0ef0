"""A practitioner finds "Safeguarding Everyone" in the catalogue, reads every lesson,
passes the quiz and sees the course in My learning; axe-core checks each kind of page."""
import pytest
from playwright.sync_api import expect

from lms.catalogue import services as catalogue
from lms.extensions import db
from tests import factories
from tests.browser.fixtures import answer_quiz_correctly, sign_in
from tests.elearning.conftest import COURSES

pytestmark = pytest.mark.browser


def test_practitioner_completes_safeguarding_everyone(page, axe, now):
    sources, problems = catalogue.check_course_files(COURSES)
    assert problems == []
    catalogue.sync_courses(sources, now=now)
    school = factories.organisation("Brook Lane Primary")
    factories.user("learner@example.org", full_name="Lee Learner", organisation=school)
    db.session.commit()

    sign_in(page, "learner@example.org")
    page.get_by_role("link", name="Courses").first.click()
    page.wait_for_url("**/courses")
    axe(page)
    page.get_by_label("Search courses").fill("Safeguarding Everyone")
    page.get_by_role("button", name="Apply filters").click()
    page.get_by_role("link", name="Safeguarding Everyone").click()
    page.wait_for_url("**/courses/SGE")
    axe(page)
    page.get_by_role("button", name="Start this course").click()
    page.wait_for_url("**/lessons/1")
    axe(page)

    lessons = len(sources[[s.code for s in sources].index("SGE")].lessons)
    for position in range(1, lessons + 1):
        page.wait_for_url(f"**/lessons/{position}")
        caption = page.locator(".govuk-caption-l").inner_text()
        assert caption == f"Safeguarding Everyone: lesson {position} of {lessons}"
        page.get_by_role("button", name="Continue" if position < lessons else "Finish lessons").click()
    page.wait_for_url("**/overview")
    axe(page)
    page.get_by_role("link", name="Take the quiz").click()
    page.wait_for_url("**/quiz")
    axe(page)

    answer_quiz_correctly(page)
    page.wait_for_url("**/attempts/1")
    expect(page.get_by_role("heading", name="You passed")).to_be_visible()
    axe(page)

    page.get_by_role("link", name="See my learning").click()
    page.wait_for_url("**/learning")
    completed = page.locator("table").last.inner_text()
    assert "Safeguarding Everyone" in completed and "100%" in completed
    axe(page)
