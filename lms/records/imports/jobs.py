"""The run-imports job: history imports too large for a web request, run in the scheduler
one at a time, oldest first. Each import is one transaction with its job's result, so a
job stopped half-way (the scheduler killed) imported nothing and is run again."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import or_, select, update

from lms.extensions import db
from lms.records.imports.models import FAILED, FINISHED, QUEUED, RUNNING, ImportJob
from lms.records.imports.services import import_bytes

# A job "running" for longer than this was stopped with its scheduler: run it again.
STALE_AFTER = timedelta(hours=2)
SHOWN_PROBLEMS = 1000
SHOWN_WARNINGS = 100


def run_imports(*, now: datetime) -> dict[str, int]:
    done = 0
    while (job_id := _claim(now=now)) is not None:
        _run(job_id, now=now)
        done += 1
    return {"imports run": done}


def _claim(*, now: datetime) -> int | None:
    """The oldest waiting job, marked running (a conditional UPDATE, so two schedulers
    never take the same one)."""
    waiting = or_(ImportJob.status == QUEUED, (ImportJob.status == RUNNING) & (ImportJob.started_at < now - STALE_AFTER))
    for job_id in db.session.scalars(select(ImportJob.id).where(waiting).order_by(ImportJob.id).limit(5)):
        claimed = db.session.execute(
            update(ImportJob).where(ImportJob.id == job_id, waiting)
            .values(status=RUNNING, started_at=now, stage="Reading the file")
            .execution_options(synchronize_session=False)
        ).rowcount
        db.session.commit()
        if claimed:
            return job_id
    return None


def _progress(job_id: int):
    """Says how far the import has got, on a connection of its own so the page sees it
    while the import's own transaction is still open (it is called only before the import
    writes anything, so it never waits for the import's locks)."""
    words = {"checking": "Checking {rows:,} rows", "writing": "Adding what {rows:,} rows hold"}

    def report(stage: str, rows: int) -> None:
        with db.engine.begin() as connection:
            connection.execute(
                update(ImportJob.__table__).where(ImportJob.__table__.c.id == job_id)
                .values(stage=words[stage].format(rows=rows), rows=rows)
            )

    return report


def _run(job_id: int, *, now: datetime) -> None:
    job = db.session.get(ImportJob, job_id)
    try:
        report = import_bytes(
            job.content or b"", file_name=job.file_name, actor=job.created_by, dry_run=job.dry_run, now=now,
            mapping=job.mapping, mapping_name=job.mapping_name, progress=_progress(job_id),
        )
    except Exception as error:  # recorded on the job for the admin, and in the log
        db.session.rollback()
        current_app.logger.exception("Import %s failed", job_id)
        job = db.session.get(ImportJob, job_id)
        job.status, job.finished_at, job.stage = FAILED, now, None
        job.error = f"{type(error).__name__}: {error}"[:2000]
        job.content = job.mapping = None
        db.session.commit()
        return
    if not report.ok or job.dry_run:
        db.session.rollback()  # nothing of a bad file or a dry run is kept
        job = db.session.get(ImportJob, job_id)
    job.status, job.finished_at, job.stage = FINISHED, now, None
    job.rows = report.rows
    job.result = {
        "ok": report.ok,
        "totals": [[label, number] for label, number in report.totals()],
        "error_count": len(report.errors),
        "errors": [str(problem) for problem in report.errors[:SHOWN_PROBLEMS]],
        "warning_count": len(report.warnings),
        "warnings": [str(problem) for problem in report.warnings[:SHOWN_WARNINGS]],
    }
    job.event_id = report.event.id if report.ok and not job.dry_run and report.event is not None else None
    job.content = job.mapping = None
    db.session.commit()  # the import and its job's result together
