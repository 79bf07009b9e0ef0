"""People's accounts: the person, their signed-in browsers, emailed tokens and sign-in
attempts."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.db_types import UTCDateTime
from lms.extensions import db
# The rows that link a person to organisations and job roles are the organisations
# feature's (its services record who works where, in which role, and who leads what); they
# are imported here for the User's relationships and for the many modules that read them
# with the User.
from lms.organisations.models import Employment, JoinRequest, Organisation, PersonRole, SettingLead  # noqa: F401

# Where the signed-in person's "leads an organisation" answer is kept for the request,
# keyed by user id (accounts.session sets it, User.is_setting_lead reads it). Kept in the
# WSGI environ, which belongs to one request, so it never outlives it.
SETTING_LEAD_KEY = "lms.setting_lead"


class User(db.Model):
    """A person with an account. Practitioner by default; the flags and the setting-lead
    links add the other roles."""

    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-case
    full_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    is_admin: Mapped[bool] = mapped_column(default=False)
    is_trainer: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    # The current organisation; the history is in Employment.
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set by the nightly dormancy job when the account has not been used for the
    # partnership's period; a dormant account does not hold a learner licence.
    dormant_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # When the account was last closed (None while open); closed accounts are anonymised
    # CLOSED_ACCOUNT_RETENTION_DAYS later (lms.privacy).
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # When the person's personal details were erased (on request, or by that retention rule).
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organisation: Mapped[Organisation | None] = relationship()
    roles: Mapped[list["PersonRole"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="PersonRole.started_on"
    )
    employments: Mapped[list["Employment"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="Employment.started_on"
    )
    led_organisations: Mapped[list[Organisation]] = relationship(
        secondary="setting_lead", order_by=Organisation.name, viewonly=True
    )
    join_requests: Mapped[list["JoinRequest"]] = relationship(
        back_populates="user", foreign_keys="JoinRequest.user_id", cascade="all, delete-orphan",
        order_by="JoinRequest.requested_at",
    )
    # The organisation they are asking to join, while a lead has not yet decided.
    open_join_request: Mapped["JoinRequest | None"] = relationship(
        primaryjoin="and_(JoinRequest.user_id == User.id, JoinRequest.decided_at.is_(None))",
        viewonly=True, uselist=False,
    )

    # Flask-Login: the id kept in the cookie is the server-side session's token,
    # set on the object by accounts.services.start_session.
    session_token = None  # type: str | None

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str | None:
        return self.session_token

    @property
    def is_setting_lead(self) -> bool:
        """Asked on every page (for the navigation and setting_lead_required). For the
        signed-in person the session check has already answered it in the same statement
        that loaded them (kept for this request only); otherwise a cheap EXISTS, unless the
        organisations are already loaded."""
        if "led_organisations" in self.__dict__:
            return bool(self.led_organisations)
        from flask import has_request_context, request

        if has_request_context():
            answered = request.environ.get(SETTING_LEAD_KEY)
            if answered is not None and answered[0] == self.id:
                return answered[1]
        from sqlalchemy import exists, select
        from sqlalchemy.orm import object_session

        session = object_session(self)
        if session is None or self.id is None:
            return False
        return bool(session.scalar(select(exists().where(SettingLead.user_id == self.id))))

    @property
    def current_roles(self) -> list["PersonRole"]:
        return [role for role in self.roles if role.ended_on is None]

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class UserSession(db.Model):
    """A signed-in browser. Sign-out revokes it on the server; idle and absolute timeouts
    are checked on every request."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ip_address: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(255))

    user: Mapped[User] = relationship()


class AccountToken(db.Model):
    """A single-use, time-limited token sent by email (confirm email, reset password).
    Only its SHA-256 is stored."""

    __tablename__ = "account_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class LoginAttempt(db.Model):
    """Sign-in and password-reset attempts, counted per account and per address to rate
    limit them. Kept in the database so the limit holds across worker processes."""

    __tablename__ = "login_attempt"
    __table_args__ = (
        Index("ix_login_attempt_email_created", "kind", "email", "created_at"),
        Index("ix_login_attempt_ip_created", "kind", "ip_address", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # "sign-in" | "reset" | "register"
    email: Mapped[str] = mapped_column(String(254))
    ip_address: Mapped[str] = mapped_column(String(45))
    succeeded: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SignInGuard(db.Model):
    """One row per email address someone tried to sign in as: a sign-in attempt writes it
    first, which holds the row (PostgreSQL: a row lock; SQLite: the write lock) until the
    attempt is committed. So attempts at one account are checked one at a time across
    every worker, and no more than the limit are ever checked. Pruned with the attempts."""

    __tablename__ = "sign_in_guard"

    email: Mapped[str] = mapped_column(String(254), primary_key=True)
    touched_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
