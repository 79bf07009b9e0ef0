"""The compliance pages through the test client: what training I need, a setting lead's
staff matrix with its exports and per-person page, and the admin overview."""
from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from lms.audit.models import AuditEvent
from lms.compliance import services
from lms.extensions import db
from tests import factories
from tests.compliance.test_queries import complete, make_courses
from tests.conftest import NOW


def login(client, person) -> None:
    response = factories.sign_in(client, person)
    assert response.status_code == 302, response.get_data(as_text=True)


def section(html: str, code: str) -> str:
    """The card of one requirement on a needs page."""
    start = html.index(f'id="requirement-{code}"')
    end = html.find('id="requirement-', start + 1)
    return html[start:end if end != -1 else len(html)]


def row_of(html: str, name: str) -> str:
    """The matrix row of one person."""
    start = html.index(f">{name}</a>")
    return html[start:html.index("</tr>", start)]


def squash(text: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", text).split())


@pytest.fixture()
def world():
    """Hillside (led by Lee) with a DSL trained on 10 Sep 2024, a governor and a new
    teacher; Beechwood (led by Bea) with one teacher; an admin; a practitioner."""
    courses = make_courses()
    area = factories.area("North")
    hillside = factories.organisation("Hillside Primary School", area=area)
    beechwood = factories.organisation("Beechwood Primary School", area=area)
    nursery = factories.organisation("Little Acorns Nursery", type_code="day-nursery")
    people = {
        "admin": factories.user("admin@example.org", full_name="Ada Admin", admin=True, roles=("other",)),
        "lead": factories.user("lead@example.org", full_name="Lee Lead", organisation=hillside, leads=(hillside,),
                               roles=("head-teacher",)),
        "dsl": factories.user("dsl@example.org", full_name="Dee Ess", organisation=hillside, roles=("school-dsl",),
                              role_start=date(2020, 1, 1)),
        "governor": factories.user("gov@example.org", full_name="Gus Governor", organisation=hillside,
                                   roles=("governor",), role_start=date(2018, 9, 1)),
        "teacher": factories.user("ann@example.org", full_name="Ann Teacher", organisation=hillside,
                                  roles=("teacher",), role_start=date(2026, 11, 1)),
        "lead_b": factories.user("bea@example.org", full_name="Bea Beech", organisation=beechwood, leads=(beechwood,),
                                 roles=("head-teacher",)),
        "other": factories.user("otto@example.org", full_name="Otto Other", organisation=beechwood, roles=("teacher",)),
        "nurse": factories.user("nia@example.org", full_name="Nia Nurse", organisation=nursery, roles=("health-l3",)),
    }
    services.refresh_status([p.id for p in people.values()], now=NOW)
    complete(people["dsl"], courses["DSL-NEW"], date(2024, 9, 10))
    complete(people["governor"], courses["GOV"], date(2019, 3, 1))
    complete(people["nurse"], courses["WT"], date(2025, 5, 1))
    db.session.commit()
    return {"hillside": hillside, "beechwood": beechwood, "nursery": nursery, "courses": courses, **people}


def client_for(app, person):
    client = app.test_client()
    login(client, person)
    return client


# --- what training I need -----------------------------------------------------------------

@pytest.mark.parametrize(
    "as_of, tag, words",
    [
        ("2026-06-11", "Current", "Valid until 10 September 2026"),
        ("2026-06-12", "Due soon", "Due by 10 September 2026"),
        ("2026-09-10", "Due soon", "Due by 10 September 2026"),
        ("2026-09-11", "Overdue", "Overdue since 11 September 2026 (it was due by 10 September 2026)"),
    ],
)
def test_dsl_example_on_what_training_i_need(app, world, as_of, tag, words):
    client = client_for(app, world["dsl"])
    response = client.get(f"/my-training?as_of={as_of}")
    assert response.status_code == 200
    card = squash(section(response.get_data(as_text=True), "dsl-role-training"))
    assert f"DSL role training Status {tag} {words}" in card
    assert "Last training that counted 10 September 2024" in card
    assert "Source KCSIE 2025, Annex C" in card and "Strength Statutory guidance" in card


def test_what_training_i_need_is_most_urgent_first_with_courses(app, world):
    client = client_for(app, world["dsl"])
    html = client.get("/my-training?as_of=2026-06-12").get_data(as_text=True)
    assert "<h1 class=\"govuk-heading-l\">What training I need</h1>" in html
    order = [m.group(1) for m in re.finditer(r'id="requirement-([a-z0-9-]+)"', html)]
    assert order == ["staff-annual-update", "dsl-annual-update", "dsl-role-training", "staff-safeguarding"]
    assert "You have 4 training requirements: 2 overdue, 1 due soon, 1 current." in squash(html)
    role_card = section(html, "dsl-role-training")
    assert 'href="/courses/DSL-NEW"' in role_card
    assert "DSL-OLD" not in role_card and "Old DSL course" not in role_card  # retired
    assert 'href="/courses/TWILIGHT"' in section(html, "dsl-annual-update")  # a qualifying mode
    # Status is shown in words inside the coloured tag.
    assert re.search(r'govuk-tag govuk-tag--orange">\s*Due soon', role_card)
    assert "This shows the position on" in html and "11 June 2026" not in html


def test_today_by_default_and_the_navigation_link(app, world):
    client = client_for(app, world["dsl"])
    html = client.get("/my-training").get_data(as_text=True)
    assert "This is the position today," in html and "This shows the position on" not in html
    card = squash(section(html, "dsl-role-training"))
    assert "Overdue since 11 September 2026" in card
    assert re.search(r'<a class="govuk-service-navigation__link" href="/my-training" aria-current="true"', html)


def test_leads_and_admins_find_their_staff_pages_from_my_training(app, world):
    html = client_for(app, world["lead"]).get("/my-training").get_data(as_text=True)
    assert '<a class="govuk-link" href="/organisation/compliance">See who at Hillside Primary School is current' in html
    assert 'href="/admin/compliance"' not in html
    html = client_for(app, world["admin"]).get("/my-training").get_data(as_text=True)
    assert 'href="/admin/compliance"' in html and 'href="/organisation/compliance"' not in html
    html = client_for(app, world["teacher"]).get("/my-training").get_data(as_text=True)
    assert "Staff training" not in html and 'href="/organisation/compliance"' not in html


def test_governor_has_no_national_expiry(app, world):
    client = client_for(app, world["governor"])
    html = client.get("/my-training").get_data(as_text=True)
    card = squash(section(html, "governor-training"))
    assert "Status Current No national expiry" in card
    assert "Valid until" not in card and "Due by" not in card
    assert 'href="/courses/GOV"' in section(html, "governor-training")


def test_hours_rule_shows_hours_and_what_is_still_needed(app, world):
    client = client_for(app, world["nurse"])
    card = squash(section(client.get("/my-training").get_data(as_text=True), "health-l3"))
    assert "6 of 12 hours in the last 36 months; 6 more needed" in card
    assert 'Working Together' in card


def test_no_requirements(app, world):
    client = client_for(app, world["admin"])
    html = client.get("/my-training").get_data(as_text=True)
    assert "No training requirements apply to your job roles" in html


@pytest.mark.parametrize("value, message", [
    ("2026-13-45", "As of date must be a real date"),
    ("not-a-date", "As of date must be a real date, like 11 6 2026"),
    ("1900-01-01", "As of date must be between 2000 and 2099"),
])
def test_bad_as_of_is_a_clear_error_not_a_crash(app, world, value, message):
    client = client_for(app, world["lead"])
    for url in (f"/my-training?as_of={value}", f"/organisation/compliance?as_of={value}",
                f"/organisation/compliance/{world['dsl'].id}?as_of={value}"):
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.get_data(as_text=True)
        assert "There is a problem" in html and message in html, url
        assert "<title>Error: " in html
    admin = client_for(app, world["admin"])
    html = admin.get(f"/admin/compliance?as_of={value}").get_data(as_text=True)
    assert "There is a problem" in html and message in html
    # An export with a bad date goes back to the page that shows the error.
    response = client.get(f"/organisation/compliance/export.csv?as_of={value}")
    assert response.status_code == 302 and "/organisation/compliance?" in response.headers["Location"]


def test_as_of_from_the_gov_uk_date_input(app, world):
    client = client_for(app, world["dsl"])
    html = client.get("/my-training?as_of=12&as_of=6&as_of=2026").get_data(as_text=True)
    assert "Due by 10 September 2026" in squash(section(html, "dsl-role-training"))
    assert re.search(r'id="as_of-day" name="as_of" type="text" value="12"', html)


# --- access control -----------------------------------------------------------------------

def _routes(w):
    return [
        "/organisation/compliance",
        f"/organisation/compliance?organisation={w['hillside'].id}",
        "/organisation/compliance/export.csv",
        "/organisation/compliance/export.xlsx",
        f"/organisation/compliance/{w['dsl'].id}",
        "/admin/compliance",
    ]


def test_anonymous_people_are_sent_to_sign_in(client, world):
    for url in ["/my-training", *_routes(world)]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/sign-in"), url


def test_practitioners_see_only_their_own_page(app, world):
    client = client_for(app, world["teacher"])
    assert client.get("/my-training").status_code == 200
    for url in _routes(world):
        assert client.get(url).status_code == 403, url


def test_a_lead_of_another_organisation_cannot_see_hillside(app, world):
    client = client_for(app, world["lead_b"])
    h = world["hillside"].id
    assert client.get(f"/organisation/compliance?organisation={h}").status_code == 404
    assert client.get(f"/organisation/compliance/export.csv?organisation={h}").status_code == 404
    assert client.get(f"/organisation/compliance/export.xlsx?organisation={h}").status_code == 404
    assert client.get(f"/organisation/compliance/{world['dsl'].id}").status_code == 404
    assert client.get(f"/organisation/compliance/{world['admin'].id}").status_code == 404  # no organisation
    assert client.get("/organisation/compliance/999999").status_code == 404
    assert client.get("/organisation/compliance?organisation=nonsense").status_code == 404
    assert client.get("/admin/compliance").status_code == 403
    # Their own organisation, chosen for them as they lead only one.
    html = client.get("/organisation/compliance").get_data(as_text=True)
    assert "Otto Other" in html and "Dee Ess" not in html
    assert client.get(f"/organisation/compliance/{world['other'].id}").status_code == 200


def test_admins_see_everything_and_choose_an_organisation(app, world):
    client = client_for(app, world["admin"])
    html = client.get("/organisation/compliance").get_data(as_text=True)
    assert "Choose an organisation" in html and "Beechwood Primary School" in html
    html = client.get("/organisation/compliance?organisation=").get_data(as_text=True)
    assert "There is a problem" in html and "Select an organisation" in html
    assert client.get(f"/organisation/compliance?organisation={world['beechwood'].id}").status_code == 200
    assert client.get(f"/organisation/compliance/{world['dsl'].id}").status_code == 200
    assert client.get("/admin/compliance").status_code == 200
    assert client.get("/organisation/compliance?organisation=999999").status_code == 404
    assert client.get("/organisation/compliance/export.pdf").status_code == 404
    # An export without an organisation goes to the choice.
    response = client.get("/organisation/compliance/export.csv")
    assert response.status_code == 302 and response.headers["Location"].endswith("/organisation/compliance")


def test_a_lead_of_several_organisations_chooses_one(app, world):
    from lms.accounts.models import SettingLead

    db.session.add(SettingLead(user_id=world["lead"].id, organisation_id=world["beechwood"].id, created_at=NOW))
    db.session.commit()
    client = client_for(app, world["lead"])
    html = client.get("/organisation/compliance").get_data(as_text=True)
    assert "You lead more than one organisation" in html
    assert "Little Acorns" not in html  # only the ones they lead
    html = client.get(f"/organisation/compliance?organisation={world['beechwood'].id}").get_data(as_text=True)
    assert "Otto Other" in html and "Choose another organisation" in html
    assert client.get(f"/organisation/compliance?organisation={world['nursery'].id}").status_code == 404


# --- the staff matrix ---------------------------------------------------------------------

@pytest.mark.parametrize(
    "as_of, tag, text",
    [
        ("2026-06-11", "govuk-tag--green", "Current to 10 Sep 2026"),
        ("2026-06-12", "govuk-tag--orange", "Due 10 Sep 2026"),
        ("2026-09-10", "govuk-tag--orange", "Due 10 Sep 2026"),
        ("2026-09-11", "govuk-tag--red", "Overdue since 11 Sep 2026"),
    ],
)
def test_dsl_example_in_the_matrix(app, world, as_of, tag, text):
    client = client_for(app, world["lead"])
    response = client.get(f"/organisation/compliance?as_of={as_of}&requirement=dsl-role-training")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    row = row_of(html, "Dee Ess")
    assert f'<strong class="govuk-tag {tag}">{text}</strong>' in row
    assert "Gus Governor" not in html.split("<h2 class=\"govuk-heading-m\">Staff</h2>")[1]  # filtered to DSLs


def test_matrix_cells_and_summary(app, world):
    client = client_for(app, world["lead"])
    html = client.get("/organisation/compliance?as_of=2026-09-11").get_data(as_text=True)
    assert "<span class=\"govuk-caption-l\">Hillside Primary School</span>" in html
    governor = row_of(html, "Gus Governor")
    assert '<strong class="govuk-tag govuk-tag--green">No expiry</strong>' in governor
    assert 'Does not apply' in governor  # the DSL requirements, spelt out for screen readers
    teacher = row_of(html, "Ann Teacher")
    assert "Not yet due (by 1 Dec 2026)" in teacher
    # Summary: one row per requirement, numbers and percentages, links to the people.
    summary = squash(html.split('<h2 class="govuk-heading-m">Staff</h2>')[0])
    assert "4 people, by requirement" in summary
    assert "DSL role training 0 0 0 1 (100%) 3" not in summary  # not current on 11 Sep 2026
    assert "DSL role training 1 (100%) overdue: show them 0 0 0 3" in summary
    assert "Safeguarding training for governors and trustees 0 0 0 1 (100%) current: show them 3" in summary
    assert "requirement=dsl-role-training&amp;status=overdue" in html


def test_matrix_filters_and_sorting(app, world):
    client = client_for(app, world["lead"])

    def names(html):
        staff = html.split('<h2 class="govuk-heading-m">Staff</h2>')[1]
        return re.findall(r'<a class="govuk-link" href="/organisation/compliance/\d+[^"]*">([^<]+)</a>', staff)

    day = "as_of=2026-11-23"
    assert names(client.get("/organisation/compliance").get_data(as_text=True)) == [
        "Ann Teacher", "Dee Ess", "Gus Governor", "Lee Lead"]
    assert names(client.get(f"/organisation/compliance?status=overdue&{day}").get_data(as_text=True)) == [
        "Dee Ess", "Lee Lead"]
    assert names(client.get(f"/organisation/compliance?status=not-yet-due&{day}").get_data(as_text=True)) == [
        "Ann Teacher"]
    governor_role = factories.job_role("governor").id
    assert names(client.get(f"/organisation/compliance?job_role={governor_role}").get_data(as_text=True)) == ["Gus Governor"]
    assert names(client.get("/organisation/compliance?q=gus").get_data(as_text=True)) == ["Gus Governor"]
    html = client.get("/organisation/compliance?q=nobody-at-all").get_data(as_text=True)
    assert "No one matches these filters." in html
    # Sorting by a requirement: most urgent first, then by name.
    html = client.get(f"/organisation/compliance?sort=staff-safeguarding&{day}").get_data(as_text=True)
    assert names(html) == ["Lee Lead", "Ann Teacher", "Dee Ess", "Gus Governor"]
    assert 'aria-sort="ascending"' in html
    html = client.get("/organisation/compliance?sort=-name").get_data(as_text=True)
    assert names(html) == ["Lee Lead", "Gus Governor", "Dee Ess", "Ann Teacher"]
    assert 'aria-sort="descending"' in html
    # Unknown values are ignored, not errors.
    html = client.get("/organisation/compliance?sort=bogus&status=bogus&requirement=bogus&job_role=x").get_data(as_text=True)
    assert names(html) == ["Ann Teacher", "Dee Ess", "Gus Governor", "Lee Lead"]
    # The sort and filters are carried into the export links.
    html = client.get("/organisation/compliance?sort=-name&status=overdue").get_data(as_text=True)
    assert "/organisation/compliance/export.csv?" in html
    link = re.search(r'href="(/organisation/compliance/export.csv\?[^"]+)"', html).group(1)
    assert "sort=-name" in link and "status=overdue" in link


def test_matrix_pages_fifty_people_at_a_time(app, world):
    for n in range(205):
        factories.user(full_name=f"Zara {n:03d}", organisation=world["hillside"], roles=("teacher",))
    db.session.commit()
    client = client_for(app, world["lead"])
    html = client.get("/organisation/compliance").get_data(as_text=True)
    assert "Showing 1 to 50 of 209 people" in html
    html = client.get("/organisation/compliance?page=5&sort=-name").get_data(as_text=True)
    assert "Showing 201 to 209 of 209 people" in html
    assert "Ann Teacher" in html
    assert f'href="/organisation/compliance?page=4&amp;organisation={world["hillside"].id}&amp;sort=-name"' in html


def test_matrix_statement_count_does_not_grow_with_people(app, world, count_queries):
    client = client_for(app, world["lead"])

    def statements(url) -> int:
        client.get(url)  # warm up
        with count_queries() as executed:
            assert client.get(url).status_code == 200
        return len(executed)

    def add_people(total):
        existing = len(db.session.scalars(select(factories.User).where(factories.User.organisation_id == world["hillside"].id)).all())
        people = [factories.user(organisation=world["hillside"], roles=("teacher", "governor", "school-dsl"))
                  for _ in range(total - existing)]
        for person in people[::2]:
            complete(person, world["courses"]["DSL-NEW"], date(2025, 1, 1))
        services.refresh_status([p.id for p in people], now=NOW)
        db.session.commit()

    urls = ["/organisation/compliance", "/organisation/compliance?sort=dsl-role-training&status=overdue&as_of=2026-06-12"]
    add_people(5)
    five = [statements(url) for url in urls]
    add_people(50)
    fifty = [statements(url) for url in urls]
    assert five == fifty
    html = client.get("/organisation/compliance").get_data(as_text=True)
    assert "Showing 1 to 50 of 50 people" in html


# --- exports ------------------------------------------------------------------------------

def test_csv_export(app, world):
    client = client_for(app, world["lead"])
    response = client.get("/organisation/compliance/export.csv?as_of=2026-09-11&sort=-name")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="compliance-hillside-primary-school-2026-09-11.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    header = rows[0]
    assert header[:3] == ["Name", "Email address", "Job roles"]
    assert "DSL role training: status" in header and "DSL role training: due date" in header
    assert [row[0] for row in rows[1:]] == ["Lee Lead", "Gus Governor", "Dee Ess", "Ann Teacher"]
    dsl = dict(zip(header, rows[3]))
    assert dsl["DSL role training: status"] == "Overdue"
    assert dsl["DSL role training: due date"] == "2026-09-10"
    assert dsl["Safeguarding training for governors and trustees: status"] == "Not applicable"
    governor = dict(zip(header, rows[2]))
    assert governor["Safeguarding training for governors and trustees: status"] == "Current"
    assert governor["Safeguarding training for governors and trustees: due date"] == ""  # no expiry
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "compliance.export"))
    assert event.actor_id == world["lead"].id
    assert event.target_type == "organisation" and event.target_id == str(world["hillside"].id)
    assert event.after["format"] == "csv" and event.after["people"] == 4 and event.after["as_of"] == "2026-09-11"


