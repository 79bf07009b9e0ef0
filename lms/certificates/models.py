from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Numeric, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import User
from lms.core.db_types import UTCDateTime
from lms.extensions import db

_LIVE = text("revoked_at IS NULL")


def display_code(code: str) -> str:
    """A stored code as it is printed: groups of four, e.g. 7KQ2-M9XD-4TWB-H3RA."""
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


class Certificate(db.Model):
    """One certificate for one completion. What it says (name, course, date, hours,
    provider, refresh date) is copied in at issue and never changed: a later change of
    name or course title leaves it as issued. Reissuing makes a new certificate and revokes
    this one, naming the reason; a revoked certificate still resolves at /verify.

    At most one certificate per completion is live (not revoked): a partial unique index,
    so two requests issuing at once cannot both succeed."""

    __tablename__ = "certificate"
    __table_args__ = (
        Index("uq_certificate_live_completion", "completion_id", unique=True, sqlite_where=_LIVE, postgresql_where=_LIVE),
        Index("ix_certificate_user_issued", "user_id", "issued_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # 16 characters of Crockford base32 (80 random bits), shown in groups of four.
    code: Mapped[str] = mapped_column(String(16), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    # Null once the completion is taken off the record (the certificate is then revoked).
    completion_id: Mapped[int | None] = mapped_column(ForeignKey("completion.id", ondelete="SET NULL"))
    course_id: Mapped[int | None] = mapped_column(ForeignKey("course.id"))
    training_session_id: Mapped[int | None] = mapped_column(ForeignKey("training_session.id", ondelete="SET NULL"), index=True)

    holder_name: Mapped[str] = mapped_column(String(200))
    course_title: Mapped[str] = mapped_column(String(200))
    course_code: Mapped[str | None] = mapped_column(String(30))
    delivery_mode: Mapped[str] = mapped_column(String(20))
    completed_on: Mapped[date]
    cpd_hours: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    provider: Mapped[str] = mapped_column(String(200))
    # Who signs for the partnership ("Name, role"), as its details said at issue.
    signatory: Mapped[str | None] = mapped_column(String(402))
    # The date the training should be refreshed by, for the holder's roles at issue;
    # None when no requirement it meets has an expiry.
    refresh_due_on: Mapped[date | None]

    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("certificate.id"))
    reissue_reason: Mapped[str | None] = mapped_column(String(500))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    revoke_reason: Mapped[str | None] = mapped_column(String(500))

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    replaces: Mapped[Certificate | None] = relationship(remote_side=[id], foreign_keys=[replaces_id])

    @property
    def display_code(self) -> str:
        return display_code(self.code)

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def status_on(self, day: date) -> str:
        """"revoked", "expired" (its refresh date has passed) or "valid"."""
        if self.revoked_at is not None:
            return "revoked"
        if self.refresh_due_on is not None and day > self.refresh_due_on:
            return "expired"
        return "valid"
