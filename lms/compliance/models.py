from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, BigInteger, false as sa_false, Column, Float, ForeignKey, Index, Numeric, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import User
from lms.core.db_types import UTCDateTime
from lms.extensions import db
from lms.organisations.models import JobRole, Organisation

STRENGTHS = {
    "law": "Law",
    "statutory": "Statutory guidance",
    "recommended": "Recommended",
    "local": "Local policy",
}

requirement_job_role = Table(
    "requirement_job_role",
    db.metadata,
    Column("requirement_id", ForeignKey("requirement.id", ondelete="CASCADE"), primary_key=True),
    Column("job_role_id", ForeignKey("job_role.id", ondelete="CASCADE"), primary_key=True),
)


class Requirement(db.Model):
    """Something a person in certain roles must hold, e.g. "DSL role training"."""

    __tablename__ = "requirement"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(20))  # see compliance.engine.KINDS
    source: Mapped[str | None] = mapped_column(String(200))  # e.g. "KCSIE 2025, Part two"
    strength: Mapped[str] = mapped_column(String(20), default="statutory")
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    # May an organisation set its own rule for this requirement?
    organisation_overrides: Mapped[bool] = mapped_column(default=False)

    job_roles: Mapped[list[JobRole]] = relationship(secondary=requirement_job_role, order_by=JobRole.position)
    rules: Mapped[list["RequirementRule"]] = relationship(back_populates="requirement", cascade="all, delete-orphan")


