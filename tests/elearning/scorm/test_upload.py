"""Uploading SCORM 1.2 packages: a good one becomes a course (then a new version of it);
hostile or broken ones are refused with the problem named, and nothing is written to disk
or the database."""
import io
import os

import pytest
from sqlalchemy import func, select

from lms.audit.models import AuditEvent
from lms.catalogue.models import Course, CourseVersion
from lms.elearning.scorm.models import ScormPackage
from lms.extensions import db
from tests import factories
from tests.elearning.scorm import builder
from tests.elearning.scorm.conftest import upload


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def files_under(folder) -> list:
    return sorted(p for p in folder.rglob("*")) if folder.exists() else []


def test_a_package_becomes_a_course_with_its_files_in_place(client, admin, scorm_dir):
    response = upload(client, builder.course_package(mastery=80), requirements=["staff-safeguarding"])
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).data.decode()
    assert "Uploaded Spotting the signs: version 1 of SIGNS" in page

    course = db.session.scalar(select(Course).where(Course.code == "SIGNS"))
    assert course.delivery_mode == "elearning" and str(course.cpd_hours) == "1.50"
    assert course.requirement_codes == ["staff-safeguarding"]
    package = db.session.scalar(select(ScormPackage))
    assert package.version.number == 1 and package.mastery_score == 80 and package.launch == "index.html"
    assert package.completion_statuses == ["completed", "passed"]
    folder = scorm_dir / package.storage_key
    assert (folder / "index.html").is_file() and (folder / "js" / "course.js").is_file()
    # Only the package's own folder: no temporary folder is left behind.
    assert [p.name for p in scorm_dir.iterdir()] == [package.storage_key]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "scorm.upload"))
    assert event.actor_id == admin.id and event.after["course"] == "SIGNS"


def test_the_same_package_again_changes_nothing_and_a_new_one_is_a_new_version(client, admin, scorm_dir):
    assert upload(client, builder.course_package()).status_code == 302
    again = upload(client, builder.course_package())
    assert again.status_code == 400
    assert "This package is the same as version 1 of SIGNS: nothing changed" in again.data.decode()
    assert count(CourseVersion) == 1 and len(list(scorm_dir.iterdir())) == 1

    assert upload(client, builder.course_package(note="second edition")).status_code == 302
    versions = db.session.scalars(select(CourseVersion).order_by(CourseVersion.number)).all()
    assert [v.number for v in versions] == [1, 2]
    assert len(list(scorm_dir.iterdir())) == 2


def test_a_course_made_from_files_cannot_take_a_package(client, admin, scorm_dir, courses):
    response = upload(client, builder.course_package(), code="SGE")
    assert response.status_code == 400
    assert "SGE is made from the course files in courses/" in response.data.decode()
    assert count(ScormPackage) == 0 and files_under(scorm_dir) == []


HOSTILE = [
    (builder.traversal_package, "../../outside.html: has &#39;..&#39; in its path"),
    (builder.absolute_package, "/tmp/absolute.html: is an absolute path"),
    (builder.symlink_package, "secrets.txt: is a symbolic link"),
    (builder.entity_package, "imsmanifest.xml, line 3: declares an XML entity"),
    (builder.bomb_package, "media/video.bin: unpacks to"),
    (builder.no_manifest_package, "imsmanifest.xml: is missing"),
    (builder.missing_launch_package, "start.html: is the SCO&#39;s launch file in imsmanifest.xml, but it is not in the package"),
    (builder.broken_manifest_package, "imsmanifest.xml, line 16: is not well-formed XML (mismatched tag, column 5)"),
]


@pytest.mark.parametrize(("make", "message"), HOSTILE, ids=[make.__name__ for make, _ in HOSTILE])
def test_hostile_and_broken_packages_are_refused_and_nothing_is_kept(client, admin, scorm_dir, make, message):
    courses_before = count(Course)
    response = upload(client, make())
    assert response.status_code == 400
    page = response.data.decode()
    assert message in page, page[page.find("govuk-error-summary"):][:1500]
    assert "There is a problem" in page
    assert count(Course) == courses_before and count(CourseVersion) == 0 and count(ScormPackage) == 0
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "scorm.upload")) == 0
    assert files_under(scorm_dir) == []
    assert not (scorm_dir.parent / "outside.html").exists() and not (scorm_dir.parent.parent / "outside.html").exists()


def test_too_many_files_and_too_much_unpacked_are_refused(client, admin, scorm_dir, app, monkeypatch):
    monkeypatch.setitem(app.config, "SCORM_MAX_FILES", 3)
    files = {"imsmanifest.xml": builder.manifest(), "index.html": "x", "a.js": "a", "b.js": "b"}
    response = upload(client, builder.zip_of(files))
    assert response.status_code == 400 and "has 4 files; the most a package may have is 3" in response.data.decode()
    monkeypatch.setitem(app.config, "SCORM_MAX_FILES", 2000)
    monkeypatch.setitem(app.config, "SCORM_MAX_UNPACKED_BYTES", 1000)
    response = upload(client, builder.zip_of({**files, "big.txt": "word " * 400}))
    assert response.status_code == 400 and "the most allowed is 1,000" in response.data.decode()
    assert files_under(scorm_dir) == [] and count(ScormPackage) == 0


def test_an_upload_over_the_limit_is_answered_413_before_it_is_read(client, admin, scorm_dir, app, monkeypatch):
    monkeypatch.setitem(app.config, "SCORM_MAX_UPLOAD_BYTES", 1024)
    big = builder.zip_of({"imsmanifest.xml": builder.manifest(), "index.html": "x", "media.bin": os.urandom(400 * 1024)})
    response = upload(client, big)
    assert response.status_code == 413
    assert "The package must be smaller than" in response.data.decode()
    assert files_under(scorm_dir) == [] and count(ScormPackage) == 0


def test_not_a_zip_and_missing_details(client, admin, scorm_dir):
    response = upload(client, b"this is not a zip")
    assert response.status_code == 400 and "the upload: is not a zip file" in response.data.decode()
    response = upload(client, builder.course_package(), code="not a code")
    assert response.status_code == 400 and "Enter a course code of capital letters" in response.data.decode()
    response = client.post("/admin/e-learning/packages", data={"code": "X"}, content_type="multipart/form-data")
    assert response.status_code == 400 and "Select the package&#39;s zip file" in response.data.decode()
    assert files_under(scorm_dir) == [] and count(ScormPackage) == 0


def test_only_admins_upload(client, scorm_dir):
    person = factories.user("lead@example.org")
    db.session.commit()
    factories.sign_in(client, person)
    assert client.get("/admin/e-learning/packages").status_code == 403
    response = client.post("/admin/e-learning/packages", data={"package": (io.BytesIO(builder.course_package()), "p.zip"),
                                                               "code": "SIGNS"}, content_type="multipart/form-data")
    assert response.status_code == 403 and files_under(scorm_dir) == []


def test_the_upload_needs_the_csrf_token(csrf_app, admin, scorm_dir):
    client = csrf_app.test_client()
    factories.sign_in_directly(client, admin)
    response = upload(client, builder.course_package())
    assert response.status_code == 400 and count(ScormPackage) == 0 and files_under(scorm_dir) == []
