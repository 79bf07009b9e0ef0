"""Accounts: registration, confirmation, sign-in with rate limits, server-side sessions,
password reset, profiles, job roles, organisation history and who may see whom.

Plain functions over the ORM: they take the actor and `now`, raise DomainError, flush but
never commit.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import Select, func, select, update
from zxcvbn import zxcvbn

from lms.accounts.models import AccountToken, LoginAttempt, SignInGuard, User, UserSession
from lms.audit import services as audit
from lms.core.urls import external_url
from lms.core.errors import DomainError, Forbidden
from lms.core.time import london_today
from lms.core.tokens import hash_token, new_token
from lms.extensions import db
from lms.notifications.services import queue_templated_email
from lms.organisations.models import Employment, JobRole, JoinRequest, Organisation, PersonRole, SettingLead
from lms.organisations.requests.services import request_organisation
from lms.signals import dormant_account_signing_in, person_changed

_hasher = PasswordHasher()
# A real hash to verify against when the account does not exist, so timing does not
# reveal which emails have accounts.
_DUMMY_HASH = _hasher.hash("not-a-real-password-just-for-timing")

MIN_PASSWORD_LENGTH = 10


# --- passwords and emails -------------------------------------------------------------

def normalise_email(value: str, *, field_name: str = "email") -> str:
    """A syntactically valid email address, lower-cased, or DomainError."""
    value = (value or "").strip()
    if not value:
        raise DomainError("Enter your email address", field=field_name)
    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        raise DomainError(
            "Enter an email address in the correct format, like name@example.org", field=field_name
        ) from None
    return result.normalized.lower()


def check_password_strength(password: str, *, user_inputs: list[str] | None = None, field_name: str = "password") -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise DomainError(f"Password must be {MIN_PASSWORD_LENGTH} characters or more", field=field_name)
    if len(password) > 200:
        raise DomainError("Password must be 200 characters or fewer", field=field_name)
    # The person's own name and email, whole and word by word, count as easy to guess.
    words = set()
    for value in user_inputs or []:
        if value:
            words.add(value.lower())
            words.update(part for part in re.split(r"[^a-z0-9]+", value.lower()) if len(part) > 2)
    remainder = password.lower()
    for word in sorted(words, key=len, reverse=True):
        remainder = remainder.replace(word, "")
    if len(remainder) < MIN_PASSWORD_LENGTH:
        raise DomainError("Password must not be based on your name or email address", field=field_name)
    result = zxcvbn(password[:100], user_inputs=sorted(words))
    if result["score"] < 3:
        raise DomainError(
            "Password is too easy to guess. Use three or more random words, or a longer password",
            field=field_name,
        )


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(user: User | None, password: str) -> bool:
    stored = user.password_hash if user is not None and user.password_hash else _DUMMY_HASH
    try:
        ok = _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False
    if user is None or not user.password_hash:
        return False
    if ok and _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return ok


def get_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))


# --- registration ---------------------------------------------------------------------

@dataclass
class RoleChoice:
    job_role_id: int
    started_on: date


@dataclass
class Registration:
    full_name: str
    email: str
    password: str
    organisation_id: int | None = None
    roles: list[RoleChoice] = field(default_factory=list)
    # "My organisation is not listed"
    new_organisation: dict | None = None


def register(data: Registration, *, now: datetime, ip_address: str = "unknown") -> User | None:
    """Create an unconfirmed account and queue the confirmation email.

    The answer never says whether the email address already has an account: every check
    that does not depend on that is made first, and then an address that is already in use
    gets an email telling its owner (at most REGISTER_MAX_PER_ACCOUNT an hour) instead of a
    new account, and None is returned. Registrations from one address are limited to
    REGISTER_MAX_PER_ADDRESS an hour, known or not."""
    config = current_app.config
    full_name = " ".join((data.full_name or "").split())
    if not full_name:
        raise DomainError("Enter your full name", field="full_name")
    if len(full_name) > 200:
        raise DomainError("Full name must be 200 characters or fewer", field="full_name")
    email = normalise_email(data.email)
    since = now - config.get("REGISTER_WINDOW", timedelta(hours=1))
    from_address = db.session.scalar(
        select(func.count(LoginAttempt.id)).where(
            LoginAttempt.kind == "register", LoginAttempt.ip_address == ip_address, LoginAttempt.created_at > since
        )
    )
    if from_address >= config.get("REGISTER_MAX_PER_ADDRESS", 20):
        raise DomainError("Too many accounts have been created from your network. Try again in an hour", field="email")
    check_password_strength(data.password, user_inputs=[full_name, email, email.split("@")[0]])
    if not data.roles:
        raise DomainError("Select at least one job role", field="job_roles")
    today = london_today(now)
    job_roles = {}
    for choice in data.roles:
        role = db.session.get(JobRole, choice.job_role_id)
        if role is None or not role.active:
            raise DomainError("Select a job role from the list", field="job_roles")
        if choice.started_on > today:
            raise DomainError("The date you started a role must be today or in the past", field="job_roles")
        job_roles[role.id] = (role, choice.started_on)

    organisation = None
    if data.new_organisation is None:
        if data.organisation_id is None:
            raise DomainError("Select your organisation, or say it is not listed", field="organisation")
        organisation = db.session.get(Organisation, data.organisation_id)
        if organisation is None or not organisation.active:
            raise DomainError("Select your organisation from the list", field="organisation")

    existing = get_user_by_email(email)
    for_account = db.session.scalar(
        select(func.count(LoginAttempt.id)).where(
            LoginAttempt.kind == "register", LoginAttempt.email == email, LoginAttempt.created_at > since
        )
    )
    db.session.add(LoginAttempt(kind="register", email=email, ip_address=ip_address, succeeded=existing is None,
                                created_at=now))
    if existing is not None:
        if for_account < config.get("REGISTER_MAX_PER_ACCOUNT", 3):
            queue_templated_email(
                existing.email, "account_exists", now=now, subject="Someone tried to create an account with your email address",
                user=existing, category="account", name=existing.full_name,
                sign_in_link=external_url("accounts.sign_in"), reset_link=external_url("accounts.forgot_password"),
            )
        return None

    # A person registering into an organisation asks to join it: they belong (and are
    # counted) only once one of its setting leads, or an admin, confirms them.
    user = User(
        email=email,
        full_name=full_name,
        password_hash=hash_password(data.password),
        created_at=now,
        organisation_id=None,
    )
    db.session.add(user)
    for role, started_on in job_roles.values():
        user.roles.append(PersonRole(job_role=role, started_on=started_on))
    db.session.flush()
    if organisation is not None:
        ask_to_join(user, organisation, on=today, now=now)
    if data.new_organisation is not None:
        request_organisation(user, now=now, **data.new_organisation)
    send_confirmation(user, now=now)
    person_changed.send(None, user=user, now=now)
    return user


def _issue_token(user: User, purpose: str, lifetime: timedelta, *, now: datetime) -> str:
    token = new_token()
    db.session.add(
        AccountToken(user_id=user.id, purpose=purpose, token_hash=hash_token(token), created_at=now, expires_at=now + lifetime)
    )
    return token


def issue_token(user: User, purpose: str, lifetime: timedelta, *, now: datetime) -> str:
    """A new single-use emailed token (for example an admin's invitation, which uses the
    reset-password page to set a first password). Only its digest is stored."""
    return _issue_token(user, purpose, lifetime, now=now)


def _use_token(token: str, purpose: str, *, now: datetime) -> User:
    """The token's user, marking the token used; DomainError if unknown, used or expired.
    The conditional UPDATE makes it single-use even under concurrent requests."""
    digest = hash_token(token or "")
    row = db.session.scalar(select(AccountToken).where(AccountToken.token_hash == digest, AccountToken.purpose == purpose))
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise DomainError("This link has expired or has already been used")
    claimed = db.session.execute(
        update(AccountToken)
        .where(AccountToken.id == row.id, AccountToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise DomainError("This link has expired or has already been used")
    db.session.refresh(row)
    return row.user


def send_confirmation(user: User, *, now: datetime) -> None:
    token = _issue_token(user, "confirm-email", current_app.config["CONFIRM_TOKEN_LIFETIME"], now=now)
    queue_templated_email(
        user.email,
        "confirm_email",
        now=now,
        subject="Confirm your email address",
        user=user,
        category="account",
        name=user.full_name,
        link=external_url("accounts.confirm_email", token=token),
    )


def confirm_email(token: str, *, now: datetime) -> User:
    user = _use_token(token, "confirm-email", now=now)
    if user.email_confirmed_at is None:
        user.email_confirmed_at = now
    # Now that the address is known to be theirs, the organisation's leads hear of their
    # request to join.
    _notify_join_request(user.open_join_request, now=now)
    return user


# --- sign-in and rate limits ----------------------------------------------------------

class SignInLocked(DomainError):
    pass


def _failures(kind: str, column, value: str, since: datetime) -> int:
    return db.session.scalar(
        select(func.count(LoginAttempt.id)).where(
            LoginAttempt.kind == kind, column == value, LoginAttempt.succeeded.is_(False), LoginAttempt.created_at > since
        )
    ) or 0


def _hold_account(email: str, *, now: datetime) -> None:
    """Write this email's SignInGuard row, which holds it until the caller commits: a
    second attempt at the same account, in any worker, waits here, then counts the first
    one's failure. Without it, thirty guesses at once all count the same nine failures
    and all get checked."""
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(SignInGuard).values(email=email, touched_at=now)
    db.session.execute(statement.on_conflict_do_update(index_elements=[SignInGuard.email], set_={"touched_at": now}))


def check_sign_in_allowed(email: str, ip_address: str, *, now: datetime) -> None:
    """SignInLocked if this account, or this address, has had too many failures lately.
    Call with the account held (_hold_account) for the per-account count to be exact."""
    config = current_app.config
    since = now - config["SIGNIN_LOCK_WINDOW"]
    minutes = int(config["SIGNIN_LOCK_WINDOW"].total_seconds() // 60)
    if _failures("sign-in", LoginAttempt.email, email, since) >= config["SIGNIN_MAX_FAILURES_PER_ACCOUNT"]:
        raise SignInLocked(
            f"Too many attempts to sign in to this account. Wait {minutes} minutes and try again, or reset your password",
            field="email",
        )
    if _failures("sign-in", LoginAttempt.ip_address, ip_address, since) >= config["SIGNIN_MAX_FAILURES_PER_ADDRESS"]:
        raise SignInLocked(f"Too many attempts to sign in from your network. Wait {minutes} minutes and try again", field="email")


def authenticate(email: str, password: str, *, ip_address: str, now: datetime) -> User:
    """The user for these credentials, or DomainError. Every attempt is recorded (flushed,
    so the caller must commit even on failure for the limit to hold)."""
    email = (email or "").strip().lower()
    if not email:
        raise DomainError("Enter your email address", field="email")
    if not password:
        raise DomainError("Enter your password", field="password")
    _hold_account(email, now=now)
    check_sign_in_allowed(email, ip_address, now=now)
    user = get_user_by_email(email)
    ok = verify_password(user, password)
    db.session.add(LoginAttempt(kind="sign-in", email=email, ip_address=ip_address, succeeded=ok, created_at=now))
    db.session.flush()
    if not ok:
        raise DomainError("Enter a correct email address and password", field="email")
    if user.email_confirmed_at is None:
        raise DomainError(
            "Confirm your email address first: use the link we sent you, or ask for a new one", field="email"
        )
    if not user.active:
        raise DomainError("This account has been closed. Contact the partnership's training team", field="email")
    if user.dormant_at is not None:
        # Licences decide whether the account comes back into use (or refuse the sign-in).
        dormant_account_signing_in.send(None, user=user, now=now)
    user.last_sign_in_at = now
    return user


def start_session(user: User, *, now: datetime, ip_address: str | None = None, user_agent: str | None = None) -> str:
    token = new_token()
    db.session.add(
        UserSession(
            token_hash=hash_token(token),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            ip_address=ip_address,
            user_agent=(user_agent or "")[:255] or None,
        )
    )
    user.session_token = token
    return token


def end_session(token: str | None, *, now: datetime) -> None:
    if not token:
        return
    db.session.execute(
        update(UserSession)
        .where(UserSession.token_hash == hash_token(token), UserSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def end_all_sessions(user: User, *, now: datetime, except_token: str | None = None) -> None:
    query = update(UserSession).where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
    if except_token:
        query = query.where(UserSession.token_hash != hash_token(except_token))
    db.session.execute(query.values(revoked_at=now))


# --- password reset -------------------------------------------------------------------

def request_password_reset(email: str, *, ip_address: str, now: datetime) -> None:
    """Queue a reset link if the account exists. Says nothing either way (no account
    enumeration); rate-limited per account and per address."""
    config = current_app.config
    email = normalise_email(email)
    since = now - config["RESET_WINDOW"]
    recent_for_account = db.session.scalar(
        select(func.count(LoginAttempt.id)).where(
            LoginAttempt.kind == "reset", LoginAttempt.email == email, LoginAttempt.created_at > since
        )
    )
    recent_for_address = db.session.scalar(
        select(func.count(LoginAttempt.id)).where(
            LoginAttempt.kind == "reset", LoginAttempt.ip_address == ip_address, LoginAttempt.created_at > since
        )
    )
    if recent_for_address >= config["RESET_MAX_PER_ADDRESS"]:
        raise DomainError("Too many password reset requests from your network. Try again in an hour", field="email")
    db.session.add(LoginAttempt(kind="reset", email=email, ip_address=ip_address, succeeded=False, created_at=now))
    if recent_for_account >= config["RESET_MAX_PER_ACCOUNT"]:
        return  # quietly: the account already has several live links
    user = get_user_by_email(email)
    if user is None or not user.active:
        return
    token = _issue_token(user, "reset-password", config["RESET_TOKEN_LIFETIME"], now=now)
    queue_templated_email(
        user.email,
        "reset_password",
        now=now,
        subject="Reset your password",
        user=user,
        category="account",
        name=user.full_name,
        link=external_url("accounts.reset_password", token=token),
        hours=int(config["RESET_TOKEN_LIFETIME"].total_seconds() // 3600),
    )


def check_reset_token(token: str, *, now: datetime) -> None:
    row = db.session.scalar(
        select(AccountToken).where(AccountToken.token_hash == hash_token(token or ""), AccountToken.purpose == "reset-password")
    )
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise DomainError("This link has expired or has already been used")


def _retire_reset_links(user: User, *, now: datetime) -> None:
    """Every reset (and invitation) link the person still holds stops working: a new
    password makes any older link to set one useless, and dangerous if an old email leaks."""
    db.session.execute(
        update(AccountToken)
        .where(AccountToken.user_id == user.id, AccountToken.purpose == "reset-password", AccountToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )


def reset_password(token: str, new_password: str, *, now: datetime) -> User:
    user = _use_token(token, "reset-password", now=now)
    check_password_strength(new_password, user_inputs=[user.full_name, user.email])
    user.password_hash = hash_password(new_password)
    if user.email_confirmed_at is None:
        user.email_confirmed_at = now  # they proved they read the mailbox
    _retire_reset_links(user, now=now)
    end_all_sessions(user, now=now)
    return user


def change_password(user: User, current_password: str, new_password: str, *, now: datetime, keep_token: str | None) -> None:
    if not verify_password(user, current_password):
        raise DomainError("Your current password is not correct", field="current_password")
    check_password_strength(new_password, user_inputs=[user.full_name, user.email], field_name="new_password")
    user.password_hash = hash_password(new_password)
    _retire_reset_links(user, now=now)
    end_all_sessions(user, now=now, except_token=keep_token)


# --- profile, roles and organisations -------------------------------------------------

def update_profile(user: User, *, full_name: str, email: str, now: datetime) -> bool:
    """Change name and email. A new email needs confirming again. Returns True if the
    email changed."""
    full_name = " ".join((full_name or "").split())
    if not full_name:
        raise DomainError("Enter your full name", field="full_name")
    email = normalise_email(email)
    user.full_name = full_name
    if email == user.email:
        return False
    if get_user_by_email(email) is not None:
        raise DomainError("Another account already uses this email address", field="email")
    user.email = email
    user.email_confirmed_at = None
    send_confirmation(user, now=now)
    return True


def add_role(user: User, job_role: JobRole, *, started_on: date, now: datetime) -> PersonRole:
    if started_on > london_today(now):
        raise DomainError("The start date must be today or in the past", field="started_on")
    if any(role.job_role_id == job_role.id and role.ended_on is None for role in user.roles):
        raise DomainError(f"You already hold the role {job_role.name}", field="job_role")
    role = PersonRole(job_role=job_role, started_on=started_on)
    user.roles.append(role)
    db.session.flush()
    person_changed.send(None, user=user, now=now)
    return role


def end_role(user: User, role: PersonRole, *, ended_on: date, now: datetime) -> None:
    if role.user_id != user.id:
        raise Forbidden("That role is not yours")
    if ended_on < role.started_on:
        raise DomainError("The end date must be on or after the start date", field="ended_on")
    if ended_on > london_today(now):
        raise DomainError("The end date must be today or in the past", field="ended_on")
    if len(user.current_roles) == 1 and role.ended_on is None:
        raise DomainError("Add your new role before ending your last one", field="ended_on")
    role.ended_on = ended_on
    db.session.flush()
    person_changed.send(None, user=user, now=now)


def change_organisation(user: User, organisation: Organisation, *, on: date, now: datetime, actor: User | None = None) -> None:
    """Move a person to another organisation from `on`, keeping the history."""
    if not organisation.active:
        raise DomainError("Select an organisation from the list", field="organisation")
    if user.organisation_id == organisation.id:
        raise DomainError("You are already recorded at this organisation", field="organisation")
    if on > london_today(now):
        raise DomainError("The date must be today or in the past", field="started_on")
    for employment in user.employments:
        if employment.ended_on is None:
            if on < employment.started_on:
                raise DomainError(
                    "The date must be on or after you started at your current organisation", field="started_on"
                )
            employment.ended_on = on
    user.employments.append(Employment(organisation_id=organisation.id, started_on=on))
    before = user.organisation_id
    user.organisation_id = organisation.id
    # Leading a setting does not move with the person.
    db.session.execute(
        SettingLead.__table__.delete().where(SettingLead.user_id == user.id, SettingLead.organisation_id == before)
    )
    # Moved there by someone else (an admin): a request to join it is answered.
    db.session.execute(
        update(JoinRequest)
        .where(JoinRequest.user_id == user.id, JoinRequest.organisation_id == organisation.id,
               JoinRequest.decided_at.is_(None))
        .values(decided_at=now, decided_by_id=(actor or user).id, outcome="confirmed")
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
    db.session.expire(user, ["open_join_request"])
    person_changed.send(None, user=user, now=now)
    if actor is not None and actor.id != user.id:
        audit.record(
            actor, "person.change-organisation", target=user, now=now,
            summary=f"Moved {user.full_name} to {organisation.name}",
            before={"organisation_id": before}, after={"organisation_id": organisation.id},
        )


# --- asking to join an organisation ---------------------------------------------------

def ask_to_join(user: User, organisation: Organisation, *, on: date, now: datetime) -> JoinRequest:
    """Ask to join `organisation`, having started there on `on`. The person's current
    organisation (if any) does not change until a setting lead of `organisation` (or an
    admin, where it has none) confirms them, so until then they are counted nowhere new.
    A request already open (to another organisation) is withdrawn: one at a time."""
    if not organisation.active:
        raise DomainError("Select an organisation from the list", field="organisation")
    if user.organisation_id == organisation.id:
        raise DomainError("You are already recorded at this organisation", field="organisation")
    today = london_today(now)
    if on > today:
        raise DomainError("The date must be today or in the past", field="started_on")
    current = next((row for row in user.employments if row.ended_on is None), None)
    if current is not None and on < current.started_on:
        raise DomainError(
            "The date must be on or after you started at your current organisation", field="started_on"
        )
    waiting = db.session.scalar(
        select(JoinRequest).where(JoinRequest.user_id == user.id, JoinRequest.decided_at.is_(None))
    )
    if waiting is not None:
        if waiting.organisation_id == organisation.id:
            raise DomainError(
                f"You have already asked to join {organisation.name}. Its setting lead has not yet confirmed you",
                field="organisation",
            )
        waiting.decided_at = now
        waiting.decided_by_id = user.id
        waiting.outcome = "withdrawn"
        db.session.flush()
    join_request = JoinRequest(user_id=user.id, organisation_id=organisation.id, started_on=on, requested_at=now)
    db.session.add(join_request)
    db.session.flush()
    db.session.expire(user, ["open_join_request"])
    if user.email_confirmed_at is not None:
        _notify_join_request(join_request, now=now)
    return join_request


def withdraw_join_request(user: User, *, now: datetime) -> JoinRequest:
    """The person no longer wants to join the organisation they asked to."""
    waiting = user.open_join_request
    if waiting is None:
        raise DomainError("You have not asked to join an organisation")
    waiting.decided_at = now
    waiting.decided_by_id = user.id
    waiting.outcome = "withdrawn"
    db.session.flush()
    db.session.expire(user, ["open_join_request"])
    return waiting


def setting_leads_of(organisation: Organisation) -> list[User]:
    """The organisation's setting leads whose accounts are open."""
    return list(
        db.session.scalars(
            select(User)
            .join(SettingLead, SettingLead.user_id == User.id)
            .where(SettingLead.organisation_id == organisation.id, User.active.is_(True))
            .order_by(User.id)
        )
    )


