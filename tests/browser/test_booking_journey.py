"""Booking in a real browser: one person books the last place, a second joins the waiting
list, the first cancels, the second accepts the place offered, and the trainer marks the
register. axe-core checks every kind of page on the way."""
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from lms.bookings.models import Booking, TrainingSession
from lms.core.time import utcnow
from lms.extensions import db
from lms.records.models import Completion
from tests import factories
from tests.bookings.conftest import make_course_row, make_session_row

pytestmark = pytest.mark.browser


def test_book_wait_cancel_accept_and_mark_the_register(open_as, axe):
    start = utcnow().replace(microsecond=0) + timedelta(days=14)
    course = make_course_row("CP-F2F", title="Child protection in practice", hours="3")
    school = factories.organisation("Brook Lane Primary")
    factories.user("ana@example.org", full_name="Ana Adeyemi", organisation=school)
    factories.user("ben@example.org", full_name="Ben Burrows", organisation=school)
    trainer = factories.user("tess@example.org", full_name="Tess Trainer", trainer=True)
    session = make_session_row(course, starts_at=start, capacity=1, trainers=[trainer])
    db.session.commit()
    session_id = session.id

    # Ana finds the session and takes its only place.
    ana = open_as("ana@example.org")
    ana.get_by_role("link", name="Sessions").first.click()
    ana.wait_for_url("**/sessions")
    axe(ana)
    ana.locator(f'a[href="/sessions/{session_id}"]').first.click()
    ana.wait_for_url(f"**/sessions/{session_id}")
    axe(ana)
    ana.get_by_role("button", name="Book a place").click()
    ana.wait_for_url(f"**/sessions/{session_id}")
    expect(ana.get_by_text("You have a place on this session")).to_be_visible()
    axe(ana)

    # Ben finds it full and joins the waiting list.
    ben = open_as("ben@example.org")
    ben.goto(f"/sessions/{session_id}")
    ben.get_by_role("button", name="Join the waiting list").click()
    ben.wait_for_url(f"**/sessions/{session_id}")
    expect(ben.get_by_text("You are number 1 on the waiting list")).to_be_visible()
    axe(ben)

    # Ana cannot come after all.
    ana.get_by_role("link", name="Cancel your booking").click()
    ana.wait_for_url("**/cancel")
    axe(ana)
    ana.get_by_role("button", name="Cancel booking").click()
    ana.wait_for_url(lambda url: not url.endswith("/cancel"))
    axe(ana)

    # The place is offered to Ben, who accepts it from his bookings.
    ben.get_by_role("link", name="Sessions").first.click()
    ben.goto("/bookings")
    axe(ben)
    ben.goto(f"/sessions/{session_id}")
    ben.get_by_role("button", name="Accept the place").click()
    ben.wait_for_url(lambda url: "/sessions/" in url or "/bookings/" in url)
    db.session.expire_all()
    statuses = dict(db.session.execute(
        select(Booking.user_id, Booking.status).where(Booking.session_id == session_id)
    ).all())
    assert sorted(statuses.values()) == ["booked", "cancelled"]
    axe(ben)

    # The session has happened; the trainer marks Ben as attended.
    row = db.session.get(TrainingSession, session_id)
    row.starts_at = utcnow() - timedelta(hours=3)
    row.ends_at = utcnow() - timedelta(minutes=5)
    row.signup_closes_at = utcnow() - timedelta(days=1)
    db.session.commit()

    tess = open_as("tess@example.org")
    tess.get_by_role("link", name="Manage sessions").click()
    tess.wait_for_url("**/manage/sessions")
    axe(tess)
    tess.goto(f"/manage/sessions/{session_id}")
    axe(tess)
    tess.get_by_role("link", name="Register").first.click()
    tess.wait_for_url("**/register")
    axe(tess)
    tess.get_by_label("Attendance for Ben Burrows").select_option("attended")
    tess.get_by_role("button", name="Save the register").click()
    tess.wait_for_url("**/register")
    axe(tess)

    db.session.expire_all()
    completion = db.session.scalar(select(Completion).where(Completion.source == "attendance"))
    assert completion is not None
    assert completion.user.full_name == "Ben Burrows" and completion.title == "Child protection in practice"


def test_an_admin_sets_charges_from_a_date_and_reads_the_report(open_as, axe):
    """The rates form with its "apply from" date, the changes list and the report, in a
    browser, with axe-core on each page."""
    factories.user("ada@example.org", full_name="Ada Admin", admin=True)
    db.session.commit()
    ada = open_as("ada@example.org")
    ada.goto("/admin/charges/")
    axe(ada)
    ada.get_by_label("No-show charge for Primary school").fill("40")
    ada.get_by_label("Late cancellation charge for Primary school").fill("20")
    ada.get_by_label("Day", exact=True).fill("1")
    ada.get_by_label("Month", exact=True).fill("4")
    ada.get_by_label("Year", exact=True).fill("2030")
    ada.get_by_role("button", name="Save charges").click()
    ada.wait_for_url("**/admin/charges/")
    # The form posts back to the page it is on, so wait for the result rather than the address.
    expect(ada.locator(".govuk-notification-banner")).to_contain_text("for sessions from 1 April 2030")
    changes = ada.locator("#changes-table").inner_text()
    assert "1 April 2030" in changes and "Not yet" in changes and "£40.00" in changes
    assert ada.get_by_label("No-show charge for Primary school").input_value() == "0.00"  # today's
    axe(ada)
    ada.get_by_role("link", name="See the charges report").click()
    ada.wait_for_url("**/admin/charges/report")
    axe(ada)


def test_an_admin_adds_a_course_run_on_dates(open_as, axe):
    """The course form and list in a browser, with axe-core on each page."""
    factories.user("ada@example.org", full_name="Ada Admin", admin=True)
    db.session.commit()
    ada = open_as("ada@example.org")
    ada.goto("/admin/courses/")
    axe(ada)
    ada.get_by_role("link", name="Add a course").click()
    ada.wait_for_url("**/admin/courses/new")
    axe(ada)
    ada.get_by_role("button", name="Save course").click()  # nothing filled in
    expect(ada.locator(".govuk-error-summary")).to_contain_text("There is a problem")
    axe(ada)
    ada.get_by_label("Course code").fill("SR-REFRESH")
    ada.get_by_label("Title").fill("Safer recruitment refresher")
    ada.get_by_label("Summary").fill("Three hours for panel members trained more than three years ago.")
    ada.get_by_label("Face-to-face").check()
    ada.get_by_label("CPD hours").fill("3")
    ada.get_by_label("Level 2: Practitioner").check()
    ada.get_by_label("Safer recruitment training").check()
    ada.get_by_role("button", name="Save course").click()
    ada.wait_for_url("**/admin/courses/")
    assert "Course SR-REFRESH added" in ada.content()
    axe(ada)
