"""Issuing, freezing, reissuing, revoking and checking certificates (DESIGN.md section 7)."""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from lms.audit.models import AuditEvent
from lms.bookings import services as bookings
from lms.bookings.registers import services as registers
from lms.certificates import services
from lms.certificates.models import Certificate
from lms.courses.sessions import services as sessions
from lms.core.errors import DomainError, Forbidden, NotFound
from lms.extensions import db
from lms.records import services as records
from tests import factories
from tests.certificates.conftest import AFTER_SESSION
from tests.conftest import NOW


def _elearning(person, course, *, on=date(2026, 11, 23), ref="enrolment:1"):
    completion, _ = records.record_completion(
        person, title=course.title, delivery_mode="elearning", on=on, hours=course.cpd_hours,
        source="elearning", source_ref=ref, course=course, now=NOW,
    )
    return completion


def _certificate_emails(emails):
    return [e for e in emails if e.category == "certificate"]


def _certificates(**where):
    statement = select(Certificate).order_by(Certificate.id)
    for name, value in where.items():
        statement = statement.where(getattr(Certificate, name) == value)
    return list(db.session.scalars(statement))


# --- codes ----------------------------------------------------------------------------------

def test_codes_are_sixteen_unambiguous_characters_and_differ():
    codes = {services.new_code() for _ in range(500)}
    assert len(codes) == 500
    for code in codes:
        assert len(code) == 16 and set(code) <= set(services.ALPHABET)
        assert not set(code) & set("ILOU")


@pytest.mark.parametrize("typed, stored", [
    ("7KQ2-M9XD-4TWB-H3RA", "7KQ2M9XD4TWBH3RA"),
    ("7kq2 m9xd 4twb h3ra", "7KQ2M9XD4TWBH3RA"),
    (" 7KQ2M9XD4TWBH3RA ", "7KQ2M9XD4TWBH3RA"),
    ("OOOO-IIII-LLLL-1111", "0000111111111111"),  # read from paper: O is 0, I and L are 1
    ("7KQ2-M9XD-4TWB", None),  # too short
    ("7KQ2-M9XD-4TWB-H3RAX", None),  # too long
    ("7KQ2-M9XD-4TWB-H3R!", None),
    ("7KQ2-M9XD-4TWB-H3RU", None),  # U is not in the alphabet
    ("", None),
    (None, None),
])
def test_typed_codes_are_read_as_printed(typed, stored):
    assert services.normalise_code(typed) == stored


# --- issuing ----------------------------------------------------------------------------------

def test_passing_e_learning_issues_a_certificate_frozen_with_what_it_says(app, make_course, organisation):
    person = factories.user("ana@example.org", full_name="Ana Okafor", organisation=organisation)
    course = make_course("SGE", mode="elearning", hours="1.5", title="Safeguarding Everyone")
    completion = _elearning(person, course)
    db.session.commit()

    [certificate] = _certificates(user_id=person.id)
    assert certificate.completion_id == completion.id
    assert (certificate.holder_name, certificate.course_title, certificate.course_code) == ("Ana Okafor", "Safeguarding Everyone", "SGE")
    assert certificate.completed_on == date(2026, 11, 23)
    assert certificate.cpd_hours == Decimal("1.5")
    assert certificate.provider == app.config["PARTNERSHIP_NAME"]
    assert certificate.issued_by_id is None and certificate.issued_at == NOW
    assert certificate.status_on(date(2026, 11, 23)) == "valid"

    # Later changes of name and course title leave the issued certificate as it was.
    person.full_name = "Ana Okafor-Reid"
    course.title = "Safeguarding Everyone (2027 edition)"
    db.session.commit()
    db.session.expire_all()
    assert _certificates(user_id=person.id)[0].holder_name == "Ana Okafor"
    assert _certificates(user_id=person.id)[0].course_title == "Safeguarding Everyone"


def test_imported_and_external_records_get_no_certificate(make_course, organisation):
    person = factories.user(organisation=organisation)
    course = make_course(mode="face-to-face")
    completion, _ = records.record_completion(
        person, title="Old course", delivery_mode="imported", on=date(2023, 5, 1), hours=Decimal(3),
        source="imported", source_ref="import:1", course=course, now=NOW,
    )
    assert _certificates() == []
    with pytest.raises(DomainError, match="only for e-learning and sessions"):
        services.issue(completion, actor=None, now=NOW)


