"""Self-reported external CPD before a setting lead verifies it: the partnership's setting
(counts and is marked, or does not count until verified), the marker in words wherever a
status is shown (My training, the staff matrix, the person view, the portfolio and
evidence pack, the API), the admin page for the setting, and the requirement choices
limited to the person's own job roles. Service tests run at a fixed `now`."""
from __future__ import annotations

import io
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from lms.audit.models import AuditEvent
from lms.compliance import engine, queries, services
from lms.compliance.models import CompliancePolicy, ComplianceStatus, Requirement
from lms.compliance.rules import services as rules
from lms.core.errors import DomainError
from lms.extensions import db
from lms.records.external import services as external
from tests import factories
from tests.api.conftest import bearer, make_token
from tests.conftest import NOW, csrf_token_from

TODAY = date(2026, 11, 23)


# --- the pure calculation ----------------------------------------------------------------------

RULE = engine.Rule(code="staff-safeguarding", kind="interval", job_roles=frozenset({"teacher"}), period_months=36)
ROLES = [engine.RoleSpell("teacher", date(2015, 9, 1))]


def fact(on: date, *, verified: bool = True, codes=("staff-safeguarding",), hours="2") -> engine.Fact:
    return engine.Fact(completed_on=on, hours=Decimal(hours), requirement_codes=frozenset(codes),
                       delivery_mode="external" if not verified else "elearning", verified=verified)


def test_a_status_that_only_unverified_cpd_gives_is_marked():
    result = engine.evaluate(RULE, [fact(date(2026, 10, 1), verified=False)], ROLES, TODAY)
    assert result.status == engine.CURRENT and result.rests_on_unverified


def test_a_later_unverified_completion_that_moves_the_date_is_marked():
    result = engine.evaluate(RULE, [fact(date(2024, 1, 10)), fact(date(2026, 10, 1), verified=False)], ROLES, TODAY)
    assert result.due_on == date(2029, 10, 1) and result.rests_on_unverified


def test_unverified_cpd_that_changes_nothing_is_not_marked():
    result = engine.evaluate(RULE, [fact(date(2026, 10, 1)), fact(date(2025, 1, 1), verified=False)], ROLES, TODAY)
    assert result.status == engine.CURRENT and not result.rests_on_unverified
    other = engine.evaluate(RULE, [fact(date(2026, 10, 1)), fact(date(2026, 11, 1), verified=False, codes=("x",))], ROLES, TODAY)
    assert not other.rests_on_unverified


def test_unverified_hours_that_change_the_hours_counted_are_marked():
    rule = engine.Rule(code="health-l3", kind="rolling-hours", job_roles=frozenset({"teacher"}),
                       hours_required=Decimal(12), window_months=36)
    facts = [fact(date(2025, 1, 1), codes=("health-l3",), hours="12"),
             fact(date(2026, 1, 1), verified=False, codes=("health-l3",), hours="3")]
    result = engine.evaluate(rule, facts, ROLES, TODAY)
    assert result.hours_counted == Decimal(15) and result.rests_on_unverified


# --- the services --------------------------------------------------------------------------------

@pytest.fixture()
def school():
    return factories.organisation("Oak Primary")


@pytest.fixture()
def lead(school):
    return factories.user("lead@oak.example", full_name="Lee Lead", organisation=school, leads=(school,),
                          roles=("school-dsl",))


@pytest.fixture()
def teacher(school):
    return factories.user("tom@oak.example", full_name="Tom Teacher", organisation=school, roles=("teacher",),
                          role_start=date(2015, 9, 1))


@pytest.fixture()
def admin():
    return factories.user("admin@example.org", full_name="Ada Admin", admin=True, roles=("other",))


def log(person, codes=("staff-safeguarding",), on=date(2026, 10, 1)):
    activity = external.log_external(person, external.ExternalValues(
        title="Safeguarding basics", provider="County council", completed_on=on, hours="2",
        requirement_codes=list(codes)), now=NOW)
    db.session.flush()
    return activity


def row(person, code="staff-safeguarding") -> ComplianceStatus:
    requirement = db.session.scalar(select(Requirement).where(Requirement.code == code))
    db.session.expire_all()
    return db.session.scalar(select(ComplianceStatus).where(ComplianceStatus.user_id == person.id,
                                                            ComplianceStatus.requirement_id == requirement.id))


