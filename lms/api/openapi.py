"""The OpenAPI 3.1 document served at /api/v1/openapi.json.

Built as a plain dict so it grows with each feature: add the new schemas to SCHEMAS and
one `_route(...)` entry per new route in `_paths()`. A test checks that every route under
/api/v1 is described here (and nothing else is), validates the document, and checks real
responses against the schemas.
"""
from __future__ import annotations

from flask import current_app

from lms.api.params import MAX_PAGE

OPENAPI_VERSION = "3.1.0"
API_VERSION = "1.0.0"
SERVER_PATH = "/api/v1"


# --- small helpers --------------------------------------------------------------------

def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: dict) -> dict:
    """The schema, or null."""
    if "$ref" in schema:
        return {"anyOf": [schema, {"type": "null"}]}
    schema = dict(schema)
    schema["type"] = [schema["type"], "null"]
    return schema


def string(description: str | None = None, **extra) -> dict:
    schema = {"type": "string", **extra}
    if description:
        schema["description"] = description
    return schema


def integer(description: str | None = None, **extra) -> dict:
    schema = {"type": "integer", **extra}
    if description:
        schema["description"] = description
    return schema


def boolean(description: str | None = None) -> dict:
    schema: dict = {"type": "boolean"}
    if description:
        schema["description"] = description
    return schema


def array(items: dict, description: str | None = None) -> dict:
    schema = {"type": "array", "items": items}
    if description:
        schema["description"] = description
    return schema


def obj(properties: dict, *, description: str | None = None, optional: tuple[str, ...] = ()) -> dict:
    """An object whose properties are all required unless named in `optional`."""
    schema = {
        "type": "object",
        "properties": properties,
        "required": [name for name in properties if name not in optional],
    }
    if description:
        schema["description"] = description
    return schema


def page_of(item: str) -> dict:
    return obj(
        {
            "items": array(ref(item)),
            "page": integer("This page's number, from 1.", minimum=1),
            "per_page": integer("Items per page.", minimum=1),
            "total": integer("Items on every page together.", minimum=0),
            "next": nullable(string("The URL of the next page; null on the last page.", format="uri")),
        },
        description=f"One page of {item} items.",
    )


def list_of(item: str) -> dict:
    return obj({"items": array(ref(item))}, description=f"Every {item}.")


def query_param(name: str, schema: dict, description: str, *, required: bool = False) -> dict:
    return {"name": name, "in": "query", "required": required, "description": description, "schema": schema}


def path_param(name: str, description: str) -> dict:
    return {"name": name, "in": "path", "required": True, "description": description, "schema": integer(minimum=1)}


def page_params() -> list[dict]:
    return [{"$ref": "#/components/parameters/page"}, {"$ref": "#/components/parameters/per_page"}]


def json_content(schema: dict) -> dict:
    return {"application/json": {"schema": schema}}


def error_refs(*codes: int) -> dict:
    return {str(code): {"$ref": f"#/components/responses/{ERROR_RESPONSES[code][0]}"} for code in codes}


def operation(
    operation_id: str,
    summary: str,
    *,
    tag: str,
    response: dict,
    description: str | None = None,
    parameters: list[dict] | None = None,
    errors: tuple[int, ...] = (),
    public: bool = False,
) -> dict:
    """One operation. Authenticated operations may always answer 401 and 500."""
    codes = tuple(sorted(set(errors) | ({500} if public else {401, 500})))
    op = {
        "operationId": operation_id,
        "summary": summary,
        "tags": [tag],
        "responses": {"200": {"description": "OK", "content": json_content(response)}, **error_refs(*codes)},
    }
    if description:
        op["description"] = description
    if parameters:
        op["parameters"] = parameters
    if public:
        op["security"] = []
    return op


def _route(paths: dict, path: str, method: str, op: dict) -> None:
    if method in paths.setdefault(path, {}):
        raise ValueError(f"{method.upper()} {path} is described twice")
    paths[path][method] = op


# --- schemas --------------------------------------------------------------------------

