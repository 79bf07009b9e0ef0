from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.db_types import UTCDateTime
from lms.extensions import db

if TYPE_CHECKING:
    from lms.accounts.models import User


class Sector(db.Model):
    __tablename__ = "sector"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(default=0)

    def __repr__(self) -> str:
        return f"<Sector {self.code}>"


class OrganisationType(db.Model):
    __tablename__ = "organisation_type"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    sector_id: Mapped[int] = mapped_column(ForeignKey("sector.id"))
    position: Mapped[int] = mapped_column(default=0)

    sector: Mapped[Sector] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<OrganisationType {self.code}>"


class Area(db.Model):
    __tablename__ = "area"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(default=0)


class JobRole(db.Model):
    __tablename__ = "job_role"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)


class Organisation(db.Model):
    """A school, nursery, charity, team... Its sector defaults from its type and can be
    overridden (a children's centre run by a charity counts as VCS)."""

    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    type_id: Mapped[int] = mapped_column(ForeignKey("organisation_type.id"), index=True)
    sector_id: Mapped[int] = mapped_column(ForeignKey("sector.id"), index=True)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("area.id"), index=True)
    urn: Mapped[str | None] = mapped_column(String(20))
    address: Mapped[str | None] = mapped_column(Text)
    postcode: Mapped[str | None] = mapped_column(String(10))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    type: Mapped[OrganisationType] = relationship(lazy="joined")
    sector: Mapped[Sector] = relationship(lazy="joined")
    area: Mapped[Area | None] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.name!r}>"


class OrganisationRequest(db.Model):
    """"My organisation is not listed": a request an admin approves or rejects."""

    __tablename__ = "organisation_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    type_id: Mapped[int] = mapped_column(ForeignKey("organisation_type.id"))
    area_id: Mapped[int | None] = mapped_column(ForeignKey("area.id"))
    address: Mapped[str | None] = mapped_column(Text)
    postcode: Mapped[str | None] = mapped_column(String(10))
    urn: Mapped[str | None] = mapped_column(String(20))
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_reason: Mapped[str | None] = mapped_column(Text)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    type: Mapped[OrganisationType] = relationship()
    area: Mapped[Area | None] = relationship()
    requested_by: Mapped["User"] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped["User | None"] = relationship(foreign_keys=[decided_by_id])
    organisation: Mapped[Organisation | None] = relationship()


# --- people and organisations: who works where, in which role, and who leads what ---

class PersonRole(db.Model):
    """A job role a person holds, from a start date (and until an end date)."""

    __tablename__ = "person_role"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    job_role_id: Mapped[int] = mapped_column(ForeignKey("job_role.id"), index=True)
    started_on: Mapped[date]
    ended_on: Mapped[date | None]

    user: Mapped["User"] = relationship("User", back_populates="roles")
    job_role: Mapped[JobRole] = relationship(lazy="joined")


class Employment(db.Model):
    """Which organisation a person worked for, and when. A change of organisation ends the
    current row and starts a new one, so history (and reports by sector) stay true."""

    __tablename__ = "employment"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    started_on: Mapped[date]
    ended_on: Mapped[date | None]

    user: Mapped["User"] = relationship("User", back_populates="employments")
    organisation: Mapped[Organisation] = relationship(lazy="joined")


class SettingLead(db.Model):
    """A person who leads safeguarding for an organisation and may see its people."""

    __tablename__ = "setting_lead"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    user: Mapped["User"] = relationship("User")
    organisation: Mapped[Organisation] = relationship()


class JoinRequest(db.Model):
    """A person asking to join an organisation: held here, with the person's current
    organisation unchanged, until a setting lead of the organisation (or, where it has
    none, a partnership admin) confirms or declines it. Because User.organisation_id only
    changes on confirmation, every list and count by organisation leaves the person out
    while they ask. At most one open request (decided_at null) per person."""

    __tablename__ = "join_request"
    __table_args__ = (
        Index(
            "ux_join_request_open", "user_id", unique=True,
            sqlite_where=text("decided_at IS NULL"), postgresql_where=text("decided_at IS NULL"),
        ),
        Index("ix_join_request_organisation_open", "organisation_id", "decided_at"),
    )

    OUTCOMES = ("confirmed", "declined", "withdrawn")

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    # The day they say they started there (registration: the day they registered).
    started_on: Mapped[date]
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Set when the leads (or admins) were told; a request made before the person confirmed
    # their email address waits for that, so a stranger cannot mail a school's leads.
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    outcome: Mapped[str | None] = mapped_column(String(20))  # confirmed | declined | withdrawn

    user: Mapped["User"] = relationship("User", foreign_keys=[user_id], back_populates="join_requests")
    organisation: Mapped[Organisation] = relationship(lazy="joined")
    decided_by: Mapped["User | None"] = relationship("User", foreign_keys=[decided_by_id])

    @property
    def is_open(self) -> bool:
        return self.decided_at is None
