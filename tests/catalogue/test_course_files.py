"""Checking and loading course folders: every problem named with its file and line,
nothing changed when anything is wrong, new versions only when content changes."""
import shutil
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lms.catalogue import services
from lms.catalogue.course_files import render_markdown
from lms.catalogue.models import Course, CourseVersion
from lms.compliance import services as compliance
from lms.extensions import db
from lms.records import services as records
from tests import factories

REPO_COURSES = Path(__file__).resolve().parents[2] / "courses"

COURSE_YML = """\
code: TEST
title: A test course
summary: Short summary.
learning_outcomes:
  - Know a thing.
delivery_mode: elearning
cpd_hours: 1.5
estimated_minutes: 20
level: 1
audience:
  sectors: [education]
  job_roles: []
requirements: [staff-safeguarding]
"""

LESSON = """\
---
title: First lesson
minutes: 5
---
Some **text** with a [link](https://example.org).

## A heading
"""

QUIZ = """\
pass_mark: 80
questions:
  - id: q1
    text: Which is right?
    options:
      - {id: a, text: This one}
      - {id: b, text: That one}
    answers: [a]
    feedback:
      correct: Yes.
      incorrect: No.
  - id: q2
    text: Pick two.
    options:
      - {id: a, text: One}
      - {id: b, text: Two}
      - {id: c, text: Three}
    answers: [a, c]
    feedback:
      correct: Yes.
      incorrect: No.
"""


def make_course(root: Path, code="TEST", course_yml=COURSE_YML, lesson=LESSON, quiz=QUIZ) -> Path:
    folder = root / code
    (folder / "lessons").mkdir(parents=True)
    (folder / "course.yml").write_text(course_yml.replace("code: TEST", f"code: {code}"))
    (folder / "lessons" / "01-first.md").write_text(lesson)
    (folder / "quiz.yml").write_text(quiz)
    return folder


def problems_in(root: Path) -> list[str]:
    _, problems = services.check_course_files(root)
    return [str(p) for p in problems]


def test_the_shipped_courses_are_valid():
    sources, problems = services.check_course_files(REPO_COURSES)
    assert problems == []
    codes = {s.code for s in sources}
    assert {"SGE", "CE", "OS", "UPDATE"} <= codes
    for source in sources:
        assert len(source.questions) == 10
        assert 20 <= sum(lesson.minutes for lesson in source.lessons) <= 40


def test_a_good_folder_has_no_problems(tmp_path):
    make_course(tmp_path)
    assert problems_in(tmp_path) == []


def test_a_course_may_ask_for_an_evaluation(tmp_path, now):
    make_course(tmp_path, course_yml=COURSE_YML + "evaluation: true\n")
    sources, problems = services.check_course_files(tmp_path)
    assert problems == [] and sources[0].evaluation is True
    services.sync_courses(sources, now=now)
    assert services.get_course("TEST").asks_for_evaluation is True


def test_evaluation_must_be_true_or_false(tmp_path):
    make_course(tmp_path, course_yml=COURSE_YML + "evaluation: sometimes\n")
    assert any("'evaluation' must be true or false" in problem for problem in problems_in(tmp_path))


def test_a_course_without_evaluation_keeps_its_content_hash(tmp_path):
    """Courses synced before the evaluation key existed must not all become new versions:
    without the key the hash covers exactly what it covered before."""
    import dataclasses
    import hashlib
    import json

    make_course(tmp_path)
    [source], _ = services.check_course_files(tmp_path)
    before = {
        "meta": [source.code, source.title, source.summary, source.learning_outcomes, source.delivery_mode,
                 str(source.cpd_hours), source.estimated_minutes, source.level, sorted(source.sectors),
                 sorted(source.job_roles), sorted(source.requirements)],
        "quiz": [source.pass_mark, source.questions],
        "lessons": [[lesson.slug, lesson.title, lesson.minutes, lesson.body_markdown] for lesson in source.lessons],
    }
    assert source.content_hash == hashlib.sha256(json.dumps(before, sort_keys=True).encode("utf-8")).hexdigest()
    assert dataclasses.replace(source, evaluation=True).content_hash != source.content_hash


