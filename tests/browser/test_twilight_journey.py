"""The DSL network twilights in a real browser: a DSL books the year in one step, a teaching
assistant is told why they cannot, an admin reads the term's report, and a trainer marks a
register of a hundred DSLs at 320 pixels (a phone) and at 1280 (a laptop): everyone booked
as attended, then the exceptions found by typing a name. axe-core checks each page, and
no page scrolls sideways."""
from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from lms.bookings import services as bookings
from lms.bookings.models import Booking
from lms.core.time import utcnow
from lms.extensions import db
from lms.programmes.twilights import services as twilights
from tests import factories
from tests.programmes.twilights.conftest import (admin, assistant, borough, dsl, series, term,  # noqa: F401
                                                 trainer, twilight_course)
from tests.browser.fixtures import sign_in
from tests.conftest import NOW

pytestmark = pytest.mark.browser


def no_sideways_scroll(page) -> None:
    width, scroll_width = page.evaluate("[window.innerWidth, document.documentElement.scrollWidth]")
    assert scroll_width <= width, f"{page.url} scrolls sideways at {width}px ({scroll_width}px wide)"


def test_a_dsl_books_the_year_and_a_teaching_assistant_is_told_why_not(open_as, axe, series, dsl, assistant):
    db.session.commit()
    dee = open_as(dsl.email)
    dee.goto("/twilights")
    axe(dee)
    dee.get_by_role("link", name="DSL network twilights 2026-27").click()
    axe(dee)
    dee.get_by_role("button", name="Book the year in North").click()
    expect(dee.locator(".govuk-notification-banner")).to_contain_text("Autumn 2026: booked (North, 8 December 2026)")
    expect(dee.locator("#mine-autumn")).to_contain_text("Booked")
    axe(dee)

    tia = open_as(assistant.email)
    tia.goto(f"/twilights/{series.id}")
    expect(tia.locator("#not-eligible")).to_contain_text("designated safeguarding leads and their deputies")
    expect(tia.get_by_role("button", name="Book the year")).to_have_count(0)
    axe(tia)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Booking).where(Booking.user_id == assistant.id)) == 0


def test_an_admin_manages_the_series_and_reads_the_report(open_as, axe, series, admin):
    db.session.commit()
    ada = open_as(admin.email)
    ada.goto(f"/manage/twilights/{series.id}")
    axe(ada)
    ada.get_by_role("link", name="Add sessions for Spring 2027").click()
    axe(ada)
    ada.goto(f"/manage/twilights/{series.id}")
    ada.get_by_role("link", name="Change the topic for Autumn 2026").click()
    axe(ada)
    ada.goto(f"/manage/twilights/terms/{term(series, 'autumn').id}/report")
    expect(ada.locator("#not-represented")).to_contain_text("Saltmere Academy")
    axe(ada)


@pytest.mark.parametrize("width", [320, 1280])
def test_a_register_of_a_hundred_on_a_phone_and_a_laptop(browser, live_server, axe, series, trainer, borough, width):
    row = twilights.term_sessions(term(series, "autumn"))[0]
    session = row.session
    people = [factories.user(full_name=f"Delegate {i:03d} Lead", organisation=borough["hosts"]["north"],
                             roles=("school-dsl",)) for i in range(99)]
    people.append(factories.user(full_name="Zara Quinn", organisation=borough["hosts"]["south"], roles=("deputy-dsl",)))
    for person in people:
        bookings.book(session, person, actor=person, now=NOW)
    # The twilight is on now.
    session.starts_at = utcnow() - timedelta(minutes=30)
    session.ends_at = utcnow() + timedelta(minutes=90)
    session.signup_closes_at = utcnow() - timedelta(hours=2)
    db.session.commit()

    context = browser.new_context(base_url=live_server, bypass_csp=True, viewport={"width": width, "height": 800})
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        sign_in(page, trainer.email)
        page.goto(f"/manage/sessions/{session.id}/register")
        expect(page.locator("#register-rows tbody tr")).to_have_count(100)
        expect(page.get_by_role("link", name="Show the QR code for checking in at the door")).to_be_visible()
        axe(page)
        no_sideways_scroll(page)

        page.get_by_role("button", name="Mark everyone booked as attended (100)").click()
        expect(page.locator(".govuk-notification-banner")).to_contain_text("100 people marked as attended")
        page.get_by_label("Find a person").fill("zara")
        page.get_by_role("button", name="Find").click()
        expect(page.locator("#register-rows tbody tr")).to_have_count(1)
        page.get_by_label("Attendance for Zara Quinn").select_option("no-show")
        page.get_by_role("button", name="Save the register").click()
        expect(page.locator(".govuk-notification-banner")).to_contain_text("Register saved: 1 person marked")
        axe(page)
        no_sideways_scroll(page)
        page.goto(f"/manage/sessions/{session.id}/check-in-code")
        axe(page)
        no_sideways_scroll(page)
    finally:
        context.close()
    db.session.expire_all()
    statuses = dict(db.session.execute(
        select(Booking.status, func.count()).where(Booking.session_id == session.id).group_by(Booking.status)).all())
    assert statuses == {"attended": 99, "no-show": 1}
