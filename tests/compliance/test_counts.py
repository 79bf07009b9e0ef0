"""The counts kept for the admin overview (ComplianceCount) always equal a fresh count of
the pure calculation: after a rebuild, completions, role changes, rule edits, people
moving organisation or closing their account, an organisation changing sector, type or
area, and a requirement switched off; and the overview reads the same numbers from them
as from the status table."""
from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from lms.accounts import services as accounts
from lms.accounts.models import User
from lms.accounts.admin import services as admin_services
from lms.compliance import engine, overview, services
from lms.compliance.baseline import load_baseline
from lms.compliance.models import ComplianceCount, Requirement, RequirementRule
from lms.extensions import db
from lms.organisations.models import Organisation, OrganisationType
from lms.organisations.reference.services import load_reference_data
from tests import factories
from tests.compliance.test_status_table import COURSES, NOW, ROLE_CODES, TODAY, complete, make_courses

STATUSES = list(services.COUNT_COLUMNS)


def fresh_counts(as_of: date = TODAY) -> dict[tuple, dict[str, int]]:
    """{(scope, scope id, requirement id or None): {status: number}} worked out from the
    pure calculation for every open account recorded at an organisation."""
    rules = services.load_rules()
    organisations = {o.id: o for o in db.session.scalars(select(Organisation))}
    counts: dict[tuple, Counter] = defaultdict(Counter)
    people = db.session.scalars(select(User).where(User.active.is_(True), User.organisation_id.is_not(None)))
    for person in people:
        organisation = organisations[person.organisation_id]
        scopes = [
            ("organisation", organisation.id), ("sector", organisation.sector_id), ("type", organisation.type_id),
            ("area", organisation.area_id),
        ]
        for item in services.person_compliance(person, as_of=as_of, rules=rules):
            for scope in scopes:
                counts[(*scope, item.requirement.id)][item.result.status] += 1
                counts[(*scope, None)][item.result.status] += 1
    return {key: dict(value) for key, value in counts.items()}


def kept_counts(as_of: date = TODAY) -> dict[tuple, dict[str, int]]:
    """The same from ComplianceCount, checking each row's day, total and sort keys, and
    that no row is there twice. Rows of switched-off requirements are left out, as the
    overview does."""
    inactive = set(db.session.scalars(select(Requirement.id).where(Requirement.active.is_(False))))
    names = dict(db.session.execute(select(Organisation.id, Organisation.name)).all())
    result: dict[tuple, dict[str, int]] = {}
    days = list(db.session.scalars(select(ComplianceCount).where(ComplianceCount.scope == services.DAY)))
    assert [(d.as_of, d.scope_id, d.requirement_id, d.total_count) for d in days] == [(as_of, None, None, 0)]
    for row in db.session.scalars(select(ComplianceCount).where(ComplianceCount.scope != services.DAY)):
        assert row.as_of == as_of
        numbers = {status: getattr(row, column) for status, column in services.COUNT_COLUMNS.items()}
        assert row.total_count == sum(numbers.values()) > 0
        if row.scope == services.ORGANISATION:
            assert row.sort_name == names[row.scope_id].lower()
            assert row.overdue_share == pytest.approx(row.overdue_count / row.total_count)
        else:
            assert row.sort_name is None and row.overdue_share is None
        key = (row.scope, row.scope_id, row.requirement_id)
        assert key not in result, key
        if row.requirement_id not in inactive:
            result[key] = {status: number for status, number in numbers.items() if number}
    return result


def assert_counts_fresh(as_of: date = TODAY) -> None:
    assert kept_counts(as_of) == fresh_counts(as_of)


def _schools():
    north, south = factories.area("North"), factories.area("South")
    return (
        factories.organisation("Hillside Primary School", area=north),
        factories.organisation("Little Acorns Nursery", type_code="day-nursery", area=south),
        factories.organisation("No Area Charity", type_code="charity"),
    )


