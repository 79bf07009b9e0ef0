"""The maintained status table always equals the pure calculation: after random
sequences of completions, role changes and rule edits (hypothesis), and for the
worked examples of the design."""
from datetime import date, datetime, timezone
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text

from lms.accounts import services as accounts
from lms.catalogue.models import Course
from lms.compliance import engine, services
from lms.compliance.models import ComplianceStatus, Requirement, RequirementRule
from lms.extensions import db
from lms.records import services as records
from tests import factories

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
TODAY = date(2026, 11, 23)

COURSES = {
    # code: (delivery mode, hours, requirement codes)
    "SGE": ("elearning", "2", ["staff-safeguarding", "vcs-safeguarding", "health-l1"]),
    "UPDATE": ("elearning", "1", ["staff-annual-update"]),
    "DSL-NEW": ("face-to-face", "12", ["dsl-role-training"]),
    "TWILIGHT": ("twilight", "2", []),
    "GOV": ("virtual", "2", ["governor-training"]),
    "EY-ANNEXC": ("face-to-face", "6", ["eyfs-annex-c"]),
    "WT": ("face-to-face", "6", ["health-l1", "health-l2", "health-l3", "health-l4"]),
}
ROLE_CODES = ["teacher", "school-dsl", "deputy-dsl", "governor", "ey-practitioner", "health-l1", "health-l3", "vcs-staff"]


def make_courses():
    courses = {}
    for code, (mode, hours, requirements) in COURSES.items():
        course = Course(
            code=code, title=code, summary="-", learning_outcomes=[], delivery_mode=mode, cpd_hours=Decimal(hours),
            level=1, requirement_codes=requirements, created_at=NOW, updated_at=NOW,
        )
        db.session.add(course)
        courses[code] = course
    db.session.flush()
    return courses


def complete(person, course, on, ref):
    records.record_completion(
        person, title=course.title, delivery_mode=course.delivery_mode, on=on, hours=course.cpd_hours,
        source="imported", source_ref=ref, course=course, now=NOW,
    )


def assert_table_matches(people, days=(TODAY,)):
    rules = services.load_rules()
    for person in people:
        pure = {
            r.requirement.code: (r.result.status, r.result.due_on)
            for r in services.person_compliance(person, as_of=TODAY, rules=rules)
        }
        table = {code: value for (uid, code), value in services.table_statuses([person.id], as_of=TODAY).items()}
        assert table == pure, (person.email, table, pure)


def test_dsl_example_in_pure_function_and_table():
    courses = make_courses()
    school = factories.organisation()
    dsl = factories.user(organisation=school, roles=("school-dsl",), role_start=date(2020, 1, 1))
    complete(dsl, courses["DSL-NEW"], date(2024, 9, 10), "dsl-1")
    expected = {
        date(2026, 6, 11): engine.CURRENT,
        date(2026, 6, 12): engine.DUE_SOON,
        date(2026, 9, 10): engine.DUE_SOON,
        date(2026, 9, 11): engine.OVERDUE,
    }
    requirement = db.session.scalar(select(Requirement).where(Requirement.code == "dsl-role-training"))
    row = db.session.scalar(select(ComplianceStatus).where(ComplianceStatus.requirement_id == requirement.id))
    for day, status in expected.items():
        pure = {r.requirement.code: r.result for r in services.person_compliance(dsl, as_of=day)}
        assert pure["dsl-role-training"].status == status
        assert pure["dsl-role-training"].due_on == date(2026, 9, 10)
        assert engine.status_on(_timeline(row), day) == status
        assert services.table_statuses([dsl.id], as_of=day)[(dsl.id, "dsl-role-training")] == (status, date(2026, 9, 10))


def _timeline(row):
    return engine.Timeline(
        applicable=row.applicable, first_status=row.first_status, due_on=row.due_on,
        due_soon_from=row.due_soon_from, overdue_from=row.overdue_from,
    )


def test_governor_without_a_partnership_period_has_no_made_up_date():
    courses = make_courses()
    governor = factories.user(roles=("governor",), role_start=date(2018, 9, 1))
    complete(governor, courses["GOV"], date(2019, 3, 1), "gov-1")
    [result] = [r.result for r in services.person_compliance(governor, as_of=TODAY)]
    assert (result.requirement, result.status, result.due_on) == ("governor-training", engine.CURRENT, None)
    assert services.table_statuses([governor.id], as_of=TODAY) == {(governor.id, "governor-training"): (engine.CURRENT, None)}


