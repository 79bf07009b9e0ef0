"""Certificates carry the partnership's logo and signatory: the signatory frozen at issue,
the logo drawn into the PDF (nothing fetched)."""
from __future__ import annotations

import io

from pypdf import PdfReader

from lms.certificates import services
from lms.extensions import db
from lms.partnership import services as partnership
from tests import factories
from tests.certificates.test_services import _certificates, _elearning
from tests.conftest import NOW
from tests.pages.partnership.conftest import _environment_details_after  # noqa: F401  (autouse)
from tests.pages.partnership.test_partnership import png

DETAILS = {"name": "Fenwick Safeguarding Children Partnership", "service_name": "Fenwick Training",
           "contact_email": "training@fenwick.example.org", "signatory_name": "Sam Carter",
           "signatory_role": "Partnership Business Manager"}


def test_a_certificate_carries_the_logo_and_the_signatory_at_issue(make_course, organisation):
    admin = factories.user("admin@example.org", admin=True)
    db.session.commit()
    partnership.update(DETAILS, actor=admin, now=NOW, logo=png())
    person = factories.user("ana@example.org", full_name="Ana Okafor", organisation=organisation)
    course = make_course("SGE", mode="elearning", hours="1.5", title="Safeguarding Everyone")
    _elearning(person, course)
    db.session.commit()
    [certificate] = _certificates(user_id=person.id)
    assert certificate.provider == DETAILS["name"]
    assert certificate.signatory == "Sam Carter, Partnership Business Manager"

    reader = PdfReader(io.BytesIO(services.pdf_bytes(certificate, now=NOW)))
    text = "".join(page.extract_text() for page in reader.pages)
    assert "Sam Carter, Partnership Business Manager" in text and DETAILS["name"] in text
    assert len(reader.pages[0].images) == 2  # the logo and the QR code

    # A new signatory signs the certificates issued from now on; this one keeps its own.
    partnership.update({**DETAILS, "signatory_name": "Alex Moore"}, actor=admin, now=NOW)
    db.session.commit()
    db.session.expire_all()
    assert _certificates(user_id=person.id)[0].signatory == "Sam Carter, Partnership Business Manager"


def test_without_a_logo_or_signatory_the_certificate_has_neither(make_course, organisation):
    person = factories.user("ana@example.org", organisation=organisation)
    course = make_course("SGE", mode="elearning", hours="1.5", title="Safeguarding Everyone")
    _elearning(person, course)
    db.session.commit()
    [certificate] = _certificates(user_id=person.id)
    assert certificate.signatory is None
    reader = PdfReader(io.BytesIO(services.pdf_bytes(certificate, now=NOW)))
    assert len(reader.pages[0].images) == 1
    assert "Signed for the partnership" not in reader.pages[0].extract_text()