def test_nothing_is_kept_before_the_first_rebuild():
    courses = make_courses()
    school, _, _ = _schools()
    teacher = factories.user(organisation=school, roles=("teacher",))
    services.refresh_status([teacher.id], now=NOW)
    complete(teacher, courses["SGE"], date(2025, 1, 10), "sge-1")
    db.session.commit()
    assert services.counted_day() is None
    assert db.session.scalar(select(ComplianceCount.id).limit(1)) is None
    assert overview.overview_groups(as_of=TODAY, counted=True) == {group: [] for group in overview.OVERVIEW_GROUPS}
    from_table, _ = overview.overview(as_of=TODAY)
    assert [g.counts for g in from_table["sector"]] == [{engine.CURRENT: 1, engine.OVERDUE: 1}]
    services.rebuild_status_table(now=NOW)
    db.session.commit()
    assert services.counted_day() == TODAY
    assert [g.counts for g in overview.overview_groups(as_of=TODAY, counted=True)["sector"]] == [{engine.CURRENT: 1, engine.OVERDUE: 1}]
    # Kept counts hold one day: asked about another, they give nothing (and the overview
    # counts the status table).
    assert overview.overview_groups(as_of=date(2026, 11, 24), counted=True)["sector"] == []
    assert overview.overview(as_of=date(2026, 11, 24))[0]["sector"]
    assert_counts_fresh()


def test_counts_still_follow_after_everyone_counted_is_gone():
    """Once every counted account is closed no count row is left; the day row still says
    which day the counts hold, so reopening an account counts it at once (found by the
    property test below)."""
    school, _, _ = _schools()
    teacher = factories.user(organisation=school, roles=("teacher",), role_start=date(2019, 9, 1))
    admin = factories.user(admin=True, roles=("other",))
    services.rebuild_status_table(now=NOW)
    db.session.commit()
    admin_services.close_account(admin, teacher, now=NOW)
    db.session.commit()
    assert kept_counts() == {} and services.counted_day() == TODAY
    admin_services.reopen_account(admin, teacher, now=NOW)
    db.session.commit()
    assert_counts_fresh()
    assert kept_counts()[("organisation", school.id, None)] == {engine.OVERDUE: 2}


