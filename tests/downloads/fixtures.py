"""Fixtures other test folders import: the downloads folder and a kind for the tests."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from lms.downloads import kinds
from lms.downloads.models import PreparedDownload
from lms.extensions import db


@pytest.fixture(autouse=True)
def downloads_folder(app, tmp_path, monkeypatch):
    folder = tmp_path / "downloads"
    monkeypatch.setitem(app.config, "DOWNLOADS_FOLDER", str(folder))
    return folder


class TestKind:
    """A kind whose access and failure the test sets: 'allowed' holds user ids."""

    name = "test-kind"

    def __init__(self):
        self.allowed: set[int] = set()
        self.fail_with: Exception | None = None
        self.seen_progress: list[tuple] = []

    def can_access(self, actor, params):
        return actor is not None and actor.id in self.allowed

    def produce(self, params, *, actor, now, progress):
        if not self.can_access(actor, params):
            raise PermissionError("no longer allowed")
        progress(0, 3, "people")
        progress(3, 3, "people")
        # What the page would see now, while the job's own transaction is still open.
        with db.engine.connect() as connection:
            row = connection.execute(
                select(PreparedDownload.__table__.c.progress_done, PreparedDownload.__table__.c.progress_total,
                       PreparedDownload.__table__.c.progress_label)
            ).first()
        self.seen_progress.append(tuple(row))
        if self.fail_with is not None:
            raise self.fail_with
        return b"hello, " + str(params.get("n", 0)).encode(), "hello.txt", "text/plain"


@pytest.fixture()
def test_kind():
    kind = TestKind()
    kinds.register(kinds.Kind(kind.name, produce=kind.produce, can_access=kind.can_access))
    yield kind
    kinds._KINDS.pop(kind.name, None)
