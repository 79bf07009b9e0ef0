"""Reflow (WCAG 2.2 SC 1.4.10) and lesson typography in a real browser, on the demo
partnership: at 320 CSS pixels wide (and at 1280 as a control) no page scrolls sideways and
axe-core finds nothing; the tables that must stay tables (the compliance matrix, the
reports) scroll inside a focusable, named container with a visible hint instead, their
captions wrapping in view; the simple record tables stack."""
import random

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from lms.accounts.models import User
from lms.bookings.models import Booking, TrainingSession, session_trainer
from lms.catalogue import services as catalogue
from lms.catalogue.models import Course
from lms.compliance.services import rebuild_status_table
from lms.core.time import utcnow
from lms.demo.data import ADMIN, DEMO_PASSWORD, DSL, TRAINER, create_demo_data
from lms.demo.history import create_demo_history
from lms.demo.sessions import add_demo_sessions
from lms.extensions import db
from lms.notifications import services as notifications
from lms.records.models import Completion
from tests.elearning.conftest import COURSES

pytestmark = pytest.mark.browser

WIDTHS = [320, 1280]


@pytest.fixture()
def demo():
    now = utcnow()
    sources, problems = catalogue.check_course_files(COURSES)
    assert problems == []
    catalogue.sync_courses(sources, now=now)
    create_demo_data(if_empty=False, seed=2026, now=now)
    create_demo_history(seed=2026, now=now)
    add_demo_sessions(now, random.Random(2026))
    rebuild_status_table(now=now)
    db.session.commit()


