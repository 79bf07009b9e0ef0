from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lms.core.db_types import UTCDateTime
from lms.extensions import db

SATISFACTION = {
    5: "Very satisfied",
    4: "Satisfied",
    3: "Neither satisfied nor dissatisfied",
    2: "Dissatisfied",
    1: "Very dissatisfied",
}
SKILLS = {
    "a-lot": "Yes, a lot",
    "a-little": "Yes, a little",
    "no": "No",
}
CONFIDENCE = {
    1: "Not at all confident",
    2: "Slightly confident",
    3: "Fairly confident",
    4: "Confident",
    5: "Very confident",
}
MAX_TEXT = 2000


class Evaluation(db.Model):
    """One person's evaluation of one completed course (at most one per completion).

    The person is kept so they are asked once and their certificate can follow; nothing
    that summarises evaluations shows who gave them. The course, session, delivery mode,
    date and the person's sector at the time are kept with the answers, so summaries by
    course, period and sector need no other table and survive a register correction."""

    __tablename__ = "evaluation"
    __table_args__ = (Index("ix_evaluation_course_completed", "course_id", "completed_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    completion_id: Mapped[int | None] = mapped_column(ForeignKey("completion.id", ondelete="SET NULL"), unique=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"))
    training_session_id: Mapped[int | None] = mapped_column(ForeignKey("training_session.id", ondelete="SET NULL"), index=True)
    delivery_mode: Mapped[str] = mapped_column(String(20))
    sector_id: Mapped[int | None] = mapped_column(ForeignKey("sector.id"))
    completed_on: Mapped[date]

    satisfaction: Mapped[int]
    skills: Mapped[str] = mapped_column(String(10))
    confidence_before: Mapped[int]
    confidence_after: Mapped[int]
    will_do_differently: Mapped[str | None] = mapped_column(Text)
    improvements: Mapped[str | None] = mapped_column(Text)
    # The person agreed that what they will do differently may be quoted, without their name.
    may_quote: Mapped[bool] = mapped_column(default=False)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
