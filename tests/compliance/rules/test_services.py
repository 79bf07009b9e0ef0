"""Editing requirements and their rules: the services (preview equals what saving does,
preview writes nothing, validation, organisation overrides, history). The admin pages are
tested in test_views.py."""
from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from lms.audit.models import AuditEvent
from lms.catalogue.models import Course
from lms.compliance import engine, services
from lms.compliance.models import ComplianceStatus, Requirement, RequirementRule
from lms.compliance.rules import layers, services as rules, wording
from lms.compliance.rules import preview as rule_preview
from lms.compliance.rules.changes import DetailsChange, NewRequirement, OrganisationRuleChange, PartnershipRuleChange
from lms.compliance.rules.layers import RequirementDetails, RuleValues
from lms.core.errors import DomainError
from lms.extensions import db
from lms.records import services as records
from tests import factories
from tests.conftest import NOW

TODAY = date(2026, 11, 23)

COURSES = {
    # code: (delivery mode, hours, requirement codes)
    "SGE": ("elearning", "2", ["staff-safeguarding", "vcs-safeguarding", "health-l1"]),
    "UPDATE": ("elearning", "1", ["staff-annual-update"]),
    "DSL-NEW": ("face-to-face", "12", ["dsl-role-training"]),
    "GOV": ("virtual", "2", ["governor-training"]),
    "WT": ("face-to-face", "6", ["health-l1", "health-l2", "health-l3", "health-l4"]),
}


# --- helpers ------------------------------------------------------------------------------

@pytest.fixture()
def courses():
    made = {}
    for code, (mode, hours, requirements) in COURSES.items():
        course = Course(
            code=code, title=code, summary="-", learning_outcomes=[], delivery_mode=mode, cpd_hours=Decimal(hours),
            level=1, requirement_codes=requirements, created_at=NOW, updated_at=NOW,
        )
        db.session.add(course)
        made[code] = course
    db.session.flush()
    return made


def complete(person, course, on):
    records.record_completion(
        person, title=course.title, delivery_mode=course.delivery_mode, on=on, hours=course.cpd_hours,
        source="imported", source_ref=f"{person.id}-{course.code}-{on.isoformat()}", course=course, now=NOW,
    )


def requirement(code: str) -> Requirement:
    return rules.get_requirement(code)


def table_counts(code: str, user_ids) -> Counter:
    """Statuses of one requirement in the status table, as of today (no row: not required)."""
    statuses = services.table_statuses(user_ids, as_of=TODAY)
    counts = Counter()
    for user_id in user_ids:
        status, _ = statuses.get((user_id, code), (engine.NOT_APPLICABLE, None))
        counts[status] += 1
    return counts


def table_map(code: str, user_ids) -> dict[int, str]:
    statuses = services.table_statuses(user_ids, as_of=TODAY)
    return {uid: statuses.get((uid, code), (engine.NOT_APPLICABLE, None))[0] for uid in user_ids}


def row_counts() -> dict[str, int]:
    return {
        model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
        for model in (ComplianceStatus, RequirementRule, Requirement, AuditEvent)
    }


def status_rows() -> list[tuple]:
    return sorted(
        db.session.execute(
            select(
                ComplianceStatus.user_id, ComplianceStatus.requirement_id, ComplianceStatus.first_status,
                ComplianceStatus.due_on, ComplianceStatus.due_soon_from, ComplianceStatus.overdue_from,
            )
        ).all()
    )


def events(action_prefix: str = "requirement.") -> list[AuditEvent]:
    return list(
        db.session.scalars(select(AuditEvent).where(AuditEvent.action.startswith(action_prefix)).order_by(AuditEvent.id))
    )


@pytest.fixture()
def admin():
    return factories.user("admin@example.org", full_name="Ada Admin", admin=True, roles=("other",))