def status(person, code="staff-safeguarding") -> str:
    return services.table_statuses([person.id], as_of=TODAY)[(person.id, code)][0]


def test_by_default_unverified_cpd_counts_and_is_marked(teacher):
    log(teacher)
    assert services.unverified_cpd_counts() and db.session.get(CompliancePolicy, 1) is None
    assert status(teacher) == engine.CURRENT and row(teacher).rests_on_unverified
    need = next(n for n in queries.training_needs(teacher, as_of=TODAY) if n.requirement.code == "staff-safeguarding")
    assert need.unverified and need.status == engine.CURRENT


def test_turning_the_setting_off_recomputes_at_once_and_is_audited(teacher, lead, admin):
    log(teacher)
    assert rules.set_unverified_cpd_counts(False, actor=admin, now=NOW) == 1
    assert status(teacher) == engine.OVERDUE and not row(teacher).rests_on_unverified
    facts = services.facts_for([teacher.id])[teacher.id]
    assert facts == []  # left out of every calculation, the pages' and the rebuild's alike
    services.rebuild_status_table(now=NOW)
    assert status(teacher) == engine.OVERDUE
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "compliance.policy"))
    assert event.actor_id == admin.id and event.before == {"unverified_cpd_counts": True}
    assert event.after == {"unverified_cpd_counts": False, "people_recomputed": 1}
    assert rules.set_unverified_cpd_counts(False, actor=admin, now=NOW) is None  # no change, no event

    # Once a lead verifies it, it counts, unmarked.
    activity = log(teacher, on=date(2026, 10, 2))
    assert status(teacher) == engine.OVERDUE
    external.verify(activity, actor=lead, now=NOW)
    assert status(teacher) == engine.CURRENT and not row(teacher).rests_on_unverified

    assert rules.set_unverified_cpd_counts(True, actor=admin, now=NOW + timedelta(minutes=1)) == 1
    assert status(teacher) == engine.CURRENT


def test_verifying_takes_the_marker_away_when_the_setting_is_on(teacher, lead):
    activity = log(teacher)
    assert row(teacher).rests_on_unverified
    external.verify(activity, actor=lead, now=NOW)
    assert status(teacher) == engine.CURRENT and not row(teacher).rests_on_unverified


def test_the_setting_takes_only_yes_or_no(admin):
    with pytest.raises(DomainError) as error:
        rules.set_unverified_cpd_counts(None, actor=admin, now=NOW)
    assert error.value.field == "unverified_cpd_counts"


def test_the_requirement_choices_are_the_persons_own(teacher, lead):
    teacher_codes = {code for code, _ in external.requirement_choices(teacher)}
    assert "staff-safeguarding" in teacher_codes and "dsl-role-training" not in teacher_codes
    assert "dsl-role-training" in {code for code, _ in external.requirement_choices(lead)}
    with pytest.raises(DomainError) as error:
        log(teacher, codes=("staff-safeguarding", "dsl-role-training"))
    assert error.value.field == "requirement_codes"
    assert error.value.message == "Select only requirements of your own job roles: “DSL role training” is not one of them"
    activity = log(teacher)
    with pytest.raises(DomainError):
        external.update_external(activity, external.ExternalValues(
            title="t", provider="p", completed_on=date(2026, 10, 1), hours="1", requirement_codes=["eyfs-annex-c"]),
            actor=teacher, now=NOW)


# --- the pages and the API --------------------------------------------------------------------------

def words(response) -> str:
    html = re.sub(r"<(script|style).*?</\1>", " ", response.get_data(as_text=True), flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).replace("&#39;", "'").split())