def test_xlsx_export_of_the_filtered_matrix(app, world):
    client = client_for(app, world["lead"])
    response = client.get("/organisation/compliance/export.xlsx?as_of=2026-06-12&requirement=dsl-role-training")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert 'filename="compliance-hillside-primary-school-2026-06-12.xlsx"' in response.headers["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.get_data()))
    sheet = workbook.worksheets[0]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == ["Name", "Email address", "Job roles", "DSL role training: status", "DSL role training: due date"]
    assert rows[1][:2] == ["Dee Ess", "dsl@example.org"]
    assert rows[1][3] == "Due soon"
    assert rows[1][4] == datetime(2026, 9, 10)  # a real date, not text
    assert sheet.cell(row=2, column=5).is_date
    assert len(rows) == 2  # the filter applies to the export
    about = {row[0].value: row[1].value for row in workbook["About this file"].iter_rows()}
    assert about["Organisation"] == "Hillside Primary School"
    assert about["Statuses as of"] == datetime(2026, 6, 12)
    assert about["Filter: Requirement"] == "DSL role training"
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "compliance.export")).all()
    assert len(events) == 1 and events[0].after["format"] == "xlsx"
    assert events[0].after["filters"] == {"Requirement": "DSL role training"}


# --- one person ---------------------------------------------------------------------------

