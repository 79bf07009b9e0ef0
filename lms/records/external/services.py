"""External CPD: training a person did elsewhere and logs themselves.

A person logs a local-authority DSL course, a conference or an online course from another
provider with its title, provider, date, CPD hours, the requirements it counts towards, a
note and, if they like, an evidence file (PDF, PNG or JPEG, up to 5 MB). It goes into the
training record as a self-reported completion (source "external") through
records.services.record_completion, so compliance recomputes as for any completion. The
person edits it until it is verified and may delete it at any time.

A setting lead of the person's organisation, or an admin, verifies it, or says they cannot
(with a reason, emailed to the person); both are in the audit log. Leads cannot verify
their own CPD.

Evidence files are written under a random name in EVIDENCE_FOLDER (outside the static
folder), never under the name they were uploaded with. Files are tied to the transaction:
one written by a transaction that does not commit is deleted, and one replaced or deleted
is only removed from the disk once the change has committed.
"""
from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

from flask import current_app
from sqlalchemy import event, func, or_, select
from sqlalchemy.orm import joinedload

from lms.accounts import services as accounts
from lms.accounts.models import PersonRole, User
from lms.audit import services as audit
from lms.core.errors import Conflict, DomainError, Forbidden, NotFound
from lms.core.time import format_date, london_today
from lms.core.urls import external_url
from lms.extensions import db
from lms.notifications.services import queue_templated_email
from lms.records import services as records
from lms.records.models import Completion, ExternalActivity
from lms.signals import completions_recorded

SOURCE = "external"
MAX_TEXT = 200
MAX_NOTE = 2000
MAX_REASON = 1000
EARLIEST = date(2000, 1, 1)
MIN_HOURS = Decimal("0.25")
MAX_HOURS = Decimal(100)
MAX_EVIDENCE_BYTES = 5 * 1024 * 1024
# Entries checked (verified or not) this recently are listed on the lead's page.
RECENT_DAYS = 90
# At most this many entries awaiting verification are listed at once (the oldest first).
AWAITING_SHOWN = 200

# What an evidence file may be: the content type by the file's first bytes, and the
# extensions its name may have.
EVIDENCE_TYPES = {
    "application/pdf": (b"%PDF-", ("pdf",)),
    "image/png": (b"\x89PNG\r\n\x1a\n", ("png",)),
    "image/jpeg": (b"\xff\xd8\xff", ("jpg", "jpeg")),
}
_STORED_NAME = re.compile(r"^[0-9a-f]{32}\.(pdf|png|jpg)$")

MESSAGES = {
    "title_missing": "Enter the title of the training",
    "title_long": f"The title must be {MAX_TEXT} characters or fewer",
    "provider_missing": "Enter who provided the training",
    "provider_long": f"The provider must be {MAX_TEXT} characters or fewer",
    "date_missing": "Enter the date you completed the training",
    "date_future": "The date you completed the training must be today or in the past",
    "date_early": "The date you completed the training must be on or after 1 January 2000",
    "hours_missing": "Enter the CPD hours",
    "hours_number": "Enter the CPD hours as a number, like 1.5",
    "hours_quarter": "Enter the CPD hours in quarter hours, like 1.25, 1.5 or 1.75",
    "hours_range": "The CPD hours must be between 0.25 and 100",
    "requirements": "Select requirements from the list",
    "requirements_role": "Select only requirements of your own job roles: {names} {verb} not one of them",
    "note_long": f"The note must be {MAX_NOTE:,} characters or fewer",
    "evidence_type": "The selected file must be a PDF, PNG or JPEG",
    "evidence_size": "The selected file must be smaller than 5 MB",
    "evidence_empty": "The selected file is empty",
    "reason_missing": "Enter why you cannot verify this training",
    "reason_long": f"The reason must be {MAX_REASON:,} characters or fewer",
}


@dataclass
class ExternalValues:
    """What the person says about the training, as typed (checked by the service)."""

    title: str | None = None
    provider: str | None = None
    completed_on: date | None = None
    hours: Decimal | str | int | float | None = None
    requirement_codes: list[str] = field(default_factory=list)
    note: str | None = None


@dataclass(frozen=True)
class Evidence:
    """An uploaded evidence file: the name it was uploaded with and its bytes."""

    name: str
    content: bytes


