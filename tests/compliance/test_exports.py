"""The admin compliance overview's chart and its CSV and XLSX downloads: their rows and
columns, the requirement and date filters, every organisation (not one page), text that
looks like a formula kept as text, who may download them, the audit entry, and a fixed
number of statements however many organisations there are."""
from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import delete, select

from lms.audit.models import AuditEvent
from lms.compliance import services
from lms.compliance.models import ComplianceCount
from lms.extensions import db
from tests import factories
from tests.compliance.test_queries import complete, make_courses
from tests.conftest import NOW

HEADER = ["Group", "Name", "Current", "Due soon", "Overdue", "Not yet due", "People counted", "% current"]
FORMULA_NAME = "=SUM(1+1) Academy"
DSL_IN_JUNE = "requirement=dsl-role-training&as_of=2026-06-11"
DSL_IN_SEPTEMBER = "requirement=dsl-role-training&as_of=2026-09-11"


@pytest.fixture()
def partnership():
    """Hillside (North) with a DSL trained on 10 Sep 2024 (current until 11 Jun 2026, due
    soon from 12 Jun, overdue from 11 Sep 2026) and its lead; an academy whose name looks
    like a formula, in no area, with a DSL never trained (overdue); a nursery with an
    early years practitioner; an admin, a trainer and a practitioner."""
    courses = make_courses()
    north = factories.area("North")
    hillside = factories.organisation("Hillside Primary School", area=north)
    academy = factories.organisation(FORMULA_NAME)
    nursery = factories.organisation("Little Acorns Nursery", type_code="day-nursery", area=north)
    people = {
        "admin": factories.user("admin@example.org", full_name="Ada Admin", admin=True, roles=("other",)),
        "trainer": factories.user("trainer@example.org", full_name="Tia Trainer", trainer=True, roles=("other",)),
        "lead": factories.user("lead@example.org", full_name="Lee Lead", organisation=hillside, leads=(hillside,),
                               roles=("head-teacher",)),
        "dsl": factories.user("dsl@example.org", full_name="Dee Ess", organisation=hillside, roles=("school-dsl",),
                              role_start=date(2020, 1, 1)),
        "academy_dsl": factories.user("ace@example.org", full_name="Ace Dsl", organisation=academy,
                                      roles=("school-dsl",), role_start=date(2020, 1, 1)),
        "practitioner": factories.user("pat@example.org", full_name="Pat Practitioner", organisation=nursery,
                                       roles=("ey-practitioner",), role_start=date(2020, 1, 1)),
    }
    services.refresh_status([p.id for p in people.values()], now=NOW)
    complete(people["dsl"], courses["DSL-NEW"], date(2024, 9, 10))
    db.session.commit()
    return {"hillside": hillside, "academy": academy, "nursery": nursery, **people}


def client_for(app, person):
    client = app.test_client()
    response = factories.sign_in(client, person)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def csv_rows(response) -> list[list[str]]:
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def xlsx_book(response):
    return load_workbook(io.BytesIO(response.get_data()))


