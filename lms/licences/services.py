"""Licences and dormancy.

An account uses a licence while it is active (not closed) and not dormant. The nightly
job makes accounts dormant when they have not been used (signed in, or created, if never
signed in) for the policy's period, after an email a month before. Signing in to a
dormant account reactivates it while licences remain. An account still dormant after the
policy's further period is closed (the retention rule for accounts): nobody can sign in
to it, it leaves the compliance figures, and an admin can reopen it. Its training record
is kept.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import selectinload

from lms.accounts.models import User
from lms.accounts.services import end_all_sessions
from lms.audit import services as audit
from lms.core.urls import external_url
from lms.core.errors import DomainError
from lms.core.time import add_months, format_date, london_today
from lms.extensions import db
from lms.licences import kept_counts
from lms.licences.models import LicencePolicy, LicencePurchase
from lms.notifications.services import queue_templated_email


KEEP = object()  # update_policy: leave the setting as it is


def get_policy(*, for_update: bool = False) -> LicencePolicy:
    """The licence policy: the one row, or (before an admin has saved it) the defaults,
    unsaved, so that reading it (every admin home page) writes nothing; `for_update` adds
    the defaults to the session to be changed."""
    policy = db.session.get(LicencePolicy, 1)
    if policy is None:
        policy = LicencePolicy(id=1, dormant_after_months=24, close_after_dormant_months=12, warn_at_percent=90)
        if for_update:
            db.session.add(policy)
            db.session.flush()
    return policy


_POLICY_FIELDS = ["dormant_after_months", "close_after_dormant_months", "warn_at_percent"]


def update_policy(
    actor: User, *, dormant_after_months: int, warn_at_percent: int, now: datetime,
    close_after_dormant_months: int | None = KEEP,
) -> LicencePolicy:
    """Change the policy; `close_after_dormant_months` None means dormant accounts are
    never closed, and leaving it out keeps what is set."""
    if not 3 <= dormant_after_months <= 120:
        raise DomainError("Enter a number of months from 3 to 120", field="dormant_after_months")
    if close_after_dormant_months not in (None, KEEP) and not 1 <= close_after_dormant_months <= 120:
        raise DomainError(
            "Enter a number of months from 1 to 120, or leave it blank to never close dormant accounts",
            field="close_after_dormant_months",
        )
    if not 50 <= warn_at_percent <= 100:
        raise DomainError("Enter a percentage from 50 to 100", field="warn_at_percent")
    policy = get_policy(for_update=True)
    before = audit.snapshot(policy, _POLICY_FIELDS)
    policy.dormant_after_months = dormant_after_months
    if close_after_dormant_months is not KEEP:
        policy.close_after_dormant_months = close_after_dormant_months
    policy.warn_at_percent = warn_at_percent
    policy.updated_at = now
    after = audit.snapshot(policy, _POLICY_FIELDS)
    if before != after:
        audit.record(actor, "licences.policy", target=policy, summary="Changed the licence policy",
                     before=before, after=after, now=now)
    return policy


def add_purchase(actor: User, *, quantity: int, starts_on: date, ends_on: date | None, reference: str | None, now: datetime) -> LicencePurchase:
    if quantity is None or quantity < 1 or quantity > 10_000_000:
        raise DomainError("Enter the number of licences, a whole number of 1 or more", field="quantity")
    if ends_on is not None and ends_on < starts_on:
        raise DomainError("The end date must be on or after the start date", field="ends_on")
    purchase = LicencePurchase(
        quantity=quantity, starts_on=starts_on, ends_on=ends_on, reference=(reference or "").strip() or None,
        created_by_id=actor.id, created_at=now,
    )
    db.session.add(purchase)
    db.session.flush()
    audit.record(actor, "licences.purchase", target=purchase, now=now,
                 summary=f"Recorded {quantity} learner licences from {format_date(starts_on)}",
                 after={"quantity": quantity, "starts_on": starts_on, "ends_on": ends_on, "reference": purchase.reference})
    return purchase


def list_purchases() -> list[LicencePurchase]:
    """Every purchase, latest start first, with who recorded it."""
    return list(db.session.scalars(
        select(LicencePurchase).options(selectinload(LicencePurchase.created_by)).order_by(LicencePurchase.starts_on.desc())
    ))


def licences_on(day: date) -> int:
    return db.session.scalar(
        select(func.coalesce(func.sum(LicencePurchase.quantity), 0)).where(
            LicencePurchase.starts_on <= day, or_(LicencePurchase.ends_on.is_(None), LicencePurchase.ends_on >= day)
        )
    )


def account_counts() -> tuple[int, int]:
    """(open accounts in use, open dormant accounts): the kept counts (kept_counts), or
    counted directly while the database has none."""
    return kept_counts.kept() or kept_counts.counted(db.session.connection())


def active_accounts() -> int:
    return account_counts()[0]


@dataclass
class LicenceSummary:
    licences: int
    active: int
    dormant: int
    warn_at_percent: int
    dormant_after_months: int
    close_after_dormant_months: int | None = None

    @property
    def percent_used(self) -> int | None:
        return round(100 * self.active / self.licences) if self.licences else None

    @property
    def warning(self) -> bool:
        return self.licences > 0 and self.active * 100 >= self.warn_at_percent * self.licences

    @property
    def remaining(self) -> int:
        return max(self.licences - self.active, 0)


def summary(*, now: datetime) -> LicenceSummary:
    policy = get_policy()
    active, dormant = account_counts()
    return LicenceSummary(
        licences=licences_on(london_today(now)),
        active=active,
        dormant=dormant,
        warn_at_percent=policy.warn_at_percent,
        dormant_after_months=policy.dormant_after_months,
        close_after_dormant_months=policy.close_after_dormant_months,
    )


def reactivate(user: User, *, now: datetime) -> None:
    """Bring a dormant account back into use at sign-in, if a licence is free. With no
    licences recorded at all the partnership is not counting, so the account reactivates."""
    if user.dormant_at is None:
        return
    licences = licences_on(london_today(now))
    if licences and active_accounts() >= licences:
        raise DomainError(
            "Your account has not been used for a long time and no learner licences are free to reopen it. "
            "Contact the partnership's training team",
            field="email",
        )
    user.dormant_at = None


def _on_dormant_account_signing_in(sender, *, user: User, now: datetime, **_) -> None:
    reactivate(user, now=now)


def connect_signals() -> None:
    from lms.signals import dormant_account_signing_in

    kept_counts.connect_signals()

    dormant_account_signing_in.connect(_on_dormant_account_signing_in, weak=False)


def warn_dormant_accounts(*, now: datetime) -> int:
    """Email people whose accounts become dormant within a month. Each warning is sent once
    for each period of inactivity (the dedupe key carries the last-used date)."""
    policy = get_policy()
    months = policy.dormant_after_months
    warn_before = add_months(now, 1 - months)
    last_used = func.coalesce(User.last_sign_in_at, User.created_at)
    people = db.session.scalars(
        select(User).where(
            User.active.is_(True), User.dormant_at.is_(None), User.is_admin.is_(False), last_used <= warn_before
        )
    ).all()
    sent = 0
    for person in people:
        used = person.last_sign_in_at or person.created_at
        email = queue_templated_email(
            person.email,
            "dormancy_warning",
            now=now,
            subject="Sign in to keep your training account open",
            user=person,
            category="account",
            dedupe_key=f"dormancy-warning:{person.id}:{used.date().isoformat()}",
            name=person.full_name,
            dormant_on=format_date(add_months(used, months)),
            link=external_url("accounts.sign_in"),
        )
        sent += email is not None
    return sent


def make_accounts_dormant(*, now: datetime) -> int:
    """Mark accounts not used for the policy's period as dormant. Returns how many."""
    policy = get_policy()
    cutoff = add_months(now, -policy.dormant_after_months)
    last_used = func.coalesce(User.last_sign_in_at, User.created_at)
    result = db.session.execute(
        update(User)
        .where(User.active.is_(True), User.dormant_at.is_(None), User.is_admin.is_(False), last_used <= cutoff)
        .values(dormant_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def close_dormant_accounts(*, now: datetime) -> int:
    """Close the accounts dormant for the policy's further period (none when the policy
    never closes them): as an admin's "close account" does, every browser signed out, each
    in the audit log as done by the service. Admin accounts never become dormant, so are
    never closed here. Returns how many; the caller commits."""
    policy = get_policy()
    months = policy.close_after_dormant_months
    if months is None:
        return 0
    cutoff = add_months(now, -months)
    people = db.session.scalars(
        select(User)
        .where(User.active.is_(True), User.is_admin.is_(False), User.dormant_at.is_not(None), User.dormant_at <= cutoff)
        .order_by(User.id)
    ).all()
    for person in people:
        person.active = False
        person.closed_at = now
        end_all_sessions(person, now=now)
        audit.record(
            None, "person.close", target=person, now=now,
            summary=f"Closed the account of {person.full_name}: dormant since {format_date(person.dormant_at)}, "
                    f"longer than the licence policy's {months} month{'s' if months != 1 else ''}",
            before={"active": True}, after={"active": False, "dormant_at": person.dormant_at},
        )
    db.session.flush()
    return len(people)
