"""External CPD pages: the person's own, the evidence download and the lead's
verification page, with their access rules and CSRF protection."""
from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from flask import g
from sqlalchemy import func, select

from lms.audit.models import AuditEvent
from lms.core.time import london_today, utcnow
from lms.extensions import db
from lms.notifications.models import OutboundEmail
from lms.records.external import services as external
from lms.records.models import Completion, ExternalActivity
from tests import factories
from tests.conftest import NOW, csrf_token_from

# The pages use the real clock.
_tomorrow = london_today(utcnow()) + timedelta(days=1)
TOMORROW = [str(_tomorrow.day), str(_tomorrow.month), str(_tomorrow.year)]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def form_data(**changes) -> dict:
    data = {
        "title": "DSL refresher", "provider": "County council",
        "completed_on": ["14", "10", "2026"], "cpd_hours": "3",
        "requirement_codes": ["dsl-annual-update"], "note": "Covered online safety",
    }
    data.update(changes)
    return data


@pytest.fixture()
def people():
    school = factories.organisation("Oak Primary")
    other = factories.organisation("Elm Primary")
    people = {
        "dsl": factories.user("dsl@example.org", full_name="Dee Dsl", organisation=school, roles=("school-dsl",)),
        "lead": factories.user("lead@example.org", full_name="Lee Lead", organisation=school, leads=(school,)),
        "colleague": factories.user("colleague@example.org", organisation=school),
        "other_lead": factories.user("other@example.org", organisation=other, leads=(other,)),
        "admin": factories.user("admin@example.org", full_name="Ada Admin", admin=True),
    }
    db.session.commit()
    return people


def client_for(app, person):
    return factories.signed_in_client(app, person)


def log(person, **changes) -> ExternalActivity:
    values = dict(title="DSL refresher", provider="County council", completed_on=date(2026, 10, 14), hours="3",
                  requirement_codes=["dsl-annual-update"])
    values.update(changes)
    evidence = values.pop("evidence", None)
    activity = external.log_external(person, external.ExternalValues(**values), evidence=evidence, now=NOW)
    db.session.commit()
    return activity


def count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


# --- logging ---------------------------------------------------------------------------------

def test_my_learning_links_to_external_cpd_and_shows_its_status(app, people):
    client = client_for(app, people["dsl"])
    verified = log(people["dsl"], title="Verified course")
    log(people["dsl"], title="Unchecked course")
    external.verify(verified, actor=people["lead"], now=NOW)
    db.session.commit()
    page = client.get("/learning").get_data(as_text=True)
    assert "Add external CPD" in page
    assert "Verified by Lee Lead on 23 November 2026" in page
    assert "Self-reported" in page