# --- checking ----------------------------------------------------------------------------

def requirement_choices(person: User | None = None) -> list[tuple[str, str]]:
    """(code, name) of the active requirements, in their order: with `person`, only those
    of their current job roles (what their roles are measured against). Read from the
    tables the compliance feature owns, without importing it (records sits below
    compliance)."""
    table = db.metadata.tables["requirement"]
    query = select(table.c.code, table.c.name).where(table.c.active.is_(True)).order_by(table.c.position, table.c.name)
    if person is not None:
        link = db.metadata.tables["requirement_job_role"]
        roles = select(PersonRole.job_role_id).where(PersonRole.user_id == person.id, PersonRole.ended_on.is_(None))
        query = query.where(table.c.id.in_(select(link.c.requirement_id).where(link.c.job_role_id.in_(roles))))
    return list(db.session.execute(query).all())


def parse_hours(value) -> Decimal:
    """CPD hours in quarter hours from 0.25 to 100, from a number or text ('1.5')."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise DomainError(MESSAGES["hours_missing"], field="cpd_hours")
    if isinstance(value, bool):
        raise DomainError(MESSAGES["hours_number"], field="cpd_hours")
    try:
        hours = Decimal(str(value).strip())
    except InvalidOperation:
        raise DomainError(MESSAGES["hours_number"], field="cpd_hours") from None
    if not hours.is_finite():
        raise DomainError(MESSAGES["hours_number"], field="cpd_hours")
    if not MIN_HOURS <= hours <= MAX_HOURS:
        raise DomainError(MESSAGES["hours_range"], field="cpd_hours")
    if (hours * 4) % 1 != 0:
        raise DomainError(MESSAGES["hours_quarter"], field="cpd_hours")
    return hours.quantize(Decimal("0.01"))


def _text(value, *, missing: str, long: str, field_name: str, limit: int = MAX_TEXT) -> str:
    text = " ".join((value or "").split()) if isinstance(value, str) or value is None else None
    if text is None:
        raise DomainError(missing, field=field_name)
    if not text:
        raise DomainError(missing, field=field_name)
    if len(text) > limit:
        raise DomainError(long, field=field_name)
    return text


def check_values(values: ExternalValues, *, today: date, person: User | None = None) -> ExternalValues:
    """The values cleaned up, or a DomainError naming the first field that is wrong. With
    `person`, the requirements must be among those of their current job roles."""
    title = _text(values.title, missing=MESSAGES["title_missing"], long=MESSAGES["title_long"], field_name="title")
    provider = _text(values.provider, missing=MESSAGES["provider_missing"], long=MESSAGES["provider_long"],
                     field_name="provider")
    on = values.completed_on
    if on is None:
        raise DomainError(MESSAGES["date_missing"], field="completed_on")
    if on > today:
        raise DomainError(MESSAGES["date_future"], field="completed_on")
    if on < EARLIEST:
        raise DomainError(MESSAGES["date_early"], field="completed_on")
    hours = parse_hours(values.hours)
    codes = list(values.requirement_codes or [])
    order = [code for code, _ in requirement_choices()]
    if any(not isinstance(code, str) for code in codes) or set(codes) - set(order):
        raise DomainError(MESSAGES["requirements"], field="requirement_codes")
    if person is not None and codes:
        own = {code for code, _ in requirement_choices(person)}
        others = [code for code in order if code in set(codes) - own]
        if others:
            names = dict(requirement_choices())
            listed = ", ".join(f"“{names[code]}”" for code in others)
            raise DomainError(MESSAGES["requirements_role"].format(names=listed, verb="is" if len(others) == 1 else "are"),
                              field="requirement_codes")
    note = values.note
    if note is not None and not isinstance(note, str):
        raise DomainError(MESSAGES["note_long"], field="note")
    note = (note or "").strip() or None
    if note is not None and len(note) > MAX_NOTE:
        raise DomainError(MESSAGES["note_long"], field="note")
    return ExternalValues(title=title, provider=provider, completed_on=on, hours=hours,
                          requirement_codes=sorted(set(codes), key=order.index), note=note)


def evidence_type(content: bytes) -> str | None:
    """The content type a file's bytes show it to be (PDF, PNG or JPEG), or None."""
    for content_type, (magic, _) in EVIDENCE_TYPES.items():
        if content.startswith(magic):
            return content_type
    return None


