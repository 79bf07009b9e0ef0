"""The course mapping of the historical import: old course codes counted as catalogue
courses, the check's list of what each code will meet, line-numbered problems in a bad
mapping (nothing imported), moving history imported earlier, the page and the CLI."""
from __future__ import annotations

import io
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from lms.accounts.models import User
from lms.catalogue.models import Course
from lms.compliance.services import table_statuses
from lms.extensions import db
from lms.records.imports.services import import_bytes, import_records
from lms.records.models import Completion
from tests import factories
from tests.records.imports.test_services import csv_text, line


@pytest.fixture()
def catalogue(now):
    for code, title, requirements in (("SGE", "Safeguarding Everyone", ["staff-safeguarding"]),
                                      ("DSL-NEW", "DSL new to role", ["dsl-role-training"]),
                                      ("CE", "Child Exploitation", [])):
        db.session.add(Course(code=code, title=title, summary="", delivery_mode="elearning", cpd_hours=Decimal(2),
                              requirement_codes=requirements, managed_by="files", created_at=now, updated_at=now))
    db.session.commit()


HISTORY = csv_text(
    line(course_code="OLD-SG", course_title="Whole-school safeguarding (old system)", completed_on="2024-09-03"),
    line(email="kim@oak.example", full_name="Kim Lee", course_code="OLD-SG", course_title="Whole-school safeguarding",
         completed_on="2024-09-04"),
    line(email="kim@oak.example", full_name="Kim Lee", course_code="CE", course_title="Child Exploitation"),
    line(email="kim@oak.example", full_name="Kim Lee", course_code="FIRE-SAFETY", course_title="Fire safety"),
)


def run(text, now, mapping=None, dry_run=False, actor=None):
    return import_records(io.StringIO(text, newline=""), actor=actor, dry_run=dry_run, now=now, file_name="history.csv",
                          mapping=io.StringIO(mapping, newline="") if mapping is not None else None,
                          mapping_name="map.csv")


def test_the_check_lists_each_code_with_what_it_will_meet(now, catalogue):
    report = run(HISTORY, now, mapping="old_code,course_code\nold-sg,sge\n", dry_run=True)
    assert report.ok
    by_code = {item.code: item for item in report.course_codes}
    assert [item.code for item in report.course_codes] == ["OLD-SG", "CE", "FIRE-SAFETY"]
    old = by_code["OLD-SG"]
    assert (old.rows, old.mapped, old.course.code) == (2, True, "SGE")
    assert len(old.requirements) == 1 and old.requirements[0] != "staff-safeguarding"  # by name, not code
    assert not old.meets_nothing
    assert by_code["CE"].meets_nothing and not by_code["CE"].mapped  # a catalogue course counting towards nothing
    assert by_code["FIRE-SAFETY"].meets_nothing and by_code["FIRE-SAFETY"].course is None
    assert report.rows_meeting_nothing == 2
    assert report.courses_created == 1  # only FIRE-SAFETY: a mapped code makes no history course
    assert db.session.scalar(select(func.count(Completion.id))) == 0  # a dry run writes nothing


def test_mapped_rows_count_towards_the_catalogue_courses_requirements(now, catalogue):
    assert run(HISTORY, now, mapping="old_code,course_code\nOLD-SG,SGE\n").ok
    db.session.commit()
    sam = db.session.scalar(select(User).where(User.email == "sam.patel@oak.example"))
    completion = db.session.scalar(select(Completion).where(Completion.user_id == sam.id))
    assert db.session.get(Course, completion.course_id).code == "SGE"
    assert completion.title == "Whole-school safeguarding (old system)"
    assert table_statuses([sam.id], as_of=now.date())[(sam.id, "staff-safeguarding")][0] == "current"
    assert db.session.scalar(select(func.count(Course.id)).where(Course.code == "OLD-SG")) == 0


def test_without_a_mapping_the_old_code_meets_nothing_and_a_later_mapping_moves_it(now, catalogue):
    first = run(HISTORY, now)
    assert first.ok and {i.code for i in first.course_codes if i.meets_nothing} == {"OLD-SG", "CE", "FIRE-SAFETY"}
    db.session.commit()
    sam = db.session.scalar(select(User).where(User.email == "sam.patel@oak.example"))
    assert table_statuses([sam.id], as_of=now.date())[(sam.id, "staff-safeguarding")][0] == "overdue"

    again = run(HISTORY, now, mapping="old_code,course_code\nOLD-SG,SGE\n")
    assert again.ok and again.completions_created == 0 and again.completions_remapped == 2
    db.session.commit()
    assert table_statuses([sam.id], as_of=now.date())[(sam.id, "staff-safeguarding")][0] == "current"
    assert run(HISTORY, now, mapping="old_code,course_code\nOLD-SG,SGE\n").completions_remapped == 0  # idempotent


