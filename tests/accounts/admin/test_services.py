"""The admin's rules, tested with a fixed `now` and a real database."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from lms.accounts import services as accounts
from lms.accounts.models import AccountToken, SettingLead, UserSession
from lms.accounts.session import load_signed_in
from lms.accounts.admin import services
from lms.audit.models import AuditEvent
from lms.core.errors import DomainError
from lms.core.tokens import hash_token
from lms.extensions import db
from lms.notifications.models import OutboundEmail
from tests import factories as f


def events(action: str | None = None) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.id)
    if action:
        query = query.where(AuditEvent.action == action)
    return list(db.session.scalars(query))


def outbox(to: str) -> list[OutboundEmail]:
    return list(
        db.session.scalars(select(OutboundEmail).where(OutboundEmail.to_address == to).order_by(OutboundEmail.id))
    )


@pytest.fixture(autouse=True)
def request_context(app):
    """accounts.send_confirmation builds its link with url_for, which needs a request."""
    with app.test_request_context():
        yield


@pytest.fixture()
def admin():
    return f.user("admin@example.org", full_name="Ada Admin", admin=True)


# --- dashboard --------------------------------------------------------------------------


def names(filters: services.PeopleFilter) -> list[str]:
    return [person.full_name for person in db.session.scalars(services.people_query(filters)).unique()]


def test_people_query_filters(now):
    school = f.organisation("Oak Primary")
    nursery = f.organisation("Little Acorns", type_code="day-nursery")
    f.user("amy@oak.example.org", full_name="Amy Brown", organisation=school, roles=("teacher",))
    f.user(
        "ben@acorns.example.org", full_name="Ben Green", organisation=nursery, roles=("ey-practitioner",), trainer=True
    )
    f.user("cat@oak.example.org", full_name="Cat White", organisation=school, roles=("school-dsl",), leads=(school,))
    dan = f.user("dan@example.org", full_name="Dan 100% Black", confirmed=False, admin=True)
    eve = f.user("eve@acorns.example.org", full_name="Eve Grey", organisation=nursery)
    eve.active = False
    db.session.flush()

    assert names(services.PeopleFilter()) == ["Amy Brown", "Ben Green", "Cat White", "Dan 100% Black", "Eve Grey"]
    assert names(services.PeopleFilter(text="  AMY ")) == ["Amy Brown"]
    assert names(services.PeopleFilter(text="acorns.example")) == ["Ben Green", "Eve Grey"]
    assert names(services.PeopleFilter(text="100%")) == ["Dan 100% Black"]  # % is not a wildcard
    assert names(services.PeopleFilter(organisation_id=school.id)) == ["Amy Brown", "Cat White"]
    assert names(services.PeopleFilter(sector_id=nursery.sector_id)) == ["Ben Green", "Eve Grey"]
    assert names(services.PeopleFilter(job_role_id=f.job_role("school-dsl").id)) == ["Cat White"]
    assert names(services.PeopleFilter(access="admin")) == ["Dan 100% Black"]
    assert names(services.PeopleFilter(access="trainer")) == ["Ben Green"]
    assert names(services.PeopleFilter(access="setting-lead")) == ["Cat White"]
    assert names(services.PeopleFilter(status="active")) == ["Amy Brown", "Ben Green", "Cat White"]
    assert names(services.PeopleFilter(status="unconfirmed")) == ["Dan 100% Black"]
    assert names(services.PeopleFilter(status="closed")) == ["Eve Grey"]
    assert names(services.PeopleFilter(organisation_id=school.id, access="setting-lead", text="cat")) == ["Cat White"]
    assert [services.person_status(p) for p in (dan, eve)] == ["unconfirmed", "closed"]


def test_a_role_that_has_ended_does_not_match_the_job_role_filter(now):
    person = f.user(full_name="Former Teacher", roles=("teacher", "governor"))
    person.roles[0].ended_on = date(2024, 7, 31)
    db.session.flush()
    assert names(services.PeopleFilter(job_role_id=f.job_role("teacher").id)) == []
    assert names(services.PeopleFilter(job_role_id=f.job_role("governor").id)) == ["Former Teacher"]


def test_live_session_count_ignores_revoked_idle_and_old_sessions(app, now):
    person = f.user()
    idle = app.config["SESSION_IDLE_TIMEOUT"]
    db.session.add_all(
        [
            UserSession(
                token_hash="a" * 64, user_id=person.id, created_at=now - timedelta(minutes=5), last_seen_at=now
            ),
            UserSession(token_hash="b" * 64, user_id=person.id, created_at=now, last_seen_at=now, revoked_at=now),
            UserSession(token_hash="c" * 64, user_id=person.id, created_at=now - idle * 2, last_seen_at=now - idle * 2),
        ]
    )
    db.session.flush()
    assert services.live_session_count(person, now=now) == 1


# --- changes --------------------------------------------------------------------------


def test_edit_person_changes_name_and_email_and_audits_it(admin, now):
    person = f.user("old@example.org", full_name="Old Name")
    assert services.edit_person(admin, person, full_name="  New   Name ", email="New@Example.org", now=now) is True
    assert person.full_name == "New Name"
    assert person.email == "new@example.org"
    assert person.email_confirmed_at is None
    assert [email.subject for email in outbox("new@example.org")] == ["Confirm your email address"]
    [event] = events("person.update")
    assert event.actor_id == admin.id and event.target_type == "user" and event.target_id == str(person.id)
    assert event.before == {"full_name": "Old Name", "email": "old@example.org", "email_confirmed_at": now.isoformat()}
    assert event.after == {"full_name": "New Name", "email": "new@example.org", "email_confirmed_at": None}


def test_edit_person_with_only_a_new_name_keeps_the_email_confirmed(admin, now):
    person = f.user("same@example.org", full_name="Old Name")
    assert services.edit_person(admin, person, full_name="New Name", email="same@example.org", now=now) is False
    assert person.email_confirmed_at is not None
    assert outbox("same@example.org") == []
    assert events("person.update")[0].after == {"full_name": "New Name"}


def test_edit_person_with_nothing_changed_writes_no_event(admin, now):
    person = f.user("same@example.org", full_name="Same Name")
    services.edit_person(admin, person, full_name="Same Name", email="same@example.org", now=now)
    assert events("person.update") == []


@pytest.mark.parametrize(
    ("full_name", "email", "field", "message"),
    [
        ("", "x@example.org", "full_name", "Enter their full name"),
        ("Someone", "", "email", "Enter their email address"),
        ("Someone", "not an email", "email", "Enter an email address in the correct format, like name@example.org"),
        ("Someone", "TAKEN@example.org", "email", "Another account already uses this email address"),
    ],
)
def test_edit_person_refuses_bad_input(admin, now, full_name, email, field, message):
    f.user("taken@example.org")
    person = f.user("person@example.org", full_name="Person")
    with pytest.raises(DomainError) as raised:
        services.edit_person(admin, person, full_name=full_name, email=email, now=now)
    assert (raised.value.field, raised.value.message) == (field, message)
    assert events() == []


def test_set_access_grants_and_removes_with_one_event_per_change(admin, now):
    person = f.user()
    assert services.set_access(admin, person, is_admin=True, is_trainer=True, now=now) == [
        "person.admin.grant",
        "person.trainer.grant",
    ]
    assert person.is_admin and person.is_trainer
    assert services.set_access(admin, person, is_admin=False, is_trainer=True, now=now) == ["person.admin.remove"]
    assert not person.is_admin and person.is_trainer
    assert [(e.action, e.before, e.after) for e in events()] == [
        ("person.admin.grant", {"is_admin": False}, {"is_admin": True}),
        ("person.trainer.grant", {"is_trainer": False}, {"is_trainer": True}),
        ("person.admin.remove", {"is_admin": True}, {"is_admin": False}),
    ]


def test_an_admin_cannot_remove_their_own_admin_rights(admin, now):
    with pytest.raises(DomainError) as raised:
        services.set_access(admin, admin, is_admin=False, is_trainer=True, now=now)
    assert raised.value.field == "is_admin"
    assert admin.is_admin and not admin.is_trainer
    assert events() == []
    # They may still change their other access.
    services.set_access(admin, admin, is_admin=True, is_trainer=True, now=now)
    assert admin.is_trainer


def test_close_account_ends_every_session_and_reopen_lets_them_back(app, admin, now):
    person = f.user()
    first = accounts.start_session(person, now=now)
    accounts.start_session(person, now=now)
    db.session.flush()

    assert services.close_account(admin, person, now=now) == 2
    assert person.active is False
    assert (
        db.session.scalar(
            select(UserSession.id).where(UserSession.user_id == person.id, UserSession.revoked_at.is_(None))
        )
        is None
    )
    with app.test_request_context("/"):
        user, _ = load_signed_in(
            first,
            now=now,
            idle_timeout=app.config["SESSION_IDLE_TIMEOUT"],
            absolute_timeout=app.config["SESSION_ABSOLUTE_TIMEOUT"],
        )
    assert user is None
    [event] = events("person.close")
    assert event.before == {"active": True} and event.after == {"active": False, "sessions_ended": 2}

    with pytest.raises(DomainError):
        services.close_account(admin, person, now=now)
    services.reopen_account(admin, person, now=now)
    assert person.active is True
    assert events("person.reopen")[0].after == {"active": True}
    with pytest.raises(DomainError):
        services.reopen_account(admin, person, now=now)


def test_an_admin_cannot_close_their_own_account(admin, now):
    with pytest.raises(DomainError, match="your own account"):
        services.close_account(admin, admin, now=now)
    assert admin.active


def test_change_organisation_keeps_history_and_audits(admin, now):
    old = f.organisation("Oak Primary")
    new = f.organisation("Elm Secondary", type_code="secondary-school")
    person = f.user(organisation=old, leads=(old,), role_start=date(2020, 9, 1))
    services.change_person_organisation(admin, person, new, on=date(2026, 9, 1), now=now)
    assert person.organisation_id == new.id
    assert [(e.organisation_id, e.started_on, e.ended_on) for e in person.employments] == [
        (old.id, date(2020, 9, 1), date(2026, 9, 1)),
        (new.id, date(2026, 9, 1), None),
    ]
    assert db.session.scalar(select(SettingLead).where(SettingLead.user_id == person.id)) is None
    [event] = events("person.change-organisation")
    assert event.actor_id == admin.id
    assert event.before == {"organisation_id": old.id} and event.after == {"organisation_id": new.id}


def test_an_admin_moving_themselves_is_audited_too(now):
    old = f.organisation("Council")
    new = f.organisation("Other council team", type_code="council-other")
    admin = f.user(admin=True, organisation=old)
    services.change_person_organisation(admin, admin, new, on=date(2026, 11, 1), now=now)
    assert len(events("person.change-organisation")) == 1


@pytest.mark.parametrize(
    ("same", "on", "field"),
    [
        (True, date(2026, 9, 1), "organisation"),
        (False, date(2026, 11, 24), "started_on"),
        (False, date(2019, 1, 1), "started_on"),
    ],
)
def test_change_organisation_refuses_bad_input(admin, now, same, on, field):
    old = f.organisation("Oak Primary")
    new = f.organisation("Elm Secondary")
    person = f.user(organisation=old, role_start=date(2020, 9, 1))
    with pytest.raises(DomainError) as raised:
        services.change_person_organisation(admin, person, old if same else new, on=on, now=now)
    assert raised.value.field == field
    assert person.organisation_id == old.id
    assert events() == []


def test_add_and_end_a_job_role(admin, now):
    person = f.user(roles=("teacher",), role_start=date(2020, 9, 1))
    role = services.add_job_role(admin, person, f.job_role("school-dsl"), started_on=date(2026, 9, 1), now=now)
    assert {r.job_role.code for r in person.current_roles} == {"teacher", "school-dsl"}
    [added] = events("person.role.add")
    assert added.after == {"job_role": "school-dsl", "started_on": "2026-09-01"}

    teacher = next(r for r in person.roles if r.job_role.code == "teacher")
    services.end_job_role(admin, person, teacher, ended_on=date(2026, 8, 31), now=now)
    assert teacher.ended_on == date(2026, 8, 31)
    [ended] = events("person.role.end")
    assert ended.before == {"job_role": "teacher", "ended_on": None}
    assert ended.after == {"job_role": "teacher", "ended_on": "2026-08-31"}

    # The last current role cannot end until another is added.
    with pytest.raises(DomainError, match="Add another job role"):
        services.end_job_role(admin, person, role, ended_on=date(2026, 11, 1), now=now)


def test_add_job_role_refuses_a_role_they_hold_and_a_future_date(admin, now):
    person = f.user(roles=("teacher",))
    with pytest.raises(DomainError) as raised:
        services.add_job_role(admin, person, f.job_role("teacher"), started_on=date(2026, 1, 1), now=now)
    assert raised.value.field == "job_role"
    with pytest.raises(DomainError) as raised:
        services.add_job_role(admin, person, f.job_role("governor"), started_on=date(2026, 11, 24), now=now)
    assert raised.value.field == "started_on"
    assert events() == []


def test_end_job_role_refuses_a_date_before_it_started(admin, now):
    person = f.user(roles=("teacher", "governor"), role_start=date(2020, 9, 1))
    with pytest.raises(DomainError) as raised:
        services.end_job_role(admin, person, person.roles[0], ended_on=date(2020, 8, 31), now=now)
    assert raised.value.field == "ended_on"


def test_resend_confirmation_only_for_an_unconfirmed_email(admin, now):
    person = f.user("new@example.org", confirmed=False)
    assert services.resend_account_email(admin, person, now=now) == "confirmation"
    assert [email.subject for email in outbox("new@example.org")] == ["Confirm your email address"]
    assert len(events("person.resend-confirmation")) == 1
    confirmed = f.user("done@example.org")
    with pytest.raises(DomainError, match="already confirmed"):
        services.resend_account_email(admin, confirmed, now=now)


def new_person(**overrides) -> services.NewPerson:
    values = {
        "full_name": "Nia  Newcomer",
        "email": "Nia@Example.org",
        "organisation_id": None,
        "job_role_id": f.job_role("teacher").id,
        "started_on": date(2024, 9, 1),
    }
    values.update(overrides)
    return services.NewPerson(**values)


def test_create_person_makes_an_account_without_a_password_and_invites_them(app, admin, now):
    school = f.organisation("Oak Primary")
    person = services.create_person(
        admin, new_person(organisation_id=school.id, is_trainer=True, leads_organisation=True), now=now
    )
    assert person.email == "nia@example.org" and person.full_name == "Nia Newcomer"
    assert person.password_hash is None and person.email_confirmed_at is None
    assert person.is_trainer and not person.is_admin
    assert [(r.job_role.code, r.started_on) for r in person.roles] == [("teacher", date(2024, 9, 1))]
    assert [(e.organisation_id, e.started_on) for e in person.employments] == [(school.id, date(2024, 9, 1))]
    assert db.session.get(SettingLead, (person.id, school.id)) is not None

    [email] = outbox("nia@example.org")
    assert email.subject == f"Set up your account for {app.config['SERVICE_NAME']}"
    assert "Dear Nia Newcomer" in email.body_text and "7 days" in email.body_text
    token = email.body_text.split("/reset-password/")[1].split()[0]
    row = db.session.scalar(select(AccountToken).where(AccountToken.token_hash == hash_token(token)))
    assert row.user_id == person.id and row.expires_at == now + timedelta(days=7)
    accounts.check_reset_token(token, now=now + timedelta(days=6))  # still works after the 1-hour reset lifetime
    with pytest.raises(DomainError):
        accounts.check_reset_token(token, now=now + timedelta(days=7, seconds=1))

    # Choosing a password through the link also confirms the email address.
    accounts.reset_password(token, "a long and unusual passphrase 42", now=now)
    assert person.password_hash and person.email_confirmed_at == now

    [event] = events("person.create")
    assert event.actor_id == admin.id and event.target_id == str(person.id)
    assert event.after == {
        "full_name": "Nia Newcomer",
        "email": "nia@example.org",
        "organisation_id": school.id,
        "is_admin": False,
        "is_trainer": True,
        "job_role": "teacher",
        "started_on": "2024-09-01",
        "leads_organisation": True,
    }


def test_resend_for_an_invited_person_sends_a_new_invitation(admin, now):
    school = f.organisation("Oak Primary")
    person = services.create_person(admin, new_person(organisation_id=school.id), now=now)
    assert services.resend_account_email(admin, person, now=now) == "invitation"
    assert len(outbox("nia@example.org")) == 2
    assert len(events("person.resend-invitation")) == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"full_name": "  "}, "full_name"),
        ({"email": "nope"}, "email"),
        ({"email": "taken@example.org"}, "email"),
        ({"organisation_id": None}, "organisation"),
        ({"job_role_id": None}, "job_role"),
        ({"started_on": date(2026, 11, 24)}, "started_on"),
    ],
)
def test_create_person_refuses_bad_input(admin, now, overrides, field):
    school = f.organisation("Oak Primary")
    f.user("taken@example.org")
    values = {"organisation_id": school.id, **overrides}
    with pytest.raises(DomainError) as raised:
        services.create_person(admin, new_person(**values), now=now)
    assert raised.value.field == field
    assert accounts.get_user_by_email("nia@example.org") is None
    assert events() == []
