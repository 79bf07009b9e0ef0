"""The partnership admin's page for importing training history from a CSV file.

Check the file only (a dry run: nothing is written) or import it. A bad file imports
nothing and the page lists every bad row by line number. A real import commits and
redirects to its result page (Post/Redirect/Get), which reads the audit event the import
wrote.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import RequestEntityTooLarge

from lms.audit.models import AuditEvent
from lms.core.auth import actor, admin_required
from lms.core.tables import attachment
from lms.core.time import utcnow
from lms.core.limits import body_limit
from lms.extensions import db
from lms.organisations.models import JobRole, OrganisationType
from lms.records.imports.checks import COLUMNS, MAPPING, MAX_FILE_BYTES
from lms.records.imports.forms import IMPORT, ImportRecordsForm
from lms.records.imports.models import ImportJob
from lms.records.imports.services import import_bytes, template_csv
from lms.catalogue.models import DELIVERY_MODES

# Nested in the records blueprint: endpoints records.imports.*.
bp = Blueprint("imports", __name__, url_prefix="/admin/import", template_folder="templates")

# The whole request may be a little larger than the file (the other fields, the multipart
# boundaries); the file itself is held to MAX_FILE_BYTES by the form.
REQUEST_LIMIT = MAX_FILE_BYTES + 256 * 1024
# Problems and warnings listed on the page; the counts always cover all of them.
SHOWN_PROBLEMS = 1000
TEMPLATE_FILE_NAME = "training-history-template.csv"


def _display_name(name: str | None) -> str:
    """The uploaded file's own name, for showing and the audit log (never used as a path)."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    return name[:120] or "the file"


def _reference_lists() -> dict:
    return {
        "types": db.session.execute(
            select(OrganisationType.code, OrganisationType.name).order_by(OrganisationType.position, OrganisationType.name)
        ).all(),
        "roles": db.session.execute(
            select(JobRole.code, JobRole.name).where(JobRole.active.is_(True)).order_by(JobRole.position, JobRole.name)
        ).all(),
        "modes": list(DELIVERY_MODES.items()),
    }


def _page(form: ImportRecordsForm, report=None, status: int = 200):
    return (
        render_template(
            "records/imports/upload.html",
            form=form,
            report=report,
            columns=COLUMNS,
            shown=SHOWN_PROBLEMS,
            **_reference_lists(),
        ),
        status,
    )


@bp.route("/", methods=["GET", "POST"])
@body_limit(REQUEST_LIMIT, "The selected file must be smaller than 20 MB")
@admin_required
def upload():
    request.max_content_length = REQUEST_LIMIT
    try:
        form = ImportRecordsForm()
    except RequestEntityTooLarge:
        form = ImportRecordsForm(formdata=None)
        form.file.errors = ["The selected file must be smaller than 20 MB"]
        return _page(form, status=413)
    if not form.validate_on_submit():
        return _page(form, status=400 if request.method == "POST" else 200)

    upload = form.file.data
    file_name = _display_name(upload.filename)
    dry_run = form.action.data != IMPORT
    mapping = form.mapping.data if getattr(form.mapping.data, "filename", None) else None
    data = upload.read()
    mapping_data = mapping.read() if mapping is not None else None
    mapping_name = _display_name(mapping.filename) if mapping is not None else None
    if len(data) > current_app.config["IMPORT_BACKGROUND_BYTES"]:
        # Too long for a web request (a worker's timeout is 30 seconds): the scheduler runs it.
        job = ImportJob(created_by_id=actor().id, created_at=utcnow(), file_name=file_name, dry_run=dry_run,
                        content=data, mapping=mapping_data, mapping_name=mapping_name, size=len(data),
                        stage="Waiting to start")
        db.session.add(job)
        db.session.commit()
        return redirect(url_for("records.imports.job", job_id=job.id))
    try:
        report = import_bytes(
            data, file_name=file_name, actor=actor(), dry_run=dry_run, now=utcnow(),
            mapping=mapping_data, mapping_name=mapping_name,
        )
    except IntegrityError:
        db.session.rollback()
        form.file.errors = [
            "The records changed while importing (is another import running?). Nothing was imported. Try again"
        ]
        return _page(form, status=409)

    if not report.ok:
        db.session.rollback()
        mapping_problems = [problem for problem in report.errors if problem.message.startswith(MAPPING + ":")]
        file_problems = [problem for problem in report.errors if problem not in mapping_problems]
        if mapping_problems:
            count = len(mapping_problems)
            form.mapping.errors = [
                f"The course mapping has {count:,} problem{'s' if count != 1 else ''}. Nothing was imported. "
                "Fix the lines listed and upload it again"
            ]
        whole_file = [problem for problem in file_problems if problem.line is None]
        if whole_file:
            form.file.errors = [whole_file[0].message]
        elif file_problems:
            count = len(file_problems)
            form.file.errors = [
                (f"{file_name} has {count:,} problem{'s' if count != 1 else ''}. Nothing was imported. "
                "Fix the rows listed and upload the file again")
            ]
        return _page(form, report, status=400)
    if dry_run:
        db.session.rollback()  # the import rolled its own work back; make sure of it
        return _page(ImportRecordsForm(formdata=None), report)

    db.session.commit()
    flash(
        f"{file_name} imported: {report.completions_created:,} completion{'s' if report.completions_created != 1 else ''} added",
        "success",
    )
    return redirect(url_for("records.imports.result", event_id=report.event.id))


@bp.get("/<int:event_id>")
@admin_required
def result(event_id: int):
    event = db.session.get(AuditEvent, event_id)
    if event is None or event.action != "records.import":
        abort(404)
    return render_template("records/imports/result.html", event=event, figures=event.after or {})


@bp.get("/jobs/<int:job_id>")
@admin_required
def job(job_id: int):
    """A queued import: how far it has got, then what it found or did."""
    row = db.session.get(ImportJob, job_id)
    if row is None:
        abort(404)
    return render_template("records/imports/job.html", job=row, result=row.result or {})


@bp.get("/template.csv")
@admin_required
def template():
    return attachment(template_csv(), "csv", TEMPLATE_FILE_NAME)
