"""Fixtures for the prepared downloads: a folder of their own for the files, a kind made
for the tests (registered for the test only), a real SMTP server."""
from __future__ import annotations

import pytest

from tests.downloads.fixtures import downloads_folder, test_kind  # noqa: F401  (fixtures)
from tests.notifications.helpers import use_smtp
from tests.notifications.smtp import SMTPServer


@pytest.fixture()
def smtp_server(app, monkeypatch):
    with SMTPServer() as server:
        use_smtp(app, monkeypatch, server)
        yield server
