"""A real SMTP server for tests (aiosmtpd on a free local port) that keeps what it receives
or answers every message with a chosen reply."""
from __future__ import annotations

import socket
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Recorder:
    """aiosmtpd handler: keeps each accepted message, or rejects with `reply`."""

    def __init__(self, reply: str | None = None):
        self.reply = reply
        self.envelopes = []
        self.rejected = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            if self.reply is not None:
                self.rejected += 1
                return self.reply
            self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    @property
    def messages(self) -> list[EmailMessage]:
        with self.lock:
            return [message_from_bytes(envelope.content, policy=policy.default) for envelope in self.envelopes]


class SMTPServer:
    """`with SMTPServer() as server:` listens on server.port until the block ends."""

    def __init__(self, reply: str | None = None, *, users: dict[str, str] | None = None, **options):
        self.handler = Recorder(reply)
        self.port = free_port()
        self.users = users
        self.logins: list[str] = []
        if users is not None:
            options.setdefault("auth_require_tls", False)
            options["authenticator"] = self._authenticate
        self.controller = Controller(
            self.handler, hostname="127.0.0.1", port=self.port, server_hostname="mail.test", **options
        )

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        if isinstance(auth_data, LoginPassword):
            login, password = auth_data.login.decode(), auth_data.password.decode()
            if self.users.get(login) == password:
                self.logins.append(login)
                return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    @property
    def messages(self) -> list[EmailMessage]:
        return self.handler.messages

    @property
    def envelopes(self):
        return self.handler.envelopes

    def __enter__(self) -> SMTPServer:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()
