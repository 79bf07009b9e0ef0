"""Every requirement of the national baseline has a course that a person in each of its
job roles can take and that counts towards it: a course from courses/ (synced) or one of
the demo partnership's courses (lms/demo). A requirement with none would be a need nobody
could meet inside the service."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from lms.catalogue.services import check_course_files
from lms.compliance import engine, services as compliance
from lms.compliance.baseline import BASELINE
from lms.demo.history import DEMO_COURSES
from lms.demo.sessions import OUTREACH_COURSE

COURSES_FOLDER = Path(__file__).resolve().parents[2] / "courses"


def offered(app) -> list[tuple[str, str, frozenset[str], frozenset[str]]]:
    """(code, delivery mode, requirement codes, audience job roles: empty for anyone)."""
    sources, problems = check_course_files(COURSES_FOLDER)
    assert not problems, problems
    found = {s.code: (s.code, s.delivery_mode, frozenset(s.requirements), frozenset(s.job_roles)) for s in sources}
    for code, _title, mode, _hours, requirements, _level, _summary in DEMO_COURSES:
        found.setdefault(code, (code, mode, frozenset(requirements), frozenset()))
    found.setdefault(OUTREACH_COURSE["code"], (OUTREACH_COURSE["code"], OUTREACH_COURSE["delivery_mode"], frozenset(), frozenset()))
    return list(found.values())


def test_every_baseline_requirement_has_a_course_for_each_of_its_roles(app):
    rules = compliance.load_rules().partnership
    courses = offered(app)
    assert {code for code, *_ in BASELINE} <= set(rules)
    gaps = []
    for code, *_rest in BASELINE:
        rule = rules[code]
        assert rule.job_roles, f"{code} applies to no job role"
        for role in sorted(rule.job_roles):
            meeting = [
                course_code for course_code, mode, codes, audience in courses
                if (not audience or role in audience)
                and engine.qualifies(rule, engine.Fact(completed_on=date.min, hours=Decimal(0), requirement_codes=codes,
                                                       delivery_mode=mode))
            ]
            if not meeting:
                gaps.append(f"{code} for {role}")
    assert gaps == []


def test_the_check_notices_a_requirement_nobody_can_meet(app):
    """The test above can fail: a requirement no course names, and no delivery mode meets."""
    rule = engine.Rule(code="made-up-requirement", kind="once", job_roles=frozenset({"teacher"}))
    assert not any(
        engine.qualifies(rule, engine.Fact(completed_on=date.min, hours=Decimal(0), requirement_codes=codes, delivery_mode=mode))
        for _code, mode, codes, _audience in offered(app)
    )