@pytest.fixture()
def staff(courses):
    """A school of teachers whose whole-staff safeguarding training was done at different
    times, a new starter, one who never did it, and a governor (not school staff)."""
    school = factories.organisation("Oak Primary")
    people = {}
    for name, done in [
        ("Ann Seven", date(2019, 10, 1)),
        ("Ben Four", date(2022, 11, 23)),
        ("Cat Three", date(2023, 11, 1)),
        ("Dan Nearly", date(2024, 1, 10)),
        ("Eve Two", date(2024, 11, 24)),
        ("Fay One", date(2025, 11, 1)),
        ("Gus Never", None),
    ]:
        person = factories.user(full_name=name, organisation=school, roles=("teacher",), role_start=date(2018, 9, 1))
        if done:
            complete(person, courses["SGE"], done)
        people[name] = person
    people["Hal New"] = factories.user(full_name="Hal New", organisation=school, roles=("teacher",), role_start=date(2026, 11, 10))
    people["Ivy Governor"] = factories.user(full_name="Ivy Governor", organisation=school, roles=("governor",), role_start=date(2019, 1, 1))
    services.rebuild_status_table(now=NOW)
    db.session.flush()
    return school, people


# --- words ----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "rule, national, words",
    [
        (engine.Rule(code="x", kind="interval", job_roles=frozenset(), period_months=24), True, "Every 24 months"),
        (engine.Rule(code="x", kind="once", job_roles=frozenset()), True, "Once; no national expiry"),
        (engine.Rule(code="x", kind="once", job_roles=frozenset()), False, "Once; no expiry"),
        (engine.Rule(code="x", kind="once", job_roles=frozenset(), period_months=36), True, "Every 36 months"),
        (
            engine.Rule(code="x", kind="rolling-hours", job_roles=frozenset(), hours_required=Decimal(12), window_months=36),
            True, "12 hours in any 36 months",
        ),
        (
            engine.Rule(code="x", kind="rolling-hours", job_roles=frozenset(), hours_required=Decimal("1.50"), window_months=12),
            True, "1.5 hours in any 12 months",
        ),
        (engine.Rule(code="x", kind="academic-year", job_roles=frozenset()), True, "By 30 September each academic year"),
        (engine.Rule(code="x", kind="interval", job_roles=frozenset(), period_months=1), True, "Every 1 month"),
    ],
)
def test_rules_in_words(rule, national, words):
    assert wording.describe_rule(rule, national_baseline=national) == words


@pytest.mark.parametrize(
    "transitions, due_changes, summary",
    [
        ({"current->overdue": 312, "current->due-soon": 40, "current->current": 1204}, 0,
         "This change makes 312 people overdue, 40 due soon; 1,204 stay current."),
        ({"current->current": 5}, 0, "This change does not change anyone's status; 5 stay current."),
        ({"current->current": 5}, 5, "This change does not change anyone's status; 5 stay current. Due dates change for 5 people."),
        ({"overdue->not-applicable": 1, "not-applicable->not-yet-due": 2}, 0,
         "This change makes 2 people not yet due and means 1 person no longer needs it."),
        ({}, 0, "No one holds the job roles concerned, so this change affects no one at the moment."),
    ],
)
def test_preview_summaries(transitions, due_changes, summary):
    before, after = Counter(), Counter()
    for key, count in transitions.items():
        old, new = key.split("->")
        before[old] += count
        after[new] += count
    preview = rule_preview.Preview(
        as_of=TODAY, people=sum(transitions.values()), transitions=transitions, before=dict(before), after=dict(after),
        due_dates_changed=due_changes, samples={},
    )
    assert preview.summary == summary


def test_the_list_describes_every_baseline_rule():
    summaries = {s.requirement.code: s for s in rules.list_requirements()}
    assert summaries["dsl-role-training"].words == "Every 24 months"
    assert summaries["staff-safeguarding"].words == "Once; no national expiry"
    assert summaries["health-l3"].words == "12 hours in any 36 months"
    assert summaries["staff-annual-update"].words == "By 30 September each academic year"
    assert summaries["dsl-role-training"].layers == "National"


