from datetime import date

from sqlalchemy import select

from lms.accounts.models import Employment, PersonRole, SettingLead, UserSession
from lms.accounts.staff import services as staff
from lms.extensions import db
from tests import factories
from tests.accounts.helpers import outbox


def signed_in(client, **kwargs):
    person = factories.user("ann@example.org", full_name="Ann Example", **kwargs)
    db.session.commit()
    assert factories.sign_in(client, person).status_code == 302
    return person


def test_profile_shows_details_roles_and_links(client):
    school = factories.organisation("Brook Lane Primary")
    signed_in(client, organisation=school, roles=("teacher", "deputy-dsl"))
    page = client.get("/account").data.decode()
    assert "Ann Example" in page and "ann@example.org" in page
    assert "Brook Lane Primary" in page
    assert "Teacher" in page and "Deputy designated safeguarding lead" in page
    assert '">End<span class="govuk-visually-hidden"> role Teacher</span></a>' in page
    assert "/account/api-tokens" in page


def test_edit_name_and_email(client):
    person = signed_in(client)
    response = client.post("/account/details", data={"full_name": "Ann  Other", "email": "ann.other@example.org"})
    assert response.status_code == 302
    db.session.refresh(person)
    assert person.full_name == "Ann Other"
    assert person.email == "ann.other@example.org"
    assert person.email_confirmed_at is None
    assert [e.subject for e in outbox("ann.other@example.org")] == ["Confirm your email address"]
    page = client.get("/account").data.decode()
    assert 'ann.other@example.org <strong class="govuk-tag govuk-tag--yellow">Not confirmed</strong>' in page


def test_edit_details_errors(client):
    factories.user("taken@example.org")
    signed_in(client)
    response = client.post("/account/details", data={"full_name": "Ann", "email": "taken@example.org"})
    assert b"Another account already uses this email address" in response.data
    response = client.post("/account/details", data={"full_name": "", "email": "bad"})
    assert b"Enter your full name" in response.data


def test_change_password_keeps_this_session_and_ends_others(client, app):
    person = signed_in(client)
    other = app.test_client()
    factories.sign_in(other, person)
    response = client.post(
        "/account/password",
        data={"current_password": factories.PASSWORD, "new_password": "harbour pepper quilt mango"},
    )
    assert response.status_code == 302
    assert client.get("/account").status_code == 200
    assert other.get("/account").status_code == 302
    wrong = client.post("/account/password", data={"current_password": "nope", "new_password": "harbour pepper quilt mango"})
    assert b"Your current password is not correct" in wrong.data


def test_add_and_end_a_role(client):
    person = signed_in(client, roles=("teacher",))
    dsl = factories.job_role("school-dsl")
    response = client.post("/account/roles/add", data={"job_role": str(dsl.id), "started_on": ["1", "4", "2026"]})
    assert response.status_code == 302
    role = db.session.scalar(select(PersonRole).where(PersonRole.job_role_id == dsl.id))
    assert role.started_on == date(2026, 4, 1)
    # Holding the same role twice is refused.
    again = client.post("/account/roles/add", data={"job_role": str(dsl.id), "started_on": ["1", "5", "2026"]})
    assert b"You already hold the role" in again.data
    teacher_role = next(r for r in person.roles if r.job_role.code == "teacher")
    bad = client.post(f"/account/roles/{teacher_role.id}/end", data={"ended_on": ["1", "1", "2000"]})
    assert b"The end date must be on or after the start date" in bad.data
    response = client.post(f"/account/roles/{teacher_role.id}/end", data={"ended_on": ["31", "8", "2026"]})
    assert response.status_code == 302
    db.session.refresh(teacher_role)
    assert teacher_role.ended_on == date(2026, 8, 31)


def test_cannot_end_the_last_role(client):
    person = signed_in(client, roles=("teacher",))
    role = person.roles[0]
    response = client.post(f"/account/roles/{role.id}/end", data={"ended_on": ["31", "8", "2026"]})
    assert b"Add your new role before ending your last one" in response.data