def test_counts_follow_every_kind_of_change():
    courses = make_courses()
    school, nursery, charity = _schools()
    dsl = factories.user(organisation=school, roles=("school-dsl",), role_start=date(2020, 1, 1))
    teacher = factories.user(organisation=school, roles=("teacher",), role_start=date(2019, 9, 1))
    practitioner = factories.user(organisation=nursery, roles=("ey-practitioner",), role_start=date(2021, 3, 1))
    volunteer = factories.user(organisation=charity, roles=("vcs-staff",), role_start=date(2022, 5, 1))
    factories.user(roles=("teacher",))  # no organisation: never counted
    services.rebuild_status_table(now=NOW)
    db.session.commit()
    assert_counts_fresh()
    # The DSL's four requirements and the teacher's two, none ever trained.
    assert kept_counts()[("organisation", school.id, None)] == {engine.OVERDUE: 6}

    # A completion (through the signal).
    complete(dsl, courses["DSL-NEW"], date(2024, 9, 10), "dsl-1")
    complete(teacher, courses["SGE"], date(2026, 1, 5), "sge-1")
    db.session.commit()
    assert_counts_fresh()
    school_counts = kept_counts()[("organisation", school.id, None)]
    assert school_counts[engine.CURRENT] >= 1 and sum(school_counts.values()) == 6

    # A role added and a role ended.
    accounts.add_role(teacher, factories.job_role("deputy-dsl"), started_on=date(2026, 11, 1), now=NOW)
    assert_counts_fresh()
    role = next(r for r in practitioner.roles if r.ended_on is None)
    accounts.add_role(practitioner, factories.job_role("teacher"), started_on=date(2026, 10, 1), now=NOW)
    accounts.end_role(practitioner, role, ended_on=date(2026, 10, 1), now=NOW)
    db.session.commit()
    assert_counts_fresh()

    # A rule edit, with the people it concerns recomputed.
    requirement = db.session.scalar(select(Requirement).where(Requirement.code == "staff-safeguarding"))
    db.session.add(RequirementRule(requirement=requirement, layer="partnership", period_months=6))
    db.session.flush()
    services.refresh_status([dsl.id, teacher.id, practitioner.id], now=NOW)
    db.session.commit()
    assert_counts_fresh()

    # Moving organisation: both organisations (and their sectors, types, areas) follow.
    accounts.change_organisation(teacher, nursery, on=date(2026, 11, 2), now=NOW)
    db.session.commit()
    assert_counts_fresh()
    assert ("organisation", nursery.id, None) in kept_counts()

    # Closing and reopening an account (no signal: the session events see it).
    admin = factories.user(admin=True, roles=("other",))
    admin_services.close_account(admin, volunteer, now=NOW)
    db.session.commit()
    assert_counts_fresh()
    assert not any(key[:2] == ("organisation", charity.id) for key in kept_counts())
    admin_services.reopen_account(admin, volunteer, now=NOW)
    db.session.commit()
    assert_counts_fresh()

    # A renamed organisation (no signal: the session events see it) sorts by its new name.
    charity.name = "Aardvark Youth Club"
    db.session.commit()
    assert_counts_fresh()
    assert db.session.scalar(
        select(ComplianceCount.sort_name).where(ComplianceCount.scope == "organisation", ComplianceCount.scope_id == charity.id)
        .limit(1)
    ) == "aardvark youth club"

    # An organisation changing type, sector and area: every group is counted again.
    charity.type_id = db.session.scalar(select(OrganisationType.id).where(OrganisationType.code == "day-nursery"))
    charity.sector_id = nursery.sector_id
    charity.area_id = nursery.area_id
    db.session.commit()
    assert_counts_fresh()

    # A requirement switched off, then on.
    update = db.session.scalar(select(Requirement).where(Requirement.code == "staff-annual-update"))
    update.active = False
    db.session.commit()
    assert_counts_fresh()
    update.active = True
    db.session.commit()
    assert_counts_fresh()

    # Changes rolled back leave the counts as they were.
    before = kept_counts()
    accounts.change_organisation(dsl, nursery, on=date(2026, 11, 3), now=NOW)
    db.session.rollback()
    db.session.commit()
    assert kept_counts() == before

    # And the nightly rebuild gives the same counts.
    services.rebuild_status_table(now=NOW)
    db.session.commit()
    assert kept_counts() == before
    assert_counts_fresh()


