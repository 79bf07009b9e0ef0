"""Browser tests: the real app served on a local port, driven by Playwright in the
system's Chromium, with axe-core checking every page visited.

Chromium comes from the operating system (Debian's `chromium` package): Playwright's own
browser downloads are not used. Without Chromium these tests are skipped, unless
REQUIRE_BROWSER=1 (as in CI), where a missing browser is a failure.
"""
from __future__ import annotations

import json
import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests import factories

ROOT = Path(__file__).resolve().parents[2]
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def _chromium() -> str | None:
    return os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def chromium_path():
    path = _chromium()
    if path is None:
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail("Chromium is required (REQUIRE_BROWSER=1) but was not found")
        pytest.skip("Chromium is not installed: apt-get install chromium")
    return path


@pytest.fixture(scope="session")
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture()
def page(browser, live_server, app):
    # axe-core is injected as a script, which the app's strict CSP would refuse: the
    # browser context bypasses CSP for that injection only in tests.
    context = browser.new_context(base_url=live_server, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture()
def open_as(browser, live_server):
    """A separate browser (cookies and all) signed in as each person."""
    contexts = []

    def open_page(email):
        context = browser.new_context(base_url=live_server, bypass_csp=True)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        sign_in(page, email)
        return page

    yield open_page
    for context in contexts:
        context.close()


def sign_in(page, email: str) -> None:
    """Sign in through the real form with the factories' password, landing on the home page."""
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(email)
    page.locator("#password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: url.endswith("/"))


def answer_quiz_correctly(page) -> None:
    """On a quiz page, tick the right answers of the one attempt in the database (in the
    order it shuffled them) and submit."""
    from lms.elearning.models import QuizAttempt
    from lms.extensions import db

    db.session.expire_all()
    attempt = db.session.query(QuizAttempt).one()
    questions = {q["id"]: q for q in attempt.enrolment.version.questions}
    for item in attempt.layout:
        question = questions[item["question"]]
        for answer in question["answers"]:
            page.locator(f'input[name="q-{question["id"]}"][value="{answer}"]').check()
    page.get_by_role("button", name="Submit answers").click()


class AxeViolations(AssertionError):
    pass


def check_accessibility(page) -> None:
    """Run axe-core on the current page; fail with a readable list of violations."""
    if not AXE_JS.exists():
        raise AssertionError(f"axe-core is not installed at {AXE_JS}: run npm ci")
    page.add_script_tag(path=str(AXE_JS))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
    )
    violations = result["violations"]
    if violations:
        lines = [f"{page.url}:"]
        for violation in violations:
            targets = [node["target"] for node in violation["nodes"]][:5]
            lines.append(f"  {violation['id']} ({violation['impact']}): {violation['help']} -> {json.dumps(targets)}")
        raise AxeViolations("\n".join(lines))


@pytest.fixture()
def axe():
    return check_accessibility
