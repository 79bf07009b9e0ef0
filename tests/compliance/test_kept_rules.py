"""The rule set kept per process (compliance.kept_rules): reused while nothing it is built
from changes, built again after a change saved here, in another process or inside the
same transaction, and never kept from a change rolled back."""
from __future__ import annotations

import subprocess
import sys
from datetime import date
from decimal import Decimal

from sqlalchemy import select, text

from lms.catalogue.models import Course
from lms.compliance import kept_rules, queries
from lms.compliance.models import Requirement, RequirementRule
from lms.extensions import db
from lms.signals import course_requirements_changed
from tests import factories
from tests.conftest import NOW


def _national(code: str) -> RequirementRule:
    return db.session.scalar(
        select(RequirementRule).join(Requirement).where(Requirement.code == code, RequirementRule.layer == "national")
    )


def _a_periodic_code() -> str:
    return db.session.scalar(
        select(Requirement.code).join(RequirementRule)
        .where(RequirementRule.layer == "national", RequirementRule.period_months.is_not(None))
        .order_by(Requirement.position)
    )


def _course(code: str, requirements: list[str]) -> Course:
    course = Course(code=code, title=f"Course {code}", summary="-", learning_outcomes=[], delivery_mode="face-to-face",
                    cpd_hours=Decimal("2"), level=1, requirement_codes=requirements, active=True,
                    created_at=NOW, updated_at=NOW)
    db.session.add(course)
    db.session.flush()
    return course


def test_the_rule_set_is_reused_while_nothing_changes(count_queries):
    person = factories.user()
    db.session.commit()
    kept_rules.forget()
    with count_queries() as first:
        needs = queries.training_needs(person, as_of=date(2026, 11, 23))
    built = kept_rules.statistics["built"]
    with count_queries() as second:
        again = queries.training_needs(person, as_of=date(2026, 11, 23))
    assert kept_rules.statistics["built"] == built, "the second request built the rule set again"
    # Reused: the token only, instead of the requirements, their job roles, rule layers and courses.
    def reads_rules(statement: str) -> bool:
        return any(f"FROM {table}" in statement for table in ("requirement", "course", "requirement_rule"))

    assert sum(map(reads_rules, first)) == 4, "\n\n".join(first)
    assert sum(map(reads_rules, second)) == 0, "\n\n".join(second)
    assert len(second) == len(first) - 4 - 1  # less the person, loaded again by the first after the commit
    assert [n.requirement.code for n in again] == [n.requirement.code for n in needs]
    assert [n.rule for n in again] == [n.rule for n in needs]


def test_a_rule_saved_here_is_seen_by_the_next_request():
    code = _a_periodic_code()
    before = kept_rules.rule_set().rules.partnership[code].period_months
    _national(code).period_months = before + 7
    db.session.commit()
    assert kept_rules.rule_set().rules.partnership[code].period_months == before + 7


def test_a_rule_saved_by_another_process_is_seen_by_the_next_request(app):
    code = _a_periodic_code()
    before = kept_rules.rule_set().rules.partnership[code].period_months
    db.session.commit()
    script = f"""
from sqlalchemy import select
from lms import create_app
from lms.compliance.models import Requirement, RequirementRule
from lms.extensions import db
app = create_app("testing", SQLALCHEMY_DATABASE_URI={app.config["SQLALCHEMY_DATABASE_URI"]!r})
with app.app_context():
    rule = db.session.scalar(select(RequirementRule).join(Requirement)
                             .where(Requirement.code == {code!r}, RequirementRule.layer == "national"))
    rule.period_months = {before + 5}
    db.session.commit()
"""
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120)
    assert kept_rules.rule_set().rules.partnership[code].period_months == before + 5


def test_a_change_rolled_back_is_never_kept():
    code = _a_periodic_code()
    before = kept_rules.rule_set().rules.partnership[code].period_months
    db.session.commit()
    _national(code).period_months = before + 3
    db.session.flush()
    # Inside the changing transaction the change is already seen...
    assert kept_rules.rule_set().rules.partnership[code].period_months == before + 3
    db.session.rollback()
    # ...and after the rollback the copy built from it is not used.
    assert kept_rules.rule_set().rules.partnership[code].period_months == before


def test_courses_and_what_they_count_towards_are_followed():
    code = _a_periodic_code()
    course = _course("KEPT-1", [])
    db.session.commit()
    assert "KEPT-1" not in [c.code for c in kept_rules.rule_set().courses_for({code: kept_rules.rule_set().rules.partnership[code]})[code]]
    course.requirement_codes = [code]
    db.session.commit()
    kept = kept_rules.rule_set()
    assert "KEPT-1" in [c.code for c in kept.courses_for({code: kept.rules.partnership[code]})[code]]
    course.active = False
    db.session.commit()
    assert "KEPT-1" not in [c.code for c in kept_rules.rule_set().courses]


def test_a_change_made_without_the_orm_is_announced_by_the_catalogue_signal():
    course = _course("KEPT-2", [])
    db.session.commit()
    assert kept_rules.rule_set().courses
    token = kept_rules.current_token()
    db.session.execute(text("UPDATE course SET requirement_codes = :codes WHERE id = :id"),
                       {"codes": '["staff-safeguarding"]', "id": course.id})
    course_requirements_changed.send(None, course_ids=[course.id], now=NOW)
    db.session.commit()
    assert kept_rules.current_token() != token
    kept = [c for c in kept_rules.rule_set().courses if c.code == "KEPT-2"]
    assert kept and kept[0].requirement_codes == ["staff-safeguarding"]
