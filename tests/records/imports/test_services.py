"""The historical import: checks every row first, imports nothing from a bad file, creates
what is missing, and is idempotent. Also the `flask lms import-records` command."""
from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from lms.accounts.models import Employment, PersonRole, User
from lms.audit.models import AuditEvent
from lms.catalogue.models import Course
from lms.extensions import db
from lms.organisations.models import Organisation
from lms.records.imports import checks
from lms.records.imports.checks import COLUMNS, Problem
from lms.records.imports.services import import_bytes, import_records, source_ref, template_csv
from lms.records.models import Completion
from tests import factories

HEADER = ",".join(COLUMNS)
BASE = {
    "email": "sam.patel@oak.example",
    "full_name": "Sam Patel",
    "organisation": "Oak Primary School",
    "organisation_type": "primary-school",
    "job_role": "teacher",
    "course_code": "SGE",
    "course_title": "Safeguarding Everyone",
    "delivery_mode": "elearning",
    "completed_on": "2024-09-03",
    "cpd_hours": "2",
}


def line(**changes) -> str:
    values = {**BASE, **changes}
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow([values[name] for name in COLUMNS])
    return out.getvalue().removesuffix("\r\n")


def csv_text(*lines: str, header: str = HEADER) -> str:
    return "\n".join([header, *lines]) + "\n"


def run(text: str, now, *, dry_run: bool = False, actor=None):
    return import_records(io.StringIO(text, newline=""), actor=actor, dry_run=dry_run, now=now, file_name="history.csv")


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def totals() -> dict[str, int]:
    return {
        "people": count(User),
        "organisations": count(Organisation),
        "courses": count(Course),
        "completions": count(Completion),
        "roles": count(PersonRole),
        "employments": count(Employment),
        "audit": count(AuditEvent),
    }


GOOD_FILE = csv_text(
    line(),
    line(course_code="CE", course_title="Child Exploitation", completed_on="2023-01-10", cpd_hours="1.5"),
    line(
        email="Jo.Okafor@Acorns.example",
        full_name="Jo Okafor",
        organisation="Little Acorns",
        organisation_type="day-nursery",
        job_role="ey-dsl",
        course_code="EY-ANNEXC",
        course_title="Early Years Safeguarding",
        delivery_mode="face-to-face",
        completed_on="2022-05-20",
        cpd_hours="6",
    ),
)


# --- the must-show -------------------------------------------------------------


def test_a_file_with_bad_rows_imports_nothing_and_names_every_bad_row(now):
    before = totals()
    text = csv_text(
        line(),  # line 2: good
        line(email="a@oak.example", full_name="A", organisation_type="nursery school"),  # line 3
        line(email="b@oak.example", full_name="B", completed_on="31/02/2021"),  # line 4
        line(email="c@oak.example", full_name="C", delivery_mode="webinar"),  # line 5
        line(email="", full_name="D"),  # line 6
        line(email="e@oak.example", full_name="E"),  # line 7: good
    )

    report = run(text, now)

    assert report.errors == [
        Problem(3, "organisation type 'nursery school' is not known (use a code such as day-nursery, or a name from the list)"),
        Problem(4, "completed_on '31/02/2021' must be a date written YYYY-MM-DD"),
        Problem(5, "delivery mode 'webinar' is not known (use one of elearning, face-to-face, virtual, outreach, "
                   "twilight, event, external, imported)"),
        Problem(6, "email is missing"),
    ]
    assert str(report.errors[0]).startswith("line 3: organisation type 'nursery school'")
    assert report.rows == 6
    assert report.completions_created == report.people_created == 0
    db.session.commit()
    assert totals() == before  # not even the good rows, nor an audit event


def test_the_same_good_file_imported_twice_adds_nothing_the_second_time(now):
    first = run(GOOD_FILE, now)
    db.session.commit()
    after_first = totals()

    second = run(GOOD_FILE, now)
    db.session.commit()

    assert first.ok and second.ok
    assert (first.completions_created, first.people_created, first.organisations_created, first.courses_created) == (3, 2, 2, 3)
    assert (second.completions_created, second.people_created, second.organisations_created, second.courses_created) == (0, 0, 0, 0)
    assert second.completions_already_present == 3
    after_second = totals()
    assert after_second == {**after_first, "audit": after_first["audit"] + 1}  # only the second audit event


