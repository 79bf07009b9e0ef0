"""Queue a prepared download, show it only to the person who asked (and only while they
may still see what it holds), run it in the scheduler, and delete it when it expires.

Plain functions over the ORM: they take the actor and `now`, flush but never commit, except
`run`, which is the job's own edge (it commits the claim, the progress and the outcome).
"""
from __future__ import annotations

import os
import secrets
import shutil
import time
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import or_, select, update

from lms.accounts.models import User
from lms.core.errors import DomainError, NotFound
from lms.core.urls import external_url
from lms.downloads.kinds import get_kind
from lms.downloads.models import EXPIRED, FAILED, QUEUED, READY, RUNNING, PreparedDownload
from lms.extensions import db
from lms.notifications.services import queue_templated_email

# A download "running" for longer than this was stopped with its scheduler: run it again.
STALE_AFTER = timedelta(hours=1)
# How often, at most, the job writes its progress (the last step is always written).
PROGRESS_EVERY_SECONDS = 1.0
# Recent downloads listed on "Your downloads".
LISTED = 50


def retention_days() -> int:
    return int(current_app.config.get("DOWNLOAD_RETENTION_DAYS") or 7)


def folder() -> str:
    return current_app.config.get("DOWNLOADS_FOLDER") or os.path.join(current_app.instance_path, "downloads")


def file_path(download: PreparedDownload) -> str | None:
    if not download.stored_name:
        return None
    return os.path.join(folder(), download.stored_name)


# --- asking -------------------------------------------------------------------------------------

def queue(actor: User, kind: str, params: dict, *, title: str, now: datetime) -> PreparedDownload:
    """A download of `kind` for `actor`, waiting for the run-downloads job. The kind must be
    registered and the actor allowed to see what it holds."""
    registered = get_kind(kind)
    if registered is None:
        raise DomainError(f"Unknown kind of download: {kind}")
    if not registered.can_access(actor, params):
        raise NotFound("There is no such download")
    download = PreparedDownload(
        requested_by_id=actor.id, kind=kind, params=params, title=title[:200], status=QUEUED,
        requested_at=now, progress_done=0,
    )
    db.session.add(download)
    db.session.flush()
    return download


def retry(download: PreparedDownload, *, now: datetime) -> PreparedDownload:
    """Queue a failed (or expired) download again, with the same request."""
    if download.status not in (FAILED, EXPIRED):
        raise DomainError("This download is not waiting to be tried again")
    _remove_file(download)
    download.status, download.error = QUEUED, None
    download.requested_at, download.started_at, download.finished_at = now, None, None
    download.progress_done, download.progress_total, download.progress_label = 0, None, None
    download.file_name = download.content_type = download.stored_name = None
    download.size = download.expires_at = None
    db.session.flush()
    return download


# --- seeing -------------------------------------------------------------------------------------

def may_see(viewer: User | None, download: PreparedDownload) -> bool:
    """Only the person who asked, and only while the kind's access check still holds for
    them (admins included: an admin makes their own)."""
    if viewer is None or download.requested_by_id != viewer.id:
        return False
    kind = get_kind(download.kind)
    return kind is not None and bool(kind.can_access(viewer, download.params or {}))


def get_for(viewer: User, download_id: int) -> PreparedDownload:
    """The download, if `viewer` may see it; NotFound (never Forbidden) otherwise, so
    nobody learns what others asked for."""
    download = db.session.get(PreparedDownload, download_id)
    if download is None or not may_see(viewer, download):
        raise NotFound("There is no such download")
    return download


def list_for(viewer: User) -> list[PreparedDownload]:
    """The viewer's own most recent downloads, newest first."""
    return list(db.session.scalars(
        select(PreparedDownload).where(PreparedDownload.requested_by_id == viewer.id)
        .order_by(PreparedDownload.requested_at.desc(), PreparedDownload.id.desc()).limit(LISTED)
    ))


def record_fetch(viewer: User, download: PreparedDownload, *, now: datetime) -> None:
    """The audit event the kind's own direct download would write."""
    kind = get_kind(download.kind)
    if kind is not None and kind.audit is not None:
        kind.audit(viewer, download.params or {}, now=now, download=download)


def status_json(download: PreparedDownload, *, file_url: str | None) -> dict:
    return {
        "id": download.id,
        "status": download.status,
        "done": download.progress_done,
        "total": download.progress_total,
        "text": download.progress_text,
        "file_url": file_url if download.status == READY else None,
    }


# --- running (the run-downloads job) ----------------------------------------------------------

def _waiting(now: datetime):
    return or_(
        PreparedDownload.status == QUEUED,
        (PreparedDownload.status == RUNNING) & (PreparedDownload.started_at < now - STALE_AFTER),
    )