class RequirementRule(db.Model):
    """One layer of a requirement's rule: the national baseline shipped with the product,
    the partnership's override, or an organisation's override. A field left empty (None)
    takes the value from the layer below."""

    __tablename__ = "requirement_rule"
    __table_args__ = (
        UniqueConstraint("requirement_id", "layer", "organisation_id", name="uq_requirement_rule_layer"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    requirement_id: Mapped[int] = mapped_column(ForeignKey("requirement.id", ondelete="CASCADE"), index=True)
    layer: Mapped[str] = mapped_column(String(20))  # national | partnership | organisation
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"), index=True)
    period_months: Mapped[int | None]
    hours_required: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    window_months: Mapped[int | None]
    due_soon_days: Mapped[int | None]
    induction_days: Mapped[int | None]
    grace_days: Mapped[int | None]
    deadline_month: Mapped[int | None]
    deadline_day: Mapped[int | None]
    edition_date: Mapped[date | None]
    # Requirement codes whose completions also count ("higher satisfies lower").
    counts_from: Mapped[list | None] = mapped_column(JSON)
    # Delivery modes whose completions count (e.g. twilights for the DSL update).
    qualifying_modes: Mapped[list | None] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    requirement: Mapped[Requirement] = relationship(back_populates="rules")
    organisation: Mapped[Organisation | None] = relationship()
    updated_by: Mapped[User | None] = relationship()


class ComplianceStatus(db.Model):
    """The maintained status table: each person's timeline for each requirement, as the
    pure calculation gives it (compliance.engine.Timeline). Updated when a completion, a
    role or a rule changes, and rebuilt nightly. The status on any day from
    `computed_on` is read from the dates, in SQL, without recomputing."""

    __tablename__ = "compliance_status"
    __table_args__ = (
        UniqueConstraint("user_id", "requirement_id", name="uq_compliance_status"),
        Index("ix_compliance_status_requirement", "requirement_id", "applicable"),
        Index("ix_compliance_status_due_on", "due_on"),
        Index("ix_compliance_status_overdue_from", "overdue_from"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    requirement_id: Mapped[int] = mapped_column(ForeignKey("requirement.id", ondelete="CASCADE"))
    applicable: Mapped[bool]
    first_status: Mapped[str] = mapped_column(String(20))
    due_on: Mapped[date | None]
    due_soon_from: Mapped[date | None]
    overdue_from: Mapped[date | None]
    last_completed_on: Mapped[date | None]
    hours_counted: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    hours_required: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    computed_on: Mapped[date]
    # The timeline would differ without self-reported CPD nobody has verified yet
    # (compliance.engine.Timeline.rests_on_unverified): pages say so beside the status.
    rests_on_unverified: Mapped[bool] = mapped_column(default=False, server_default=sa_false())

    user: Mapped[User] = relationship()
    requirement: Mapped[Requirement] = relationship()


class ComplianceCount(db.Model):
    """Counts kept for the admin overview, for one day (`as_of`): how many of the status
    rows of open accounts are overdue, due soon, not yet due and current on that day.

    A row counts one organisation (`scope` "organisation", `scope_id` its id), or every
    organisation of one sector, organisation type or area (`scope` "sector", "type" or
    "area"; `scope_id` None for organisations with none), for one requirement
    (`requirement_id`) or for all active requirements together (None). So each table
    of the overview is a few rows read by index, whatever the number of people.

    Written for everyone by the nightly rebuild, and counted again for the organisations
    (and their sector, type and area) of the people compliance.services.refresh_status
    touches, always for the day the table already holds. Every row holds the same day.
    The overview reads these counts when asked about that day, and counts the status
    table otherwise.

    An organisation's rows also keep its name in lower case (`sort_name`) and the share
    of its statuses that are overdue (`overdue_share`), so a page of the overview's
    organisations, in either of its orders, is read from an index without looking at
    every organisation (counted again when the organisation is renamed)."""

    __tablename__ = "compliance_count"

    id: Mapped[int] = mapped_column(primary_key=True)
    as_of: Mapped[date]
    scope: Mapped[str] = mapped_column(String(12))  # organisation | sector | type | area
    scope_id: Mapped[int | None]
    requirement_id: Mapped[int | None] = mapped_column(ForeignKey("requirement.id", ondelete="CASCADE"))
    overdue_count: Mapped[int]
    due_soon_count: Mapped[int]
    not_yet_due_count: Mapped[int]
    current_count: Mapped[int]
    total_count: Mapped[int]
    sort_name: Mapped[str | None] = mapped_column(String(200))  # organisation rows: lower(organisation.name)
    overdue_share: Mapped[float | None] = mapped_column(Float)  # organisation rows: overdue_count / total_count


# An organisation's rows (the matrix's columns, counting again) and a group's rows by the
# first index. The overview's page of organisations is read in order from the others, by
# name or by share overdue (highest first): for one requirement, and (partial indexes,
# since PostgreSQL cannot order by what follows a column compared with IS NULL) for all of
# them together.
_ALL_REQUIREMENTS = ComplianceCount.requirement_id.is_(None)
Index("ix_compliance_count_scope", ComplianceCount.scope, ComplianceCount.scope_id, ComplianceCount.requirement_id)
Index(
    "ix_compliance_count_name", ComplianceCount.scope, ComplianceCount.requirement_id, ComplianceCount.as_of,
    ComplianceCount.sort_name, ComplianceCount.scope_id,
)
Index(
    "ix_compliance_count_overdue", ComplianceCount.scope, ComplianceCount.requirement_id, ComplianceCount.as_of,
    ComplianceCount.overdue_share.desc(), ComplianceCount.sort_name, ComplianceCount.scope_id,
)
Index(
    "ix_compliance_count_all_name", ComplianceCount.scope, ComplianceCount.as_of, ComplianceCount.sort_name,
    ComplianceCount.scope_id, postgresql_where=_ALL_REQUIREMENTS, sqlite_where=_ALL_REQUIREMENTS,
)
Index(
    "ix_compliance_count_all_overdue", ComplianceCount.scope, ComplianceCount.as_of,
    ComplianceCount.overdue_share.desc(), ComplianceCount.sort_name, ComplianceCount.scope_id,
    postgresql_where=_ALL_REQUIREMENTS, sqlite_where=_ALL_REQUIREMENTS,
)


class CompliancePolicy(db.Model):
    """The partnership's compliance settings (one row, id 1; the defaults apply while there
    is none). `unverified_cpd_counts`: self-reported external CPD counts towards
    requirements before a setting lead verifies it (every status that rests on it then
    says so); when off, it counts only once verified."""

    __tablename__ = "compliance_policy"

    id: Mapped[int] = mapped_column(primary_key=True)
    unverified_cpd_counts: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    updated_by: Mapped[User | None] = relationship()


class RuleSetVersion(db.Model):
    """One row (id 1) whose `token` changes, in the same transaction, whenever anything the
    rule set is built from changes: a requirement, one of its rule layers or job roles, a
    job role, or a course (what it counts towards, its mode, whether it is active). Each
    process keeps the rule set it last built with the token it was built under
    (compliance.kept_rules) and reuses it while the token is the same. The token is random
    rather than a counter, so a change rolled back can never leave a copy that matches a
    later, different change."""

    __tablename__ = "rule_set_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[int] = mapped_column(BigInteger)
