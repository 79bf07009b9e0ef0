"""The learner's journey through an e-learning course: enrol, read lessons, take the quiz,
complete. Completion writes the training record through records.services."""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from lms.accounts import services as accounts
from lms.accounts.models import User
from lms.audit import services as audit
from lms.catalogue.models import Course
from lms.catalogue.services import latest_version
from lms.core.errors import DomainError, Forbidden, NotFound
from lms.core.time import london_today
from lms.elearning.models import Enrolment, QuizAttempt
from lms.extensions import db
from lms.records import services as records


def _check_may_enrol(actor: User, person: User) -> None:
    if actor.id == person.id or actor.is_admin:
        return
    if person.organisation_id is None or not accounts.leads(actor, person.organisation_id):
        raise Forbidden("You can only enrol the staff of organisations you lead")


def current_enrolment(person: User, course: Course) -> Enrolment | None:
    return db.session.scalar(
        select(Enrolment).where(
            Enrolment.user_id == person.id, Enrolment.course_id == course.id, Enrolment.status == "in-progress"
        )
    )


def enrol(person: User, course: Course, *, actor: User, now: datetime) -> tuple[Enrolment, bool]:
    """(enrolment, created). Enrolling someone already part-way through returns their
    current enrolment, so a double click makes one."""
    _check_may_enrol(actor, person)
    if course.delivery_mode != "elearning" or not course.active:
        raise DomainError(f"{course.title} is not an e-learning course you can start", field="course")
    existing = current_enrolment(person, course)
    if existing is not None:
        return existing, False
    version = latest_version(course)
    if version is None:
        raise DomainError(f"{course.title} has no content yet", field="course")
    enrolment = Enrolment(
        user_id=person.id,
        course_id=course.id,
        version_id=version.id,
        status="in-progress",
        enrolled_at=now,
        enrolled_by_id=actor.id if actor.id != person.id else None,
        lessons_read=[],
        last_position=1,
    )
    try:
        with db.session.begin_nested():
            db.session.add(enrolment)
    except IntegrityError:
        existing = current_enrolment(person, course)
        if existing is None:
            raise
        return existing, False
    if actor.id != person.id:
        audit.record(actor, "enrolment.create", target=enrolment, now=now,
                     summary=f"Enrolled {person.full_name} on {course.code} {course.title}",
                     after={"user_id": person.id, "course": course.code})
    return enrolment, True


@dataclass
class BulkResult:
    enrolled: list[User]
    already: list[User]


def enrol_many(people: list[User], course: Course, *, actor: User, now: datetime) -> BulkResult:
    """Enrol several staff at once; all or nothing (a person the actor may not enrol
    stops the whole request)."""
    for person in people:
        _check_may_enrol(actor, person)
    result = BulkResult(enrolled=[], already=[])
    for person in people:
        _, created = enrol(person, course, actor=actor, now=now)
        (result.enrolled if created else result.already).append(person)
    return result


def get_enrolment_for(person: User, enrolment_id: int) -> Enrolment:
    enrolment = db.session.scalar(
        select(Enrolment)
        .where(Enrolment.id == enrolment_id)
        .options(selectinload(Enrolment.version), selectinload(Enrolment.course))
    )
    if enrolment is None or enrolment.user_id != person.id:
        raise NotFound("No such enrolment")
    return enrolment


def lesson_count(enrolment: Enrolment) -> int:
    return len(enrolment.version.lessons)


def all_lessons_read(enrolment: Enrolment) -> bool:
    return set(enrolment.lessons_read or []) >= set(range(1, lesson_count(enrolment) + 1))


def mark_lesson_read(enrolment: Enrolment, position: int, *, now: datetime) -> None:
    if not 1 <= position <= lesson_count(enrolment):
        raise NotFound("No such lesson")
    read = set(enrolment.lessons_read or [])
    if position not in read:
        enrolment.lessons_read = sorted(read | {position})
    enrolment.last_position = min(position + 1, lesson_count(enrolment))
    enrolment.last_activity_at = now


def resume_position(enrolment: Enrolment) -> int:
    """The first lesson not yet read, or the last one opened."""
    unread = [p for p in range(1, lesson_count(enrolment) + 1) if p not in set(enrolment.lessons_read or [])]
    return unread[0] if unread else enrolment.last_position


