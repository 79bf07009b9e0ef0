"""The demo partnership: what it contains, that it is repeatable, and that it loads in bulk."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from lms.accounts.models import Employment, PersonRole, SettingLead, User
from lms.accounts.services import authenticate, check_password_strength
from lms.accounts.staff import services as staff
from lms.audit.models import AuditEvent
from lms.core.time import london_today
from lms.demo import data as demo
from lms.demo.names import DEMO_NURSERY, DEMO_PRIMARY_SCHOOL
from lms.extensions import db
from lms.organisations.models import Area, JobRole, JoinRequest, Organisation, OrganisationType, Sector
from lms.organisations.reference.services import ORGANISATION_TYPES, load_reference_data
from tests import factories

SCHOOL_TYPES = {"primary-school", "secondary-school", "all-through-school", "special-school",
                "independent-school", "alternative-provision", "fe-college"}
# The job roles that fit each sector (a person's roles must all come from their
# organisation's sector's list).
ROLES_BY_SECTOR = {
    "education": {"school-staff", "teacher", "teaching-assistant", "school-dsl", "deputy-dsl", "head-teacher",
                  "governor", "safer-recruitment-panel", "other"},
    "early-years": {"ey-practitioner", "ey-dsl", "childminder", "childminder-assistant", "other"},
    "vcs": {"vcs-staff", "vcs-lead", "ey-practitioner", "ey-dsl", "other"},
    "health": {"health-l1", "health-l2", "health-l3", "health-l4", "health-l5"},
    "police": {"police-officer"},
    "local-authority": {"social-worker", "other"},
    "other-statutory": {"social-worker", "other"},
}


def load(now, seed=2026, if_empty=False):
    result = demo.create_demo_data(if_empty=if_empty, seed=seed, now=now)
    db.session.commit()
    return result


def wipe():
    """Back to only the reference data, as at the start of a test."""
    db.session.remove()
    with db.engine.begin() as connection:
        for table in reversed(db.metadata.sorted_tables):
            connection.execute(table.delete())
    load_reference_data()
    db.session.commit()


def snapshot() -> dict:
    """Everything the demo data says, without database ids."""
    org_type = aliased(OrganisationType)
    organisations = sorted(
        db.session.execute(
            select(Organisation.name, org_type.code, Sector.code, Area.code, Organisation.urn, Organisation.address,
                   Organisation.postcode, Organisation.created_at)
            .join(org_type, Organisation.type_id == org_type.id)
            .join(Sector, Organisation.sector_id == Sector.id)
            .outerjoin(Area, Organisation.area_id == Area.id)
        ).all()
    )
    people = sorted(
        db.session.execute(
            select(User.email, User.full_name, User.is_admin, User.is_trainer, Organisation.name, User.created_at,
                   User.email_confirmed_at, User.last_sign_in_at, User.password_hash.is_not(None))
            .outerjoin(Organisation, User.organisation_id == Organisation.id)
        ).all()
    )
    roles = sorted(
        db.session.execute(
            select(User.email, JobRole.code, PersonRole.started_on, PersonRole.ended_on)
            .select_from(PersonRole)
            .join(User, PersonRole.user_id == User.id)
            .join(JobRole, PersonRole.job_role_id == JobRole.id)
        ).all(),
        key=repr,
    )
    employments = sorted(
        db.session.execute(
            select(User.email, Organisation.name, Employment.started_on, Employment.ended_on)
            .select_from(Employment)
            .join(User, Employment.user_id == User.id)
            .join(Organisation, Employment.organisation_id == Organisation.id)
        ).all(),
        key=repr,
    )
    leads = sorted(
        db.session.execute(
            select(User.email, Organisation.name)
            .select_from(SettingLead)
            .join(User, SettingLead.user_id == User.id)
            .join(Organisation, SettingLead.organisation_id == Organisation.id)
        ).all()
    )
    areas = sorted(db.session.execute(select(Area.code, Area.name)).all())
    return {"areas": areas, "organisations": organisations, "people": people, "roles": roles,
            "employments": employments, "leads": leads}


def test_loads_a_partnership_of_every_organisation_type_in_four_areas(now):
    result = load(now)

    assert result is not None
    assert sorted(db.session.scalars(select(Area.code))) == ["east", "north", "south", "west"]
    type_counts = dict(
        db.session.execute(
            select(OrganisationType.code, func.count(Organisation.id))
            .join(Organisation, Organisation.type_id == OrganisationType.id)
            .group_by(OrganisationType.code)
        ).all()
    )
    assert set(type_counts) == {code for _, code, _ in ORGANISATION_TYPES}
    assert type_counts["primary-school"] == 60
    assert type_counts["secondary-school"] == 12
    # Every area has schools and early-years settings of its own.
    per_area = db.session.execute(
        select(Area.code, Sector.code, func.count(Organisation.id))
        .join(Organisation, Organisation.area_id == Area.id)
        .join(Sector, Organisation.sector_id == Sector.id)
        .group_by(Area.code, Sector.code)
    ).all()
    for area in ("north", "south", "east", "west"):
        assert {sector for code, sector, _ in per_area if code == area} >= {"education", "early-years", "vcs"}

    people = db.session.scalar(select(func.count(User.id)))
    assert 300 <= people <= 1000
    assert result.people == people
    assert result.organisations == db.session.scalar(select(func.count(Organisation.id)))
    assert result.setting_leads == db.session.scalar(select(func.count()).select_from(SettingLead))
    assert result.job_roles == db.session.scalar(select(func.count(PersonRole.id)))
    assert result.employments == db.session.scalar(select(func.count(Employment.id)))
    assert "Hartmoor Borough Safeguarding Children Partnership" in result.summary()
    assert f"{people} people" in result.summary()
    # Only the reserved .example domain, and every account confirmed with a password.
    emails = list(db.session.scalars(select(User.email)))
    assert all(email.endswith(".example") for email in emails)
    assert db.session.scalar(select(func.count(User.id)).where(User.email_confirmed_at.is_(None))) == 0
    assert db.session.scalar(select(func.count(User.id)).where(User.password_hash.is_(None))) == 0
    # The load is recorded in the audit log.
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "demo.create")) == 1


def test_schools_have_urns_and_addresses_in_the_borough(now):
    load(now)
    rows = db.session.execute(
        select(Organisation.name, OrganisationType.code, Organisation.urn, Organisation.postcode, Organisation.address)
        .join(OrganisationType, Organisation.type_id == OrganisationType.id)
    ).all()
    for name, type_code, urn, postcode, address in rows:
        assert postcode.startswith("HM"), name
        assert address.endswith("Hartmoor"), name
        if type_code in SCHOOL_TYPES:
            assert urn is not None and urn.isdigit() and len(urn) == 6, name
    urns = [urn for _, _, urn, _, _ in rows if urn]
    assert len(urns) == len(set(urns))
    names = [name for name, *_ in rows]
    assert len(names) == len(set(names))


def test_every_school_has_one_dsl_who_is_its_setting_lead(now):
    load(now)
    schools = db.session.execute(
        select(Organisation.id, Organisation.name)
        .join(OrganisationType, Organisation.type_id == OrganisationType.id)
        .where(OrganisationType.code.in_(SCHOOL_TYPES))
    ).all()
    assert len(schools) > 80
    dsl_role = select(JobRole.id).where(JobRole.code == "school-dsl").scalar_subquery()
    leads = db.session.execute(
        select(SettingLead.organisation_id, User.id, User.organisation_id)
        .join(User, SettingLead.user_id == User.id)
    ).all()
    dsls = set(db.session.scalars(
        select(PersonRole.user_id).where(PersonRole.job_role_id == dsl_role, PersonRole.ended_on.is_(None))
    ))
    for school_id, name in schools:
        school_leads = [(user_id, org_id) for led_id, user_id, org_id in leads if led_id == school_id]
        assert len(school_leads) == 1, name
        user_id, works_at = school_leads[0]
        assert user_id in dsls, name
        assert works_at == school_id, name


def test_early_years_and_voluntary_settings_have_a_lead_and_childminders_work_alone(now):
    load(now)
    rows = db.session.execute(
        select(Organisation.id, Organisation.name, Sector.code, OrganisationType.code)
        .join(Sector, Organisation.sector_id == Sector.id)
        .join(OrganisationType, Organisation.type_id == OrganisationType.id)
    ).all()
    led = set(db.session.scalars(select(SettingLead.organisation_id)))
    staff = dict(
        db.session.execute(select(User.organisation_id, func.count(User.id)).group_by(User.organisation_id)).all()
    )
    for org_id, name, sector, type_code in rows:
        if sector in ("early-years", "vcs"):
            assert org_id in led, name
        if type_code == "childminder":
            assert staff[org_id] == 1, name
    # One children's centre is run by a charity, so counts as voluntary sector.
    assert any(type_code == "childrens-centre" and sector == "vcs" for _, _, sector, type_code in rows)


def test_people_hold_roles_that_fit_their_organisation_over_the_last_ten_years(now):
    load(now)
    today = london_today(now)
    rows = db.session.execute(
        select(User.email, Sector.code, JobRole.code, PersonRole.started_on, PersonRole.ended_on)
        .join(PersonRole, PersonRole.user_id == User.id)
        .join(JobRole, PersonRole.job_role_id == JobRole.id)
        .outerjoin(Organisation, User.organisation_id == Organisation.id)
        .outerjoin(Sector, Organisation.sector_id == Sector.id)
    ).all()
    used = set()
    for email, sector, role, started_on, ended_on in rows:
        used.add(role)
        if sector is not None:
            assert role in ROLES_BY_SECTOR[sector], (email, sector, role)
        assert today - timedelta(days=3653) <= started_on <= today, email
        assert ended_on is None or started_on <= ended_on <= today, email
    assert {"teacher", "teaching-assistant", "school-dsl", "deputy-dsl", "head-teacher", "governor",
            "ey-practitioner", "ey-dsl", "childminder", "vcs-staff", "vcs-lead", "health-l1", "health-l3",
            "health-l5", "police-officer", "social-worker"} <= used
    starts = sorted(started_on for *_, started_on, _ in rows)
    assert (starts[-1] - starts[0]).days > 365 * 8  # spread over the decade, not bunched
    # Everyone with an organisation has a current employment there, and nobody has two.
    current = db.session.execute(
        select(Employment.user_id, Employment.organisation_id, User.organisation_id)
        .join(User, Employment.user_id == User.id)
        .where(Employment.ended_on.is_(None))
    ).all()
    assert all(org_id == user_org for _, org_id, user_org in current)
    assert len({user_id for user_id, _, _ in current}) == len(current)
    with_org = db.session.scalar(select(func.count(User.id)).where(User.organisation_id.is_not(None)))
    assert len(current) == with_org
    # A few people have no organisation (besides those asking to join), and some changed organisation.
    asking = select(JoinRequest.user_id).where(JoinRequest.decided_at.is_(None))
    assert 1 <= db.session.scalar(
        select(func.count(User.id)).where(User.organisation_id.is_(None), User.id.not_in(asking))
    ) <= 3
    assert db.session.scalar(select(func.count(Employment.id)).where(Employment.ended_on.is_not(None))) > 10


def test_people_are_asking_to_join_the_demo_primary_school_for_its_dsl(now):
    load(now)
    dsl = db.session.scalar(select(User).where(User.email == "dsl@demo.example"))
    [school] = dsl.led_organisations
    assert school.name == "Larkrise Primary School"
    waiting = list(db.session.scalars(select(JoinRequest).where(JoinRequest.decided_at.is_(None))))
    assert 2 <= len(waiting) <= 3
    assert {row.organisation_id for row in waiting} == {school.id}
    assert all(row.user.organisation_id is None and row.user.employments == [] for row in waiting)
    assert all(row.requested_at <= now and row.started_on <= now.date() for row in waiting)
    assert staff.join_requests_waiting(dsl) == len(waiting)


def test_same_seed_gives_the_same_data_and_another_seed_does_not(now):
    load(now, seed=7)
    first = snapshot()
    wipe()
    load(now, seed=7)
    assert snapshot() == first
    wipe()
    load(now, seed=8)
    other = snapshot()
    assert other["people"] != first["people"]
    assert other["organisations"] != first["organisations"]
    # The sign-ins and their settings are the same whatever the seed.
    assert {row[0] for row in other["leads"]} >= {"dsl@demo.example", "nursery@demo.example"}


def test_demo_sign_ins_authenticate_with_the_roles_they_describe(now):
    load(now)
    check_password_strength(demo.DEMO_PASSWORD)
    users = {}
    for email, _, _ in demo.SIGN_INS:
        users[email] = authenticate(email, demo.DEMO_PASSWORD, ip_address="127.0.0.1", now=now)
        assert users[email].email == email
    db.session.commit()

    assert users["admin@demo.example"].is_admin
    assert users["trainer@demo.example"].is_trainer and not users["trainer@demo.example"].is_admin
    dsl = users["dsl@demo.example"]
    assert [org.name for org in dsl.led_organisations] == [DEMO_PRIMARY_SCHOOL]
    assert "school-dsl" in {role.job_role.code for role in dsl.current_roles}
    teacher = users["teacher@demo.example"]
    assert not teacher.is_setting_lead and not teacher.is_admin and not teacher.is_trainer
    assert teacher.organisation.name == DEMO_PRIMARY_SCHOOL
    assert "teacher" in {role.job_role.code for role in teacher.current_roles}
    nursery = users["nursery@demo.example"]
    assert [org.name for org in nursery.led_organisations] == [DEMO_NURSERY]
    assert nursery.organisation.type.code == "day-nursery"
    assert "ey-dsl" in {role.job_role.code for role in nursery.current_roles}

    lines = demo.demo_sign_ins()
    for email in users:
        assert any(line.startswith(email) for line in lines)
    assert any(demo.DEMO_PASSWORD in line for line in lines)


def test_loads_in_a_few_bulk_statements(now, count_queries):
    with count_queries() as statements:
        result = demo.create_demo_data(if_empty=False, seed=2026, now=now)
    rows = result.organisations + result.people + result.job_roles + result.employments + result.setting_leads
    assert rows > 2000
    assert len(statements) < 40
    inserts_into_user = [s for s in statements if s.lstrip().upper().startswith('INSERT INTO "USER"')
                         or s.lstrip().upper().startswith("INSERT INTO USER")]
    assert 1 <= len(inserts_into_user) <= 3


def test_if_empty_loads_once_from_the_command_line(runner):
    first = runner.invoke(args=["lms", "demo-data", "--if-empty"])
    assert first.exit_code == 0, first.output
    assert "Created the fictional Hartmoor Borough Safeguarding Children Partnership" in first.output
    assert "admin@demo.example" in first.output
    assert demo.DEMO_PASSWORD in first.output
    people = db.session.scalar(select(func.count(User.id)))
    assert people > 300

    second = runner.invoke(args=["lms", "demo-data", "--if-empty"])
    assert second.exit_code == 0, second.output
    assert "Demo data is already loaded." in second.output
    assert "Created" not in second.output
    assert db.session.scalar(select(func.count(User.id))) == people


def test_if_empty_does_nothing_when_anyone_exists(now):
    factories.user("someone@example.org")
    db.session.commit()
    assert demo.create_demo_data(if_empty=True, seed=2026, now=now) is None
    assert db.session.scalar(select(func.count(User.id))) == 1
    assert db.session.scalar(select(func.count(Area.id))) == 0


def test_loading_twice_adds_nothing_the_second_time(now):
    load(now)
    people = db.session.scalar(select(func.count(User.id)))
    assert load(now + timedelta(days=1)) is None
    assert db.session.scalar(select(func.count(User.id))) == people


def test_loads_beside_existing_people_and_areas_without_clashing(now):
    # Someone already has the address the demo would give its first generated person.
    builder = demo._Builder(seed=2026, now=now)
    builder.plan()
    clash = next(p.email for p in builder.people if not p.email.endswith("@demo.example"))
    existing = factories.user(clash)
    north = factories.area("North (existing)", code="north")
    db.session.commit()

    result = load(now)

    assert result is not None
    assert db.session.scalar(select(func.count(User.id))) == result.people + 1
    assert db.session.scalar(select(func.count(User.id)).where(User.email == clash)) == 1
    assert db.session.get(User, existing.id).full_name == existing.full_name
    # The existing area is reused, not duplicated.
    assert db.session.scalar(select(func.count(Area.id))) == 4
    assert db.session.scalar(select(func.count(Organisation.id)).where(Organisation.area_id == north.id)) > 0


@pytest.mark.parametrize("seed", [1, 99])
def test_any_seed_meets_the_same_rules(now, seed):
    result = load(now, seed=seed)
    schools = db.session.scalar(
        select(func.count(Organisation.id))
        .join(OrganisationType, Organisation.type_id == OrganisationType.id)
        .where(OrganisationType.code.in_(SCHOOL_TYPES))
    )
    led_schools = db.session.scalar(
        select(func.count(func.distinct(SettingLead.organisation_id)))
        .join(Organisation, SettingLead.organisation_id == Organisation.id)
        .join(OrganisationType, Organisation.type_id == OrganisationType.id)
        .where(OrganisationType.code.in_(SCHOOL_TYPES))
    )
    assert led_schools == schools
    assert result.organisation_types == len(ORGANISATION_TYPES)


def test_the_same_seed_gives_the_same_people_on_another_day(now):
    """Only the dates move with `now`: `flask lms demo-data` loads the same partnership
    whenever it is run."""
    def plan(at):
        builder = demo._Builder(seed=2026, now=at)
        builder.plan()
        return builder

    today, later = plan(now), plan(now + timedelta(days=100, hours=7, minutes=13))
    assert [(p.email, p.full_name, [code for code, _, _ in p.roles]) for p in today.people] == [
        (p.email, p.full_name, [code for code, _, _ in p.roles]) for p in later.people
    ]
    assert [(o.name, o.postcode, o.urn) for o in today.orgs] == [(o.name, o.postcode, o.urn) for o in later.orgs]
    assert [[started for _, started, _ in p.roles] for p in today.people] != [
        [started for _, started, _ in p.roles] for p in later.people
    ]