def deciders_of(organisation: Organisation) -> list[User]:
    """Who decides requests to join `organisation`: its setting leads (open accounts), or
    the partnership's admins where it has none."""
    return setting_leads_of(organisation) or list(
        db.session.scalars(select(User).where(User.is_admin.is_(True), User.active.is_(True)).order_by(User.id))
    )


def _notify_join_request(join_request: JoinRequest | None, *, now: datetime) -> None:
    """Tell the organisation's leads (or the admins) that someone is asking to join, once."""
    if join_request is None or join_request.notified_at is not None or join_request.decided_at is not None:
        return
    organisation = join_request.organisation
    person = join_request.user
    link = external_url("accounts.staff.index", organisation=organisation.id) + "#asking-to-join"
    leads_ = setting_leads_of(organisation)
    for decider in deciders_of(organisation):
        queue_templated_email(
            decider.email,
            "join_requested",
            now=now,
            subject=f"{person.full_name} is asking to join {organisation.name}",
            user=decider,
            category="general",
            dedupe_key=f"join-requested:{join_request.id}:{decider.id}",
            name=decider.full_name,
            person=person,
            organisation=organisation,
            as_admin=not leads_,
            link=link,
        )
    join_request.notified_at = now


# --- who may see whom -----------------------------------------------------------------

