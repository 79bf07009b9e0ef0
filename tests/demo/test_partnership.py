"""The demo sets Hartmoor's own details once, and never over an admin's."""
from __future__ import annotations

from lms.demo.partnership import DETAILS, add_demo_partnership_details
from lms.extensions import db
from lms.partnership import services as partnership
from tests import factories
from tests.conftest import NOW


def test_the_demo_names_its_partnership_in_the_header(app, client):
    assert add_demo_partnership_details(NOW) is True
    db.session.commit()
    assert partnership.details().name == DETAILS["name"]
    assert DETAILS["name"] in client.get("/privacy").get_data(as_text=True)


def test_an_admins_own_details_are_kept(app):
    admin = factories.user("admin@example.org", admin=True, roles=())
    partnership.update({"name": "Calder Valley Safeguarding Partnership", "service_name": "Calder Training",
                        "contact_email": "training@calder.example"}, actor=admin, now=NOW)
    db.session.commit()
    assert add_demo_partnership_details(NOW) is False
    assert partnership.details().name == "Calder Valley Safeguarding Partnership"
