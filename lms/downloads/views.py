"""A person's prepared downloads: the list ("Your downloads"), each one's progress page
(which works without JavaScript: a "Check progress" link reloads it; with JavaScript it
asks the small JSON endpoint every few seconds), the file, and "Try again" for one that
failed. Only the person who asked sees any of it, and only while they may still see what
it holds: anyone else gets a 404, for the page and the file alike."""
from __future__ import annotations

import os

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, send_file, url_for

from lms.core.auth import actor, login_required
from lms.core.errors import DomainError
from lms.core.forms import fail
from lms.core.time import utcnow
from lms.downloads import services
from lms.downloads.forms import RetryDownloadForm
from lms.downloads.kinds import get_kind
from lms.downloads.models import READY
from lms.extensions import db

bp = Blueprint("downloads", __name__, template_folder="templates")


def _source_url(download) -> str | None:
    kind = get_kind(download.kind)
    if kind is None or kind.source is None:
        return None
    endpoint, values = kind.source(download.params or {})
    return url_for(endpoint, **values)


@bp.get("/downloads")
@login_required
def index():
    return render_template("downloads/index.html", downloads=services.list_for(actor()), now=utcnow())


@bp.get("/downloads/<int:download_id>")
@login_required
def show(download_id: int):
    download = services.get_for(actor(), download_id)
    return render_template(
        "downloads/show.html", download=download, form=RetryDownloadForm(), source_url=_source_url(download),
        retention_days=services.retention_days(),
    )


@bp.get("/downloads/<int:download_id>/progress.json")
@login_required
def progress(download_id: int):
    download = services.get_for(actor(), download_id)
    response = jsonify(services.status_json(download, file_url=url_for(".file", download_id=download.id)))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/downloads/<int:download_id>/file")
@login_required
def file(download_id: int):
    download = services.get_for(actor(), download_id)
    path = services.file_path(download)
    if download.status != READY or path is None or not os.path.isfile(path):
        abort(404)
    services.record_fetch(actor(), download, now=utcnow())
    db.session.commit()
    response = send_file(
        path, mimetype=download.content_type or "application/octet-stream", as_attachment=True,
        download_name=download.file_name or "download", max_age=0, conditional=False, etag=False,
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/downloads/<int:download_id>/retry")
@login_required
def retry(download_id: int):
    download = services.get_for(actor(), download_id)
    form = RetryDownloadForm()
    if form.validate_on_submit():
        try:
            services.retry(download, now=utcnow())
        except DomainError as error:
            fail(error)
            flash(error.message, "info")
        else:
            db.session.commit()
            flash("Your download has been queued again", "success")
    return redirect(url_for(".show", download_id=download.id))
