from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import User
from lms.core.db_types import UTCDateTime
from lms.extensions import db


class ApiToken(db.Model):
    """A personal API token. Only its SHA-256 is stored; `prefix` lets people tell tokens apart.

    A read-only token (a reporting token, for Power BI or Excel) may only read: the API's
    authentication refuses it on any other method. A token with `expires_at` stops
    working then; read-only tokens always have one, at most a year after they are made."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(12))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    read_only: Mapped[bool] = mapped_column(default=False, server_default=false())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and now >= self.expires_at

    user: Mapped[User] = relationship()
