"""Write and read the training record. record_completion is the only writer."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from lms.accounts.models import User
from lms.extensions import db
from lms.catalogue.models import DELIVERY_MODES
from lms.records.models import SOURCES, Completion, CompletionRemoval, ExternalActivity
from lms.records.uptake import refresh_people
from lms.signals import completion_changed, completion_recorded, completion_removed, completions_recorded


def record_completion(
    user: User,
    *,
    title: str,
    delivery_mode: str,
    on: date,
    hours: Decimal,
    source: str,
    source_ref: str,
    now: datetime,
    course=None,
    course_version=None,
    score: int | None = None,
    self_reported: bool = False,
    external: ExternalActivity | None = None,
) -> tuple[Completion, bool]:
    """Add a completion to the record, once: (completion, created). If the same
    (source, source_ref) is already recorded, by this request or a concurrent one, the
    existing completion is returned and nothing is added. The person's organisation and
    sector at the time are kept with it. External CPD passes its details as `external`,
    added with the completion so that receivers of the signal already see them (the
    requirements it counts towards)."""
    if source not in SOURCES:
        raise ValueError(f"unknown completion source {source!r}")
    if delivery_mode not in DELIVERY_MODES:
        raise ValueError(f"unknown delivery mode {delivery_mode!r}")
    existing = _find(source, source_ref)
    if existing is not None:
        return existing, False
    organisation = user.organisation
    completion = Completion(
        user_id=user.id,
        course_id=course.id if course is not None else None,
        course_version_id=course_version.id if course_version is not None else None,
        title=title,
        delivery_mode=delivery_mode,
        completed_on=on,
        cpd_hours=Decimal(hours),
        score=score,
        source=source,
        source_ref=source_ref,
        organisation_id=organisation.id if organisation is not None else None,
        sector_id=organisation.sector_id if organisation is not None else None,
        self_reported=self_reported,
        created_at=now,
        updated_at=now,
    )
    if external is not None:
        completion.external = external
    _begin_outer_transaction()
    try:
        with db.session.begin_nested():
            db.session.add(completion)
    except IntegrityError:
        # A concurrent request recorded it first: the unique (source, source_ref) held.
        existing = _find(source, source_ref)
        if existing is None:
            raise
        return existing, False
    refresh_people([user.id])
    completion_recorded.send(None, completion=completion, now=now)
    return completion, True


@dataclass(frozen=True)
class NewCompletion:
    user: User
    title: str
    delivery_mode: str
    on: date
    hours: Decimal
    source_ref: str
    course: object | None = None


def record_completions(items: list[NewCompletion], *, source: str, now: datetime, chunk: int = 5000) -> int:
    """Add many completions at once (the history import), each once: references already
    recorded, or repeated in `items`, are skipped. Sends completions_recorded once for
    everyone affected. Returns how many were added. A concurrent import of the same rows
    fails on the unique (source, source_ref) and the caller's transaction rolls back."""
    if source not in SOURCES:
        raise ValueError(f"unknown completion source {source!r}")
    for item in items:
        if item.delivery_mode not in DELIVERY_MODES:
            raise ValueError(f"unknown delivery mode {item.delivery_mode!r}")
    db.session.flush()
    refs = [item.source_ref for item in items]
    present: set[str] = set()
    for start in range(0, len(refs), 1000):
        present.update(db.session.scalars(
            select(Completion.source_ref).where(Completion.source == source, Completion.source_ref.in_(refs[start:start + 1000]))
        ))
    rows = []
    for item in items:
        if item.source_ref in present:
            continue
        present.add(item.source_ref)
        organisation = item.user.organisation
        rows.append({
            "user_id": item.user.id,
            "course_id": item.course.id if item.course is not None else None,
            "course_version_id": None,
            "title": item.title,
            "delivery_mode": item.delivery_mode,
            "completed_on": item.on,
            "cpd_hours": Decimal(item.hours),
            "score": None,
            "source": source,
            "source_ref": item.source_ref,
            "organisation_id": organisation.id if organisation is not None else None,
            "sector_id": organisation.sector_id if organisation is not None else None,
            "self_reported": False,
            "created_at": now,
            "updated_at": now,
        })
    for start in range(0, len(rows), chunk):
        db.session.execute(insert(Completion).execution_options(render_nulls=True), rows[start:start + chunk])
    if rows:
        user_ids = sorted({row["user_id"] for row in rows})
        refresh_people(user_ids)
        completions_recorded.send(None, user_ids=user_ids, now=now)
    return len(rows)


