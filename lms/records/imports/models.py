"""A history import too large to run within a web request: the uploaded file, queued for
the scheduler's run-imports job, with its progress and its result."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from lms.accounts.models import User
from lms.core.db_types import UTCDateTime
from lms.extensions import db

QUEUED, RUNNING, FINISHED, FAILED = "queued", "running", "finished", "failed"


class ImportJob(db.Model):
    __tablename__ = "import_job"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    file_name: Mapped[str] = mapped_column(String(120))
    mapping_name: Mapped[str | None] = mapped_column(String(120))
    dry_run: Mapped[bool] = mapped_column(default=False)
    # The files as uploaded; emptied once the job has finished.
    content: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    mapping: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    size: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(10), default=QUEUED, index=True)
    # What it is doing now, in words for the page ("Checking 151,887 rows").
    stage: Mapped[str | None] = mapped_column(String(120))
    rows: Mapped[int | None] = mapped_column()
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The outcome: ok, the totals as [label, number], the first problems and warnings.
    result: Mapped[dict | None] = mapped_column(JSON)
    # The "records.import" audit event of a real import that succeeded.
    event_id: Mapped[int | None] = mapped_column(ForeignKey("audit_event.id", ondelete="SET NULL"))
    error: Mapped[str | None] = mapped_column(Text)

    created_by: Mapped[User | None] = relationship()

    @property
    def waiting(self) -> bool:
        return self.status in (QUEUED, RUNNING)