def test_partnership_override_and_role_change_update_the_table():
    courses = make_courses()
    teacher = factories.user(roles=("teacher",), role_start=date(2019, 9, 1))
    services.refresh_status([teacher.id], now=NOW)
    complete(teacher, courses["SGE"], date(2023, 1, 10), "sge-1")
    statuses = services.table_statuses([teacher.id], as_of=TODAY)
    assert statuses[(teacher.id, "staff-safeguarding")] == (engine.CURRENT, None)
    # The partnership sets 36 months: the teacher becomes due soon.
    requirement = db.session.scalar(select(Requirement).where(Requirement.code == "staff-safeguarding"))
    db.session.add(RequirementRule(requirement=requirement, layer="partnership", period_months=36))
    db.session.flush()
    services.refresh_status([teacher.id], now=NOW)
    assert services.table_statuses([teacher.id], as_of=TODAY)[(teacher.id, "staff-safeguarding")] == (
        engine.OVERDUE, date(2026, 1, 10)
    )
    # Becoming a DSL adds the DSL requirements straight away (through the signal).
    accounts.add_role(teacher, factories.job_role("school-dsl"), started_on=date(2026, 11, 1), now=NOW)
    statuses = services.table_statuses([teacher.id], as_of=TODAY)
    assert statuses[(teacher.id, "dsl-role-training")] == (engine.NOT_YET_DUE, date(2027, 1, 30))
    assert_table_matches([teacher])


role_ops = st.tuples(st.just("role"), st.sampled_from(ROLE_CODES), st.dates(date(2015, 1, 1), TODAY))
end_ops = st.tuples(st.just("end"), st.integers(0, 5), st.dates(date(2015, 1, 1), TODAY))
completion_ops = st.tuples(st.just("complete"), st.sampled_from(sorted(COURSES)), st.dates(date(2018, 1, 1), TODAY))
rule_ops = st.tuples(
    st.just("rule"),
    st.sampled_from(["staff-safeguarding", "dsl-annual-update", "governor-training", "health-l3", "eyfs-annex-c"]),
    st.sampled_from([None, 6, 12, 36]),
)
operations = st.lists(st.one_of(role_ops, end_ops, completion_ops, rule_ops), min_size=1, max_size=12)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ops=operations, second_person=st.booleans())
def test_status_table_always_equals_the_pure_calculation(ops, second_person):
    try:
        courses = make_courses()
        organisation = factories.organisation()
        people = [factories.user(organisation=organisation, roles=("teacher",), role_start=date(2016, 9, 1))]
        if second_person:
            people.append(factories.user(organisation=organisation, roles=("health-l3",), role_start=date(2017, 1, 1)))
        services.refresh_status([p.id for p in people], now=NOW)  # as registration does
        for index, op in enumerate(ops):
            person = people[index % len(people)]
            if op[0] == "role":
                _, code, start = op
                job_role = factories.job_role(code)
                if not any(r.job_role_id == job_role.id and r.ended_on is None for r in person.roles):
                    accounts.add_role(person, job_role, started_on=start, now=NOW)
            elif op[0] == "end":
                _, which, end = op
                current = [r for r in person.roles if r.ended_on is None]
                if len(current) > 1:
                    role = current[which % len(current)]
                    if end >= role.started_on:
                        accounts.end_role(person, role, ended_on=end, now=NOW)
            elif op[0] == "complete":
                _, code, on = op
                complete(person, courses[code], on, f"{person.id}-{index}")
            else:
                _, code, period = op
                requirement = db.session.scalar(select(Requirement).where(Requirement.code == code))
                rule = next((r for r in requirement.rules if r.layer == "partnership"), None)
                if rule is None:
                    rule = RequirementRule(requirement=requirement, layer="partnership")
                    db.session.add(rule)
                if requirement.kind == "rolling-hours":
                    rule.window_months = period or 36
                else:
                    rule.period_months = period
                db.session.flush()
                services.refresh_status([p.id for p in people], now=NOW)
        assert_table_matches(people)
        # The nightly rebuild gives the same table.
        services.rebuild_status_table(now=NOW)
        assert_table_matches(people)
    finally:
        db.session.rollback()


def _last_vacuums() -> dict[str, tuple]:
    """PostgreSQL's {table: (last VACUUM, last ANALYZE)} for the tables the rebuild rewrites,
    read in a new transaction (the statistics are kept as of a transaction's first look)."""
    db.session.commit()
    rows = db.session.execute(text(
        "SELECT relname, last_vacuum, last_analyze FROM pg_stat_user_tables"
        " WHERE relname IN ('compliance_status', 'compliance_count')"
    ))
    return {name: (vacuumed, analysed) for name, vacuumed, analysed in rows}


def test_nightly_rebuild_job_fills_the_table_for_people_made_in_bulk(runner):
    courses = make_courses()
    teacher = factories.user(roles=("teacher",), role_start=date(2019, 9, 1))  # bulk-made: no status rows yet
    complete(teacher, courses["UPDATE"], date(2025, 9, 15), "u-1")
    db.session.execute(ComplianceStatus.__table__.delete())
    db.session.commit()
    postgresql = db.engine.dialect.name == "postgresql"
    before = _last_vacuums() if postgresql else None
    result = runner.invoke(args=["lms", "jobs", "run", "rebuild-compliance"])
    assert result.exit_code == 0, result.output
    assert "status rows rebuilt" in result.output
    assert db.session.scalar(select(ComplianceStatus.id).limit(1)) is not None
    if postgresql:
        # The rewritten tables are vacuumed and analysed after the commit.
        assert "tables vacuumed and analysed" in result.output
        after = _last_vacuums()
        for table in ("compliance_status", "compliance_count"):
            assert after[table][0] is not None and after[table][1] is not None
            assert before[table][0] is None or after[table][0] > before[table][0]
    else:
        assert "vacuumed" not in result.output
