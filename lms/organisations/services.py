"""Organisations and their reference data: sectors, organisation types, areas, job roles;
"my organisation is not listed" requests; setting leads and the staff they may see.

Plain functions over the ORM (ARCHITECTURE.md): they take the actor and `now` as keyword
arguments, raise DomainError naming the form field at fault, flush but never commit.
Every privileged change writes an audit event.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from difflib import SequenceMatcher
from typing import Any

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from lms.accounts import services as accounts
from lms.accounts.models import Employment, PersonRole, SettingLead, User
from lms.audit import services as audit
from lms.core.errors import DomainError, Forbidden, NotFound
from lms.core.pagination import Page, clamp_page
from lms.core.time import london_today
from lms.extensions import db
from lms.notifications.services import queue_templated_email
from lms.organisations.models import Area, JobRole, Organisation, OrganisationRequest, OrganisationType, Sector

NAME_MAX = 200
ADDRESS_MAX = 500
REFERENCE_NAME_MAX = 120
CODE_MAX = 40
REASON_MAX = 1000
CODE_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
POSTCODE_PATTERN = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$")
URN_PATTERN = re.compile(r"^[A-Z0-9]{1,20}$")

# Request statuses
PENDING = "pending"
APPROVED = "approved"  # a new organisation was created from it
LINKED = "linked"  # it duplicated an organisation already listed; the person was linked to that
REJECTED = "rejected"
REQUEST_STATUSES = (PENDING, APPROVED, LINKED, REJECTED)


# --- small helpers --------------------------------------------------------------------

def _require_admin(actor: User | None) -> None:
    if actor is None or not actor.is_admin:
        raise Forbidden("Only partnership admins can do this")


def _clean_text(value: str | None) -> str:
    return " ".join((value or "").split())


def _as_id(value: Any) -> int | None:
    """An id from a form or the API: None for blank, -1 for nonsense (never a real id)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return -1
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        return -1




def paginate(query: Select, *, page: int = 1, per_page: int = 25) -> Page:
    """Two statements whatever the page size: a count and the page of rows (plus one per
    eager-loaded collection). A page past the end shows the last page."""
    per_page = max(1, per_page)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    page = clamp_page(page, total, per_page)
    items = list(db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)).unique())
    return Page(items=items, total=total, page=page, per_page=per_page)


# --- names and near-duplicates --------------------------------------------------------

# Words too common in organisation names to tell one from another.
GENERIC_WORDS = frozenset(
    """
    a an and the of in at for on st saint c e ce cofe rc vc va primary secondary school schools academy
    academies nursery nurseries infant infants junior juniors college church england catholic community
    centre center children childrens trust limited ltd group club team service services practice surgery
    hospital foundation federation free high grammar upper lower first middle pre preschool playgroup
    day care early years learning partnership council borough county city
    """.split()
)


def name_key(name: str) -> str:
    """A name reduced to what tells organisations apart: case, spacing, punctuation, "&"
    and "and", "Saint" and "St" and a leading "The" do not count."""
    text = (name or "").lower().replace("&", " and ")
    text = re.sub(r"['\u2019`]", "", text)
    text = re.sub(r"[^a-z0-9]+", " ", text)
    words = ["st" if word == "saint" else word for word in text.split()]
    if words and words[0] == "the":
        words = words[1:]
    return " ".join(words)


def _distinctive(key: str) -> set[str]:
    return {word for word in key.split() if word not in GENERIC_WORDS}


@dataclass
class SimilarOrganisation:
    organisation: Organisation
    reason: str  # "same URN" | "same name" | "similar name"
    score: float


