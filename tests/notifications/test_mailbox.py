"""The development mailbox: every email, readable on a development install from this
machine only; absent anywhere else."""
from __future__ import annotations

import pytest

from lms.extensions import db
from lms.notifications.services import queue_email


@pytest.fixture()
def queued(app, now):
    email = queue_email("someone@school.example", "Confirm your email address",
                        "Confirm it here:\n\nhttp://127.0.0.1:5123/confirm/abc123\n", now=now)
    db.session.commit()
    return email


@pytest.fixture()
def mailbox_on(app):
    app.config["DEV_MAILBOX"] = True
    yield
    app.config["DEV_MAILBOX"] = False


def test_lists_and_shows_every_email_with_its_links(client, queued, mailbox_on):
    listing = client.get("/dev/mailbox")
    assert listing.status_code == 200
    assert b"someone@school.example" in listing.data and b"Confirm your email address" in listing.data
    page = client.get(f"/dev/mailbox/{queued.id}")
    assert page.status_code == 200
    assert b'href="http://127.0.0.1:5123/confirm/abc123"' in page.data


def test_absent_unless_switched_on(client, queued):
    assert client.get("/dev/mailbox").status_code == 404
    assert client.get(f"/dev/mailbox/{queued.id}").status_code == 404


def test_answers_this_machine_only(client, queued, mailbox_on):
    remote = {"REMOTE_ADDR": "203.0.113.9"}
    assert client.get("/dev/mailbox", environ_base=remote).status_code == 404
    assert client.get(f"/dev/mailbox/{queued.id}", environ_base=remote).status_code == 404


def test_the_development_configuration_has_it_and_production_does_not():
    from config import DevelopmentConfig, ProductionConfig, TestingConfig

    assert DevelopmentConfig.DEV_MAILBOX is True
    assert not getattr(ProductionConfig, "DEV_MAILBOX", False)
    assert not getattr(TestingConfig, "DEV_MAILBOX", False)