# --- preview equals what saving does ---------------------------------------------------------

def test_preview_counts_match_what_saving_then_does(staff, admin):
    school, people = staff
    ids = [p.id for p in people.values()]
    before_table = table_map("staff-safeguarding", ids)
    assert Counter(before_table.values()) == Counter(
        {engine.CURRENT: 6, engine.OVERDUE: 1, engine.NOT_YET_DUE: 1, engine.NOT_APPLICABLE: 1}
    )
    change = PartnershipRuleChange(requirement("staff-safeguarding"), RuleValues(period_months=36))

    preview = rule_preview.preview(change, now=NOW)

    rules.set_partnership_rule(requirement("staff-safeguarding"), RuleValues(period_months=36), actor=admin, now=NOW)
    after_table = table_map("staff-safeguarding", ids)
    expected_after = Counter(s for s in after_table.values() if s != engine.NOT_APPLICABLE)
    assert preview.after == dict(expected_after)
    assert preview.before == dict(Counter(s for s in before_table.values() if s != engine.NOT_APPLICABLE))
    expected_transitions = Counter(
        f"{before_table[uid]}->{after_table[uid]}" for uid in ids if before_table[uid] != engine.NOT_APPLICABLE
    )
    assert preview.transitions == dict(expected_transitions)
    # Ann (2019), Ben (Nov 2022) and Cat (1 Nov 2023: due 1 Nov 2026) become overdue; Dan
    # (due 10 Jan 2027) is inside the 120-day window; Eve and Fay stay current.
    assert preview.transitions["current->overdue"] == 3
    assert preview.transitions["current->due-soon"] == 1  # Dan, due 10 January 2027
    assert preview.transitions["current->current"] == 2  # Eve and Fay
    assert preview.people == 8
    assert preview.summary == (
        "This change makes 3 people overdue, 1 due soon; 1 stays overdue, 1 stays not yet due, 2 stay current. "
        "Due dates change for 2 people."
    )
    assert [m.key for m in preview.moves] == ["current->overdue", "current->due-soon"]
    assert preview.moves[0].sample == ("Ann Seven (Oak Primary)", "Ben Four (Oak Primary)", "Cat Three (Oak Primary)")
    assert ("Rule", "Once; no national expiry", "Every 36 months") in preview.differences


def test_preview_of_a_change_of_roles_matches_saving(staff, admin, courses):
    school, people = staff
    complete(people["Ivy Governor"], courses["SGE"], date(2025, 1, 1))
    ids = [p.id for p in people.values()]
    req = requirement("staff-safeguarding")
    details = RequirementDetails.of(req)
    details = RequirementDetails(**{**details.__dict__, "job_role_codes": details.job_role_codes + ("governor",)})

    preview = rule_preview.preview(DetailsChange(req, details), now=NOW)
    assert preview.transitions["not-applicable->current"] == 1
    assert preview.moves[0].sample == ("Ivy Governor (Oak Primary)",)

    rules.update_requirement(req, details, actor=admin, now=NOW)
    after = table_counts("staff-safeguarding", ids)
    del after[engine.NOT_APPLICABLE]
    assert preview.after == dict(after)
    assert "governor" in {r.code for r in requirement("staff-safeguarding").job_roles}


def test_a_36_month_partnership_period_makes_sge_four_years_ago_overdue(courses, admin):
    teacher = factories.user(full_name="Tom Teacher", roles=("teacher",), role_start=date(2015, 9, 1))
    complete(teacher, courses["SGE"], date(2022, 11, 23))
    assert services.table_statuses([teacher.id], as_of=TODAY)[(teacher.id, "staff-safeguarding")] == (engine.CURRENT, None)

    rules.set_partnership_rule(
        requirement("staff-safeguarding"), RuleValues(period_months=36, note="Board decision, 1 October 2026"),
        actor=admin, now=NOW,
    )

    assert services.table_statuses([teacher.id], as_of=TODAY)[(teacher.id, "staff-safeguarding")] == (
        engine.OVERDUE, date(2025, 11, 23)
    )
    [event] = events()
    assert event.action == "requirement.rule-update"
    assert event.actor_id == admin.id
    assert event.target_type == "requirement" and event.target_id == str(requirement("staff-safeguarding").id)
    assert event.before == {"period_months": None, "note": None}
    assert event.after == {"period_months": 36, "note": "Board decision, 1 October 2026"}
    assert rules.list_requirements()[0].words == "Every 36 months"
    layer = layers.partnership_layer(requirement("staff-safeguarding"))
    assert (layer.updated_by_id, layer.updated_at) == (admin.id, NOW)