def find_similar_organisations(
    name: str, *, urn: str | None = None, exclude_id: int | None = None, limit: int = 5
) -> list[SimilarOrganisation]:
    """Active organisations whose name (or URN) suggests they are the one named: the
    candidates come from one query on the name's distinctive words, then are scored."""
    key = name_key(name)
    raw_words = set(re.findall(r"[a-z0-9]+", (name or "").lower()))
    probes = sorted((w for w in raw_words if len(w) >= 3 and w not in GENERIC_WORDS), key=len, reverse=True)[:3]
    if not probes:
        probes = sorted((w for w in raw_words if len(w) >= 3), key=len, reverse=True)[:1]
    # "marys" should find "Mary's" too: probe without a final s.
    probes = [word[:-1] if word.endswith("s") and len(word) > 4 else word for word in probes]
    conditions = [func.lower(Organisation.name).contains(word, autoescape=True) for word in probes]
    if urn:
        conditions.append(Organisation.urn == urn)
    if not conditions:
        return []
    query = select(Organisation).where(Organisation.active.is_(True), or_(*conditions)).limit(500)
    if exclude_id is not None:
        query = query.where(Organisation.id != exclude_id)
    wanted = _distinctive(key)
    found: list[SimilarOrganisation] = []
    for organisation in db.session.scalars(query).unique():
        other = name_key(organisation.name)
        if urn and organisation.urn == urn:
            found.append(SimilarOrganisation(organisation, "same URN", 2.0))
        elif other == key:
            found.append(SimilarOrganisation(organisation, "same name", 1.5))
        else:
            ratio = SequenceMatcher(None, key, other).ratio()
            if ratio >= 0.75 or (wanted and wanted == _distinctive(other)):
                found.append(SimilarOrganisation(organisation, "similar name", ratio))
    found.sort(key=lambda s: (-s.score, s.organisation.name.lower(), s.organisation.id))
    return found[:limit]


# --- validating an organisation's details ---------------------------------------------

def normalise_postcode(value: str | None, *, field: str = "postcode") -> str | None:
    compact = re.sub(r"\s+", "", (value or "").upper())
    if not compact:
        return None
    match = POSTCODE_PATTERN.match(compact)
    if not match:
        raise DomainError("Enter a real postcode, like SW1A 1AA", field=field)
    return f"{match.group(1)} {match.group(2)}"


def normalise_urn(value: str | None, *, field: str = "urn") -> str | None:
    compact = re.sub(r"\s+", "", (value or "").upper())
    if not compact:
        return None
    if not URN_PATTERN.match(compact):
        raise DomainError(
            "URN or Ofsted number must use only letters and numbers, like 123456 or EY123456, "
            "and be 20 characters or fewer",
            field=field,
        )
    return compact


def _clean_address(value: str | None, *, field: str) -> str | None:
    lines = [_clean_text(line) for line in (value or "").replace("\r", "\n").split("\n")]
    text = "\n".join(line for line in lines if line)
    if len(text) > ADDRESS_MAX:
        raise DomainError(f"Address must be {ADDRESS_MAX} characters or fewer", field=field)
    return text or None


def _clean_details(
    *,
    name: str | None,
    type_id: Any,
    area_id: Any,
    address: str | None,
    postcode: str | None,
    urn: str | None,
    sector_id: Any = None,
    prefix: str = "",
    name_missing: str = "Enter the organisation's name",
) -> dict:
    """Validated organisation details; errors name the fields `prefix + name|type|...`."""
    name = _clean_text(name)
    if not name:
        raise DomainError(name_missing, field=prefix + "name")
    if len(name) > NAME_MAX:
        raise DomainError(f"Organisation name must be {NAME_MAX} characters or fewer", field=prefix + "name")
    type_key = _as_id(type_id)
    org_type = db.session.get(OrganisationType, type_key) if type_key is not None else None
    if org_type is None:
        raise DomainError("Select the type of organisation", field=prefix + "type")
    sector_key = _as_id(sector_id)
    if sector_key is None:
        sector = org_type.sector
    else:
        sector = db.session.get(Sector, sector_key)
        if sector is None:
            raise DomainError("Select a sector from the list", field=prefix + "sector")
    area_key = _as_id(area_id)
    area = None
    if area_key is not None:
        area = db.session.get(Area, area_key)
        if area is None:
            raise DomainError("Select an area from the list", field=prefix + "area")
    return {
        "name": name,
        "type_id": org_type.id,
        "sector_id": sector.id,
        "area_id": area.id if area else None,
        "urn": normalise_urn(urn, field=prefix + "urn"),
        "address": _clean_address(address, field=prefix + "address"),
        "postcode": normalise_postcode(postcode, field=prefix + "postcode"),
    }