@pytest.mark.parametrize("mapping, expected", [
    ("old_code,course_code\nOLD-SG,NOPE\n", "line 2: course mapping: course_code 'NOPE' is not a course in the catalogue"),
    ("old_code,course_code\nOLD-SG,SGE\nOLD-SG,CE\n", "line 3: course mapping: old_code OLD-SG is already mapped on line 2"),
    ("old_code,course_code\nSGE,CE\n", "line 2: course mapping: old_code SGE is a course in the catalogue already"),
    ("old_code,course_code\nold sg,SGE\n", "line 2: course mapping: old_code 'old sg' must be letters"),
    ("old_code,course_code\n,SGE\n", "line 2: course mapping: old_code is missing"),
    ("old_code,course_code\nOLD-SG\n", "line 2: course mapping: has 1 values but the header has 2 columns"),
    ("old,new\nOLD-SG,SGE\n", "line 1: course mapping: the header row must name the columns old_code,course_code"),
    ("old_code,course_code\n", "course mapping: the file has a header row but no mappings"),
])
def test_a_bad_mapping_imports_nothing_and_names_the_line(now, catalogue, mapping, expected):
    report = run(HISTORY, now, mapping=mapping)
    assert not report.ok
    assert any(str(problem).startswith(expected) for problem in report.errors), [str(p) for p in report.errors]
    db.session.rollback()
    assert db.session.scalar(select(func.count(Completion.id))) == 0
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_a_mapping_that_is_a_spreadsheet_is_refused(now, catalogue):
    report = import_bytes(HISTORY.encode(), file_name="history.csv", actor=None, dry_run=True, now=now,
                          mapping=b"PK\x03\x04rest", mapping_name="map.xlsx")
    assert not report.ok and report.errors[0].message.startswith("course mapping: the file is a spreadsheet")


def test_the_page_shows_the_codes_and_flags_meets_no_requirement(app, client, now, catalogue):
    admin = factories.user("admin@example.org", admin=True)
    db.session.commit()
    factories.sign_in_directly(client, admin)
    response = client.post("/admin/import/", data={
        "file": (io.BytesIO(HISTORY.encode()), "history.csv"),
        "mapping": (io.BytesIO(b"old_code,course_code\nOLD-SG,SGE\n"), "map.csv"),
        "action": "check",
    }, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="course-codes"' in page and "Mapped to SGE Safeguarding Everyone" in page
    assert "Meets no requirement" in page and "2 rows will meet no training requirement" in page

    bad = client.post("/admin/import/", data={
        "file": (io.BytesIO(HISTORY.encode()), "history.csv"),
        "mapping": (io.BytesIO(b"old_code,course_code\nOLD-SG,NOPE\n"), "map.csv"),
        "action": "import",
    }, content_type="multipart/form-data")
    text = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "govuk-error-summary" in text
    assert "The course mapping has 1 problem" in text and "course_code &#39;NOPE&#39; is not a course" in text
    assert db.session.scalar(select(func.count(Completion.id))) == 0


def test_the_command_takes_a_mapping(app, now, catalogue, tmp_path):
    history = tmp_path / "history.csv"
    history.write_text(HISTORY)
    mapping = tmp_path / "map.csv"
    mapping.write_text("old_code,course_code\nOLD-SG,SGE\n")
    result = app.test_cli_runner().invoke(args=["lms", "import-records", str(history), "--mapping", str(mapping), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "course OLD-SG: 2 rows, mapped to SGE; meets: " in result.output
    assert "course FIRE-SAFETY: 1 row, not in the catalogue, not mapped; meets: MEETS NO REQUIREMENT" in result.output
    mapping.write_text("old_code,course_code\nOLD-SG,NOPE\n")
    bad = app.test_cli_runner().invoke(args=["lms", "import-records", str(history), "--mapping", str(mapping)])
    assert bad.exit_code != 0 and "line 2: course mapping: course_code 'NOPE'" in bad.output
