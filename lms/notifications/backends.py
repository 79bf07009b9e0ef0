"""Email backends: how an outbox row leaves the building.

The send job (jobs.send_outbox) hands each claimed OutboundEmail to one backend, chosen by
the MAIL_BACKEND setting:

- "console": writes the message to standard output and the app log (development);
- "smtp": any mail server, with STARTTLS or implicit TLS and a login when configured;
- "notify": GOV.UK Notify, through one generic template whose personalisation is
  {"subject": ..., "body": ...}.

A backend's `send(email, *, now)` returns the provider's reference for the message (the
Message-ID, or Notify's notification id) or raises DeliveryError. The job decides what a
failure means (retry later, or give up); backends never touch the database.
"""
from __future__ import annotations

import base64
import binascii
import io
import logging
import smtplib
import ssl
import sys
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr
from typing import Protocol, TextIO

from lms.notifications.models import OutboundEmail

logger = logging.getLogger("lms.mail")

# Where a person sees the emails sent to them (lms.notifications.views); the Notify
# backend points to it when an email's attachments cannot travel with it.
EMAIL_PAGE_PATH = "/account/emails/{id}"


class DeliveryError(Exception):
    """The message did not go; trying again later may work."""


class PermanentDeliveryError(DeliveryError):
    """The message itself is faulty (a broken attachment, no address): trying again cannot help."""


class Backend(Protocol):
    def send(self, email: OutboundEmail, *, now) -> str | None: ...

    def close(self) -> None: ...


def get_backend(config) -> Backend:
    """The backend named by config["MAIL_BACKEND"]."""
    name = (config.get("MAIL_BACKEND") or "console").strip().lower()
    if name == "console":
        return ConsoleBackend(sender=_sender(config))
    if name == "smtp":
        return SMTPBackend.from_config(config)
    if name == "notify":
        return NotifyBackend.from_config(config)
    raise ValueError(f"MAIL_BACKEND must be console, smtp or notify; got {name!r}")


def _sender(config) -> str:
    """MAIL_FROM, with the service name as the display name if it has none."""
    name, address = parseaddr(config["MAIL_FROM"])
    return formataddr((name or config.get("SERVICE_NAME") or "", address))


# --- building a message -------------------------------------------------------------------

def decode_attachments(email: OutboundEmail) -> list[tuple[str, str, bytes]]:
    """(filename, content type, bytes) for each attachment; PermanentDeliveryError if one is broken."""
    result = []
    for index, item in enumerate(email.attachments or [], start=1):
        try:
            filename = str(item["filename"]).strip()
            content_type = str(item.get("content_type") or "application/octet-stream").strip().lower()
            content = base64.b64decode(item["content"], validate=True)
        except (KeyError, TypeError, AttributeError, binascii.Error, ValueError) as error:
            raise PermanentDeliveryError(f"Attachment {index} is not valid: {error}") from error
        if not filename:
            raise PermanentDeliveryError(f"Attachment {index} has no file name")
        if content_type.count("/") != 1 or not all(content_type.split("/")):
            content_type = "application/octet-stream"
        result.append((filename, content_type, content))
    return result