FIELD_ERROR = obj(
    {
        "field": string("The parameter or field the message is about."),
        "message": string("What is wrong, and how to put it right."),
    }
)

ERROR = obj(
    {
        "error": string(
            "The HTTP status name in lower case with hyphens.",
            enum=[
                "bad-request", "unauthorized", "forbidden", "not-found", "method-not-allowed",
                "conflict", "unprocessable-entity", "server-error",
            ],
        ),
        "message": string("A sentence for people."),
        "errors": array(ref("FieldError"), "One entry per bad parameter or field, when relevant."),
    },
    optional=("errors",),
    description="Every error from the API has this shape.",
)

ORGANISATION = obj(
    {
        "id": integer(),
        "name": string(),
        "type": string("Organisation type code, e.g. primary-school."),
        "sector": string("Sector code, e.g. education."),
        "area": nullable(string("Area code.")),
        "urn": nullable(string("DfE URN or Ofsted number.")),
        "active": boolean("False once the organisation has closed or merged."),
    }
)

ORGANISATION_SUMMARY = obj({"id": integer(), "name": string()})

JOB_ROLE_HELD = obj(
    {
        "code": string("Job role code, e.g. school-dsl."),
        "name": string(),
        "started_on": string(format="date"),
        "ended_on": nullable(string("Null while the role is held.", format="date")),
    }
)

PERSON_PROPERTIES = {
    "id": integer(),
    "email": string(format="email"),
    "full_name": string(),
    "active": boolean("False once the account has been closed."),
    "organisation": nullable(ref("Organisation")),
    "job_roles": array(ref("JobRoleHeld"), "Every job role, current and past, oldest first."),
}

PERSON = obj(PERSON_PROPERTIES)

ME = obj(
    {
        **PERSON_PROPERTIES,
        "roles": array(
            string(enum=["practitioner", "setting-lead", "trainer", "admin"]),
            "What the caller may do. Everyone is a practitioner.",
        ),
        "led_organisations": array(ref("OrganisationSummary"), "Organisations the caller leads as a setting lead."),
    },
    description="The person the token belongs to.",
)

REFERENCE_ITEM = obj({"code": string("Stable code; never changes."), "name": string("May be edited by admins.")})

ORGANISATION_TYPE = obj(
    {"code": string("Stable code; never changes."), "name": string(), "sector": string("Default sector code.")}
)

JOB_ROLE = obj(
    {"code": string("Stable code; never changes."), "name": string(), "active": boolean("False if no longer offered.")}
)

SCHEMAS = {
    "Error": ERROR,
    "FieldError": FIELD_ERROR,
    "Organisation": ORGANISATION,
    "OrganisationSummary": ORGANISATION_SUMMARY,
    "JobRoleHeld": JOB_ROLE_HELD,
    "Person": PERSON,
    "Me": ME,
    "ReferenceItem": REFERENCE_ITEM,
    "OrganisationType": ORGANISATION_TYPE,
    "JobRole": JOB_ROLE,
    "OrganisationPage": page_of("Organisation"),
    "PersonPage": page_of("Person"),
    "ReferenceList": list_of("ReferenceItem"),
    "OrganisationTypeList": list_of("OrganisationType"),
    "JobRoleList": list_of("JobRole"),
}

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


def _responses() -> dict:
    responses = {}
    for code, (name, description) in ERROR_RESPONSES.items():
        response = {"description": description, "content": json_content(ref("Error"))}
        if code == 401:
            response["headers"] = {
                "WWW-Authenticate": {
                    "description": 'Bearer realm="api" (with error="invalid_token" for a bad token).',
                    "schema": string(),
                }
            }
        responses[name] = response
    return responses


def _parameters() -> dict:
    config = current_app.config
    return {
        "page": query_param("page", integer(minimum=1, maximum=MAX_PAGE, default=1), "Page number, from 1."),
        "per_page": query_param(
            "per_page",
            integer(minimum=1, maximum=config["API_MAX_PAGE_SIZE"], default=config["API_PAGE_SIZE"]),
            f"Items per page, at most {config['API_MAX_PAGE_SIZE']}.",
        ),
    }


