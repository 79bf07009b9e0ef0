"""The admin pages through the test client: access, each action, errors and statement counts."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from lms.accounts import services as accounts
from lms.accounts.models import PersonRole, SettingLead, User, UserSession
from lms.audit.models import AuditEvent
from lms.core.time import utcnow
from lms.extensions import db
from lms.notifications.models import OutboundEmail
from tests import factories as f
from tests.accounts.admin.conftest import admin, events, person, reload, school, signed_in  # noqa: F401  (fixtures)
from tests.accounts.admin.helpers import error_summary, sign_in_as


# --- access -----------------------------------------------------------------------------

ROUTES = [
    ("GET", "/admin/"),
    ("GET", "/admin/people"),
    ("GET", "/admin/people/new"),
    ("POST", "/admin/people/new"),
    ("GET", "/admin/people/{id}"),
    ("GET", "/admin/people/{id}/edit"),
    ("POST", "/admin/people/{id}/edit"),
    ("GET", "/admin/people/{id}/access"),
    ("POST", "/admin/people/{id}/access"),
    ("GET", "/admin/people/{id}/close"),
    ("POST", "/admin/people/{id}/close"),
    ("POST", "/admin/people/{id}/reopen"),
    ("POST", "/admin/people/{id}/resend"),
    ("GET", "/admin/people/{id}/organisation"),
    ("POST", "/admin/people/{id}/organisation"),
    ("GET", "/admin/people/{id}/roles/add"),
    ("POST", "/admin/people/{id}/roles/add"),
    ("GET", "/admin/people/{id}/roles/{role}/end"),
    ("POST", "/admin/people/{id}/roles/{role}/end"),
]


def _url(template: str, person: User) -> str:
    return template.format(id=person.id, role=person.roles[0].id)


@pytest.mark.parametrize(("method", "url"), ROUTES)
def test_anonymous_people_are_sent_to_sign_in(client, person, method, url):
    response = client.open(_url(url, person), method=method)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in")


@pytest.mark.parametrize("kind", ["practitioner", "trainer", "setting lead"])
@pytest.mark.parametrize(("method", "url"), ROUTES)
def test_people_who_are_not_admins_are_refused(client, school, person, kind, method, url):
    visitor = f.user(
        f"{kind.replace(' ', '-')}@example.org",
        organisation=school,
        trainer=kind == "trainer",
        leads=(school,) if kind == "setting lead" else (),
    )
    db.session.commit()
    sign_in_as(client, visitor)
    response = client.open(_url(url, person), method=method, data={"full_name": "Hacked", "access": ["admin"]})
    assert response.status_code == 403
    assert reload(person).full_name == "Pat Practitioner"
    assert not reload(visitor).is_admin


def test_an_unknown_person_is_not_found(signed_in):
    assert signed_in.get("/admin/people/999999").status_code == 404
    assert signed_in.get("/admin/people/999999/edit").status_code == 404


def test_a_role_of_someone_else_is_not_found(signed_in, admin, person):
    other_role = admin.roles[0].id
    assert signed_in.get(f"/admin/people/{person.id}/roles/{other_role}/end").status_code == 404


# --- dashboard --------------------------------------------------------------------------


def test_people_list_searches_and_filters(signed_in, school, person):
    nursery = f.organisation("Little Acorns", type_code="day-nursery")
    f.user(
        "ben@acorns.example.org", full_name="Ben Green", organisation=nursery, roles=("ey-practitioner",), trainer=True
    )
    f.user("cat@example.org", full_name="Cat White", organisation=school, roles=("school-dsl",), leads=(school,))
    db.session.commit()

    def listed(query: str) -> list[str]:
        html = signed_in.get("/admin/people" + query).get_data(as_text=True)
        return [name for name in ("Ada Admin", "Pat Practitioner", "Ben Green", "Cat White") if f">{name}</a>" in html]

    assert listed("") == ["Ada Admin", "Pat Practitioner", "Ben Green", "Cat White"]
    assert listed("?q=pat") == ["Pat Practitioner"]
    assert listed("?q=ACORNS.example") == ["Ben Green"]
    assert listed(f"?organisation={nursery.id}") == ["Ben Green"]
    assert listed(f"?sector={school.sector_id}") == ["Ada Admin", "Pat Practitioner", "Cat White"]
    assert listed(f"?job_role={f.job_role('school-dsl').id}") == ["Cat White"]
    assert listed("?access=admin") == ["Ada Admin"]
    assert listed("?access=trainer") == ["Ben Green"]
    assert listed("?access=setting-lead") == ["Cat White"]
    assert listed("?status=closed") == []
    assert listed("?organisation=not-a-number&status=nonsense") == [
        "Ada Admin",
        "Pat Practitioner",
        "Ben Green",
        "Cat White",
    ]


def test_people_list_is_paginated(signed_in, school):
    for n in range(55):
        f.user(f"p{n:02d}@example.org", full_name=f"Zed {n:02d}", organisation=school)
    db.session.commit()
    first = signed_in.get("/admin/people?q=zed").get_data(as_text=True)
    assert "55 people found" in first
    assert ">Zed 49</a>" in first and ">Zed 50</a>" not in first
    assert 'href="/admin/people?q=zed&amp;page=2"' in first
    second = signed_in.get("/admin/people?q=zed&page=2").get_data(as_text=True)
    assert ">Zed 50</a>" in second and ">Zed 54</a>" in second and ">Zed 00</a>" not in second
    assert signed_in.get("/admin/people?page=99").status_code == 200


def _people_page_statements(client, count_queries) -> int:
    db.session.expire_all()  # nothing already loaded: each row must be loaded by the page itself
    with count_queries() as statements:
        response = client.get("/admin/people")
    assert response.status_code == 200
    return len(statements)


def test_people_list_statement_count_does_not_grow_with_rows(signed_in, school, count_queries):
    nursery = f.organisation("Little Acorns", type_code="day-nursery")
    for _ in range(3):
        f.user(organisation=school, roles=("teacher", "governor"), leads=(school,))
    db.session.commit()
    few = _people_page_statements(signed_in, count_queries)
    for n in range(20):
        f.user(
            organisation=nursery if n % 2 else school,
            roles=("ey-practitioner", "other"),
            leads=(nursery,),
            trainer=bool(n % 3),
        )
    db.session.commit()
    many = _people_page_statements(signed_in, count_queries)
    assert many == few


def test_person_page_shows_the_whole_picture(signed_in, admin, school, person):
    other = f.organisation("Elm Secondary", type_code="secondary-school")
    db.session.add(SettingLead(user_id=person.id, organisation_id=school.id, created_at=utcnow()))
    person.roles[1].ended_on = date(2024, 7, 31)
    db.session.commit()
    accounts.start_session(person, now=utcnow())
    db.session.commit()
    signed_in.post(
        f"/admin/people/{person.id}/organisation", data={"organisation": other.id, "started_on": ["1", "9", "2025"]}
    )

    html = signed_in.get(f"/admin/people/{person.id}").get_data(as_text=True)
    assert '<h1 class="govuk-heading-l">Pat Practitioner</h1>' in html
    assert "Teacher" in html and "Governor or trustee" in html and "31 July 2024" in html
    assert "Oak Primary" in html and "Elm Secondary" in html and "1 September 2025" in html
    assert "1 browser" in html
    assert "Moved Pat Practitioner to Elm Secondary" in html
    assert f'href="/admin/audit/?target_type=user&amp;target_id={person.id}"' in html


# --- actions ----------------------------------------------------------------------------


def test_edit_name_and_email(signed_in, admin, person):
    response = signed_in.post(
        f"/admin/people/{person.id}/edit", data={"full_name": "Pat Smith", "email": "pat.smith@example.org"}
    )
    assert response.status_code == 302 and response.headers["Location"] == f"/admin/people/{person.id}"
    person = reload(person)
    assert (person.full_name, person.email, person.email_confirmed_at) == ("Pat Smith", "pat.smith@example.org", None)
    assert db.session.scalar(
        select(OutboundEmail.subject).where(OutboundEmail.to_address == "pat.smith@example.org")
    ) == ("Confirm your email address")
    [event] = events("person.update")
    assert event.actor_id == admin.id
    assert event.before["email"] == "pat@example.org" and event.after["email"] == "pat.smith@example.org"
    page = signed_in.get(response.headers["Location"]).get_data(as_text=True)
    assert "We have sent a link to pat.smith@example.org" in page


@pytest.mark.parametrize(
    ("data", "message", "anchor"),
    [
        ({"full_name": "", "email": "pat@example.org"}, "Enter their full name", "#full_name"),
        ({"full_name": "Pat", "email": "not-an-email"}, "Enter an email address in the correct format", "#email"),
        (
            {"full_name": "Pat", "email": "ADMIN@example.org"},
            "Another account already uses this email address",
            "#email",
        ),
    ],
)
def test_edit_shows_errors_and_changes_nothing(signed_in, person, data, message, anchor):
    response = signed_in.post(f"/admin/people/{person.id}/edit", data=data)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert error_summary(html) and message in html and f'href="{anchor}"' in html
    assert "<title>Error: " in html
    person = reload(person)
    assert (person.full_name, person.email) == ("Pat Practitioner", "pat@example.org")
    assert events("person.update") == []


def test_grant_and_remove_admin_and_trainer(signed_in, person):
    signed_in.post(f"/admin/people/{person.id}/access", data={"access": ["admin", "trainer"]})
    assert reload(person).is_admin and reload(person).is_trainer
    signed_in.post(f"/admin/people/{person.id}/access", data={"access": ["trainer"]})
    assert not reload(person).is_admin and reload(person).is_trainer
    signed_in.post(f"/admin/people/{person.id}/access", data={})
    assert not reload(person).is_trainer
    assert [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))] == [
        "person.admin.grant",
        "person.trainer.grant",
        "person.admin.remove",
        "person.trainer.remove",
    ]


def test_an_admin_cannot_demote_themselves(signed_in, admin):
    response = signed_in.post(f"/admin/people/{admin.id}/access", data={"access": ["trainer"]})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert error_summary(html) and "You cannot remove your own admin rights" in html
    admin = reload(admin)
    assert admin.is_admin and not admin.is_trainer
    assert db.session.scalar(select(AuditEvent.id)) is None
    # Still an admin: the next page works.
    assert signed_in.get("/admin/").status_code == 200


def test_closing_an_account_ends_its_sessions(app, client, signed_in, person):
    their_browser = app.test_client()
    sign_in_as(their_browser, person)
    assert their_browser.get("/admin/").status_code == 403  # signed in, but not an admin

    response = signed_in.post(f"/admin/people/{person.id}/close")
    assert response.status_code == 302
    assert reload(person).active is False
    assert (
        db.session.scalar(
            select(UserSession.id).where(UserSession.user_id == person.id, UserSession.revoked_at.is_(None))
        )
        is None
    )
    [event] = events("person.close")
    assert event.after == {"active": False, "sessions_ended": 1}
    # Their browser is signed out on its next request.
    response = their_browser.get("/admin/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in")

    signed_in.post(f"/admin/people/{person.id}/reopen")
    assert reload(person).active is True
    assert len(events("person.reopen")) == 1


def test_an_admin_cannot_close_their_own_account(signed_in, admin):
    page = signed_in.get(f"/admin/people/{admin.id}").get_data(as_text=True)
    assert "Close account" not in page
    response = signed_in.post(f"/admin/people/{admin.id}/close")
    assert response.status_code == 200
    assert "You cannot close your own account" in response.get_data(as_text=True)
    assert reload(admin).active is True


def test_reopening_an_open_account_says_so(signed_in, person):
    response = signed_in.post(f"/admin/people/{person.id}/reopen", follow_redirects=True)
    assert "This account is already open" in response.get_data(as_text=True)
    assert events("person.reopen") == []


def test_change_organisation(signed_in, admin, person):
    other = f.organisation("Elm Secondary", type_code="secondary-school")
    db.session.commit()
    response = signed_in.post(
        f"/admin/people/{person.id}/organisation", data={"organisation": other.id, "started_on": ["1", "9", "2025"]}
    )
    assert response.status_code == 302
    person = reload(person)
    assert person.organisation_id == other.id
    assert [(e.organisation.name, e.ended_on) for e in person.employments] == [
        ("Oak Primary", date(2025, 9, 1)),
        ("Elm Secondary", None),
    ]
    [event] = events("person.change-organisation")
    assert event.actor_id == admin.id and event.after == {"organisation_id": other.id}


@pytest.mark.parametrize(
    ("date_parts", "message"),
    [
        (["31", "2", "2025"], "Date they moved must be a real date"),
        (["", "", ""], "Enter the date they moved"),
        (["1", "9", "2099"], "The date they moved must be today or in the past"),
    ],
)
def test_change_organisation_errors(signed_in, person, date_parts, message):
    other = f.organisation("Elm Secondary")
    db.session.commit()
    response = signed_in.post(
        f"/admin/people/{person.id}/organisation", data={"organisation": other.id, "started_on": date_parts}
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert error_summary(html) and message in html
    assert reload(person).organisation.name == "Oak Primary"


def test_add_and_end_a_job_role(signed_in, person):
    dsl = f.job_role("school-dsl")
    response = signed_in.post(
        f"/admin/people/{person.id}/roles/add", data={"job_role": dsl.id, "started_on": ["1", "9", "2025"]}
    )
    assert response.status_code == 302
    role = db.session.scalar(
        select(PersonRole).where(PersonRole.user_id == person.id, PersonRole.job_role_id == dsl.id)
    )
    assert role.started_on == date(2025, 9, 1)
    assert events("person.role.add")[0].after == {"job_role": "school-dsl", "started_on": "2025-09-01"}

    response = signed_in.post(f"/admin/people/{person.id}/roles/{role.id}/end", data={"ended_on": ["31", "10", "2025"]})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(PersonRole, role.id).ended_on == date(2025, 10, 31)
    assert events("person.role.end")[0].after == {"job_role": "school-dsl", "ended_on": "2025-10-31"}


def test_add_job_role_they_already_hold_shows_an_error(signed_in, person):
    response = signed_in.post(
        f"/admin/people/{person.id}/roles/add",
        data={"job_role": f.job_role("teacher").id, "started_on": ["1", "9", "2025"]},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and error_summary(html)
    assert "Pat Practitioner already holds the role Teacher" in html and 'href="#job_role"' in html


def test_ending_the_last_role_shows_an_error(signed_in, person):
    first, second = person.roles
    signed_in.post(f"/admin/people/{person.id}/roles/{second.id}/end", data={"ended_on": ["1", "1", "2025"]})
    response = signed_in.post(f"/admin/people/{person.id}/roles/{first.id}/end", data={"ended_on": ["1", "1", "2025"]})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and error_summary(html) and "Add another job role" in html
    db.session.expire_all()
    assert db.session.get(PersonRole, first.id).ended_on is None


def test_resend_confirmation(signed_in, school):
    waiting = f.user("waiting@example.org", organisation=school, confirmed=False)
    db.session.commit()
    page = signed_in.get(f"/admin/people/{waiting.id}").get_data(as_text=True)
    assert "Send a new confirmation link" in page
    response = signed_in.post(f"/admin/people/{waiting.id}/resend", follow_redirects=True)
    assert "We have sent a new confirmation email to waiting@example.org" in response.get_data(as_text=True)
    assert db.session.scalar(
        select(OutboundEmail.subject).where(OutboundEmail.to_address == "waiting@example.org")
    ) == ("Confirm your email address")
    assert len(events("person.resend-confirmation")) == 1


def test_create_a_person(signed_in, admin, school):
    response = signed_in.post(
        "/admin/people/new",
        data={
            "full_name": "Nia Newcomer",
            "email": "nia@example.org",
            "organisation": school.id,
            "job_role": f.job_role("school-dsl").id,
            "started_on": ["1", "9", "2024"],
            "access": ["trainer", "setting-lead"],
        },
    )
    assert response.status_code == 302
    person = accounts.get_user_by_email("nia@example.org")
    assert response.headers["Location"] == f"/admin/people/{person.id}"
    assert person.password_hash is None and person.is_trainer and not person.is_admin
    assert db.session.get(SettingLead, (person.id, school.id)) is not None
    email = db.session.scalar(select(OutboundEmail).where(OutboundEmail.to_address == "nia@example.org"))
    assert "/reset-password/" in email.body_text
    [event] = events("person.create")
    assert event.actor_id == admin.id and event.after["leads_organisation"] is True
    page = signed_in.get(response.headers["Location"]).get_data(as_text=True)
    assert "Invited: has not set a password yet" in page and "Send a new invitation" in page


@pytest.mark.parametrize(
    ("overrides", "message", "anchor"),
    [
        ({"full_name": ""}, "Enter their full name", "#full_name"),
        ({"email": "nia at example"}, "Enter an email address in the correct format", "#email"),
        ({"email": "ADMIN@example.org"}, "Another account already uses this email address", "#email"),
        ({"organisation": ""}, "Select their organisation", "#organisation"),
        ({"started_on": ["1", "13", "2024"]}, "must be a real date", "#started_on"),
    ],
)
def test_create_a_person_shows_errors(signed_in, school, overrides, message, anchor):
    data = {
        "full_name": "Nia Newcomer",
        "email": "nia@example.org",
        "organisation": school.id,
        "job_role": f.job_role("teacher").id,
        "started_on": ["1", "9", "2024"],
    }
    data.update(overrides)
    response = signed_in.post("/admin/people/new", data=data)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert error_summary(html) and message in html and f'href="{anchor}"' in html
    assert db.session.scalar(select(User.id).where(User.full_name == "Nia Newcomer")) is None
    assert events("person.create") == []


def test_forms_need_a_csrf_token(signed_in, csrf_app, person):
    response = signed_in.post(
        f"/admin/people/{person.id}/edit", data={"full_name": "Pat Smith", "email": "pat@example.org"}
    )
    assert response.status_code == 400
    assert reload(person).full_name == "Pat Practitioner"