def message_id(email: OutboundEmail, sender: str) -> str:
    """A Message-ID that stays the same if the message has to be sent again, so mail
    systems that remember Message-IDs can drop a duplicate."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    created = int(email.created_at.timestamp()) if email.created_at else 0
    return f"<outbox.{email.id}.{created}@{domain}>"


def build_message(email: OutboundEmail, *, sender: str, now) -> EmailMessage:
    """A standard email: plain text, an HTML alternative if there is one, then attachments."""
    if not (email.to_address or "").strip():
        raise PermanentDeliveryError("The email has no recipient address")
    message = EmailMessage()
    message["From"] = sender
    message["To"] = email.to_address.strip()
    message["Subject"] = email.subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id(email, sender)
    # An automatic message (RFC 3834): no out-of-office replies, please.
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "All"
    message.set_content(email.body_text)
    if email.body_html:
        message.add_alternative(email.body_html, subtype="html")
    for filename, content_type, content in decode_attachments(email):
        maintype, subtype = content_type.split("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return message


# --- console --------------------------------------------------------------------------------

class ConsoleBackend:
    """Development: prints each message instead of sending it."""

    def __init__(self, *, sender: str, stream: TextIO | None = None):
        self.sender = sender
        self.stream = stream

    def send(self, email: OutboundEmail, *, now) -> str:
        message = build_message(email, sender=self.sender, now=now)
        stream = self.stream or sys.stdout
        lines = [
            "-" * 72,
            f"Email #{email.id} (console backend: not sent)",
            f"From: {message['From']}",
            f"To: {message['To']}",
            f"Subject: {message['Subject']}",
            f"Date: {message['Date']}",
            f"Message-ID: {message['Message-ID']}",
            "",
            email.body_text,
        ]
        if email.body_html:
            lines.append("[and an HTML version]")
        for filename, content_type, content in decode_attachments(email):
            lines.append(f"[attachment: {filename}, {content_type}, {len(content)} bytes]")
        lines.append("-" * 72)
        stream.write("\n".join(lines) + "\n")
        stream.flush()
        logger.info("Email #%s to %s printed by the console backend: %s", email.id, email.to_address, email.subject)
        return message["Message-ID"]

    def close(self) -> None:
        pass


# --- SMTP -----------------------------------------------------------------------------------

def describe_smtp_error(error: Exception) -> str:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "; ".join(
            f"{address} refused: {code} {_text(reply)}" for address, (code, reply) in error.recipients.items()
        )
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{error.smtp_code} {_text(error.smtp_error)}"
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


class SMTPBackend:
    """Sends through a mail server. One connection is opened on the first message and
    reused for the rest of the run; close() ends it."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        sender: str,
        username: str | None = None,
        password: str | None = None,
        use_tls: bool = False,
        use_ssl: bool = False,
        timeout: float = 30,
        ssl_context: ssl.SSLContext | None = None,
    ):
        if use_tls and use_ssl:
            raise ValueError("Set MAIL_USE_TLS (STARTTLS) or MAIL_USE_SSL (implicit TLS), not both")
        self.host = host
        self.port = port
        self.sender = sender
        self.username = username
        self.password = password
        self.use_tls = use_tls
        self.use_ssl = use_ssl
        self.timeout = timeout
        self.ssl_context = ssl_context
        self._connection: smtplib.SMTP | None = None

    @classmethod
    def from_config(cls, config, **overrides) -> SMTPBackend:
        options = dict(
            host=config["MAIL_SERVER"],
            port=int(config["MAIL_PORT"]),
            sender=_sender(config),
            username=config.get("MAIL_USERNAME") or None,
            password=config.get("MAIL_PASSWORD") or None,
            use_tls=bool(config.get("MAIL_USE_TLS")),
            use_ssl=bool(config.get("MAIL_USE_SSL")),
            timeout=float(config.get("MAIL_TIMEOUT") or 30),
        )
        options.update(overrides)
        return cls(**options)

    def _connect(self) -> smtplib.SMTP:
        context = self.ssl_context or ssl.create_default_context()
        if self.use_ssl:
            connection = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            connection = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            if self.use_tls:
                connection.starttls(context=context)
            if self.username:
                connection.login(self.username, self.password or "")
        except BaseException:
            _quietly_close(connection)
            raise
        return connection

    def send(self, email: OutboundEmail, *, now) -> str:
        message = build_message(email, sender=self.sender, now=now)
        envelope_from = parseaddr(self.sender)[1]
        reused = self._connection is not None
        try:
            try:
                if self._connection is None:
                    self._connection = self._connect()
                self._connection.send_message(message, from_addr=envelope_from, to_addrs=[message["To"]])
            except smtplib.SMTPServerDisconnected:
                if not reused:
                    raise
                # The server closed the connection we kept open: one fresh try.
                self._drop()
                self._connection = self._connect()
                self._connection.send_message(message, from_addr=envelope_from, to_addrs=[message["To"]])
        except (smtplib.SMTPException, OSError) as error:
            self._drop()
            raise DeliveryError(describe_smtp_error(error)) from error
        return message["Message-ID"]

    def _drop(self) -> None:
        if self._connection is not None:
            _quietly_close(self._connection)
            self._connection = None

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self._drop()


def _quietly_close(connection: smtplib.SMTP) -> None:
    try:
        connection.close()
    except OSError:
        pass


# --- GOV.UK Notify --------------------------------------------------------------------------

# File types GOV.UK Notify accepts for "send a file by email", and its size limit.
NOTIFY_FILE_EXTENSIONS = {
    ".csv", ".doc", ".docx", ".jpeg", ".jpg", ".json", ".odt", ".pdf", ".png", ".rtf", ".txt", ".xlsx",
}
NOTIFY_FILE_LIMIT = 2 * 1024 * 1024