def test_the_refresh_date_is_the_one_for_the_requirement_the_course_names(make_course, organisation):
    """A DSL whose role training was completed on 10 Sep 2024 must refresh it by 10 Sep 2026
    (24 months), even though the same course also counts as this year's annual update."""
    dsl = factories.user(organisation=organisation, roles=("school-dsl",))
    course = make_course("DSL-ROLE", mode="elearning", title="DSL role training")
    course.requirement_codes = ["dsl-role-training"]
    _elearning(dsl, course, on=date(2024, 9, 10))
    [certificate] = _certificates(user_id=dsl.id)
    assert certificate.refresh_due_on == date(2026, 9, 10)
    assert certificate.status_on(date(2026, 9, 10)) == "valid"
    assert certificate.status_on(date(2026, 9, 11)) == "expired"


def test_a_twilight_is_refreshed_by_the_requirement_its_mode_meets(make_course, make_session, organisation, attend, trainer, now):
    dsl = factories.user(organisation=organisation, roles=("school-dsl",))
    twilight = make_course("TW-AUT", mode="twilight", hours="1.5", title="DSL network twilight: autumn")
    session = make_session(twilight, trainers=[trainer])
    attend(dsl, session)
    result = sessions.issue_for_session(session, actor=trainer, now=AFTER_SESSION)
    # The DSL annual knowledge update: 12 months from 8 December 2026.
    assert [c.refresh_due_on for c in result.issued] == [date(2027, 12, 8)]


def test_a_course_that_meets_no_expiring_requirement_has_no_refresh_date(make_course, organisation):
    teacher = factories.user(organisation=organisation, roles=("teacher",))
    course = make_course("SGE", mode="elearning")
    course.requirement_codes = ["staff-safeguarding"]  # once: no national expiry
    _elearning(teacher, course)
    assert _certificates()[0].refresh_due_on is None
    assert _certificates()[0].status_on(date(2040, 1, 1)) == "valid"


def test_issuing_twice_gives_the_same_certificate(make_course, organisation):
    person = factories.user(organisation=organisation)
    completion = _elearning(person, make_course(mode="elearning"))
    first = _certificates()[0]
    again, created = services.issue(completion, actor=None, now=NOW)
    assert (again.id, created) == (first.id, False)
    assert len(_certificates()) == 1


def test_one_live_certificate_per_completion_is_kept_by_the_database(make_course, organisation):
    person = factories.user(organisation=organisation)
    completion = _elearning(person, make_course(mode="elearning"))
    duplicate = services._new_certificate(completion, refresh_due_on=None, actor=None, now=NOW)
    assert services._add(duplicate) is None  # the partial unique index refused it
    assert len(_certificates()) == 1


# --- a session's certificates ------------------------------------------------------------------------


def test_a_corrected_register_reissues_or_revokes_what_was_issued(training_session, trainer, attend, person, outbox):
    booking = attend(person)
    [first] = sessions.issue_for_session(training_session, actor=trainer, now=AFTER_SESSION).issued

    # Other hours: the certificate is reissued with them, and the old code is revoked.
    registers.mark(booking, "partly-attended", hours="2", actor=trainer, now=AFTER_SESSION)
    db.session.flush()
    db.session.refresh(first)
    assert first.is_revoked and first.revoke_reason == f"Reissued: {services.REISSUED_HOURS}"
    [second] = _certificates(revoked_at=None)
    assert second.cpd_hours == Decimal("2") and second.replaces_id == first.id
    assert len(_certificate_emails(outbox(to=person))) == 2

    # Attendance taken away: the certificate is revoked, and it still resolves.
    registers.mark(booking, "no-show", actor=trainer, now=AFTER_SESSION)
    db.session.commit()
    db.session.expire_all()
    second = services.find_by_code(second.code)
    assert second.is_revoked and second.revoke_reason == services.REVOKED_REMOVED
    assert second.completion_id is None
    assert second.status_on(date(2026, 12, 9)) == "revoked"
    assert _certificates(revoked_at=None) == []

    # Marked attended again: a new certificate can be issued.
    registers.mark(booking, "attended", actor=trainer, now=AFTER_SESSION)
    assert len(sessions.issue_for_session(training_session, actor=trainer, now=AFTER_SESSION).issued) == 1


# --- reissue and revoke ----------------------------------------------------------------------------

def test_reissue_takes_the_name_now_and_names_the_reason(make_course, organisation, admin):
    person = factories.user(full_name="Sam Patel", organisation=organisation)
    _elearning(person, make_course(mode="elearning"))
    [old] = _certificates()
    person.full_name = "Samira Patel"
    new = services.reissue(old, reason="Name changed by deed poll", actor=admin, now=NOW)
    db.session.commit()
    assert new.holder_name == "Samira Patel" and new.code != old.code
    assert new.replaces_id == old.id and new.reissue_reason == "Name changed by deed poll"
    assert old.is_revoked and old.revoke_reason == "Reissued: Name changed by deed poll"
    assert services.replaced_by(old).id == new.id
    assert [c.id for c in services.history(new)] == [old.id]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "certificate.reissue"))
    assert event.before["holder_name"] == "Sam Patel" and event.after["holder_name"] == "Samira Patel"