def test_clearing_the_partnership_rule_goes_back_to_the_national_rule(courses, admin):
    teacher = factories.user(roles=("teacher",), role_start=date(2015, 9, 1))
    complete(teacher, courses["SGE"], date(2022, 11, 23))
    req = requirement("staff-safeguarding")
    rules.set_partnership_rule(req, RuleValues(period_months=36), actor=admin, now=NOW)
    preview = rule_preview.preview(PartnershipRuleChange(req, None), now=NOW)
    assert preview.transitions == {"overdue->current": 1}

    rules.clear_partnership_rule(req, actor=admin, now=NOW)

    assert layers.partnership_layer(requirement("staff-safeguarding")) is None
    assert services.table_statuses([teacher.id], as_of=TODAY)[(teacher.id, "staff-safeguarding")] == (engine.CURRENT, None)
    assert [e.action for e in events()] == ["requirement.rule-update", "requirement.rule-clear"]
    with pytest.raises(DomainError):
        rules.clear_partnership_rule(requirement("staff-safeguarding"), actor=admin, now=NOW)


def test_an_empty_partnership_rule_removes_it_or_is_refused(courses, admin):
    req = requirement("governor-training")
    with pytest.raises(DomainError) as error:
        rules.set_partnership_rule(req, RuleValues(), actor=admin, now=NOW)
    assert error.value.message == "Enter a value in at least one field"
    rules.set_partnership_rule(req, RuleValues(period_months=36), actor=admin, now=NOW)
    assert rules.set_partnership_rule(req, RuleValues(note="  "), actor=admin, now=NOW) is None
    assert layers.partnership_layer(requirement("governor-training")) is None
    assert [e.action for e in events()] == ["requirement.rule-update", "requirement.rule-clear"]


def test_rolling_hours_and_academic_year_rules(courses, admin):
    nurse = factories.user(full_name="Nia Nurse", roles=("health-l3",), role_start=date(2015, 1, 1))
    complete(nurse, courses["WT"], date(2024, 5, 1))
    complete(nurse, courses["WT"], date(2025, 5, 1))
    assert services.table_statuses([nurse.id], as_of=TODAY)[(nurse.id, "health-l3")][0] == engine.CURRENT
    change = PartnershipRuleChange(requirement("health-l3"), RuleValues(hours_required=Decimal(16)))
    assert rule_preview.preview(change, now=NOW).transitions == {"current->overdue": 1}
    rules.set_partnership_rule(requirement("health-l3"), RuleValues(hours_required=Decimal(16)), actor=admin, now=NOW)
    assert services.table_statuses([nurse.id], as_of=TODAY)[(nurse.id, "health-l3")][0] == engine.OVERDUE
    assert events()[-1].after == {"hours_required": "16"}
    assert wording.describe_rule(layers.effective_rule(requirement("health-l3"))) == "16 hours in any 36 months"

    teacher = factories.user(roles=("teacher",), role_start=date(2015, 9, 1))
    complete(teacher, courses["UPDATE"], date(2025, 9, 20))
    req = requirement("staff-annual-update")
    rules.set_partnership_rule(req, RuleValues(deadline_day=31, deadline_month=10), actor=admin, now=NOW)
    assert services.table_statuses([teacher.id], as_of=TODAY)[(teacher.id, "staff-annual-update")][1] == date(2026, 10, 31)
    assert wording.describe_rule(layers.effective_rule(requirement("staff-annual-update"))) == (
        "By 31 October each academic year"
    )


