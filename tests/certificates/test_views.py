"""The certificate pages: a person's list, one certificate, its PDF, reissue and revoke,
the public check and the admins' search; who may see each."""
from __future__ import annotations

import io
from datetime import date

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from lms.certificates import services
from lms.certificates.models import Certificate
from lms.courses.sessions import services as sessions
from lms.extensions import db
from lms.records import services as records
from tests import factories
from tests.certificates.conftest import AFTER_SESSION
from tests.conftest import NOW, csrf_token_from


@pytest.fixture()
def holder(organisation):
    return factories.user("ana@example.org", full_name="Ana Okafor", organisation=organisation)


@pytest.fixture()
def certificate(holder, make_course):
    course = make_course("SGE", mode="elearning", title="Safeguarding Everyone", hours="1.5")
    completion, _ = records.record_completion(
        holder, title=course.title, delivery_mode="elearning", on=date(2026, 11, 23), hours=course.cpd_hours,
        source="elearning", source_ref="enrolment:1", course=course, now=NOW,
    )
    certificate = services.live_certificate(completion.id)
    db.session.commit()
    return certificate


def _as(app, person):
    return factories.signed_in_client(app, person)


# --- a person's certificates and one certificate -----------------------------------------------------

def test_the_holder_sees_their_certificates_and_downloads_the_pdf(app, holder, certificate):
    client = _as(app, holder)
    page = client.get("/certificates")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Your certificates" in html and "Safeguarding Everyone" in html and "Valid" in html
    assert f"/certificates/{certificate.code}/pdf" in html

    shown = client.get(f"/certificates/{certificate.code}").get_data(as_text=True)
    assert certificate.display_code in shown and "1.5 hours" in shown
    assert f"/verify/{certificate.display_code}" in shown
    assert "Reissue this certificate" not in shown  # admins only

    pdf = client.get(f"/certificates/{certificate.code}/pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert certificate.code in pdf.headers["Content-Disposition"]
    assert pdf.headers["Cache-Control"] == "private, no-store"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    for words in ("Ana Okafor", "Safeguarding Everyone", certificate.display_code, "1.5 hours", "23 November 2026",
                  f"/verify/{certificate.display_code}", app.config["PARTNERSHIP_NAME"]):
        assert words in text


def test_the_pdf_carries_the_qr_code_as_an_image(app, holder, certificate):
    pdf = _as(app, holder).get(f"/certificates/{certificate.code}/pdf")
    page = PdfReader(io.BytesIO(pdf.data)).pages[0]
    assert len(page.images) == 1


def test_a_lead_sees_their_staff_s_certificates(app, holder, certificate, lead):
    client = _as(app, lead)
    listing = client.get(f"/people/{holder.id}/certificates")
    assert listing.status_code == 200 and "Certificates: Ana Okafor" in listing.get_data(as_text=True)
    assert client.get(f"/certificates/{certificate.code}").status_code == 200
    assert client.get(f"/certificates/{certificate.code}/pdf").status_code == 200


@pytest.mark.parametrize("who", ["colleague", "outsider", "trainer", "other_lead"])
def test_nobody_else_sees_a_certificate_or_a_person_s_list(app, holder, certificate, colleague, outsider, trainer, who):
    people = {"colleague": colleague, "outsider": outsider, "trainer": trainer,
              "other_lead": factories.user(leads=(outsider.organisation,))}
    db.session.commit()
    client = _as(app, people[who])
    for path in (f"/certificates/{certificate.code}", f"/certificates/{certificate.code}/pdf", f"/people/{holder.id}/certificates"):
        assert client.get(path).status_code == 404, path


def test_signed_out_people_are_sent_to_sign_in(client, certificate, holder):
    for path in ("/certificates", f"/certificates/{certificate.code}", f"/certificates/{certificate.code}/pdf",
                 f"/people/{holder.id}/certificates", "/admin/certificates"):
        response = client.get(path)
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"], path


def test_my_learning_links_to_the_certificates(app, holder, certificate):
    html = _as(app, holder).get("/learning").get_data(as_text=True)
    assert 'href="/certificates"' in html


# --- reissue and revoke ----------------------------------------------------------------------------------

def test_an_admin_reissues_with_a_reason(app, holder, certificate, admin):
    holder.full_name = "Ana Okafor-Reid"
    db.session.commit()
    client = _as(app, admin)
    assert "Reissue this certificate" in client.get(f"/certificates/{certificate.code}").get_data(as_text=True)
    empty = client.post(f"/certificates/{certificate.code}/reissue", data={"reason": ""})
    assert empty.status_code == 400 and "Enter the reason" in empty.get_data(as_text=True)
    assert db.session.scalar(select(Certificate).where(Certificate.revoked_at.is_not(None))) is None

    done = client.post(f"/certificates/{certificate.code}/reissue", data={"reason": "Married name"})
    assert done.status_code == 302
    db.session.expire_all()
    new = db.session.scalar(select(Certificate).where(Certificate.revoked_at.is_(None)))
    assert done.headers["Location"].endswith(f"/certificates/{new.code}")
    assert new.holder_name == "Ana Okafor-Reid" and new.reissue_reason == "Married name"
    old_page = client.get(f"/certificates/{certificate.code}").get_data(as_text=True)
    assert "revoked on" in old_page and new.display_code in old_page


def test_an_admin_revokes_with_a_reason_and_the_check_page_says_so(app, client, holder, certificate, admin):
    admin_client = _as(app, admin)
    assert admin_client.post(f"/certificates/{certificate.code}/revoke", data={"reason": "Issued in error"}).status_code == 302
    result = client.get(f"/verify/{certificate.display_code}")
    html = result.get_data(as_text=True)
    assert result.status_code == 200 and "Revoked certificate" in html and "Issued in error" not in html
    # The holder can no longer download it.
    assert "Download PDF" not in _as(app, holder).get(f"/certificates/{certificate.code}").get_data(as_text=True)


@pytest.mark.parametrize("who", ["holder", "lead", "trainer"])
def test_only_admins_reach_reissue_and_revoke(app, holder, certificate, lead, trainer, who):
    client = _as(app, {"holder": holder, "lead": lead, "trainer": trainer}[who])
    for action in ("reissue", "revoke"):
        assert client.get(f"/certificates/{certificate.code}/{action}").status_code == 403
        assert client.post(f"/certificates/{certificate.code}/{action}", data={"reason": "x"}).status_code == 403
    db.session.expire_all()
    assert db.session.get(Certificate, certificate.id).revoked_at is None


def test_reissue_revoke_and_issue_need_the_csrf_token(csrf_app, holder, certificate, admin, training_session, trainer):
    client = factories.signed_in_client(csrf_app, admin)
    for action in ("reissue", "revoke"):
        assert client.post(f"/certificates/{certificate.code}/{action}", data={"reason": "Because"}).status_code == 400
    page = client.get(f"/certificates/{certificate.code}/revoke").get_data(as_text=True)
    ok = client.post(f"/certificates/{certificate.code}/revoke", data={"reason": "Because", "csrf_token": csrf_token_from(page)})
    assert ok.status_code == 302
    trainer_client = factories.signed_in_client(csrf_app, trainer)
    assert trainer_client.post(f"/manage/sessions/{training_session.id}/certificates").status_code == 400


# --- the public check -------------------------------------------------------------------------------------

def test_anyone_checks_a_code_without_signing_in(client, certificate, holder):
    form = client.get("/verify")
    assert form.status_code == 200 and "Certificate code" in form.get_data(as_text=True)
    typed = client.get("/verify", query_string={"code": certificate.code.lower()})
    assert typed.status_code == 302 and typed.headers["Location"].endswith(f"/verify/{certificate.display_code}")

    result = client.get(f"/verify/{certificate.display_code}")
    html = result.get_data(as_text=True)
    assert result.status_code == 200 and result.headers["Cache-Control"] == "no-store"
    assert "Valid certificate" in html and "Ana Okafor" in html and "Safeguarding Everyone" in html
    # Nothing personal beyond name and course.
    assert holder.email not in html and holder.organisation.name not in html


def test_an_expired_certificate_says_so(client, certificate):
    certificate.refresh_due_on = date(2026, 1, 31)
    db.session.commit()
    html = client.get(f"/verify/{certificate.code}").get_data(as_text=True)
    assert "now expired" in html and "31 January 2026" in html


@pytest.mark.parametrize("typed, message", [
    ("", "Enter the certificate code"),
    ("ABC", "16 letters and numbers"),
])
def test_a_code_that_cannot_be_one_is_explained(client, typed, message):
    response = client.get("/verify", query_string={"code": typed})
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert "There is a problem" in response.get_data(as_text=True)


def test_an_unknown_code_is_a_404_page_that_says_what_to_check(client):
    response = client.get("/verify/0000-0000-0000-0000")
    assert response.status_code == 404 and "No certificate has this code" in response.get_data(as_text=True)


# --- a session's certificates ---------------------------------------------------------------------------


# --- admins find certificates ------------------------------------------------------------------------------

def test_admins_search_certificates_by_code_name_or_course(app, certificate, admin, holder):
    client = _as(app, admin)
    for query in (certificate.display_code, "okafor", "safeguarding ev"):
        html = client.get("/admin/certificates", query_string={"q": query}).get_data(as_text=True)
        assert certificate.display_code in html, query
    html = client.get("/admin/certificates", query_string={"q": "nobody"}).get_data(as_text=True)
    assert certificate.display_code not in html and "0 certificates" in html


def test_only_admins_search_certificates(app, holder, lead, trainer):
    for person in (holder, lead, trainer):
        assert _as(app, person).get("/admin/certificates").status_code == 403


def test_issued_session_certificate_appears_for_the_holder_after_the_register(app, training_session, trainer, attend, person):
    attend(person)
    sessions.issue_for_session(training_session, actor=trainer, now=AFTER_SESSION)
    db.session.commit()
    html = _as(app, person).get("/certificates").get_data(as_text=True)
    assert training_session.course.title in html
