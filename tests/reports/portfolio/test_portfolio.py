"""CPD portfolios and setting evidence packs: the period rules, what the services put in
them (only the period, live certificates, verification of external CPD, the designated
leads, every member of staff) and the pages and PDFs, with who may see what."""
from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from lms.audit.models import AuditEvent
from lms.certificates import services as certificates
from lms.compliance import services as compliance
from lms.core.errors import DomainError
from lms.extensions import db
from lms.reports.portfolio import services
from lms.records.external import services as external
from lms.records import services as records
from tests import factories
from tests.compliance.test_queries import complete, make_courses
from tests.conftest import NOW


# --- the period -----------------------------------------------------------------------------

@pytest.mark.no_database
@pytest.mark.parametrize(("end", "start"), [
    (date(2026, 12, 6), date(2025, 12, 7)),
    (date(2026, 12, 31), date(2026, 1, 1)),
    (date(2027, 3, 1), date(2026, 3, 2)),
    (date(2028, 2, 29), date(2027, 3, 1)),  # a leap day: the year before has none
    (date(2028, 3, 1), date(2027, 3, 2)),
])
def test_the_default_period_is_the_twelve_months_to_the_day(end, start):
    assert services.default_start(end) == start


@pytest.mark.no_database
@pytest.mark.parametrize(("start", "end", "field", "message"), [
    (None, date(2026, 1, 1), "start", "Enter the period"),
    (date(2026, 2, 1), date(2026, 1, 31), "end", "must be the same as or after"),
    (date(2020, 1, 1), date(2026, 1, 5), "start", "at most six years"),
])
def test_a_bad_period_is_refused_on_its_field(start, end, field, message):
    with pytest.raises(DomainError) as caught:
        services.check_period(start, end)
    assert caught.value.field == field and message in caught.value.message


@pytest.mark.no_database
def test_one_day_and_six_years_are_allowed():
    services.check_period(date(2026, 5, 1), date(2026, 5, 1))
    services.check_period(date(2020, 12, 7), date(2026, 12, 6))


# --- a setting and its people --------------------------------------------------------------

@pytest.fixture()
def world():
    """Hillside (led by Lee) with a DSL (Dee), a deputy DSL (Dan) and a teacher (Ann);
    Beechwood (led by Bea) with Otto; an admin; a trainer."""
    courses = make_courses()
    hillside = factories.organisation("Hillside Primary School", area=factories.area("North"))
    beechwood = factories.organisation("Beechwood Primary School")
    people = {
        "admin": factories.user("admin@example.org", full_name="Ada Admin", admin=True, roles=("other",)),
        "trainer": factories.user("tess@example.org", full_name="Tess Trainer", trainer=True, roles=("other",)),
        "lead": factories.user("lead@example.org", full_name="Lee Lead", organisation=hillside, leads=(hillside,),
                               roles=("head-teacher",)),
        "dsl": factories.user("dsl@example.org", full_name="Dee Ess", organisation=hillside, roles=("school-dsl",),
                              role_start=date(2020, 1, 1)),
        "deputy": factories.user("dan@example.org", full_name="Dan Deputy", organisation=hillside,
                                 roles=("deputy-dsl",), role_start=date(2021, 1, 1)),
        "teacher": factories.user("ann@example.org", full_name="Ann Teacher", organisation=hillside,
                                  roles=("teacher",), role_start=date(2019, 9, 1)),
        "lead_b": factories.user("bea@example.org", full_name="Bea Beech", organisation=beechwood,
                                 leads=(beechwood,), roles=("head-teacher",)),
        "other": factories.user("otto@example.org", full_name="Otto Other", organisation=beechwood,
                                roles=("teacher",)),
    }
    complete(people["dsl"], courses["DSL-NEW"], date(2025, 9, 10))
    complete(people["dsl"], courses["DSL-NEW"], date(2023, 9, 10))  # before the period
    complete(people["teacher"], courses["WT"], date(2026, 3, 31))
    complete(people["other"], courses["WT"], date(2026, 4, 2))  # another setting
    compliance.refresh_status([p.id for p in people.values()], now=NOW)
    db.session.commit()
    return {"hillside": hillside, "beechwood": beechwood, "courses": courses, **people}


