"""The generated OpenAPI document describes at least everything the hand-written one did.

tests/api/openapi_before.json is the document as it was written by hand before it was
generated from lms/api/schemas/. Every path, method, parameter (name, place, whether
required, type and allowed values), response status and schema property it had must
still be there, the same; the generated document may add detail.
"""
import json
from pathlib import Path

import pytest
from openapi_spec_validator import OpenAPIV31SpecValidator, validate

BEFORE = json.loads((Path(__file__).parent / "openapi_before.json").read_text(encoding="utf-8"))


def _resolve(document: dict, item: dict) -> dict:
    while "$ref" in item:
        section, name = item["$ref"].split("/")[-2:]
        item = document["components"][section][name]
    return item


def _types(schema: dict, document: dict | None = None) -> set:
    """The JSON types a schema allows (a described object in place of a reference to one)."""
    if "anyOf" in schema:  # a reference that may be null
        return set().union(*(_types(part, document) for part in schema["anyOf"]))
    if "$ref" in schema and document is not None:
        return _types(_resolve(document, schema), document)
    kind = schema.get("type")
    return set(kind) if isinstance(kind, list) else {kind}


def _parameters(document: dict, operation: dict) -> dict:
    found = {}
    for parameter in operation.get("parameters", []):
        parameter = _resolve(document, parameter)
        schema = parameter["schema"]
        items = schema.get("items", {})
        found[(parameter["name"], parameter["in"])] = {
            "required": parameter.get("required", False),
            "type": _types(schema),
            "enum": schema.get("enum"),
            "items": (items.get("type"), items.get("enum")) if items else None,
        }
    return found


def _operations(document: dict):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


@pytest.fixture()
def generated(spec):
    return spec


def test_the_generated_document_is_valid(generated):
    validate(generated, cls=OpenAPIV31SpecValidator)


def test_every_path_and_method_is_still_described(generated):
    before = {(path, method) for path, method, _ in _operations(BEFORE)}
    after = {(path, method) for path, method, _ in _operations(generated)}
    assert before - after == set()


@pytest.mark.parametrize("path,method", [(path, method) for path, method, _ in _operations(BEFORE)])
def test_each_operation_keeps_its_parameters_and_answers(generated, path, method):
    old, new = BEFORE["paths"][path][method], generated["paths"][path][method]
    assert new["operationId"] == old["operationId"]
    assert set(old["responses"]) <= set(new["responses"])
    for status, response in old["responses"].items():
        if "$ref" in response:
            assert new["responses"][status] == response
    old_parameters, new_parameters = _parameters(BEFORE, old), _parameters(generated, new)
    for key, described in old_parameters.items():
        assert key in new_parameters, key
        assert new_parameters[key] == described, key
    assert ("requestBody" in old) == ("requestBody" in new)
    if "requestBody" in old:
        assert new["requestBody"]["required"] == old["requestBody"]["required"]


@pytest.mark.parametrize("name", sorted(BEFORE["components"]["schemas"]))
def test_each_schema_keeps_its_properties_and_their_types(generated, name):
    old = BEFORE["components"]["schemas"][name]
    new = generated["components"]["schemas"][name]
    assert set(old.get("required", [])) <= set(new.get("required", [])), name
    for prop, schema in old.get("properties", {}).items():
        assert prop in new["properties"], f"{name}.{prop}"
        assert _types(new["properties"][prop], generated) == _types(schema, BEFORE), f"{name}.{prop}"
        assert new["properties"][prop].get("enum") == schema.get("enum"), f"{name}.{prop}"


def test_shared_parameters_responses_and_security_are_kept(generated):
    for section in ("parameters", "responses", "securitySchemes"):
        assert set(BEFORE["components"][section]) <= set(generated["components"][section]), section
    assert generated["components"]["parameters"] == BEFORE["components"]["parameters"]
    assert generated["security"] == BEFORE["security"]
    assert generated["servers"] == BEFORE["servers"]
    assert {tag["name"] for tag in BEFORE["tags"]} <= {tag["name"] for tag in generated["tags"]}