ORGANISATION_FIELDS = ["name", "type_id", "sector_id", "area_id", "urn", "address", "postcode", "active"]


def _check_urn_free(urn: str | None, *, exclude_id: int | None = None, field: str = "urn") -> None:
    if not urn:
        return
    query = select(Organisation).where(Organisation.urn == urn)
    if exclude_id is not None:
        query = query.where(Organisation.id != exclude_id)
    other = db.session.scalars(query.limit(1)).first()
    if other is not None:
        raise DomainError(f"{other.name} already has the URN or Ofsted number {urn}", field=field)


# --- organisations: queries -----------------------------------------------------------

def get_organisation(organisation_id: int) -> Organisation:
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound("No such organisation")
    return organisation


def list_organisations(
    *,
    search: str | None = None,
    type_id: int | None = None,
    sector_id: int | None = None,
    area_id: int | None = None,
    active: bool | None = True,
) -> Select:
    """Organisations by name: `search` matches part of the name, or a URN or postcode
    exactly; `active` None means active and inactive alike."""
    query = select(Organisation)
    search = _clean_text(search)
    if search:
        compact = re.sub(r"\s+", "", search.upper())
        query = query.where(
            or_(
                func.lower(Organisation.name).contains(search.lower(), autoescape=True),
                Organisation.urn == compact,
                func.replace(Organisation.postcode, " ", "") == compact,
            )
        )
    if type_id is not None:
        query = query.where(Organisation.type_id == type_id)
    if sector_id is not None:
        query = query.where(Organisation.sector_id == sector_id)
    if area_id is not None:
        query = query.where(Organisation.area_id == area_id)
    if active is not None:
        query = query.where(Organisation.active.is_(active))
    return query.order_by(func.lower(Organisation.name), Organisation.id)


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


def organisation_choices(*, active_only: bool = True) -> list[tuple[int, str]]:
    """(id, name) of organisations by name, for pick lists; one light statement."""
    query = select(Organisation.id, Organisation.name).order_by(func.lower(Organisation.name), Organisation.id)
    if active_only:
        query = query.where(Organisation.active.is_(True))
    return [(row.id, row.name) for row in db.session.execute(query)]


# --- organisations: changes -----------------------------------------------------------

def create_organisation(
    actor: User,
    *,
    now: datetime,
    name: str,
    type_id: Any,
    sector_id: Any = None,
    area_id: Any = None,
    urn: str | None = None,
    address: str | None = None,
    postcode: str | None = None,
) -> Organisation:
    """Add an organisation. Its sector is its type's unless `sector_id` overrides it."""
    _require_admin(actor)
    details = _clean_details(
        name=name, type_id=type_id, sector_id=sector_id, area_id=area_id, urn=urn, address=address, postcode=postcode
    )
    _check_urn_free(details["urn"])
    organisation = Organisation(**details, active=True, created_at=now)
    db.session.add(organisation)
    db.session.flush()
    audit.record(
        actor, "organisation.create", target=organisation, now=now,
        summary=f"Added the organisation {organisation.name}",
        after=audit.snapshot(organisation, ORGANISATION_FIELDS),
    )
    return organisation


def update_organisation(
    actor: User,
    organisation: Organisation,
    *,
    now: datetime,
    name: str,
    type_id: Any,
    sector_id: Any = None,
    area_id: Any = None,
    urn: str | None = None,
    address: str | None = None,
    postcode: str | None = None,
) -> bool:
    """Change an organisation's details. A blank sector means "the type's sector".
    Returns whether anything changed (only changes are audited)."""
    _require_admin(actor)
    details = _clean_details(
        name=name, type_id=type_id, sector_id=sector_id, area_id=area_id, urn=urn, address=address, postcode=postcode
    )
    _check_urn_free(details["urn"], exclude_id=organisation.id)
    before = audit.snapshot(organisation, ORGANISATION_FIELDS)
    for key, value in details.items():
        setattr(organisation, key, value)
    db.session.flush()
    after = audit.snapshot(organisation, ORGANISATION_FIELDS)
    old, new = audit.changed(before, after)
    if not new:
        return False
    audit.record(
        actor, "organisation.update", target=organisation, now=now,
        summary=f"Changed the organisation {organisation.name}", before=old, after=new,
    )
    return True