def test_logging_with_evidence(app, people, evidence_folder):
    client = client_for(app, people["dsl"])
    assert client.get("/learning/external/new").status_code == 200
    data = form_data(evidence=(io.BytesIO(PDF), "certificate.pdf"))
    response = client.post("/learning/external/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 302 and response.headers["Location"].endswith("/learning/external")
    activity = db.session.scalar(select(ExternalActivity))
    assert activity.completion.title == "DSL refresher" and activity.evidence_name == "certificate.pdf"
    assert (evidence_folder / activity.evidence_path).read_bytes() == PDF
    page = client.get("/learning/external").get_data(as_text=True)
    assert "DSL refresher" in page and "Self-reported" in page and "DSL annual knowledge update" in page


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"title": ""}, "title", "Enter the title of the training"),
    ({"title": "x" * 201}, "title", "The title must be 200 characters or fewer"),
    ({"provider": ""}, "provider", "Enter who provided the training"),
    ({"provider": "p" * 201}, "provider", "The provider must be 200 characters or fewer"),
    ({"completed_on": ["", "", ""]}, "completed_on", "Enter the date you completed the training"),
    ({"completed_on": ["31", "2", "2026"]}, "completed_on", "must be a real date"),
    ({"completed_on": ["", "2", "2026"]}, "completed_on", "must include a day"),
    ({"completed_on": TOMORROW}, "completed_on", "must be today or in the past"),
    ({"completed_on": ["31", "12", "1999"]}, "completed_on", "must be on or after 1 January 2000"),
    ({"cpd_hours": ""}, "cpd_hours", "Enter the CPD hours"),
    ({"cpd_hours": "two"}, "cpd_hours", "Enter the CPD hours as a number, like 1.5"),
    ({"cpd_hours": "1.1"}, "cpd_hours", "quarter hours"),
    ({"cpd_hours": "101"}, "cpd_hours", "between 0.25 and 100"),
    ({"requirement_codes": ["made-up"]}, "requirement_codes", "Select requirements from the list"),
    ({"note": "n" * 2001}, "note", "The note must be 2,000 characters or fewer"),
    ({"evidence": (io.BytesIO(b"MZ\x90\x00 not a pdf"), "certificate.pdf")}, "evidence", "must be a PDF, PNG or JPEG"),
    ({"evidence": (io.BytesIO(PDF), "certificate.html")}, "evidence", "must be a PDF, PNG or JPEG"),
])
def test_bad_input_is_shown_on_its_field_and_saves_nothing(app, people, evidence_folder, changes, field, message):
    client = client_for(app, people["dsl"])
    response = client.post("/learning/external/new", data=form_data(**changes), content_type="multipart/form-data")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "govuk-error-summary" in page and message in page
    assert f'href="#{field}' in page  # the summary links to the field
    assert page.startswith("<!DOCTYPE html>") or "Error: " in page
    assert count(Completion) == 0 and count(ExternalActivity) == 0
    assert not evidence_folder.exists() or not any(evidence_folder.iterdir())


def test_an_oversize_file_is_refused(app, people, evidence_folder):
    client = client_for(app, people["dsl"])
    big = PDF + b"0" * (external.MAX_EVIDENCE_BYTES + 10)
    response = client.post("/learning/external/new", data=form_data(evidence=(io.BytesIO(big), "big.pdf")),
                           content_type="multipart/form-data")
    assert response.status_code in (400, 413)
    assert "The selected file must be smaller than 5 MB" in response.get_data(as_text=True)
    much_bigger = PDF + b"0" * (external.MAX_EVIDENCE_BYTES + 512 * 1024)
    response = client.post("/learning/external/new", data=form_data(evidence=(io.BytesIO(much_bigger), "big.pdf")),
                           content_type="multipart/form-data")
    assert response.status_code == 413
    assert "The selected file must be smaller than 5 MB" in response.get_data(as_text=True)
    assert count(Completion) == 0
    assert not evidence_folder.exists() or not any(evidence_folder.iterdir())


def test_a_crash_before_the_commit_leaves_no_row_and_no_file(app, people, evidence_folder, monkeypatch):
    client = client_for(app, people["dsl"])

    def crash():
        raise RuntimeError("the database went away")

    monkeypatch.setattr(db.session, "commit", crash)
    response = client.post("/learning/external/new", data=form_data(evidence=(io.BytesIO(PDF), "c.pdf")),
                           content_type="multipart/form-data")
    assert response.status_code == 500
    monkeypatch.undo()
    db.session.remove()  # what the end of the request does
    assert count(Completion) == 0 and count(ExternalActivity) == 0
    assert list(evidence_folder.iterdir()) == []


# --- changing and deleting -------------------------------------------------------------------

def test_changing_and_deleting_my_own(app, people, evidence_folder):
    activity = log(people["dsl"], evidence=external.Evidence("a.pdf", PDF))
    stored = evidence_folder / activity.evidence_path
    client = client_for(app, people["dsl"])
    page = client.get(f"/learning/external/{activity.id}/edit").get_data(as_text=True)
    assert 'value="DSL refresher"' in page and 'value="County council"' in page
    response = client.post(f"/learning/external/{activity.id}/edit", data=form_data(title="DSL update", cpd_hours="2.5"),
                           content_type="multipart/form-data")
    assert response.status_code == 302
    db.session.expire_all()
    assert activity.completion.title == "DSL update" and stored.exists()

    assert client.get(f"/learning/external/{activity.id}/delete").status_code == 200
    assert client.post(f"/learning/external/{activity.id}/delete").status_code == 302
    assert count(Completion) == 0 and not stored.exists()


