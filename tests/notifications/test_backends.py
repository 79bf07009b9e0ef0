"""The email backends, each against the real thing: an SMTP server (aiosmtpd, with and
without TLS and a login) and a local HTTP server speaking GOV.UK Notify's API."""
from __future__ import annotations

import base64
import io
import shutil
import ssl
import subprocess
import uuid
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

import pytest

from lms.extensions import db
from lms.notifications.backends import (
    ConsoleBackend,
    DeliveryError,
    NotifyBackend,
    PermanentDeliveryError,
    SMTPBackend,
    build_message,
    get_backend,
)
from lms.notifications.models import OutboundEmail
from lms.notifications.services import queue_email
from tests.notifications.notify import NotifyServer
from tests.notifications.smtp import SMTPServer

PDF = b"%PDF-1.4\n% a tiny test file\n%%EOF\n"
CSV = "name,course\nAda,Safeguarding Everyone\n".encode()


def attachment(filename: str, content_type: str, content: bytes) -> dict:
    return {"filename": filename, "content_type": content_type, "content": base64.b64encode(content).decode()}


def an_email(now, **options) -> OutboundEmail:
    options.setdefault("body_html", None)
    email = queue_email(
        options.pop("to", "ada@example.org"),
        options.pop("subject", "Your certificate"),
        options.pop("body_text", "Dear Ada,\n\nYour certificate is attached.\n"),
        now=now,
        **options,
    )
    db.session.commit()
    return email


def unix(text: str) -> str:
    return text.replace("\r\n", "\n")


def smtp_backend(server: SMTPServer, **options) -> SMTPBackend:
    options.setdefault("sender", "Training <training@partnership.example>")
    return SMTPBackend(host="127.0.0.1", port=server.port, timeout=10, **options)


# --- the message itself ---------------------------------------------------------------------

def test_message_has_the_standard_headers_and_a_stable_message_id(app, now):
    email = an_email(now)
    sent_at = datetime(2026, 11, 23, 10, 5, tzinfo=timezone.utc)
    message = build_message(email, sender="Training <training@partnership.example>", now=sent_at)
    assert message["From"] == "Training <training@partnership.example>"
    assert message["To"] == "ada@example.org"
    assert message["Subject"] == "Your certificate"
    assert parsedate_to_datetime(message["Date"]) == sent_at
    assert message["Message-ID"].startswith(f"<outbox.{email.id}.")
    assert message["Message-ID"].endswith("@partnership.example>")
    assert message["Auto-Submitted"] == "auto-generated"
    # Sent again later (a retry), it is recognisably the same message.
    again = build_message(email, sender="training@partnership.example", now=now)
    assert again["Message-ID"] == message["Message-ID"]
    assert message.get_content_type() == "text/plain"


def test_sender_without_a_name_gets_the_service_name(app):
    from lms.notifications.backends import _sender

    config = {"MAIL_FROM": "training@partnership.example", "SERVICE_NAME": "Partnership Training"}
    assert _sender(config) == "Partnership Training <training@partnership.example>"
    config["MAIL_FROM"] = "Learning Team <learning@partnership.example>"
    assert _sender(config) == "Learning Team <learning@partnership.example>"


def test_a_broken_attachment_is_a_permanent_error(app, now):
    broken = {"filename": "x.pdf", "content_type": "application/pdf", "content": "@@not base64@@"}
    email = an_email(now, attachments=[broken])
    with pytest.raises(PermanentDeliveryError, match="Attachment 1 is not valid"):
        build_message(email, sender="training@partnership.example", now=now)


def test_get_backend_chooses_by_mail_backend(app):
    config = dict(app.config)
    config["MAIL_BACKEND"] = "console"
    assert isinstance(get_backend(config), ConsoleBackend)
    config["MAIL_BACKEND"] = "smtp"
    assert isinstance(get_backend(config), SMTPBackend)
    config.update(
        MAIL_BACKEND="notify", NOTIFY_API_KEY=f"key-{uuid.uuid4()}-{uuid.uuid4()}", NOTIFY_TEMPLATE_ID=str(uuid.uuid4())
    )
    assert isinstance(get_backend(config), NotifyBackend)
    config["MAIL_BACKEND"] = "carrier-pigeon"
    with pytest.raises(ValueError, match="console, smtp or notify"):
        get_backend(config)


def test_notify_backend_needs_its_settings(app):
    config = dict(app.config, MAIL_BACKEND="notify", NOTIFY_API_KEY=None, NOTIFY_TEMPLATE_ID=None)
    with pytest.raises(ValueError, match="NOTIFY_API_KEY and NOTIFY_TEMPLATE_ID"):
        get_backend(config)


# --- console --------------------------------------------------------------------------------

def test_console_backend_prints_the_message(app, now, capsys):
    email = an_email(now, attachments=[attachment("certificate.pdf", "application/pdf", PDF)], body_html="<p>Hi</p>")
    reference = ConsoleBackend(sender="training@partnership.example").send(email, now=now)
    printed = capsys.readouterr().out
    assert "To: ada@example.org" in printed
    assert "Subject: Your certificate" in printed
    assert "Your certificate is attached." in printed
    assert "[and an HTML version]" in printed
    assert f"[attachment: certificate.pdf, application/pdf, {len(PDF)} bytes]" in printed
    assert reference == f"<outbox.{email.id}.{int(email.created_at.timestamp())}@partnership.example>"


