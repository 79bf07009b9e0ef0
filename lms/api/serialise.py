"""Model -> JSON for the API. Reference data is named by its stable codes (DESIGN.md 4).

Each function matches a schema in lms/api/openapi.py of the same name.
"""
from __future__ import annotations

from datetime import date, datetime

from lms.accounts.models import PersonRole, User
from lms.organisations.models import Organisation


def iso_date(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def iso_datetime(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def organisation(org: Organisation) -> dict:
    return {
        "id": org.id,
        "name": org.name,
        "type": org.type.code,
        "sector": org.sector.code,
        "area": org.area.code if org.area is not None else None,
        "urn": org.urn,
        "active": org.active,
    }


def organisation_summary(org: Organisation) -> dict:
    return {"id": org.id, "name": org.name}


def job_role_held(role: PersonRole) -> dict:
    return {
        "code": role.job_role.code,
        "name": role.job_role.name,
        "started_on": iso_date(role.started_on),
        "ended_on": iso_date(role.ended_on),
    }


def person(user: User) -> dict:
    return {
        "id": user.id,
        "email": user.email,
        "full_name": user.full_name,
        "active": user.active,
        "organisation": organisation(user.organisation) if user.organisation is not None else None,
        "job_roles": [job_role_held(role) for role in user.roles],
    }


def role_names(user: User) -> list[str]:
    """Everyone is a practitioner; the flags and setting-lead links add the rest."""
    roles = ["practitioner"]
    if user.led_organisations:
        roles.append("setting-lead")
    if user.is_trainer:
        roles.append("trainer")
    if user.is_admin:
        roles.append("admin")
    return roles


def me(user: User) -> dict:
    return {
        **person(user),
        "roles": role_names(user),
        "led_organisations": [organisation_summary(org) for org in user.led_organisations],
    }


def reference_item(row) -> dict:
    return {"code": row.code, "name": row.name}


def organisation_type(row) -> dict:
    return {"code": row.code, "name": row.name, "sector": row.sector.code}


def job_role(row) -> dict:
    return {"code": row.code, "name": row.name, "active": row.active}