def test_someone_elses_entry_is_not_found(app, people):
    activity = log(people["dsl"])
    client = client_for(app, people["colleague"])
    assert client.get(f"/learning/external/{activity.id}/edit").status_code == 404
    assert client.post(f"/learning/external/{activity.id}/edit", data=form_data()).status_code == 404
    assert client.post(f"/learning/external/{activity.id}/delete").status_code == 404
    assert count(Completion) == 1


def test_a_verified_entry_cannot_be_changed(app, people):
    activity = log(people["dsl"])
    external.verify(activity, actor=people["lead"], now=NOW)
    db.session.commit()
    client = client_for(app, people["dsl"])
    response = client.post(f"/learning/external/{activity.id}/edit", data=form_data(title="Changed"))
    assert response.status_code == 302
    db.session.expire_all()
    assert activity.completion.title == "DSL refresher"


# --- the evidence ----------------------------------------------------------------------------

@pytest.mark.parametrize(("who", "status"), [
    ("dsl", 200), ("lead", 200), ("admin", 200), ("colleague", 404), ("other_lead", 404),
])
def test_who_may_download_the_evidence(app, people, who, status):
    activity = log(people["dsl"], evidence=external.Evidence("My certificate.pdf", PDF))
    response = client_for(app, people[who]).get(f"/learning/external/{activity.id}/evidence")
    assert response.status_code == status
    if status == 200:
        assert response.data == PDF
        assert response.headers["Content-Type"] == "application/pdf"
        assert response.headers["Content-Disposition"].startswith("attachment;")
        assert "My certificate.pdf" in response.headers["Content-Disposition"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "no-store" in response.headers["Cache-Control"]


def test_evidence_needs_signing_in(app, client, people):
    activity = log(people["dsl"], evidence=external.Evidence("a.pdf", PDF))
    assert client.get(f"/learning/external/{activity.id}/evidence").status_code == 302


# --- the lead's page -------------------------------------------------------------------------

def test_a_practitioner_cannot_open_the_leads_pages(app, people):
    activity = log(people["colleague"], requirement_codes=[])
    client = client_for(app, people["dsl"])
    assert client.get("/organisation/external-cpd").status_code == 403
    assert client.get(f"/organisation/external-cpd/{activity.id}").status_code == 403
    assert client.post(f"/organisation/external-cpd/{activity.id}/verify").status_code == 403
    assert client.post(f"/organisation/external-cpd/{activity.id}/cannot-verify", data={"reason": "x"}).status_code == 403
    db.session.expire_all()
    assert activity.verified_at is None and activity.rejected_at is None


def test_a_lead_of_another_organisation_gets_not_found(app, people):
    activity = log(people["dsl"])
    client = client_for(app, people["other_lead"])
    assert "DSL refresher" not in client.get("/organisation/external-cpd").get_data(as_text=True)
    assert client.get(f"/organisation/external-cpd/{activity.id}").status_code == 404
    assert client.post(f"/organisation/external-cpd/{activity.id}/verify").status_code == 404
    assert client.post(f"/organisation/external-cpd/{activity.id}/cannot-verify", data={"reason": "x"}).status_code == 404
    db.session.expire_all()
    assert activity.verified_at is None and activity.rejected_at is None


def test_a_lead_cannot_verify_their_own(app, people):
    own = log(people["lead"], requirement_codes=[])
    client = client_for(app, people["lead"])
    assert "DSL refresher" not in client.get("/organisation/external-cpd").get_data(as_text=True)
    assert client.get(f"/organisation/external-cpd/{own.id}").status_code == 403
    assert client.post(f"/organisation/external-cpd/{own.id}/verify").status_code == 403
    db.session.expire_all()
    assert own.verified_at is None


@pytest.mark.parametrize("who", ["lead", "admin"])
def test_a_lead_or_admin_verifies(app, people, who):
    activity = log(people["dsl"], evidence=external.Evidence("cert.pdf", PDF))
    client = client_for(app, people[who])
    listing = client.get("/organisation/external-cpd").get_data(as_text=True)
    assert "Dee Dsl" in listing and "DSL refresher" in listing
    page = client.get(f"/organisation/external-cpd/{activity.id}").get_data(as_text=True)
    assert f"/learning/external/{activity.id}/evidence" in page
    response = client.post(f"/organisation/external-cpd/{activity.id}/verify")
    assert response.status_code == 302
    db.session.expire_all()
    assert activity.verified_by_id == people[who].id
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "external_cpd.verify"))
    assert event.actor_id == people[who].id
    assert "Verified" in client.get("/organisation/external-cpd").get_data(as_text=True)