def test_every_place_that_shows_the_status_says_it_rests_on_unverified_cpd(app, client, teacher, lead, admin):
    log(teacher)
    db.session.commit()
    factories.sign_in_directly(client, lead)
    matrix = words(client.get("/organisation/compliance"))
    assert "Tom Teacher Teacher No expiry (unverified CPD)" in matrix
    person = words(client.get(f"/organisation/compliance/{teacher.id}"))
    assert "Unverified CPD: this status rests on self-reported CPD" in person
    portfolio = words(client.get(f"/organisation/staff/{teacher.id}/portfolio"))
    assert "Unverified CPD: this rests on self-reported CPD" in portfolio
    pack = client.get("/organisation/evidence-pack.pdf")
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pack.data)).pages)
    assert "(unverified CPD)" in text
    client.get("/sign-out")

    factories.sign_in_directly(client, teacher)
    assert "Unverified CPD: this status rests on self-reported CPD" in words(client.get("/my-training"))

    body = client.get(f"/api/v1/people/{teacher.id}/compliance?as_of=2026-11-23", headers=bearer(make_token(admin))).json
    item = next(r for r in body["requirements"] if r["requirement"] == "staff-safeguarding")
    assert item["status"] == "current" and item["rests_on_unverified"] is True
    spec = client.get("/api/v1/openapi.json").json
    assert "rests_on_unverified" in spec["components"]["schemas"]["RequirementStatus"]["properties"]


def test_when_the_setting_is_off_the_pages_show_the_status_without_it(app, client, teacher, lead, admin):
    log(teacher)
    rules.set_unverified_cpd_counts(False, actor=admin, now=NOW)
    db.session.commit()
    factories.sign_in_directly(client, lead)
    matrix = words(client.get("/organisation/compliance"))
    assert "unverified CPD" not in matrix and "Overdue" in matrix


def test_the_admin_page_changes_the_setting(client, admin, teacher):
    log(teacher)
    db.session.commit()
    factories.sign_in_directly(client, admin)
    index = words(client.get("/admin/requirements/"))
    assert "Self-reported CPD counts before a setting lead verifies it" in index
    form = client.get("/admin/requirements/unverified-cpd")
    assert form.status_code == 200 and 'value="yes" checked' in form.get_data(as_text=True)

    missing = client.post("/admin/requirements/unverified-cpd", data={})
    assert missing.status_code == 400
    html = missing.get_data(as_text=True)
    assert 'class="govuk-error-summary"' in html and 'href="#unverified_cpd_counts"' in html
    assert "Select whether self-reported CPD counts before a setting lead verifies it" in html
    assert services.unverified_cpd_counts()

    assert client.post("/admin/requirements/unverified-cpd", data={"unverified_cpd_counts": "maybe"}).status_code == 400
    saved = client.post("/admin/requirements/unverified-cpd", data={"unverified_cpd_counts": "no"})
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/admin/requirements/")
    assert "Statuses worked out again for 1 person with unverified CPD" in words(client.get("/admin/requirements/"))
    db.session.expire_all()
    assert not services.unverified_cpd_counts() and status(teacher) == engine.OVERDUE


def test_the_setting_needs_the_csrf_token(csrf_app, admin):
    db.session.commit()
    client = factories.signed_in_client(csrf_app, admin)
    token = csrf_token_from(client.get("/admin/requirements/unverified-cpd").get_data(as_text=True))
    assert client.post("/admin/requirements/unverified-cpd", data={"unverified_cpd_counts": "no"}).status_code == 400
    db.session.expire_all()
    assert services.unverified_cpd_counts()
    response = client.post("/admin/requirements/unverified-cpd", data={"unverified_cpd_counts": "no", "csrf_token": token})
    assert response.status_code == 302
    db.session.expire_all()
    assert not services.unverified_cpd_counts()


def test_the_external_cpd_form_offers_only_the_persons_requirements(client, teacher):
    db.session.commit()
    factories.sign_in_directly(client, teacher)
    page = client.get("/learning/external/new").get_data(as_text=True)
    assert 'value="staff-safeguarding"' in page and 'value="dsl-role-training"' not in page
    response = client.post("/learning/external/new", data={
        "title": "DSL course", "provider": "Council", "completed_on-day": "1", "completed_on-month": "10",
        "completed_on-year": "2026", "cpd_hours": "6", "requirement_codes": ["dsl-role-training"],
    })
    assert response.status_code == 400
    assert "Select only requirements of your own job roles: “DSL role training” is not one of them" in response.get_data(as_text=True)
    assert external.list_own(teacher) == []