def test_person_page_shows_the_calculation_and_the_record(app, world):
    client = client_for(app, world["lead"])
    response = client.get(f"/organisation/compliance/{world['dsl'].id}?as_of=2026-06-11")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<h1 class=\"govuk-heading-l\">Dee Ess</h1>" in html
    assert "Valid until 10 September 2026" in squash(section(html, "dsl-role-training"))
    record = squash(html.split("Training record")[1])
    assert "DSL new to role 10 September 2024 Face-to-face 12 hours Imported from earlier records" in record
    assert f'href="/organisation/compliance?organisation={world["hillside"].id}&amp;as_of=2026-06-11"' in html
    html = client.get(f"/organisation/compliance/{world['governor'].id}").get_data(as_text=True)
    assert "No national expiry" in squash(section(html, "governor-training"))


# --- the admin overview -------------------------------------------------------------------

def test_overview_counts_and_links(app, world):
    client = client_for(app, world["admin"])
    response = client.get("/admin/compliance?as_of=2026-09-11&requirement=dsl-role-training")
    assert response.status_code == 200
    html = squash(response.get_data(as_text=True))
    assert "All organisations Who Current Due soon Overdue Not yet due Total Everyone counted 0 (0%) 0 (0%) 1 (100%) 0 (0%) 1" in html
    assert "By sector Sector Current Due soon Overdue Not yet due Total Education 0 (0%) 0 (0%) 1 (100%) 0 (0%) 1" in html
    assert "By area Area Current Due soon Overdue Not yet due Total North 0 (0%) 0 (0%) 1 (100%) 0 (0%) 1" in html
    raw = response.get_data(as_text=True)
    assert f'href="/organisation/compliance?organisation={world["hillside"].id}&amp;requirement=dsl-role-training&amp;as_of=2026-09-11"' in raw
    html = squash(client.get("/admin/compliance?as_of=2026-06-11&requirement=dsl-role-training").get_data(as_text=True))
    assert "Education 1 (100%) 0 (0%) 0 (0%) 0 (0%) 1" in html


