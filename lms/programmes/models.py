"""A programme: a named, dated series of sessions the partnership runs each year. What each
kind adds (a twilight series' terms, a Safeguarding Week's days and events) lives in its
sub-feature's models, which point here."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lms.core.db_types import UTCDateTime
from lms.extensions import db

# The kinds of programme, by stable code (the API's `kind`).
KINDS = {
    "twilight-series": "DSL network twilight series",
    "safeguarding-week": "Safeguarding Week",
}


class Programme(db.Model):
    __tablename__ = "programme"
    __table_args__ = (UniqueConstraint("kind", "starts_on", name="uq_programme_kind_starts_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), index=True)
    title: Mapped[str] = mapped_column(String(200))
    # A twilight series: the academic year (1 September to 31 August); a Week: its days.
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    summary: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    @property
    def kind_name(self) -> str:
        return KINDS.get(self.kind, self.kind)

    def __repr__(self) -> str:
        return f"<Programme {self.id} {self.kind} {self.starts_on}>"