# --- what a good import creates ----------------------------------------------------------


def test_a_good_import_creates_organisations_people_courses_and_completions(now):
    report = run(GOOD_FILE, now)
    db.session.commit()

    assert report.ok and report.rows == 3
    sam = db.session.scalar(select(User).where(User.email == "sam.patel@oak.example"))
    jo = db.session.scalar(select(User).where(User.email == "jo.okafor@acorns.example"))  # lower-cased
    assert sam.full_name == "Sam Patel"
    assert sam.password_hash is None and sam.email_confirmed_at is None and sam.active
    assert sam.organisation.name == "Oak Primary School"
    assert sam.organisation.type.code == "primary-school"
    assert sam.organisation.sector.code == "education"  # the sector comes from the type
    assert jo.organisation.sector.code == "early-years"
    # The role and the employment start on the person's earliest completion in the file.
    assert [(role.job_role.code, role.started_on) for role in sam.roles] == [("teacher", date(2023, 1, 10))]
    assert [(e.organisation_id, e.started_on, e.ended_on) for e in sam.employments] == [
        (sam.organisation_id, date(2023, 1, 10), None)
    ]
    assert [role.job_role.code for role in jo.roles] == ["ey-dsl"]

    course = db.session.scalar(select(Course).where(Course.code == "EY-ANNEXC"))
    assert course.title == "Early Years Safeguarding"
    assert course.delivery_mode == "face-to-face"
    assert course.cpd_hours == Decimal(6)
    assert course.managed_by == "admin"
    assert course.active is False  # history, not listed in the catalogue

    completions = db.session.scalars(select(Completion).order_by(Completion.completed_on)).all()
    assert [(c.user_id, c.title, c.delivery_mode, c.completed_on, c.cpd_hours) for c in completions] == [
        (jo.id, "Early Years Safeguarding", "face-to-face", date(2022, 5, 20), Decimal(6)),
        (sam.id, "Child Exploitation", "elearning", date(2023, 1, 10), Decimal("1.5")),
        (sam.id, "Safeguarding Everyone", "elearning", date(2024, 9, 3), Decimal(2)),
    ]
    assert all(c.source == "imported" and c.created_at == now for c in completions)
    assert completions[2].source_ref == source_ref("sam.patel@oak.example", "SGE", date(2024, 9, 3))
    assert completions[2].organisation_id == sam.organisation_id
    assert completions[2].sector_id == sam.organisation.sector_id

    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "records.import"))
    assert event.actor_id is None  # the command line
    assert event.after["file"] == "history.csv"
    assert event.after["completions_created"] == 3 and event.after["people_created"] == 2
    assert event.after["rows"] == 3
    assert report.event is event


def test_the_audit_event_names_the_admin_who_imported(now):
    admin = factories.user(admin=True)
    run(GOOD_FILE, now, actor=admin)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "records.import"))
    assert event.actor_id == admin.id
    assert "3 completions added" in event.summary


def test_the_source_ref_is_the_same_for_the_same_person_course_and_day():
    assert source_ref("a@b.example", "SGE", date(2024, 1, 2)) == source_ref("a@b.example", "SGE", date(2024, 1, 2))
    assert source_ref("a@b.example", "SGE", date(2024, 1, 2)) != source_ref("a@b.example", "SGE", date(2024, 1, 3))
    assert source_ref("a@b.example", "SGE", date(2024, 1, 2)) != source_ref("c@b.example", "SGE", date(2024, 1, 2))
    assert len(source_ref("a@b.example", "SGE", date(2024, 1, 2))) <= 100


