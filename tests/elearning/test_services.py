import random
import shutil
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lms.catalogue import services as catalogue
from lms.core.errors import DomainError, Forbidden
from lms.elearning import services
from lms.elearning.models import Enrolment
from lms.extensions import db
from lms.records.models import Completion
from tests import factories
from tests.elearning.conftest import COURSES


def read_everything(enrolment, now):
    for position in range(1, len(enrolment.version.lessons) + 1):
        services.mark_lesson_read(enrolment, position, now=now)


def right_answers(attempt):
    return {q["id"]: list(q["answers"]) for q in attempt.enrolment.version.questions}


def test_enrol_is_idempotent_and_pins_the_version(courses, now, tmp_path):
    person = factories.user()
    enrolment, created = services.enrol(person, courses["SGE"], actor=person, now=now)
    again, created_again = services.enrol(person, courses["SGE"], actor=person, now=now)
    assert created and not created_again and again.id == enrolment.id
    first_version = enrolment.version_id

    # A new version of the course appears: the person part-way keeps theirs.
    copy = tmp_path / "courses"
    shutil.copytree(COURSES / "SGE", copy / "SGE")
    lesson = sorted((copy / "SGE" / "lessons").iterdir())[0]
    lesson.write_text(lesson.read_text() + "\nOne more sentence.\n")
    sources, problems = catalogue.check_course_files(copy)
    assert problems == []
    assert catalogue.sync_courses(sources, now=now).new_versions == ["SGE"]
    db.session.commit()
    db.session.refresh(enrolment)
    assert enrolment.version_id == first_version
    newcomer = factories.user()
    theirs, _ = services.enrol(newcomer, courses["SGE"], actor=newcomer, now=now)
    assert theirs.version_id != first_version

    read_everything(enrolment, now)
    attempt = services.start_quiz(enrolment, now=now)
    services.submit_quiz(attempt, right_answers(attempt), now=now)
    completion = db.session.scalar(select(Completion).where(Completion.user_id == person.id))
    assert completion.course_version_id == first_version


def test_quiz_needs_every_lesson_and_is_shuffled(courses, now):
    person = factories.user()
    enrolment, _ = services.enrol(person, courses["OS"], actor=person, now=now)
    with pytest.raises(DomainError, match="Read every lesson"):
        services.start_quiz(enrolment, now=now)
    read_everything(enrolment, now)
    a = services.start_quiz(enrolment, now=now, rng=random.Random(1))
    assert services.start_quiz(enrolment, now=now) is a  # the open attempt is reused
    orders = {tuple(item["question"] for item in a.layout)}
    # Fail deliberately, then a new attempt gets a new order.
    wrong = {item["question"]: [item["options"][0]] for item in a.layout}
    for question in enrolment.version.questions:
        if wrong[question["id"]] == question["answers"]:
            wrong[question["id"]] = [o for o in (x["id"] for x in question["options"]) if o not in question["answers"]][:1]
    services.submit_quiz(a, wrong, now=now)
    assert a.passed is False and a.score == 0
    b = services.start_quiz(enrolment, now=now, rng=random.Random(2))
    orders.add(tuple(item["question"] for item in b.layout))
    assert len(orders) == 2
    assert b.number == 2


def test_incomplete_or_invalid_answers_are_refused(courses, now):
    person = factories.user()
    enrolment, _ = services.enrol(person, courses["CE"], actor=person, now=now)
    read_everything(enrolment, now)
    attempt = services.start_quiz(enrolment, now=now)
    answers = right_answers(attempt)
    first = next(iter(answers))
    with pytest.raises(DomainError, match="Answer every question"):
        services.submit_quiz(attempt, {**answers, first: []}, now=now)
    with pytest.raises(DomainError, match="Choose from the options"):
        services.submit_quiz(attempt, {**answers, first: ["zz"]}, now=now)
    assert attempt.submitted_at is None
    services.submit_quiz(attempt, answers, now=now)
    with pytest.raises(DomainError, match="already been marked"):
        services.submit_quiz(attempt, answers, now=now)


def test_setting_lead_may_enrol_own_staff_only(courses, now):
    school = factories.organisation()
    other_school = factories.organisation()
    lead = factories.user(organisation=school, roles=("school-dsl",), leads=(school,))
    staff = factories.user(organisation=school)
    stranger = factories.user(organisation=other_school)
    enrolment, created = services.enrol(staff, courses["SGE"], actor=lead, now=now)
    assert created and enrolment.enrolled_by_id == lead.id
    with pytest.raises(Forbidden):
        services.enrol(stranger, courses["SGE"], actor=lead, now=now)
    with pytest.raises(Forbidden):
        services.enrol_many([staff, stranger], courses["OS"], actor=lead, now=now)
    assert db.session.scalar(select(func.count(Enrolment.id)).where(Enrolment.course_id == courses["OS"].id)) == 0
    colleague = factories.user(organisation=school)
    with pytest.raises(Forbidden):
        services.enrol(lead, courses["SGE"], actor=colleague, now=now)


def test_completed_course_can_be_taken_again_later(courses, now):
    person = factories.user()
    enrolment, _ = services.enrol(person, courses["SGE"], actor=person, now=now)
    read_everything(enrolment, now)
    attempt = services.start_quiz(enrolment, now=now)
    services.submit_quiz(attempt, right_answers(attempt), now=now)
    assert enrolment.status == "completed"
    later = now + timedelta(days=700)
    second, created = services.enrol(person, courses["SGE"], actor=person, now=later)
    assert created and second.id != enrolment.id


def test_two_concurrent_completions_record_one(app, courses, now):
    """Two requests completing the same enrolment at the same moment: one completion."""
    person = factories.user()
    enrolment, _ = services.enrol(person, courses["SGE"], actor=person, now=now)
    read_everything(enrolment, now)
    db.session.commit()
    enrolment_id = enrolment.id
    db.session.remove()

    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def finish():
        try:
            with app.app_context():
                row = db.session.get(Enrolment, enrolment_id)
                barrier.wait(timeout=10)
                services.complete(row, score=100, now=now)
                db.session.commit()
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            with app.app_context():
                db.session.remove()

    threads = [threading.Thread(target=finish) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert db.session.scalar(select(func.count(Completion.id))) == 1
    row = db.session.get(Enrolment, enrolment_id)
    assert row.status == "completed"
    assert row.completion_id == db.session.scalar(select(Completion.id))