def check_evidence(evidence: Evidence) -> str:
    """The evidence file's content type, checked by its content and its name; otherwise a
    DomainError on the `evidence` field."""
    if len(evidence.content) > MAX_EVIDENCE_BYTES:
        raise DomainError(MESSAGES["evidence_size"], field="evidence")
    if not evidence.content:
        raise DomainError(MESSAGES["evidence_empty"], field="evidence")
    content_type = evidence_type(evidence.content)
    extension = evidence.name.rsplit(".", 1)[-1].lower() if "." in evidence.name else ""
    if content_type is None or extension not in EVIDENCE_TYPES[content_type][1]:
        raise DomainError(MESSAGES["evidence_type"], field="evidence")
    return content_type


def display_name(name: str | None) -> str:
    """The uploaded file's own name, for showing and downloading (never used as a path)."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return name[-MAX_TEXT:] or "evidence"


# --- evidence files on disk ----------------------------------------------------------------

_WRITTEN = "lms.external.written"      # files written in this transaction
_UNUSED = "lms.external.unused"        # files to remove once this transaction commits


def evidence_folder() -> Path:
    folder = current_app.config.get("EVIDENCE_FOLDER") or os.path.join(current_app.instance_path, "evidence")
    return Path(folder)


def evidence_file(activity: ExternalActivity) -> Path | None:
    """The stored evidence file's path, if it has one (and its name is one we made)."""
    name = activity.evidence_path
    if not name or not _STORED_NAME.match(name):
        return None
    return evidence_folder() / name


def _store(content: bytes, content_type: str) -> str:
    extension = EVIDENCE_TYPES[content_type][1][0]
    folder = evidence_folder()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    name = f"{secrets.token_hex(16)}.{extension}"
    path = folder / name
    with open(path, "xb") as handle:  # never overwrite
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    db.session.info.setdefault(_WRITTEN, []).append(path)
    return name


def _remove_after_commit(activity: ExternalActivity) -> None:
    path = evidence_file(activity)
    if path is not None:
        db.session.info.setdefault(_UNUSED, []).append(path)


def _unlink(paths) -> None:
    for path in paths:
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        except OSError:  # pragma: no cover - logged, the transaction's outcome stands
            current_app.logger.exception("Could not remove evidence file %s", path.name)