def test_missing_field_is_named_with_its_file(tmp_path):
    make_course(tmp_path, course_yml=COURSE_YML.replace("summary: Short summary.\n", ""))
    assert problems_in(tmp_path) == [f"{tmp_path.name}/TEST/course.yml: missing required field 'summary'"]


def test_answer_not_among_options_gives_file_and_line(tmp_path):
    make_course(tmp_path, quiz=QUIZ.replace("answers: [a, c]", "answers: [a, e]"))
    [problem] = problems_in(tmp_path)
    assert problem.endswith("TEST/quiz.yml:18: question q2: answer 'e' is not one of its options (a, b, c)")


def test_broken_front_matter_gives_file_and_line(tmp_path):
    make_course(tmp_path, lesson=LESSON.replace("minutes: 5", "minutes: [5"))
    [problem] = problems_in(tmp_path)
    assert "TEST/lessons/01-first.md:" in problem and "not valid YAML" in problem
    line = int(problem.split("01-first.md:")[1].split(":")[0])
    assert line in (3, 4)


def test_unclosed_front_matter(tmp_path):
    make_course(tmp_path, lesson="---\ntitle: x\nminutes: 5\nNo closing line\n")
    [problem] = problems_in(tmp_path)
    assert problem.endswith("TEST/lessons/01-first.md:1: the front matter is not closed: add a '---' line after it")


@pytest.mark.parametrize(
    "change, expected",
    [
        (("delivery_mode: elearning", "delivery_mode: webinar"), "course.yml:6: delivery_mode 'webinar' is not allowed here"),
        (("cpd_hours: 1.5", "cpd_hours: -1"), "course.yml:7: 'cpd_hours' must be a number above 0"),
        (("level: 1", "level: 7"), "course.yml:9: 'level' must be a whole number from 1 to 3"),
        (("sectors: [education]", "sectors: [schools]"), "course.yml:11: unknown sector code 'schools'"),
        (("requirements: [staff-safeguarding]", "requirements: [made-up]"), "course.yml:13: unknown requirement code 'made-up'"),
        (("title: A test course", "title: A test course\ntitel: typo"), "course.yml:3: unknown field 'titel'"),
        (("code: TEST", "code: OTHER"), "course.yml:1: code 'OTHER' must match the folder name 'TEST'"),
    ],
)
def test_course_yml_problems(tmp_path, change, expected):
    make_course(tmp_path, course_yml=COURSE_YML.replace(*change))
    found = problems_in(tmp_path)
    assert any(p.endswith(expected) or expected in p for p in found), found


def test_quiz_problems(tmp_path):
    bad = QUIZ.replace("- {id: b, text: That one}", "- {id: a, text: That one}").replace("id: q2", "id: q1")
    make_course(tmp_path, quiz=bad)
    found = problems_in(tmp_path)
    assert any("option id 'a' is used twice" in p for p in found)
    assert any("question q1: the id is used by another question" in p for p in found)


def test_lesson_markdown_problems(tmp_path):
    make_course(tmp_path, lesson=LESSON + "\n# Top heading\n\n[plain](http://insecure.example)\n")
    found = problems_in(tmp_path)
    assert any("01-first.md:9: use '##' or lower" in p for p in found), found
    assert any("01-first.md:11: link 'http://insecure.example' must start with https: or mailto:" in p for p in found), found


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, list]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))


def test_hostile_markdown_cannot_inject_script():
    hostile = (
        "<script>alert(1)</script>\n\n"
        "<img src=x onerror=alert(2)>\n\n"
        "[click](javascript:alert(3))\n\n"
        "[data](data:text/html;base64,PHNjcmlwdD4=)\n\n"
        '<a href="https://ok.example" onclick="alert(4)">x</a>\n\n'
        "<iframe src=https://evil.example></iframe>\n\n"
        "[fine](https://ok.example) and <svg onload=alert(5)>\n"
    )
    parser = _Tags()
    parser.feed(render_markdown(hostile))
    tags = {tag for tag, _ in parser.tags}
    assert tags <= {"p", "a"}, tags
    for tag, attrs in parser.tags:
        for name, value in attrs:
            assert not name.startswith("on")
            if name == "href":
                assert value.startswith("https://"), value
    assert ("a", [("href", "https://ok.example"), ("rel", "noopener noreferrer")]) in parser.tags


