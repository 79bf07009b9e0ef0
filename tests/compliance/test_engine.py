"""The pure calculation, table by table, with no database."""
from datetime import date
from decimal import Decimal

import pytest

from lms.compliance.engine import (
    CURRENT,
    DUE_SOON,
    NOT_APPLICABLE,
    NOT_YET_DUE,
    OVERDUE,
    Fact,
    RoleSpell,
    Rule,
    evaluate,
)

pytestmark = pytest.mark.no_database

DSL_ROLE = Rule(code="dsl-role-training", kind="interval", job_roles=frozenset({"school-dsl", "deputy-dsl"}), period_months=24)
DSL_UPDATE = Rule(
    code="dsl-annual-update", kind="interval", job_roles=frozenset({"school-dsl", "deputy-dsl"}), period_months=12,
    counts_from=frozenset({"dsl-role-training"}), qualifying_modes=frozenset({"twilight"}),
)
ANNUAL = Rule(code="staff-annual-update", kind="academic-year", job_roles=frozenset({"teacher"}))
HEALTH_L3 = Rule(
    code="health-l3", kind="rolling-hours", job_roles=frozenset({"health-l3"}), hours_required=Decimal(12), window_months=36,
)
HEALTH_L1 = Rule(
    code="health-l1", kind="rolling-hours", job_roles=frozenset({"health-l1"}), hours_required=Decimal(2), window_months=36,
    counts_from=frozenset({"health-l2", "health-l3", "health-l4"}),
)
GOVERNOR = Rule(code="governor-training", kind="once", job_roles=frozenset({"governor"}), induction_days=90)
SAFEGUARDING_36 = Rule(code="staff-safeguarding", kind="once", job_roles=frozenset({"teacher"}), period_months=36)


def done(day, code, hours="2", mode="elearning"):
    return Fact(completed_on=day, hours=Decimal(hours), requirement_codes=frozenset({code}), delivery_mode=mode)


def role(code, start=date(2015, 9, 1), end=None):
    return RoleSpell(job_role=code, started_on=start, ended_on=end)


DSL = [role("school-dsl")]
DSL_DONE = [done(date(2024, 9, 10), "dsl-role-training", "12")]


@pytest.mark.parametrize(
    "as_of, status, due_on, overdue_since",
    [
        (date(2026, 6, 11), CURRENT, date(2026, 9, 10), None),
        (date(2026, 6, 12), DUE_SOON, date(2026, 9, 10), None),
        (date(2026, 9, 10), DUE_SOON, date(2026, 9, 10), None),
        (date(2026, 9, 11), OVERDUE, date(2026, 9, 10), date(2026, 9, 11)),
        (date(2024, 9, 10), CURRENT, date(2026, 9, 10), None),
    ],
)
def test_dsl_role_training_24_months_with_a_90_day_window(as_of, status, due_on, overdue_since):
    result = evaluate(DSL_ROLE, DSL_DONE, DSL, as_of)
    assert (result.status, result.due_on, result.overdue_since) == (status, due_on, overdue_since)


@pytest.mark.parametrize(
    "completed, months, due_on",
    [
        (date(2025, 8, 31), 6, date(2026, 2, 28)),
        (date(2023, 8, 31), 6, date(2024, 2, 29)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2025, 12, 31), 2, date(2026, 2, 28)),
    ],
)
def test_due_dates_clamp_to_month_end(completed, months, due_on):
    rule = Rule(code="x", kind="interval", job_roles=frozenset({"teacher"}), period_months=months)
    result = evaluate(rule, [done(completed, "x")], [role("teacher")], completed)
    assert result.due_on == due_on


@pytest.mark.parametrize(
    "completed, as_of, status, due_on",
    [
        (date(2024, 9, 2), date(2025, 6, 1), CURRENT, date(2025, 9, 30)),
        (date(2025, 7, 15), date(2025, 7, 16), CURRENT, date(2025, 9, 30)),
        (date(2025, 7, 15), date(2025, 8, 1), DUE_SOON, date(2025, 9, 30)),
        (date(2024, 9, 2), date(2025, 9, 30), DUE_SOON, date(2025, 9, 30)),
        (date(2024, 9, 2), date(2025, 10, 1), OVERDUE, date(2025, 9, 30)),
        (date(2025, 9, 1), date(2025, 10, 1), CURRENT, date(2026, 9, 30)),
        (date(2025, 8, 31), date(2025, 10, 1), OVERDUE, date(2025, 9, 30)),
    ],
)
def test_academic_year(completed, as_of, status, due_on):
    result = evaluate(ANNUAL, [done(completed, "staff-annual-update")], [role("teacher")], as_of)
    assert (result.status, result.due_on) == (status, due_on)


def test_rolling_hours_example_from_the_design():
    facts = [done(date(2021, 1, 10), "health-l3", "6"), done(date(2023, 5, 1), "health-l3", "6")]
    roles = [role("health-l3", date(2019, 1, 1))]
    on = evaluate(HEALTH_L3, facts, roles, date(2023, 6, 1))
    assert (on.status, on.due_on, on.hours_counted, on.hours_needed) == (CURRENT, date(2024, 1, 10), 12, 0)
    assert evaluate(HEALTH_L3, facts, roles, date(2024, 1, 10)).status == DUE_SOON
    late = evaluate(HEALTH_L3, facts, roles, date(2024, 1, 11))
    assert (late.status, late.overdue_since, late.hours_counted, late.hours_needed) == (OVERDUE, date(2024, 1, 11), 6, 6)


