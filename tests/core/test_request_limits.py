"""What a request may carry: bodies over the page's limit are refused with a 413 before any
byte of them is read (the CSRF check included), and ids beyond the database's integer range
are a 404 on every route, web and API, never a 500."""
from __future__ import annotations

import io
import re

import pytest

from lms.extensions import db
from tests import factories
from tests.api.conftest import bearer, make_token


class CountingBody(io.RawIOBase):
    """A request body of `size` bytes that records how much of it was read."""

    def __init__(self, size: int, fill: bytes = b" "):
        self.size, self.fill, self.position, self.read_bytes = size, fill, 0, 0

    def readable(self):
        return True

    def seekable(self):
        return True

    def tell(self):
        return self.position

    def seek(self, offset, whence=0):
        self.position = {0: offset, 1: self.position + offset, 2: self.size + offset}[whence]
        return self.position

    def readinto(self, buffer):
        count = max(0, min(len(buffer), self.size - self.position))
        buffer[:count] = self.fill * count
        self.position += count
        self.read_bytes += count
        return count


HUNDRED_MB = 100 * 1024 * 1024


def test_a_100_mb_json_body_is_refused_unread(client):
    person = factories.user("ann@example.org")
    db.session.commit()
    body = CountingBody(HUNDRED_MB)
    response = client.post("/api/v1/me/enrolments", input_stream=body,
                           content_type="application/json", headers=bearer(make_token(person)))
    assert response.status_code == 413
    assert response.get_json()["error"] == "request-entity-too-large"
    assert body.read_bytes == 0


def test_the_evidence_upload_says_413_before_the_csrf_check_reads_the_body(client, csrf_app):
    person = factories.user("ann@example.org")
    db.session.commit()
    factories.sign_in_directly(client, person)
    size = 6 * 1024 * 1024  # the page takes a file of up to 5 MB
    body = CountingBody(size)
    response = client.post("/learning/external/new", input_stream=body,
                           content_type="multipart/form-data; boundary=xyz")
    assert response.status_code == 413
    assert "The selected file must be smaller than 5 MB" in response.get_data(as_text=True)
    assert body.read_bytes == 0


def test_an_ordinary_form_takes_no_more_than_max_content_length(client, app):
    size = app.config["MAX_CONTENT_LENGTH"] + 1
    body = CountingBody(size)
    response = client.post("/sign-in", input_stream=body,
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413 and body.read_bytes == 0
    assert "There is a problem" in response.get_data(as_text=True)


def _rules_with_ids(app):
    for rule in app.url_map.iter_rules():
        if any(type(converter).__name__ == "DatabaseIntConverter" for converter in rule._converters.values()):
            yield rule


@pytest.mark.parametrize("number", [2**31, 2**63, 10**30])
def test_every_route_with_an_id_beyond_the_database_range_is_404(app, client, number):
    admin = factories.user("admin@example.org", admin=True)
    db.session.commit()
    factories.sign_in_directly(client, admin)
    token = make_token(admin)
    rules = list(_rules_with_ids(app))
    assert len(rules) > 50
    for rule in rules:
        path = re.sub(r"<int:[^>]+>", str(number), rule.rule)
        path = re.sub(r"<[^>]+>", "x", path)
        method = "GET" if "GET" in rule.methods else sorted(rule.methods - {"HEAD", "OPTIONS"})[0]
        headers = bearer(token) if path.startswith("/api/") else {}
        response = client.open(path, method=method, headers=headers)
        assert response.status_code == 404, (rule.rule, response.status_code)


@pytest.mark.parametrize("number", [2**31, 2**63, 10**30])
def test_an_overflowing_id_in_a_form_or_a_json_body_is_not_a_server_error(client, number):
    factories.organisation()
    teacher = factories.job_role("teacher")
    person = factories.user("ann@example.org")
    db.session.commit()
    registered = client.post("/register", data={
        "full_name": "Priya Shah", "email": "priya@example.org", "password": "lantern meadow copper violin",
        "organisation": str(number), "job_role_1": str(teacher.id), "job_role_1_started": ["1", "9", "2021"]})
    assert registered.status_code in (200, 404)
    booked = client.post("/api/v1/sessions/1/bookings", json={"person_id": number},
                         headers=bearer(make_token(person)))
    assert booked.status_code in (400, 404), booked.get_json()