def led_organisation_ids(actor: User) -> list[int]:
    return list(db.session.scalars(select(SettingLead.organisation_id).where(SettingLead.user_id == actor.id)))


def visible_people(actor: User) -> Select:
    """A query of the people `actor` may see: everyone for an admin, their own
    organisations' people for a setting lead, themselves otherwise."""
    query = select(User)
    if actor.is_admin:
        return query
    org_ids = led_organisation_ids(actor)
    if org_ids:
        return query.where((User.organisation_id.in_(org_ids)) | (User.id == actor.id))
    return query.where(User.id == actor.id)


def can_see_person(actor: User, person: User) -> bool:
    if actor.is_admin or actor.id == person.id:
        return True
    return person.organisation_id is not None and person.organisation_id in led_organisation_ids(actor)


def leads(actor: User, organisation_id: int) -> bool:
    return actor.is_admin or organisation_id in led_organisation_ids(actor)


def create_user(
    *, email: str, full_name: str, password: str, role: str, now: datetime, organisation_id: int | None = None
) -> User:
    """A confirmed account made by the CLI or an admin (no email confirmation needed)."""
    email = normalise_email(email)
    if get_user_by_email(email) is not None:
        raise DomainError(f"An account already uses {email}", field="email")
    full_name = " ".join((full_name or "").split())
    if not full_name:
        raise DomainError("Enter a full name", field="full_name")
    check_password_strength(password, user_inputs=[full_name, email])
    organisation = None
    if organisation_id is not None:
        organisation = db.session.get(Organisation, organisation_id)
        if organisation is None:
            raise DomainError(f"No organisation has id {organisation_id}", field="organisation")
    user = User(
        email=email,
        full_name=full_name,
        password_hash=hash_password(password),
        email_confirmed_at=now,
        is_admin=role == "admin",
        is_trainer=role == "trainer",
        created_at=now,
        organisation_id=organisation.id if organisation else None,
    )
    db.session.add(user)
    if organisation is not None:
        user.employments.append(Employment(organisation_id=organisation.id, started_on=london_today(now)))
    db.session.flush()
    person_changed.send(None, user=user, now=now)
    audit.record(None, "person.create", target=user, now=now, summary=f"Created {role} {email} from the command line",
                 after={"email": email, "role": role})
    return user


def may_resend_confirmation(user: User, *, now: datetime) -> bool:
    """At most three confirmation links an hour for one account."""
    recent = db.session.scalar(
        select(func.count(AccountToken.id)).where(
            AccountToken.user_id == user.id,
            AccountToken.purpose == "confirm-email",
            AccountToken.created_at > now - timedelta(hours=1),
        )
    )
    return recent < 3