@pytest.mark.parametrize("reason, message", [("", "Enter the reason"), ("   ", "Enter the reason"), ("x" * 501, "500 characters")])
def test_reissue_and_revoke_need_a_reason(make_course, organisation, admin, reason, message):
    person = factories.user(organisation=organisation)
    _elearning(person, make_course(mode="elearning"))
    [certificate] = _certificates()
    for action in (services.reissue, services.revoke):
        with pytest.raises(DomainError, match=message):
            action(certificate, reason=reason, actor=admin, now=NOW)
    assert not certificate.is_revoked and len(_certificates()) == 1


def test_only_admins_reissue_or_revoke(make_course, organisation, lead, trainer):
    person = factories.user(organisation=organisation)
    _elearning(person, make_course(mode="elearning"))
    [certificate] = _certificates()
    for actor in (person, lead, trainer):
        for action in (services.reissue, services.revoke):
            with pytest.raises(Forbidden):
                action(certificate, reason="Because", actor=actor, now=NOW)


def test_a_revoked_certificate_cannot_be_revoked_or_reissued_again(make_course, organisation, admin):
    person = factories.user(organisation=organisation)
    _elearning(person, make_course(mode="elearning"))
    [certificate] = _certificates()
    services.revoke(certificate, reason="Issued in error", actor=admin, now=NOW)
    with pytest.raises(DomainError, match="already revoked"):
        services.revoke(certificate, reason="Again", actor=admin, now=NOW)
    with pytest.raises(DomainError, match="cannot be reissued"):
        services.reissue(certificate, reason="Again", actor=admin, now=NOW)
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "certificate.revoke")) == 1


# --- who sees what ------------------------------------------------------------------------------

def test_the_holder_their_lead_and_admins_may_see_a_certificate(make_course, organisation, lead, admin, outsider, trainer, colleague):
    person = factories.user(organisation=organisation)
    _elearning(person, make_course(mode="elearning"))
    [certificate] = _certificates()
    other_lead = factories.user(leads=(outsider.organisation,))
    assert [services.may_see(a, certificate) for a in (person, lead, admin)] == [True, True, True]
    assert [services.may_see(a, certificate) for a in (colleague, outsider, other_lead, trainer)] == [False] * 4
    with pytest.raises(NotFound):
        services.check_may_see(colleague, certificate)


def test_status_on_a_day(make_course, organisation):
    person = factories.user(organisation=organisation, roles=("school-dsl",))
    course = make_course(mode="elearning")
    course.requirement_codes = ["dsl-role-training"]
    _elearning(person, course, on=date(2025, 2, 28))
    [certificate] = _certificates()
    assert certificate.refresh_due_on == date(2027, 2, 28)
    assert [certificate.status_on(date(2027, 2, d)) for d in (27, 28)] == ["valid", "valid"]
    assert certificate.status_on(date(2027, 3, 1)) == "expired"
    certificate.revoked_at = datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert certificate.status_on(date(2025, 3, 1)) == "revoked"


# --- records made before certificates ----------------------------------------------------------------

def test_e_learning_completed_before_certificates_gets_them_once(runner, make_course, organisation, admin):
    course = make_course("SGE", mode="elearning")
    people = [factories.user(organisation=organisation) for _ in range(3)]
    for index, someone in enumerate(people):
        _elearning(someone, course, ref=f"enrolment:{index}")
    # As if made before certificates: take the automatic ones away; one was revoked by an admin.
    revoked = _certificates()[0]
    services.revoke(revoked, reason="Issued in error", actor=admin, now=NOW)
    db.session.execute(Certificate.__table__.delete().where(Certificate.id != revoked.id))
    db.session.commit()

    result = runner.invoke(args=["lms", "certificates", "issue-missing"])
    assert result.exit_code == 0, result.output
    assert "2 certificates issued" in result.output
    db.session.expire_all()
    live = _certificates(revoked_at=None)
    assert sorted(c.user_id for c in live) == sorted(p.id for p in people[1:])
    assert all(c.issued_by_id is None for c in live)
    again = runner.invoke(args=["lms", "certificates", "issue-missing"])
    assert "0 certificates issued" in again.output and len(_certificates()) == 3