def test_overview_by_organisation_sorted_by_share_overdue(app, world):
    client = client_for(app, world["admin"])
    html = client.get("/admin/compliance?as_of=2026-11-23").get_data(as_text=True)
    organisations = html.split('<h2 class="govuk-heading-m">By organisation</h2>')[1]
    order = re.findall(r'href="/organisation/compliance\?organisation=\d+[^"]*">([^<]+)</a>', organisations)
    # Beechwood: 4 of 4 overdue (a head teacher and a teacher, never trained); the nurse's
    # 6 of 12 hours leave her overdue (1 of 1); Hillside 5 of 9.
    assert order == ["Beechwood Primary School", "Little Acorns Nursery", "Hillside Primary School"]
    assert "5 (56%)" in squash(organisations.split("Hillside Primary School")[1])
    by_name = client.get("/admin/compliance?sort=name").get_data(as_text=True).split('<h2 class="govuk-heading-m">By organisation</h2>')[1]
    order = re.findall(r'href="/organisation/compliance\?organisation=\d+[^"]*">([^<]+)</a>', by_name)
    assert order == ["Beechwood Primary School", "Hillside Primary School", "Little Acorns Nursery"]
    html = squash(client.get("/admin/compliance?as_of=11&as_of=6&as_of=2026").get_data(as_text=True))
    assert "11 June 2026" in html