PERIOD = {"start": date(2025, 4, 1), "end": date(2026, 3, 31)}


def _elearning(person, title: str, on: date, ref: str):
    completion, _ = records.record_completion(
        person, title=title, delivery_mode="elearning", on=on, hours=Decimal("1.5"), source="elearning",
        source_ref=ref, now=NOW,
    )
    db.session.flush()
    return completion


def test_a_portfolio_holds_the_period_only_with_live_certificates_and_verification(world):
    dee, lee = world["dsl"], world["lead"]
    kept = _elearning(dee, "Online safety", date(2025, 4, 1), "p:1")  # the first day counts
    revoked = _elearning(dee, "Prevent awareness", date(2025, 6, 1), "p:2")
    _elearning(dee, "Too late", date(2026, 4, 1), "p:3")  # the day after the period
    for completion in (kept, revoked):
        certificates.issue(completion, actor=None, now=NOW)
    certificates.revoke(certificates.live_certificate(revoked.id), reason="Recorded for the wrong person",
                        actor=world["admin"], now=NOW)
    verified = external.log_external(dee, external.ExternalValues(
        title="County DSL refresher", provider="County council", completed_on=date(2025, 11, 5), hours="3",
        requirement_codes=[]), now=NOW)
    unverified = external.log_external(dee, external.ExternalValues(
        title="Podcast series", provider="NSPCC Learning", completed_on=date(2025, 12, 1), hours="1",
        requirement_codes=[]), now=NOW)
    external.verify(verified, actor=lee, now=NOW)
    external.cannot_verify(unverified, actor=lee, reason="No certificate was shown", now=NOW)
    db.session.commit()

    result = services.portfolio(dee, now=NOW, **PERIOD)

    titles = [entry.title for entry in result.entries]
    assert titles == ["Online safety", "Prevent awareness", "DSL new to role",
                      "County DSL refresher", "Podcast series"]
    by_title = {entry.title: entry for entry in result.entries}
    assert by_title["Online safety"].certificate_code == certificates.live_certificate(kept.id).code
    assert by_title["Prevent awareness"].certificate_code is None  # revoked: nothing to show an inspector
    assert by_title["County DSL refresher"].verification == "Self-reported; verified by Lee Lead on 23 November 2026"
    assert by_title["County DSL refresher"].provider == "County council"
    assert by_title["Podcast series"].verification == "Self-reported; not verified: No certificate was shown"
    assert by_title["Online safety"].verification == ""
    assert result.totals.completions == 5
    assert result.totals.hours == Decimal("1.5") * 2 + world["courses"]["DSL-NEW"].cpd_hours + 4
    assert result.totals.people == 1
    assert [role.job_role.code for role in result.roles] == ["school-dsl"] and result.dsl
    assert {need.requirement.code for need in result.needs}  # the calculation on the last day


def test_roles_held_in_the_period_are_listed_current_first(world):
    from lms.accounts.models import PersonRole

    ann = world["teacher"]
    for code, started, ended in (("teaching-assistant", date(2015, 9, 1), date(2019, 8, 31)),  # before
                                 ("school-staff", date(2024, 9, 1), date(2025, 7, 31))):  # ended in the period
        db.session.add(PersonRole(user_id=ann.id, job_role_id=factories.job_role(code).id, started_on=started,
                                  ended_on=ended))
    db.session.commit()
    db.session.refresh(ann)
    result = services.portfolio(ann, now=NOW, **PERIOD)
    assert [(role.job_role.code, role.ended_on) for role in result.roles] == [
        ("teacher", None), ("school-staff", date(2025, 7, 31)),
    ]
    assert not result.dsl


