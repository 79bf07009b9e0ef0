from datetime import timedelta

from sqlalchemy import func, select, update

from lms.accounts.models import LoginAttempt, UserSession
from lms.core.time import utcnow
from lms.extensions import db
from tests import factories
from tests.accounts.helpers import link_in, outbox


def test_sign_in_and_out_revokes_the_server_session(client):
    person = factories.user("ann@example.org", full_name="Ann Example")
    db.session.commit()
    response = factories.sign_in(client, person)
    assert response.status_code == 302
    assert b"Hello, Ann Example" in client.get("/").data
    cookie = client.get_cookie("lms_session")
    assert cookie.http_only
    assert cookie.same_site == "Lax"

    # Sign out through the confirmation form.
    assert client.get("/sign-out").status_code == 200
    response = client.post("/sign-out")
    assert response.status_code == 302
    assert db.session.scalar(select(UserSession.revoked_at)) is not None

    # Replaying the old cookie does not bring the session back.
    client.set_cookie(cookie.key, cookie.value)
    assert client.get("/account").status_code == 302


def test_wrong_password_gives_one_message_for_unknown_and_known_accounts(client):
    factories.user("ann@example.org")
    db.session.commit()
    wrong = client.post("/sign-in", data={"email": "ann@example.org", "password": "not the password"})
    unknown = client.post("/sign-in", data={"email": "zed@example.org", "password": "not the password"})
    for response in (wrong, unknown):
        assert response.status_code == 400
        assert b"Enter a correct email address and password" in response.data
        assert b"There is a problem" in response.data
    assert db.session.scalar(select(func.count(LoginAttempt.id))) == 2


def test_empty_fields_show_errors(client):
    response = client.post("/sign-in", data={"email": "", "password": ""})
    assert b"Enter your email address" in response.data
    assert b"Enter your password" in response.data


def test_account_locks_after_repeated_failures(client, app):
    person = factories.user("ann@example.org")
    db.session.commit()
    limit = app.config["SIGNIN_MAX_FAILURES_PER_ACCOUNT"]
    for _ in range(limit):
        client.post("/sign-in", data={"email": "ann@example.org", "password": "wrong password here"})
    response = factories.sign_in(client, person)  # the right password, now refused
    assert response.status_code == 429
    assert b"Too many attempts to sign in to this account" in response.data
    # Other accounts are not affected.
    other = factories.user("bob@example.org")
    db.session.commit()
    assert factories.sign_in(client, other).status_code == 302


def test_lock_expires_after_the_window(client, app):
    person = factories.user("ann@example.org")
    db.session.commit()
    for _ in range(app.config["SIGNIN_MAX_FAILURES_PER_ACCOUNT"]):
        client.post("/sign-in", data={"email": "ann@example.org", "password": "wrong password here"})
    window = app.config["SIGNIN_LOCK_WINDOW"]
    db.session.execute(update(LoginAttempt).values(created_at=utcnow() - window - timedelta(seconds=1)))
    db.session.commit()
    assert factories.sign_in(client, person).status_code == 302


def test_address_limit_covers_many_accounts(client, app):
    ceiling = app.config["SIGNIN_MAX_FAILURES_PER_ADDRESS"]
    app.config["SIGNIN_MAX_FAILURES_PER_ADDRESS"] = 5
    try:
        target = factories.user("target@example.org")
        db.session.commit()
        for n in range(5):
            client.post("/sign-in", data={"email": f"guess{n}@example.org", "password": "wrong password"})
        response = factories.sign_in(client, target)
        assert response.status_code == 429
        assert b"Too many attempts to sign in from your network" in response.data
    finally:
        app.config["SIGNIN_MAX_FAILURES_PER_ADDRESS"] = ceiling


def test_closed_account_cannot_sign_in(client):
    person = factories.user("ann@example.org")
    person.active = False
    db.session.commit()
    response = factories.sign_in(client, person)
    assert b"This account has been closed" in response.data


def test_idle_timeout(client, app):
    person = factories.user("ann@example.org")
    db.session.commit()
    factories.sign_in(client, person)
    assert client.get("/account").status_code == 200
    idle = app.config["SESSION_IDLE_TIMEOUT"]
    db.session.execute(update(UserSession).values(last_seen_at=utcnow() - idle - timedelta(minutes=1)))
    db.session.commit()
    response = client.get("/account")
    assert response.status_code == 302
    assert "/sign-in" in response.headers["Location"]
    assert db.session.scalar(select(UserSession.revoked_at)) is not None


def test_absolute_timeout(client, app):
    person = factories.user("ann@example.org")
    db.session.commit()
    factories.sign_in(client, person)
    absolute = app.config["SESSION_ABSOLUTE_TIMEOUT"]
    db.session.execute(update(UserSession).values(created_at=utcnow() - absolute - timedelta(minutes=1)))
    db.session.commit()
    assert client.get("/account").status_code == 302