# --- SMTP -----------------------------------------------------------------------------------

def test_smtp_delivers_text_html_and_attachments(app, now):
    email = an_email(
        now,
        body_html="<p>Dear Ada,</p><p>Your certificate is attached.</p>",
        attachments=[
            attachment("certificate.pdf", "application/pdf", PDF),
            attachment("register.csv", "text/csv", CSV),
        ],
    )
    with SMTPServer() as server:
        backend = smtp_backend(server)
        reference = backend.send(email, now=now)
        backend.close()
    assert len(server.envelopes) == 1
    envelope = server.envelopes[0]
    assert envelope.mail_from == "training@partnership.example"
    assert envelope.rcpt_tos == ["ada@example.org"]
    message = server.messages[0]
    assert message["From"] == "Training <training@partnership.example>"
    assert message["To"] == "ada@example.org"
    assert message["Subject"] == "Your certificate"
    assert message["Message-ID"] == reference
    assert parsedate_to_datetime(message["Date"]) == now
    assert message.get_content_type() == "multipart/mixed"
    # (on the wire, lines end in CRLF)
    assert unix(message.get_body(("plain",)).get_content()) == "Dear Ada,\n\nYour certificate is attached.\n"
    assert "<p>Your certificate is attached.</p>" in message.get_body(("html",)).get_content()
    files = {part.get_filename(): (part.get_content_type(), part.get_content()) for part in message.iter_attachments()}
    assert files["certificate.pdf"] == ("application/pdf", PDF)
    content_type, content = files["register.csv"]
    assert content_type == "text/csv"
    assert unix(content) == CSV.decode()


def test_smtp_reuses_one_connection_for_a_run(app, now):
    first, second = an_email(now, to="one@example.org"), an_email(now, to="two@example.org")
    with SMTPServer() as server:
        backend = smtp_backend(server)
        backend.send(first, now=now)
        connection = backend._connection
        backend.send(second, now=now)
        assert backend._connection is connection
        backend.close()
        assert backend._connection is None
    assert [envelope.rcpt_tos for envelope in server.envelopes] == [["one@example.org"], ["two@example.org"]]


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_smtp_logs_in_when_a_username_is_set(app, now):
    email = an_email(now)
    with SMTPServer(users={"lms": "s3cret-pass"}, auth_required=True) as server:
        smtp_backend(server, username="lms", password="s3cret-pass").send(email, now=now)
        with pytest.raises(DeliveryError, match="535"):
            smtp_backend(server, username="lms", password="wrong").send(email, now=now)
        with pytest.raises(DeliveryError, match="530"):  # no login at all: the server refuses
            smtp_backend(server).send(email, now=now)
    assert server.logins == ["lms"]
    assert len(server.messages) == 1


def test_smtp_rejection_becomes_a_delivery_error(app, now):
    email = an_email(now)
    with SMTPServer("550 5.1.1 Mailbox unavailable") as server:
        backend = smtp_backend(server)
        with pytest.raises(DeliveryError, match="550 5.1.1 Mailbox unavailable"):
            backend.send(email, now=now)
        assert backend._connection is None  # dropped after an error; the next send reconnects


def test_smtp_with_nobody_listening_is_a_delivery_error(app, now):
    from tests.notifications.smtp import free_port

    email = an_email(now)
    backend = SMTPBackend(host="127.0.0.1", port=free_port(), sender="training@partnership.example", timeout=5)
    with pytest.raises(DeliveryError, match="ConnectionRefusedError"):
        backend.send(email, now=now)


def test_smtp_cannot_be_both_starttls_and_ssl():
    with pytest.raises(ValueError, match="not both"):
        SMTPBackend(host="x", port=25, sender="a@b.example", use_tls=True, use_ssl=True)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1, made with the openssl command."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, capture_output=True,
    )
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    client_context = ssl.create_default_context(cafile=str(cert))
    return server_context, client_context


def test_smtp_starttls_then_login(app, now, certificate):
    server_context, client_context = certificate
    email = an_email(now)
    # The server only allows a login over TLS (aiosmtpd's default) and insists on STARTTLS.
    with SMTPServer(users={"lms": "pw-over-tls"}, auth_require_tls=True, tls_context=server_context,
                    require_starttls=True) as server:
        smtp_backend(server, use_tls=True, username="lms", password="pw-over-tls", ssl_context=client_context).send(
            email, now=now
        )
        # Without STARTTLS the server refuses; with the system's trust store the
        # self-signed certificate is refused: certificates are checked.
        with pytest.raises(DeliveryError):
            smtp_backend(server, username="lms", password="pw-over-tls").send(email, now=now)
        with pytest.raises(DeliveryError, match="CERTIFICATE_VERIFY_FAILED|certificate verify failed"):
            smtp_backend(server, use_tls=True).send(email, now=now)
    assert server.logins == ["lms"]
    assert len(server.messages) == 1