def claim_next(*, now: datetime) -> int | None:
    """The oldest waiting download, marked running and committed: a conditional UPDATE whose
    row count says whether this process won it, so two schedulers never run the same one."""
    waiting = _waiting(now)
    candidates = list(db.session.scalars(
        select(PreparedDownload.id).where(waiting).order_by(PreparedDownload.id).limit(5)
    ))
    db.session.rollback()
    for download_id in candidates:
        claimed = db.session.execute(
            update(PreparedDownload).where(PreparedDownload.id == download_id, waiting)
            .values(status=RUNNING, started_at=now, progress_done=0, progress_total=None, error=None)
            .execution_options(synchronize_session=False)
        ).rowcount
        db.session.commit()
        if claimed:
            return download_id
    return None


def _progress_writer(download_id: int):
    """Writes progress on a connection of its own, committed at once, so the page sees it
    while the job's own (read-only) transaction goes on; at most once a second."""
    last = [0.0]
    table = PreparedDownload.__table__

    def progress(done: int, total: int, label: str | None = None) -> None:
        moment = time.monotonic()
        if done < total and moment - last[0] < PROGRESS_EVERY_SECONDS:
            return
        last[0] = moment
        with db.engine.begin() as connection:
            connection.execute(
                update(table).where(table.c.id == download_id, table.c.status == RUNNING)
                .values(progress_done=int(done), progress_total=int(total), progress_label=(label or None))
            )

    return progress


def _store(body, download_id: int) -> tuple[str, int]:
    """Write the body under a new random name in the folder: (name, size)."""
    os.makedirs(folder(), mode=0o700, exist_ok=True)
    name = f"{download_id}-{secrets.token_hex(16)}.bin"
    path = os.path.join(folder(), name)
    with open(path, "wb") as handle:
        if isinstance(body, (bytes, bytearray)):
            handle.write(body)
        else:
            shutil.copyfileobj(body, handle)
    return name, os.path.getsize(path)


def run(download_id: int, *, now: datetime, clock=None) -> PreparedDownload:
    """Make a claimed download: the kind's producer (as the requester, who must still have
    access), the file stored, the download marked ready (or failed with the reason), and an
    email to the requester with the link. `clock` gives the finishing time (utcnow in the
    job)."""
    clock = clock or (lambda: now)
    download = db.session.get(PreparedDownload, download_id)
    requester = download.requested_by
    kind = get_kind(download.kind)
    try:
        if kind is None:
            raise DomainError(f"Downloads of this kind ({download.kind}) can no longer be made")
        if not kind.can_access(requester, download.params or {}):
            raise DomainError("You can no longer see what this download holds")
        body, file_name, content_type = kind.produce(
            download.params or {}, actor=requester, now=now, progress=_progress_writer(download_id),
        )
        stored_name, size = _store(body, download_id)
    except Exception as error:  # recorded on the download and in the log; the request is kept
        db.session.rollback()
        current_app.logger.exception("Prepared download %s failed", download_id)
        download = db.session.get(PreparedDownload, download_id)
        download.status, download.finished_at = FAILED, clock()
        message = error.message if isinstance(error, DomainError) else f"{type(error).__name__}: {error}"
        download.error = message[:2000]
        _email(download, now=clock())
        db.session.commit()
        return download
    db.session.rollback()  # a producer reads only: nothing of its transaction is kept
    download = db.session.get(PreparedDownload, download_id)
    finished = clock()
    download.status, download.finished_at = READY, finished
    download.file_name, download.content_type = file_name[:200], content_type[:100]
    download.stored_name, download.size = stored_name, size
    download.expires_at = finished + timedelta(days=retention_days())
    if download.progress_total:
        download.progress_done = download.progress_total
    _email(download, now=finished)
    db.session.commit()
    return download


def _email(download: PreparedDownload, *, now: datetime) -> None:
    person = download.requested_by
    if person is None or not person.email:
        return
    ready = download.status == READY
    queue_templated_email(
        person.email, "download_ready" if ready else "download_failed", now=now, user=person,
        subject=f"Your download is ready: {download.title}" if ready else f"Your download could not be made: {download.title}",
        name=person.full_name, download=download, link=external_url("downloads.show", download_id=download.id),
        retention_days=retention_days(), category="general",
    )


# --- expiry (the daily expire-downloads job) ------------------------------------------------

def _remove_file(download: PreparedDownload) -> None:
    path = file_path(download)
    if path and os.path.exists(path):
        os.remove(path)


def expire(*, now: datetime) -> int:
    """Delete the files of downloads past their expiry and mark them expired; flushes."""
    due = list(db.session.scalars(
        select(PreparedDownload).where(PreparedDownload.status == READY, PreparedDownload.expires_at <= now)
    ))
    for download in due:
        _remove_file(download)
        download.status, download.stored_name = EXPIRED, None
    db.session.flush()
    return len(due)


def remove_where(condition) -> int:
    """Delete the downloads `condition` selects, with their files (erasing a person: what
    they asked for, and any whose request names them); flushes."""
    found = list(db.session.scalars(select(PreparedDownload).where(condition)))
    for download in found:
        _remove_file(download)
        db.session.delete(download)
    db.session.flush()
    return len(found)