def squash(text: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", text).split())


# --- the CSV file ---------------------------------------------------------------------------

def test_csv_has_every_group_for_the_requirement_and_day(app, partnership):
    client = client_for(app, partnership["admin"])
    response = client.get(f"/admin/compliance/export.csv?{DSL_IN_SEPTEMBER}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="compliance-overview-dsl-role-training-2026-09-11.csv"'
    )
    rows = csv_rows(response)
    assert rows[0] == HEADER
    # Both DSLs are overdue on 11 September 2026; the nursery has no DSL role training.
    assert rows[1:] == [
        ["All organisations", "Everyone counted", "0", "0", "2", "0", "2", "0"],
        ["Sector", "Education", "0", "0", "2", "0", "2", "0"],
        ["Organisation type", "Primary school", "0", "0", "2", "0", "2", "0"],
        ["Area", "North", "0", "0", "1", "0", "1", "0"],
        ["Area", "No area", "0", "0", "1", "0", "1", "0"],
        ["Organisation", "'" + FORMULA_NAME, "0", "0", "1", "0", "1", "0"],
        ["Organisation", "Hillside Primary School", "0", "0", "1", "0", "1", "0"],
    ]


def test_the_date_filter_changes_the_figures(app, partnership):
    client = client_for(app, partnership["admin"])
    rows = csv_rows(client.get(f"/admin/compliance/export.csv?{DSL_IN_JUNE}"))
    by_name = {row[1]: row for row in rows[1:]}
    # On 11 June 2026 Hillside's DSL is still current: one of the two DSLs, 50%.
    assert by_name["Everyone counted"][2:] == ["1", "0", "1", "0", "2", "50"]
    assert by_name["Hillside Primary School"][2:] == ["1", "0", "0", "0", "1", "100"]
    assert by_name["'" + FORMULA_NAME][2:] == ["0", "0", "1", "0", "1", "0"]
    # The GOV.UK date input's three fields work as on the page.
    same = csv_rows(client.get("/admin/compliance/export.csv?requirement=dsl-role-training&as_of=11&as_of=6&as_of=2026"))
    assert same == rows
    # One day later the DSL is due soon.
    later = {row[1]: row for row in csv_rows(client.get(
        "/admin/compliance/export.csv?requirement=dsl-role-training&as_of=2026-06-12"))[1:]}
    assert later["Hillside Primary School"][2:] == ["0", "1", "0", "0", "1", "0"]


def test_without_a_requirement_every_requirement_is_counted(app, partnership):
    client = client_for(app, partnership["admin"])
    page = squash(client.get("/admin/compliance?as_of=2026-09-11").get_data(as_text=True))
    rows = csv_rows(client.get("/admin/compliance/export.csv?as_of=2026-09-11"))
    groups = [row[0] for row in rows[1:]]
    assert groups[0] == "All organisations"
    assert {"Sector", "Organisation type", "Area", "Organisation"} <= set(groups)
    # The groups come in the page's order: total, sectors, types, areas, organisations.
    order = ["All organisations", "Sector", "Organisation type", "Area", "Organisation"]
    assert groups == sorted(groups, key=order.index)
    by_name = {(row[0], row[1]): row for row in rows[1:]}
    assert ("Sector", "Early years") in by_name and ("Organisation", "Little Acorns Nursery") in by_name
    # The nursery's practitioner is counted there, and the numbers add up.
    for row in rows[1:]:
        numbers = [int(n) for n in row[2:6]]
        assert sum(numbers) == int(row[6])
        assert int(row[7]) == round(100 * numbers[0] / int(row[6]))
    total = by_name[("All organisations", "Everyone counted")]
    assert sum(int(by_name[key][6]) for key in by_name if key[0] == "Sector") == int(total[6])
    assert sum(int(by_name[key][6]) for key in by_name if key[0] == "Organisation") == int(total[6])
    # The same figures as the page's tables.
    everyone = " ".join(f"{n} ({round(100 * int(n) / int(total[6]))}%)" for n in total[2:6])
    assert f"Everyone counted {everyone} {total[6]}" in page


def test_an_unknown_requirement_counts_every_requirement(app, partnership):
    client = client_for(app, partnership["admin"])
    unknown = client.get("/admin/compliance/export.csv?requirement=nonsense&as_of=2026-09-11")
    assert unknown.status_code == 200
    assert csv_rows(unknown) == csv_rows(client.get("/admin/compliance/export.csv?as_of=2026-09-11"))
    assert 'filename="compliance-overview-2026-09-11.csv"' in unknown.headers["Content-Disposition"]


def test_a_date_that_is_not_real_goes_back_to_the_page(app, partnership):
    client = client_for(app, partnership["admin"])
    for extension in ("csv", "xlsx"):
        response = client.get(f"/admin/compliance/export.{extension}?as_of=2026-13-45")
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/admin/compliance?")
    assert not db.session.scalars(select(AuditEvent).where(AuditEvent.action == "compliance.overview_export")).all()
    assert client.get("/admin/compliance/export.pdf").status_code == 404


# --- the XLSX file --------------------------------------------------------------------------

def test_xlsx_has_the_same_rows_and_an_about_sheet(app, partnership):
    client = client_for(app, partnership["admin"])
    response = client.get(f"/admin/compliance/export.xlsx?{DSL_IN_JUNE}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert 'filename="compliance-overview-dsl-role-training-2026-06-11.xlsx"' in response.headers["Content-Disposition"]
    book = xlsx_book(response)
    assert book.sheetnames == ["Compliance overview", "About this file"]
    sheet = book["Compliance overview"]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == HEADER
    assert rows[1:] == [
        ["All organisations", "Everyone counted", 1, 0, 1, 0, 2, 50],
        ["Sector", "Education", 1, 0, 1, 0, 2, 50],
        ["Organisation type", "Primary school", 1, 0, 1, 0, 2, 50],
        ["Area", "North", 1, 0, 0, 0, 1, 100],
        ["Area", "No area", 0, 0, 1, 0, 1, 0],
        ["Organisation", FORMULA_NAME, 0, 0, 1, 0, 1, 0],
        ["Organisation", "Hillside Primary School", 1, 0, 0, 0, 1, 100],
    ]
    # The CSV file has the same figures.
    csv_lines = csv_rows(client.get(f"/admin/compliance/export.csv?{DSL_IN_JUNE}"))
    assert [[str(value) for value in row[2:]] for row in rows[1:]] == [row[2:] for row in csv_lines[1:]]

    about = {row[0]: row[1] for row in book["About this file"].iter_rows(values_only=True)}
    assert about["Statuses as of"] == datetime(2026, 6, 11)
    assert about["Requirement"] == "DSL role training"
    assert about["Organisations"] == 2
    assert about["People counted"].startswith("People DSL role training applies to")
    for label in ("Group", "Current", "Due soon", "Overdue", "Not yet due", "% current"):
        assert about[label], label
    assert isinstance(about["Downloaded at (UTC)"], datetime)


def test_a_name_that_looks_like_a_formula_stays_text(app, partnership):
    client = client_for(app, partnership["admin"])
    rows = csv_rows(client.get("/admin/compliance/export.csv"))
    names = [row[1] for row in rows[1:]]
    assert "'" + FORMULA_NAME in names and FORMULA_NAME not in names
    sheet = xlsx_book(client.get("/admin/compliance/export.xlsx"))["Compliance overview"]
    cells = [row[1] for row in sheet.iter_rows(min_row=2) if row[1].value == FORMULA_NAME]
    assert len(cells) == 1
    assert cells[0].data_type == "s"  # text, not a formula ("f")
    assert cells[0].quotePrefix
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


# --- every organisation, in a fixed number of statements -------------------------------------

def test_every_organisation_is_in_the_download_not_one_page(app, partnership, count_queries):
    client = client_for(app, partnership["admin"])

    def statements(url: str) -> int:
        client.get(url)
        with count_queries() as executed:
            assert client.get(url).status_code == 200
        return len(executed)

    few = {url: statements(url) for url in ("/admin/compliance/export.csv", "/admin/compliance/export.xlsx")}
    for n in range(30):
        organisation = factories.organisation(f"Extra {n:02d}", type_code="charity")
        person = factories.user(organisation=organisation, roles=("vcs-staff",))
        services.refresh_status([person.id], now=NOW)
    db.session.commit()
    for url, number in few.items():
        assert statements(url) == number, url  # not one statement per organisation

    page = client.get("/admin/compliance?sort=name").get_data(as_text=True)
    assert "Extra 29" not in page  # the page shows 25 organisations at a time
    rows = csv_rows(client.get("/admin/compliance/export.csv"))
    organisations = [row[1] for row in rows[1:] if row[0] == "Organisation"]
    assert len(organisations) == 33
    assert {f"Extra {n:02d}" for n in range(30)} <= set(organisations)
    assert organisations.index("Extra 00") < organisations.index("Extra 29") < organisations.index("Hillside Primary School")
    sheet = xlsx_book(client.get("/admin/compliance/export.xlsx"))["Compliance overview"]
    assert len([row for row in sheet.iter_rows(values_only=True) if row[0] == "Organisation"]) == 33


def test_kept_counts_and_the_status_table_give_the_same_file(app, partnership):
    """The overview reads the counts kept for their day, or counts the status table for
    any other: the download is the same either way."""
    client = client_for(app, partnership["admin"])
    for query in ("as_of=2026-09-11", DSL_IN_SEPTEMBER):
        from_status_table = csv_rows(client.get(f"/admin/compliance/export.csv?{query}"))
        services.rebuild_counts(date(2026, 9, 11))
        db.session.commit()
        assert db.session.scalar(select(ComplianceCount.id).limit(1)) is not None
        assert csv_rows(client.get(f"/admin/compliance/export.csv?{query}")) == from_status_table
        db.session.execute(delete(ComplianceCount))
        db.session.commit()


# --- who may download, and the audit log ------------------------------------------------------

@pytest.mark.parametrize("extension", ["csv", "xlsx"])
def test_signed_out_people_are_sent_to_sign_in(client, partnership, extension):
    response = client.get(f"/admin/compliance/export.{extension}")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in")


@pytest.mark.parametrize("who", ["practitioner", "lead", "trainer"])
def test_only_admins_may_download(app, partnership, who):
    client = client_for(app, partnership[who])
    for url in ("/admin/compliance", "/admin/compliance/export.csv", "/admin/compliance/export.xlsx",
                f"/admin/compliance/export.csv?{DSL_IN_JUNE}"):
        assert client.get(url).status_code == 403, url
    assert not db.session.scalars(select(AuditEvent).where(AuditEvent.action == "compliance.overview_export")).all()


def test_each_download_is_in_the_audit_log(app, partnership):
    client = client_for(app, partnership["admin"])
    client.get(f"/admin/compliance/export.csv?{DSL_IN_JUNE}")
    client.get("/admin/compliance/export.xlsx")
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "compliance.overview_export").order_by(AuditEvent.id)
    ).all()
    assert len(events) == 2
    first, second = events
    assert first.actor_id == partnership["admin"].id and second.actor_id == partnership["admin"].id
    assert first.after == {"format": "csv", "as_of": "2026-06-11", "requirement": "dsl-role-training", "rows": 7,
                           "organisations": 2}
    assert "DSL role training" in first.summary and "CSV" in first.summary
    assert second.after["format"] == "xlsx" and second.after["requirement"] is None
    assert second.after["organisations"] == 3
    assert "all requirements" in second.summary and "XLSX" in second.summary


