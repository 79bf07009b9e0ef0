from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.db_types import UTCDateTime
from lms.extensions import db

USED = {
    "yes": "Yes",
    "not-yet": "Not yet",
    "no": "No",
}
MAX_TEXT = 2000


class FollowUp(db.Model):
    """The impact follow-up of one completion of attendance: due some weeks after it, sent
    once (sent_at is set by the one scheduler that claims the row), answered once through a
    link whose token is kept only as a SHA-256 digest. The course, date and sector are
    kept so summaries need no other table; nothing that summarises shows who answered."""

    __tablename__ = "followup"
    __table_args__ = (Index("ix_followup_due", "sent_at", "due_on"),
                      Index("ix_followup_course_completed", "course_id", "completed_on"))

    id: Mapped[int] = mapped_column(primary_key=True)
    completion_id: Mapped[int] = mapped_column(ForeignKey("completion.id", ondelete="CASCADE"), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"))
    sector_id: Mapped[int | None] = mapped_column(ForeignKey("sector.id"))
    completed_on: Mapped[date]
    due_on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used: Mapped[str | None] = mapped_column(String(10))
    how: Mapped[str | None] = mapped_column(Text)

    completion = relationship("Completion", lazy="joined")
    course = relationship("Course")

    @property
    def used_name(self) -> str:
        return USED.get(self.used or "", "")
