"""The OpenAPI document: valid, public, and in step with the routes."""
import re

import pytest
from openapi_spec_validator import OpenAPIV31SpecValidator, validate

from lms.api.document import SERVER_PATH

IGNORED_METHODS = {"HEAD", "OPTIONS"}


def api_routes(app) -> set[tuple[str, str]]:
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.rule == SERVER_PATH or rule.rule.startswith(SERVER_PATH + "/"):
            path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule[len(SERVER_PATH):])
            routes |= {(path, method.lower()) for method in rule.methods - IGNORED_METHODS}
    return routes


def documented(spec) -> set[tuple[str, str]]:
    return {(path, method) for path, item in spec["paths"].items() for method in item}


def test_document_is_served_without_a_token_and_is_valid_openapi_3_1(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    spec = response.json
    assert spec["openapi"].startswith("3.1")
    validate(spec, cls=OpenAPIV31SpecValidator)


def test_every_route_is_documented_and_nothing_else(app, spec):
    routes = api_routes(app)
    assert ("/people", "get") in routes  # the rule conversion works
    assert ("/people/{person_id}", "get") in routes
    assert api_routes(app) == documented(spec)


def test_bearer_scheme_and_error_shape_are_described(spec):
    scheme = spec["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert spec["security"] == [{"bearerAuth": []}]
    error = spec["components"]["schemas"]["Error"]
    assert set(error["properties"]) == {"error", "message", "errors"}
    assert set(error["required"]) == {"error", "message"}
    for name in ("BadRequest", "Unauthorized", "Forbidden", "NotFound", "MethodNotAllowed", "Conflict",
                 "UnprocessableEntity", "ServerError"):
        response = spec["components"]["responses"][name]
        assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


def test_each_operation_is_complete(spec):
    operation_ids = []
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            operation_ids.append(operation["operationId"])
            assert operation["summary"] and operation["tags"]
            assert {"200", "201"} & set(operation["responses"]), path
            assert "500" in operation["responses"]
            if operation.get("security") == []:
                assert path == "/openapi.json" or path.startswith("/public/"), path
            else:
                assert "401" in operation["responses"], path
            for name in re.findall(r"{([a-z_]+)}", path):
                parameters = operation.get("parameters", [])
                assert any(p.get("name") == name and p.get("in") == "path" for p in parameters), path
            if "page" in str(operation["responses"].get("200", "")):
                assert {"$ref": "#/components/parameters/page"} in operation["parameters"]
                assert {"$ref": "#/components/parameters/per_page"} in operation["parameters"]
    assert len(operation_ids) == len(set(operation_ids))


def test_page_size_limit_comes_from_config(app, spec):
    per_page = spec["components"]["parameters"]["per_page"]["schema"]
    assert per_page["maximum"] == app.config["API_MAX_PAGE_SIZE"]
    assert per_page["default"] == app.config["API_PAGE_SIZE"]


@pytest.mark.parametrize("broken", [
    lambda spec: spec["paths"]["/people/{person_id}"]["get"]["parameters"][0].update({"in": "body"}),
    lambda spec: spec["components"]["schemas"]["Person"].update({"type": "thing"}),
])
def test_validator_would_catch_a_broken_document(spec, broken):
    from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

    broken(spec)
    with pytest.raises(OpenAPIValidationError):
        validate(spec, cls=OpenAPIV31SpecValidator)