def test_an_evidence_pack_counts_every_member_of_staff_and_names_the_designated_leads(world):
    result = services.evidence_pack(world["hillside"], actor=world["lead"], now=NOW, **PERIOD)

    assert result.people == 4  # Lee, Dee, Dan and Ann; nobody from Beechwood
    assert {row.name for row in result.matrix.rows} == {"Lee Lead", "Dee Ess", "Dan Deputy", "Ann Teacher"}
    assert [lead.person.full_name for lead in result.designated_leads] == ["Dan Deputy", "Dee Ess"]
    dee = next(lead for lead in result.designated_leads if lead.person.full_name == "Dee Ess")
    assert dee.latest.title == "DSL new to role" and dee.latest.completed_on == date(2025, 9, 10)
    assert dee.needs and dee.roles == ["School designated safeguarding lead (DSL)"]
    dan = next(lead for lead in result.designated_leads if lead.person.full_name == "Dan Deputy")
    assert dan.latest is None
    assert [(entry.person_name, entry.completed_on) for entry in result.entries] == [
        ("Dee Ess", date(2025, 9, 10)), ("Ann Teacher", date(2026, 3, 31)),
    ]
    assert result.totals.people == 2 and result.trained_share == 50
    assert result.setting_leads == ["Lee Lead"]
    for item in result.summary:  # the summary counts the same people as the matrix
        assert item.people == 4
        assert item.applicable == sum(1 for row in result.matrix.rows if row.cell(item.requirement.code).applicable)


def test_an_evidence_pack_runs_the_same_statements_for_more_staff(world, count_queries):
    hillside = world["hillside"]

    def statements() -> int:
        db.session.expire_all()
        with count_queries() as counted:
            services.evidence_pack(hillside, actor=world["lead"], now=NOW, **PERIOD)
        return len(counted)

    before = statements()
    extra = [factories.user(f"t{i}@example.org", full_name=f"Teacher {i}", organisation=hillside,
                            roles=("deputy-dsl" if i % 4 == 0 else "teacher",)) for i in range(12)]
    for index, person in enumerate(extra):
        complete(person, world["courses"]["WT"], date(2025, 10, 1), ref=f"more:{index}")
    compliance.refresh_status([p.id for p in extra], now=NOW)
    db.session.commit()
    assert statements() == before
    assert len(services.evidence_pack(hillside, actor=world["lead"], now=NOW, **PERIOD).designated_leads) == 5


# --- pages and PDFs -----------------------------------------------------------------------------

def _pdf_text(body: bytes) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(body)).pages)


ARGS = "from=2025-04-01&to=2026-03-31"


def test_my_portfolio_page_and_pdf(app, world):
    client = factories.signed_in_client(app, world["dsl"])
    page = client.get(f"/my-training/portfolio?{ARGS}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "My CPD portfolio" in html and "DSL new to role" in html
    assert 'href="/my-training/portfolio.pdf?from=2025-04-01&amp;to=2026-03-31"' in html

    download = client.get(f"/my-training/portfolio.pdf?{ARGS}")
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert download.headers["Content-Disposition"] == 'attachment; filename="cpd-portfolio-dee-ess-2026-03-31.pdf"'
    text = _pdf_text(download.data)
    assert "Dee Ess" in text and "Hillside Primary School" in text
    assert "1 April 2025 to 31 March 2026" in text and "DSL new to role" in text
    assert "10 September 2023" not in text  # before the period
    # Your own portfolio is not an audited action.
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "portfolio.download")).first() is None


def test_the_default_period_is_the_year_to_today(app, world):
    client = factories.signed_in_client(app, world["dsl"])
    html = client.get("/my-training/portfolio").get_data(as_text=True)
    from lms.core.time import london_today, utcnow

    end = london_today(utcnow())
    start = services.default_start(end)
    assert f"to={end.isoformat()}" in html and f"from={start.isoformat()}" in html


