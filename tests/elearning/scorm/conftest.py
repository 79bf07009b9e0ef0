import io

import pytest

from tests import factories


@pytest.fixture()
def scorm_dir(app, tmp_path, monkeypatch):
    """Package files go to a folder of this test's own."""
    folder = tmp_path / "scorm"
    monkeypatch.setitem(app.config, "SCORM_STORAGE_DIR", str(folder))
    return folder


@pytest.fixture()
def admin(client):
    person = factories.user("admin@example.org", full_name="Ada Admin", admin=True)
    from lms.extensions import db

    db.session.commit()
    factories.sign_in(client, person)
    return person


def upload(client, data: bytes, *, code: str = "SIGNS", title: str = "Spotting the signs", hours: str = "1.5",
           statuses=("passed", "completed"), requirements=(), filename: str = "package.zip"):
    return client.post("/admin/e-learning/packages", data={
        "package": (io.BytesIO(data), filename),
        "code": code, "title": title, "summary": "Noticing and passing on a worry about a child.",
        "cpd_hours": hours, "completion_statuses": list(statuses), "requirement_codes": list(requirements),
    }, content_type="multipart/form-data")