def test_overview_statement_count_does_not_grow(app, world, count_queries):
    client = client_for(app, world["admin"])

    def statements() -> int:
        client.get("/admin/compliance")
        with count_queries() as executed:
            assert client.get("/admin/compliance").status_code == 200
        return len(executed)

    few = statements()
    for n in range(30):
        organisation = factories.organisation(f"Extra {n:02d}", type_code="charity", area=factories.area(f"Area {n}"))
        person = factories.user(organisation=organisation, roles=("vcs-staff",))
        services.refresh_status([person.id], now=NOW)
    db.session.commit()
    assert statements() == few


# --- in a real browser, checked by axe-core ---------------------------------------------

def _browser_sign_in(page, person) -> None:
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(person.email)
    page.locator("#password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r".*/(?!sign-in).*"))


@pytest.mark.browser
def test_pages_in_a_browser_are_accessible(page, axe, world):
    _browser_sign_in(page, world["lead"])
    page.get_by_role("link", name="My training").click()
    page.wait_for_url("**/my-training")
    axe(page)
    page.get_by_text("Show the position on another day").click()
    page.locator("#as_of-day").fill("31")
    page.locator("#as_of-month").fill("2")
    page.locator("#as_of-year").fill("2026")
    page.get_by_role("button", name="Show").click()
    assert "As of date must be a real date" in page.locator(".govuk-error-summary").inner_text()
    axe(page)

    page.goto("/organisation/compliance?as_of=2026-09-11")
    axe(page)
    page.get_by_label("Requirement").select_option(label="DSL role training")
    page.get_by_role("button", name="Apply filters").click()
    assert "Overdue since 11 Sep 2026" in page.locator("table").nth(1).inner_text()
    page.get_by_role("link", name=re.compile("^DSL role training")).click()
    page.wait_for_url(re.compile(r".*sort=dsl-role-training.*"))
    axe(page)
    page.get_by_role("link", name="Dee Ess").click()
    page.wait_for_url(re.compile(r".*/organisation/compliance/\d+.*"))
    assert "Overdue since 11 September 2026" in page.locator("#requirement-dsl-role-training").inner_text()
    axe(page)
    page.goto("/sign-out")


@pytest.mark.browser
def test_overview_in_a_browser_is_accessible(page, axe, world):
    _browser_sign_in(page, world["admin"])
    page.goto("/admin/compliance")
    axe(page)
    page.get_by_label("Requirement").select_option(label="DSL role training")
    page.locator("#as_of-day").fill("11")
    page.locator("#as_of-month").fill("6")
    page.locator("#as_of-year").fill("2026")
    page.get_by_role("button", name="Show").click()
    assert "11 June 2026" in page.locator("main").inner_text()
    axe(page)
    page.get_by_role("link", name="Hillside Primary School").first.click()
    assert "Training compliance" in page.locator("h1").inner_text()
    axe(page)
