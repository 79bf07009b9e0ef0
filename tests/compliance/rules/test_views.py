"""Editing requirements and their rules: the admin pages (access, preview then save,
error summary, new local requirements), in the test client and in a real browser."""
from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from lms.compliance import engine, services
from lms.compliance.models import Requirement
from lms.compliance.rules import layers, services as rules
from lms.compliance.rules.changes import NewRequirement
from lms.compliance.rules.layers import RuleValues
from lms.extensions import db
from tests import factories
from tests.compliance.rules.test_services import (  # noqa: F401  (the admin and courses fixtures)
    admin,
    complete,
    courses,
    events,
    requirement,
)
from tests.conftest import NOW, csrf_token_from


# --- the pages -------------------------------------------------------------------------------

def sign_in(client, person):
    assert factories.sign_in(client, person).status_code == 302


def error_summary(html: str) -> bool:
    return 'class="govuk-error-summary"' in html and "There is a problem" in html


@pytest.fixture()
def signed_in(client, admin):
    db.session.commit()
    sign_in(client, admin)
    return client


ROUTES = [
    ("GET", "/admin/requirements/"),
    ("GET", "/admin/requirements/staff-safeguarding"),
    ("GET", "/admin/requirements/id/1"),
    ("GET", "/admin/requirements/staff-safeguarding/partnership"),
    ("POST", "/admin/requirements/staff-safeguarding/partnership"),
    ("GET", "/admin/requirements/staff-safeguarding/partnership/remove"),
    ("POST", "/admin/requirements/staff-safeguarding/partnership/remove"),
    ("GET", "/admin/requirements/staff-safeguarding/organisation-rule"),
    ("POST", "/admin/requirements/staff-safeguarding/organisation-rule"),
    ("POST", "/admin/requirements/staff-safeguarding/organisation-rule/1/remove"),
    ("GET", "/admin/requirements/staff-safeguarding/edit"),
    ("POST", "/admin/requirements/staff-safeguarding/edit"),
    ("GET", "/admin/requirements/new"),
    ("POST", "/admin/requirements/new?kind=once"),
    ("GET", "/admin/requirements/unverified-cpd"),
    ("POST", "/admin/requirements/unverified-cpd"),
]


@pytest.mark.parametrize(("method", "url"), ROUTES)
def test_anonymous_people_are_sent_to_sign_in(client, method, url):
    response = client.open(url, method=method)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in")


@pytest.mark.parametrize("kind", ["practitioner", "trainer", "setting lead"])
@pytest.mark.parametrize(("method", "url"), ROUTES)
def test_people_who_are_not_admins_are_refused(client, kind, method, url):
    school = factories.organisation()
    visitor = factories.user(
        organisation=school, trainer=kind == "trainer", leads=(school,) if kind == "setting lead" else ()
    )
    db.session.commit()
    sign_in(client, visitor)
    response = client.open(url, method=method, data={"action": "save", "period_months": "36", "name": "Hacked"})
    assert response.status_code == 403
    db.session.expire_all()
    assert layers.partnership_layer(requirement("staff-safeguarding")) is None
    assert requirement("staff-safeguarding").name == "Whole-staff safeguarding training"
    assert not events()


def test_the_list_page_shows_rules_in_words(signed_in, admin, count_queries):
    response = signed_in.get("/admin/requirements/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for words in ("Every 24 months", "Once; no national expiry", "12 hours in any 36 months", "By 30 September each academic year",
                  "KCSIE 2025, Annex C", "Statutory guidance", "National"):
        assert words in html

    def add(n):
        for _ in range(n):
            code = f"local-{len(rules.list_requirements())}"
            rules.create_requirement(
                NewRequirement(code=code, name=f"Local {code}", kind="once", job_role_codes=("teacher", "governor"), values=RuleValues()),
                actor=admin, now=NOW,
            )
            req = requirement("staff-safeguarding")
            rules.set_organisation_overrides(req, True, actor=admin, now=NOW)
            rules.set_organisation_rule(req, factories.organisation(), RuleValues(period_months=12), actor=admin, now=NOW)
        db.session.commit()

    add(1)
    with count_queries() as few:
        signed_in.get("/admin/requirements/")
    add(4)
    with count_queries() as many:
        html = signed_in.get("/admin/requirements/").get_data(as_text=True)
    assert "5 organisation overrides" in html and "Local local-16" in html
    assert len(many) == len(few), "\n\n".join(many)


