"""Helpers for the API tests: tokens, bearer requests, a signed-in browser, and checking
responses against the OpenAPI document."""
from __future__ import annotations

import pytest
from openapi_schema_validator import OAS31Validator

from lms import create_app
from lms.api import tokens_bp
from lms.api.services import create_token
from lms.extensions import db
from tests.conftest import NOW, _database_url


@pytest.fixture(scope="session")
def app(app, tmp_path_factory):
    """The shared app, once lms/__init__.py registers the token pages' blueprint. Until
    then, an app of our own with that blueprint added (Flask does not allow adding one to
    an app that has already served requests)."""
    if "api_tokens" in app.blueprints:
        yield app
        return
    own = create_app("testing", SQLALCHEMY_DATABASE_URI=_database_url(tmp_path_factory), WTF_CSRF_ENABLED=False)
    own.register_blueprint(tokens_bp)
    with own.app_context():
        db.create_all()
    yield own
    with own.app_context():
        db.session.remove()
        db.engine.dispose()


def make_token(person, name: str = "Test token") -> str:
    token, _ = create_token(person, name=name, now=NOW)
    db.session.commit()
    return token


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def sign_in_browser(client, person) -> None:
    """A signed-in browser, through the server-side session (not the sign-in form)."""
    from lms.accounts import services as accounts
    from lms.core.time import utcnow

    token = accounts.start_session(person, now=utcnow())
    db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = token
        session["_fresh"] = True


def response_schema(spec: dict, path: str, method: str = "get", status: str = "200") -> dict:
    operation = spec["paths"][path][method]
    response = operation["responses"][status]
    if "$ref" in response:
        response = spec["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    return response["content"]["application/json"]["schema"]


def _closed(schema):
    """A copy in which every described object allows no undocumented properties."""
    if isinstance(schema, list):
        return [_closed(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    copy = {key: _closed(value) for key, value in schema.items()}
    if "properties" in copy and isinstance(copy["properties"], dict) and copy.get("type") == "object":
        copy.setdefault("additionalProperties", False)
    return copy


def assert_matches(spec: dict, schema: dict, instance) -> None:
    """Validate `instance` against `schema`, resolving #/components refs in `spec`. Objects
    may carry no property the document does not describe."""
    document = _closed({**schema, "components": spec["components"]})
    OAS31Validator(document).validate(instance)


@pytest.fixture()
def spec(client):
    return client.get("/api/v1/openapi.json").json
