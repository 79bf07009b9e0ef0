"""External CPD services: logging, checking, evidence files, compliance, changing,
deleting and verifying."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from lms.audit.models import AuditEvent
from lms.compliance import services as compliance
from lms.core.errors import Conflict, DomainError, Forbidden, NotFound
from lms.extensions import db
from lms.notifications.models import OutboundEmail
from lms.records.external import services as external
from lms.records.models import Completion, ExternalActivity
from tests import factories
from tests.conftest import NOW

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def values(**changes) -> external.ExternalValues:
    base = dict(title="DSL refresher", provider="County council", completed_on=date(2026, 10, 14), hours="3",
                requirement_codes=["dsl-annual-update"], note="Covered online safety")
    base.update(changes)
    return external.ExternalValues(**base)


@pytest.fixture()
def school():
    return factories.organisation("Oak Primary")


@pytest.fixture()
def dsl(school):
    return factories.user("dsl@example.org", full_name="Dee Dsl", organisation=school, roles=("school-dsl",))


def test_logging_adds_a_self_reported_external_completion_with_its_details(dsl, evidence_folder):
    activity = external.log_external(dsl, values(), evidence=external.Evidence("C:\\certs\\my cert.pdf", PDF), now=NOW)
    db.session.commit()
    completion = activity.completion
    assert (completion.source, completion.delivery_mode, completion.self_reported) == ("external", "external", True)
    assert completion.course_id is None and completion.user_id == dsl.id
    assert (completion.title, completion.completed_on, completion.cpd_hours) == ("DSL refresher", date(2026, 10, 14), Decimal("3"))
    assert activity.provider == "County council" and activity.requirement_codes == ["dsl-annual-update"]
    assert activity.evidence_name == "my cert.pdf" and activity.evidence_content_type == "application/pdf"
    assert activity.evidence_size == len(PDF)
    # Stored under a random name, never the uploaded one.
    assert activity.evidence_path != "my cert.pdf" and activity.evidence_path.endswith(".pdf")
    assert (evidence_folder / activity.evidence_path).read_bytes() == PDF
    assert activity.verified_at is None


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"title": ""}, "title", "Enter the title of the training"),
    ({"title": "   "}, "title", "Enter the title of the training"),
    ({"title": "x" * 201}, "title", "The title must be 200 characters or fewer"),
    ({"provider": None}, "provider", "Enter who provided the training"),
    ({"provider": "p" * 201}, "provider", "The provider must be 200 characters or fewer"),
    ({"completed_on": None}, "completed_on", "Enter the date you completed the training"),
    ({"completed_on": date(2026, 11, 24)}, "completed_on", "The date you completed the training must be today or in the past"),
    ({"completed_on": date(1999, 12, 31)}, "completed_on", "The date you completed the training must be on or after 1 January 2000"),
    ({"hours": ""}, "cpd_hours", "Enter the CPD hours"),
    ({"hours": "three"}, "cpd_hours", "Enter the CPD hours as a number, like 1.5"),
    ({"hours": "NaN"}, "cpd_hours", "Enter the CPD hours as a number, like 1.5"),
    ({"hours": "1.3"}, "cpd_hours", "Enter the CPD hours in quarter hours, like 1.25, 1.5 or 1.75"),
    ({"hours": "0"}, "cpd_hours", "The CPD hours must be between 0.25 and 100"),
    ({"hours": "100.25"}, "cpd_hours", "The CPD hours must be between 0.25 and 100"),
    ({"requirement_codes": ["no-such-thing"]}, "requirement_codes", "Select requirements from the list"),
    ({"note": "n" * 2001}, "note", "The note must be 2,000 characters or fewer"),
])
def test_bad_values_name_the_field_and_save_nothing(dsl, changes, field, message):
    with pytest.raises(DomainError) as raised:
        external.log_external(dsl, values(**changes), now=NOW)
    assert (raised.value.field, raised.value.message) == (field, message)
    db.session.rollback()
    assert db.session.scalar(select(func.count(Completion.id))) == 0


def test_the_edges_of_the_rules_are_allowed(dsl):
    external.log_external(dsl, values(completed_on=date(2026, 11, 23), hours="0.25", title="t" * 200), now=NOW)
    external.log_external(dsl, values(completed_on=date(2000, 1, 1), hours=100, requirement_codes=[]), now=NOW)
    assert db.session.scalar(select(func.count(ExternalActivity.id))) == 2


@pytest.mark.parametrize(("name", "content", "message"), [
    ("certificate.pdf", b"<html>not a pdf</html>", "The selected file must be a PDF, PNG or JPEG"),
    ("certificate.pdf", PNG, "The selected file must be a PDF, PNG or JPEG"),  # a PNG named .pdf
    ("certificate.exe", PDF, "The selected file must be a PDF, PNG or JPEG"),
    ("certificate.pdf", b"", "The selected file is empty"),
    ("certificate.pdf", PDF + b"0" * external.MAX_EVIDENCE_BYTES, "The selected file must be smaller than 5 MB"),
])
def test_evidence_is_checked_by_its_content(dsl, evidence_folder, name, content, message):
    with pytest.raises(DomainError) as raised:
        external.log_external(dsl, values(), evidence=external.Evidence(name, content), now=NOW)
    assert (raised.value.field, raised.value.message) == ("evidence", message)
    db.session.rollback()
    assert not evidence_folder.exists() or not any(evidence_folder.iterdir())


def test_png_and_jpeg_are_taken(dsl):
    png = external.log_external(dsl, values(), evidence=external.Evidence("scan.PNG", PNG), now=NOW)
    jpeg = external.log_external(dsl, values(), evidence=external.Evidence("photo.jpeg", b"\xff\xd8\xff\xe0" + b"0" * 20), now=NOW)
    assert png.evidence_content_type == "image/png" and jpeg.evidence_content_type == "image/jpeg"
    assert jpeg.evidence_path.endswith(".jpg")


def test_a_transaction_that_does_not_commit_leaves_no_row_and_no_file(dsl, evidence_folder):
    external.log_external(dsl, values(), evidence=external.Evidence("c.pdf", PDF), now=NOW)
    assert len(list(evidence_folder.iterdir())) == 1
    db.session.rollback()  # a crash before the commit
    assert db.session.scalar(select(func.count(ExternalActivity.id))) == 0
    assert list(evidence_folder.iterdir()) == []


def test_an_external_entry_counts_towards_the_requirements_it_names(dsl):
    def status():
        db.session.flush()
        return {row.requirement.code: row.result.status for row in compliance.person_compliance(dsl, as_of=date(2026, 11, 23))}

    assert status()["dsl-annual-update"] == "overdue"
    external.log_external(dsl, values(requirement_codes=[]), now=NOW)
    assert status()["dsl-annual-update"] == "overdue"  # counts towards nothing
    activity = external.log_external(dsl, values(), now=NOW)
    assert status()["dsl-annual-update"] == "current"
    # The status table the lead's pages read was recomputed through the signal.
    stored = compliance.facts_for([dsl.id])[dsl.id]
    assert sum("dsl-annual-update" in fact.requirement_codes for fact in stored) == 1
    # Changed to count towards nothing, it no longer counts.
    external.update_external(activity, values(requirement_codes=[]), actor=dsl, now=NOW)
    assert status()["dsl-annual-update"] == "overdue"


def test_facts_are_read_in_one_query(dsl, count_queries):
    external.log_external(dsl, values(), now=NOW)
    person_id = dsl.id
    db.session.commit()
    with count_queries() as statements:
        facts = compliance.facts_for([person_id])
    assert len(statements) == 1 and len(facts[person_id]) == 1


def test_the_person_changes_it_until_it_is_verified(dsl, school, evidence_folder):
    lead = factories.user("lead@example.org", organisation=school, leads=(school,))
    activity = external.log_external(dsl, values(), evidence=external.Evidence("a.pdf", PDF), now=NOW)
    db.session.commit()
    old_file = evidence_folder / activity.evidence_path
    external.cannot_verify(activity, actor=lead, reason="No certificate attached", now=NOW)
    db.session.commit()

    external.update_external(activity, values(title="DSL update", hours="2.5"), actor=dsl, now=NOW + timedelta(hours=1),
                             evidence=external.Evidence("b.png", PNG))
    assert old_file.exists()  # until the change commits
    db.session.commit()
    assert not old_file.exists()
    assert (evidence_folder / activity.evidence_path).read_bytes() == PNG
    assert (activity.completion.title, activity.completion.cpd_hours) == ("DSL update", Decimal("2.5"))
    assert activity.rejected_at is None and activity.rejection_reason is None  # back for checking

    with pytest.raises(NotFound):
        external.update_external(activity, values(), actor=lead, now=NOW)
    external.verify(activity, actor=lead, now=NOW + timedelta(hours=2))
    db.session.commit()
    with pytest.raises(Conflict):
        external.update_external(activity, values(), actor=dsl, now=NOW)


def test_deleting_removes_the_completion_and_then_the_file(dsl, evidence_folder):
    activity = external.log_external(dsl, values(), evidence=external.Evidence("a.pdf", PDF), now=NOW)
    db.session.commit()
    stored = evidence_folder / activity.evidence_path
    external.delete_external(activity, actor=dsl, now=NOW)
    db.session.rollback()  # changed their mind mid-way: the file stays
    assert stored.exists()
    activity = db.session.get(ExternalActivity, activity.id)
    external.delete_external(activity, actor=dsl, now=NOW)
    db.session.commit()
    assert not stored.exists()
    assert db.session.scalar(select(func.count(Completion.id))) == 0
    assert db.session.scalar(select(func.count(ExternalActivity.id))) == 0


def test_who_may_verify(dsl, school):
    lead = factories.user("lead@example.org", full_name="Lee Lead", organisation=school, leads=(school,))
    other_school = factories.organisation("Elm Primary")
    other_lead = factories.user("other@example.org", organisation=other_school, leads=(other_school,))
    colleague = factories.user("colleague@example.org", organisation=school)
    admin = factories.user("admin@example.org", admin=True)
    activity = external.log_external(dsl, values(), now=NOW)
    own = external.log_external(lead, values(requirement_codes=[]), now=NOW)
    db.session.commit()

    for outsider in (other_lead, colleague):
        with pytest.raises(NotFound):
            external.verify(activity, actor=outsider, now=NOW)
    with pytest.raises(Forbidden):
        external.verify(own, actor=lead, now=NOW)
    assert [a.id for a in external.list_awaiting(lead)[0]] == [activity.id]  # not their own
    assert external.list_awaiting(other_lead) == ([], 0)
    assert {a.id for a in external.list_awaiting(admin)[0]} == {activity.id, own.id}

    external.verify(activity, actor=lead, now=NOW)
    external.verify(own, actor=admin, now=NOW)
    db.session.commit()
    assert activity.verified_by_id == lead.id and activity.verified_at == NOW
    with pytest.raises(Conflict):
        external.verify(activity, actor=admin, now=NOW)
    assert external.list_awaiting(lead) == ([], 0)
    assert [a.id for a in external.list_recently_checked(lead, now=NOW)] == [activity.id]
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "external_cpd.verify")).all()
    assert {event.actor_id for event in events} == {lead.id, admin.id}
    assert all(event.target_type == "external_activity" for event in events)


def test_cannot_verify_needs_a_reason_and_emails_the_person(dsl, school):
    lead = factories.user("lead@example.org", full_name="Lee Lead", organisation=school, leads=(school,))
    activity = external.log_external(dsl, values(), now=NOW)
    db.session.commit()
    with pytest.raises(DomainError) as raised:
        external.cannot_verify(activity, actor=lead, reason="  ", now=NOW)
    assert raised.value.field == "reason"
    external.cannot_verify(activity, actor=lead, reason="The course dates do not match", now=NOW)
    db.session.commit()
    assert activity.completion.self_reported and activity.verified_at is None
    email = db.session.scalar(select(OutboundEmail).where(OutboundEmail.to_address == "dsl@example.org"))
    assert "The course dates do not match" in email.body_text and "Lee Lead" in email.body_text
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "external_cpd.cannot_verify")).actor_id == lead.id
    assert external.list_awaiting(lead) == ([], 0)
    assert [a.id for a in external.list_recently_checked(lead, now=NOW)] == [activity.id]
