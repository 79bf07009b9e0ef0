"""A setting lead's staff: the people (open accounts) recorded as working at the
organisations they lead, one person's record, the people asking to join, and the lead's
decisions: confirm someone, say they do not work here, record that someone has left. An
admin sees anyone's, and decides for organisations that have no setting lead.

Plain functions over the ORM: they take the actor and `now`, raise DomainError (NotFound
for a person or request the actor may not see), flush but never commit. Every decision is
audited and the person is told by email.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from lms.accounts import services as accounts
from lms.accounts.models import User
from lms.accounts.services import can_see_person, led_organisation_ids
from lms.audit import services as audit
from lms.core.errors import DomainError, NotFound
from lms.core.time import london_today
from lms.core.urls import external_url
from lms.extensions import db
from lms.notifications.services import queue_templated_email
from lms.organisations.models import JoinRequest, SettingLead
from lms.organisations.services import clean_text
from lms.signals import person_changed


def visible_organisation_ids(actor: User) -> list[int] | None:
    """The organisations whose people `actor` may list: None means all (an admin)."""
    if actor.is_admin:
        return None
    return led_organisation_ids(actor)


def staff_of(actor: User, organisation_ids: list[int] | None = None, *, search: str | None = None) -> Select:
    """People (open accounts) whose current organisation is one of `organisation_ids` that
    `actor` leads (all of them if None; any organisation for an admin), by name, with their
    organisation and job roles loaded in a fixed number of statements."""
    allowed = visible_organisation_ids(actor)
    if organisation_ids is None:
        wanted = allowed
    else:
        wanted = [org_id for org_id in organisation_ids if allowed is None or org_id in allowed]
    query = select(User).where(User.organisation_id.is_not(None), User.active.is_(True))
    if wanted is not None:
        query = query.where(User.organisation_id.in_(wanted))
    search = clean_text(search)
    if search:
        needle = search.lower()
        query = query.where(
            or_(
                func.lower(User.full_name).contains(needle, autoescape=True),
                func.lower(User.email).contains(needle, autoescape=True),
            )
        )
    return query.options(joinedload(User.organisation), selectinload(User.roles)).order_by(
        func.lower(User.full_name), User.id
    )


def get_staff_member(actor: User, user_id: int) -> User:
    """A person `actor` may see, with roles and organisation history loaded; NotFound
    for anyone else (a lead does not learn that people elsewhere exist)."""
    person = db.session.scalar(
        select(User)
        .where(User.id == user_id)
        .options(joinedload(User.organisation), selectinload(User.roles), selectinload(User.employments))
    )
    if person is None or not can_see_person(actor, person):
        raise NotFound("No such person")
    return person


# --- people asking to join -------------------------------------------------------------

def join_requests_for(actor: User, organisation_ids: list[int] | None = None) -> Select:
    """Open requests to join the organisations `actor` leads (any organisation for an
    admin), limited to `organisation_ids` when given, oldest first, with the person and
    their job roles loaded."""
    allowed = visible_organisation_ids(actor)
    if organisation_ids is None:
        wanted = allowed
    else:
        wanted = [org_id for org_id in organisation_ids if allowed is None or org_id in allowed]
    query = (
        select(JoinRequest)
        .join(User, User.id == JoinRequest.user_id)
        .where(JoinRequest.decided_at.is_(None), User.active.is_(True))
    )
    if wanted is not None:
        query = query.where(JoinRequest.organisation_id.in_(wanted))
    return query.options(
        joinedload(JoinRequest.user).selectinload(User.roles),
        joinedload(JoinRequest.user).joinedload(User.organisation),
    ).order_by(JoinRequest.requested_at, JoinRequest.id)


def join_requests_waiting_query(lead: User) -> Select:
    """The count of people asking to join the organisations `lead` leads, as a statement
    (a home page folds it into one of its own). Only the organisations they lead, even for
    an admin."""
    return (
        select(func.count(JoinRequest.id))
        .join(User, User.id == JoinRequest.user_id)
        .where(
            JoinRequest.decided_at.is_(None),
            User.active.is_(True),
            JoinRequest.organisation_id.in_(select(SettingLead.organisation_id).where(SettingLead.user_id == lead.id)),
        )
    )


def join_requests_waiting(lead: User) -> int:
    """How many people are asking to join the organisations `lead` leads."""
    return db.session.scalar(join_requests_waiting_query(lead)) or 0


def join_requests_without_lead_query() -> Select:
    """The count of people asking to join organisations that have no setting lead, which
    the partnership's admins decide, as a statement."""
    has_lead = exists().where(SettingLead.organisation_id == JoinRequest.organisation_id)
    return (
        select(func.count(JoinRequest.id))
        .join(User, User.id == JoinRequest.user_id)
        .where(JoinRequest.decided_at.is_(None), User.active.is_(True), ~has_lead)
    )


def join_requests_without_lead() -> int:
    """How many people are asking to join organisations that have no setting lead."""
    return db.session.scalar(join_requests_without_lead_query()) or 0


def get_join_request(actor: User, request_id: int) -> JoinRequest:
    """A request to join an organisation `actor` leads (any, for an admin); NotFound for
    any other, so a lead does not learn who asks to join other organisations."""
    join_request = db.session.get(JoinRequest, request_id)
    if join_request is None or not accounts.leads(actor, join_request.organisation_id):
        raise NotFound("No such request")
    return join_request


def _check_open(join_request: JoinRequest) -> None:
    if join_request.decided_at is not None:
        word = {"confirmed": "confirmed", "declined": "declined", "withdrawn": "withdrawn by the person"}
        raise DomainError(f"This request has already been {word.get(join_request.outcome, 'decided')}")


