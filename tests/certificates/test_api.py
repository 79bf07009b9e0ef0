"""GET /api/v1/certificates/{code} and GET /api/v1/me/certificates."""
from __future__ import annotations

from datetime import date

from lms.certificates import services
from lms.extensions import db
from lms.records import services as records
from tests import factories
from tests.api.conftest import assert_matches, bearer, make_token, response_schema, spec  # noqa: F401
from tests.conftest import NOW


def _certificate(person, course, *, ref="enrolment:1", on=date(2026, 11, 23)):
    completion, _ = records.record_completion(
        person, title=course.title, delivery_mode="elearning", on=on, hours=course.cpd_hours,
        source="elearning", source_ref=ref, course=course, now=NOW,
    )
    certificate = services.live_certificate(completion.id)
    db.session.commit()
    return certificate


def test_anyone_with_a_token_checks_a_code_as_printed_or_typed(client, spec, make_course, organisation):
    holder = factories.user(full_name="Ana Okafor", organisation=organisation)
    certificate = _certificate(holder, make_course("SGE", mode="elearning", title="Safeguarding Everyone"))
    stranger = factories.user("someone@elsewhere.example")
    token = make_token(stranger)

    for typed in (certificate.display_code, certificate.code.lower()):
        response = client.get(f"/api/v1/certificates/{typed}", headers=bearer(token))
        assert response.status_code == 200
        assert_matches(spec, response_schema(spec, "/certificates/{code}"), response.json)
    body = response.json
    assert body["status"] == "valid" and body["code"] == certificate.display_code
    assert (body["holder_name"], body["course_title"]) == ("Ana Okafor", "Safeguarding Everyone")
    assert "email" not in str(body) and holder.email not in str(body)
    assert body["verify_url"].endswith(f"/verify/{certificate.display_code}")


def test_a_revoked_certificate_still_answers_and_an_unknown_code_is_a_404(client, spec, make_course, organisation, admin):
    holder = factories.user(organisation=organisation)
    certificate = _certificate(holder, make_course(mode="elearning"))
    services.revoke(certificate, reason="Issued in error", actor=admin, now=NOW)
    db.session.commit()
    token = make_token(holder)
    body = client.get(f"/api/v1/certificates/{certificate.code}", headers=bearer(token)).json
    assert body["status"] == "revoked" and body["revoked_on"] == "2026-11-23"
    assert "Issued in error" not in str(body)

    for code in ("0000-0000-0000-0000", "not-a-code"):
        missing = client.get(f"/api/v1/certificates/{code}", headers=bearer(token))
        assert missing.status_code == 404
        assert missing.json["message"] == "No certificate has this code"


def test_checking_a_code_needs_a_token(client, make_course, organisation):
    certificate = _certificate(factories.user(organisation=organisation), make_course(mode="elearning"))
    assert client.get(f"/api/v1/certificates/{certificate.code}").status_code == 401


def test_my_certificates_lists_only_mine(client, spec, make_course, organisation):
    me = factories.user(organisation=organisation)
    other = factories.user(organisation=organisation)
    course = make_course("SGE", mode="elearning")
    mine = _certificate(me, course, ref="enrolment:1")
    _certificate(other, course, ref="enrolment:2")
    response = client.get("/api/v1/me/certificates", headers=bearer(make_token(me)))
    assert response.status_code == 200
    assert_matches(spec, response_schema(spec, "/me/certificates"), response.json)
    assert [item["code"] for item in response.json["items"]] == [mine.display_code]
    assert response.json["items"][0]["course"] == "SGE"
    assert response.json["items"][0]["pdf_url"].endswith(f"/certificates/{mine.code}/pdf")