# --- preview writes nothing ------------------------------------------------------------------

def test_preview_writes_nothing(staff, admin):
    school, people = staff
    db.session.commit()
    counts, rows = row_counts(), status_rows()
    req = requirement("staff-safeguarding")
    changes = [
        PartnershipRuleChange(req, RuleValues(period_months=36, note="x")),
        PartnershipRuleChange(
            requirement("staff-annual-update"), RuleValues(deadline_day=15, deadline_month=10, counts_from=("dsl-role-training",))
        ),
        DetailsChange(req, RequirementDetails(**{**RequirementDetails.of(req).__dict__, "active": False, "organisation_overrides": True})),
        NewRequirement(code="first-aid", name="First aid", kind="interval", job_role_codes=("teacher",), values=RuleValues(period_months=36)),
    ]
    for change in changes:
        preview = rule_preview.preview(change, now=NOW)
        assert preview.people > 0
        assert not db.session.new and not db.session.dirty and not db.session.deleted
    db.session.commit()
    db.session.expire_all()
    assert row_counts() == counts
    assert status_rows() == rows
    assert layers.partnership_layer(requirement("staff-safeguarding")) is None
    assert requirement("staff-safeguarding").active is True
    assert db.session.scalar(select(Requirement).where(Requirement.code == "first-aid")) is None


def test_preview_statements_do_not_grow_with_people(courses, count_queries):
    school = factories.organisation()
    req = requirement("staff-safeguarding")
    change = PartnershipRuleChange(req, RuleValues(period_months=36))

    def add_people(n):
        for i in range(n):
            person = factories.user(organisation=school, roles=("teacher",), role_start=date(2018, 9, 1))
            complete(person, courses["SGE"], date(2020, 1, 1) + timedelta(days=30 * i))
        services.rebuild_status_table(now=NOW)

    add_people(3)
    with count_queries() as few:
        small = rule_preview.preview(change, now=NOW)
    add_people(27)
    with count_queries() as many:
        large = rule_preview.preview(change, now=NOW)
    assert (small.people, large.people) == (3, 30)
    assert len(many) == len(few)


# --- organisation overrides ------------------------------------------------------------------

def test_organisation_overrides_only_when_allowed_and_only_for_that_organisation(courses, admin):
    oak, elm = factories.organisation("Oak Primary"), factories.organisation("Elm Primary")
    at_oak = factories.user(full_name="Olive Oak", organisation=oak, roles=("teacher",), role_start=date(2015, 9, 1))
    at_elm = factories.user(full_name="Eli Elm", organisation=elm, roles=("teacher",), role_start=date(2015, 9, 1))
    for person in (at_oak, at_elm):
        complete(person, courses["SGE"], date(2025, 6, 1))
    req = requirement("staff-safeguarding")
    twelve = RuleValues(period_months=12, note="Oak refreshes every year")

    with pytest.raises(DomainError) as error:
        rules.set_organisation_rule(req, oak, twelve, actor=admin, now=NOW)
    assert error.value.field == "organisation"
    with pytest.raises(DomainError):
        rule_preview.preview(OrganisationRuleChange(req, oak, twelve), now=NOW)
    assert len(req.rules) == 1 and not events()

    rules.set_organisation_overrides(req, True, actor=admin, now=NOW)
    preview = rule_preview.preview(OrganisationRuleChange(requirement("staff-safeguarding"), oak, twelve), now=NOW)
    assert preview.transitions == {"current->overdue": 1}  # Olive: due 1 June 2026
    rules.set_organisation_rule(requirement("staff-safeguarding"), oak, twelve, actor=admin, now=NOW)

    statuses = services.table_statuses([at_oak.id, at_elm.id], as_of=TODAY)
    assert statuses[(at_oak.id, "staff-safeguarding")][1] == date(2026, 6, 1)
    assert statuses[(at_elm.id, "staff-safeguarding")] == (engine.CURRENT, None)
    assert [e.action for e in events()] == ["requirement.update", "requirement.organisation-rule-update"]
    assert events()[-1].after == {"organisation": "Oak Primary", "period_months": 12, "note": "Oak refreshes every year"}
    [summary] = [s for s in rules.list_requirements() if s.requirement.code == "staff-safeguarding"]
    assert summary.layers == "National, 1 organisation override"

    # Forbidding organisation rules puts Oak's out of force; it stays on file.
    rules.set_organisation_overrides(requirement("staff-safeguarding"), False, actor=admin, now=NOW)
    statuses = services.table_statuses([at_oak.id], as_of=TODAY)
    assert statuses[(at_oak.id, "staff-safeguarding")] == (engine.CURRENT, None)
    assert layers.organisation_layer(requirement("staff-safeguarding"), oak.id) is not None
    [summary] = [s for s in rules.list_requirements() if s.requirement.code == "staff-safeguarding"]
    assert summary.layers == "National, 1 organisation override (not in force)"