def set_organisation_active(actor: User, organisation: Organisation, active: bool, *, now: datetime) -> None:
    """Deactivate (no longer offered at registration or in pick lists; people and history
    stay) or reactivate an organisation."""
    _require_admin(actor)
    if organisation.active == active:
        state = "active" if active else "deactivated"
        raise DomainError(f"{organisation.name} is already {state}")
    organisation.active = active
    db.session.flush()
    verb = "reactivate" if active else "deactivate"
    audit.record(
        actor, f"organisation.{verb}", target=organisation, now=now,
        summary=f"{verb.capitalize()}d the organisation {organisation.name}",
        before={"active": not active}, after={"active": active},
    )


def deactivate_organisation(actor: User, organisation: Organisation, *, now: datetime) -> None:
    set_organisation_active(actor, organisation, False, now=now)


def reactivate_organisation(actor: User, organisation: Organisation, *, now: datetime) -> None:
    set_organisation_active(actor, organisation, True, now=now)


# --- "my organisation is not listed" --------------------------------------------------

def request_organisation(
    user: User,
    *,
    now: datetime,
    name: str,
    type_id: Any,
    area_id: Any = None,
    address: str | None = None,
    postcode: str | None = None,
    urn: str | None = None,
) -> OrganisationRequest:
    """Record a person's request to add their organisation. Errors name the registration
    form's fields: new_organisation_name, _type, _area, _address, _postcode, _urn.

    Refuses an organisation already listed: the same URN, or the same name (ignoring case,
    punctuation, "&"/"and", "St"/"Saint", a leading "The") and type in the same area."""
    prefix = "new_organisation_"
    details = _clean_details(
        name=name, type_id=type_id, area_id=area_id, address=address, postcode=postcode, urn=urn,
        prefix=prefix, name_missing="Enter the name of your organisation",
    )
    for similar in find_similar_organisations(details["name"], urn=details["urn"], limit=20):
        existing = similar.organisation
        if similar.reason == "same URN":
            raise DomainError(
                f"{existing.name} already has the URN or Ofsted number {details['urn']}. "
                "Select it from the list of organisations",
                field=prefix + "urn",
            )
        same_area = existing.area_id is None or details["area_id"] is None or existing.area_id == details["area_id"]
        if similar.reason == "same name" and existing.type_id == details["type_id"] and same_area:
            area = f", {existing.area.name}" if existing.area else ""
            raise DomainError(
                f"{existing.name} ({existing.type.name}{area}) is already listed. Select it from the list of "
                "organisations, or if yours is a different organisation, add its town or street to the name",
                field=prefix + "name",
            )
    request = OrganisationRequest(
        name=details["name"],
        type_id=details["type_id"],
        area_id=details["area_id"],
        address=details["address"],
        postcode=details["postcode"],
        urn=details["urn"],
        requested_by_id=user.id,
        status=PENDING,
        created_at=now,
    )
    db.session.add(request)
    db.session.flush()
    return request


def list_requests(*, status: str | None = PENDING) -> Select:
    """Requests with their type, area and requester loaded: pending ones oldest first
    (a queue), decided ones newest first."""
    query = select(OrganisationRequest).options(
        joinedload(OrganisationRequest.type),
        joinedload(OrganisationRequest.area),
        joinedload(OrganisationRequest.requested_by),
        joinedload(OrganisationRequest.organisation),
    )
    if status:
        query = query.where(OrganisationRequest.status == status)
    if status == PENDING:
        return query.order_by(OrganisationRequest.created_at, OrganisationRequest.id)
    return query.order_by(OrganisationRequest.created_at.desc(), OrganisationRequest.id.desc())