def test_a_completion_in_another_file_with_other_details_is_still_the_same_completion(now):
    run(csv_text(line()), now)
    db.session.commit()
    report = run(csv_text(line(cpd_hours="3", course_title="SG Everyone", email="SAM.PATEL@oak.example")), now)
    assert report.completions_created == 0 and report.completions_already_present == 1
    assert db.session.scalar(select(Completion.cpd_hours)) == Decimal(2)


def test_imported_history_counts_towards_compliance_through_catalogue_courses(now):
    """The point of the import: on day one a setting sees its staff's real status."""
    from lms.compliance.services import table_statuses

    for code, title, requirement in (("SGE", "Safeguarding Everyone", "staff-safeguarding"),
                                     ("UPDATE", "Annual update", "staff-annual-update")):
        db.session.add(Course(code=code, title=title, summary="", delivery_mode="elearning", cpd_hours=Decimal(1),
                              requirement_codes=[requirement], managed_by="files", created_at=now, updated_at=now))
    db.session.commit()
    text = csv_text(
        line(course_code="SGE", completed_on="2021-09-01"),
        line(course_code="UPDATE", course_title="Annual update", completed_on="2026-09-02"),
        line(email="old@oak.example", full_name="Old Timer", course_code="OLD-SG", course_title="Old course",
             completed_on="2021-09-01"),
    )
    assert run(text, now).ok
    db.session.commit()
    sam = db.session.scalar(select(User).where(User.email == "sam.patel@oak.example"))
    old = db.session.scalar(select(User).where(User.email == "old@oak.example"))
    statuses = table_statuses([sam.id, old.id], as_of=now.date())
    assert statuses[(sam.id, "staff-safeguarding")][0] == "current"
    assert statuses[(sam.id, "staff-annual-update")][0] == "current"
    # A course the import made counts towards nothing: the file cannot say what it meets.
    assert statuses[(old.id, "staff-safeguarding")][0] == "overdue"


# --- codes or names ---------------------------------------------------------------------


def test_types_roles_and_modes_may_be_codes_or_names_in_any_case(now):
    text = csv_text(
        line(email="a@x.example", full_name="A", organisation="Acorns", organisation_type="  Private DAY nursery ",
             job_role="early years practitioner", delivery_mode="FACE-TO-FACE"),
        line(email="b@x.example", full_name="B", organisation="Sure Start", organisation_type="Children’s centre",
             job_role="EY-DSL", delivery_mode="DSL network twilight"),
        line(email="c@x.example", full_name="C", organisation="Old system", organisation_type="CHARITY",
             job_role="Voluntary sector staff or volunteer", delivery_mode="Imported record"),
    )
    report = run(text, now)
    assert report.ok, report.errors
    people = {p.email: p for p in db.session.scalars(select(User))}
    assert people["a@x.example"].organisation.type.code == "day-nursery"
    assert people["a@x.example"].roles[0].job_role.code == "ey-practitioner"
    assert people["b@x.example"].organisation.type.code == "childrens-centre"
    assert people["b@x.example"].roles[0].job_role.code == "ey-dsl"
    assert people["c@x.example"].roles[0].job_role.code == "vcs-staff"
    modes = {c.user.email: c.delivery_mode for c in db.session.scalars(select(Completion))}
    assert modes == {"a@x.example": "face-to-face", "b@x.example": "twilight", "c@x.example": "imported"}


def test_an_unknown_job_role_gets_a_suggestion(now):
    report = run(csv_text(line(job_role="techer")), now)
    assert report.errors == [Problem(2, "job role 'techer' is not known (use a code such as teacher, or a name from the list)")]