def test_an_organisation_rule_is_removed(courses, admin):
    oak = factories.organisation("Oak Primary")
    teacher = factories.user(organisation=oak, roles=("teacher",), role_start=date(2015, 9, 1))
    complete(teacher, courses["SGE"], date(2023, 6, 1))
    req = requirement("staff-safeguarding")
    rules.set_organisation_overrides(req, True, actor=admin, now=NOW)
    rules.set_organisation_rule(req, oak, RuleValues(period_months=24), actor=admin, now=NOW)
    assert services.table_statuses([teacher.id], as_of=TODAY)[(teacher.id, "staff-safeguarding")][0] == engine.OVERDUE
    assert rule_preview.preview(OrganisationRuleChange(req, oak, None), now=NOW).transitions == {"overdue->current": 1}
    rules.clear_organisation_rule(requirement("staff-safeguarding"), oak, actor=admin, now=NOW)
    assert services.table_statuses([teacher.id], as_of=TODAY)[(teacher.id, "staff-safeguarding")][0] == engine.CURRENT
    assert events()[-1].action == "requirement.organisation-rule-clear"


# --- validation ------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "code, values, field",
    [
        ("staff-safeguarding", RuleValues(period_months=0), "period_months"),
        ("staff-safeguarding", RuleValues(period_months=121), "period_months"),
        ("dsl-role-training", RuleValues(period_months=-3), "period_months"),
        ("health-l3", RuleValues(hours_required=Decimal(0)), "hours_required"),
        ("health-l3", RuleValues(hours_required=Decimal("-2")), "hours_required"),
        ("health-l3", RuleValues(hours_required=Decimal("1.555")), "hours_required"),
        ("health-l3", RuleValues(window_months=200), "window_months"),
        ("staff-safeguarding", RuleValues(hours_required=Decimal(3)), "hours_required"),
        ("dsl-role-training", RuleValues(deadline_day=30), "deadline_day"),
        ("staff-safeguarding", RuleValues(due_soon_days=366), "due_soon_days"),
        ("staff-safeguarding", RuleValues(induction_days=-1), "induction_days"),
        ("staff-safeguarding", RuleValues(grace_days=400), "grace_days"),
        ("staff-annual-update", RuleValues(deadline_day=31, deadline_month=11), "deadline_day"),
        ("staff-annual-update", RuleValues(deadline_day=31), "deadline_day"),  # 31 September
        ("staff-annual-update", RuleValues(deadline_month=2), "deadline_month"),
        ("staff-annual-update", RuleValues(deadline_month=13), "deadline_month"),
        ("staff-annual-update", RuleValues(deadline_day=0), "deadline_day"),
        ("staff-safeguarding", RuleValues(counts_from=("no-such-thing",)), "counts_from"),
        ("staff-safeguarding", RuleValues(counts_from=("staff-safeguarding",)), "counts_from"),
        ("staff-safeguarding", RuleValues(qualifying_modes=("carrier-pigeon",)), "qualifying_modes"),
        ("staff-safeguarding", RuleValues(note="x" * 2001), "note"),
    ],
)
def test_bad_values_are_refused_and_change_nothing(admin, code, values, field):
    db.session.commit()
    counts = row_counts()
    with pytest.raises(DomainError) as preview_error:
        rule_preview.preview(PartnershipRuleChange(requirement(code), values), now=NOW)
    with pytest.raises(DomainError) as save_error:
        rules.set_partnership_rule(requirement(code), values, actor=admin, now=NOW)
    assert preview_error.value.field == save_error.value.field == field
    db.session.rollback()
    assert row_counts() == counts