@pytest.mark.parametrize(("query", "message"), [
    ("from=2026-04-01&to=2026-03-01", "must be the same as or after"),
    ("from=2019-01-01&to=2026-03-01", "at most six years"),
    ("from=2026-02-30&to=2026-03-01", "must be a real date"),
])
def test_a_bad_period_shows_the_error_and_no_pdf(app, world, query, message):
    client = factories.signed_in_client(app, world["dsl"])
    for path in ("/my-training/portfolio", "/my-training/portfolio.pdf"):
        response = client.get(f"{path}?{query}")
        html = response.get_data(as_text=True)
        assert response.status_code == 400 and response.mimetype == "text/html"
        assert "govuk-error-summary" in html and message in html


def test_a_lead_downloads_a_staff_portfolio_and_it_is_audited(app, world):
    client = factories.signed_in_client(app, world["lead"])
    dee = world["dsl"]
    page = client.get(f"/organisation/staff/{dee.id}/portfolio?{ARGS}")
    assert page.status_code == 200 and "CPD portfolio: Dee Ess" in page.get_data(as_text=True)
    download = client.get(f"/organisation/staff/{dee.id}/portfolio.pdf?{ARGS}")
    assert download.status_code == 200 and "Dee Ess" in _pdf_text(download.data)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "portfolio.download")).one()
    assert event.actor_id == world["lead"].id and "Dee Ess" in event.summary


@pytest.mark.parametrize("path", ["/organisation/staff/{id}/portfolio", "/organisation/staff/{id}/portfolio.pdf"])
def test_staff_portfolios_are_for_their_leads_and_admins_only(app, world, path):
    dee = world["dsl"]
    url = path.format(id=dee.id) + "?" + ARGS
    assert factories.signed_in_client(app, world["lead_b"]).get(url).status_code == 404  # another setting's lead
    assert factories.signed_in_client(app, world["teacher"]).get(url).status_code == 403  # not a lead
    assert factories.signed_in_client(app, world["trainer"]).get(url).status_code == 403
    assert factories.signed_in_client(app, world["admin"]).get(url).status_code == 200
    assert app.test_client().get(url).status_code == 302  # signed out: to sign in
    assert factories.signed_in_client(app, world["lead"]).get(
        path.format(id=world["other"].id) + "?" + ARGS).status_code == 404


def test_the_evidence_pack_page_and_pdf(app, world):
    client = factories.signed_in_client(app, world["lead"])
    hillside = world["hillside"]
    page = client.get(f"/organisation/evidence-pack?{ARGS}")  # a lead of one setting needs not choose
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Training evidence for inspectors and governors" in html and "Dan Deputy, Dee Ess" in html
    assert f"/organisation/evidence-pack.pdf?organisation={hillside.id}&amp;from=2025-04-01&amp;to=2026-03-31" in html

    download = client.get(f"/organisation/evidence-pack.pdf?organisation={hillside.id}&{ARGS}")
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    name = download.headers["Content-Disposition"]
    assert name == 'attachment; filename="training-evidence-hillside-primary-school-2026-03-31.pdf"'
    text = _pdf_text(download.data)
    for expected in ("Hillside Primary School", "Dee Ess", "Dan Deputy", "Ann Teacher", "Lee Lead",
                     "Designated safeguarding leads", "/verify"):
        assert expected in text, expected
    assert "Otto Other" not in text and "Beechwood" not in text
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "evidence_pack.download")).one()
    assert event.actor_id == world["lead"].id and event.target_id == str(hillside.id)


def test_evidence_packs_are_for_the_settings_leads_and_admins(app, world):
    hillside = world["hillside"]
    url = f"/organisation/evidence-pack.pdf?organisation={hillside.id}&{ARGS}"
    assert factories.signed_in_client(app, world["lead_b"]).get(url).status_code == 404
    assert factories.signed_in_client(app, world["teacher"]).get(url).status_code == 403
    assert factories.signed_in_client(app, world["trainer"]).get(url).status_code == 403
    assert app.test_client().get(url).status_code == 302
    admin = factories.signed_in_client(app, world["admin"])
    assert admin.get(url).status_code == 200
    # An admin without ?organisation= is asked which.
    choose = admin.get("/organisation/evidence-pack")
    assert choose.status_code == 200 and "Choose an organisation" in choose.get_data(as_text=True)