class NotifyBackend:
    """Sends through GOV.UK Notify with one generic email template.

    The template's subject is `((subject))` and its body `((body))`. Notify sends plain
    text (its own formatting), so the HTML alternative is not used. Notify cannot attach
    files: it can only put a download link in the email for a file uploaded with the
    message, through a placeholder in the template. So when NOTIFY_FILE_TEMPLATE_ID names
    a second template (`((subject))`, `((body))` and `((file))`), an email with exactly one
    attachment of a type and size Notify accepts goes through it, uploaded with
    `prepare_upload`. Any other attachments are not sent: the body then ends with a note
    pointing the person to the page of emails sent to them, where they can download them.
    """

    def __init__(
        self,
        *,
        api_key: str,
        template_id: str,
        base_url: str,
        timeout: float = 30,
        file_template_id: str | None = None,
        site_url: str = "",
    ):
        from notifications_python_client import NotificationsAPIClient

        if not api_key or not template_id:
            raise ValueError("The notify backend needs NOTIFY_API_KEY and NOTIFY_TEMPLATE_ID")
        self.client = NotificationsAPIClient(api_key, base_url=base_url, timeout=timeout)
        self.template_id = template_id
        self.file_template_id = file_template_id
        self.site_url = site_url.rstrip("/")

    @classmethod
    def from_config(cls, config) -> NotifyBackend:
        return cls(
            api_key=config.get("NOTIFY_API_KEY"),
            template_id=config.get("NOTIFY_TEMPLATE_ID"),
            base_url=config.get("NOTIFY_BASE_URL") or "https://api.notifications.service.gov.uk",
            timeout=float(config.get("MAIL_TIMEOUT") or 30),
            file_template_id=config.get("NOTIFY_FILE_TEMPLATE_ID") or None,
            site_url=config.get("BASE_URL") or "",
        )

    def _can_upload(self, attachments: list[tuple[str, str, bytes]]) -> bool:
        if not self.file_template_id or len(attachments) != 1:
            return False
        filename, _, content = attachments[0]
        extension = "." + filename.rpartition(".")[2].lower() if "." in filename else ""
        return extension in NOTIFY_FILE_EXTENSIONS and len(content) <= NOTIFY_FILE_LIMIT

    def _left_behind_note(self, email: OutboundEmail, attachments: list[tuple[str, str, bytes]]) -> str:
        names = ", ".join(filename for filename, _, _ in attachments)
        count = "an attachment" if len(attachments) == 1 else f"{len(attachments)} attachments"
        if email.user_id is not None:
            where = (
                "Sign in to download it from the emails we have sent you: "
                if len(attachments) == 1
                else "Sign in to download them from the emails we have sent you: "
            ) + self.site_url + EMAIL_PAGE_PATH.format(id=email.id)
        else:
            where = "Reply to the training team if you need a copy."
        return f"\n\n---\nThis email has {count} ({names}) that we could not send by email. {where}"

    def send(self, email: OutboundEmail, *, now) -> str | None:
        from notifications_python_client import prepare_upload
        from notifications_python_client.errors import APIError

        if not (email.to_address or "").strip():
            raise PermanentDeliveryError("The email has no recipient address")
        attachments = decode_attachments(email)
        personalisation = {"subject": email.subject, "body": email.body_text}
        template_id = self.template_id
        if attachments and self._can_upload(attachments):
            filename, _, content = attachments[0]
            template_id = self.file_template_id
            personalisation["file"] = prepare_upload(
                io.BytesIO(content), filename=filename, confirm_email_before_download=True
            )
        elif attachments:
            personalisation["body"] += self._left_behind_note(email, attachments)
        try:
            response = self.client.send_email_notification(
                email_address=email.to_address.strip(),
                template_id=template_id,
                personalisation=personalisation,
                reference=f"outbox-{email.id}",
            )
        except APIError as error:
            raise DeliveryError(f"GOV.UK Notify: {error.status_code} {_notify_message(error)}") from error
        return (response or {}).get("id")

    def close(self) -> None:
        self.client.request_session.close()


def _notify_message(error) -> str:
    message = error.message
    if isinstance(message, list):
        return "; ".join(
            f"{item.get('error', '')}: {item.get('message', '')}" if isinstance(item, dict) else str(item)
            for item in message
        )
    return str(message)