def test_preview_then_save_the_partnership_rule(signed_in, courses):
    teacher = factories.user(full_name="Tom Teacher", roles=("teacher",), role_start=date(2015, 9, 1))
    complete(teacher, courses["SGE"], date(2022, 11, 23))
    db.session.commit()
    url = "/admin/requirements/staff-safeguarding/partnership"
    form_page = signed_in.get(url).get_data(as_text=True)
    assert 'name="period_months"' in form_page and 'name="hours_required"' not in form_page

    response = signed_in.post(url, data={"action": "preview", "period_months": "36", "note": "Board, October 2026",
                                         "counts_from": ["dsl-role-training"]})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "This change makes 1 person overdue." in html
    assert "Tom Teacher" in html
    assert '<input type="hidden" name="period_months" value="36">' in html
    assert '<input type="hidden" name="counts_from" value="dsl-role-training">' in html
    assert 'value="save"' in html and "Save this change" in html
    db.session.expire_all()
    assert layers.partnership_layer(requirement("staff-safeguarding")) is None
    assert not events()

    carried = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html))
    response = signed_in.post(url, data={**carried, "action": "save"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/requirements/staff-safeguarding")
    db.session.expire_all()
    layer = layers.partnership_layer(requirement("staff-safeguarding"))
    assert (layer.period_months, layer.note, layer.counts_from) == (36, "Board, October 2026", None)  # as national
    assert services.table_statuses([teacher.id], as_of=date.today())[(teacher.id, "staff-safeguarding")][0] == engine.OVERDUE

    page = signed_in.get(response.headers["Location"]).get_data(as_text=True)
    assert "The partnership’s rule for Whole-staff safeguarding training is saved" in page
    assert "Partnership rule for Whole-staff safeguarding training set: Every 36 months" in page  # history
    assert "Ada Admin" in page


def test_change_the_values_goes_back_to_the_form(signed_in):
    url = "/admin/requirements/staff-safeguarding/partnership"
    html = signed_in.post(url, data={"action": "change", "period_months": "36"}).get_data(as_text=True)
    assert 'name="period_months"' in html and 'value="36"' in html and "Preview the effect" in html
    assert not error_summary(html)


@pytest.mark.parametrize(
    "data, message",
    [
        ({"period_months": "abc"}, "Period in months must be a whole number"),
        ({"period_months": "0"}, "Period must be between 1 and 120 months"),
        ({"period_months": "121"}, "Period must be between 1 and 120 months"),
        ({"due_soon_days": "400"}, "Due-soon window must be between 0 and 365 days"),
        ({"counts_from": ["made-up"]}, "There is no requirement with the code"),
    ],
)
@pytest.mark.parametrize("action", ["preview", "save"])
def test_bad_input_shows_the_error_summary_and_changes_nothing(signed_in, data, message, action):
    response = signed_in.post("/admin/requirements/staff-safeguarding/partnership", data={**data, "action": action})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert error_summary(html)
    assert message in html.replace("&#39;", "'")
    db.session.expire_all()
    assert layers.partnership_layer(requirement("staff-safeguarding")) is None
    assert not events()


def test_bad_deadline_on_the_academic_year_rule(signed_in):
    html = signed_in.post(
        "/admin/requirements/staff-annual-update/partnership", data={"action": "save", "deadline_day": "31", "deadline_month": "11"}
    ).get_data(as_text=True)
    assert error_summary(html) and "Deadline must be a real date: November has no day 31" in html
    assert 'href="#deadline_day"' in html


def test_organisation_rules_pages(signed_in, courses):
    oak, elm = factories.organisation("Oak Primary"), factories.organisation("Elm Primary")
    olive = factories.user(full_name="Olive Oak", organisation=oak, roles=("teacher",), role_start=date(2015, 9, 1))
    eli = factories.user(full_name="Eli Elm", organisation=elm, roles=("teacher",), role_start=date(2015, 9, 1))
    for person in (olive, eli):
        complete(person, courses["SGE"], date(2024, 6, 1))
    db.session.commit()
    url = "/admin/requirements/staff-safeguarding/organisation-rule"

    # Not allowed yet: sent back with a message, and a post changes nothing.
    response = signed_in.get(url)
    assert response.status_code == 302
    signed_in.post(url, data={"action": "save", "organisation": str(oak.id), "period_months": "12"})
    db.session.expire_all()
    assert len(requirement("staff-safeguarding").rules) == 1

    signed_in.post("/admin/requirements/staff-safeguarding/edit", data={
        "action": "save", "name": "Whole-staff safeguarding training", "strength": "statutory",
        "job_roles": ["school-staff", "teacher", "teaching-assistant", "school-dsl", "deputy-dsl", "head-teacher"],
        "active": "yes", "organisation_overrides": "yes", "source": "KCSIE 2025",
    })
    assert signed_in.get(url).status_code == 200
    html = signed_in.post(url, data={"action": "preview", "organisation": "", "period_months": "12"}).get_data(as_text=True)
    assert error_summary(html) and "Select an organisation" in html

    html = signed_in.post(url, data={"action": "preview", "organisation": str(oak.id), "period_months": "12"}).get_data(as_text=True)
    assert "This change makes 1 person overdue." in html and "Olive Oak" in html and "Eli Elm" not in html
    response = signed_in.post(url, data={"action": "save", "organisation": str(oak.id), "period_months": "12"})
    assert response.status_code == 302
    statuses = services.table_statuses([olive.id, eli.id], as_of=date.today())
    assert statuses[(olive.id, "staff-safeguarding")][0] == engine.OVERDUE
    assert statuses[(eli.id, "staff-safeguarding")][0] == engine.CURRENT
    page = signed_in.get("/admin/requirements/staff-safeguarding").get_data(as_text=True)
    assert "Oak Primary" in page and "Period: 12 months" in page

    remove = f"/admin/requirements/staff-safeguarding/organisation-rule/{oak.id}/remove"
    assert "makes 1 person current" in signed_in.get(remove).get_data(as_text=True)
    assert signed_in.post(remove).status_code == 302
    db.session.expire_all()
    assert layers.organisation_layer(requirement("staff-safeguarding"), oak.id) is None
    assert signed_in.get(f"/admin/requirements/staff-safeguarding/organisation-rule/{elm.id}/remove").status_code == 404


def test_edit_details_cannot_change_the_code(signed_in):
    response = signed_in.post("/admin/requirements/governor-training/edit", data={
        "action": "save", "code": "governors", "name": "Governor safeguarding", "strength": "statutory",
        "job_roles": ["governor"], "active": "yes", "organisation_overrides": "no",
    })
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(Requirement.name).where(Requirement.code == "governor-training")) == "Governor safeguarding"
    assert db.session.scalar(select(Requirement).where(Requirement.code == "governors")) is None
    html = signed_in.post("/admin/requirements/governor-training/edit", data={
        "action": "save", "name": "Governor safeguarding", "strength": "statutory", "job_roles": [],
        "active": "yes", "organisation_overrides": "no",
    }).get_data(as_text=True)
    assert error_summary(html) and "Select at least one job role" in html


def test_add_a_local_requirement(signed_in):
    factories.user(full_name="Tia Teacher", roles=("teacher",), role_start=date(2015, 9, 1))
    db.session.commit()
    html = signed_in.get("/admin/requirements/new").get_data(as_text=True)
    assert "What kind of rule is it?" in html
    html = signed_in.get("/admin/requirements/new?kind=").get_data(as_text=True)
    assert error_summary(html)
    assert 'name="period_months"' in signed_in.get("/admin/requirements/new?kind=interval").get_data(as_text=True)
    data = {"code": "prevent-duty", "name": "Prevent duty awareness", "job_roles": ["teacher"], "strength": "local",
            "period_months": "36"}
    html = signed_in.post("/admin/requirements/new?kind=interval", data={**data, "action": "preview"}).get_data(as_text=True)
    assert "This change makes 1 person overdue." in html and "Add this requirement" in html
    assert db.session.scalar(select(Requirement).where(Requirement.code == "prevent-duty")) is None
    response = signed_in.post("/admin/requirements/new?kind=interval", data={**data, "action": "save"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/requirements/prevent-duty")
    html = signed_in.post("/admin/requirements/new?kind=interval", data={**data, "action": "save"}).get_data(as_text=True)
    assert error_summary(html) and "There is already a requirement with the code prevent-duty" in html
    assert db.session.scalar(select(func.count()).select_from(Requirement).where(Requirement.code == "prevent-duty")) == 1


def test_the_requirement_page_shows_each_layer(signed_in, admin):
    req = requirement("dsl-annual-update")
    rules.set_partnership_rule(req, RuleValues(period_months=12, due_soon_days=30, note="Termly twilights"), actor=admin, now=NOW)
    db.session.commit()
    html = signed_in.get("/admin/requirements/dsl-annual-update").get_data(as_text=True)
    assert "The rule, layer by layer" in html
    assert "DSL network twilight" in html  # qualifying modes, from the national layer
    assert "30 days" in html and "Termly twilights" in html
    assert signed_in.get("/admin/requirements/no-such-thing").status_code == 404
    response = signed_in.get(f"/admin/requirements/id/{req.id}")
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/requirements/dsl-annual-update")


def test_preview_page_carries_a_csrf_token_and_save_needs_it(csrf_app, admin):
    client = factories.signed_in_client(csrf_app, admin)
    url = "/admin/requirements/governor-training/partnership"
    token = csrf_token_from(client.get(url).get_data(as_text=True))
    preview = client.post(url, data={"action": "preview", "period_months": "36", "csrf_token": token}).get_data(as_text=True)
    assert "Save this change" in preview
    assert client.post(url, data={"action": "save", "period_months": "36"}).status_code == 400
    response = client.post(url, data={"action": "save", "period_months": "36", "csrf_token": csrf_token_from(preview)})
    assert response.status_code == 302
    db.session.expire_all()
    assert layers.partnership_layer(requirement("governor-training")).period_months == 36


# --- in a real browser -----------------------------------------------------------------------

@pytest.mark.browser
def test_admin_changes_a_rule_in_the_browser(page, axe, courses):
    school = factories.organisation("Brook Lane Primary")
    admin = factories.user("admin@example.org", full_name="Ada Admin", admin=True, organisation=school, roles=("other",))
    teacher = factories.user(full_name="Tom Teacher", organisation=school, roles=("teacher",), role_start=date(2015, 9, 1))
    complete(teacher, courses["SGE"], date(2022, 11, 23))
    db.session.commit()
    admin_email = admin.email

    page.goto("/sign-in")
    page.get_by_label("Email address").fill(admin_email)
    page.locator("#password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"^[^?]*://[^/]+/$"))

    page.goto("/admin/requirements/")
    assert page.get_by_role("heading", name="Training requirements").is_visible()
    axe(page)
    page.get_by_role("link", name="Whole-staff safeguarding training").click()
    page.wait_for_url("**/admin/requirements/staff-safeguarding")
    axe(page)

    page.get_by_role("button", name="Change the partnership’s rule").click()
    page.get_by_label("Period in months").fill("0")
    page.get_by_role("button", name="Preview the effect").click()
    page.locator(".govuk-error-summary").wait_for()
    assert "Period must be between 1 and 120 months" in page.locator(".govuk-error-summary").inner_text()
    axe(page)

    page.get_by_label("Period in months").fill("36")
    page.get_by_role("button", name="Preview the effect").click()
    page.locator("#preview-summary").wait_for()
    assert "This change makes 1 person overdue." in page.locator("#preview-summary").inner_text()
    axe(page)
    page.get_by_role("button", name="Save this change").click()
    page.wait_for_url("**/admin/requirements/staff-safeguarding")
    assert "Every 36 months" in page.content()
    axe(page)

    page.goto("/admin/requirements/staff-safeguarding/edit")
    page.get_by_role("group", name="May organisations set their own rule?").get_by_label("Yes").check()
    page.get_by_role("button", name="Preview the effect").click()
    page.locator("#preview-summary").wait_for()
    axe(page)
    page.get_by_role("button", name="Save this change").click()
    page.wait_for_url("**/admin/requirements/staff-safeguarding")
    page.goto("/admin/requirements/staff-safeguarding/organisation-rule")
    axe(page)

    page.goto("/admin/requirements/new")
    axe(page)
    page.get_by_label("Rolling hours").check()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/admin/requirements/new?kind=rolling-hours")
    axe(page)
    page.get_by_role("button", name="Add without previewing").click()
    page.locator(".govuk-error-summary").wait_for()
    axe(page)
