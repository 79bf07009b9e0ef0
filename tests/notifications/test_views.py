"""/account/emails: what was sent to me, and only to me."""
from __future__ import annotations

import base64
import re
from datetime import datetime, timedelta, timezone

import pytest
from flask import url_for
from sqlalchemy import event, update

from lms import create_app
from lms.extensions import db
from lms.notifications.backends import EMAIL_PAGE_PATH
from lms.notifications.jobs import prune_sent_emails
from lms.notifications.models import OutboundEmail
from lms.notifications.services import queue_email
from lms.notifications.views import PAGE_SIZE
from lms.notifications.views import bp as notifications_bp
from tests import factories

SUMMER = datetime(2026, 7, 1, 12, 0, tzinfo=timezone.utc)  # 1pm in London (BST)


@pytest.fixture(scope="module")
def web(app):
    """The app with the notifications blueprint (a second app on the same database until
    create_app registers the blueprint itself)."""
    if "notifications" in app.blueprints:
        yield app
        return
    other = create_app("testing", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"], WTF_CSRF_ENABLED=False)
    other.register_blueprint(notifications_bp)
    yield other
    with other.app_context():
        db.engine.dispose()


def signed_in(web, person):
    return factories.signed_in_client(web, person)


def email_for(person, subject, *, created_at=SUMMER, **options) -> OutboundEmail:
    email = queue_email(person.email, subject, options.pop("body_text", f"Text of {subject}."), now=created_at,
                        user=person, **options)
    db.session.flush()
    return email


def subjects_on(html: str) -> list[str]:
    return re.findall(r'<a class="govuk-link" href="/account/emails/\d+">([^<]+)</a>', html)


def test_needs_sign_in(web):
    response = web.test_client().get("/account/emails")
    assert response.status_code == 302
    assert "/sign-in" in response.headers["Location"]


def test_lists_only_my_emails_newest_first_in_london_time(web):
    me, someone_else = factories.user(), factories.user()
    email_for(me, "Confirm your email address", category="account")
    reminder = email_for(me, "Your training is due soon", created_at=SUMMER + timedelta(days=1), category="reminder")
    failed = email_for(me, "Booking confirmed", created_at=SUMMER + timedelta(days=2), category="booking")
    email_for(someone_else, "Someone else's reminder")
    db.session.execute(update(OutboundEmail).where(OutboundEmail.id == reminder.id)
                       .values(sent_at=SUMMER + timedelta(days=1, minutes=1)))
    db.session.execute(update(OutboundEmail).where(OutboundEmail.id == failed.id)
                       .values(failed_at=SUMMER + timedelta(days=2, hours=5), attempts=8))
    db.session.commit()

    response = signed_in(web, me).get("/account/emails")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert subjects_on(html) == ["Booking confirmed", "Your training is due soon", "Confirm your email address"]
    assert "Someone else" not in html
    assert "<h1 class=\"govuk-heading-l\">Emails we have sent you</h1>" in html
    # Status in words, not just colour; times in London (BST in July).
    for word in ("Sent", "Queued", "Failed"):
        assert re.search(rf"govuk-tag[^\"]*\">\s*{word}\s*<", html), word
    assert "2 July 2026 at 1:01pm" in html  # sent
    assert "1 July 2026 at 1pm" in html  # queued
    assert "Training reminders" in html and "Your account" in html and "Bookings" in html


def test_nothing_sent_yet(web):
    response = signed_in(web, factories.user()).get("/account/emails")
    assert "We have not sent you any emails yet." in response.get_data(as_text=True)


def test_pages_through_many_emails(web):
    me = factories.user()
    for number in range(PAGE_SIZE + 3):
        email_for(me, f"Reminder {number:02d}", created_at=SUMMER + timedelta(minutes=number))
    db.session.commit()
    client = signed_in(web, me)
    first = client.get("/account/emails").get_data(as_text=True)
    assert len(subjects_on(first)) == PAGE_SIZE
    assert subjects_on(first)[0] == f"Reminder {PAGE_SIZE + 2:02d}"
    assert 'href="/account/emails?page=2"' in first
    second = client.get("/account/emails?page=2").get_data(as_text=True)
    assert subjects_on(second) == ["Reminder 02", "Reminder 01", "Reminder 00"]
    assert "(page 2 of 2)" in second
    assert client.get("/account/emails?page=3").status_code == 404
    assert client.get("/account/emails?page=0").status_code == 404


def statements_for(web, client, path: str) -> list[str]:
    """The SQL statements `web` runs to answer GET `path`."""
    with web.app_context():
        engine = db.engine
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return statements


def test_list_queries_do_not_grow_with_rows(web):
    few, many = factories.user(), factories.user()
    for number in range(2):
        email_for(few, f"Few {number}")
    for number in range(PAGE_SIZE):
        email_for(many, f"Many {number}")
    db.session.commit()
    counts = []
    for person in (few, many):
        client = signed_in(web, person)
        client.get("/account/emails")  # warm up
        counts.append(len(statements_for(web, client, "/account/emails")))
    assert counts[0] == counts[1]


def test_shows_one_email_with_its_text_and_attachments(web):
    me = factories.user()
    pdf = b"%PDF-1.4 certificate"
    email = email_for(me, "Your certificate", body_text="Dear Ada,\n\nWell done.\nYour certificate is attached.",
                      category="certificate",
                      attachments=[{"filename": "certificate.pdf", "content_type": "application/pdf",
                                    "content": base64.b64encode(pdf).decode()}])
    db.session.commit()
    client = signed_in(web, me)
    html = client.get(f"/account/emails/{email.id}").get_data(as_text=True)
    assert "Your certificate" in html
    assert '<p class="govuk-body">Well done.<br>Your certificate is attached.</p>' in html
    assert "It will be sent shortly." in html
    link = f"/account/emails/{email.id}/attachments/1"
    assert f'href="{link}"' in html and "Download certificate.pdf" in html

    download = client.get(link)
    assert download.status_code == 200
    assert download.data == pdf
    assert download.mimetype == "application/pdf"
    assert download.headers["Content-Disposition"] == "attachment; filename=certificate.pdf"
    assert download.headers["Cache-Control"] == "no-store"
    assert client.get(f"/account/emails/{email.id}/attachments/2").status_code == 404


def test_account_emails_do_not_show_their_links(web):
    me = factories.user()
    email = email_for(me, "Reset your password", body_text="Use this link: http://localhost/reset-password/SECRET",
                      category="account")
    db.session.commit()
    html = signed_in(web, me).get(f"/account/emails/{email.id}").get_data(as_text=True)
    assert "SECRET" not in html
    assert "we do not show emails about signing in or passwords here" in html


def test_someone_elses_email_is_not_found(web):
    me, other = factories.user(), factories.user()
    theirs = email_for(other, "Their booking", attachments=[
        {"filename": "a.txt", "content_type": "text/plain", "content": base64.b64encode(b"private").decode()}])
    no_one = queue_email("public@example.org", "Public event", "Hello", now=SUMMER)
    db.session.commit()
    client = signed_in(web, me)
    for email_id in (theirs.id, no_one.id, 999999):
        assert client.get(f"/account/emails/{email_id}").status_code == 404
    assert client.get(f"/account/emails/{theirs.id}/attachments/1").status_code == 404
    # An admin sees only their own emails here too.
    admin_client = signed_in(web, factories.user(admin=True))
    assert admin_client.get(f"/account/emails/{theirs.id}").status_code == 404


def test_failed_and_retrying_emails_say_so(web):
    me = factories.user()
    failed = email_for(me, "Gave up")
    retrying = email_for(me, "Trying again")
    db.session.execute(update(OutboundEmail).where(OutboundEmail.id == failed.id).values(failed_at=SUMMER, attempts=8))
    db.session.execute(update(OutboundEmail).where(OutboundEmail.id == retrying.id)
                       .values(attempts=1, send_after=SUMMER + timedelta(minutes=2)))
    db.session.commit()
    client = signed_in(web, me)
    assert "We could not send this email." in client.get(f"/account/emails/{failed.id}").get_data(as_text=True)
    html = client.get(f"/account/emails/{retrying.id}").get_data(as_text=True)
    assert "We will try again after 1 July 2026 at 1:02pm." in html


def test_an_email_whose_content_has_gone_is_listed_and_says_so(web, monkeypatch):
    """After the retention period the nightly prune clears an email's text and
    attachments: the list still shows it, and its page says plainly why there is no text."""
    me = factories.user()
    certificate = email_for(me, "Your certificate", category="certificate",
                            body_text="Dear Ada,\n\nYour certificate is attached.",
                            attachments=[{"filename": "certificate.pdf", "content_type": "application/pdf",
                                          "content": base64.b64encode(b"%PDF-1.4").decode()}])
    password = email_for(me, "Reset your password", category="account", body_text="Link: /reset-password/SECRET")
    recent = email_for(me, "Your booking", created_at=SUMMER + timedelta(days=300))
    sent = {certificate.id: SUMMER, password.id: SUMMER, recent.id: SUMMER + timedelta(days=300)}
    for email_id, sent_at in sent.items():
        db.session.execute(update(OutboundEmail).where(OutboundEmail.id == email_id).values(sent_at=sent_at))
    db.session.commit()
    assert prune_sent_emails(now=SUMMER + timedelta(days=365))["sent emails pruned"] == 2

    client = signed_in(web, me)
    listing = client.get("/account/emails").get_data(as_text=True)
    assert subjects_on(listing) == ["Your booking", "Reset your password", "Your certificate"]
    assert "1 July 2026 at 1pm" in listing  # when it was sent, still shown

    html = client.get(f"/account/emails/{certificate.id}").get_data(as_text=True)
    assert "Your certificate" in html and "Certificates" in html and me.email in html
    assert ("The content of this email is no longer kept. We keep what an email says, and any attachments, "
            "for 180 days after we send it (or stop trying to), then delete them.") in html
    assert "Your certificate is attached." not in html
    assert "Download certificate.pdf" not in html and "<h2 class=\"govuk-heading-m\">Attachments</h2>" not in html
    assert client.get(f"/account/emails/{certificate.id}/attachments/1").status_code == 404
    # An account email's page says the same: there is nothing to hold back any more.
    html = client.get(f"/account/emails/{password.id}").get_data(as_text=True)
    assert "The content of this email is no longer kept." in html and "SECRET" not in html
    # One not yet old enough shows its text as before.
    html = client.get(f"/account/emails/{recent.id}").get_data(as_text=True)
    assert "Text of Your booking." in html and "no longer kept" not in html

    # The page says the period that is set.
    monkeypatch.setitem(web.config, "EMAIL_BODY_RETENTION_DAYS", 1)
    html = client.get(f"/account/emails/{certificate.id}").get_data(as_text=True)
    assert "for 1 day after we send it" in html


def test_the_privacy_notice_gives_the_period_emails_are_kept(app, client, monkeypatch):
    html = client.get("/privacy").get_data(as_text=True)
    assert re.search(r"What the emails we send you say, and their attachments</td>\s*"
                     r'<td class="govuk-table__cell" data-label="Kept">180 days after we send them</td>', html)
    monkeypatch.setitem(app.config, "EMAIL_BODY_RETENTION_DAYS", 90)
    assert ">90 days after we send them<" in client.get("/privacy").get_data(as_text=True)


def test_the_link_in_notify_emails_is_this_page(web):
    with web.test_request_context():
        assert url_for("notifications.email", email_id=42) == EMAIL_PAGE_PATH.format(id=42)