# --- checks on each value ---------------------------------------------------------------


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"completed_on": "2021-02-31"}, "completed_on '2021-02-31' is not a real date"),
        ({"completed_on": "2021-2-3"}, "completed_on '2021-2-3' must be a date written YYYY-MM-DD"),
        ({"completed_on": "03/09/2024"}, "completed_on '03/09/2024' must be a date written YYYY-MM-DD"),
        ({"completed_on": "2026-11-24"}, "completed_on '2026-11-24' is in the future"),
        ({"completed_on": "0202-05-01"}, "completed_on '0202-05-01' is before 1970"),
        ({"completed_on": ""}, "completed_on is missing"),
        ({"cpd_hours": "-1"}, "cpd_hours '-1' must be a number of hours of 0 or more, with up to 2 decimal places, like 1.5"),
        ({"cpd_hours": "1.555"}, "cpd_hours '1.555' must be a number of hours of 0 or more, with up to 2 decimal places, like 1.5"),
        ({"cpd_hours": "two"}, "cpd_hours 'two' must be a number of hours of 0 or more, with up to 2 decimal places, like 1.5"),
        ({"cpd_hours": "1000"}, "cpd_hours '1000' must be less than 1000"),
        ({"email": "not-an-email"}, "email 'not-an-email' is not a valid email address"),
        ({"full_name": "  "}, "full_name is missing"),
        ({"organisation": ""}, "organisation is missing"),
        ({"organisation_type": ""}, "organisation_type is missing"),
        ({"job_role": ""}, "job_role is missing"),
        ({"course_code": ""}, "course_code is missing"),
        ({"course_code": "SG 1"}, "course_code 'SG 1' must be letters, digits and single hyphens, up to 30 characters, like SGE or DSL-NEW"),
        ({"course_title": ""}, "course_title is missing"),
        ({"delivery_mode": ""}, "delivery_mode is missing"),
        ({"full_name": "x" * 201}, "full_name must be 200 characters or fewer"),
    ],
)
def test_each_bad_value_is_named(now, changes, message):
    report = run(csv_text(line(), line(**changes)), now)
    assert report.errors == [Problem(3, message)]
    assert count(Completion) == 0


def test_today_is_not_the_future_in_london(now):
    # `now` is 10:00 on 23 November 2026 in London.
    assert run(csv_text(line(completed_on="2026-11-23")), now).ok


def test_a_row_with_several_problems_reports_each(now):
    report = run(csv_text(line(email="", completed_on="2024-13-01", delivery_mode="webinar")), now)
    assert [str(problem) for problem in report.errors] == [
        "line 2: email is missing",
        ("line 2: delivery mode 'webinar' is not known (use one of elearning, face-to-face, virtual, outreach, "
        "twilight, event, external, imported)"),
        "line 2: completed_on '2024-13-01' is not a real date",
    ]


def test_blank_hours_take_the_course_hours(now):
    # SGE exists with 2 hours; NEW-1 is made by the import from the first row giving hours.
    run(csv_text(line(cpd_hours="2")), now)
    db.session.commit()
    text = csv_text(
        line(completed_on="2024-01-05", cpd_hours=""),
        line(course_code="NEW-1", course_title="New one", completed_on="2024-02-01", cpd_hours=""),
        line(course_code="NEW-1", course_title="New one", completed_on="2024-03-01", cpd_hours="3.25"),
        line(course_code="NEW-2", course_title="Never given", completed_on="2024-03-01", cpd_hours=""),
    )
    report = run(text, now)
    assert report.ok, report.errors
    by_course = {
        (code, on): hours
        for code, on, hours in db.session.execute(
            select(Course.code, Completion.completed_on, Completion.cpd_hours).join(Course, Course.id == Completion.course_id)
        )
    }
    assert by_course[("SGE", date(2024, 1, 5))] == Decimal(2)
    assert by_course[("NEW-1", date(2024, 2, 1))] == Decimal("3.25")
    assert by_course[("NEW-1", date(2024, 3, 1))] == Decimal("3.25")
    assert by_course[("NEW-2", date(2024, 3, 1))] == Decimal(0)
    assert db.session.scalar(select(Course.cpd_hours).where(Course.code == "NEW-1")) == Decimal("3.25")


def test_course_codes_are_matched_in_capitals(now):
    run(csv_text(line(course_code="sge")), now)
    assert db.session.scalars(select(Course.code)).all() == ["SGE"]


# --- the file as a whole ------------------------------------------------------------------


def test_columns_may_come_in_any_order(now):
    order = list(reversed(COLUMNS))
    values = [BASE[name] for name in order]
    report = run(",".join(order) + "\n" + ",".join(values) + "\n", now)
    assert report.ok and report.completions_created == 1