def open_attempt(enrolment: Enrolment) -> QuizAttempt | None:
    return next((a for a in enrolment.attempts if a.submitted_at is None), None)


def start_quiz(enrolment: Enrolment, *, now: datetime, rng: random.Random | None = None) -> QuizAttempt:
    """The attempt in progress, or a new one with questions and options shuffled."""
    if enrolment.status != "in-progress":
        raise DomainError("You have already completed this course")
    if not all_lessons_read(enrolment):
        raise DomainError("Read every lesson before you take the quiz")
    if not enrolment.version.questions:
        raise DomainError("This course has no quiz")
    attempt = open_attempt(enrolment)
    if attempt is not None:
        return attempt
    rng = rng or random.SystemRandom()
    questions = list(enrolment.version.questions)
    rng.shuffle(questions)
    layout = []
    for question in questions:
        option_ids = [option["id"] for option in question["options"]]
        rng.shuffle(option_ids)
        layout.append({"question": question["id"], "options": option_ids})
    attempt = QuizAttempt(number=len(enrolment.attempts) + 1, started_at=now, layout=layout)
    enrolment.attempts.append(attempt)
    enrolment.last_activity_at = now
    db.session.flush()
    return attempt


def questions_for(attempt: QuizAttempt) -> list[dict]:
    """The attempt's questions in the order shown, each with its options in order."""
    by_id = {q["id"]: q for q in attempt.enrolment.version.questions}
    shown = []
    for item in attempt.layout:
        question = by_id[item["question"]]
        options = {o["id"]: o for o in question["options"]}
        shown.append({**question, "options": [options[oid] for oid in item["options"]], "multiple": len(question["answers"]) > 1})
    return shown


def submit_quiz(attempt: QuizAttempt, answers: dict[str, list[str]], *, now: datetime) -> QuizAttempt:
    """Mark the attempt. Every question must be answered. A pass completes the course and
    writes the training record; a fail allows another attempt."""
    if attempt.submitted_at is not None:
        raise DomainError("This attempt has already been marked")
    enrolment = attempt.enrolment
    questions = {q["id"]: q for q in enrolment.version.questions}
    missing = [item["question"] for item in attempt.layout if not answers.get(item["question"])]
    if missing:
        raise DomainError("Answer every question", field=missing[0])
    for qid, chosen in answers.items():
        valid = {o["id"] for o in questions[qid]["options"]} if qid in questions else set()
        if not set(chosen) <= valid:
            raise DomainError("Choose from the options given", field=qid)
    correct = sum(1 for qid, q in questions.items() if set(answers.get(qid, [])) == set(q["answers"]))
    score = round(100 * correct / len(questions))
    attempt.answers = {qid: sorted(set(chosen)) for qid, chosen in answers.items() if qid in questions}
    attempt.correct = correct
    attempt.score = score
    attempt.passed = score >= enrolment.version.pass_mark
    attempt.submitted_at = now
    enrolment.last_activity_at = now
    if attempt.passed:
        complete(enrolment, score=score, now=now)
    db.session.flush()
    return attempt


def complete(enrolment: Enrolment, *, score: int, now: datetime) -> None:
    """Mark the enrolment completed and record the completion, exactly once even if two
    requests complete it at the same moment (conditional UPDATE, then the record's unique
    source reference)."""
    claimed = db.session.execute(
        update(Enrolment)
        .where(Enrolment.id == enrolment.id, Enrolment.status == "in-progress")
        .values(status="completed", completed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(enrolment)
    course = enrolment.course
    completion, _ = records.record_completion(
        enrolment.user,
        title=course.title,
        delivery_mode="elearning",
        on=london_today(now),
        hours=course.cpd_hours,
        source="elearning",
        source_ref=f"enrolment:{enrolment.id}",
        course=course,
        course_version=enrolment.version,
        score=score,
        now=now,
    )
    if claimed:
        enrolment.completion_id = completion.id


def list_my_learning(person: User) -> list[Enrolment]:
    return list(
        db.session.scalars(
            select(Enrolment)
            .where(Enrolment.user_id == person.id, Enrolment.status != "withdrawn")
            .options(selectinload(Enrolment.course), selectinload(Enrolment.version))
            .order_by(Enrolment.enrolled_at.desc())
        )
    )
