"""Organisations themselves (adding, changing, deactivating, finding near-duplicates) and
which organisations a setting lead leads. Reference data is organisations.reference's;
"my organisation is not listed" requests are organisations.requests'.

Plain functions over the ORM (ARCHITECTURE.md): they take the actor and `now` as keyword
arguments, raise DomainError naming the form field at fault, flush but never commit.
Every privileged change writes an audit event. People are the accounts feature's, above
this one: functions here take the people they act on from the caller.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from difflib import SequenceMatcher
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, func, or_, select

from lms.audit import services as audit
from lms.core.errors import DomainError, Forbidden, NotFound
from lms.extensions import db
from lms.organisations.models import Area, Organisation, OrganisationType, Sector, SettingLead
from lms.signals import organisation_regrouped

if TYPE_CHECKING:
    from lms.accounts.models import User

NAME_MAX = 200
ADDRESS_MAX = 500
POSTCODE_PATTERN = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$")
URN_PATTERN = re.compile(r"^[A-Z0-9]{1,20}$")


# --- small helpers --------------------------------------------------------------------

def require_admin(actor: User | None) -> None:
    if actor is None or not actor.is_admin:
        raise Forbidden("Only partnership admins can do this")


def clean_text(value: str | None) -> str:
    return " ".join((value or "").split())


def as_id(value: Any) -> int | None:
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
    lines = [clean_text(line) for line in (value or "").replace("\r", "\n").split("\n")]
    text = "\n".join(line for line in lines if line)
    if len(text) > ADDRESS_MAX:
        raise DomainError(f"Address must be {ADDRESS_MAX} characters or fewer", field=field)
    return text or None


def clean_details(
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
    name = clean_text(name)
    if not name:
        raise DomainError(name_missing, field=prefix + "name")
    if len(name) > NAME_MAX:
        raise DomainError(f"Organisation name must be {NAME_MAX} characters or fewer", field=prefix + "name")
    type_key = as_id(type_id)
    org_type = db.session.get(OrganisationType, type_key) if type_key is not None else None
    if org_type is None:
        raise DomainError("Select the type of organisation", field=prefix + "type")
    sector_key = as_id(sector_id)
    if sector_key is None:
        sector = org_type.sector
    else:
        sector = db.session.get(Sector, sector_key)
        if sector is None:
            raise DomainError("Select a sector from the list", field=prefix + "sector")
    area_key = as_id(area_id)
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
    search = clean_text(search)
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


def organisation_choices(*, active_only: bool = True) -> list[tuple[int, str]]:
    """(id, name) of organisations by name, for pick lists; one light statement."""
    query = select(Organisation.id, Organisation.name).order_by(func.lower(Organisation.name), Organisation.id)
    if active_only:
        query = query.where(Organisation.active.is_(True))
    return [(row.id, row.name) for row in db.session.execute(query)]


# --- reference rows, for pick lists -----------------------------------------------------

def list_reference(model: type) -> list:
    """Every row of a reference table in display order (position, then name)."""
    query = select(model).order_by(model.position, func.lower(model.name), model.id)
    return list(db.session.scalars(query).unique())


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
    require_admin(actor)
    details = clean_details(
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
    require_admin(actor)
    details = clean_details(
        name=name, type_id=type_id, sector_id=sector_id, area_id=area_id, urn=urn, address=address, postcode=postcode
    )
    _check_urn_free(details["urn"], exclude_id=organisation.id)
    before = audit.snapshot(organisation, ORGANISATION_FIELDS)
    grouping = (organisation.type_id, organisation.area_id)
    for key, value in details.items():
        setattr(organisation, key, value)
    db.session.flush()
    if (organisation.type_id, organisation.area_id) != grouping:
        organisation_regrouped.send(None, organisation_id=organisation.id, now=now)
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
    require_admin(actor)
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


# --- setting leads: the organisations a person leads ----------------------------------

def is_setting_lead(user: User, organisation: Organisation) -> bool:
    return db.session.get(SettingLead, (user.id, organisation.id)) is not None


def add_setting_lead(actor: User, user: User, organisation: Organisation, *, now: datetime) -> SettingLead:
    """Let `user` see and manage the people of `organisation`. Anyone may be made a lead
    (a trust's central safeguarding lead may work elsewhere); the page warns when the
    person is not recorded as working there."""
    require_admin(actor)
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
    require_admin(actor)
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