def update_completion_hours(completion: Completion, hours: Decimal, *, now: datetime) -> Completion:
    """Correct the hours of a recorded completion (a register marked again with other
    hours). Receivers of completions_recorded recompute the person; receivers of
    completion_changed see the completion itself."""
    completion.cpd_hours = Decimal(hours)
    completion.updated_at = now
    db.session.flush()
    completions_recorded.send(None, user_ids=[completion.user_id], now=now)
    completion_changed.send(None, completion=completion, now=now)
    return completion


def update_completion(completion: Completion, *, title: str, on: date, hours: Decimal, now: datetime) -> Completion:
    """Correct what a completion says (external CPD its person edits before it is
    verified). Receivers of completions_recorded recompute the person (after any change to
    what it counts towards, made before this is called); receivers of completion_changed
    see the completion itself."""
    completion.title = title
    completion.completed_on = on
    completion.cpd_hours = Decimal(hours)
    completion.updated_at = now
    db.session.flush()
    refresh_people([completion.user_id])
    completions_recorded.send(None, user_ids=[completion.user_id], now=now)
    completion_changed.send(None, completion=completion, now=now)
    return completion


def move_to_course(source: str, source_refs: list[str], course, *, now: datetime) -> int:
    """Record these completions (by source and reference) against `course` instead (old
    history mapped to a catalogue course by a later import). Receivers of
    completions_recorded recompute the people. Returns how many moved."""
    if not source_refs:
        return 0
    rows = db.session.execute(
        select(Completion.id, Completion.user_id)
        .where(Completion.source == source, Completion.source_ref.in_(source_refs), Completion.course_id.is_distinct_from(course.id))
    ).all()
    if not rows:
        return 0
    db.session.execute(
        update(Completion).where(Completion.id.in_([row.id for row in rows])).values(course_id=course.id, course_version_id=None, updated_at=now)
        .execution_options(synchronize_session="fetch")
    )
    user_ids = sorted({row.user_id for row in rows})
    refresh_people(user_ids)
    completions_recorded.send(None, user_ids=user_ids, now=now)
    return len(rows)


def remove_completion(source: str, source_ref: str, *, now: datetime) -> bool:
    """Take a completion off the record (attendance marked by mistake, then corrected to a
    no-show), noting its id for the analysts' feed (CompletionRemoval). Returns whether
    there was one."""
    completion = _find(source, source_ref)
    if completion is None:
        return False
    user_id = completion.user_id
    completion_removed.send(None, completion=completion, now=now)
    db.session.add(CompletionRemoval(completion_id=completion.id, user_id=user_id,
                                     organisation_id=completion.organisation_id, removed_at=now))
    db.session.delete(completion)
    db.session.flush()
    refresh_people([user_id])
    completions_recorded.send(None, user_ids=[user_id], now=now)
    return True


def _begin_outer_transaction() -> None:
    """SQLite's driver opens a transaction only before a write, so a savepoint taken before
    any write starts a transaction of its own, and releasing it commits everything so far.
    Open the caller's transaction first, so that it still commits or rolls back as one."""
    connection = db.session.connection()
    if connection.dialect.name == "sqlite" and not connection.connection.dbapi_connection.in_transaction:
        connection.exec_driver_sql("BEGIN")


def _find(source: str, source_ref: str) -> Completion | None:
    return db.session.scalar(select(Completion).where(Completion.source == source, Completion.source_ref == source_ref))


def list_completions(user: User):
    return select(Completion).where(Completion.user_id == user.id).order_by(Completion.completed_on.desc(), Completion.id.desc())