def test_smtp_implicit_tls(app, now, certificate):
    server_context, client_context = certificate
    email = an_email(now)
    with SMTPServer(ssl_context=server_context) as server:
        smtp_backend(server, use_ssl=True, ssl_context=client_context).send(email, now=now)
    assert server.messages[0]["Subject"] == "Your certificate"


# --- GOV.UK Notify --------------------------------------------------------------------------

def notify_backend(server: NotifyServer, **options) -> NotifyBackend:
    options.setdefault("template_id", "f1a2b3c4-0000-4000-8000-000000000001")
    return NotifyBackend(api_key=server.api_key, base_url=server.base_url, timeout=5,
                         site_url="https://training.example", **options)


def test_notify_sends_subject_and_body_through_the_generic_template(app, now):
    email = an_email(now, body_html="<p>not used by Notify</p>")
    with NotifyServer() as server:
        backend = notify_backend(server)
        reference = backend.send(email, now=now)
        backend.close()
    [request] = server.requests
    assert request["path"] == "/v2/notifications/email"
    assert request["claims"]["iss"] == server.service_id
    assert abs(request["claims"]["iat"] - datetime.now(timezone.utc).timestamp()) < 30
    assert request["body"] == {
        "email_address": "ada@example.org",
        "template_id": "f1a2b3c4-0000-4000-8000-000000000001",
        "personalisation": {"subject": "Your certificate", "body": "Dear Ada,\n\nYour certificate is attached.\n"},
        "reference": f"outbox-{email.id}",
    }
    assert uuid.UUID(reference)


def test_notify_error_becomes_a_delivery_error(app, now):
    email = an_email(now)
    with NotifyServer(status=400) as server:
        with pytest.raises(DeliveryError, match="GOV.UK Notify: 400 BadRequestError: Can't send to this recipient"):
            notify_backend(server).send(email, now=now)


def test_notify_with_a_wrong_key_is_refused(app, now):
    email = an_email(now)
    with NotifyServer() as server:
        backend = NotifyBackend(api_key=f"other-{server.service_id}-{uuid.uuid4()}", template_id="t",
                                base_url=server.base_url, timeout=5)
        with pytest.raises(DeliveryError, match="403"):
            backend.send(email, now=now)
    assert server.requests[0]["claims"] is None  # the signature did not check out


def test_notify_uploads_one_file_through_the_file_template(app, now):
    email = an_email(now, attachments=[attachment("certificate.pdf", "application/pdf", PDF)])
    with NotifyServer() as server:
        notify_backend(server, file_template_id="f1a2b3c4-0000-4000-8000-000000000002").send(email, now=now)
    body = server.requests[0]["body"]
    assert body["template_id"] == "f1a2b3c4-0000-4000-8000-000000000002"
    assert body["personalisation"]["body"] == "Dear Ada,\n\nYour certificate is attached.\n"
    upload = body["personalisation"]["file"]
    assert base64.b64decode(upload["file"]) == PDF
    assert upload["filename"] == "certificate.pdf"
    assert upload["confirm_email_before_download"] is True


def test_notify_points_to_the_emails_page_for_attachments_it_cannot_send(app, now):
    from tests import factories

    person = factories.user(email="ada@example.org")
    two_files = an_email(now, user=person, attachments=[
        attachment("certificate.pdf", "application/pdf", PDF), attachment("register.csv", "text/csv", CSV)])
    ics = b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
    calendar = an_email(now, attachments=[attachment("session.ics", "text/calendar", ics)])
    with NotifyServer() as server:
        backend = notify_backend(server, file_template_id="f1a2b3c4-0000-4000-8000-000000000002")
        backend.send(two_files, now=now)
        backend.send(calendar, now=now)
    first, second = (request["body"] for request in server.requests)
    assert first["template_id"] == second["template_id"] == "f1a2b3c4-0000-4000-8000-000000000001"
    assert "file" not in first["personalisation"]
    assert first["personalisation"]["body"].endswith(
        "This email has 2 attachments (certificate.pdf, register.csv) that we could not send by email. "
        "Sign in to download them from the emails we have sent you: "
        f"https://training.example/account/emails/{two_files.id}"
    )
    # No account (a member of the public): no page to point to.
    assert second["personalisation"]["body"].endswith(
        "This email has an attachment (session.ics) that we could not send by email. "
        "Reply to the training team if you need a copy."
    )


def test_notify_file_too_big_is_not_uploaded(app, now):
    big = an_email(now, attachments=[attachment("big.pdf", "application/pdf", b"%PDF" + b"0" * (2 * 1024 * 1024))])
    with NotifyServer() as server:
        notify_backend(server, file_template_id="f1a2b3c4-0000-4000-8000-000000000002").send(big, now=now)
    body = server.requests[0]["body"]
    assert "file" not in body["personalisation"]
    assert "(big.pdf) that we could not send by email" in body["personalisation"]["body"]


def test_console_backend_writes_to_a_given_stream(app, now):
    stream = io.StringIO()
    ConsoleBackend(sender="training@partnership.example", stream=stream).send(an_email(now), now=now)
    assert "Subject: Your certificate" in stream.getvalue()
