"""Personal API tokens, and the read queries the JSON API serves.

A token is shown once, when it is made; only its SHA-256 is stored (lms.core.tokens), with
a short prefix so people can tell their tokens apart. Each token acts with the rights of
its owner.

A token may be read-only (a reporting token for Power BI or Excel: the API refuses it on
anything but reading, lms.api.auth) and may expire; a read-only token must, at most a year
after it is made (MAX_LIFETIME).

Plain functions over the ORM: they take the actor and `now`, raise DomainError, flush but
never commit.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Select, func, or_, select
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
# The longest a token may be made to last before it expires (a year, leap day included).
MAX_LIFETIME = timedelta(days=366)


# --- tokens ---------------------------------------------------------------------------

def _live(now: datetime):
    return ApiToken.revoked_at.is_(None), or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > now)


def create_token(
    user: User, *, name: str, now: datetime, read_only: bool = False, expires_at: datetime | None = None,
) -> tuple[str, ApiToken]:
    """A new token for `user`: (the token, to show once; its stored row). A read-only
    token must expire, and no token may be made to last more than a year."""
    name = " ".join((name or "").split())
    if not name:
        raise DomainError("Enter a name for the token", field="name")
    if len(name) > MAX_NAME_LENGTH:
        raise DomainError(f"Name must be {MAX_NAME_LENGTH} characters or fewer", field="name")
    if not user.active:
        raise DomainError("This account has been closed, so it cannot have API tokens", field="name")
    if read_only and expires_at is None:
        raise DomainError("Choose when the read-only token expires: at most a year from now", field="expires")
    if expires_at is not None and expires_at <= now:
        raise DomainError("The token must expire in the future", field="expires")
    if expires_at is not None and expires_at > now + MAX_LIFETIME:
        raise DomainError("A token can last at most a year", field="expires")
    active = db.session.scalar(
        select(func.count(ApiToken.id)).where(ApiToken.user_id == user.id, *_live(now))
    )
    if active >= MAX_ACTIVE_TOKENS:
        raise DomainError(
            f"You already have {MAX_ACTIVE_TOKENS} tokens. Revoke one you no longer use, then try again",
            field="name",
        )
    token = TOKEN_MARKER + new_token()
    row = ApiToken(
        user_id=user.id, name=name, prefix=token[:PREFIX_LENGTH], token_hash=hash_token(token), created_at=now,
        read_only=read_only, expires_at=expires_at,
    )
    db.session.add(row)
    db.session.flush()
    audit.record(
        user, "api-token.create", target=row, now=now,
        summary=f"Created {'read-only ' if read_only else ''}API token “{name}” ({row.prefix}…) for {user.email}",
        after={"user_id": user.id, "name": name, "prefix": row.prefix, "read_only": read_only, "expires_at": expires_at},
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
    """The owner of a live token, or None (unknown, revoked or expired token, closed
    account). Moves last_used_at on, at most once a minute."""
    row = authenticate_token(token_string, now=now)
    return row.user if row is not None else None


def authenticate_token(token_string: str, *, now: datetime) -> ApiToken | None:
    """A live token with its owner (one statement), or None: unknown, revoked or expired
    token, closed account. Moves last_used_at on, at most once a minute."""
    if not token_string:
        return None
    row = db.session.scalar(
        select(ApiToken).options(joinedload(ApiToken.user)).where(ApiToken.token_hash == hash_token(token_string))
    )
    if row is None or row.revoked_at is not None or row.expired(now):
        return None
    if not row.user.active:
        return None
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION:
        row.last_used_at = now
    return row


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


def paginate_rows(query: Select) -> dict:
    """One page of `query`, a select of columns rather than of one entity (which
    lms.api.paging.paginate pages), in the same list envelope and with the same `page`
    and `per_page` parameters: two statements, the count and the page."""
    from flask import current_app, request, url_for

    from lms.api.fields import parse
    from lms.api.paging import page_args_schema

    args = parse(page_args_schema(current_app.config))
    page, per_page = args["page"], args["per_page"]
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = db.session.execute(query.limit(per_page).offset((page - 1) * per_page)).all() if (page - 1) * per_page < total else []
    next_url = None
    if page * per_page < total:
        query_args = request.args.to_dict(flat=False)
        query_args["page"] = page + 1
        query_args["per_page"] = per_page
        next_url = url_for(request.endpoint, **(request.view_args or {}), **query_args, _external=True)
    return {"items": rows, "page": page, "per_page": per_page, "total": total, "next": next_url}
