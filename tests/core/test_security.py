import pytest

from lms import create_app
from lms.extensions import db
from tests import factories
from tests.conftest import csrf_token_from


def test_security_headers_on_pages(client):
    for path in ("/", "/sign-in", "/register", "/no-such-page"):
        response = client.get(path)
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp
        assert "frame-ancestors 'none'" in csp
        assert "'unsafe-inline'" not in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert response.headers["X-Frame-Options"] == "DENY"


def test_inline_script_carries_the_nonce(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    nonce = csp.split("'nonce-")[1].split("'")[0]
    assert f'<script nonce="{nonce}">' in response.data.decode()


def test_form_without_csrf_token_is_refused(csrf_app):
    client = csrf_app.test_client()
    person = factories.user("ann@example.org")
    db.session.commit()
    response = client.post("/sign-in", data={"email": person.email, "password": factories.PASSWORD})
    assert response.status_code == 400
    assert b"Your form has expired" in response.data
    # With the token from the form it works.
    token = csrf_token_from(client.get("/sign-in").data.decode())
    response = client.post("/sign-in", data={"email": person.email, "password": factories.PASSWORD, "csrf_token": token})
    assert response.status_code == 302


def test_registration_without_csrf_creates_nothing(csrf_app):
    from sqlalchemy import func, select

    from lms.accounts.models import User

    client = csrf_app.test_client()
    response = client.post("/register", data={"full_name": "X", "email": "x@example.org", "password": "lantern meadow copper violin"})
    assert response.status_code == 400
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_error_pages_use_the_service_layout(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert b"Page not found" in response.data
    assert b"govuk-template" in response.data
    person = factories.user()
    db.session.commit()
    factories.sign_in(client, person)
    response = client.get("/admin/")
    assert response.status_code == 403
    assert b"You cannot see this page" in response.data


def test_server_error_page(app):
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"])

    @app.get("/test-boom")
    def boom():  # pragma: no cover - the route exists only for this test
        raise RuntimeError("boom")

    response = app.test_client().get("/test-boom")
    assert response.status_code == 500
    assert b"Sorry, there is a problem with the service" in response.data
    assert b"boom" not in response.data


@pytest.mark.no_database
def test_production_refuses_to_start_without_secrets(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY, DATABASE_URL"):
        create_app("production")


@pytest.mark.no_database
def test_production_cookies_are_secure(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/p.sqlite")
    app = create_app("production")
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    response = app.test_client().get("/health")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