def test_sync_is_idempotent_and_versions_changes(tmp_path, now):
    folder = make_course(tmp_path)
    sources, problems = services.check_course_files(tmp_path)
    assert problems == []
    result = services.sync_courses(sources, now=now)
    db.session.commit()
    assert result.created == ["TEST"]
    course = db.session.scalar(select(Course).where(Course.code == "TEST"))
    assert [s.code for s in course.audience_sectors] == ["education"]
    assert course.requirement_codes == ["staff-safeguarding"]
    first = services.latest_version(course)
    assert first.number == 1 and len(first.lessons) == 1
    assert "<strong>text</strong>" in first.lessons[0].body_html

    sources, _ = services.check_course_files(tmp_path)
    assert services.sync_courses(sources, now=now).unchanged == ["TEST"]
    assert db.session.scalar(select(func.count(CourseVersion.id))) == 1

    (folder / "lessons" / "01-first.md").write_text(LESSON.replace("Some", "Changed"))
    sources, _ = services.check_course_files(tmp_path)
    assert services.sync_courses(sources, now=now).new_versions == ["TEST"]
    db.session.commit()
    assert services.latest_version(course).number == 2


def test_cli_check_and_sync_change_nothing_when_a_folder_is_bad(runner, tmp_path):
    make_course(tmp_path, code="GOOD")
    make_course(tmp_path, code="BAD", quiz=QUIZ.replace("answers: [a]", "answers: [z]"))
    result = runner.invoke(args=["lms", "courses", "check", "--path", str(tmp_path)])
    assert result.exit_code != 0
    assert "BAD/quiz.yml:8: question q1: answer 'z' is not one of its options (a, b)" in result.output
    result = runner.invoke(args=["lms", "courses", "sync", "--path", str(tmp_path)])
    assert result.exit_code != 0
    assert "nothing was changed" in result.output
    assert db.session.scalar(select(func.count(Course.id))) == 0

    shutil.rmtree(tmp_path / "BAD")
    result = runner.invoke(args=["lms", "courses", "sync", "--path", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "new: GOOD" in result.output
    result = runner.invoke(args=["lms", "courses", "sync", "--path", str(tmp_path)])
    assert "unchanged: GOOD" in result.output


def test_a_sync_that_changes_what_a_course_counts_towards_recomputes_its_completers(tmp_path, now):
    """Someone who completed TEST when it counted towards nothing becomes current on
    whole-staff training when its folder adds that requirement and is synced."""
    folder = make_course(tmp_path)
    (folder / "course.yml").write_text(COURSE_YML.replace("requirements: [staff-safeguarding]", "requirements: []"))
    sources, _ = services.check_course_files(tmp_path)
    services.sync_courses(sources, now=now)
    course = db.session.scalar(select(Course).where(Course.code == "TEST"))
    teacher = factories.user(roles=("teacher",), organisation=factories.organisation("Oak Primary"))
    db.session.flush()
    records.record_completion(teacher, title=course.title, delivery_mode="elearning", on=date(2026, 10, 1),
                              hours=course.cpd_hours, source="elearning", source_ref="e-1", course=course, now=now)
    db.session.commit()
    today = now.date()
    assert compliance.table_statuses([teacher.id], as_of=today)[(teacher.id, "staff-safeguarding")][0] == "overdue"

    (folder / "course.yml").write_text(COURSE_YML)
    sources, _ = services.check_course_files(tmp_path)
    assert services.sync_courses(sources, now=now).new_versions == ["TEST"]
    db.session.commit()

    assert compliance.table_statuses([teacher.id], as_of=today)[(teacher.id, "staff-safeguarding")][0] == "current"
