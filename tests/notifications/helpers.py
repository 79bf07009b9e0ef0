"""Helpers shared by the email and scheduler tests."""
from __future__ import annotations

from lms.extensions import db
from lms.notifications.services import queue_email
from tests.notifications.smtp import SMTPServer


def use_smtp(app, monkeypatch, server: SMTPServer, **settings) -> None:
    """Point the app's SMTP backend at `server` (undone by monkeypatch after the test)."""
    values = {
        "MAIL_BACKEND": "smtp",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": server.port,
        "MAIL_USE_TLS": False,
        "MAIL_USE_SSL": False,
        "MAIL_USERNAME": None,
        "MAIL_PASSWORD": None,
        "MAIL_TIMEOUT": 10,
    }
    values.update(settings)
    for key, value in values.items():
        monkeypatch.setitem(app.config, key, value)


def queue(count: int, *, now, user=None, start: int = 1, **options) -> list[int]:
    """Queue `count` emails with subjects "Message <n>", commit, and return their ids."""
    ids = []
    for number in range(start, start + count):
        email = queue_email(
            user.email if user is not None else f"learner{number}@example.org",
            f"Message {number}",
            f"This is message {number}.",
            now=now,
            user=user,
            **options,
        )
        db.session.flush()
        ids.append(email.id)
    db.session.commit()
    return ids