def test_rolling_hours_never_reached_is_overdue_after_induction():
    facts = [done(date(2025, 1, 10), "health-l3", "4")]
    roles = [role("health-l3", date(2025, 1, 1))]
    early = evaluate(HEALTH_L3, facts, roles, date(2025, 2, 1))
    assert (early.status, early.due_on, early.hours_needed) == (NOT_YET_DUE, date(2025, 4, 1), 8)
    assert evaluate(HEALTH_L3, facts, roles, date(2025, 4, 2)).status == OVERDUE


def test_higher_level_satisfies_lower():
    facts = [done(date(2025, 3, 1), "health-l3", "6")]
    result = evaluate(HEALTH_L1, facts, [role("health-l1")], date(2026, 1, 1))
    assert (result.status, result.due_on, result.hours_counted) == (CURRENT, date(2028, 3, 1), 6)


def test_twilight_attendance_counts_for_the_dsl_update():
    facts = [done(date(2026, 2, 4), "nothing", "2", mode="twilight")]
    result = evaluate(DSL_UPDATE, facts, DSL, date(2026, 6, 1))
    assert (result.status, result.due_on) == (CURRENT, date(2027, 2, 4))
    # ...and the DSL role course counts as this year's update too.
    result = evaluate(DSL_UPDATE, DSL_DONE, DSL, date(2025, 6, 1))
    assert result.due_on == date(2025, 9, 10)


def test_governor_with_no_period_has_no_expiry():
    result = evaluate(GOVERNOR, [done(date(2019, 5, 1), "governor-training")], [role("governor", date(2019, 1, 1))], date(2026, 11, 23))
    assert (result.status, result.due_on) == (CURRENT, None)


def test_new_starter_is_not_yet_due_within_induction_then_overdue():
    roles = [role("governor", date(2026, 10, 1))]
    first = evaluate(GOVERNOR, [], roles, date(2026, 11, 23))
    assert (first.status, first.due_on) == (NOT_YET_DUE, date(2026, 12, 30))
    later = evaluate(GOVERNOR, [], roles, date(2026, 12, 31))
    assert (later.status, later.overdue_since) == (OVERDUE, date(2026, 12, 31))


def test_partnership_period_turns_once_into_an_interval():
    result = evaluate(SAFEGUARDING_36, [done(date(2023, 9, 1), "staff-safeguarding")], [role("teacher")], date(2026, 8, 1))
    assert (result.status, result.due_on) == (DUE_SOON, date(2026, 9, 1))


@pytest.mark.parametrize(
    "roles, as_of, status",
    [
        ([], date(2026, 1, 1), NOT_APPLICABLE),
        ([role("teacher")], date(2026, 1, 1), NOT_APPLICABLE),
        ([role("school-dsl", date(2020, 1, 1), date(2025, 12, 31))], date(2026, 1, 1), NOT_APPLICABLE),
        ([role("school-dsl", date(2020, 1, 1), date(2025, 12, 31))], date(2025, 12, 31), DUE_SOON),
        ([role("school-dsl", date(2027, 1, 1))], date(2026, 1, 1), NOT_APPLICABLE),
    ],
)
def test_applicability_follows_role_dates(roles, as_of, status):
    facts = [done(date(2024, 1, 10), "dsl-role-training")]
    assert evaluate(DSL_ROLE, facts, roles, as_of).status == status


def test_induction_runs_from_the_start_of_an_unbroken_spell():
    roles = [role("deputy-dsl", date(2025, 1, 1), date(2025, 12, 31)), role("school-dsl", date(2026, 1, 1))]
    # Deputy then DSL with no gap: the induction deadline runs from 1 January 2025.
    result = evaluate(DSL_ROLE, [], roles, date(2026, 2, 1))
    assert (result.status, result.due_on) == (OVERDUE, date(2025, 4, 1))
    gap = [role("deputy-dsl", date(2024, 1, 1), date(2024, 6, 30)), role("school-dsl", date(2026, 1, 1))]
    result = evaluate(DSL_ROLE, [], gap, date(2026, 2, 1))
    assert (result.status, result.due_on) == (NOT_YET_DUE, date(2026, 4, 1))


def test_grace_days_delay_overdue():
    rule = Rule(code="dsl-role-training", kind="interval", job_roles=frozenset({"school-dsl"}), period_months=24, grace_days=14)
    assert evaluate(rule, DSL_DONE, DSL, date(2026, 9, 24)).status == DUE_SOON
    assert evaluate(rule, DSL_DONE, DSL, date(2026, 9, 25)).status == OVERDUE


def test_completions_after_as_of_are_ignored_and_earlier_ones_count():
    facts = [done(date(2026, 1, 1), "dsl-role-training"), done(date(2022, 1, 1), "dsl-role-training")]
    result = evaluate(DSL_ROLE, facts, DSL, date(2025, 1, 1))
    assert result.due_on == date(2024, 1, 1) and result.status == OVERDUE


def test_per_edition():
    rule = Rule(code="kcsie-read", kind="per-edition", job_roles=frozenset({"teacher"}), edition_date=date(2025, 9, 1), induction_days=30)
    before = [done(date(2025, 6, 1), "kcsie-read")]
    assert evaluate(rule, before, [role("teacher")], date(2025, 9, 15)).status == NOT_YET_DUE
    assert evaluate(rule, before, [role("teacher")], date(2025, 10, 2)).status == OVERDUE
    after = before + [done(date(2025, 9, 5), "kcsie-read")]
    assert evaluate(rule, after, [role("teacher")], date(2025, 10, 2)).status == CURRENT


@pytest.mark.parametrize("period, days", [(12, 60), (24, 90), (36, 120), (6, 60)])
def test_default_due_soon_windows(period, days):
    assert Rule(code="x", kind="interval", job_roles=frozenset(), period_months=period).soon_days == days
