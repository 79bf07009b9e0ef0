"""Reference data: sectors, organisation types, areas and job roles. The seed rows of
DESIGN.md sections 3 and 4, and the admin's changes to them.

Codes are stable and never change; names may be edited by admins afterwards, so
`load_reference_data` adds what is missing and leaves existing rows as they are.

Plain functions over the ORM: they take the actor and `now`, raise DomainError naming the
form field at fault, flush but never commit; every change writes an audit event.
"""
from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from lms.audit import services as audit
from lms.core.errors import DomainError, NotFound
from lms.extensions import db
from lms.organisations.models import Area, JobRole, Organisation, OrganisationType, PersonRole, Sector
from lms.organisations.services import as_id, clean_text, list_reference, require_admin

if TYPE_CHECKING:
    from lms.accounts.models import User

REFERENCE_NAME_MAX = 120
CODE_MAX = 40
CODE_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

# --- the seed data ------------------------------------------------------------------------

SECTORS = [
    ("education", "Education"),
    ("early-years", "Early years"),
    ("vcs", "Voluntary, community and faith"),
    ("health", "Health"),
    ("police", "Police"),
    ("local-authority", "Local authority"),
    ("other-statutory", "Other statutory and private"),
    ("public", "Member of the public"),
]

ORGANISATION_TYPES = [
    ("education", "primary-school", "Primary school"),
    ("education", "secondary-school", "Secondary school"),
    ("education", "all-through-school", "All-through school"),
    ("education", "special-school", "Special school"),
    ("education", "independent-school", "Independent school"),
    ("education", "alternative-provision", "Alternative provision or pupil referral unit"),
    ("education", "fe-college", "Further education college"),
    ("education", "mat-central", "Multi-academy trust (central team)"),
    ("early-years", "day-nursery", "Private day nursery"),
    ("early-years", "pre-school", "Pre-school or playgroup"),
    ("early-years", "childminder", "Childminder"),
    ("early-years", "out-of-school-club", "Out of school club"),
    ("early-years", "school-nursery", "School-based nursery"),
    ("early-years", "childrens-centre", "Children's centre"),
    ("vcs", "charity", "Charity or voluntary organisation"),
    ("vcs", "faith-group", "Faith group"),
    ("vcs", "sports-youth", "Sports or youth organisation"),
    ("health", "hospital-trust", "Hospital trust"),
    ("health", "community-health", "Community health (health visiting, school nursing)"),
    ("health", "mental-health-trust", "Mental health trust"),
    ("health", "gp-practice", "GP practice"),
    ("health", "icb", "Integrated care board"),
    ("police", "police", "Police"),
    ("local-authority", "childrens-social-care", "Children's social care"),
    ("local-authority", "early-help", "Early help"),
    ("local-authority", "education-inclusion", "Education and inclusion"),
    ("local-authority", "youth-justice", "Youth justice"),
    ("local-authority", "housing", "Housing"),
    ("local-authority", "council-other", "Other council service"),
    ("other-statutory", "probation", "Probation"),
    ("other-statutory", "fire-rescue", "Fire and rescue"),
    ("other-statutory", "cafcass", "CAFCASS"),
    ("other-statutory", "childrens-home", "Residential children's home"),
    ("other-statutory", "fostering-agency", "Independent fostering agency"),
    ("other-statutory", "adult-social-care", "Adult social care"),
]

JOB_ROLES = [
    ("school-staff", "All school staff"),
    ("teacher", "Teacher"),
    ("teaching-assistant", "Teaching assistant"),
    ("school-dsl", "School designated safeguarding lead (DSL)"),
    ("deputy-dsl", "Deputy designated safeguarding lead"),
    ("head-teacher", "Head teacher"),
    ("governor", "Governor or trustee"),
    ("safer-recruitment-panel", "Safer recruitment panel member"),
    ("ey-practitioner", "Early years practitioner"),
    ("ey-dsl", "Early years designated safeguarding lead"),
    ("childminder", "Childminder"),
    ("childminder-assistant", "Childminder assistant"),
    ("vcs-staff", "Voluntary sector staff or volunteer"),
    ("vcs-lead", "Voluntary sector safeguarding lead"),
    ("health-l1", "Health staff, level 1"),
    ("health-l2", "Health staff, level 2"),
    ("health-l3", "Health staff, level 3"),
    ("health-l4", "Health staff, level 4"),
    ("health-l5", "Health staff, level 5"),
    ("police-officer", "Police officer"),
    ("social-worker", "Social worker"),
    ("other", "Other"),
]

SCHOOL_STAFF_ROLES = ("school-staff", "teacher", "teaching-assistant", "school-dsl", "deputy-dsl", "head-teacher")
EARLY_YEARS_ROLES = ("ey-practitioner", "ey-dsl", "childminder", "childminder-assistant")


def load_reference_data() -> dict[str, int]:
    """Add any missing sectors, organisation types and job roles. Returns counts added."""
    added = {"sectors": 0, "organisation_types": 0, "job_roles": 0}
    sectors = {s.code: s for s in db.session.scalars(select(Sector))}
    for position, (code, name) in enumerate(SECTORS):
        if code not in sectors:
            sectors[code] = Sector(code=code, name=name, position=position)
            db.session.add(sectors[code])
            added["sectors"] += 1
    db.session.flush()
    types = set(db.session.scalars(select(OrganisationType.code)))
    for position, (sector_code, code, name) in enumerate(ORGANISATION_TYPES):
        if code not in types:
            db.session.add(OrganisationType(code=code, name=name, sector_id=sectors[sector_code].id, position=position))
            added["organisation_types"] += 1
    roles = set(db.session.scalars(select(JobRole.code)))
    for position, (code, name) in enumerate(JOB_ROLES):
        if code not in roles:
            db.session.add(JobRole(code=code, name=name, position=position))
            added["job_roles"] += 1
    db.session.flush()
    return added


# --- the admin's changes --------------------------------------------------------------

REFERENCE_MODELS: dict[str, type] = {
    "sectors": Sector,
    "organisation-types": OrganisationType,
    "areas": Area,
    "job-roles": JobRole,
}
_AUDIT_NAME = {Sector: "sector", OrganisationType: "organisation-type", Area: "area", JobRole: "job-role"}
_LABEL = {Sector: "sector", OrganisationType: "organisation type", Area: "area", JobRole: "job role"}


def get_reference(model: type, item_id: int):
    item = db.session.get(model, item_id)
    if item is None:
        raise NotFound(f"No such {_LABEL[model]}")
    return item


def reference_position(item) -> int:
    """The item's place in its list, counting from 1."""
    return [row.id for row in list_reference(type(item))].index(item.id) + 1


def _clean_reference_name(model: type, name: str | None, *, exclude_id: int | None = None) -> str:
    name = clean_text(name)
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
    key = as_id(sector_id)
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
    require_admin(actor)
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
    require_admin(actor)
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
    require_admin(actor)
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
