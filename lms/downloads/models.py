"""A prepared download: what someone asked for, how far the job has got, and the file."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import User
from lms.core.db_types import UTCDateTime
from lms.extensions import db

QUEUED, RUNNING, READY, FAILED, EXPIRED = "queued", "running", "ready", "failed", "expired"
STATUSES = (QUEUED, RUNNING, READY, FAILED, EXPIRED)


class PreparedDownload(db.Model):
    __tablename__ = "prepared_download"
    __table_args__ = (Index("ix_prepared_download_status_id", "status", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Who asked: the only person who may see the page or fetch the file.
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    # The registered kind ("evidence-pack", "session-certificates", ...) and what it needs.
    kind: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    # What it is, in words ("Training evidence pack: Hillside Primary School, ...").
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10), default=QUEUED)
    progress_done: Mapped[int] = mapped_column(default=0)
    progress_total: Mapped[int | None] = mapped_column()
    progress_label: Mapped[str | None] = mapped_column(String(60))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The file: the name it is saved as, its type and size, and where it is kept (a random
    # name inside DOWNLOADS_FOLDER, never anything the requester chose).
    file_name: Mapped[str | None] = mapped_column(String(200))
    content_type: Mapped[str | None] = mapped_column(String(100))
    size: Mapped[int | None] = mapped_column()
    stored_name: Mapped[str | None] = mapped_column(String(80))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    error: Mapped[str | None] = mapped_column(Text)

    requested_by: Mapped[User] = relationship()

    @property
    def waiting(self) -> bool:
        return self.status in (QUEUED, RUNNING)

    @property
    def progress_text(self) -> str:
        """'1,200 of 2,000 people', or what it is waiting for."""
        if self.status == QUEUED:
            return "Waiting to start"
        if self.progress_total:
            label = f" {self.progress_label}" if self.progress_label else ""
            return f"{self.progress_done:,} of {self.progress_total:,}{label}"
        if self.status == RUNNING:
            return "Starting"
        return ""