def test_missing_and_extra_columns_are_named(now):
    header = HEADER.replace(",cpd_hours", ",hours").replace("email,", "e-mail,")
    report = run(csv_text(line(), header=header), now)
    messages = [str(problem) for problem in report.errors]
    assert messages[0] == "line 1: the header row is missing the columns email, cpd_hours"
    assert messages[1] == "line 1: the header row has columns this import does not use: e-mail, hours"
    assert messages[2].startswith("line 1: the header row must name these columns, in any order: email,full_name,")
    assert report.rows == 0


def test_a_repeated_column_is_an_error(now):
    report = run(csv_text(line() + ",x", header=HEADER + ",email"), now)
    assert "line 1: the header row names email more than once" in [str(p) for p in report.errors]


def test_a_semicolon_file_is_explained(now):
    report = run(HEADER.replace(",", ";") + "\n" + line().replace(",", ";") + "\n", now)
    assert report.errors == [Problem(1, "the columns are separated by semicolons; save the file with commas (CSV)")]


def test_a_row_with_the_wrong_number_of_values_is_named(now):
    report = run(csv_text(line(), line(organisation="Oak, Elm and Ash Federation").replace('"', "")), now)
    assert report.errors == [
        Problem(3, "has 11 values but the header has 10 columns (a value with a comma in it must be in double quotes)")
    ]


def test_line_numbers_count_blank_lines_and_quoted_line_breaks(now):
    text = HEADER + "\n\n" + line(organisation='Oak\nPrimary') + "\n" + line(email="", full_name="X") + "\n"
    report = run(text, now)
    # header 1, blank 2, a record over lines 3-4, the bad record on line 5
    assert report.errors == [Problem(5, "email is missing")]


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "The file is empty"),
        (b"  \n\n", "The file is empty"),
        (HEADER.encode() + b"\n", "The file has a header row but no records"),
        (b"PK\x03\x04\x14\x00\x06\x00rest-of-a-workbook",
         "The file is a spreadsheet workbook, not a CSV file. Save it as 'CSV UTF-8 (comma delimited)' and upload that"),
        ("\ufeff".encode("utf-16-le").join([b"", b""]) + HEADER.encode("utf-16"),
         "The file is saved as UTF-16 text. Save it as 'CSV UTF-8' and upload that"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "The file is not a CSV text file (it contains binary data)"),
        (HEADER.encode() + b"\n" + line(full_name="Zo\xeb").encode("latin-1") + b"\n",
         "The file is not UTF-8 text (line 2 has a character that is not UTF-8). Save it as 'CSV UTF-8' and upload that"),
    ],
)
def test_files_that_are_not_utf8_csv_are_refused_clearly(now, data, message):
    report = import_bytes(data, file_name="x.csv", actor=None, dry_run=False, now=now)
    assert report.errors == [Problem(None, message)]
    assert count(Completion) == 0


def test_a_utf8_file_with_a_byte_order_mark_is_read(now):
    data = ("\ufeff" + csv_text(line(full_name="Zoë Brontë"))).encode("utf-8")
    report = import_bytes(data, file_name="x.csv", actor=None, dry_run=False, now=now)
    assert report.ok, report.errors
    assert db.session.scalar(select(User.full_name)) == "Zoë Brontë"


def test_too_many_rows_is_an_error(now, monkeypatch):
    monkeypatch.setattr(checks, "MAX_ROWS", 3)
    text = csv_text(*[line(completed_on=f"2024-01-0{day}") for day in range(1, 5)])
    report = run(text, now)
    assert report.errors == [Problem(None, "The file has more than 3 rows. Split it into smaller files")]
    assert count(Completion) == 0


def test_the_shipped_maximum_is_200000_rows():
    assert checks.MAX_ROWS == 200_000


# --- one person in the file -------------------------------------------------------------


