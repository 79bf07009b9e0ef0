"""Write and read the audit log. Callers pass `now`; nothing here commits."""
from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload

from lms.audit.models import AuditEvent
from lms.core.tables import safe_text
from lms.core.time import LONDON, to_london
from lms.extensions import db

if TYPE_CHECKING:
    from lms.accounts.models import User


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


# --- reading the log --------------------------------------------------------------------


@dataclass
class AuditFilter:
    """What the audit log viewer and its CSV export narrow the log by. Dates are London
    calendar dates, both ends included."""

    action: str = ""
    actor_email: str = ""
    target_type: str = ""
    target_id: str = ""
    date_from: date | None = None
    date_to: date | None = None

    def as_dict(self) -> dict:
        return {key: value for key, value in _jsonable(asdict(self)).items() if value}


def _london_midnight_utc(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=LONDON).astimezone(UTC)


def _conditions(filters: AuditFilter) -> list:
    conditions = []
    action = (filters.action or "").strip().lower()
    if action:
        conditions.append(AuditEvent.action.startswith(action, autoescape=True))
    actor_email = (filters.actor_email or "").strip().lower()
    if actor_email:
        # The people's table, reached through the event's actor relationship (the audit
        # log sits below accounts and names no model of theirs).
        people = AuditEvent.actor.property.target
        actors = select(people.c.id).where(func.lower(people.c.email).contains(actor_email, autoescape=True))
        conditions.append(AuditEvent.actor_id.in_(actors))
    if filters.target_type:
        conditions.append(AuditEvent.target_type == filters.target_type)
    if filters.target_id:
        conditions.append(AuditEvent.target_id == str(filters.target_id))
    if filters.date_from:
        conditions.append(AuditEvent.created_at >= _london_midnight_utc(filters.date_from))
    if filters.date_to:
        conditions.append(AuditEvent.created_at < _london_midnight_utc(filters.date_to + timedelta(days=1)))
    return conditions


def filtered_events(filters: AuditFilter) -> Select:
    """Events matching the filters, newest first, with their actors loaded."""
    return (
        select(AuditEvent)
        .options(joinedload(AuditEvent.actor))
        .where(*_conditions(filters))
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
    )


def count_events(filters: AuditFilter) -> int:
    return db.session.scalar(select(func.count(AuditEvent.id)).where(*_conditions(filters))) or 0


def target_types() -> list[str]:
    """The kinds of thing the log has events about, for the filter."""
    return list(
        db.session.scalars(
            select(AuditEvent.target_type).where(AuditEvent.target_type.is_not(None)).distinct().order_by(AuditEvent.target_type)
        )
    )


def events_about(target_type: str, target_id: Any, *, limit: int = 10) -> list[AuditEvent]:
    """The latest events about one thing (a person, an organisation...)."""
    query = (
        select(AuditEvent)
        .options(joinedload(AuditEvent.actor))
        .where(AuditEvent.target_type == target_type, AuditEvent.target_id == str(target_id))
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))


CSV_HEADER = [
    "when_london", "when_utc", "actor_name", "actor_email", "action",
    "target_type", "target_id", "summary", "before", "after",
]


def _csv_cell(value: Any) -> str:
    """A cell a spreadsheet will not run as a formula."""
    return safe_text(None if value is None else str(value))


def _json_cell(value: Any) -> str:
    return "" if value is None else json.dumps(value, sort_keys=True, ensure_ascii=False)


def csv_rows(filters: AuditFilter, *, before_id: int | None = None, batch_size: int = 1000) -> Iterator[list[str]]:
    """The header, then one row per matching event, newest first, read in batches so a
    large log does not have to fit in memory. `before_id` leaves out that event and any
    later one (the export's own event, and events written while the file streams)."""
    yield CSV_HEADER
    query = filtered_events(filters)
    if before_id is not None:
        query = query.where(AuditEvent.id < before_id)
    query = query.execution_options(yield_per=batch_size)
    for event in db.session.scalars(query):
        actor = event.actor
        yield [
            _csv_cell(value)
            for value in (
                to_london(event.created_at).strftime("%Y-%m-%d %H:%M:%S"),
                event.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                actor.full_name if actor else "System",
                actor.email if actor else "",
                event.action,
                event.target_type,
                event.target_id,
                event.summary,
                _json_cell(event.before),
                _json_cell(event.after),
            )
        ]


def record_export(filters: AuditFilter, *, actor: User, rows: int, now: datetime) -> AuditEvent:
    return record(
        actor, "audit.export", now=now,
        summary=f"Exported {rows} audit event{'s' if rows != 1 else ''} as CSV",
        after={"filters": filters.as_dict(), "rows": rows},
    )


class _Missing:
    """A value one side of a change does not have (as opposed to an explicit null)."""

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING = _Missing()


def change_rows(before: dict | None, after: dict | None) -> list[tuple[str, Any, Any]]:
    """(key, before, after) for each key in either side, in a stable order, for showing a
    change as a table."""
    before = before or {}
    after = after or {}
    keys = list(before) + [key for key in after if key not in before]
    return [(key, before.get(key, MISSING), after.get(key, MISSING)) for key in keys]


_KEY_WORDS = {"id": "ID", "url": "URL", "urn": "URN", "dsl": "DSL", "cpd": "CPD", "api": "API"}


def readable_key(key: str) -> str:
    """"email_confirmed_at" -> "Email confirmed at"."""
    words = str(key).replace("-", " ").replace("_", " ").split()
    words = [_KEY_WORDS.get(word.lower(), word) for word in words]
    if not words:
        return ""
    first = words[0]
    return " ".join([first[:1].upper() + first[1:]] + words[1:])


def readable_value(value: Any) -> str:
    """A stored before/after value as a person would read it: yes/no, London dates and
    times, lists joined, nothing shown as "Not set"."""
    from lms.core.time import format_date, format_datetime

    if value is MISSING:
        return "Not recorded"
    if value is None or value == "":
        return "Not set"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, (list, tuple)):
        return ", ".join(readable_value(item) for item in value) if value else "None"
    if isinstance(value, dict):
        return "; ".join(f"{readable_key(k)}: {readable_value(v)}" for k, v in value.items()) if value else "None"
    if isinstance(value, str) and len(value) >= 10 and value[4:5] == "-" and value[7:8] == "-":
        try:
            if len(value) == 10:
                return format_date(date.fromisoformat(value))
            parsed = datetime.fromisoformat(value)
            if parsed.tzinfo is not None:
                return format_datetime(parsed)
        except ValueError:
            pass
    return str(value)