role_ops = st.tuples(st.just("role"), st.sampled_from(ROLE_CODES), st.dates(date(2015, 1, 1), TODAY))
end_ops = st.tuples(st.just("end"), st.integers(0, 5), st.dates(date(2015, 1, 1), TODAY))
completion_ops = st.tuples(st.just("complete"), st.sampled_from(sorted(COURSES)), st.dates(date(2018, 1, 1), TODAY))
rule_ops = st.tuples(
    st.just("rule"),
    st.sampled_from(["staff-safeguarding", "dsl-annual-update", "governor-training", "health-l3", "eyfs-annex-c"]),
    st.sampled_from([None, 6, 12, 36]),
)
move_ops = st.tuples(st.just("move"), st.integers(0, 2), st.dates(date(2026, 11, 1), TODAY))
close_ops = st.tuples(st.just("close"), st.booleans(), st.just(None))
operations = st.lists(st.one_of(role_ops, end_ops, completion_ops, rule_ops, move_ops, close_ops), min_size=1, max_size=12)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ops=operations)
def test_counts_always_equal_a_fresh_count(ops):
    """After random completions, role changes, rule edits, moves and closures (each
    committed, as the pages do), the kept counts equal a count of the pure calculation."""
    try:
        courses = make_courses()
        organisations = list(_schools())
        people = [
            factories.user(organisation=organisations[0], roles=("teacher",), role_start=date(2016, 9, 1)),
            factories.user(organisation=organisations[1], roles=("health-l3",), role_start=date(2017, 1, 1)),
            factories.user(organisation=organisations[2], roles=("vcs-staff",), role_start=date(2018, 1, 1)),
        ]
        admin = factories.user(admin=True, roles=("other",))
        services.rebuild_status_table(now=NOW)
        db.session.commit()
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
            elif op[0] == "rule":
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
            elif op[0] == "move":
                _, which, on = op
                target = organisations[which]
                started = max((e.started_on for e in person.employments if e.ended_on is None), default=on)
                if target.id != person.organisation_id and on >= started:
                    accounts.change_organisation(person, target, on=on, now=NOW)
            else:
                _, close, _ = op
                if close and person.active:
                    admin_services.close_account(admin, person, now=NOW)
                elif not close and not person.active:
                    admin_services.reopen_account(admin, person, now=NOW)
            db.session.commit()
        assert_counts_fresh()
        services.rebuild_status_table(now=NOW)
        db.session.commit()
        assert_counts_fresh()
    finally:
        # Each example commits: start the next from the reference data alone, as every test does.
        db.session.rollback()
        db.session.remove()
        with db.engine.begin() as connection:
            for table in reversed(db.metadata.sorted_tables):
                connection.execute(table.delete())
        load_reference_data()
        load_baseline()
        db.session.commit()


# --- the overview reads the same numbers either way -----------------------------------------

def _world():
    courses = make_courses()
    school, nursery, charity = _schools()
    people = [
        factories.user(organisation=school, roles=("school-dsl",), role_start=date(2020, 1, 1)),
        factories.user(organisation=school, roles=("teacher",), role_start=date(2026, 11, 1)),
        factories.user(organisation=school, roles=("governor",), role_start=date(2018, 9, 1)),
        factories.user(organisation=nursery, roles=("ey-practitioner",)),
        factories.user(organisation=nursery, roles=("health-l3",)),
        factories.user(organisation=charity, roles=("vcs-staff",)),
    ]
    for n in range(6):
        other = factories.organisation(f"School {n}", area=factories.area(f"Area {n}"))
        people.append(factories.user(organisation=other, roles=("teacher",), role_start=date(2019, 9, 1)))
    services.rebuild_status_table(now=NOW)
    complete(people[0], courses["DSL-NEW"], date(2024, 9, 10), "dsl-1")
    complete(people[2], courses["GOV"], date(2019, 3, 1), "gov-1")
    complete(people[4], courses["WT"], date(2025, 5, 1), "wt-1")
    for index, person in enumerate(people[6:9]):
        complete(person, courses["SGE"], date(2025, 3, index + 1), f"sge-{index}")
    db.session.commit()
    return people


def test_overview_queries_give_the_same_from_counts_and_status_table():
    _world()
    requirement_ids = [None, *db.session.scalars(select(Requirement.id).order_by(Requirement.position))]
    for requirement_id in requirement_ids:
        together = overview.overview_groups(as_of=TODAY, requirement_id=requirement_id, counted=True)
        assert list(together) == list(overview.OVERVIEW_GROUPS)
        for group in overview.OVERVIEW_GROUPS:
            kept = overview.overview_by(group, as_of=TODAY, requirement_id=requirement_id, counted=True)
            counted = overview.overview_by(group, as_of=TODAY, requirement_id=requirement_id)
            assert [(g.key, g.name, g.counts) for g in kept] == [(g.key, g.name, g.counts) for g in counted]
            assert [(g.key, g.name, g.counts) for g in together[group]] == [(g.key, g.name, g.counts) for g in kept]
        for sort in overview.ORGANISATION_SORTS:
            for page in (1, 2):
                kept = overview.overview_organisations(as_of=TODAY, requirement_id=requirement_id, sort=sort, page=page,
                                                      per_page=4, counted=True)
                counted = overview.overview_organisations(as_of=TODAY, requirement_id=requirement_id, sort=sort,
                                                         page=page, per_page=4)
                assert (kept.total, kept.page) == (counted.total, counted.page)
                assert [(g.key, g.name, g.counts) for g in kept.items] == [(g.key, g.name, g.counts) for g in counted.items]
    totals = overview.overview_total(overview.overview_by("sector", as_of=TODAY, counted=True))
    assert totals.total == sum(sum(v.values()) for k, v in fresh_counts().items() if k[0] == "sector" and k[2] is None)