def test_cannot_verify_needs_a_reason_and_tells_the_person(app, people):
    activity = log(people["dsl"])
    client = client_for(app, people["lead"])
    response = client.post(f"/organisation/external-cpd/{activity.id}/cannot-verify", data={"reason": " "})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Enter why you cannot verify this training" in page and 'href="#reason"' in page
    response = client.post(f"/organisation/external-cpd/{activity.id}/cannot-verify",
                           data={"reason": "No certificate was attached"})
    assert response.status_code == 302
    db.session.expire_all()
    assert activity.rejection_reason == "No certificate was attached" and activity.completion.self_reported
    email = db.session.scalar(select(OutboundEmail).where(OutboundEmail.to_address == "dsl@example.org"))
    assert "No certificate was attached" in email.body_text and "http://localhost/learning/external" in email.body_text
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "external_cpd.cannot_verify")) is not None


def test_the_staff_page_links_to_verification(app, people):
    page = client_for(app, people["lead"]).get("/organisation/staff").get_data(as_text=True)
    assert "/organisation/external-cpd" in page


# --- CSRF ------------------------------------------------------------------------------------

def test_every_form_needs_its_csrf_token(csrf_app, people):
    activity = log(people["dsl"])
    other = log(people["dsl"], title="Second")
    person = factories.signed_in_client(csrf_app, people["dsl"])
    lead = factories.signed_in_client(csrf_app, people["lead"])
    for client, url, data in [
        (person, "/learning/external/new", form_data()),
        (person, f"/learning/external/{activity.id}/edit", form_data(title="Changed")),
        (person, f"/learning/external/{activity.id}/delete", {}),
        (lead, f"/organisation/external-cpd/{activity.id}/verify", {}),
        (lead, f"/organisation/external-cpd/{activity.id}/cannot-verify", {"reason": "No"}),
    ]:
        assert client.post(url, data=data).status_code == 400, url
    db.session.expire_all()
    assert count(Completion) == 2 and activity.completion.title == "DSL refresher"
    assert activity.verified_at is None and activity.rejected_at is None

    # With the token from the page, each works.
    token = csrf_token_from(person.get("/learning/external/new").get_data(as_text=True))
    assert person.post("/learning/external/new", data={**form_data(), "csrf_token": token}).status_code == 302
    token = csrf_token_from(person.get(f"/learning/external/{activity.id}/delete").get_data(as_text=True))
    assert person.post(f"/learning/external/{activity.id}/delete", data={"csrf_token": token}).status_code == 302
    # The test's application context (and so flask.g, where Flask-WTF keeps the token it
    # made for this request) is shared by both clients' requests: forget the person's.
    g.pop("csrf_token", None)
    token = csrf_token_from(lead.get(f"/organisation/external-cpd/{other.id}").get_data(as_text=True))
    response = lead.post(f"/organisation/external-cpd/{other.id}/verify", data={"csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)
