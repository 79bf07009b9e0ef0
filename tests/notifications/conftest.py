"""Fixtures for the email tests."""
from __future__ import annotations

import pytest

from tests.notifications.helpers import use_smtp
from tests.notifications.smtp import SMTPServer


@pytest.fixture()
def smtp_server(app, monkeypatch):
    """A real SMTP server that accepts everything; the app is configured to send to it."""
    with SMTPServer() as server:
        use_smtp(app, monkeypatch, server)
        yield server
