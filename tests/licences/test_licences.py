from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from lms.accounts import services as accounts
from lms.accounts.models import UserSession
from lms.audit.models import AuditEvent
from lms.core.errors import DomainError
from lms.extensions import db
from lms.licences import services
from lms.notifications.models import OutboundEmail
from tests import factories

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)


def aged(person, *, last_used: datetime):
    person.created_at = last_used
    person.last_sign_in_at = last_used
    return person


def test_summary_counts_active_accounts_against_licences():
    admin = factories.user(admin=True)
    for _ in range(9):
        factories.user()
    closed = factories.user()
    closed.active = False
    services.add_purchase(admin, quantity=8, starts_on=date(2026, 4, 1), ends_on=None, reference="PO-1", now=NOW)
    services.add_purchase(admin, quantity=3, starts_on=date(2025, 4, 1), ends_on=date(2026, 3, 31), reference=None, now=NOW)
    services.add_purchase(admin, quantity=3, starts_on=date(2026, 11, 1), ends_on=None, reference=None, now=NOW)
    summary = services.summary(now=NOW)
    assert summary.licences == 11  # the expired purchase does not count
    assert summary.active == 10
    assert summary.percent_used == 91
    assert summary.warning  # 90% by default
    assert summary.remaining == 1
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.action == "licences.purchase")) is not None


def test_purchase_and_policy_validation():
    admin = factories.user(admin=True)
    with pytest.raises(DomainError, match="whole number of 1 or more"):
        services.add_purchase(admin, quantity=0, starts_on=date(2026, 1, 1), ends_on=None, reference=None, now=NOW)
    with pytest.raises(DomainError, match="on or after the start date"):
        services.add_purchase(admin, quantity=5, starts_on=date(2026, 1, 1), ends_on=date(2025, 1, 1), reference=None, now=NOW)
    with pytest.raises(DomainError, match="from 3 to 120"):
        services.update_policy(admin, dormant_after_months=1, warn_at_percent=90, now=NOW)
    policy = services.update_policy(admin, dormant_after_months=18, warn_at_percent=85, now=NOW)
    assert (policy.dormant_after_months, policy.warn_at_percent) == (18, 85)


def test_warning_a_month_before_then_dormancy():
    policy_months = services.get_policy().dormant_after_months  # 24
    assert policy_months == 24
    soon = aged(factories.user("soon@example.org"), last_used=NOW - timedelta(days=24 * 30.4 - 20))
    recent = aged(factories.user("recent@example.org"), last_used=NOW - timedelta(days=200))
    old = aged(factories.user("old@example.org"), last_used=datetime(2024, 11, 1, tzinfo=timezone.utc))
    admin = aged(factories.user("admin@example.org", admin=True), last_used=datetime(2020, 1, 1, tzinfo=timezone.utc))
    db.session.commit()

    assert services.warn_dormant_accounts(now=NOW) == 2  # soon and old (not yet dormant)
    assert services.warn_dormant_accounts(now=NOW + timedelta(days=1)) == 0  # once only
    warned = set(db.session.scalars(select(OutboundEmail.to_address)))
    assert warned == {"soon@example.org", "old@example.org"}

    assert services.make_accounts_dormant(now=NOW) == 1
    db.session.expire_all()
    assert old.dormant_at is not None
    assert soon.dormant_at is None and recent.dormant_at is None and admin.dormant_at is None


def test_sign_in_reactivates_a_dormant_account_while_licences_remain():
    admin = factories.user(admin=True)
    person = aged(factories.user("old@example.org"), last_used=datetime(2023, 1, 1, tzinfo=timezone.utc))
    person.dormant_at = NOW
    services.add_purchase(admin, quantity=2, starts_on=date(2026, 1, 1), ends_on=None, reference=None, now=NOW)
    other = factories.user()
    db.session.commit()
    # admin + other = 2 active: no licence free.
    with pytest.raises(DomainError, match="no learner licences are free"):
        accounts.authenticate("old@example.org", factories.PASSWORD, ip_address="1.2.3.4", now=NOW)
    assert person.dormant_at is not None
    other.active = False
    db.session.commit()
    assert accounts.authenticate("old@example.org", factories.PASSWORD, ip_address="1.2.3.4", now=NOW) == person
    assert person.dormant_at is None


def test_no_licences_recorded_means_no_limit():
    person = factories.user("old@example.org")
    person.dormant_at = NOW
    db.session.commit()
    assert accounts.authenticate("old@example.org", factories.PASSWORD, ip_address="1.2.3.4", now=NOW) == person


def test_licence_page_is_for_admins_only(client):
    practitioner = factories.user("p@example.org")
    db.session.commit()
    assert client.get("/admin/licences/").status_code == 302
    factories.sign_in(client, practitioner)
    assert client.get("/admin/licences/").status_code == 403
    assert client.post("/admin/licences/purchases", data={"quantity": "5"}).status_code == 403


def test_admin_records_licences_and_settings(client):
    admin = factories.user("a@example.org", admin=True)
    db.session.commit()
    factories.sign_in(client, admin)
    page = client.get("/admin/licences/").data.decode()
    assert "No licences have been recorded" in page
    bad = client.post("/admin/licences/purchases", data={"quantity": "", "starts_on": ["1", "4", "2026"]})
    assert bad.status_code == 400 and b"There is a problem" in bad.data
    response = client.post(
        "/admin/licences/purchases", data={"quantity": "500", "starts_on": ["1", "4", "2026"], "reference": "INV 42"}
    )
    assert response.status_code == 302
    page = client.get("/admin/licences/").data.decode()
    assert "INV 42" in page and "500" in page
    bad = client.post("/admin/licences/policy", data={"dormant_after_months": "1", "warn_at_percent": "90"})
    assert b"Enter a number of months from 3 to 120" in bad.data
    client.post("/admin/licences/policy", data={"dormant_after_months": "36", "warn_at_percent": "80"})
    assert services.get_policy().dormant_after_months == 36