def test_activity_keeps_the_session_alive(client, app):
    person = factories.user("ann@example.org")
    db.session.commit()
    factories.sign_in(client, person)
    idle = app.config["SESSION_IDLE_TIMEOUT"]
    db.session.execute(update(UserSession).values(last_seen_at=utcnow() - idle + timedelta(minutes=2)))
    db.session.commit()
    assert client.get("/account").status_code == 200
    db.session.expire_all()
    last_seen = db.session.scalar(select(UserSession.last_seen_at))
    assert utcnow() - last_seen < timedelta(minutes=1)


def test_next_only_redirects_within_the_site(client):
    person = factories.user("ann@example.org")
    db.session.commit()
    response = client.post(
        "/sign-in?next=https://evil.example/steal", data={"email": person.email, "password": factories.PASSWORD}
    )
    assert response.headers["Location"] == "/"
    client.post("/sign-out")
    response = client.post("/sign-in?next=/account", data={"email": person.email, "password": factories.PASSWORD})
    assert response.headers["Location"] == "/account"


def test_login_required_pages_redirect_to_sign_in(client):
    response = client.get("/account")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in?next=")


def test_password_reset_journey(client):
    person = factories.user("ann@example.org")
    db.session.commit()
    factories.sign_in(client, person)  # an existing session that the reset must end
    other_client = client.application.test_client()
    response = other_client.post("/forgot-password", data={"email": "ANN@example.org"})
    assert b"Check your email" in response.data
    [email] = outbox("ann@example.org")
    link = link_in(email)
    assert other_client.get(link).status_code == 200

    weak = other_client.post(link, data={"password": "short"})
    assert b"Password must be 10 characters or more" in weak.data

    response = other_client.post(link, data={"password": "river granite lantern oak"})
    assert response.status_code == 302
    # Single use.
    assert other_client.get(link).status_code == 400
    # Old password refused, new one works; the earlier session was ended.
    assert client.get("/account").status_code == 302
    assert factories.sign_in(other_client, person).status_code == 400
    response = other_client.post("/sign-in", data={"email": "ann@example.org", "password": "river granite lantern oak"})
    assert response.status_code == 302


def test_a_reset_retires_every_earlier_reset_link(client):
    person = factories.user("ann@example.org")
    db.session.commit()
    client.post("/forgot-password", data={"email": "ann@example.org"})
    client.post("/forgot-password", data={"email": "ann@example.org"})
    older, newer = (link_in(email) for email in outbox("ann@example.org"))
    assert client.post(newer, data={"password": "river granite lantern oak"}).status_code == 302
    # The older link, never used, no longer sets a password.
    assert client.get(older).status_code == 400
    refused = client.post(older, data={"password": "someone else's chosen words"})
    assert refused.status_code == 400 and b"This link has expired" in refused.data
    response = client.post("/sign-in", data={"email": person.email, "password": "river granite lantern oak"})
    assert response.status_code == 302


def test_changing_the_password_retires_reset_links(client):
    person = factories.user("ann@example.org")
    db.session.commit()
    client.post("/forgot-password", data={"email": "ann@example.org"})
    link = link_in(outbox("ann@example.org")[0])
    factories.sign_in(client, person)
    changed = client.post("/account/password", data={
        "current_password": factories.PASSWORD, "new_password": "river granite lantern oak"})
    assert changed.status_code == 302, changed.data[-1500:]
    assert client.application.test_client().get(link).status_code == 400


def test_reset_link_expires(client, app):
    factories.user("ann@example.org")
    db.session.commit()
    client.post("/forgot-password", data={"email": "ann@example.org"})
    link = link_in(outbox("ann@example.org")[0])
    from lms.accounts.models import AccountToken

    db.session.execute(update(AccountToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    response = client.get(link)
    assert response.status_code == 400
    assert b"This link has expired" in response.data
    assert client.post(link, data={"password": "river granite lantern oak"}).status_code == 400


def test_reset_for_unknown_email_says_the_same_and_sends_nothing(client):
    response = client.post("/forgot-password", data={"email": "nobody@example.org"})
    assert b"Check your email" in response.data
    assert outbox() == []


def test_reset_requests_are_rate_limited_per_account_and_address(client, app):
    factories.user("ann@example.org")
    db.session.commit()
    for _ in range(6):
        client.post("/forgot-password", data={"email": "ann@example.org"})
    assert len(outbox("ann@example.org")) == app.config["RESET_MAX_PER_ACCOUNT"]
    app.config["RESET_MAX_PER_ADDRESS"] = 8
    try:
        for n in range(3):
            client.post("/forgot-password", data={"email": f"x{n}@example.org"})
        response = client.post("/forgot-password", data={"email": "y@example.org"})
        assert b"Too many password reset requests from your network" in response.data
    finally:
        app.config["RESET_MAX_PER_ADDRESS"] = 20


def test_malformed_reset_email(client):
    response = client.post("/forgot-password", data={"email": "not an email"})
    assert b"Enter an email address in the correct format" in response.data