def _main_and_statements(client, count_queries, path: str) -> tuple[str, list[str]]:
    """A page's <main> (not the nonces of its scripts) and the SQL statements it ran."""
    with count_queries() as executed:
        response = client.get(path)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    return html[html.index("<main"):html.index("</main>")], executed


def test_overview_page_reads_the_counts_for_their_day_only(app, count_queries):
    people = _world()
    admin = factories.user("admin@example.org", admin=True, roles=("other",))
    db.session.commit()
    client = app.test_client()
    assert factories.sign_in(client, admin).status_code == 302

    def page(path):
        html, executed = _main_and_statements(client, count_queries, path)
        return html, " ".join(executed)

    for query in ("", "&requirement=staff-safeguarding", "&sort=name&page=2", "&requirement=dsl-role-training&sort=name"):
        from_counts, sql = page(f"/admin/compliance?as_of={TODAY.isoformat()}{query}")
        assert "compliance_count" in sql and "FROM compliance_status" not in sql
        db.session.execute(delete(ComplianceCount))
        db.session.commit()
        from_status_table, sql = page(f"/admin/compliance?as_of={TODAY.isoformat()}{query}")
        assert "FROM compliance_status" in sql
        assert from_counts == from_status_table
        services.rebuild_status_table(now=NOW)
        db.session.commit()
    # Another day: the status table.
    _, sql = page("/admin/compliance?as_of=2026-06-11")
    assert "FROM compliance_status" in sql
    assert len(people) == 12


def test_matrix_reads_its_columns_and_summary_from_the_counts_for_their_day(app, count_queries):
    """The staff matrix takes its requirement columns, and its summary when no job role or
    name narrows it, from the organisation's kept counts: the same page as from the status
    table, in one statement fewer (two fewer counting the summary)."""
    people = _world()
    school = people[0].organisation
    lead = factories.user("lead@example.org", organisation=school, roles=("teacher",), leads=(school,))
    db.session.commit()
    services.rebuild_status_table(now=NOW)
    db.session.commit()
    client = app.test_client()
    assert factories.sign_in(client, lead).status_code == 302

    def page(path):
        return _main_and_statements(client, count_queries, path)

    day = f"as_of={TODAY.isoformat()}"
    for query in ("", "&status=overdue", "&requirement=dsl-role-training", "&sort=-staff-safeguarding", "&q=lead",
                  f"&job_role={factories.job_role('teacher').id}"):
        from_counts, executed = page(f"/organisation/compliance?{day}{query}")
        assert "Safeguarding training for governors and trustees" in from_counts and "DSL role training" in from_counts
        kept = services.counted_day()
        db.session.execute(delete(ComplianceCount))
        db.session.commit()
        from_status_table, executed_without = page(f"/organisation/compliance?{day}{query}")
        assert from_counts == from_status_table
        narrowed = "&q=" in query or "&job_role=" in query
        assert len(executed_without) - len(executed) == (1 if narrowed else 2)
        services.rebuild_counts(kept)
        db.session.commit()
    # Another day: the columns from the counts, the summary from the status table.
    other, executed = page("/organisation/compliance?as_of=2026-06-11")
    assert "FROM compliance_status" in " ".join(executed)
    assert "Safeguarding training for governors and trustees" in other
