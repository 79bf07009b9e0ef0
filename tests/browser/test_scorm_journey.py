"""A SCORM 1.2 package in Chromium: an admin uploads our small course (two pages and a
question), a learner plays it, leaves half-way, comes back to the same page and passes,
giving one completion and one certificate; axe checks the upload and player pages. A
package that tries to read the session cookie and call our pages as the learner fails."""
import time

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from lms.certificates.models import Certificate
from lms.elearning.models import Enrolment
from lms.elearning.scorm.models import ScormAttempt, ScormPackage
from lms.extensions import db
from lms.records.models import Completion
from tests import factories
from tests.browser.fixtures import sign_in
from tests.elearning.scorm import builder
from tests.elearning.scorm.conftest import upload

pytestmark = pytest.mark.browser


@pytest.fixture()
def scorm_dir(app, tmp_path, monkeypatch):
    folder = tmp_path / "scorm"
    monkeypatch.setitem(app.config, "SCORM_STORAGE_DIR", str(folder))
    return folder


def saved_attempt(check, timeout: float = 10.0) -> ScormAttempt:
    """Wait until the learner's attempt in the database satisfies `check`."""
    deadline = time.monotonic() + timeout
    while True:
        db.session.expire_all()
        attempt = db.session.scalar(select(ScormAttempt))
        if attempt is not None and check(attempt):
            return attempt
        if time.monotonic() > deadline:
            raise AssertionError(f"the attempt was not saved as expected: {attempt and vars(attempt)}")
        time.sleep(0.1)


def test_upload_play_leave_resume_and_pass(page, axe, scorm_dir, tmp_path, browser, live_server):
    factories.user("admin@example.org", full_name="Ada Admin", admin=True)
    factories.user("learner@example.org", full_name="Lee Learner", organisation=factories.organisation("Brook Lane"))
    db.session.commit()
    zip_path = tmp_path / "spotting-the-signs.zip"
    zip_path.write_bytes(builder.course_package(mastery=80))

    sign_in(page, "admin@example.org")
    page.goto("/admin/e-learning/packages")
    axe(page)
    page.get_by_label("SCORM 1.2 package").set_input_files(str(zip_path))
    page.get_by_label("Course code").fill("SIGNS")
    page.get_by_label("Course title").fill("Spotting the signs")
    page.get_by_label("Summary").fill("Noticing and passing on a worry about a child.")
    page.get_by_label("CPD hours").fill("1.5")
    page.get_by_role("button", name="Upload package").click()
    expect(page.get_by_text("Uploaded Spotting the signs: version 1 of SIGNS")).to_be_visible()
    axe(page)

    learner = page.context.browser.new_context(base_url=live_server)
    player = learner.new_page()
    player.set_default_timeout(10_000)
    sign_in(player, "learner@example.org")
    player.goto("/courses/SIGNS")
    player.get_by_role("button", name="Start this course").click()
    player.wait_for_url("**/player")
    assert player.title().startswith("Spotting the signs")
    content = player.frame_locator("#scorm-frame")
    expect(content.get_by_role("heading", name="Noticing a worry")).to_be_visible()
    content.get_by_role("button", name="Next page").click()
    expect(content.get_by_role("heading", name="Passing it on")).to_be_visible()
    attempt = saved_attempt(lambda a: a.lesson_location == "page-2")
    assert attempt.lesson_status == "incomplete" and attempt.suspend_data == '{"seen":"page-2"}'
    expect(player.locator("#scorm-message")).to_have_text("Your progress is saved.")

    # Leave half-way, then come back from My learning.
    player.get_by_role("link", name="Save and exit").click()
    player.wait_for_url("**/learning")
    expect(player.get_by_text("Part-way through")).to_be_visible()
    player.get_by_role("link", name="Spotting the signs").click()
    player.wait_for_url("**/player")
    content = player.frame_locator("#scorm-frame")
    expect(content.get_by_role("heading", name="Passing it on")).to_be_visible()
    expect(content.get_by_role("heading", name="Noticing a worry")).to_be_hidden()
    learner_page_axe(player, axe)

    content.get_by_role("button", name="Go to the question").click()
    content.get_by_label("The designated safeguarding lead").check()
    content.get_by_role("button", name="Submit answer").click()
    expect(content.get_by_text("Right: you have finished.")).to_be_visible()
    expect(player.locator("#scorm-message")).to_have_text(
        "Course complete. It is in your training record, and your certificate is ready.")
    attempt = saved_attempt(lambda a: a.lesson_status == "passed")
    assert attempt.score_raw == 100

    db.session.expire_all()
    assert db.session.scalar(select(func.count(Completion.id))) == 1
    assert db.session.scalar(select(func.count(Certificate.id))) == 1
    assert db.session.scalar(select(Enrolment.status)) == "completed"
    player.goto("/learning")
    completed = player.locator("table").last.inner_text()
    assert "Spotting the signs" in completed and "100%" in completed
    learner.close()


