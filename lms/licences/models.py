from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import User
from lms.core.db_types import UTCDateTime
from lms.extensions import db


class LicencePurchase(db.Model):
    """Learner licences the partnership bought. The total is the sum of purchases still
    in force on a date."""

    __tablename__ = "licence_purchase"

    id: Mapped[int] = mapped_column(primary_key=True)
    quantity: Mapped[int]
    starts_on: Mapped[date]
    ends_on: Mapped[date | None]
    reference: Mapped[str | None] = mapped_column(String(100))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    created_by: Mapped[User | None] = relationship()


class LicencePolicy(db.Model):
    """The partnership's licence settings (one row)."""

    __tablename__ = "licence_policy"

    id: Mapped[int] = mapped_column(primary_key=True)
    dormant_after_months: Mapped[int] = mapped_column(default=24)
    # A dormant account is closed after this many more months (None: never).
    close_after_dormant_months: Mapped[int | None] = mapped_column(default=12)
    warn_at_percent: Mapped[int] = mapped_column(default=90)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LicenceCount(db.Model):
    """The licence summary's counts, kept (one row, id 1): open accounts in use (`active`:
    not closed, not dormant) and open dormant accounts. Changed in the same transaction as
    the accounts (licences.kept_counts), counted again after bulk changes and checked
    every night."""

    __tablename__ = "licence_count"

    id: Mapped[int] = mapped_column(primary_key=True)
    active: Mapped[int] = mapped_column(default=0)
    dormant: Mapped[int] = mapped_column(default=0)
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
