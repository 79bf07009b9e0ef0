"""The partnership admin's rules: finding people, the changes an admin makes to someone's
account, and an organisation's people and setting leads.

Plain functions over the ORM. They take the acting admin and `now`, raise DomainError,
flush but never commit, and every change writes an audit event with before and after.
The account mechanics themselves (profile, roles, organisation history, sessions, email
confirmation) are accounts.services'; this module adds what only an admin may do and the
checks that protect the admin from mistakes (such as removing their own admin rights).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app, render_template
from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from lms.accounts import services as accounts
from lms.accounts.models import User, UserSession
from lms.audit import services as audit
from lms.core.errors import DomainError, NotFound
from lms.core.time import london_today
from lms.core.urls import external_url
from lms.extensions import db
from lms.notifications.services import queue_email
from lms.organisations.models import Employment, JobRole, Organisation, PersonRole, SettingLead

# --- finding people -------------------------------------------------------------------

STATUSES = {"active": "Active", "unconfirmed": "Email not confirmed", "closed": "Closed"}
ACCESS = {"admin": "Partnership admin", "trainer": "Trainer", "setting-lead": "Setting lead"}


def person_status(person: User) -> str:
    """ "active", "unconfirmed" or "closed"."""
    if not person.active:
        return "closed"
    if person.email_confirmed_at is None:
        return "unconfirmed"
    return "active"


@dataclass
class PeopleFilter:
    text: str = ""
    organisation_id: int | None = None
    sector_id: int | None = None
    job_role_id: int | None = None
    access: str | None = None
    status: str | None = None


def people_query(filters: PeopleFilter) -> Select:
    """People matching the filters, by name, with what the list shows loaded up front
    (organisation, job roles, organisations led) so a page costs the same few statements
    however many rows it has."""
    query = select(User).options(
        joinedload(User.organisation),
        selectinload(User.roles),
        selectinload(User.led_organisations),
    )
    text = " ".join((filters.text or "").split()).lower()
    if text:
        query = query.where(
            func.lower(User.full_name).contains(text, autoescape=True)
            | func.lower(User.email).contains(text, autoescape=True)
        )
    if filters.organisation_id:
        query = query.where(User.organisation_id == filters.organisation_id)
    if filters.sector_id:
        query = query.where(
            User.organisation_id.in_(select(Organisation.id).where(Organisation.sector_id == filters.sector_id))
        )
    if filters.job_role_id:
        query = query.where(
            exists().where(
                PersonRole.user_id == User.id,
                PersonRole.job_role_id == filters.job_role_id,
                PersonRole.ended_on.is_(None),
            )
        )
    if filters.access == "admin":
        query = query.where(User.is_admin.is_(True))
    elif filters.access == "trainer":
        query = query.where(User.is_trainer.is_(True))
    elif filters.access == "setting-lead":
        query = query.where(exists().where(SettingLead.user_id == User.id))
    if filters.status == "active":
        query = query.where(User.active.is_(True), User.email_confirmed_at.is_not(None))
    elif filters.status == "unconfirmed":
        query = query.where(User.active.is_(True), User.email_confirmed_at.is_(None))
    elif filters.status == "closed":
        query = query.where(User.active.is_(False))
    return query.order_by(func.lower(User.full_name), User.id)


def get_person(person_id: int) -> User:
    person = db.session.get(User, person_id)
    if person is None:
        raise NotFound("No one has this id")
    return person


def live_session_count(person: User, *, now: datetime) -> int:
    """Signed-in browsers that would still be let in: not revoked, not idle too long,
    not older than the absolute limit."""
    config = current_app.config
    return (
        db.session.scalar(
            select(func.count(UserSession.id)).where(
                UserSession.user_id == person.id,
                UserSession.revoked_at.is_(None),
                UserSession.last_seen_at > now - config["SESSION_IDLE_TIMEOUT"],
                UserSession.created_at > now - config["SESSION_ABSOLUTE_TIMEOUT"],
            )
        )
        or 0
    )


def employment_history(person: User) -> list[Employment]:
    """Organisations the person has worked for, latest first."""
    return sorted(person.employments, key=lambda row: (row.started_on, row.id), reverse=True)


# --- changes to a person ----------------------------------------------------------------

PROFILE_FIELDS = ["full_name", "email", "email_confirmed_at"]


def _clean_name(value: str | None) -> str:
    name = " ".join((value or "").split())
    if not name:
        raise DomainError("Enter their full name", field="full_name")
    if len(name) > 200:
        raise DomainError("Full name must be 200 characters or fewer", field="full_name")
    return name


def _clean_email(value: str | None) -> str:
    if not (value or "").strip():
        raise DomainError("Enter their email address", field="email")
    return accounts.normalise_email(value)


def edit_person(actor: User, person: User, *, full_name: str, email: str, now: datetime) -> bool:
    """Change a person's name and email. A new email is unconfirmed until they use the
    link sent to it. Returns True if the email changed."""
    full_name = _clean_name(full_name)
    email = _clean_email(email)
    if email != person.email and accounts.get_user_by_email(email) is not None:
        raise DomainError("Another account already uses this email address", field="email")
    before = audit.snapshot(person, PROFILE_FIELDS)
    email_changed = accounts.update_profile(person, full_name=full_name, email=email, now=now)
    old, new = audit.changed(before, audit.snapshot(person, PROFILE_FIELDS))
    if new:
        summary = f"Changed the name or email of {person.full_name}"
        if email_changed:
            summary += " and sent a confirmation link to the new address"
        audit.record(actor, "person.update", summary=summary, target=person, before=old, after=new, now=now)
    return email_changed


def set_access(actor: User, person: User, *, is_admin: bool, is_trainer: bool, now: datetime) -> list[str]:
    """Grant or remove partnership admin and trainer rights. An admin cannot remove their
    own admin rights (another admin must). Returns the audit actions written."""
    if actor.id == person.id and person.is_admin and not is_admin:
        raise DomainError("You cannot remove your own admin rights. Ask another admin to do it", field="is_admin")
    actions = []
    for flag, value, label in (("is_admin", is_admin, "admin"), ("is_trainer", is_trainer, "trainer")):
        current = getattr(person, flag)
        if current == bool(value):
            continue
        setattr(person, flag, bool(value))
        verb = "grant" if value else "remove"
        what = "partnership admin rights" if label == "admin" else "trainer rights"
        summary = f"Gave {person.full_name} {what}" if value else f"Removed {what} from {person.full_name}"
        action = f"person.{label}.{verb}"
        audit.record(
            actor, action, summary=summary, target=person, before={flag: current}, after={flag: bool(value)}, now=now
        )
        actions.append(action)
    db.session.flush()
    return actions


def close_account(actor: User, person: User, *, now: datetime) -> int:
    """Close an account: the person can no longer sign in and every browser they are signed
    in on is signed out. Returns the number of sessions ended."""
    if actor.id == person.id:
        raise DomainError("You cannot close your own account")
    if not person.active:
        raise DomainError("This account is already closed")
    sessions = (
        db.session.scalar(
            select(func.count(UserSession.id)).where(UserSession.user_id == person.id, UserSession.revoked_at.is_(None))
        )
        or 0
    )
    person.active = False
    person.closed_at = now
    accounts.end_all_sessions(person, now=now)
    plural = "s" if sessions != 1 else ""
    audit.record(
        actor,
        "person.close",
        target=person,
        now=now,
        summary=f"Closed the account of {person.full_name} and ended {sessions} signed-in session{plural}",
        before={"active": True},
        after={"active": False, "sessions_ended": sessions},
    )
    db.session.flush()
    return sessions


def reopen_account(actor: User, person: User, *, now: datetime) -> None:
    if person.active:
        raise DomainError("This account is already open")
    if person.erased_at is not None:
        raise DomainError("This person's details have been erased, so the account cannot be reopened")
    person.active = True
    person.closed_at = None
    audit.record(
        actor,
        "person.reopen",
        target=person,
        now=now,
        summary=f"Reopened the account of {person.full_name}",
        before={"active": False},
        after={"active": True},
    )
    db.session.flush()


def change_person_organisation(
    actor: User, person: User, organisation: Organisation, *, on: date, now: datetime
) -> None:
    """Move a person to another organisation from `on`, keeping their history. They stop
    leading their old organisation."""
    if organisation is None or not organisation.active:
        raise DomainError("Select an organisation from the list", field="organisation")
    if person.organisation_id == organisation.id:
        raise DomainError(f"{person.full_name} is already recorded at {organisation.name}", field="organisation")
    if on > london_today(now):
        raise DomainError("The date they moved must be today or in the past", field="started_on")
    for employment in person.employments:
        if employment.ended_on is None and on < employment.started_on:
            raise DomainError(
                f"The date they moved must be on or after {employment.started_on:%d/%m/%Y}, "
                "when they started at their current organisation",
                field="started_on",
            )
    before = person.organisation_id
    accounts.change_organisation(person, organisation, on=on, now=now, actor=actor)
    if actor.id == person.id:
        # accounts.change_organisation audits only changes made to someone else.
        audit.record(
            actor,
            "person.change-organisation",
            target=person,
            now=now,
            summary=f"Moved {person.full_name} to {organisation.name}",
            before={"organisation_id": before},
            after={"organisation_id": organisation.id},
        )
    db.session.flush()


def add_job_role(actor: User, person: User, job_role: JobRole | None, *, started_on: date, now: datetime) -> PersonRole:
    if job_role is None or not job_role.active:
        raise DomainError("Select a job role from the list", field="job_role")
    if any(role.job_role_id == job_role.id and role.ended_on is None for role in person.roles):
        raise DomainError(f"{person.full_name} already holds the role {job_role.name}", field="job_role")
    if started_on > london_today(now):
        raise DomainError("The start date must be today or in the past", field="started_on")
    role = accounts.add_role(person, job_role, started_on=started_on, now=now)
    audit.record(
        actor,
        "person.role.add",
        target=person,
        now=now,
        summary=f"Added the job role {job_role.name} to {person.full_name}",
        after={"job_role": job_role.code, "started_on": started_on},
    )
    return role


def end_job_role(actor: User, person: User, role: PersonRole, *, ended_on: date, now: datetime) -> None:
    if role.user_id != person.id:
        raise NotFound("That role is not this person's")
    if role.ended_on is not None:
        raise DomainError("This role has already ended", field="ended_on")
    if len(person.current_roles) == 1:
        raise DomainError(f"Add another job role before ending {person.full_name}'s last one", field="ended_on")
    if ended_on < role.started_on:
        raise DomainError("The end date must be on or after the start date", field="ended_on")
    if ended_on > london_today(now):
        raise DomainError("The end date must be today or in the past", field="ended_on")
    accounts.end_role(person, role, ended_on=ended_on, now=now)
    audit.record(
        actor,
        "person.role.end",
        target=person,
        now=now,
        summary=f"Ended the job role {role.job_role.name} of {person.full_name}",
        before={"job_role": role.job_role.code, "ended_on": None},
        after={"job_role": role.job_role.code, "ended_on": ended_on},
    )
    db.session.flush()


def resend_account_email(actor: User, person: User, *, now: datetime) -> str:
    """Send again whichever email the person is waiting for: the invitation to set a
    password (for an account an admin made), or the link to confirm their email address.
    Returns "invitation" or "confirmation"."""
    if not person.active:
        raise DomainError("This account is closed. Reopen it first")
    if person.password_hash is None:
        send_invitation(person, now=now)
        audit.record(
            actor,
            "person.resend-invitation",
            target=person,
            now=now,
            summary=f"Sent {person.full_name} a new invitation to set a password",
            after={"email": person.email},
        )
        return "invitation"
    if person.email_confirmed_at is not None:
        raise DomainError(f"{person.full_name} has already confirmed their email address")
    accounts.send_confirmation(person, now=now)
    audit.record(
        actor,
        "person.resend-confirmation",
        target=person,
        now=now,
        summary=f"Sent {person.full_name} a new link to confirm their email address",
        after={"email": person.email},
    )
    return "confirmation"


# --- creating a person ----------------------------------------------------------------

# The invitation is a password-reset token with a longer life, so the ordinary
# reset-password page lets the person choose their first password.
INVITE_TOKEN_PURPOSE = "reset-password"


@dataclass
class NewPerson:
    full_name: str
    email: str
    organisation_id: int | None
    job_role_id: int | None
    started_on: date | None
    is_admin: bool = False
    is_trainer: bool = False
    leads_organisation: bool = False


CREATE_FIELDS = ["full_name", "email", "organisation_id", "is_admin", "is_trainer"]


def create_person(actor: User, data: NewPerson, *, now: datetime) -> User:
    """Make an account with no password and email an invitation to set one. Using the
    link also confirms the email address."""
    full_name = _clean_name(data.full_name)
    email = _clean_email(data.email)
    if accounts.get_user_by_email(email) is not None:
        raise DomainError("Another account already uses this email address", field="email")
    organisation = db.session.get(Organisation, data.organisation_id) if data.organisation_id else None
    if organisation is None or not organisation.active:
        raise DomainError("Select their organisation", field="organisation")
    job_role = db.session.get(JobRole, data.job_role_id) if data.job_role_id else None
    if job_role is None or not job_role.active:
        raise DomainError("Select their job role", field="job_role")
    if data.started_on is None:
        raise DomainError("Enter the date they started in this role", field="started_on")
    if data.started_on > london_today(now):
        raise DomainError("The date they started must be today or in the past", field="started_on")

    person = User(
        email=email,
        full_name=full_name,
        password_hash=None,
        email_confirmed_at=None,
        is_admin=bool(data.is_admin),
        is_trainer=bool(data.is_trainer),
        active=True,
        organisation_id=organisation.id,
        created_at=now,
    )
    db.session.add(person)
    person.roles.append(PersonRole(job_role=job_role, started_on=data.started_on))
    person.employments.append(Employment(organisation_id=organisation.id, started_on=data.started_on))
    db.session.flush()
    if data.leads_organisation:
        db.session.add(SettingLead(user_id=person.id, organisation_id=organisation.id, created_at=now))
    after = audit.snapshot(person, CREATE_FIELDS)
    after.update(job_role=job_role.code, started_on=data.started_on, leads_organisation=bool(data.leads_organisation))
    audit.record(
        actor,
        "person.create",
        target=person,
        now=now,
        summary=f"Created an account for {full_name} at {organisation.name} and sent an invitation",
        after=after,
    )
    send_invitation(person, now=now)
    db.session.flush()
    return person


def send_invitation(person: User, *, now: datetime) -> None:
    """Queue the email inviting someone to set their password. The link is a single-use
    password-reset token (stored only as its digest) that lives longer than a reset link."""
    lifetime = current_app.config["INVITE_TOKEN_LIFETIME"]
    token = accounts.issue_token(person, INVITE_TOKEN_PURPOSE, lifetime, now=now)
    config = current_app.config
    subject = f"Set up your account for {config['SERVICE_NAME']}"
    body = render_template(
        "accounts/admin/emails/invitation.txt",
        name=person.full_name,
        service_name=config["SERVICE_NAME"],
        partnership_name=config["PARTNERSHIP_NAME"],
        email=person.email,
        link=external_url("accounts.reset_password", token=token),
        days=max(1, int(lifetime.total_seconds() // 86400)),
    )
    queue_email(person.email, subject, body, now=now, user=person, category="account")


# --- organisations' people and setting leads -------------------------------------------
# Asked by the organisation admin pages through the organisation_people and
# organisation_admin_page hooks (organisations sit below accounts).

def people_counts(organisation_ids: list[int]) -> dict[int, int]:
    """People whose current organisation is each of these (one statement)."""
    if not organisation_ids:
        return {}
    rows = db.session.execute(
        select(User.organisation_id, func.count(User.id))
        .where(User.organisation_id.in_(organisation_ids), User.active.is_(True))
        .group_by(User.organisation_id)
    )
    counts = {org_id: 0 for org_id in organisation_ids}
    counts.update({org_id: count for org_id, count in rows})
    return counts


def find_person_by_email(email: str, *, field: str = "email") -> User:
    email = accounts.normalise_email(email, field_name=field)
    person = accounts.get_user_by_email(email)
    if person is None:
        raise DomainError(
            "No account uses this email address. Ask the person to create an account first", field=field
        )
    return person


def list_setting_leads(organisation: Organisation) -> list[SettingLead]:
    query = (
        select(SettingLead)
        .join(SettingLead.user)
        .options(contains_eager(SettingLead.user))
        .where(SettingLead.organisation_id == organisation.id)
        .order_by(func.lower(User.full_name), User.id)
    )
    return list(db.session.scalars(query).unique())