# --- the chart and the links on the page ------------------------------------------------------

def test_the_page_has_a_chart_with_a_name_and_links_to_the_downloads(app, partnership):
    client = client_for(app, partnership["admin"])
    html = client.get(f"/admin/compliance?{DSL_IN_SEPTEMBER}").get_data(as_text=True)
    chart = html[html.index('<figure class="app-chart">'):html.index("</figure>")]
    assert '<svg role="img" aria-labelledby="sector-chart-title sector-chart-desc"' in chart
    title = "Share current, due soon, overdue and not yet due, by sector"
    assert f'<title id="sector-chart-title">{title}</title>' in chart
    desc = re.search(r'<desc id="sector-chart-desc">(.*?)</desc>', chart, re.S).group(1)
    assert " ".join(desc.split()) == "Education: 0% current (0), 0% due soon (0), 100% overdue (2), 0% not yet due (0)."
    # A key names each status beside its swatch, and each has its own pattern.
    for label in ("Current", "Due soon", "Overdue", "Not yet due"):
        assert f">{label}</text>" in chart
    assert len(set(re.findall(r'<pattern id="(sector-chart-fill-\d)"', chart))) == 4
    assert "The same figures are in the tables below." in squash(chart)
    # One bar per sector, split into the statuses that are there (only overdue here).
    assert chart.count('fill="url(#sector-chart-fill-2)"') == 2  # the key's swatch and the bar
    assert 'fill="url(#sector-chart-fill-0)" stroke="#ffffff"' not in chart

    assert 'href="/admin/compliance/export.csv?requirement=dsl-role-training&amp;as_of=2026-09-11"' in html
    assert 'href="/admin/compliance/export.xlsx?requirement=dsl-role-training&amp;as_of=2026-09-11"' in html
    text = squash(html)
    assert "CSV file of training compliance across the partnership" in text
    assert "Excel (XLSX) file of training compliance across the partnership" in text


def test_the_chart_has_a_bar_per_sector(app, partnership):
    client = client_for(app, partnership["admin"])
    html = client.get("/admin/compliance?as_of=2026-09-11").get_data(as_text=True)
    desc = " ".join(re.search(r'<desc id="sector-chart-desc">(.*?)</desc>', html, re.S).group(1).split())
    assert desc.startswith("Education: ") and "; Early years: " in desc
    assert 'href="/admin/compliance/export.csv?as_of=2026-09-11"' in html


def test_no_chart_or_links_when_nothing_is_counted(app):
    admin = factories.user("admin@example.org", admin=True, roles=("other",))
    db.session.commit()
    html = client_for(app, admin).get("/admin/compliance").get_data(as_text=True)
    assert "app-chart" not in html and "/admin/compliance/export.csv" not in html
    rows = csv_rows(client_for(app, admin).get("/admin/compliance/export.csv"))
    assert rows == [HEADER, ["All organisations", "Everyone counted", "0", "0", "0", "0", "0", ""]]
