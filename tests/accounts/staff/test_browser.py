"""A setting lead confirms someone asking to join, says another does not work here, and
records that a member of staff has left, in a real browser; axe-core finds nothing on any
page visited. (The `page` and `axe` fixtures come from tests/browser/fixtures.py.)"""
from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from lms.accounts import services as accounts
from lms.accounts.models import User
from lms.extensions import db
from lms.organisations.models import JoinRequest
from tests import factories
from tests.conftest import NOW

pytestmark = pytest.mark.browser


def test_lead_confirms_someone_asking_to_join(page, axe):
    school = factories.organisation("Larkrise Primary School")
    lead = factories.user("dsl@larkrise.example", full_name="Rachel Whitfield", organisation=school,
                          leads=(school,), roles=("school-dsl",))
    factories.user("tess@larkrise.example", full_name="Tess Teacher", organisation=school, roles=("teacher",))
    newcomer = factories.user("nia@larkrise.example", full_name="Nia New", roles=("teacher",))
    stranger = factories.user("sam@mail.example", full_name="Sam Stranger", roles=("school-staff",))
    accounts.ask_to_join(newcomer, school, on=date(2026, 11, 2), now=NOW)
    accounts.ask_to_join(stranger, school, on=date(2026, 11, 2), now=NOW)
    db.session.commit()
    newcomer_id, stranger_id, school_id = newcomer.id, stranger.id, school.id

    page.goto("/sign-in")
    page.get_by_label("Email address").fill(lead.email)
    page.locator("#password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"^[^?]*://[^/]+/$"))

    page.goto("/organisation/staff")
    assert page.get_by_role("heading", name="People asking to join (2)").is_visible()
    axe(page)

    page.get_by_role("button", name="Confirm Nia New works here").click()
    page.wait_for_url("**/organisation/staff#asking-to-join")
    assert "Nia New is now on the staff of Larkrise Primary School" in page.content()
    assert page.get_by_role("heading", name="People asking to join (1)").is_visible()
    assert page.get_by_role("link", name="Nia New").is_visible()
    axe(page)

    page.get_by_role("button", name=re.compile(r"^Does not work here\W+Sam Stranger$")).click()
    page.wait_for_url("**/organisation/staff#asking-to-join")
    assert "You have said that Sam Stranger does not work at Larkrise Primary School" in page.content()
    assert page.get_by_role("heading", name=re.compile("People asking to join")).count() == 0
    axe(page)

    # Tess has left: record it on her page, first with a date in the future.
    page.get_by_role("link", name="Tess Teacher").click()
    page.get_by_role("link", name="Record that Tess Teacher has left Larkrise Primary School").click()
    page.wait_for_url(re.compile(r".*/left$"))
    axe(page)
    page.locator("#ended_on-day").fill("1")
    page.locator("#ended_on-month").fill("1")
    page.locator("#ended_on-year").fill("2100")
    page.get_by_role("button", name="Record that they have left").click()
    page.locator(".govuk-error-summary").wait_for()
    assert "The date they left must be today or in the past" in page.locator(".govuk-error-summary").inner_text()
    axe(page)
    page.locator("#ended_on-year").fill("2024")
    page.get_by_role("button", name="Record that they have left").click()
    page.wait_for_url("**/organisation/staff")
    assert "Tess Teacher is recorded as having left Larkrise Primary School" in page.content()

    db.session.expire_all()
    assert db.session.get(User, newcomer_id).organisation_id == school_id
    assert db.session.get(User, stranger_id).organisation_id is None
    outcomes = dict(db.session.execute(select(JoinRequest.user_id, JoinRequest.outcome)).all())
    assert outcomes == {newcomer_id: "confirmed", stranger_id: "declined"}
    assert db.session.scalar(select(User.organisation_id).where(User.email == "tess@larkrise.example")) is None