def test_one_person_with_two_names_is_an_error_naming_both_lines(now):
    text = csv_text(
        line(),
        line(course_code="CE", full_name="sam  patel"),  # same name, other case and spacing: fine
        line(course_code="OS", full_name="Samuel Patel"),
    )
    report = run(text, now)
    assert report.errors == [
        Problem(4, "full_name 'Samuel Patel' for sam.patel@oak.example differs from 'Sam Patel' on line 2 "
                   "(one person must have one name throughout the file)")
    ]


def test_a_new_person_at_several_organisations_is_recorded_at_the_latest(now):
    text = csv_text(
        line(organisation="Elm Primary", completed_on="2019-09-01", course_code="OLD"),
        line(organisation="Oak Primary School", completed_on="2024-09-03"),
        line(organisation="Elm Primary", completed_on="2021-09-01", course_code="CE"),
    )
    report = run(text, now)
    assert report.ok
    sam = db.session.scalar(select(User))
    assert sam.organisation.name == "Oak Primary School"
    assert [e.started_on for e in sam.employments] == [date(2019, 9, 1)]
    assert [str(w) for w in report.warnings] == [
        ("line 2: sam.patel@oak.example has rows at 2 organisations; they are recorded at 'Oak Primary School', "
        "the organisation of their most recent completion")
    ]


def test_a_new_person_gets_each_role_from_its_earliest_row(now):
    text = csv_text(
        line(job_role="teacher", completed_on="2020-01-01", course_code="A"),
        line(job_role="school-dsl", completed_on="2023-06-01", course_code="B"),
        line(job_role="teacher", completed_on="2018-03-01", course_code="C"),
    )
    assert run(text, now).ok
    sam = db.session.scalar(select(User))
    assert sorted((r.job_role.code, r.started_on) for r in sam.roles) == [
        ("school-dsl", date(2023, 6, 1)),
        ("teacher", date(2018, 3, 1)),
    ]


def test_the_same_completion_twice_in_one_file_counts_once(now):
    text = csv_text(line(), line(), line(cpd_hours="3"), line(course_code="CE"))
    report = run(text, now)
    assert report.ok
    assert report.completions_created == 2
    assert report.duplicate_rows == 2
    assert count(Completion) == 2
    assert [str(w) for w in report.warnings] == [
        "line 4: repeats the completion on line 2 (same person, course and date) with different details; line 2 is used"
    ]


# --- what exists already ----------------------------------------------------------------


def test_existing_people_organisations_and_courses_are_reused(now):
    oak = factories.organisation("Oak Primary School", type_code="primary-school")
    elm = factories.organisation("Elm Primary", type_code="primary-school")
    sam = factories.user("sam.patel@oak.example", full_name="Samuel Patel", organisation=elm, roles=("school-dsl",))
    course = Course(code="SGE", title="Safeguarding Everyone", summary="", delivery_mode="elearning",
                    cpd_hours=Decimal(2), managed_by="files", created_at=now, updated_at=now)
    db.session.add(course)
    db.session.commit()
    before = totals()

    text = csv_text(
        line(),  # Sam: name, organisation and role differ from the record
        line(email="new@oak.example", full_name="New Person", organisation="  oak primary   SCHOOL "),
        line(email="nursery@oak.example", full_name="Nursery Person", organisation="Oak Primary School",
             organisation_type="school-nursery"),  # same name, another type: another organisation
    )
    report = run(text, now)
    db.session.commit()

    assert report.ok, report.errors
    assert (report.people_created, report.organisations_created, report.courses_created) == (2, 1, 0)
    after = totals()
    assert after["people"] == before["people"] + 2
    assert after["organisations"] == before["organisations"] + 1
    assert after["courses"] == before["courses"]
    db.session.refresh(sam)
    assert sam.full_name == "Samuel Patel"
    assert sam.organisation_id == elm.id
    assert [role.job_role.code for role in sam.roles] == ["school-dsl"]
    new = db.session.scalar(select(User).where(User.email == "new@oak.example"))
    assert new.organisation_id == oak.id
    assert db.session.get(Course, course.id).managed_by == "files"
    sams = db.session.scalar(select(Completion).where(Completion.user_id == sam.id))
    assert sams.course_id == course.id
    assert sams.organisation_id == elm.id  # where Sam is recorded, not where the file says
    assert [str(w) for w in report.warnings] == [
        "line 2: sam.patel@oak.example is already recorded as 'Samuel Patel'; that name is kept (the file has 'Sam Patel')",
        "line 2: sam.patel@oak.example is already recorded at 'Elm Primary'; that is kept (the file has 'Oak Primary School')",
        "line 2: sam.patel@oak.example does not hold the job role 'Teacher'; their roles were not changed",
    ]
    assert db.session.scalar(select(AuditEvent.after).where(AuditEvent.action == "records.import"))["first_warnings"] == [
        str(w) for w in report.warnings
    ]


