"""The queries behind the compliance pages: words for statuses, a person's needs from the
pure calculation, the staff matrix and the overview from the status table, the "as of"
field and the exports."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from werkzeug.datastructures import MultiDict

from lms.catalogue.models import Course
from lms.compliance import engine, exports, matrix, overview, queries, services
from lms.compliance.forms import AsOfForm
from lms.extensions import db
from lms.records import services as records
from tests import factories
from tests.conftest import NOW

COURSES = {
    # code: (title, delivery mode, hours, requirement codes, active)
    "DSL-NEW": ("DSL new to role", "face-to-face", "12", ["dsl-role-training"], True),
    "DSL-OLD": ("Old DSL course", "face-to-face", "6", ["dsl-role-training"], False),
    "TWILIGHT": ("DSL network twilight", "twilight", "2", [], True),
    "GOV": ("Safeguarding for Governors", "virtual", "2", ["governor-training"], True),
    "SGE": ("Safeguarding Everyone", "elearning", "2", ["staff-safeguarding", "vcs-safeguarding", "health-l1"], True),
    "UPDATE": ("Annual update", "elearning", "1", ["staff-annual-update"], True),
    "WT": ("Working Together", "face-to-face", "6", ["health-l1", "health-l2", "health-l3", "health-l4"], True),
}


def make_courses() -> dict[str, Course]:
    courses = {}
    for code, (title, mode, hours, requirements, active) in COURSES.items():
        course = Course(
            code=code, title=title, summary="-", learning_outcomes=[], delivery_mode=mode, cpd_hours=Decimal(hours),
            level=1, requirement_codes=requirements, active=active, created_at=NOW, updated_at=NOW,
        )
        db.session.add(course)
        courses[code] = course
    db.session.flush()
    return courses


def complete(person, course, on: date, ref: str | None = None) -> None:
    records.record_completion(
        person, title=course.title, delivery_mode=course.delivery_mode, on=on, hours=course.cpd_hours,
        source="imported", source_ref=ref or f"{person.id}-{course.code}-{on.isoformat()}", course=course, now=NOW,
    )


def requirements_of(organisation):
    return matrix.organisation_requirements(organisation.id)


# --- words ------------------------------------------------------------------------------

@pytest.mark.no_database
@pytest.mark.parametrize(
    "cell, text",
    [
        (queries.Cell(engine.OVERDUE, date(2026, 9, 10), date(2026, 9, 11)), "Overdue since 11 Sep 2026"),
        (queries.Cell(engine.DUE_SOON, date(2026, 9, 10)), "Due 10 Sep 2026"),
        (queries.Cell(engine.CURRENT, date(2026, 9, 10)), "Current to 10 Sep 2026"),
        (queries.Cell(engine.CURRENT, None), "No expiry"),
        (queries.Cell(engine.NOT_YET_DUE, date(2027, 1, 30)), "Not yet due (by 30 Jan 2027)"),
        (queries.NOT_APPLICABLE_CELL, "—"),
    ],
)
def test_cell_words(cell, text):
    assert cell.text == text


@pytest.mark.no_database
def test_every_status_has_words_and_a_tag():
    for status in engine.STATUSES:
        assert queries.STATUS_LABELS[status]
        assert status in queries.STATUS_TAG_CLASSES
    assert list(queries.FILTER_STATUSES) == [engine.OVERDUE, engine.DUE_SOON, engine.NOT_YET_DUE, engine.CURRENT]
    assert queries.short_date(date(2027, 2, 1)) == "1 Feb 2027"
    assert queries.long_date(date(2027, 2, 1)) == "1 February 2027"
    assert queries.hours_number(Decimal("1.50")) == "1.5"
    assert queries.hours_number(Decimal("12.00")) == "12"


def _need(rule, result):
    from lms.compliance.models import Requirement

    return queries.Need(Requirement(code=rule.code, name=rule.code, kind=rule.kind, strength="law"), rule, result, [])


@pytest.mark.no_database
def test_need_sentences():
    interval = engine.Rule(code="dsl-role-training", kind="interval", job_roles=frozenset({"school-dsl"}), period_months=24)
    once = engine.Rule(code="governor-training", kind="once", job_roles=frozenset({"governor"}))
    hours = engine.Rule(
        code="health-l3", kind="rolling-hours", job_roles=frozenset({"health-l3"}), hours_required=Decimal(12),
        window_months=36,
    )

    def result(status, due_on=None, since=None, counted=None, required=None):
        return engine.Result("x", status, due_on, since, None, counted, required)

    assert _need(interval, result(engine.CURRENT, date(2026, 9, 10))).status_text == "Valid until 10 September 2026"
    assert _need(interval, result(engine.DUE_SOON, date(2026, 9, 10))).status_text == "Due by 10 September 2026"
    assert _need(interval, result(engine.OVERDUE, date(2026, 9, 10), date(2026, 9, 11))).status_text == (
        "Overdue since 11 September 2026 (it was due by 10 September 2026)"
    )
    assert _need(interval, result(engine.NOT_YET_DUE, date(2027, 1, 30))).status_text == "New starter: due by 30 January 2027"
    assert _need(once, result(engine.CURRENT)).status_text == "No national expiry"
    assert _need(once, result(engine.CURRENT)).strength == "Law"
    need = _need(hours, result(engine.NOT_YET_DUE, date(2027, 1, 1), counted=Decimal(6), required=Decimal(12)))
    assert need.hours_text == "6 of 12 hours in the last 36 months; 6 more needed"
    met = _need(hours, result(engine.CURRENT, date(2029, 1, 1), counted=Decimal(14), required=Decimal(12)))
    assert met.hours_text == "14 of 12 hours in the last 36 months"
    assert _need(interval, result(engine.CURRENT, date(2026, 9, 10))).hours_text is None


# --- a person's needs -----------------------------------------------------------------------

def test_training_needs_are_most_urgent_first_with_the_courses_that_count():
    courses = make_courses()
    dsl = factories.user(roles=("school-dsl",), role_start=date(2020, 1, 1))
    complete(dsl, courses["DSL-NEW"], date(2024, 9, 10))
    needs = queries.training_needs(dsl, as_of=date(2026, 6, 12))
    assert [(n.requirement.code, n.status) for n in needs] == [
        ("staff-annual-update", engine.OVERDUE),
        ("dsl-annual-update", engine.OVERDUE),
        ("dsl-role-training", engine.DUE_SOON),
        ("staff-safeguarding", engine.CURRENT),
    ]
    by_code = {n.requirement.code: n for n in needs}
    # Courses counting towards the requirement; retired ones are not offered.
    assert [c.code for c in by_code["dsl-role-training"].courses] == ["DSL-NEW"]
    # The DSL update is also met by twilights (a qualifying delivery mode).
    assert [c.code for c in by_code["dsl-annual-update"].courses] == ["TWILIGHT"]
    assert by_code["dsl-role-training"].result.due_on == date(2026, 9, 10)
    assert by_code["staff-safeguarding"].status_text == "No national expiry"


# --- the staff matrix ------------------------------------------------------------------------

@pytest.fixture()
def school():
    """A school with a DSL (trained 10 Sep 2024), a governor (trained, no expiry), a
    teacher with no training and a teaching assistant; and a person elsewhere."""
    courses = make_courses()
    school = factories.organisation("Hillside Primary School")
    other = factories.organisation("Elsewhere Academy")
    people = {
        "dsl": factories.user(full_name="Dee Ess", organisation=school, roles=("school-dsl",), role_start=date(2020, 1, 1)),
        "governor": factories.user(full_name="Gus Governor", organisation=school, roles=("governor",), role_start=date(2018, 9, 1)),
        "teacher": factories.user(full_name="Ann Teacher", organisation=school, roles=("teacher",), role_start=date(2026, 11, 1)),
        "assistant": factories.user(full_name="Bob Assistant", organisation=school, roles=("teaching-assistant",), role_start=date(2019, 9, 1)),
        "elsewhere": factories.user(full_name="Eve Elsewhere", organisation=other, roles=("teacher",)),
    }
    services.refresh_status([p.id for p in people.values()], now=NOW)
    complete(people["dsl"], courses["DSL-NEW"], date(2024, 9, 10))
    complete(people["governor"], courses["GOV"], date(2019, 3, 1))
    complete(people["assistant"], courses["SGE"], date(2021, 1, 5))
    complete(people["assistant"], courses["UPDATE"], date(2026, 9, 20))
    db.session.commit()
    return {"school": school, "other": other, "courses": courses, **people}


def _matrix(school, **filters):
    as_of = filters.pop("as_of", date(2026, 11, 23))
    page = filters.pop("page", 1)
    requirements = requirements_of(school)
    return matrix.matrix(school, as_of=as_of, filters=matrix.MatrixFilters(**filters), requirements=requirements, page=page)


def test_matrix_columns_are_the_requirements_that_apply_to_someone_there(school):
    codes = [r.code for r in requirements_of(school["school"])]
    assert codes == ["staff-safeguarding", "staff-annual-update", "dsl-role-training", "dsl-annual-update", "governor-training"]


def test_matrix_reads_the_dsl_example_from_the_status_table(school):
    for day, status, text in [
        (date(2026, 6, 11), engine.CURRENT, "Current to 10 Sep 2026"),
        (date(2026, 6, 12), engine.DUE_SOON, "Due 10 Sep 2026"),
        (date(2026, 9, 10), engine.DUE_SOON, "Due 10 Sep 2026"),
        (date(2026, 9, 11), engine.OVERDUE, "Overdue since 11 Sep 2026"),
    ]:
        table = _matrix(school["school"], as_of=day)
        row = next(r for r in table.rows if r.person_id == school["dsl"].id)
        cell = row.cell("dsl-role-training")
        assert (cell.status, cell.due_on, cell.text) == (status, date(2026, 9, 10), text)
        # Not applicable to a DSL: the governor requirement.
        assert row.cell("governor-training").text == "—"


def test_matrix_rows_by_name_and_people_elsewhere_left_out(school):
    table = _matrix(school["school"])
    assert [r.name for r in table.rows] == ["Ann Teacher", "Bob Assistant", "Dee Ess", "Gus Governor"]
    assert table.page.total == 4
    governor = next(r for r in table.rows if r.name == "Gus Governor")
    assert governor.cell("governor-training").text == "No expiry"
    assert governor.roles == [factories.job_role("governor").name]
    teacher = next(r for r in table.rows if r.name == "Ann Teacher")
    assert teacher.cell("staff-safeguarding").status == engine.NOT_YET_DUE


def test_matrix_filters(school):
    s = school["school"]
    assert [r.name for r in _matrix(s, requirement="dsl-role-training").rows] == ["Dee Ess"]
    assert [r.code for r in _matrix(s, requirement="dsl-role-training").requirements] == ["dsl-role-training"]
    assert [r.name for r in _matrix(s, status=engine.NOT_YET_DUE).rows] == ["Ann Teacher"]
    # The assistant's annual update is done for 2026/27; the DSL's trainings have run out.
    assert [r.name for r in _matrix(s, status=engine.OVERDUE).rows] == ["Dee Ess"]
    assert [r.name for r in _matrix(s, status=engine.CURRENT).rows] == ["Bob Assistant", "Dee Ess", "Gus Governor"]
    assert [r.name for r in _matrix(s, requirement="dsl-role-training", status=engine.CURRENT).rows] == []
    assert [r.name for r in _matrix(s, requirement="dsl-role-training", status=engine.CURRENT,
                                    as_of=date(2026, 6, 11)).rows] == ["Dee Ess"]
    assert [r.name for r in _matrix(s, requirement="dsl-role-training", status=engine.OVERDUE).rows] == ["Dee Ess"]
    role = factories.job_role("governor")
    assert [r.name for r in _matrix(s, job_role_id=role.id).rows] == ["Gus Governor"]
    assert [r.name for r in _matrix(s, search="ASSIST").rows] == ["Bob Assistant"]
    assert [r.name for r in _matrix(s, search="100%").rows] == []


def test_matrix_sorts_by_a_requirement_most_urgent_first(school):
    s = school["school"]
    names = [r.name for r in _matrix(s, sort="staff-safeguarding").rows]
    # Not yet due (the new teacher), then current (assistant, DSL), then not applicable (governor).
    assert names == ["Ann Teacher", "Bob Assistant", "Dee Ess", "Gus Governor"]
    names = [r.name for r in _matrix(s, sort="staff-annual-update").rows]
    assert names[0] == "Dee Ess" and names[-1] == "Gus Governor"
    assert [r.name for r in _matrix(s, sort="-name").rows] == ["Gus Governor", "Dee Ess", "Bob Assistant", "Ann Teacher"]
    reverse = [r.name for r in _matrix(s, sort="-staff-annual-update").rows]
    assert reverse[0] == "Gus Governor" and reverse[-1] == "Dee Ess"


def test_matrix_pages(school):
    for n in range(7):
        factories.user(full_name=f"Zed {n:02d}", organisation=school["school"], roles=("teacher",))
    db.session.commit()
    requirements = requirements_of(school["school"])
    page = matrix.matrix(school["school"], as_of=date(2026, 11, 23), filters=matrix.MatrixFilters(),
                          requirements=requirements, page=3, per_page=5)
    assert (page.page.total, page.page.page, page.page.pages) == (11, 3, 3)
    assert [r.name for r in page.rows] == ["Zed 06"]
    everything = matrix.matrix(school["school"], as_of=date(2026, 11, 23), filters=matrix.MatrixFilters(),
                                requirements=requirements, page=None)
    assert len(everything.rows) == 11 and everything.page is None
    # A page past the end shows the last one.
    assert matrix.matrix(school["school"], as_of=date(2026, 11, 23), filters=matrix.MatrixFilters(),
                          requirements=requirements, page=99, per_page=5).page.page == 3


def test_matrix_summary_counts(school):
    s = school["school"]
    people, summary = matrix.matrix_summary(s, as_of=date(2026, 11, 23), filters=matrix.MatrixFilters(),
                                             requirements=requirements_of(s))
    assert people == 4
    counts = {item.requirement.code: item for item in summary}
    assert counts["dsl-role-training"].counts == {engine.OVERDUE: 1}
    assert counts["dsl-role-training"].not_applicable == 3
    assert counts["staff-safeguarding"].counts == {engine.CURRENT: 2, engine.NOT_YET_DUE: 1}
    assert counts["staff-safeguarding"].percent(engine.CURRENT) == 67
    # As of 11 Jun 2026 the DSL's role training was current.
    _, summary = matrix.matrix_summary(s, as_of=date(2026, 6, 11), filters=matrix.MatrixFilters(),
                                        requirements=requirements_of(s))
    assert {i.requirement.code: i for i in summary}["dsl-role-training"].counts == {engine.CURRENT: 1}
    # The job-role filter narrows the summary too.
    people, summary = matrix.matrix_summary(
        s, as_of=date(2026, 11, 23), filters=matrix.MatrixFilters(job_role_id=factories.job_role("teacher").id),
        requirements=requirements_of(s),
    )
    assert people == 1
    assert {i.requirement.code: i.applicable for i in summary}["staff-safeguarding"] == 1


def test_closed_accounts_are_left_out(school):
    school["teacher"].active = False
    db.session.commit()
    assert "Ann Teacher" not in [r.name for r in _matrix(school["school"]).rows]


# --- the overview ---------------------------------------------------------------------------

def test_overview_counts_by_sector_type_area_and_organisation(school):
    nursery = factories.organisation("Little Acorns", type_code="day-nursery", area=factories.area("East"))
    worker = factories.user(full_name="Nia Nursery", organisation=nursery, roles=("ey-practitioner",), role_start=date(2019, 1, 1))
    services.refresh_status([worker.id], now=NOW)
    db.session.commit()
    day = date(2026, 11, 23)
    sectors = {g.name: g for g in overview.overview_by("sector", as_of=day)}
    assert set(sectors) == {"Education", "Early years"}
    education = sectors["Education"]
    # Hillside: the DSL 4 requirements, the governor 1, the teacher 2, the assistant 2;
    # Elsewhere's teacher 2 (both overdue: no training since 2020).
    assert education.total == 11
    assert education.counts == {engine.OVERDUE: 5, engine.CURRENT: 4, engine.NOT_YET_DUE: 2}
    assert education.percent(engine.OVERDUE) == 45
    assert sectors["Early years"].counts == {engine.OVERDUE: 1}
    assert sectors["Early years"].percent(engine.OVERDUE) == 100
    areas = {g.name: g for g in overview.overview_by("area", as_of=day)}
    assert areas["East"].total == 1 and areas["No area"].total == education.total
    types = {g.name for g in overview.overview_by("type", as_of=day)}
    assert len(types) == 2
    total = overview.overview_total(overview.overview_by("sector", as_of=day))
    assert total.total == education.total + 1

    dsl_role = next(r for r in requirements_of(school["school"]) if r.code == "dsl-role-training")
    only = overview.overview_by("sector", as_of=date(2026, 9, 11), requirement_id=dsl_role.id)
    assert [(g.name, g.counts) for g in only] == [("Education", {engine.OVERDUE: 1})]

    page = overview.overview_organisations(as_of=day)
    # By the share overdue, highest first (ties by name): 100%, 100%, 3 of 9.
    assert [g.name for g in page.items] == ["Elsewhere Academy", "Little Acorns", "Hillside Primary School"]
    assert [g.percent(engine.OVERDUE) for g in page.items] == [100, 100, 33]
    assert page.total == 3
    by_name = overview.overview_organisations(as_of=day, sort="name")
    assert [g.name for g in by_name.items] == ["Elsewhere Academy", "Hillside Primary School", "Little Acorns"]
    small = overview.overview_organisations(as_of=day, sort="name", page=2, per_page=2)
    assert [g.name for g in small.items] == ["Little Acorns"] and small.pages == 2


# --- the "as of" field ----------------------------------------------------------------------

@pytest.mark.parametrize(
    "args, expected, error",
    [
        ({"as_of": "2026-06-11"}, date(2026, 6, 11), None),
        ({"as_of": ["11", "6", "2026"]}, date(2026, 6, 11), None),
        ({}, None, None),
        ({"as_of": ""}, None, None),
        ({"as_of": "2026-13-45"}, None, "As of date must be a real date"),
        ({"as_of": "yesterday"}, None, "As of date must be a real date, like 11 6 2026"),
        ({"as_of": ["11", "", "2026"]}, None, "As of date must include a month"),
        ({"as_of": "1066-10-14"}, None, "As of date must be between 2000 and 2099"),
    ],
)
def test_as_of_field(app, args, expected, error):
    form = AsOfForm(MultiDict([(k, v) for k, values in args.items() for v in (values if isinstance(values, list) else [values])]))
    form.validate()
    assert form.as_of.data == expected
    if error:
        assert form.as_of.errors == [error]
    else:
        assert not form.as_of.errors
    if args.get("as_of"):
        assert len(form.as_of.raw_data) == 3  # the date input can show what was given


# --- exports --------------------------------------------------------------------------------

def test_csv_and_xlsx_have_a_header_and_a_row_per_person(school):
    table = _matrix(school["school"], as_of=date(2026, 9, 11), page=None, requirement="dsl-role-training")
    text = exports.matrix_csv(table).decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows == [
        ["Name", "Email address", "Job roles", "DSL role training: status", "DSL role training: due date"],
        ["Dee Ess", school["dsl"].email, rows[1][2], "Overdue", "2026-09-10"],
    ]
    workbook = load_workbook(io.BytesIO(exports.matrix_xlsx(table, generated_at=datetime(2026, 11, 23, 10), filters=[])))
    sheet = workbook["Hillside Primary School"]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][3:] == ["DSL role training: status", "DSL role training: due date"]
    assert values[1][3] == "Overdue"
    assert values[1][4] == datetime(2026, 9, 10)  # a real date
    assert exports.matrix_filename(table, "xlsx") == "compliance-hillside-primary-school-2026-09-11.xlsx"


def test_exports_keep_formulas_as_text(school):
    school["dsl"].full_name = "=HYPERLINK(\"http://example.org\")"
    db.session.commit()
    table = _matrix(school["school"], page=None, requirement="dsl-role-training")
    rows = list(csv.reader(io.StringIO(exports.matrix_csv(table).decode("utf-8").lstrip("\ufeff"))))
    assert rows[1][0] == "'=HYPERLINK(\"http://example.org\")"
    workbook = load_workbook(io.BytesIO(exports.matrix_xlsx(table, generated_at=datetime(2026, 11, 23, 10), filters=[])))
    cell = workbook.worksheets[0]["A2"]
    assert cell.data_type == "s" and cell.value == "=HYPERLINK(\"http://example.org\")"