def count_pending_requests() -> int:
    return db.session.scalar(
        select(func.count(OrganisationRequest.id)).where(OrganisationRequest.status == PENDING)
    ) or 0


def get_request(request_id: int) -> OrganisationRequest:
    request = db.session.get(OrganisationRequest, request_id)
    if request is None:
        raise NotFound("No such organisation request")
    return request


def possible_duplicates(request: OrganisationRequest, *, limit: int = 5) -> list[SimilarOrganisation]:
    return find_similar_organisations(request.name, urn=request.urn, exclude_id=request.organisation_id, limit=limit)


def _claim(request: OrganisationRequest, status: str, actor: User, *, now: datetime, reason: str | None = None) -> None:
    """Decide a pending request exactly once, even if two admins act at the same moment."""
    claimed = db.session.execute(
        update(OrganisationRequest)
        .where(OrganisationRequest.id == request.id, OrganisationRequest.status == PENDING)
        .values(status=status, decided_by_id=actor.id, decided_at=now, decision_reason=reason)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        db.session.refresh(request)
        raise DomainError(f"This request has already been {request.status}")
    db.session.refresh(request)


def _place_person(user: User, organisation: Organisation, *, on: date) -> None:
    """Record that `user` works at `organisation` from `on`, ending any current employment.
    As when people move themselves, leading the old organisation does not move with them."""
    if user.organisation_id == organisation.id:
        return
    for employment in user.employments:
        if employment.ended_on is None:
            employment.ended_on = max(on, employment.started_on)
    user.employments.append(Employment(organisation_id=organisation.id, started_on=on))
    previous = user.organisation_id
    user.organisation_id = organisation.id
    if previous is not None:
        db.session.execute(
            SettingLead.__table__.delete().where(SettingLead.user_id == user.id, SettingLead.organisation_id == previous)
        )
        db.session.expire(user, ["led_organisations"])


def approve_request(
    actor: User, request: OrganisationRequest, *, now: datetime, organisation_fields: dict | None = None
) -> Organisation:
    """Create the requested organisation (with the admin's corrections in
    `organisation_fields`: name, type_id, sector_id, area_id, urn, address, postcode),
    record the requester as working there from today and email them."""
    _require_admin(actor)
    fields = {
        "name": request.name,
        "type_id": request.type_id,
        "sector_id": None,
        "area_id": request.area_id,
        "urn": request.urn,
        "address": request.address,
        "postcode": request.postcode,
    }
    unknown = set(organisation_fields or {}) - set(fields)
    if unknown:
        raise TypeError(f"Unknown organisation fields: {', '.join(sorted(unknown))}")
    if request.status != PENDING:
        raise DomainError(f"This request has already been {request.status}")
    fields.update(organisation_fields or {})
    organisation = create_organisation(actor, now=now, **fields)
    _claim(request, APPROVED, actor, now=now)
    request.organisation_id = organisation.id
    _settle(actor, request, organisation, now=now, template="organisation_approved",
            subject=f"{organisation.name} has been added", verb="approve",
            summary=f"Approved the request to add {organisation.name}")
    return organisation


def link_request(actor: User, request: OrganisationRequest, organisation: Organisation, *, now: datetime) -> None:
    """The request duplicated an organisation already listed: record the requester as
    working there from today and email them."""
    _require_admin(actor)
    if request.status != PENDING:
        raise DomainError(f"This request has already been {request.status}")
    if organisation is None or not organisation.active:
        raise DomainError("Select an active organisation from the list", field="organisation")
    _claim(request, LINKED, actor, now=now)
    request.organisation_id = organisation.id
    _settle(actor, request, organisation, now=now, template="organisation_linked",
            subject=f"Your organisation: {organisation.name}", verb="link",
            summary=f"Linked the request for {request.name} to {organisation.name}")


def _settle(actor, request, organisation, *, now, template, subject, verb, summary) -> None:
    requester = request.requested_by
    before_org = requester.organisation_id
    today = london_today(now)
    _place_person(requester, organisation, on=today)
    db.session.flush()
    audit.record(
        actor, f"organisation-request.{verb}", target=request, now=now, summary=summary,
        before={"status": PENDING, "requester_organisation_id": before_org},
        after={"status": request.status, "organisation_id": organisation.id,
               "requester_id": requester.id, "requester_organisation_id": organisation.id},
    )
    queue_templated_email(
        requester.email, template, now=now, subject=subject, user=requester, category="account",
        name=requester.full_name, requested_name=request.name, organisation_name=organisation.name,
        started_on=today,
    )


def reject_request(actor: User, request: OrganisationRequest, reason: str, *, now: datetime) -> None:
    """Turn a request down and email the requester the reason."""
    _require_admin(actor)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Enter the reason, which we will email to the person", field="reason")
    if len(reason) > REASON_MAX:
        raise DomainError(f"Reason must be {REASON_MAX} characters or fewer", field="reason")
    if request.status != PENDING:
        raise DomainError(f"This request has already been {request.status}")
    _claim(request, REJECTED, actor, now=now, reason=reason)
    requester = request.requested_by
    audit.record(
        actor, "organisation-request.reject", target=request, now=now,
        summary=f"Rejected the request to add {request.name}",
        before={"status": PENDING}, after={"status": REJECTED, "reason": reason},
    )
    queue_templated_email(
        requester.email, "organisation_rejected", now=now, subject=f"Your request to add {request.name}",
        user=requester, category="account", name=requester.full_name, requested_name=request.name, reason=reason,
    )


# --- reference data -------------------------------------------------------------------

REFERENCE_MODELS: dict[str, type] = {
    "sectors": Sector,
    "organisation-types": OrganisationType,
    "areas": Area,
    "job-roles": JobRole,
}
_AUDIT_NAME = {Sector: "sector", OrganisationType: "organisation-type", Area: "area", JobRole: "job-role"}
_LABEL = {Sector: "sector", OrganisationType: "organisation type", Area: "area", JobRole: "job role"}


def list_reference(model: type) -> list:
    """Every row of a reference table in display order (position, then name)."""
    query = select(model).order_by(model.position, func.lower(model.name), model.id)
    return list(db.session.scalars(query).unique())


def get_reference(model: type, item_id: int):
    item = db.session.get(model, item_id)
    if item is None:
        raise NotFound(f"No such {_LABEL[model]}")
    return item


def reference_position(item) -> int:
    """The item's place in its list, counting from 1."""
    return [row.id for row in list_reference(type(item))].index(item.id) + 1


def _clean_reference_name(model: type, name: str | None, *, exclude_id: int | None = None) -> str:
    name = _clean_text(name)
    label = _LABEL[model]
    if not name:
        raise DomainError(f"Enter the name of the {label}", field="name")
    if len(name) > REFERENCE_NAME_MAX:
        raise DomainError(f"Name must be {REFERENCE_NAME_MAX} characters or fewer", field="name")
    query = select(model.id).where(func.lower(model.name) == name.lower())
    if exclude_id is not None:
        query = query.where(model.id != exclude_id)
    if db.session.scalar(query.limit(1)) is not None:
        raise DomainError(f"There is already a {label} called {name}", field="name")
    return name


def validate_code(model: type, code: str | None) -> str:
    code = (code or "").strip()
    if not code:
        raise DomainError("Enter a code", field="code")
    if len(code) > CODE_MAX:
        raise DomainError(f"Code must be {CODE_MAX} characters or fewer", field="code")
    if not CODE_PATTERN.match(code):
        raise DomainError(
            "Code must use only lower-case letters, numbers and single hyphens between them, like early-help",
            field="code",
        )
    if db.session.scalar(select(model.id).where(model.code == code)) is not None:
        raise DomainError(f"There is already a {_LABEL[model]} with the code {code}", field="code")
    return code


def _sector_for(sector_id: Any) -> Sector:
    key = _as_id(sector_id)
    sector = db.session.get(Sector, key) if key is not None else None
    if sector is None:
        raise DomainError("Select the sector this type belongs to", field="sector")
    return sector


def _fields_of(item) -> list[str]:
    fields = ["code", "name", "position"]
    if isinstance(item, OrganisationType):
        fields.append("sector_id")
    if isinstance(item, JobRole):
        fields.append("active")
    return fields


def create_reference(actor: User, model: type, *, code: str, name: str, now: datetime, sector_id: Any = None):
    """Add a sector, organisation type (with `sector_id`), area or job role at the end of
    its list. The code is set now and never changes."""
    _require_admin(actor)
    if model not in _AUDIT_NAME:
        raise TypeError(f"{model!r} is not reference data")
    code = validate_code(model, code)
    name = _clean_reference_name(model, name)
    values: dict[str, Any] = {"code": code, "name": name}
    if model is OrganisationType:
        values["sector_id"] = _sector_for(sector_id).id
    last = db.session.scalar(select(func.max(model.position)))
    values["position"] = 0 if last is None else last + 1
    item = model(**values)
    db.session.add(item)
    db.session.flush()
    audit.record(
        actor, f"{_AUDIT_NAME[model]}.create", target=item, now=now,
        summary=f"Added the {_LABEL[model]} {name} ({code})", after=audit.snapshot(item, _fields_of(item)),
    )
    return item


def create_sector(actor: User, *, code: str, name: str, now: datetime) -> Sector:
    return create_reference(actor, Sector, code=code, name=name, now=now)


def create_organisation_type(actor: User, *, code: str, name: str, sector_id: Any, now: datetime) -> OrganisationType:
    return create_reference(actor, OrganisationType, code=code, name=name, sector_id=sector_id, now=now)


def create_area(actor: User, *, code: str, name: str, now: datetime) -> Area:
    return create_reference(actor, Area, code=code, name=name, now=now)


def create_job_role(actor: User, *, code: str, name: str, now: datetime) -> JobRole:
    return create_reference(actor, JobRole, code=code, name=name, now=now)


def _move(item, position: int) -> None:
    """Put `item` at `position` (from 1) in its list and number the list 0, 1, 2..."""
    rows = [row for row in list_reference(type(item)) if row.id != item.id]
    index = min(max(1, position), len(rows) + 1) - 1
    rows.insert(index, item)
    for number, row in enumerate(rows):
        if row.position != number:
            row.position = number


def update_reference(
    actor: User, item, *, name: str, now: datetime, position: int | None = None, sector_id: Any = None
) -> bool:
    """Rename, move (to `position`, counting from 1) and, for an organisation type, change
    its sector. Organisations keep the sector they have. Returns whether anything changed."""
    _require_admin(actor)
    model = type(item)
    name = _clean_reference_name(model, name, exclude_id=item.id)
    if position is not None and (isinstance(position, bool) or not isinstance(position, int) or position < 1):
        raise DomainError("Position must be a whole number, 1 or more", field="position")
    old_position = reference_position(item)
    before = {"name": item.name, "position": old_position}
    after = {"name": name, "position": old_position}
    if model is OrganisationType:
        sector = _sector_for(sector_id) if sector_id not in (None, "") else item.sector
        before["sector_id"] = item.sector_id
        after["sector_id"] = sector.id
        item.sector = sector
    item.name = name
    if position is not None and position != old_position:
        _move(item, position)
    db.session.flush()
    if position is not None:
        after["position"] = reference_position(item)
    old, new = audit.changed(before, after)
    if not new:
        return False
    audit.record(
        actor, f"{_AUDIT_NAME[model]}.update", target=item, now=now,
        summary=f"Changed the {_LABEL[model]} {item.code}", before=old, after=new,
    )
    return True


def rename_reference(actor: User, item, name: str, *, now: datetime) -> bool:
    return update_reference(actor, item, name=name, now=now)


def reorder_reference(actor: User, item, position: int, *, now: datetime) -> bool:
    return update_reference(actor, item, name=item.name, position=position, now=now)


def set_job_role_active(actor: User, role: JobRole, active: bool, *, now: datetime) -> None:
    """A deactivated job role is no longer offered to people choosing their roles; those
    who hold it keep it, with its history."""
    _require_admin(actor)
    if role.active == active:
        raise DomainError(f"{role.name} is already {'active' if active else 'deactivated'}")
    role.active = active
    db.session.flush()
    verb = "reactivate" if active else "deactivate"
    audit.record(
        actor, f"job-role.{verb}", target=role, now=now, summary=f"{verb.capitalize()}d the job role {role.name}",
        before={"active": not active}, after={"active": active},
    )


def deactivate_job_role(actor: User, role: JobRole, *, now: datetime) -> None:
    set_job_role_active(actor, role, False, now=now)


def reactivate_job_role(actor: User, role: JobRole, *, now: datetime) -> None:
    set_job_role_active(actor, role, True, now=now)


def reference_usage(model: type) -> dict[int, int]:
    """How many organisations (sectors, types, areas) or current role holders (job roles)
    each row has, in one statement."""
    if model is JobRole:
        query = (
            select(PersonRole.job_role_id, func.count(PersonRole.id))
            .where(PersonRole.ended_on.is_(None))
            .group_by(PersonRole.job_role_id)
        )
    else:
        column = {Sector: Organisation.sector_id, OrganisationType: Organisation.type_id, Area: Organisation.area_id}[model]
        query = select(column, func.count(Organisation.id)).where(column.is_not(None)).group_by(column)
    return {key: count for key, count in db.session.execute(query)}


# --- setting leads --------------------------------------------------------------------

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


def is_setting_lead(user: User, organisation: Organisation) -> bool:
    return db.session.get(SettingLead, (user.id, organisation.id)) is not None


def add_setting_lead(actor: User, user: User, organisation: Organisation, *, now: datetime) -> SettingLead:
    """Let `user` see and manage the people of `organisation`. Anyone may be made a lead
    (a trust's central safeguarding lead may work elsewhere); the page warns when the
    person is not recorded as working there."""
    _require_admin(actor)
    if not organisation.active:
        raise DomainError(f"{organisation.name} is deactivated. Reactivate it first", field="email")
    if not user.active:
        raise DomainError(f"The account for {user.email} is closed", field="email")
    if is_setting_lead(user, organisation):
        raise DomainError(f"{user.full_name} is already a setting lead for {organisation.name}", field="email")
    lead = SettingLead(user_id=user.id, organisation_id=organisation.id, created_at=now)
    db.session.add(lead)
    db.session.flush()
    db.session.expire(user, ["led_organisations"])
    audit.record(
        actor, "setting-lead.add", target=organisation, now=now,
        summary=f"Made {user.full_name} ({user.email}) a setting lead for {organisation.name}",
        after={"user_id": user.id, "email": user.email, "organisation_id": organisation.id,
               "works_here": user.organisation_id == organisation.id},
    )
    return lead


def remove_setting_lead(actor: User, user: User, organisation: Organisation, *, now: datetime) -> None:
    _require_admin(actor)
    lead = db.session.get(SettingLead, (user.id, organisation.id))
    if lead is None:
        raise NotFound(f"{user.full_name} is not a setting lead for {organisation.name}")
    db.session.delete(lead)
    db.session.flush()
    db.session.expire(user, ["led_organisations"])
    audit.record(
        actor, "setting-lead.remove", target=organisation, now=now,
        summary=f"Removed {user.full_name} ({user.email}) as a setting lead for {organisation.name}",
        before={"user_id": user.id, "email": user.email, "organisation_id": organisation.id},
    )


# --- a setting lead's staff -----------------------------------------------------------

def visible_organisation_ids(actor: User) -> list[int] | None:
    """The organisations whose people `actor` may list: None means all (an admin)."""
    if actor.is_admin:
        return None
    return accounts.led_organisation_ids(actor)


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
    search = _clean_text(search)
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
    if person is None or not accounts.can_see_person(actor, person):
        raise NotFound("No such person")
    return person