def _after_commit(session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released: the outer transaction may still roll back
    session.info.pop(_WRITTEN, None)
    _unlink(session.info.pop(_UNUSED, None) or ())


def _after_transaction_end(session, transaction) -> None:
    # The outermost transaction ended without a commit (rolled back, or the session was
    # closed after a crash): the files it wrote belong to nothing.
    if transaction.parent is None and not transaction.nested:
        written = session.info.pop(_WRITTEN, None)
        session.info.pop(_UNUSED, None)
        if written:
            _unlink(written)


def connect_signals() -> None:
    for name, listener in (("after_commit", _after_commit), ("after_transaction_end", _after_transaction_end)):
        if not event.contains(db.session, name, listener):
            event.listen(db.session, name, listener)


# --- the person's own CPD ------------------------------------------------------------------

def log_external(person: User, values: ExternalValues, *, now: datetime, evidence: Evidence | None = None) -> ExternalActivity:
    """Add external CPD to `person`'s record as a self-reported completion."""
    values = check_values(values, today=london_today(now), person=person)
    content_type = check_evidence(evidence) if evidence is not None else None
    activity = ExternalActivity(
        provider=values.provider,
        note=values.note,
        requirement_codes=values.requirement_codes,
        updated_at=now,
    )
    if evidence is not None:
        _attach(activity, evidence, content_type)
    completion, _ = records.record_completion(
        person,
        title=values.title,
        delivery_mode="external",
        on=values.completed_on,
        hours=values.hours,
        source=SOURCE,
        source_ref=f"external:{secrets.token_hex(16)}",
        now=now,
        self_reported=True,
        external=activity,
    )
    return completion.external


def _attach(activity: ExternalActivity, evidence: Evidence, content_type: str) -> None:
    activity.evidence_path = _store(evidence.content, content_type)
    activity.evidence_name = display_name(evidence.name)
    activity.evidence_content_type = content_type
    activity.evidence_size = len(evidence.content)


def update_external(
    activity: ExternalActivity, values: ExternalValues, *, actor: User, now: datetime,
    evidence: Evidence | None = None, remove_evidence: bool = False,
) -> ExternalActivity:
    """Change external CPD before it is verified: its person only. A new evidence file
    replaces the old one; `remove_evidence` takes it off. Someone who could not verify it
    sees it again as awaiting verification."""
    _check_own(activity, actor)
    if activity.verified:
        raise Conflict("This training has been verified, so it can no longer be changed", field="title")
    values = check_values(values, today=london_today(now), person=actor)
    content_type = check_evidence(evidence) if evidence is not None else None
    activity.provider = values.provider
    activity.note = values.note
    activity.requirement_codes = values.requirement_codes
    if evidence is not None or remove_evidence:
        _remove_after_commit(activity)
        activity.evidence_path = activity.evidence_name = activity.evidence_content_type = None
        activity.evidence_size = None
    if evidence is not None:
        _attach(activity, evidence, content_type)
    activity.rejected_at = activity.rejected_by_id = activity.rejection_reason = None
    activity.updated_at = now
    records.update_completion(activity.completion, title=values.title, on=values.completed_on, hours=values.hours, now=now)
    return activity


def delete_external(activity: ExternalActivity, *, actor: User, now: datetime) -> None:
    """Take external CPD off its person's record (and its evidence file off the disk,
    once the change has committed): its person only."""
    _check_own(activity, actor)
    _remove_after_commit(activity)
    records.remove_completion(SOURCE, activity.completion.source_ref, now=now)


def _check_own(activity: ExternalActivity, actor: User) -> None:
    if activity.completion.user_id != actor.id:
        raise NotFound("No such training")


def _base():
    return select(ExternalActivity).join(Completion, Completion.id == ExternalActivity.completion_id)


def _query():
    return _base().options(
        joinedload(ExternalActivity.completion).joinedload(Completion.user),
        joinedload(ExternalActivity.verified_by),
        joinedload(ExternalActivity.rejected_by),
    )


def get_external(activity_id: int) -> ExternalActivity:
    activity = db.session.scalar(_query().where(ExternalActivity.id == activity_id))
    if activity is None:
        raise NotFound("No such training")
    return activity


def get_own(person: User, activity_id: int) -> ExternalActivity:
    """The person's own external CPD; NotFound for anyone else's."""
    activity = get_external(activity_id)
    _check_own(activity, person)
    return activity


def list_own(person: User) -> list[ExternalActivity]:
    return list(db.session.scalars(
        _query().where(Completion.user_id == person.id).order_by(Completion.completed_on.desc(), Completion.id.desc())
    ).unique())


def external_by_completion(completion_ids) -> dict[int, ExternalActivity]:
    """The external details of these completions (those that have them), by completion id."""
    ids = list(completion_ids)
    if not ids:
        return {}
    rows = db.session.scalars(
        select(ExternalActivity).where(ExternalActivity.completion_id.in_(ids))
        .options(joinedload(ExternalActivity.verified_by))
    ).unique()
    return {row.completion_id: row for row in rows}


# --- verifying -------------------------------------------------------------------------------

def can_download(actor: User, activity: ExternalActivity) -> bool:
    """The person, the leads of their organisation and admins may see the evidence."""
    return accounts.can_see_person(actor, activity.completion.user)


def get_for_checking(actor: User, activity_id: int) -> ExternalActivity:
    """External CPD `actor` may verify: of the staff of an organisation they lead (any, for
    an admin). NotFound for anyone else's (a lead does not learn that it exists); Forbidden
    for their own."""
    activity = get_external(activity_id)
    person = activity.completion.user
    if person.id == actor.id:
        raise Forbidden("You cannot verify your own training. Ask another lead or the partnership")
    if not actor.is_admin and (person.organisation_id is None or not accounts.leads(actor, person.organisation_id)):
        raise NotFound("No such training")
    return activity


def _for_checking(actor: User, *, loaded: bool = True):
    query = (_query() if loaded else _base()).join(User, User.id == Completion.user_id).where(User.id != actor.id)
    if not actor.is_admin:
        query = query.where(User.organisation_id.in_(accounts.led_organisation_ids(actor)))
    return query


_AWAITING = (ExternalActivity.verified_at.is_(None), ExternalActivity.rejected_at.is_(None))


def count_awaiting_query(actor: User):
    """A SELECT of how many of the external CPD entries `actor` may check nobody has
    checked yet (to run alone, or as a scalar subquery of a bigger statement)."""
    return _for_checking(actor, loaded=False).where(*_AWAITING).with_only_columns(func.count(ExternalActivity.id))


def list_awaiting(actor: User) -> tuple[list[ExternalActivity], int]:
    """Staff's external CPD nobody has checked yet (oldest first, up to AWAITING_SHOWN),
    and how many there are in all."""
    awaiting = _AWAITING
    total = db.session.scalar(count_awaiting_query(actor))
    query = _for_checking(actor).where(*awaiting)
    rows = list(db.session.scalars(query.order_by(Completion.created_at, Completion.id).limit(AWAITING_SHOWN)).unique())
    return rows, total or 0


def list_recently_checked(actor: User, *, now: datetime) -> list[ExternalActivity]:
    """Staff's external CPD verified, or found unverifiable, in the last RECENT_DAYS days."""
    since = now - timedelta(days=RECENT_DAYS)
    checked_at = func.coalesce(ExternalActivity.verified_at, ExternalActivity.rejected_at)
    query = _for_checking(actor).where(or_(ExternalActivity.verified_at >= since, ExternalActivity.rejected_at >= since))
    return list(db.session.scalars(query.order_by(checked_at.desc(), ExternalActivity.id.desc()).limit(AWAITING_SHOWN)).unique())


def _summary_values(activity: ExternalActivity) -> dict:
    completion = activity.completion
    return {
        "person_id": completion.user_id,
        "title": completion.title,
        "provider": activity.provider,
        "completed_on": completion.completed_on,
        "cpd_hours": str(completion.cpd_hours),
        "requirement_codes": list(activity.requirement_codes or []),
    }


def verify(activity: ExternalActivity, *, actor: User, now: datetime) -> ExternalActivity:
    """Mark external CPD verified: the person's organisation's lead or an admin."""
    activity = get_for_checking(actor, activity.id)
    if activity.verified:
        raise Conflict("This training has already been verified")
    before = {"verified_at": None, "rejected_at": activity.rejected_at, "rejection_reason": activity.rejection_reason}
    activity.verified_at = now
    activity.verified_by_id = actor.id
    activity.rejected_at = activity.rejected_by_id = activity.rejection_reason = None
    db.session.flush()
    person = activity.completion.user
    # Whether it counts, or is marked as unverified, has changed: compliance recomputes.
    completions_recorded.send(None, user_ids=[person.id], now=now)
    audit.record(
        actor, "external_cpd.verify", target=activity, now=now,
        summary=f"Verified external CPD “{activity.completion.title}” for {person.full_name}",
        before=before, after={**_summary_values(activity), "verified_at": now},
    )
    return activity


def cannot_verify(activity: ExternalActivity, *, actor: User, reason: str | None, now: datetime) -> ExternalActivity:
    """Say why external CPD cannot be verified. It stays on the record, self-reported;
    the person is told by email and may change it (which puts it back for verifying)."""
    activity = get_for_checking(actor, activity.id)
    if activity.verified:
        raise Conflict("This training has already been verified", field="reason")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(MESSAGES["reason_missing"], field="reason")
    if len(reason) > MAX_REASON:
        raise DomainError(MESSAGES["reason_long"], field="reason")
    activity.rejected_at = now
    activity.rejected_by_id = actor.id
    activity.rejection_reason = reason
    db.session.flush()
    completion = activity.completion
    person = completion.user
    audit.record(
        actor, "external_cpd.cannot_verify", target=activity, now=now,
        summary=f"Could not verify external CPD “{completion.title}” for {person.full_name}",
        after={**_summary_values(activity), "reason": reason},
    )
    queue_templated_email(
        person.email,
        "external_cpd_not_verified",
        now=now,
        subject=f"Your training “{completion.title}” could not be verified",
        user=person,
        category="general",
        name=person.full_name,
        actor_name=actor.full_name,
        title=completion.title,
        provider=activity.provider,
        completed_on=format_date(completion.completed_on),
        reason=reason,
        link=external_url("records.external.mine"),
    )
    return activity