# --- paths: one entry per route -------------------------------------------------------

def _paths() -> dict:
    paths: dict = {}
    _route(paths, "/openapi.json", "get", operation(
        "getOpenApi", "This document", tag="meta", public=True,
        response={"type": "object", "description": "An OpenAPI 3.1 document."},
    ))
    _route(paths, "/me", "get", operation(
        "getMe", "The person the token belongs to", tag="people", response=ref("Me"),
    ))
    _route(paths, "/organisations", "get", operation(
        "listOrganisations", "Organisations, by name", tag="organisations",
        response=ref("OrganisationPage"), errors=(400,),
        description="Any caller may list organisations. Unknown codes are a 400 naming the parameter.",
        parameters=[
            query_param("q", string(maxLength=200), "Part of the name (any case)."),
            query_param("type", string(), "Organisation type code, e.g. primary-school."),
            query_param("sector", string(), "Sector code, e.g. early-years."),
            query_param("area", string(), "Area code."),
            query_param("active", boolean(), "true for open organisations only, false for closed ones."),
            *page_params(),
        ],
    ))
    _route(paths, "/organisations/{organisation_id}", "get", operation(
        "getOrganisation", "One organisation", tag="organisations", response=ref("Organisation"),
        errors=(404,), parameters=[path_param("organisation_id", "The organisation's id.")],
    ))
    _route(paths, "/people", "get", operation(
        "listPeople", "People the caller may see, by name", tag="people",
        response=ref("PersonPage"), errors=(400,),
        description=(
            "Admins see everyone; setting leads see the people of the organisations they lead, "
            "and themselves; everyone else sees only themselves."
        ),
        parameters=[
            query_param("email", string(maxLength=254), "Exact email address (any case)."),
            query_param("organisation_id", integer(minimum=1), "Only people of this organisation."),
            *page_params(),
        ],
    ))
    _route(paths, "/people/{person_id}", "get", operation(
        "getPerson", "One person the caller may see", tag="people", response=ref("Person"),
        errors=(404,), parameters=[path_param("person_id", "The person's id.")],
        description="404 both when no such person exists and when the caller may not see them.",
    ))
    for kind, schema, summary in (
        ("sectors", "ReferenceList", "Sectors"),
        ("organisation-types", "OrganisationTypeList", "Organisation types, with their default sector"),
        ("job-roles", "JobRoleList", "Job roles"),
        ("areas", "ReferenceList", "The partnership's areas (localities)"),
    ):
        operation_id = "list" + "".join(part.title() for part in kind.split("-"))
        _route(paths, f"/reference/{kind}", "get", operation(
            operation_id, summary, tag="reference", response=ref(schema),
        ))
    return paths


def build_spec() -> dict:
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": f"{current_app.config['SERVICE_NAME']} API",
            "version": API_VERSION,
            "description": (
                "Read and act on the partnership's training data with a personal API token. "
                "Create one at /account/api-tokens and send it as `Authorization: Bearer <token>`. "
                "Each token has its owner's rights. Reference data is named by stable codes. "
                "Errors are JSON: {\"error\", \"message\", \"errors\"}."
            ),
        },
        "servers": [{"url": SERVER_PATH}],
        "security": [{"bearerAuth": []}],
        "tags": [
            {"name": "people", "description": "The caller and the people they may see."},
            {"name": "organisations", "description": "Schools, settings, teams and agencies."},
            {"name": "reference", "description": "Codes used across the API."},
            {"name": "meta", "description": "About the API itself."},
        ],
        "paths": _paths(),
        "components": {
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": (
                        "A personal API token, made at /account/api-tokens "
                        "or with `flask lms token create EMAIL`."
                    ),
                }
            },
            "schemas": SCHEMAS,
            "parameters": _parameters(),
            "responses": _responses(),
        },
    }