def test_an_existing_person_matching_the_file_gets_no_warning(now):
    oak = factories.organisation("Oak Primary School")
    factories.user("sam.patel@oak.example", full_name="Sam Patel", organisation=oak, roles=("teacher",))
    db.session.commit()
    report = run(csv_text(line()), now)
    assert report.ok and report.warnings == [] and report.people_created == 0


# --- dry run --------------------------------------------------------------------------------


def test_a_dry_run_reports_what_it_would_create_and_creates_nothing(now):
    before = totals()
    dry = run(GOOD_FILE, now, dry_run=True)
    db.session.commit()  # even a careless caller's commit writes nothing
    assert totals() == before
    assert dry.ok and dry.dry_run and dry.event is None
    assert ("Completions would be added", 3) in dry.totals()

    real = run(GOOD_FILE, now)
    assert real.counts() == dry.counts()


def test_a_dry_run_then_an_import_in_the_same_transaction(now):
    dry = run(GOOD_FILE, now, dry_run=True)
    real = run(GOOD_FILE, now)
    db.session.commit()
    assert real.counts() == dry.counts()
    emails = {c.user_id: c.user.email for c in db.session.scalars(select(Completion))}
    assert sorted(emails.values()) == ["jo.okafor@acorns.example", "sam.patel@oak.example"]
    assert db.session.scalar(select(User.full_name).where(User.email == "jo.okafor@acorns.example")) == "Jo Okafor"


def test_a_dry_run_of_an_imported_file_says_nothing_would_be_added(now):
    run(GOOD_FILE, now)
    db.session.commit()
    dry = run(GOOD_FILE, now, dry_run=True)
    assert dry.completions_created == 0 and dry.completions_already_present == 3


def test_the_template_imports_cleanly(now):
    report = import_bytes(template_csv().encode(), file_name="template.csv", actor=None, dry_run=True, now=now)
    assert report.ok, report.errors
    assert report.rows == 2 and report.completions_created == 2
    assert template_csv().splitlines()[0] == HEADER


# --- SQL statements -----------------------------------------------------------------------


