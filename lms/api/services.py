"""Personal API tokens, and the read queries the JSON API serves.

A token is shown once, when it is made; only its SHA-256 is stored (lms.core.tokens), with
a short prefix so people can tell their tokens apart. Each token acts with the rights of
its owner.

Plain functions over the ORM: they take the actor and `now`, raise DomainError, flush but
never commit.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload, selectinload

from lms.accounts import services as accounts
from lms.accounts.models import User
from lms.api.models import ApiToken
from lms.audit import services as audit
from lms.core.errors import DomainError, Forbidden
from lms.core.tokens import hash_token, new_token
from lms.extensions import db
from lms.organisations.models import Area, JobRole, Organisation, OrganisationType, Sector

# Tokens start with this marker so people (and secret scanners) can recognise them.
TOKEN_MARKER = "lms_"
# Characters of the token kept in clear: the marker and 8 random characters.
PREFIX_LENGTH = len(TOKEN_MARKER) + 8
MAX_NAME_LENGTH = 100
MAX_ACTIVE_TOKENS = 25
# last_used_at is written at most this often, so busy clients do not write on every call.
LAST_USED_RESOLUTION = timedelta(minutes=1)


# --- tokens ---------------------------------------------------------------------------

def create_token(user: User, *, name: str, now: datetime) -> tuple[str, ApiToken]:
    """A new token for `user`: (the token, to show once; its stored row)."""
    name = " ".join((name or "").split())
    if not name:
        raise DomainError("Enter a name for the token", field="name")
    if len(name) > MAX_NAME_LENGTH:
        raise DomainError(f"Name must be {MAX_NAME_LENGTH} characters or fewer", field="name")
    if not user.active:
        raise DomainError("This account has been closed, so it cannot have API tokens", field="name")
    active = db.session.scalar(
        select(func.count(ApiToken.id)).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    )
    if active >= MAX_ACTIVE_TOKENS:
        raise DomainError(
            f"You already have {MAX_ACTIVE_TOKENS} tokens. Revoke one you no longer use, then try again",
            field="name",
        )
    token = TOKEN_MARKER + new_token()
    row = ApiToken(
        user_id=user.id, name=name, prefix=token[:PREFIX_LENGTH], token_hash=hash_token(token), created_at=now
    )
    db.session.add(row)
    db.session.flush()
    audit.record(
        user, "api-token.create", target=row, now=now,
        summary=f"Created API token “{name}” ({row.prefix}…) for {user.email}",
        after={"user_id": user.id, "name": name, "prefix": row.prefix},
    )
    return token, row


def list_tokens(user: User) -> list[ApiToken]:
    """The person's tokens that still work, newest first."""
    return list(
        db.session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def get_token_for(actor: User, token_id: int) -> ApiToken | None:
    """A live token the actor may manage (their own; anyone's for an admin), else None."""
    row = db.session.get(ApiToken, token_id)
    if row is None or row.revoked_at is not None:
        return None
    if row.user_id != actor.id and not actor.is_admin:
        return None
    return row


def revoke_token(actor: User, token_row: ApiToken, *, now: datetime) -> None:
    """Revoke a token at once. People revoke their own; admins may revoke anyone's."""
    if token_row.user_id != actor.id and not actor.is_admin:
        raise Forbidden("You can only revoke your own API tokens")
    if token_row.revoked_at is not None:
        raise DomainError("This token has already been revoked")
    token_row.revoked_at = now
    owner = token_row.user
    if actor.id == token_row.user_id:
        summary = f"Revoked API token “{token_row.name}” ({token_row.prefix}…)"
    else:
        summary = f"Revoked API token “{token_row.name}” ({token_row.prefix}…) of {owner.email}"
    audit.record(
        actor, "api-token.revoke", target=token_row, now=now, summary=summary,
        before={"revoked_at": None}, after={"revoked_at": now, "user_id": token_row.user_id},
    )
    db.session.flush()


def authenticate(token_string: str, *, now: datetime) -> User | None:
    """The owner of a live token, or None (unknown or revoked token, closed account).
    Moves last_used_at on, at most once a minute."""
    if not token_string:
        return None
    row = db.session.scalar(
        select(ApiToken).options(joinedload(ApiToken.user)).where(ApiToken.token_hash == hash_token(token_string))
    )
    if row is None or row.revoked_at is not None:
        return None
    user = row.user
    if not user.active:
        return None
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION:
        row.last_used_at = now
    return user


# --- what the API reads ---------------------------------------------------------------

def _by_code(model, code: str, *, field: str, what: str):
    row = db.session.scalar(select(model).where(model.code == code))
    if row is None:
        article = "an" if what[0] in "aeiou" else "a"
        raise DomainError(
            f"The {field} parameter must be {article} {what} code; no {what} has the code “{code}”", field=field
        )
    return row


def organisations_query(
    *,
    q: str | None = None,
    type_code: str | None = None,
    sector_code: str | None = None,
    area_code: str | None = None,
    active: bool | None = None,
) -> Select:
    """Organisations, by name, filtered. Unknown codes are a DomainError on that field."""
    query = select(Organisation).order_by(func.lower(Organisation.name), Organisation.id)
    if q:
        query = query.where(func.lower(Organisation.name).contains(q.lower(), autoescape=True))
    if type_code:
        org_type = _by_code(OrganisationType, type_code, field="type", what="organisation type")
        query = query.where(Organisation.type_id == org_type.id)
    if sector_code:
        query = query.where(Organisation.sector_id == _by_code(Sector, sector_code, field="sector", what="sector").id)
    if area_code:
        query = query.where(Organisation.area_id == _by_code(Area, area_code, field="area", what="area").id)
    if active is not None:
        query = query.where(Organisation.active == active)
    return query


def _person_loading(query: Select) -> Select:
    return query.options(
        joinedload(User.organisation), selectinload(User.roles), selectinload(User.open_join_request),
    )


def people_query(actor: User, *, email: str | None = None, organisation_id: int | None = None) -> Select:
    """The people `actor` may see (accounts.services.visible_people), by name, filtered."""
    query = _person_loading(accounts.visible_people(actor)).order_by(func.lower(User.full_name), User.id)
    if email is not None:
        query = query.where(User.email == email.strip().lower())
    if organisation_id is not None:
        query = query.where(User.organisation_id == organisation_id)
    return query


def get_visible_person(actor: User, person_id: int) -> User | None:
    """The person, if `actor` may see them; None whether they do not exist or are hidden."""
    return db.session.scalar(_person_loading(accounts.visible_people(actor)).where(User.id == person_id))


def get_caller(user_id: int) -> User:
    """The caller with everything /me shows, in a fixed number of statements."""
    return db.session.scalar(
        _person_loading(select(User))
        .options(selectinload(User.led_organisations))
        .where(User.id == user_id)
    )


REFERENCE_MODELS = {
    "sectors": Sector,
    "organisation-types": OrganisationType,
    "job-roles": JobRole,
    "areas": Area,
}


def list_reference(kind: str) -> list:
    model = REFERENCE_MODELS[kind]
    return list(db.session.scalars(select(model).order_by(model.position, model.name)))