@pytest.fixture()
def open_at(browser, live_server):
    """A page `width` pixels wide, signed in as `email` (or not signed in)."""
    contexts = []

    def open_page(width, email=None):
        context = browser.new_context(base_url=live_server, bypass_csp=True, viewport={"width": width, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        if email:
            page.goto("/sign-in")
            page.get_by_label("Email address").fill(email)
            page.locator("#password").fill(DEMO_PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(lambda url: url.endswith("/"))
        return page

    yield open_page
    for context in contexts:
        context.close()


def assert_no_sideways_scroll(page):
    width, scroll_width = page.evaluate("[window.innerWidth, document.documentElement.scrollWidth]")
    assert scroll_width <= width, f"{page.url} scrolls sideways at {width}px: {scroll_width}px wide"


def assert_table_scrolls_in_named_region(page):
    """Every wide table on the page is in a scroll container keyboard users can reach: focusable,
    a region with a name, and described by a visible hint."""
    containers = page.locator(".app-table-wrapper:has(table)")
    assert containers.count() > 0, page.url
    for container in containers.all():
        assert container.get_attribute("tabindex") == "0"
        assert container.get_attribute("role") == "region"
        name = page.evaluate(
            """el => el.getAttribute('aria-label')
                || (document.getElementById(el.getAttribute('aria-labelledby')) || {}).textContent || ''""",
            container.element_handle(),
        )
        assert name.strip(), f"{page.url}: a table's scroll container has no name"
        hint = page.locator("#" + container.get_attribute("aria-describedby"))
        expect(hint).to_be_visible()
        expect(hint).to_contain_text("Scroll the table sideways")
        overflow = container.evaluate("el => getComputedStyle(el).overflowX")
        assert overflow == "auto"
        # A caption shown above the table wraps within the visible part, so it is never cut off.
        for caption in container.locator("caption:not(.govuk-visually-hidden)").all():
            caption_width, visible_width = caption.evaluate(
                "el => [el.getBoundingClientRect().width, el.closest('.app-table-wrapper').clientWidth]")
            assert caption_width <= visible_width, f"{page.url}: a table's caption runs out of view"
    containers.first.focus()
    expect(containers.first).to_be_focused()


def visit(page, path, axe):
    page.goto(path)
    assert_no_sideways_scroll(page)
    axe(page)


@pytest.mark.parametrize("width", WIDTHS)
def test_pages_reflow_without_sideways_scrolling(demo, open_at, axe, width):
    visitor = open_at(width)
    visit(visitor, "/", axe)
    if width == 320:  # the service navigation folds into a menu button
        expect(visitor.get_by_role("button", name="Menu")).to_be_visible()

    lead = open_at(width, DSL[0])
    for path in ["/", "/courses", "/courses/SGE", "/sessions"]:
        visit(lead, path, axe)
    visit(lead, lead.locator("main table a[href^='/sessions/']").first.get_attribute("href"), axe)
    for path in ["/bookings", "/learning", "/my-training", "/certificates", "/sessions/calendar",
                 "/organisation/evidence-pack", "/organisation/staff"]:
        visit(lead, path, axe)

    # A lesson with a table in it (Safeguarding Everyone, lesson 3).
    lead.goto("/courses/SGE")
    lead.get_by_role("button", name="Start this course").click()
    lead.wait_for_url("**/lessons/1")
    visit(lead, lead.url.replace("/lessons/1", "/lessons/3"), axe)
    expect(lead.locator(".app-lesson table")).to_be_visible()

    lead.goto("/organisation/compliance")
    assert_no_sideways_scroll(lead)
    assert_table_scrolls_in_named_region(lead)
    axe(lead)

    admin = open_at(width, ADMIN[0])
    for path in ["/admin/", "/manage/sessions", "/admin/certificates", "/evaluations", "/admin/charges"]:
        visit(admin, path, axe)
    for path in ["/reports/uptake", "/reports/sessions"]:
        admin.goto(path)
        assert_no_sideways_scroll(admin)
        assert_table_scrolls_in_named_region(admin)
        axe(admin)


def test_record_tables_stack_at_narrow_widths(demo, open_at):
    """At 320 pixels a record table's rows become blocks, each value under its column's name;
    at 1280 it is an ordinary table."""
    narrow, wide = open_at(320, DSL[0]), open_at(1280, DSL[0])
    for page in (narrow, wide):
        page.goto("/learning")
    cell = "main table.app-table--stacked td[data-label='Completed']"
    assert narrow.locator(cell).first.evaluate("el => getComputedStyle(el).display") == "block"
    assert narrow.locator(cell).first.evaluate("el => getComputedStyle(el, '::before').display") == "block"
    assert wide.locator(cell).first.evaluate("el => getComputedStyle(el).display") == "table-cell"
    assert wide.locator(cell).first.evaluate("el => getComputedStyle(el, '::before').content") == "none"


def test_lesson_text_is_set_like_the_rest_of_the_service(demo, open_at):
    page = open_at(1280, DSL[0])
    page.goto("/sessions")
    body = page.locator("main p.govuk-body").first.evaluate(
        "el => [getComputedStyle(el).fontFamily, getComputedStyle(el).fontSize]")
    page.goto("/courses/SGE")
    page.get_by_role("button", name="Start this course").click()
    page.wait_for_url("**/lessons/1")
    page.goto(page.url.replace("/lessons/1", "/lessons/3"))
    style = """el => [getComputedStyle(el).fontFamily, getComputedStyle(el).fontSize]"""
    assert page.locator(".app-lesson p").first.evaluate(style) == body
    assert page.locator(".app-lesson li").first.evaluate(style) == body
    assert page.locator(".app-lesson h2").first.evaluate(style)[0] == body[0]
    assert "serif" not in body[0].replace("sans-serif", "")
    # Lists, links and tables take the GOV.UK styles too.
    assert page.locator(".app-lesson ul").first.evaluate("el => getComputedStyle(el).listStyleType") == "disc"
    assert page.locator(".app-lesson th").first.evaluate("el => getComputedStyle(el).fontWeight") == "700"


def _most_booked_session(trainer, *, statuses, started=None, delivery_mode=None):
    """The trainer's session with the most bookings in `statuses` (held, or not, if `started` is
    given; of one delivery mode, if given)."""
    query = (
        select(TrainingSession.id)
        .join(session_trainer, session_trainer.c.session_id == TrainingSession.id)
        .join(Booking, Booking.session_id == TrainingSession.id)
        .join(Course, Course.id == TrainingSession.course_id)
        .where(session_trainer.c.user_id == trainer.id, TrainingSession.status == "scheduled",
               Booking.status.in_(statuses))
        .group_by(TrainingSession.id)
        .order_by(func.count(Booking.id).desc(), TrainingSession.id)
        .limit(1)
    )
    if started is not None:
        query = query.where(TrainingSession.starts_at <= utcnow() if started else TrainingSession.starts_at > utcnow())
    if delivery_mode:
        query = query.where(Course.delivery_mode == delivery_mode)
    session_id = db.session.scalar(query)
    assert session_id is not None, (statuses, started, delivery_mode)
    return session_id


def test_record_tables_reflow_at_320_pixels(demo, open_at, axe):
    """The pages whose tables list people and records fit a 320-pixel screen: a trainer's
    session (with a place), its certificates and a twilight's register; a setting lead's
    external CPD to verify, a person's training record and staff page; anyone's emails."""
    trainer = db.session.scalar(select(User).where(User.email == TRAINER[0]))
    lead = db.session.scalar(select(User).where(User.email == DSL[0]))
    colleague = db.session.scalar(
        select(User.id).join(Completion, Completion.user_id == User.id)
        .where(User.organisation_id == lead.organisation_id, User.id != lead.id)
        .group_by(User.id).order_by(func.count(Completion.id).desc(), User.id).limit(1))
    # The emails a setting lead is sent (the demo sends none).
    for subject, category in [("Booking confirmed: Safeguarding Everyone, 12 March 2027", "booking"),
                              ("Your certificate for Designated Safeguarding Lead refresher", "certificate"),
                              ("Please tell us what you thought of Working Together to Safeguard Children", "evaluation")]:
        notifications.queue_email(lead.email, subject, "Details.", now=utcnow(), user=lead, category=category)
    db.session.commit()
    place = ["booked", "attended", "partly-attended", "no-show"]
    pages = {
        TRAINER[0]: [
            f"/manage/sessions/{_most_booked_session(trainer, statuses=place)}",
            f"/manage/sessions/{_most_booked_session(trainer, statuses=['attended', 'partly-attended'], started=True)}"
            "/certificates",
            f"/manage/sessions/{_most_booked_session(trainer, statuses=place, started=False, delivery_mode='twilight')}/register",
        ],
        DSL[0]: [
            "/organisation/external-cpd",
            f"/organisation/compliance/{colleague}",
            f"/organisation/staff/{colleague}",
            "/account/emails",
        ],
    }
    too_wide = []
    for email, paths in pages.items():
        page = open_at(320, email)
        for path in paths:
            page.goto(path)
            expect(page.locator("main table").first).to_be_visible()
            width, scroll_width = page.evaluate("[window.innerWidth, document.documentElement.scrollWidth]")
            if scroll_width > width:
                too_wide.append(f"{path} ({email}): {scroll_width}px")
            axe(page)
    assert too_wide == [], f"these pages scroll sideways at 320px: {too_wide}"
