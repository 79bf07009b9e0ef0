"""The OpenAPI 3.1 document served at /api/v1/openapi.json, generated with apispec from
the schemas in lms/api/schemas/ and each route's `describe(...)`.

Every route on the API blueprint must be described: building the document fails for one
that is not, and a test checks that the document and the routes match.
"""
from __future__ import annotations

import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import current_app
from marshmallow import Schema, fields

from lms.api import bp
from lms.api.fields import described
from lms.api.paging import page_args_schema
from lms.api.schemas import Error

OPENAPI_VERSION = "3.1.0"
API_VERSION = "1.0.0"
SERVER_PATH = "/api/v1"

ERROR_RESPONSES = {
    400: ("BadRequest", "A parameter is missing or malformed; `errors` names it."),
    401: ("Unauthorized", "No token, or a token that is unknown, revoked or of a closed account."),
    403: ("Forbidden", "The token's owner may not do this."),
    404: ("NotFound", "No such thing, or the caller may not see it."),
    405: ("MethodNotAllowed", "The path exists but not with this method."),
    409: ("Conflict", "The request conflicts with the current state."),
    422: ("UnprocessableEntity", "The request body broke a rule; `errors` names the fields."),
    500: ("ServerError", "Something went wrong on the server. No details are given."),
}

TAGS = [
    ("people", "The caller and the people they may see."),
    ("organisations", "Schools, settings, teams and agencies."),
    ("courses", "The course catalogue."),
    ("learning", "E-learning enrolments and the training record."),
    ("compliance", "Refresh deadlines: who is current, due soon or overdue."),
    ("bookings", "Sessions of courses, and booking places on them."),
    ("programmes", "The DSL network twilight series and Safeguarding Week: their terms or days and sessions."),
    ("certificates", "Certificates of completed training, checked by code."),
    ("reports", "Uptake figures for partnership reports."),
    ("reference", "Codes used across the API."),
    ("meta", "About the API itself."),
]

BODY_ERRORS = "A body that is not a JSON object is a 400; a missing or malformed field is a 422 naming it."


def path_id(description: str) -> fields.Integer:
    """A path parameter that is an id: a whole number from 1."""
    return fields.Integer(required=True, **described(description, minimum=1))


def path_text(description: str, max_length: int) -> fields.String:
    return fields.String(required=True, **described(description, maxLength=max_length))


def describe(
    operation_id: str,
    summary: str,
    *,
    tag: str,
    response,
    description: str | None = None,
    path: dict[str, fields.Field] | None = None,
    query: type[Schema] | None = None,
    paged: bool = False,
    errors: tuple[int, ...] = (),
    public: bool = False,
    body: type[Schema] | None = None,
    body_description: str | None = None,
    body_required: bool = True,
    ok: str | None = "OK",
    created: str | None = None,
    other: dict[int, tuple[str, type[Schema]]] | None = None,
):
    """Describe a route for the OpenAPI document (put it under the route decorator).

    `response` is the schema of the 200 answer (and of the 201 one when `created` says what
    that means; `ok=None` when there is no 200). Authenticated operations may always answer
    401 and 500, public ones 500. `other` adds answers with their own schema."""

    def decorate(view):
        view.api_description = {
            "operation_id": operation_id, "summary": summary, "tag": tag, "response": response,
            "description": description, "path": path or {}, "query": query, "paged": paged,
            "errors": tuple(errors), "public": public, "body": body, "body_description": body_description,
            "body_required": body_required, "ok": ok, "created": created, "other": other or {},
        }
        return view

    return decorate


def _json(schema) -> dict:
    return {"application/json": {"schema": schema}}


def _operation(about: dict) -> dict:
    parameters: list = []
    if about["path"]:
        parameters.append({"in": "path", "schema": Schema.from_dict(about["path"], name="PathArgs")})
    if about["query"] is not None:
        parameters.append({"in": "query", "schema": about["query"]})
    if about["paged"]:
        parameters += ["page", "per_page"]  # references to the components below
    responses: dict = {}
    if about["ok"]:
        responses["200"] = {"description": about["ok"], "content": _json(about["response"])}
    if about["created"]:
        responses["201"] = {"description": about["created"], "content": _json(about["response"])}
    codes = set(about["errors"]) | ({500} if about["public"] else {401, 500})
    for code in codes:
        responses[str(code)] = {"$ref": f"#/components/responses/{ERROR_RESPONSES[code][0]}"}
    for code, (description, schema) in about["other"].items():
        responses[str(code)] = {"description": description, "content": _json(schema)}
    operation = {
        "operationId": about["operation_id"],
        "summary": about["summary"],
        "tags": [about["tag"]],
        "responses": dict(sorted(responses.items())),
    }
    if about["description"]:
        operation["description"] = about["description"]
    if parameters:
        operation["parameters"] = parameters
    if about["body"] is not None:
        operation["requestBody"] = {
            "required": about["body_required"], "description": about["body_description"],
            "content": _json(about["body"]),
        }
    if about["public"]:
        operation["security"] = []
    return operation


def _openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule[len(SERVER_PATH):])


def _described_routes(app):
    """(OpenAPI path, method, description) for every route of the API blueprint."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule):
        if rule.endpoint.partition(".")[0] != bp.name:
            continue
        about = getattr(app.view_functions[rule.endpoint], "api_description", None)
        if about is None:
            raise LookupError(f"{rule.endpoint} ({rule.rule}) is not described: add describe(...) to the route")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield _openapi_path(rule.rule), method.lower(), about


def build_spec() -> dict:
    app = current_app
    spec = APISpec(
        title=f"{app.config['SERVICE_NAME']} API",
        version=API_VERSION,
        openapi_version=OPENAPI_VERSION,
        plugins=[MarshmallowPlugin()],
        info={
            "description": (
                "Read and act on the partnership's training data with a personal API token. "
                "Create one at /account/api-tokens and send it as `Authorization: Bearer <token>`. "
                "Each token has its owner's rights. Reference data is named by stable codes. "
                "Errors are JSON: {\"error\", \"message\", \"errors\"}."
            ),
        },
        servers=[{"url": SERVER_PATH}],
        security=[{"bearerAuth": []}],
    )
    for name, description in TAGS:
        spec.tag({"name": name, "description": description})
    spec.components.security_scheme("bearerAuth", {
        "type": "http",
        "scheme": "bearer",
        "description": "A personal API token, made at /account/api-tokens or with `flask lms token create EMAIL`.",
    })
    spec.components.schema("Error", schema=Error)
    for code, (name, description) in ERROR_RESPONSES.items():
        response = {"description": description, "content": _json(Error)}
        if code == 401:
            response["headers"] = {"WWW-Authenticate": {
                "description": 'Bearer realm="api" (with error="invalid_token" for a bad token).',
                "schema": {"type": "string"},
            }}
        spec.components.response(name, response)
    converter = spec.plugins[0].converter
    for parameter in converter.schema2parameters(page_args_schema(app.config), location="query"):
        spec.components.parameter(parameter["name"], "query", parameter)

    operations: dict[str, dict] = {}
    for path, method, about in _described_routes(app):
        operations.setdefault(path, {})[method] = _operation(about)
    for path, methods in operations.items():
        spec.path(path=path, operations=methods)
    return spec.to_dict()