def test_admin_dashboard_shows_licences_and_warns_at_the_threshold(client):
    admin = factories.user("a@example.org", admin=True)
    for _ in range(8):
        factories.user()
    db.session.commit()
    factories.sign_in(client, admin)
    page = client.get("/admin/").data.decode()
    assert "no licences recorded" in page and 'id="licence-warning"' not in page
    services.add_purchase(admin, quantity=10, starts_on=date(2026, 1, 1), ends_on=None, reference=None, now=NOW)
    db.session.commit()
    page = client.get("/admin/").data.decode()
    assert "9 of 10 licences (90%)" in page
    assert 'id="licence-warning"' in page


def test_accounts_dormant_longer_than_the_policy_allows_are_closed(runner):
    """The retention rule for accounts: closed 12 months (by default) after becoming dormant,
    to the hour (the job runs at 02:00 UTC here: dormant at 01:00 a year ago is closed, a day
    later is not yet); signed out everywhere; in the audit log as done by the service;
    admins and open accounts untouched; nothing twice."""
    long_dormant = factories.user("long@example.org", full_name="Lee Long")
    long_dormant.dormant_at = datetime(2025, 11, 23, 1, 0, tzinfo=timezone.utc)
    month_end = factories.user("feb@example.org")  # long ago, on a leap day
    month_end.dormant_at = datetime(2024, 2, 29, 12, 0, tzinfo=timezone.utc)
    recent = factories.user("recent@example.org")
    recent.dormant_at = datetime(2025, 11, 24, 0, 0, tzinfo=timezone.utc)  # not a full 12 months yet
    open_account = factories.user("open@example.org")
    admin = factories.user("admin@example.org", admin=True)
    admin.dormant_at = datetime(2020, 1, 1, tzinfo=timezone.utc)  # cannot happen through the jobs; still not closed
    db.session.commit()
    accounts.start_session(long_dormant, now=NOW - timedelta(days=400), ip_address="1.2.3.4", user_agent="test")
    db.session.commit()

    assert services.close_dormant_accounts(now=NOW) == 2
    db.session.commit()
    db.session.expire_all()
    assert (long_dormant.active, month_end.active) == (False, False)
    assert recent.active and open_account.active and admin.active
    assert db.session.scalars(
        select(UserSession).where(UserSession.user_id == long_dormant.id, UserSession.revoked_at.is_(None))
    ).all() == []
    events = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "person.close").order_by(AuditEvent.id)))
    assert [e.target_id for e in events] == [str(long_dormant.id), str(month_end.id)]
    assert events[0].actor_id is None
    assert "Lee Long: dormant since 23 November 2025, longer than the licence policy's 12 months" in events[0].summary
    assert services.close_dormant_accounts(now=NOW + timedelta(days=1)) == 1  # recent, now a full year
    db.session.commit()

    # The nightly job, with the policy set never to close: nothing more.
    admin_user = factories.user("a2@example.org", admin=True)
    services.update_policy(admin_user, dormant_after_months=24, close_after_dormant_months=None, warn_at_percent=90,
                           now=NOW)
    later = factories.user("later@example.org")
    later.dormant_at = datetime(2020, 1, 1, tzinfo=timezone.utc)
    db.session.commit()
    result = runner.invoke(args=["lms", "jobs", "run", "close-dormant-accounts"])
    assert result.exit_code == 0, result.output
    assert "0 dormant accounts closed" in result.output
    assert db.session.get(type(later), later.id).active


def test_closing_dormant_accounts_is_a_policy_setting(client):
    admin = factories.user("a@example.org", admin=True)
    db.session.commit()
    factories.sign_in(client, admin)
    page = client.get("/admin/licences/").data.decode()
    assert "after 12 more months" in page and 'name="close_after_dormant_months"' in page
    bad = client.post("/admin/licences/policy", data={
        "dormant_after_months": "24", "close_after_dormant_months": "0", "warn_at_percent": "90"})
    assert bad.status_code == 400
    assert b"Enter a number of months from 1 to 120, or leave it blank to never close dormant accounts" in bad.data
    assert services.get_policy().close_after_dormant_months == 12
    client.post("/admin/licences/policy", data={
        "dormant_after_months": "24", "close_after_dormant_months": "", "warn_at_percent": "90"})
    assert services.get_policy().close_after_dormant_months is None
    assert "Never" in client.get("/admin/licences/").data.decode()
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "licences.policy"))
    assert event.before["close_after_dormant_months"] == 12 and event.after["close_after_dormant_months"] is None


def test_reading_the_policy_before_it_is_saved_writes_nothing(count_queries):
    from lms.licences.models import LicencePolicy

    with count_queries() as statements:
        policy = services.get_policy()
        services.summary(now=NOW)
    assert policy.dormant_after_months == 24 and policy.warn_at_percent == 90
    assert not [statement for statement in statements if statement.lstrip().upper().startswith("INSERT")]
    assert db.session.scalar(select(func.count()).select_from(LicencePolicy)) == 0
