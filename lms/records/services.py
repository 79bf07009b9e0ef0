"""Write and read the training record. record_completion is the only writer."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from lms.accounts.models import User
from lms.extensions import db
from lms.records.models import DELIVERY_MODES, SOURCES, Completion
from lms.signals import completion_recorded


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
) -> tuple[Completion, bool]:
    """Add a completion to the record, once: (completion, created). If the same
    (source, source_ref) is already recorded, by this request or a concurrent one, the
    existing completion is returned and nothing is added. The person's organisation and
    sector at the time are kept with it."""
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
    )
    try:
        with db.session.begin_nested():
            db.session.add(completion)
    except IntegrityError:
        # A concurrent request recorded it first: the unique (source, source_ref) held.
        existing = _find(source, source_ref)
        if existing is None:
            raise
        return existing, False
    completion_recorded.send(None, completion=completion, now=now)
    return completion, True


def _find(source: str, source_ref: str) -> Completion | None:
    return db.session.scalar(select(Completion).where(Completion.source == source, Completion.source_ref == source_ref))


def list_completions(user: User):
    return select(Completion).where(Completion.user_id == user.id).order_by(Completion.completed_on.desc(), Completion.id.desc())