def learner_page_axe(player, axe):
    """axe on the player page (the learner's own context enforces the CSP, so axe is added
    through a context that bypasses it, on the same page address)."""
    url = player.url
    context = player.context.browser.new_context(base_url=url.split("/learning")[0], bypass_csp=True,
                                                 storage_state=player.context.storage_state())
    try:
        page = context.new_page()
        page.goto(url)
        expect(page.frame_locator("#scorm-frame").get_by_role("heading", name="Passing it on")).to_be_visible()
        axe(page)
    finally:
        context.close()


def test_a_package_cannot_read_the_session_cookie_or_call_our_pages(browser, live_server, app, scorm_dir):
    admin = factories.user("admin@example.org", admin=True)
    factories.user("learner@example.org", full_name="Lee Learner")
    db.session.commit()
    client = app.test_client()
    factories.sign_in_directly(client, admin)
    assert upload(client, builder.snoop_package(), code="SNOOP", title="Snoop").status_code == 302
    package = db.session.scalar(select(ScormPackage))

    context = browser.new_context(base_url=live_server)  # the real policies, nothing bypassed
    try:
        player = context.new_page()
        player.set_default_timeout(10_000)
        sign_in(player, "learner@example.org")
        session = [c for c in context.cookies() if c["name"] == app.config["SESSION_COOKIE_NAME"]]
        assert session, "the learner is signed in with a session cookie"
        player.goto("/courses/SNOOP")
        player.get_by_role("button", name="Start this course").click()
        player.wait_for_url("**/player")
        expect(player.frame_locator("#scorm-frame").locator("#result")).to_have_text("reported")
        attempt = saved_attempt(lambda a: a.lesson_location.startswith("cookie="))
        assert attempt.lesson_location == "cookie=blocked;fetch=blocked", attempt.lesson_location
        assert session[0]["value"] not in attempt.lesson_location

        frame = next(f for f in player.frames if package.storage_key in f.url)
        assert frame.evaluate("() => { try { return document.cookie; } catch (e) { return e.name; } }") == "SecurityError"
        assert frame.evaluate("() => { try { return window.parent.document.title; } catch (e) { return e.name; } }") \
            == "SecurityError"
        # Opened on its own, the file is still sandboxed by its policy.
        alone = context.new_page()
        alone.goto(f"/scorm-files/{package.storage_key}/snoop.html")
        assert alone.evaluate("() => { try { return document.cookie; } catch (e) { return e.name; } }") == "SecurityError"
    finally:
        context.close()


def test_the_upload_and_player_pages_reflow_at_320_pixels(browser, live_server, app, scorm_dir):
    admin = factories.user("admin@example.org", admin=True)
    factories.user("learner@example.org", full_name="Lee Learner")
    db.session.commit()
    client = app.test_client()
    factories.sign_in_directly(client, admin)
    assert upload(client, builder.course_package()).status_code == 302

    for email, path in (("admin@example.org", "/admin/e-learning/packages"), ("learner@example.org", None)):
        context = browser.new_context(base_url=live_server, viewport={"width": 320, "height": 700})
        try:
            page = context.new_page()
            page.set_default_timeout(10_000)
            sign_in(page, email)
            if path:
                page.goto(path)
            else:
                page.goto("/courses/SIGNS")
                page.get_by_role("button", name="Start this course").click()
                page.wait_for_url("**/player")
                expect(page.frame_locator("#scorm-frame").get_by_role("heading", name="Noticing a worry")).to_be_visible()
            width, scroll_width = page.evaluate("[window.innerWidth, document.documentElement.scrollWidth]")
            assert scroll_width <= width, f"{page.url} scrolls sideways at {width}px: {scroll_width}px wide"
        finally:
            context.close()


def test_only_the_package_frame_speaks_to_the_runtime(page, live_server, app, scorm_dir):
    admin = factories.user("admin@example.org", admin=True)
    factories.user("learner@example.org", full_name="Lee Learner")
    db.session.commit()
    client = app.test_client()
    factories.sign_in_directly(client, admin)
    assert upload(client, builder.course_package()).status_code == 302
    sign_in(page, "learner@example.org")
    page.goto("/courses/SIGNS")
    page.get_by_role("button", name="Start this course").click()
    page.wait_for_url("**/player")
    expect(page.frame_locator("#scorm-frame").get_by_role("heading", name="Noticing a worry")).to_be_visible()
    # A message from the page itself (not the frame) asking the runtime to pass the learner.
    page.evaluate("""() => {
        window.postMessage({messageId: "x1", method: "LMSSetValue", params: ["cmi.core.lesson_status", "passed"]}, "*");
        window.postMessage({messageId: "x2", method: "LMSCommit", params: [""]}, "*");
    }""")
    page.wait_for_timeout(1000)
    assert page.evaluate("() => window.API.cmi.core.lesson_status") == "incomplete"
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Completion.id))) == 0
