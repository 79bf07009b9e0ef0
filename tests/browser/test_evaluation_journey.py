"""Evaluations in a real browser: a learner evaluates a course that asks for it and gets the
certificate; the trainer reads the session's results and the summary by course. axe-core
checks each page, the chart included."""
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from lms.bookings import services as bookings
from lms.bookings.registers import services as registers
from lms.core.time import utcnow
from lms.extensions import db
from tests import factories
from tests.bookings.conftest import make_course_row, make_session_row

pytestmark = pytest.mark.browser


def test_evaluate_then_read_the_results(open_as, axe):
    school = factories.organisation("Brook Lane Primary")
    ana = factories.user("ana@example.org", full_name="Ana Adeyemi", organisation=school)
    tess = factories.user("tess@example.org", full_name="Tess Trainer", trainer=True)
    course = make_course_row("CP-EVAL", title="Child protection in practice")
    course.asks_for_evaluation = True
    started = utcnow().replace(microsecond=0) - timedelta(days=1)
    session = make_session_row(course, starts_at=started, signup_closes_at=started - timedelta(days=2), trainers=[tess])
    booking = bookings.book(session, ana, actor=ana, now=started - timedelta(days=3))
    registers.mark(booking, "attended", actor=tess, now=started + timedelta(hours=4))
    db.session.commit()
    session_id, completion_id = session.id, booking.completion_id

    learner = open_as("ana@example.org")
    learner.goto("/certificates")
    axe(learner)
    learner.get_by_role("link", name="Evaluate Child protection in practice").click()
    learner.wait_for_url(f"**/evaluations/{completion_id}")
    axe(learner)
    learner.get_by_role("button", name="Send evaluation").click()
    expect(learner.locator(".govuk-error-summary")).to_contain_text("Select how satisfied you were")
    axe(learner)
    learner.get_by_role("group", name="Overall, how satisfied were you with the training?").get_by_label("Very satisfied").check()
    learner.get_by_label("Yes, a lot").check()
    learner.get_by_role("group", name="How confident did you feel").get_by_label("Slightly confident").check()
    learner.get_by_role("group", name="How confident do you feel about it now?").get_by_label("Very confident", exact=True).check()
    learner.get_by_label("What will you do differently").fill("Write up concerns the same day.")
    learner.get_by_label("The partnership may quote this answer").check()
    learner.get_by_role("button", name="Send evaluation").click()
    learner.wait_for_url("**/certificates/*")
    expect(learner.locator(".govuk-notification-banner")).to_contain_text("Your certificate is ready")
    axe(learner)

    trainer = open_as("tess@example.org")
    trainer.goto(f"/manage/sessions/{session_id}/register")
    trainer.get_by_role("link", name="Evaluations of this session").click()
    trainer.wait_for_url(f"**/manage/sessions/{session_id}/evaluations")
    expect(trainer.get_by_role("img", name="Evaluation results, 1 response")).to_be_visible()
    expect(trainer.get_by_text("Write up concerns the same day.")).to_be_visible()
    axe(trainer)
    trainer.goto("/evaluations")
    expect(trainer.get_by_role("link", name="Child protection in practice")).to_be_visible()
    axe(trainer)
    trainer.get_by_role("link", name="Child protection in practice").click()
    expect(trainer.get_by_role("heading", name="Evaluations: Child protection in practice")).to_be_visible()
    axe(trainer)
