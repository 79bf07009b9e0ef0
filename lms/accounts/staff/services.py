"""A setting lead's staff: the people (open accounts) recorded as working at the
organisations they lead, and one person's record. An admin sees anyone's.

Plain functions over the ORM that only read; NotFound for a person the actor may not see.
"""
from __future__ import annotations

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from lms.accounts.models import User
from lms.accounts.services import can_see_person, led_organisation_ids
from lms.core.errors import NotFound
from lms.extensions import db
from lms.organisations.services import clean_text


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