def test_cannot_end_someone_elses_role(client):
    someone = factories.user("bob@example.org")
    signed_in(client)
    assert client.get(f"/account/roles/{someone.roles[0].id}/end").status_code == 404
    assert client.post(f"/account/roles/{someone.roles[0].id}/end", data={"ended_on": ["1", "1", "2026"]}).status_code == 404


def test_change_of_organisation_asks_to_join_then_keeps_history_and_drops_lead_rights(client, now):
    first = factories.organisation("Brook Lane Primary")
    second = factories.organisation("Hill Top Academy", type_code="secondary-school")
    second_lead = factories.user("hill@example.org", full_name="Hal Hill", organisation=second, leads=(second,))
    person = signed_in(client, organisation=first, role_start=date(2019, 9, 1), leads=(first,))
    response = client.post(
        "/account/organisation", data={"organisation": str(second.id), "started_on": ["1", "9", "2026"]}
    )
    assert response.status_code == 302
    db.session.refresh(person)
    # Asking changes nothing yet: they stay at (and lead) their current organisation.
    assert person.organisation_id == first.id
    assert person.open_join_request.organisation_id == second.id
    assert db.session.scalar(select(SettingLead).where(SettingLead.user_id == person.id)) is not None
    page = client.get("/account").data.decode()
    assert "You are waiting for Hill Top Academy to confirm that you work there" in page
    assert "your organisation stays Brook Lane Primary" in page
    [told] = outbox("hill@example.org")
    assert told.subject == "Ann Example is asking to join Hill Top Academy"

    staff.confirm_join_request(second_lead, person.open_join_request, now=now)
    db.session.commit()
    db.session.refresh(person)
    assert person.organisation_id == second.id
    history = [(e.organisation_id, e.started_on, e.ended_on) for e in db.session.scalars(select(Employment).order_by(Employment.started_on))]
    assert (first.id, date(2019, 9, 1), date(2026, 9, 1)) in history
    assert (second.id, date(2026, 9, 1), None) in history
    assert db.session.scalar(select(SettingLead).where(SettingLead.user_id == person.id)) is None
    page = client.get("/account").data.decode()
    assert "Organisation history" in page
    assert "You are waiting" not in page


def test_asking_again_replaces_the_request_and_it_can_be_withdrawn(client):
    first = factories.organisation("Brook Lane Primary")
    second = factories.organisation("Hill Top Academy", type_code="secondary-school")
    person = signed_in(client)
    client.post("/account/organisation", data={"organisation": str(first.id), "started_on": ["1", "9", "2026"]})
    again = client.post("/account/organisation", data={"organisation": str(first.id), "started_on": ["1", "9", "2026"]})
    assert b"You have already asked to join Brook Lane Primary" in again.data
    client.post("/account/organisation", data={"organisation": str(second.id), "started_on": ["1", "9", "2026"]})
    db.session.expire_all()
    outcomes = [(r.organisation_id, r.outcome) for r in person.join_requests]
    assert outcomes == [(first.id, "withdrawn"), (second.id, None)]
    response = client.post("/account/organisation/withdraw")
    assert response.status_code == 302
    db.session.expire_all()
    assert person.open_join_request is None and person.organisation_id is None
    assert "You are no longer asking to join Hill Top Academy" in client.get("/account").get_data(as_text=True)


def test_change_of_organisation_errors(client):
    first = factories.organisation("Brook Lane Primary")
    signed_in(client, organisation=first, role_start=date(2019, 9, 1))
    same = client.post("/account/organisation", data={"organisation": str(first.id), "started_on": ["1", "9", "2026"]})
    assert b"You are already recorded at this organisation" in same.data
    unknown = client.post("/account/organisation", data={"organisation": "999999", "started_on": ["1", "9", "2026"]})
    assert b"Select your new organisation from the list" in unknown.data


def test_sign_out_everywhere(client, app):
    person = signed_in(client)
    other = app.test_client()
    factories.sign_in(other, person)
    assert client.post("/account/sign-out-everywhere").status_code == 302
    assert client.get("/account").status_code == 200
    assert other.get("/account").status_code == 302
    live = db.session.scalars(select(UserSession).where(UserSession.revoked_at.is_(None))).all()
    assert len(live) == 1
