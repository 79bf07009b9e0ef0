"""The API token pages at /account/api-tokens."""
import re
from html import unescape

from sqlalchemy import select

from lms.api import services
from lms.api.models import ApiToken
from lms.audit.models import AuditEvent
from lms.core.tokens import hash_token
from lms.extensions import db
from tests import factories
from tests.api.conftest import bearer, sign_in_browser
from tests.conftest import csrf_token_from


def create_row(person, name="Export", now=None):
    from tests.conftest import NOW

    token, row = services.create_token(person, name=name, now=now or NOW)
    db.session.commit()
    return token, row


def shown_token(html: str) -> str:
    match = re.search(r'id="token" name="token" type="text"[^>]* value="([^"]+)"', html) or re.search(
        r'value="(lms_[^"]+)"', html
    )
    assert match, "no token on the page"
    return unescape(match.group(1))


def test_anonymous_people_are_sent_to_sign_in(client):
    person = factories.user()
    _, row = create_row(person)
    for method, path in (
        ("get", "/account/api-tokens"),
        ("get", "/account/api-tokens/new"),
        ("post", "/account/api-tokens/new"),
        ("get", f"/account/api-tokens/{row.id}/revoke"),
        ("post", f"/account/api-tokens/{row.id}/revoke"),
    ):
        response = getattr(client, method)(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/sign-in"), path
    assert db.session.get(ApiToken, row.id).revoked_at is None


def test_list_shows_own_live_tokens_only(client):
    person, other = factories.user(), factories.user()
    create_row(person, name="School MIS export")
    _, revoked = create_row(person, name="Old spreadsheet")
    services.revoke_token(person, revoked, now=revoked.created_at)
    create_row(other, name="Someone else's token")
    db.session.commit()
    sign_in_browser(client, person)
    page = client.get("/account/api-tokens")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<h1" in html and html.count("<h1") == 1
    assert "School MIS export" in html
    row = db.session.scalar(select(ApiToken).where(ApiToken.name == "School MIS export"))
    assert row.prefix in html
    assert "Never" in html
    assert "23 November 2026 at 10am" in html
    assert "Old spreadsheet" not in html and "Someone else" not in html
    assert f"/account/api-tokens/{row.id}/revoke" in html


def test_empty_list(client):
    sign_in_browser(client, factories.user())
    html = client.get("/account/api-tokens").get_data(as_text=True)
    assert "You have no API tokens." in html and "<table" not in html


def test_create_shows_the_token_once_and_stores_only_its_hash(client):
    person = factories.user()
    sign_in_browser(client, person)
    form = client.get("/account/api-tokens/new")
    assert form.status_code == 200 and 'name="name"' in form.get_data(as_text=True)

    response = client.post("/account/api-tokens/new", data={"name": "Governors' dashboard"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Copy this token now" in html and "will not be able to see it again" in html
    assert response.headers["Cache-Control"] == "no-store"
    token = shown_token(html)
    row = db.session.scalar(select(ApiToken))
    assert row.user_id == person.id and row.name == "Governors' dashboard"
    assert row.token_hash == hash_token(token) and row.prefix == token[:12]

    listing = client.get("/account/api-tokens").get_data(as_text=True)
    assert token not in listing and row.prefix in listing
    assert client.get("/api/v1/me", headers=bearer(token)).json["id"] == person.id


def test_create_without_a_name_shows_an_error(client):
    sign_in_browser(client, factories.user())
    response = client.post("/account/api-tokens/new", data={"name": "   "})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in html and 'href="#name"' in html
    assert "Enter a name for the token" in html
    assert "<title>Error:" in html
    assert db.session.scalar(select(ApiToken)) is None


def test_create_turns_a_broken_rule_into_a_field_error(client, now):
    person = factories.user()
    for i in range(services.MAX_ACTIVE_TOKENS):
        services.create_token(person, name=f"T{i}", now=now)
    db.session.commit()
    sign_in_browser(client, person)
    response = client.post("/account/api-tokens/new", data={"name": "One more"})
    html = response.get_data(as_text=True)
    assert 'href="#name"' in html and "Revoke one you no longer use" in html
    assert db.session.scalar(select(ApiToken).where(ApiToken.name == "One more")) is None


def test_revoke_asks_first_then_revokes(client):
    person = factories.user()
    token, row = create_row(person, name="Export")
    sign_in_browser(client, person)
    confirm = client.get(f"/account/api-tokens/{row.id}/revoke")
    html = confirm.get_data(as_text=True)
    assert confirm.status_code == 200
    assert "Are you sure you want to revoke the token ‘Export’?" in html
    assert db.session.get(ApiToken, row.id).revoked_at is None

    response = client.post(f"/account/api-tokens/{row.id}/revoke")
    assert response.status_code == 302 and response.headers["Location"] == "/account/api-tokens"
    db.session.expire_all()
    assert db.session.get(ApiToken, row.id).revoked_at is not None
    listing = client.get("/account/api-tokens").get_data(as_text=True)
    assert "Token ‘Export’ revoked" in listing
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401
    # Revoked tokens are gone from the pages.
    assert client.get(f"/account/api-tokens/{row.id}/revoke").status_code == 404


def test_a_person_cannot_revoke_someone_elses_token(client):
    owner = factories.user()
    intruder = factories.user(organisation=factories.organisation(), leads=())
    token, row = create_row(owner)
    sign_in_browser(client, intruder)
    assert client.get(f"/account/api-tokens/{row.id}/revoke").status_code == 404
    assert client.post(f"/account/api-tokens/{row.id}/revoke").status_code == 404
    assert client.get("/account/api-tokens/999999/revoke").status_code == 404
    db.session.expire_all()
    assert db.session.get(ApiToken, row.id).revoked_at is None
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200


def test_setting_lead_cannot_revoke_their_staffs_tokens(client):
    school = factories.organisation()
    lead = factories.user(organisation=school, leads=(school,))
    teacher = factories.user(organisation=school)
    _, row = create_row(teacher)
    sign_in_browser(client, lead)
    assert client.post(f"/account/api-tokens/{row.id}/revoke").status_code == 404


def test_admin_sees_and_revokes_anyones_tokens_and_it_is_audited(client):
    admin = factories.user(admin=True)
    owner = factories.user(email="owner@example.org", full_name="Owen Owner")
    token, row = create_row(owner, name="Nightly sync")
    sign_in_browser(client, admin)
    page = client.get(f"/admin/people/{owner.id}/api-tokens")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Owen Owner" in html and "Nightly sync" in html
    assert client.get("/admin/people/999999/api-tokens").status_code == 404

    confirm = client.get(f"/account/api-tokens/{row.id}/revoke").get_data(as_text=True)
    assert "owner@example.org" in confirm
    response = client.post(f"/account/api-tokens/{row.id}/revoke")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/people/{owner.id}/api-tokens"
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "api-token.revoke"))
    assert event.actor_id == admin.id and "owner@example.org" in event.summary


def test_only_admins_see_other_peoples_token_lists(client):
    school = factories.organisation()
    lead = factories.user(organisation=school, leads=(school,))
    teacher = factories.user(organisation=school)
    sign_in_browser(client, lead)
    assert client.get(f"/admin/people/{teacher.id}/api-tokens").status_code == 403


def test_token_pages_are_protected_by_csrf(csrf_app, client):
    person = factories.user()
    _, row = create_row(person)
    sign_in_browser(client, person)
    assert client.post("/account/api-tokens/new", data={"name": "No CSRF"}).status_code == 400
    assert client.post(f"/account/api-tokens/{row.id}/revoke").status_code == 400
    db.session.expire_all()
    assert db.session.get(ApiToken, row.id).revoked_at is None
    assert db.session.scalar(select(ApiToken).where(ApiToken.name == "No CSRF")) is None

    page = client.get("/account/api-tokens/new").get_data(as_text=True)
    response = client.post("/account/api-tokens/new", data={"name": "With CSRF", "csrf_token": csrf_token_from(page)})
    assert response.status_code == 200 and "Copy this token now" in response.get_data(as_text=True)
