"""What a twilight series adds to its Programme: a row per term (the topic, what the
presenters bring, the materials for those who came) and, for each session held that term,
the area it serves and the school hosting it. The sessions themselves are ordinary
TrainingSessions of the twilight course."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.bookings.models import TrainingSession
from lms.core.db_types import UTCDateTime
from lms.extensions import db
from lms.organisations.models import Area, Organisation
from lms.programmes.models import Programme

# The terms of a school year, in order, by code.
TERMS = {"autumn": "Autumn", "spring": "Spring", "summer": "Summer"}
TERM_ORDER = tuple(TERMS)


class TwilightTerm(db.Model):
    __tablename__ = "twilight_term"
    __table_args__ = (UniqueConstraint("programme_id", "term", name="uq_twilight_term_programme_term"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id", ondelete="CASCADE"), index=True)
    term: Mapped[str] = mapped_column(String(10))  # a key of TERMS
    topic_title: Mapped[str | None] = mapped_column(String(200))
    topic_summary: Mapped[str | None] = mapped_column(Text)
    # Who presents: "Police Prevent team; Local authority education safeguarding team".
    agencies: Mapped[str | None] = mapped_column(Text)
    # For the people who attended only: a link to the slides and handouts, and/or text.
    materials_url: Mapped[str | None] = mapped_column(String(500))
    materials_text: Mapped[str | None] = mapped_column(Text)
    # Taken (an UPDATE) by every twilight booking in the term, so one person never ends up
    # with two live bookings in a term however many requests race.
    lock_version: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    programme: Mapped[Programme] = relationship()
    sessions: Mapped[list["TwilightSession"]] = relationship(back_populates="term", cascade="all, delete-orphan")

    @property
    def term_name(self) -> str:
        return TERMS.get(self.term, self.term)

    @property
    def year(self) -> int:
        """The calendar year the term falls in: autumn 2026, spring and summer 2027."""
        start = self.programme.starts_on.year
        return start if self.term == "autumn" else start + 1

    @property
    def label(self) -> str:
        """"Autumn 2026"."""
        return f"{self.term_name} {self.year}"

    @property
    def topic(self) -> str:
        return self.topic_title or "Topic to be announced"

    def __repr__(self) -> str:
        return f"<TwilightTerm {self.id} {self.term} of {self.programme_id}>"


class TwilightSession(db.Model):
    """A session of the series: the term it belongs to, the area it serves and its host
    school (whose address was copied onto the session's venue)."""

    __tablename__ = "twilight_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    term_id: Mapped[int] = mapped_column(ForeignKey("twilight_term.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("training_session.id", ondelete="CASCADE"), unique=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id"), index=True)
    host_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)

    term: Mapped[TwilightTerm] = relationship(back_populates="sessions")
    session: Mapped[TrainingSession] = relationship()
    area: Mapped[Area] = relationship()
    host: Mapped[Organisation] = relationship()
