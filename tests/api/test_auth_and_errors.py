"""Bearer authentication, the browser session being refused, JSON errors, and the CLI."""
from datetime import timedelta

from sqlalchemy import select

from lms.api.models import ApiToken
from lms.api.services import revoke_token
from lms.core.time import utcnow
from lms.extensions import db
from tests import factories
from tests.api.conftest import assert_matches, bearer, make_token, response_schema, sign_in_browser


def assert_json_error(response, status: int, error: str):
    assert response.status_code == status
    assert response.mimetype == "application/json"
    body = response.json
    assert body["error"] == error
    assert isinstance(body["message"], str) and body["message"]
    assert "Traceback" not in response.get_data(as_text=True)
    assert "<html" not in response.get_data(as_text=True).lower()
    return body


def test_missing_token_is_401_with_a_bearer_challenge(client):
    response = client.get("/api/v1/me")
    body = assert_json_error(response, 401, "unauthorized")
    assert "Authorization: Bearer" in body["message"]
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'


def test_other_schemes_and_query_string_tokens_are_refused(client):
    token = make_token(factories.user())
    assert client.get("/api/v1/me", headers={"Authorization": f"Basic {token}"}).status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": token}).status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer "}).status_code == 401
    assert client.get(f"/api/v1/me?access_token={token}").status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": f"bearer {token}"}).status_code == 200


def test_unknown_token_is_401_invalid_token(client):
    make_token(factories.user())
    for value in ("lms_not-a-real-token", "x" * 5000):
        response = client.get("/api/v1/me", headers=bearer(value))
        assert_json_error(response, 401, "unauthorized")
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="api", error="invalid_token"'


def test_revoked_token_is_refused(client, now):
    person = factories.user()
    token = make_token(person)
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    revoke_token(person, db.session.scalar(select(ApiToken)), now=now)
    db.session.commit()
    assert_json_error(client.get("/api/v1/me", headers=bearer(token)), 401, "unauthorized")


def test_token_of_a_closed_account_is_refused(client):
    person = factories.user()
    token = make_token(person)
    person.active = False
    db.session.commit()
    assert_json_error(client.get("/api/v1/me", headers=bearer(token)), 401, "unauthorized")


def test_browser_session_is_not_accepted_by_the_api(client):
    person = factories.user(admin=True)
    sign_in_browser(client, person)
    assert client.get("/account/api-tokens").status_code == 200  # the browser is signed in
    for path in ("/api/v1/me", "/api/v1/people", "/api/v1/organisations", "/api/v1/reference/sectors"):
        assert_json_error(client.get(path), 401, "unauthorized")


def test_token_decides_who_calls_even_with_someone_elses_cookie(client):
    admin = factories.user(admin=True)
    practitioner = factories.user(email="pat@example.org")
    sign_in_browser(client, admin)
    token = make_token(practitioner)
    response = client.get("/api/v1/people", headers=bearer(token))
    assert [p["email"] for p in response.json["items"]] == ["pat@example.org"]


def test_use_is_recorded_on_the_token(client):
    person = factories.user()
    token = make_token(person)
    before = utcnow()
    client.get("/api/v1/me", headers=bearer(token))
    db.session.expire_all()
    row = db.session.scalar(select(ApiToken))
    assert row.last_used_at is not None and row.last_used_at >= before - timedelta(seconds=1)


def test_unknown_route_under_api_is_json_404(client):
    token = make_token(factories.user())
    assert_json_error(client.get("/api/v1/nothing-here", headers=bearer(token)), 404, "not-found")
    assert_json_error(client.get("/api/v1/nothing-here"), 404, "not-found")
    assert_json_error(client.get("/api/v2/me"), 404, "not-found")


def test_wrong_method_is_json_405(client):
    token = make_token(factories.user())
    assert_json_error(client.post("/api/v1/me", headers=bearer(token)), 405, "method-not-allowed")
    assert_json_error(client.delete("/api/v1/people", headers=bearer(token)), 405, "method-not-allowed")


def test_unexpected_failure_is_json_500_without_details(app, client, spec):
    token = make_token(factories.user())

    def broken():
        raise RuntimeError("secret internal detail")

    original = app.view_functions["api.me"]
    app.view_functions["api.me"] = broken
    try:
        response = client.get("/api/v1/me", headers=bearer(token))
    finally:
        app.view_functions["api.me"] = original
    body = assert_json_error(response, 500, "server-error")
    assert "secret internal detail" not in response.get_data(as_text=True)
    assert_matches(spec, response_schema(spec, "/me", status="500"), body)


def test_error_bodies_match_the_documented_shape(client, spec):
    token = make_token(factories.user())
    response = client.get("/api/v1/people?per_page=nope", headers=bearer(token))
    body = assert_json_error(response, 400, "bad-request")
    assert body["errors"] == [{"field": "per_page", "message": body["message"]}]
    assert_matches(spec, response_schema(spec, "/people", status="400"), body)
    assert_matches(spec, response_schema(spec, "/me", status="401"), client.get("/api/v1/me").json)


def test_cli_token_create_prints_only_a_working_token(runner, client):
    factories.user(email="dsl@example.org")
    db.session.commit()
    result = runner.invoke(args=["lms", "token", "create", "DSL@example.org", "--name", "MIS"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 1
    token = lines[0]
    assert token.startswith("lms_") and " " not in token
    db.session.remove()
    response = client.get("/api/v1/me", headers=bearer(token))
    assert response.status_code == 200 and response.json["email"] == "dsl@example.org"
    row = db.session.scalar(select(ApiToken))
    assert row.name == "MIS" and row.prefix == token[:12]


def test_cli_token_create_for_unknown_email_fails(runner):
    result = runner.invoke(args=["lms", "token", "create", "nobody@example.org"])
    assert result.exit_code != 0
    assert "No account" in result.output
    assert db.session.scalar(select(ApiToken)) is None


def test_cli_makes_a_read_only_token_that_expires(runner, client):
    factories.user(email="analyst@example.org", admin=True)
    db.session.commit()
    refused = runner.invoke(args=["lms", "token", "create", "analyst@example.org", "--read-only"])
    assert refused.exit_code != 0 and "expires" in refused.output and "--expires-in" in refused.output
    too_long = runner.invoke(args=["lms", "token", "create", "analyst@example.org", "--expires-in", "400"])
    assert too_long.exit_code != 0 and "400" in too_long.output
    assert db.session.scalar(select(ApiToken)) is None
    result = runner.invoke(args=["lms", "token", "create", "analyst@example.org", "--name", "Power BI",
                                 "--read-only", "--expires-in", "90"])
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    db.session.remove()
    row = db.session.scalar(select(ApiToken))
    assert row.read_only and row.name == "Power BI"
    lifetime = row.expires_at - row.created_at
    assert lifetime.days == 90
    assert client.get("/api/v1/completions", headers=bearer(token)).status_code == 200
    refused = client.post("/api/v1/me/enrolments", json={"course": "SGE"}, headers=bearer(token))
    assert refused.status_code == 403 and "read-only" in refused.json["message"]
