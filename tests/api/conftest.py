"""Helpers for the API tests: tokens, bearer requests, a signed-in browser, and checking
responses against the OpenAPI document."""
from __future__ import annotations

import copy
from pathlib import Path

import pytest
from openapi_schema_validator import OAS31Validator

from lms.api.services import create_token
from lms.catalogue import services as catalogue
from lms.extensions import db
from tests import factories
from tests.conftest import NOW


def make_token(person, name: str = "Test token") -> str:
    token, _ = create_token(person, name=name, now=NOW)
    db.session.commit()
    return token


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def sign_in_browser(client, person) -> None:
    """A signed-in browser, through the server-side session (not the sign-in form)."""
    factories.sign_in_directly(client, person)


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


COURSES = Path(__file__).resolve().parents[2] / "courses"


_parsed_courses: list = []


def course_sources() -> list:
    """courses/ read and checked (against the reference data) once per run, since reading
    is the slow part; each caller gets its own copy."""
    if not _parsed_courses:
        sources, problems = catalogue.check_course_files(COURSES)
        assert problems == []
        _parsed_courses.extend(sources)
    return copy.deepcopy(_parsed_courses)


@pytest.fixture()
def courses(now):
    """The shipped e-learning courses, loaded from courses/ as `flask lms courses sync` does."""
    catalogue.sync_courses(course_sources(), now=now)
    db.session.commit()
    return {code: catalogue.get_course(code) for code in ("SGE", "CE", "OS")}


def make_course(
    code: str,
    title: str,
    *,
    mode: str = "face-to-face",
    level: int = 2,
    hours: str = "6",
    sectors: tuple[str, ...] = (),
    roles: tuple[str, ...] = (),
    requirements: tuple[str, ...] = (),
    active: bool = True,
    summary: str | None = None,
):
    """A course made in the admin pages (no content folder), flushed."""
    from decimal import Decimal

    from sqlalchemy import select

    from lms.catalogue.models import Course
    from lms.organisations.models import JobRole, Sector

    course = Course(
        code=code, title=title, summary=summary or f"About {title}.", learning_outcomes=[f"Understand {title}"],
        delivery_mode=mode, cpd_hours=Decimal(hours), level=level, estimated_minutes=None,
        requirement_codes=list(requirements), managed_by="admin", active=active, created_at=NOW, updated_at=NOW,
        audience_sectors=list(db.session.scalars(select(Sector).where(Sector.code.in_(sectors)))),
        audience_roles=list(db.session.scalars(select(JobRole).where(JobRole.code.in_(roles)))),
    )
    db.session.add(course)
    db.session.flush()
    return course


@pytest.fixture()
def team():
    """Two settings, each with a setting lead and a member of staff; a trainer; an admin."""
    from tests import factories

    oak = factories.organisation("Oak Primary")
    elm = factories.organisation("Elm Nursery", type_code="day-nursery")
    people = {
        "oak_lead": factories.user("lead@oak.example", full_name="Olive Lead", organisation=oak,
                                   roles=("school-dsl",), leads=(oak,)),
        "oak_teacher": factories.user("teacher@oak.example", full_name="Tom Teacher", organisation=oak),
        "elm_lead": factories.user("lead@elm.example", full_name="Erin Lead", organisation=elm,
                                   roles=("ey-dsl",), leads=(elm,)),
        "elm_worker": factories.user("worker@elm.example", full_name="Will Worker", organisation=elm,
                                     roles=("ey-practitioner",)),
        "trainer": factories.user("trainer@partnership.example", full_name="Tara Trainer", trainer=True),
        "admin": factories.user("admin@partnership.example", full_name="Adam Admin", admin=True),
    }
    db.session.commit()
    return {"oak": oak, "elm": elm, **people}


def secrets_of(courses) -> dict:
    """What must never leave the API: every quiz's answers, question and option texts and
    feedback, and every lesson's body."""
    answer_lists, texts = [], set()
    for course in courses:
        for version in course.versions:
            for question in version.questions:
                answer_lists.append(list(question["answers"]))
                texts.add(question["text"])
                texts.update(option["text"] for option in question["options"])
                texts.update(question.get("feedback", {}).values())
            for lesson in version.lessons:
                texts.add(lesson.body_html)
                texts.update(line for line in lesson.body_markdown.splitlines() if len(line) > 40)
    return {"answer_lists": answer_lists, "texts": texts}


FORBIDDEN_KEYS = {"answers", "feedback", "options", "body", "body_html", "body_markdown", "text", "content_hash"}


def assert_no_secrets(secrets: dict, body) -> None:
    """No quiz answer list, question, option, feedback or lesson text anywhere in `body`."""
    import json

    def walk(value, where):
        if isinstance(value, dict):
            for key, item in value.items():
                assert key not in FORBIDDEN_KEYS, f"{where}.{key}"
                walk(item, f"{where}.{key}")
        elif isinstance(value, list):
            assert value not in secrets["answer_lists"], f"an answer list at {where}: {value}"
            for index, item in enumerate(value):
                walk(item, f"{where}[{index}]")

    walk(body, "$")
    text = json.dumps(body, ensure_ascii=False)
    leaked = [secret for secret in secrets["texts"] if secret and secret in text]
    assert leaked == [], leaked[:3]
