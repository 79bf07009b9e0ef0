"""Write and read the audit log. Callers pass `now`; nothing here commits."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from lms.accounts.models import User
from lms.audit.models import AuditEvent
from lms.extensions import db


def _jsonable(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    return value


def snapshot(obj: Any, fields: list[str]) -> dict:
    """The named attributes of a model, ready for `before`/`after`."""
    return {name: _jsonable(getattr(obj, name)) for name in fields}


def record(
    actor: User | None,
    action: str,
    *,
    summary: str,
    now: datetime,
    target: Any = None,
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEvent:
    """Add an audit event in the caller's transaction."""
    event = AuditEvent(
        actor_id=actor.id if actor is not None else None,
        action=action,
        target_type=type(target).__tablename__ if target is not None else None,
        target_id=str(target.id) if target is not None and getattr(target, "id", None) is not None else None,
        summary=summary,
        before=_jsonable(before) if before is not None else None,
        after=_jsonable(after) if after is not None else None,
        created_at=now,
    )
    db.session.add(event)
    return event


def changed(before: dict, after: dict) -> tuple[dict, dict]:
    """Only the keys whose values differ."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def list_events(*, action: str | None = None, actor_id: int | None = None):
    query = select(AuditEvent).order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
    if action:
        query = query.where(AuditEvent.action.startswith(action))
    if actor_id:
        query = query.where(AuditEvent.actor_id == actor_id)
    return query