def _big_file(rows: int) -> str:
    """`rows` completions by rows/10 people at 5 organisations, over 10 courses."""
    lines = []
    for n in range(rows):
        person = n % max(1, rows // 10)
        lines.append(
            line(
                email=f"person{person}@example.org",
                full_name=f"Person {person}",
                organisation=f"School {person % 5}",
                course_code=f"C{n % 10}",
                course_title=f"Course {n % 10}",
                completed_on=date.fromordinal(date(2015, 1, 1).toordinal() + n).isoformat(),
            )
        )
    return csv_text(*lines)


def test_checking_and_reimporting_a_file_takes_a_bounded_number_of_statements(now, count_queries):
    """No per-row queries: what exists already is looked up in batches."""
    small, large = _big_file(50), _big_file(500)
    run(small, now)
    run(large, now)
    db.session.commit()

    statements = {}
    for name, text in (("small", small), ("large", large)):
        db.session.expire_all()
        with count_queries() as counted:
            report = run(text, now)
        assert report.ok and report.completions_created == 0
        statements[name] = len(counted)
    # A few lookups (reference lists, courses, organisations, people, completions) and
    # the audit event, whatever the number of rows.
    assert statements["large"] <= 20
    assert statements["large"] == statements["small"]


def test_a_bad_file_is_checked_without_touching_the_database_per_row(now, count_queries):
    text = csv_text(*[line(email=f"p{n}@x.example", completed_on="31/02/2021") for n in range(500)])
    with count_queries() as counted:
        report = run(text, now)
    assert len(report.errors) == 500
    assert len(counted) <= 4  # the reference lists and the courses


# --- the command line ---------------------------------------------------------------------


def _write(tmp_path, text: str | bytes, name: str = "history.csv"):
    path = tmp_path / name
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    return str(path)


def _committed_totals(app) -> dict[str, int]:
    db.session.remove()  # read what the command committed, not this session's view
    return totals()


def test_cli_imports_a_good_file_and_prints_the_totals(runner, app, tmp_path):
    path = _write(tmp_path, GOOD_FILE)
    result = runner.invoke(args=["lms", "import-records", path])
    assert result.exit_code == 0, result.output
    assert "Rows read: 3" in result.output
    assert "Completions added: 3" in result.output
    assert "People created: 2" in result.output
    assert "Import complete." in result.output
    assert _committed_totals(app)["completions"] == 3

    again = runner.invoke(args=["lms", "import-records", path])
    assert again.exit_code == 0
    assert "Completions added: 0" in again.output
    assert "Completions already recorded: 3" in again.output
    assert _committed_totals(app)["completions"] == 3


def test_cli_dry_run_changes_nothing(runner, app, tmp_path):
    before = totals()
    result = runner.invoke(args=["lms", "import-records", _write(tmp_path, GOOD_FILE), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Completions would be added: 3" in result.output
    assert "Dry run: nothing was imported." in result.output
    assert _committed_totals(app) == before


def test_cli_prints_every_bad_line_and_exits_non_zero(runner, app, tmp_path):
    before = totals()
    text = csv_text(line(), line(organisation_type="nursery school"), line(completed_on="31/02/2021"), line(email=""))
    result = runner.invoke(args=["lms", "import-records", _write(tmp_path, text)])
    assert result.exit_code == 1
    assert "line 3: organisation type 'nursery school' is not known" in result.stderr
    assert "line 4: completed_on '31/02/2021' must be a date written YYYY-MM-DD" in result.stderr
    assert "line 5: email is missing" in result.stderr
    assert "Error: 3 problems found in 4 rows; nothing was imported." in result.stderr
    assert _committed_totals(app) == before


def test_cli_refuses_a_file_that_is_not_utf8(runner, app, tmp_path):
    data = HEADER.encode() + b"\n" + line(full_name="Zo\xeb").encode("latin-1") + b"\n"
    result = runner.invoke(args=["lms", "import-records", _write(tmp_path, data)])
    assert result.exit_code == 1
    assert "The file is not UTF-8 text" in result.stderr


def test_cli_needs_an_existing_file(runner, tmp_path):
    result = runner.invoke(args=["lms", "import-records", str(tmp_path / "missing.csv")])
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_a_first_import_takes_a_bounded_number_of_statements(now, count_queries):
    """Writing completions is batched too, and the compliance status of everyone imported
    is refreshed once, not once per completion."""
    from lms.extensions import db as database

    statements = {}
    for name, rows in (("small", 50), ("large", 500)):
        with count_queries() as counted:
            report = run(_big_file(rows), now)
        assert not report.errors and report.completions_created == rows
        statements[name] = len(counted)
        database.session.rollback()
    assert statements["large"] <= statements["small"] + 5, statements


def test_people_an_import_creates_are_counted_in_the_kept_registrations(now):
    from lms.accounts.registrations import RegistrationMix, rebuild_registrations

    def kept():
        table = RegistrationMix.__table__
        return sorted(db.session.execute(select(*table.c).where(table.c.people != 0)).all())

    factories.user("already@example.org")
    run(GOOD_FILE, now)
    db.session.commit()
    counted = kept()
    # Three accounts in all: the one made before and the import's two, as a rebuild from the
    # accounts counts them.
    assert sum(row.people for row in counted if row.dimension == 0) == 3
    rebuild_registrations()
    assert kept() == counted
