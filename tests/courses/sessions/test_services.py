"""Issuing a session's certificates (and asking for the evaluations they wait for), its
ZIP of PDFs, and who may do either."""
from __future__ import annotations

import io
import zipfile
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from lms.audit.models import AuditEvent
from lms.certificates import services as certificates
from lms.core.errors import DomainError, Forbidden
from lms.courses.sessions import services
from lms.evaluations import services as evaluations
from lms.evaluations.models import Evaluation
from lms.extensions import db
from tests import factories
from tests.certificates.conftest import AFTER_SESSION
from tests.conftest import NOW
from tests.evaluations.conftest import ANSWERS


def _certificate_emails(emails):
    return [e for e in emails if e.category == "certificate"]


def test_a_trainer_issues_a_session_s_certificates_and_everyone_is_emailed(training_session, trainer, attend, make_people, outbox):
    ana, ben, cal = make_people(3)
    attend(ana)
    attend(ben, status="partly-attended", hours="1.5")
    attend(cal, status="no-show")
    result = services.issue_for_session(training_session, actor=trainer, now=AFTER_SESSION)
    db.session.commit()

    assert sorted((c.holder_name, c.cpd_hours) for c in result.issued) == sorted(
        [(ana.full_name, Decimal("3")), (ben.full_name, Decimal("1.5"))]
    )
    assert {c.training_session_id for c in result.issued} == {training_session.id}
    assert all(c.issued_by_id == trainer.id for c in result.issued)
    emails = _certificate_emails(outbox())
    assert sorted(e.to_address for e in emails) == sorted([ana.email, ben.email])
    code = next(c for c in result.issued if c.user_id == ana.id).display_code
    assert code in next(e for e in emails if e.to_address == ana.email).body_text
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "certificate.issue_session"))
    assert audit.actor_id == trainer.id and "2 people" in audit.summary

    # Again: nobody new, nothing issued, nobody emailed twice.
    again = services.issue_for_session(training_session, actor=trainer, now=AFTER_SESSION)
    assert (again.issued, again.already) == ([], 2)
    assert len(_certificate_emails(outbox())) == 2


def test_only_the_session_s_trainers_and_admins_issue_and_not_before_it_starts(training_session, trainer, admin, person, attend):
    other_trainer = factories.user(trainer=True)
    with pytest.raises(Forbidden):
        services.issue_for_session(training_session, actor=other_trainer, now=AFTER_SESSION)
    with pytest.raises(Forbidden):
        services.issue_for_session(training_session, actor=person, now=AFTER_SESSION)
    with pytest.raises(DomainError, match="once the session has started"):
        services.issue_for_session(training_session, actor=trainer, now=NOW)
    attend(person)
    assert len(services.issue_for_session(training_session, actor=admin, now=AFTER_SESSION).issued) == 1


def test_a_session_s_zip_holds_one_pdf_per_live_certificate(training_session, trainer, attend, make_people, app):
    people = make_people(3)
    for someone in people:
        attend(someone)
    issued = services.issue_for_session(training_session, actor=trainer, now=AFTER_SESSION).issued
    certificates.revoke(issued[0], reason="Issued in error", actor=None, now=AFTER_SESSION)
    with app.test_request_context():
        body, count = services.session_zip(training_session, actor=trainer, now=AFTER_SESSION)
    archive = zipfile.ZipFile(io.BytesIO(body))
    names = archive.namelist()
    assert count == 2 and len(names) == 2
    for certificate in issued[1:]:
        [name] = [n for n in names if certificate.code in n]
        text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(archive.read(name))).pages)
        assert certificate.holder_name in text and certificate.display_code in text


def test_a_session_with_nothing_issued_has_no_zip(training_session, trainer, app):
    with app.test_request_context(), pytest.raises(DomainError, match="No certificates"):
        services.session_zip(training_session, actor=trainer, now=AFTER_SESSION)


# --- evaluations ---------------------------------------------------------------------------------------

def test_a_session_course_that_asks_sends_evaluation_requests_then_certificates(
        make_course, make_session, trainer, attend, make_people, outbox):
    workshop = make_course("CP-EVAL", title="Child protection workshop")
    workshop.asks_for_evaluation = True
    session = make_session(workshop, trainers=[trainer])
    ana, ben = make_people(2)
    attend(ana, session)
    attend(ben, session)
    result = services.issue_for_session(session, actor=trainer, now=session.ends_at)
    assert result.issued == [] and len(result.awaiting) == 2
    assert evaluations.ask_for(result.awaiting, now=NOW) == 2
    assert evaluations.ask_for(result.awaiting, now=NOW) == 0  # once each
    requests = [e for e in outbox() if e.category == "evaluation"]
    assert sorted(e.to_address for e in requests) == sorted([ana.email, ben.email])
    ana_completion = next(c for c in result.awaiting if c.user_id == ana.id)
    assert f"/evaluations/{ana_completion.id}" in next(e for e in requests if e.to_address == ana.email).body_text

    certificate = evaluations.submit(ana_completion, evaluations.Answers(**ANSWERS), actor=ana, now=NOW)
    assert certificate.training_session_id == session.id
    assert db.session.scalar(select(Evaluation)).training_session_id == session.id
    again = services.issue_for_session(session, actor=trainer, now=session.ends_at)
    assert again.issued == [] and [c.user_id for c in again.awaiting] == [ben.id]
    assert [c.user_id for c in services.session_waiting(session)] == [ben.id]
