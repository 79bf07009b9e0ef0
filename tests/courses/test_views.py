"""A course's public page (lms.courses)."""
from lms.extensions import db
from tests import factories
from tests.catalogue.test_views import course


def test_elearning_without_content_cannot_be_started(client):
    course("UPDATE", "Annual update", mode="elearning")
    person = factories.user()
    db.session.commit()
    factories.sign_in(client, person)
    page = client.get("/courses/UPDATE").data.decode()
    assert "not available online yet" in page and "Start this course" not in page
    response = client.post("/courses/UPDATE/start")
    assert response.status_code == 302
    assert "has no content yet" in client.get(response.headers["Location"]).data.decode()
