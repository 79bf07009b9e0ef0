from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from lms.core.db_types import UTCDateTime
from lms.extensions import db


class OutboundEmail(db.Model):
    __tablename__ = "outbound_email"
    __table_args__ = (
        Index("ix_outbound_email_pending", "sent_at", "send_after"),
        # "What was sent to me", newest first.
        Index("ix_outbound_email_user_created", "user_id", "created_at"),
        # The nightly prune (jobs.prune_sent_emails): only the rows whose content is still
        # kept, so the job never walks the ever-growing history of pruned ones.
        Index(
            "ix_outbound_email_unpruned", "sent_at", "failed_at",
            sqlite_where=text("pruned_at IS NULL"), postgresql_where=text("pruned_at IS NULL"),
        ),
        # The emails the sender gave up on (the admin's home page and dashboard count
        # them): only those rows, not every email ever sent.
        Index(
            "ix_outbound_email_failed", "failed_at",
            sqlite_where=text("failed_at IS NOT NULL"), postgresql_where=text("failed_at IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(255))
    # The content: None once pruned (body_text is always set until then).
    body_text: Mapped[str | None] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    # [{"filename": ..., "content_type": ..., "content": base64}]
    attachments: Mapped[list | None] = mapped_column(JSON)
    # What this email is about, for "what was sent to me" and once-only sending,
    # e.g. "reminder:dsl-role-training:2026-09-10:30". Unique when set.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    category: Mapped[str] = mapped_column(String(40), default="general")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    send_after: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What the mail server or GOV.UK Notify called the message (the Message-ID header,
    # or Notify's notification id), to trace a complaint back to the provider's logs.
    provider_reference: Mapped[str | None] = mapped_column(String(255))
    # When the nightly prune cleared body_text, body_html and attachments, once the email
    # had been sent or given up on for longer than EMAIL_BODY_RETENTION_DAYS. The row
    # stays: its dedupe_key keeps once-only emails from going again, and the person's
    # list of emails still shows it.
    pruned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def status(self) -> str:
        """One of "sent", "failed" (given up) or "queued" (waiting, or waiting to retry)."""
        if self.sent_at is not None:
            return "sent"
        if self.failed_at is not None:
            return "failed"
        return "queued"

    @property
    def is_pruned(self) -> bool:
        """True once the content (text, HTML and attachments) is no longer kept."""
        return self.pruned_at is not None


class JobRun(db.Model):
    """The last run of each scheduled job, and the scheduler's heartbeat."""

    __tablename__ = "job_run"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    last_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