def _decide(actor: User, join_request: JoinRequest, outcome: str, *, now: datetime) -> None:
    join_request.decided_at = now
    join_request.decided_by_id = actor.id
    join_request.outcome = outcome


def confirm_join_request(actor: User, join_request: JoinRequest, *, now: datetime) -> User:
    """`actor` (a lead of the organisation, or an admin) confirms that the person works
    there: their organisation becomes it from the day they said they started (not before
    they started at their current one), with their employment history kept, and
    compliance counts them from now."""
    if not accounts.leads(actor, join_request.organisation_id):
        raise NotFound("No such request")
    _check_open(join_request)
    person = join_request.user
    organisation = join_request.organisation
    if not person.active:
        raise DomainError(f"{person.full_name}'s account has been closed")
    if not organisation.active:
        raise DomainError(f"{organisation.name} has closed: people can no longer join it")
    before = person.organisation_id
    _decide(actor, join_request, "confirmed", now=now)
    db.session.flush()
    if person.organisation_id != organisation.id:
        current = next((row for row in person.employments if row.ended_on is None), None)
        on = join_request.started_on
        if current is not None and on < current.started_on:
            on = current.started_on
        # The move itself (ending the current employment, leaving its leadership behind,
        # telling compliance) is the same as a person's own change of organisation.
        accounts.change_organisation(person, organisation, on=min(on, london_today(now)), now=now)
    db.session.expire(person, ["open_join_request"])
    audit.record(
        actor, "person.join-confirm", target=person, now=now,
        summary=f"Confirmed that {person.full_name} works at {organisation.name}",
        before={"organisation_id": before, "asking_to_join": organisation.id},
        after={"organisation_id": organisation.id, "asking_to_join": None, "join_request_id": join_request.id},
    )
    queue_templated_email(
        person.email, "join_confirmed", now=now, subject=f"{organisation.name} has confirmed you work there",
        user=person, category="account", name=person.full_name, organisation=organisation,
        decided_by=actor.full_name, link=external_url("accounts.profile"),
    )
    return person


def decline_join_request(actor: User, join_request: JoinRequest, *, now: datetime) -> User:
    """"Does not work here": the request is declined. The person's account stays, with the
    organisation they had before asking (none, for someone who registered into it); they
    are told, and can choose their organisation again."""
    if not accounts.leads(actor, join_request.organisation_id):
        raise NotFound("No such request")
    _check_open(join_request)
    person = join_request.user
    organisation = join_request.organisation
    _decide(actor, join_request, "declined", now=now)
    db.session.flush()
    db.session.expire(person, ["open_join_request"])
    audit.record(
        actor, "person.join-decline", target=person, now=now,
        summary=f"Said that {person.full_name} does not work at {organisation.name}",
        before={"organisation_id": person.organisation_id, "asking_to_join": organisation.id},
        after={"organisation_id": person.organisation_id, "asking_to_join": None, "join_request_id": join_request.id},
    )
    queue_templated_email(
        person.email, "join_declined", now=now, subject=f"{organisation.name} has not confirmed you work there",
        user=person, category="account", name=person.full_name, organisation=organisation,
        decided_by=actor.full_name, current=person.organisation.name if person.organisation else None,
        link=external_url("accounts.change_organisation"),
    )
    return person


# --- people who have left ---------------------------------------------------------------

def record_leaving(actor: User, person: User, *, ended_on: date | None, now: datetime) -> None:
    """`actor` (a lead of the person's organisation, or an admin) records that the person
    left it on `ended_on`: their employment there ends that day, they no longer have an
    organisation (nor lead the one they left), and compliance stops counting them there.
    Their account, training history and certificates stay."""
    organisation = person.organisation
    if organisation is None or not person.active or not accounts.leads(actor, organisation.id):
        raise NotFound("No such person")
    if person.id == actor.id:
        raise DomainError(
            "You cannot record that you have left. Change your organisation in your account, "
            "or ask a partnership admin", field="ended_on",
        )
    if ended_on is None:
        raise DomainError("Enter the date they left", field="ended_on")
    if ended_on > london_today(now):
        raise DomainError("The date they left must be today or in the past", field="ended_on")
    current = next((row for row in person.employments if row.ended_on is None and row.organisation_id == organisation.id), None)
    if current is not None and ended_on < current.started_on:
        raise DomainError(
            f"The date they left must be on or after they started, {current.started_on.day} "
            f"{current.started_on:%B %Y}", field="ended_on",
        )
    if current is not None:
        current.ended_on = ended_on
    person.organisation_id = None
    db.session.execute(
        SettingLead.__table__.delete().where(SettingLead.user_id == person.id, SettingLead.organisation_id == organisation.id)
    )
    db.session.flush()
    db.session.expire(person, ["organisation", "led_organisations"])
    person_changed.send(None, user=person, now=now)
    audit.record(
        actor, "person.left-organisation", target=person, now=now,
        summary=f"Recorded that {person.full_name} left {organisation.name} on {ended_on.isoformat()}",
        before={"organisation_id": organisation.id, "employment_ended_on": None},
        after={"organisation_id": None, "employment_ended_on": ended_on.isoformat()},
    )
    queue_templated_email(
        person.email, "left_organisation", now=now, subject=f"You are no longer recorded at {organisation.name}",
        user=person, category="account", name=person.full_name, organisation=organisation,
        decided_by=actor.full_name, ended_on=ended_on, link=external_url("accounts.change_organisation"),
    )