def test_a_local_interval_rule_cannot_lose_its_period(admin):
    new = NewRequirement(code="first-aid", name="First aid", kind="interval", job_role_codes=("teacher",), values=RuleValues())
    with pytest.raises(DomainError) as error:
        rules.create_requirement(new, actor=admin, now=NOW)
    assert error.value.field == "period_months"
    created = rules.create_requirement(
        NewRequirement(code="first-aid", name="First aid", kind="interval", job_role_codes=("teacher",), values=RuleValues(period_months=36)),
        actor=admin, now=NOW,
    )
    with pytest.raises(DomainError) as error:
        rules.clear_partnership_rule(created, actor=admin, now=NOW)
    assert error.value.field == "period_months" and "local requirement" in error.value.message
    once = rules.create_requirement(
        NewRequirement(code="induction", name="Induction", kind="once", job_role_codes=("teacher",), values=RuleValues()),
        actor=admin, now=NOW,
    )
    with pytest.raises(DomainError):
        rules.clear_partnership_rule(once, actor=admin, now=NOW)


def test_saving_the_same_values_again_records_nothing(admin):
    req = requirement("dsl-role-training")
    rules.set_partnership_rule(req, RuleValues(period_months=12, note=" Board "), actor=admin, now=NOW)
    layer = layers.partnership_layer(req)
    assert layer.note == "Board"
    later = NOW + timedelta(days=1)
    rules.set_partnership_rule(req, RuleValues(period_months=12, note="Board"), actor=admin, now=later)
    assert len(events()) == 1 and layer.updated_at == NOW


def test_an_organisation_deadline_must_survive_a_partnership_change(admin):
    oak = factories.organisation("Oak Primary")
    req = requirement("staff-annual-update")
    rules.set_partnership_rule(req, RuleValues(deadline_month=10), actor=admin, now=NOW)
    rules.set_organisation_overrides(req, True, actor=admin, now=NOW)
    with pytest.raises(DomainError):  # 31 September
        rules.set_organisation_rule(req, oak, RuleValues(deadline_day=31, deadline_month=9), actor=admin, now=NOW)
    rules.set_organisation_rule(req, oak, RuleValues(deadline_day=31), actor=admin, now=NOW)  # 31 October
    with pytest.raises(DomainError) as error:  # would make Oak's deadline 31 November
        rule_preview.preview(PartnershipRuleChange(req, RuleValues(deadline_month=11)), now=NOW)
    assert "Oak Primary’s own rule would not work with this change" in error.value.message
    assert error.value.field == "deadline_day"
    # Out of force, Oak's rule does not stand in the way; allowing it again is then refused.
    rules.set_organisation_overrides(req, False, actor=admin, now=NOW)
    rules.set_partnership_rule(req, RuleValues(deadline_month=11), actor=admin, now=NOW)
    with pytest.raises(DomainError) as error:
        rules.set_organisation_overrides(requirement("staff-annual-update"), True, actor=admin, now=NOW)
    assert error.value.field == "organisation_overrides"


# --- local requirements and codes ------------------------------------------------------------

