"""The partnership's own details: an admin sets them; the header, emails, privacy notice
and accessibility statement are written from them; only admins may change them."""
from __future__ import annotations

import io

import pytest
import segno
from sqlalchemy import select

from lms.audit.models import AuditEvent
from lms.extensions import db
from lms.notifications.services import queue_templated_email
from lms.partnership.models import PartnershipSettings
from tests import factories

URL = "/admin/partnership"
DETAILS = {
    "name": "Fenwick Safeguarding Children Partnership",
    "service_name": "Fenwick Safeguarding Training",
    "contact_email": "training@fenwick.example.org",
    "contact_phone": "01234 567890",
    "postal_address": "Town Hall\nFenwick\nFW1 1AA",
    "dpo_name": "Jo Bloggs, Data Protection Officer",
    "dpo_email": "dpo@fenwick.example.org",
    "ico_registration": "ZA123456",
    "signatory_name": "Sam Carter",
    "signatory_role": "Partnership Business Manager",
    "accessibility_email": "access@fenwick.example.org",
    "accessibility_checked_on": ["2", "12", "2026"],
    "accessibility_known_issues": "The calendar feed cannot be read by some screen readers\n\nSome older PDFs are not tagged",
}


def png() -> bytes:
    buffer = io.BytesIO()
    segno.make("logo").save(buffer, kind="png", scale=2)
    return buffer.getvalue()


@pytest.fixture()
def admin_client(app):
    admin = factories.user("admin@example.org", admin=True)
    db.session.commit()
    return factories.signed_in_client(app, admin)


def _save(client, **changes):
    data = {**DETAILS, **changes}
    return client.post(URL, data=data, content_type="multipart/form-data")


def test_an_admin_saves_the_details_and_the_header_and_emails_use_them(admin_client, client, now):
    assert admin_client.get(URL).status_code == 200
    saved = _save(admin_client, logo=(io.BytesIO(png()), "logo.png"))
    assert saved.status_code == 302
    row = db.session.scalar(select(PartnershipSettings))
    assert row.name == DETAILS["name"] and row.logo_type == "image/png"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "partnership.update"))
    assert event.after["name"] == DETAILS["name"] and "logo" in event.after
    start = client.get("/").get_data(as_text=True)
    assert DETAILS["name"] in start and f"– {DETAILS['service_name']}</title>" in start
    email = queue_templated_email("someone@example.org", "confirm_email", now=now, subject="Confirm",
                                  name="Someone", link="http://localhost/confirm/x")
    assert DETAILS["service_name"] in email.body_text


def test_the_privacy_notice_is_written_from_the_details(admin_client, client, app):
    _save(admin_client)
    app.config["PUBLIC_REGISTRATION_RETENTION_DAYS"] = 45
    try:
        html = client.get("/privacy").get_data(as_text=True)
    finally:
        app.config.pop("PUBLIC_REGISTRATION_RETENTION_DAYS")
    for words in (DETAILS["name"] + " is the controller", "training@fenwick.example.org", "01234 567890",
                  "Jo Bloggs, Data Protection Officer", "dpo@fenwick.example.org", "ZA123456",
                  "Public task: Article 6(1)(e)", "Consent: Article 6(1)(a)",
                  "45 days after the Week ends", "Safeguarding Week event",
                  f"{app.config['EMAIL_BODY_RETENTION_DAYS']} days after we send them",
                  f"A closed account is kept for {app.config['CLOSED_ACCOUNT_RETENTION_DAYS']} days",
                  "right of access", "ico.org.uk/make-a-complaint", "0303 123 1113"):
        assert words in html, words


def test_the_accessibility_statement_follows_the_model(admin_client, client):
    _save(admin_client)
    html = client.get("/accessibility").get_data(as_text=True)
    for words in ("access@fenwick.example.org", "Enforcement procedure", "Equality and Human Rights Commission",
                  "Equality Advisory and Support Service", "partially compliant",
                  "The calendar feed cannot be read by some screen readers", "Some older PDFs are not tagged",
                  "prepared on 2 December 2026", "Fenwick Safeguarding Training"):
        assert words in html, words


def test_with_no_known_issues_it_says_so(admin_client, client):
    _save(admin_client, accessibility_known_issues="")
    html = client.get("/accessibility").get_data(as_text=True)
    assert "fully compliant" in html and "We do not know of any part" in html


@pytest.mark.parametrize("changes, field, message", [
    ({"contact_email": "not an email"}, "contact_email", "in the correct format"),
    ({"name": ""}, "name", "Enter the partnership name"),
    ({"ico_registration": "Z" * 21}, "ico_registration", "20 characters or fewer"),
    ({"logo": (io.BytesIO(b"GIF89a not a png"), "logo.gif")}, "logo", "The logo must be a PNG or JPEG image"),
    ({"accessibility_checked_on": ["1", "1", "2099"]}, "accessibility_checked_on", "today or in the past"),
])
def test_bad_input_says_what_and_where_and_changes_nothing(admin_client, changes, field, message):
    response = _save(admin_client, **changes)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in html and f'href="#{field}' in html
    assert db.session.scalar(select(PartnershipSettings)) is None


def test_a_logo_over_200_kb_is_refused(admin_client):
    big = png() + b"\0" * (300 * 1024)
    response = _save(admin_client, logo=(io.BytesIO(big), "logo.png"))
    assert response.status_code in (400, 413)
    assert "The logo must be smaller than 200 KB" in response.get_data(as_text=True)
    assert db.session.scalar(select(PartnershipSettings)) is None


@pytest.mark.parametrize("flags", [{}, {"trainer": True}, {"lead": True}])
def test_only_admins_may_see_or_change_the_details(app, flags):
    organisation = factories.organisation()
    person = factories.user("someone@example.org", trainer=flags.get("trainer", False),
                            organisation=organisation, leads=(organisation,) if flags.get("lead") else ())
    db.session.commit()
    client = factories.signed_in_client(app, person)
    assert client.get(URL).status_code == 403
    assert _save(client).status_code == 403
    assert db.session.scalar(select(PartnershipSettings)) is None


def test_signed_out_people_are_sent_to_sign_in(client):
    assert client.get(URL).headers["Location"].startswith("/sign-in")


def test_without_saved_details_the_environment_s_are_used(client, app):
    html = client.get("/privacy").get_data(as_text=True)
    assert app.config["PARTNERSHIP_NAME"] in html and app.config["PARTNERSHIP_CONTACT_EMAIL"] in html
