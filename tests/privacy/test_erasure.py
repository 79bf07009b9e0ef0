"""Erasure: on request by an admin, or by the nightly rule for accounts closed longer than
the retention period. Afterwards no table holds any personal field of the person (a scan of
every text, JSON and binary column of every table), their evidence file is gone, and the
uptake report's figures are the same."""
from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from lms.accounts import services as accounts
from lms.accounts.admin import services as people_admin
from lms.accounts.models import User
from lms.api.services import create_token
from lms.audit import services as audit
from lms.audit.models import AuditEvent
from lms.bookings import services as bookings
from lms.certificates.models import Certificate
from lms.core.errors import DomainError
from lms.evaluations.models import Evaluation
from lms.extensions import db
from lms.privacy import services as privacy
from lms.privacy.jobs import anonymise_closed
from lms.records import services as records
from lms.records.external import services as external
from lms.records.models import ExternalActivity
from lms.reports.services import UptakeQuery, uptake
from tests import factories
from tests.bookings.conftest import make_course_row, make_session_row
from tests.conftest import NOW
from tests.pages.partnership.test_partnership import png

NAME, EMAIL = "Zoë Quennell-Ashworth", "zoe.quennell@oakprimary.example.org"


def _figures():
    result = uptake(UptakeQuery(start=date(2024, 4, 1), end=date(2027, 3, 31), by="sector", period="year"))
    return [(row.key, {measure: dict(values) for measure, values in row.values.items()})
            for row in [*result.rows, result.total]]


def _personal_data_everywhere(needles: list[str]) -> list[str]:
    """Every (table, column) whose value holds any of `needles`, case-insensitively."""
    found = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(table.select()).mappings():
            for column, value in row.items():
                if value is None or isinstance(value, (int, float, Decimal, date)):
                    continue
                if isinstance(value, bytes):
                    text = value.decode("latin-1")
                elif isinstance(value, (dict, list)):
                    text = json.dumps(value, ensure_ascii=False)
                else:
                    text = str(value)
                if any(needle.lower() in text.lower() for needle in needles):
                    found.append(f"{table.name}.{column}")
    return sorted(set(found))


@pytest.fixture()
def person(app, tmp_path):
    """A practitioner with something in every kind of record."""
    app.config["EVIDENCE_FOLDER"] = str(tmp_path / "evidence")
    school = factories.organisation("Oak Primary School")
    admin = factories.user("admin@example.org", admin=True)
    someone = factories.user(EMAIL, full_name=NAME, organisation=school)
    db.session.commit()
    accounts.send_confirmation(someone, now=NOW)
    accounts.start_session(someone, now=NOW, ip_address="203.0.113.9", user_agent="Firefox")
    with pytest.raises(DomainError):
        accounts.authenticate(EMAIL, "a wrong password", ip_address="203.0.113.9", now=NOW)
    create_token(someone, name="My spreadsheet", now=NOW)
    course = make_course_row("SGE", mode="elearning", hours="1.5", title="Safeguarding Everyone")
    completion, _ = records.record_completion(
        someone, title=course.title, delivery_mode="elearning", on=date(2026, 11, 2), hours=course.cpd_hours,
        source="elearning", source_ref="enrolment:1", course=course, now=NOW)
    session = make_session_row(make_course_row("F2F", title="Working together"), starts_at=NOW + timedelta(days=10))
    bookings.book(session, someone, actor=someone, now=NOW)
    external.log_external(someone, external.ExternalValues(
        title="Prevent awareness", provider="Home Office", completed_on=date(2026, 10, 1), hours="1",
        note=f"Done with {NAME}'s team"), evidence=external.Evidence(name="prevent.png", content=png()), now=NOW)
    db.session.add(Evaluation(
        user_id=someone.id, completion_id=completion.id, course_id=course.id, delivery_mode="elearning",
        completed_on=completion.completed_on, satisfaction=5, skills="yes", confidence_before=2, confidence_after=4,
        will_do_differently=f"I, {NAME}, will record concerns sooner", improvements="More examples",
        may_quote=True, submitted_at=NOW))
    accounts.change_organisation(someone, factories.organisation("Elm Academy"), on=date(2026, 11, 1), now=NOW,
                                 actor=admin)  # an audit event that names them
    audit.record(admin, "person.update", target=someone, now=NOW, summary="Changed a person's details",
                 before={"full_name": NAME.upper(), "email": EMAIL}, after={"full_name": NAME})  # in JSON too
    db.session.commit()
    return someone, admin


def test_an_admin_erases_a_person_and_nothing_personal_remains(person, now):
    someone, admin = person
    assert db.session.scalar(select(Certificate.holder_name).where(Certificate.user_id == someone.id)) == NAME
    evidence = external.evidence_file(db.session.scalar(select(ExternalActivity)))
    assert evidence.exists()
    needles = [NAME, EMAIL, EMAIL.split("@")[0]]
    found = _personal_data_everywhere(needles)  # the scan finds them before
    assert {"user.full_name", "user.email", "certificate.holder_name", "outbound_email.to_address", "login_attempt.email",
            "sign_in_guard.email", "audit_event.summary", "audit_event.before", "audit_event.after",
            "evaluation.will_do_differently",
            "external_activity.note"} <= set(found), found
    before = _figures()

    privacy.erase(someone, actor=admin, now=now, reason="Request 2026-114 by email")
    db.session.commit()

    assert _personal_data_everywhere(needles) == []
    assert not evidence.exists()
    assert _figures() == before
    person_now = db.session.get(User, someone.id)
    assert person_now.full_name == "Erased person" and person_now.erased_at == now and not person_now.active
    assert person_now.organisation_id is not None  # still counted where they worked
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "person.erase"))
    assert event.actor_id == admin.id and "Request 2026-114" in event.summary
    # Nobody can sign in as them, or erase them twice.
    with pytest.raises(DomainError):
        accounts.authenticate(EMAIL, factories.PASSWORD, ip_address="203.0.113.9", now=now)
    with pytest.raises(DomainError):
        privacy.erase(person_now, actor=admin, now=now, reason="again")


def test_the_nightly_job_anonymises_accounts_closed_longer_than_the_retention_period(app, person, now):
    someone, admin = person
    people_admin.close_account(admin, someone, now=now - timedelta(days=app.config["CLOSED_ACCOUNT_RETENTION_DAYS"] + 1))
    recently = factories.user("recent@example.org", full_name="Recently Closed")
    db.session.commit()
    people_admin.close_account(admin, recently, now=now - timedelta(days=10))
    db.session.commit()
    before = _figures()

    assert anonymise_closed(now=now) == {"accounts anonymised": 1}

    assert _personal_data_everywhere([NAME, EMAIL]) == []
    assert _figures() == before
    assert db.session.get(User, recently.id).full_name == "Recently Closed"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "person.erase"))
    assert event.actor_id is None and "closed for longer than" in event.summary
    assert anonymise_closed(now=now) == {"accounts anonymised": 0}


def test_a_reopened_account_is_not_anonymised(app, person, now):
    someone, admin = person
    people_admin.close_account(admin, someone, now=now - timedelta(days=500))
    people_admin.reopen_account(admin, someone, now=now - timedelta(days=400))
    db.session.commit()
    assert anonymise_closed(now=now) == {"accounts anonymised": 0}
    assert db.session.get(User, someone.id).full_name == NAME
