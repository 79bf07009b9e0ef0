"""SCORM pages: the admin's upload, the learner's player and its JSON save, and the
package files, served from a path of their own with a policy that sandboxes them.

Nested in the elearning blueprint: endpoints elearning.scorm.*."""
from __future__ import annotations

import re
from pathlib import Path

from flask import (
    Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, send_from_directory, url_for,
)
from flask_wtf.csrf import generate_csrf
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.security import safe_join

from lms.catalogue.services import requirement_names
from lms.core.auth import actor, admin_required, login_required
from lms.core.errors import DomainError, NotFound
from lms.core.forms import fail
from lms.core.time import utcnow
from lms.elearning import services as elearning
from lms.elearning.scorm import package as packages
from lms.elearning.scorm import services
from lms.elearning.scorm.forms import PackageForm
from lms.extensions import db

bp = Blueprint("scorm", __name__, template_folder="templates", static_folder="static", static_url_path="/static/scorm")

# The policy of every package file: a sandbox without allow-same-origin gives the files an
# opaque origin, so they cannot read our cookies or storage, nor call our pages as the
# learner (their requests carry no cookie and our answers are not readable to them).
PACKAGE_POLICY = (
    "sandbox allow-scripts allow-forms allow-popups allow-modals; "
    "default-src 'self' data: blob: 'unsafe-inline' 'unsafe-eval'; "
    "connect-src 'self'; form-action 'none'; base-uri 'self'; object-src 'none'; frame-ancestors 'self'"
)
SAVE_LIMIT = 64 * 1024


def storage_dir() -> Path:
    configured = current_app.config.get("SCORM_STORAGE_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "scorm"


def limits() -> packages.Limits:
    config = current_app.config
    default = packages.Limits()
    return packages.Limits(
        max_files=config.get("SCORM_MAX_FILES", default.max_files),
        max_unpacked_bytes=config.get("SCORM_MAX_UNPACKED_BYTES", default.max_unpacked_bytes),
        max_ratio=config.get("SCORM_MAX_RATIO", default.max_ratio),
    )


def upload_limit() -> int:
    return current_app.config.get("SCORM_MAX_UPLOAD_BYTES", 100 * 1024 * 1024)


# --- the admin's upload -----------------------------------------------------------------

@bp.route("/admin/e-learning/packages", methods=["GET", "POST"])
@admin_required
def upload():
    # The limit is checked against Content-Length before the body is read.
    request.max_content_length = upload_limit() + 256 * 1024
    names = requirement_names()
    try:
        form = PackageForm(requirements=names)
    except RequestEntityTooLarge:
        form = PackageForm(formdata=None, requirements=names)
        form.package.errors = [f"The package must be smaller than {upload_limit() // (1024 * 1024)} MB"]
        return _upload_page(form), 413
    if not form.validate_on_submit():
        return _upload_page(form), 400 if form.errors else 200
    try:
        staged = packages.stage(form.package.data.stream, storage_dir(), limits())
    except packages.PackageRejected as rejected:
        form.package.errors = [str(problem) for problem in rejected.problems]
        return _upload_page(form), 400
    try:
        package = services.add_package(staged, form.details(), actor=actor(), now=utcnow())
        db.session.commit()
    except DomainError as error:
        staged.discard()
        fail(error, form, "package")
        return _upload_page(form), 400
    except BaseException:
        db.session.rollback()
        staged.discard()
        raise
    staged.keep(storage_dir())
    version = package.version
    flash(f"Uploaded {version.course.title}: version {version.number} of {version.course.code}", "success")
    return redirect(url_for("elearning.scorm.upload"))


def _upload_page(form):
    return render_template("elearning/scorm/upload.html", form=form, packages=services.list_packages(),
                           limit_mb=upload_limit() // (1024 * 1024))


# --- the learner's player ---------------------------------------------------------------

@bp.get("/learning/<int:enrolment_id>/player")
@login_required
def player(enrolment_id: int):
    person = actor()
    enrolment = elearning.get_enrolment_for(person, enrolment_id)
    attempt = services.attempt_for(enrolment, now=utcnow())
    db.session.commit()
    package = attempt.package
    launch = packages.launch_file(package.launch)
    content = url_for("elearning.scorm.file", key=package.storage_key, path=launch) + package.launch[len(launch):]
    config = {
        "cmi": services.starting_cmi(attempt, person),
        "content": content,
        "save": url_for("elearning.scorm.save", enrolment_id=enrolment.id),
        "csrf": generate_csrf(),
        "completed": enrolment.status == "completed",
    }
    return render_template("elearning/scorm/player.html", enrolment=enrolment, attempt=attempt, config=config)


@bp.post("/learning/<int:enrolment_id>/player/cmi")
@login_required
def save(enrolment_id: int):
    """Save the runtime's data: JSON from our own player page, with the CSRF token in the
    X-CSRFToken header. A repeat or an older save is answered 200 with applied false."""
    request.max_content_length = SAVE_LIMIT
    body = request.get_json(silent=True)
    try:
        data = services.parse_save(body)
        result = services.save(actor(), enrolment_id, data, now=utcnow())
    except NotFound:
        db.session.rollback()
        abort(404)
    except DomainError as error:
        db.session.rollback()
        return jsonify({"error": "invalid", "message": error.message, "field": error.field}), 400
    db.session.commit()
    return jsonify({"applied": result.applied, "completed": result.completed, "lesson_status": result.lesson_status})


# --- the package files ------------------------------------------------------------------

_HEAD = re.compile(rb"<head(\s[^>]*)?>", re.IGNORECASE)
_HTML = re.compile(rb"<html(\s[^>]*)?>", re.IGNORECASE)


@bp.get("/scorm-files/<key>/<path:path>")
def file(key: str, path: str):
    """A package file. No session is needed or read: the files are the vendor's content,
    not the learner's, and the sandbox keeps them from anything of ours. The launch file
    gets the runtime's bridge (scorm-again's CrossFrameAPI) before its own scripts."""
    package = services.package_by_key(key)
    if package is None:
        abort(404)
    folder = services.storage_folder(storage_dir(), package)
    if path == packages.launch_file(package.launch) and path.lower().endswith((".html", ".htm")):
        target = safe_join(str(folder), path)
        if target is None or not Path(target).is_file():
            abort(404)
        html = Path(target).read_bytes()
        response = current_app.response_class(_with_bridge(html), mimetype="text/html")
    else:
        response = send_from_directory(folder, path, max_age=3600)
    response.headers["Content-Security-Policy"] = PACKAGE_POLICY
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers.setdefault("Cache-Control", "private, max-age=3600")
    return response


def _with_bridge(html: bytes) -> bytes:
    scripts = (
        f'<script src="{url_for("elearning.scorm.runtime", filename="cross-frame-api.min.js")}"></script>'
        f'<script src="{url_for("elearning.scorm.static", filename="frame.js")}"></script>'
    ).encode()
    for pattern in (_HEAD, _HTML):
        match = pattern.search(html)
        if match:
            return html[:match.end()] + scripts + html[match.end():]
    return scripts + html


@bp.get("/static/scorm-again/<path:filename>")
def runtime(filename: str):
    """scorm-again, installed by npm (package.json), never committed."""
    if filename not in {"scorm12.min.js", "cross-frame-api.min.js", "cross-frame-lms.min.js"}:
        abort(404)
    folder = Path(current_app.config["NODE_MODULES_DIR"]) / "scorm-again" / "dist"
    return send_from_directory(folder, filename, max_age=3600)
