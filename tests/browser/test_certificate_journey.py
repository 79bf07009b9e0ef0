"""Certificates in a real browser: the holder lists and opens theirs, anyone checks the
code, an admin revokes it, and the trainer issues a session's. axe-core checks each page."""
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from lms.bookings import services as bookings
from lms.bookings.registers import services as registers
from lms.certificates import services
from lms.core.time import utcnow
from lms.extensions import db
from lms.records import services as records
from tests import factories
from tests.bookings.conftest import make_course_row, make_session_row

pytestmark = pytest.mark.browser


def test_list_check_revoke_and_issue_for_a_session(open_as, page, axe):
    school = factories.organisation("Brook Lane Primary")
    ana = factories.user("ana@example.org", full_name="Ana Adeyemi", organisation=school)
    factories.user("ada@example.org", full_name="Ada Admin", admin=True)
    tess = factories.user("tess@example.org", full_name="Tess Trainer", trainer=True)
    course = make_course_row("SGE", mode="elearning", title="Safeguarding Everyone", hours="1.5")
    completion, _ = records.record_completion(
        ana, title=course.title, delivery_mode="elearning", on=date(2026, 11, 23), hours=course.cpd_hours,
        source="elearning", source_ref="enrolment:1", course=course, now=utcnow(),
    )
    certificate = services.live_certificate(completion.id)
    # A session that ended yesterday, with Ana marked as attending.
    started = utcnow().replace(microsecond=0) - timedelta(days=1)
    session = make_session_row(make_course_row("CP-F2F", title="Child protection in practice"), starts_at=started,
                               signup_closes_at=started - timedelta(days=2), trainers=[tess])
    booking = bookings.book(session, ana, actor=ana, now=started - timedelta(days=3))
    registers.mark(booking, "attended", actor=tess, now=started + timedelta(hours=4))
    db.session.commit()
    code, display, session_id = certificate.code, certificate.display_code, session.id

    holder = open_as("ana@example.org")
    holder.goto("/certificates")
    axe(holder)
    holder.get_by_role("link", name="Safeguarding Everyone", exact=True).click()
    holder.wait_for_url(f"**/certificates/{code}")
    expect(holder.get_by_text(display).first).to_be_visible()
    axe(holder)

    # Anyone checks the code, typed in lower case, without signing in.
    page.goto("/verify")
    axe(page)
    page.get_by_label("Certificate code").fill(code.lower())
    page.get_by_role("button", name="Check certificate").click()
    page.wait_for_url(f"**/verify/{display}")
    expect(page.get_by_role("heading", name="Valid certificate")).to_be_visible()
    axe(page)
    page.goto("/verify?code=ABC")
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    axe(page)

    # An admin revokes it; the check then says so.
    ada = open_as("ada@example.org")
    ada.goto("/admin/certificates")
    axe(ada)
    ada.goto(f"/certificates/{code}")
    ada.get_by_role("link", name="Revoke this certificate").click()
    ada.wait_for_url(f"**/certificates/{code}/revoke")
    axe(ada)
    ada.get_by_role("button", name="Revoke certificate").click()
    expect(ada.locator(".govuk-error-summary")).to_contain_text("Enter the reason")
    axe(ada)
    ada.get_by_label("Why is the certificate revoked?").fill("Issued in error")
    ada.get_by_role("button", name="Revoke certificate").click()
    ada.wait_for_url(f"**/certificates/{code}")
    expect(ada.locator(".govuk-notification-banner")).to_contain_text("revoked")
    page.goto(f"/verify/{display}")
    expect(page.get_by_role("heading", name="Revoked certificate")).to_be_visible()
    axe(page)

    # The trainer issues the session's certificates from the register.
    trainer = open_as("tess@example.org")
    trainer.goto(f"/manage/sessions/{session_id}/register")
    trainer.get_by_role("link", name="Certificates for this session").click()
    trainer.wait_for_url(f"**/manage/sessions/{session_id}/certificates")
    axe(trainer)
    trainer.get_by_role("button", name="Issue 1 certificate").click()
    expect(trainer.locator(".govuk-notification-banner")).to_contain_text("1 certificate issued and emailed")
    expect(trainer.get_by_role("link", name="Download all 1 certificate (ZIP of PDFs)")).to_be_visible()
    axe(trainer)