def test_a_new_local_requirement_applies_at_once(courses, admin):
    teacher = factories.user(full_name="Tia Teacher", roles=("teacher",), role_start=date(2015, 9, 1))
    new = NewRequirement(
        code="prevent-duty", name="Prevent duty awareness", kind="interval", job_role_codes=("teacher", "head-teacher"),
        values=RuleValues(period_months=36, counts_from=("staff-safeguarding",)), source="Board, October 2026",
    )
    preview = rule_preview.preview(new, now=NOW)
    assert preview.transitions == {"not-applicable->overdue": 1}

    created = rules.create_requirement(new, actor=admin, now=NOW)

    assert (created.code, created.strength, created.active) == ("prevent-duty", "local", True)
    assert services.table_statuses([teacher.id], as_of=TODAY)[(teacher.id, "prevent-duty")][0] == engine.OVERDUE
    complete(teacher, courses["SGE"], date(2026, 11, 1))  # counts through staff-safeguarding
    assert services.table_statuses([teacher.id], as_of=TODAY)[(teacher.id, "prevent-duty")] == (engine.CURRENT, date(2029, 11, 1))
    [event] = events()
    assert event.action == "requirement.create" and event.after["code"] == "prevent-duty"
    [summary] = [s for s in rules.list_requirements() if s.requirement.code == "prevent-duty"]
    assert (summary.words, summary.layers) == ("Every 36 months", "Partnership (local requirement)")


@pytest.mark.parametrize(
    "code, message",
    [
        ("staff-safeguarding", "already a requirement"),
        ("Prevent Duty", "lower-case"),
        ("prevent--duty", "lower-case"),
        ("-prevent", "lower-case"),
        ("x" * 41, "40 characters"),
        ("new", "reserved"),
        ("", "Enter a code"),
    ],
)
def test_codes_must_be_new_slugs(admin, code, message):
    new = NewRequirement(code=code, name="Prevent", kind="once", job_role_codes=("teacher",), values=RuleValues())
    with pytest.raises(DomainError) as error:
        rules.create_requirement(new, actor=admin, now=NOW)
    assert error.value.field == "code" and message in error.value.message


def test_details_change_but_codes_never_do(admin):
    req = requirement("safer-recruitment")
    assert "code" not in RequirementDetails.__dataclass_fields__
    details = RequirementDetails(
        name="Safer recruitment (panel members)", description="For every interview panel", source="SSR 2009",
        strength="law", job_role_codes=("safer-recruitment-panel", "head-teacher"), active=True, organisation_overrides=False,
    )
    assert rules.update_requirement(req, details, actor=admin, now=NOW) is True
    req = requirement("safer-recruitment")
    assert (req.code, req.name, req.source) == ("safer-recruitment", "Safer recruitment (panel members)", "SSR 2009")
    [event] = events()
    assert event.before["job_roles"] == ["safer-recruitment-panel"]
    assert event.after["job_roles"] == ["head-teacher", "safer-recruitment-panel"]
    assert rules.update_requirement(req, details, actor=admin, now=NOW) is False
    for bad, field in [({"name": " "}, "name"), ({"strength": "vibes"}, "strength"), ({"job_role_codes": ()}, "job_roles"),
                       ({"job_role_codes": ("astronaut",)}, "job_roles")]:
        with pytest.raises(DomainError) as error:
            rules.update_requirement(req, RequirementDetails(**{**details.__dict__, **bad}), actor=admin, now=NOW)
        assert error.value.field == field


def test_history_lists_the_requirements_changes_newest_first(admin):
    req = requirement("governor-training")
    rules.set_partnership_rule(req, RuleValues(period_months=36), actor=admin, now=NOW)
    rules.set_partnership_rule(req, RuleValues(period_months=24), actor=admin, now=NOW + timedelta(minutes=5))
    history = rules.history(req)
    assert [(e.before, e.after) for e in history] == [({"period_months": 36}, {"period_months": 24}), ({"period_months": None}, {"period_months": 36})]
