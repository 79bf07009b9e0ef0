"""A setting lead's view of their staff's e-learning: who is enrolled on what and how far
they have got, and enrolling staff on a course (one person or many at once), with an email
to each person enrolled.

Plain functions over the ORM: they take the actor and `now`, raise DomainError (Forbidden
and NotFound for people and organisations the actor may not touch), flush but never commit.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from flask import current_app, url_for
from sqlalchemy import Select, and_, case, func, select

from lms.accounts import services as accounts
from lms.accounts.models import User
from lms.catalogue.models import Course, Lesson
from lms.core.errors import DomainError, Forbidden, NotFound
from lms.core.pagination import Page, paginate
from lms.elearning.models import Enrolment
from lms.elearning.services import BulkResult, enrol_many
from lms.extensions import db
from lms.notifications.services import queue_templated_email
from lms.organisations.models import Organisation
from lms.records.models import Completion

# What the progress table can be filtered by, in the order the filter offers them.
STATUSES = {
    "not-enrolled": "Not enrolled",
    "not-started": "Not started",
    "in-progress": "In progress",
    "completed": "Completed",
}


# --- which organisation ---------------------------------------------------------------

def organisations_for(actor: User) -> list[Organisation] | None:
    """The organisations whose staff `actor` may enrol, by name; None for an admin (any)."""
    if actor.is_admin:
        return None
    ids = accounts.led_organisation_ids(actor)
    if not ids:
        return []
    return list(db.session.scalars(select(Organisation).where(Organisation.id.in_(ids)).order_by(Organisation.name)))


def organisation_options() -> list[tuple[int, str]]:
    """(id, name) of every active organisation, for an admin's pick list."""
    query = (
        select(Organisation.id, Organisation.name)
        .where(Organisation.active.is_(True))
        .order_by(func.lower(Organisation.name), Organisation.id)
    )
    return [(row.id, row.name) for row in db.session.execute(query)]


def get_organisation_for(actor: User, organisation_id: int | None) -> Organisation:
    """An organisation `actor` leads (any, for an admin). NotFound otherwise, so a lead
    does not learn which other organisations exist."""
    organisation = db.session.get(Organisation, organisation_id) if organisation_id is not None else None
    if organisation is None or not accounts.leads(actor, organisation.id):
        raise NotFound("No such organisation")
    return organisation


# --- staff and courses ----------------------------------------------------------------

def _staff(organisation: Organisation) -> Select:
    return select(User).where(User.organisation_id == organisation.id, User.active.is_(True))


def list_staff(organisation: Organisation) -> list[User]:
    """The organisation's people with open accounts, by name (one statement)."""
    return list(db.session.scalars(_staff(organisation).order_by(func.lower(User.full_name), User.id)))


def elearning_courses(*, include_retired: bool = False) -> list[Course]:
    """E-learning courses by title: the ones people can start, or every one ever offered
    (for reading progress on courses since retired)."""
    query = select(Course).where(Course.delivery_mode == "elearning")
    if not include_retired:
        query = query.where(Course.active.is_(True))
    return list(db.session.scalars(query.order_by(Course.title, Course.id)))


def course_to_enrol_on(course_id: int | None) -> Course:
    """The course a lead chose, if staff can be enrolled on it now."""
    if course_id is None:
        raise DomainError("Select a course", field="course")
    course = db.session.get(Course, course_id)
    if course is None or course.delivery_mode != "elearning":
        raise DomainError("Select an e-learning course from the list", field="course")
    if not course.active:
        raise DomainError(f"{course.title} has been retired. Select another course", field="course")
    return course


def staff_to_enrol(
    actor: User, organisation: Organisation, person_ids: Iterable[int], *, everyone: bool = False
) -> list[User]:
    """The people to enrol, by name: everyone at the organisation, or the chosen people.
    Forbidden if the actor does not lead the organisation or any chosen person is not one
    of its current staff (nothing is enrolled then)."""
    if not accounts.leads(actor, organisation.id):
        raise Forbidden("You can only enrol the staff of organisations you lead")
    wanted = set(person_ids)
    if everyone:
        people = list_staff(organisation)
        if not people:
            raise DomainError(f"No one is recorded as working at {organisation.name} yet", field="people")
    elif not wanted:
        raise DomainError(f"Select the people to enrol, or everyone at {organisation.name}", field="people")
    else:
        people = list(
            db.session.scalars(
                _staff(organisation).where(User.id.in_(wanted)).order_by(func.lower(User.full_name), User.id)
            )
        )
    if not wanted <= {person.id for person in people}:
        raise Forbidden(f"You can only enrol people who work at {organisation.name}")
    return people


# --- enrolling ------------------------------------------------------------------------

def enrol_staff(organisation: Organisation, people: list[User], course: Course, *, actor: User, now: datetime) -> BulkResult:
    """Enrol the people on the course (all or nothing). People already part-way through
    it are left as they are. Each person newly enrolled by someone else gets an email
    saying who enrolled them, with a link to the course; the enrolment service writes an
    audit event for each."""
    if not accounts.leads(actor, organisation.id):
        raise Forbidden("You can only enrol the staff of organisations you lead")
    if any(person.organisation_id != organisation.id for person in people):
        raise Forbidden(f"You can only enrol people who work at {organisation.name}")
    result = enrol_many(people, course, actor=actor, now=now)
    notify = [person for person in result.enrolled if person.id != actor.id]
    if notify:
        enrolment_ids = dict(
            db.session.execute(
                select(Enrolment.user_id, Enrolment.id).where(
                    Enrolment.course_id == course.id,
                    Enrolment.status == "in-progress",
                    Enrolment.user_id.in_([person.id for person in notify]),
                )
            ).all()
        )
        link = current_app.config["BASE_URL"] + url_for("courses.course", code=course.code)
        for person in notify:
            queue_templated_email(
                person.email,
                "enrolled_by_lead",
                now=now,
                subject=f"You have been enrolled on {course.title}",
                user=person,
                category="general",
                dedupe_key=f"enrolled-by-lead:{enrolment_ids[person.id]}",
                name=person.full_name,
                actor_name=actor.full_name,
                organisation_name=organisation.name,
                course=course,
                link=link,
            )
    return result


def enrolled_message(result: BulkResult, course: Course) -> str:
    """"Enrolled 5 people on X; 2 were already enrolled", in words for any numbers."""

    def people(n: int) -> str:
        return f"{n} {'person' if n == 1 else 'people'}"

    enrolled, already = len(result.enrolled), len(result.already)
    if enrolled == 0:
        if already == 1:
            return f"No one was enrolled: {result.already[0].full_name} was already enrolled on {course.title}"
        return f"No one was enrolled: all {already} people you chose were already enrolled on {course.title}"
    message = f"Enrolled {people(enrolled)} on {course.title}"
    if already:
        message += f"; {already} {'was' if already == 1 else 'were'} already enrolled"
    return message


# --- progress -------------------------------------------------------------------------

@dataclass
class ProgressRow:
    """One line of the progress table: a person and one of their enrolments, or a person
    with no enrolment (on the chosen course, or on any e-learning)."""

    person_id: int
    name: str
    email: str
    enrolment_id: int | None
    course_code: str | None
    course_title: str | None
    course_active: bool | None
    enrolment_status: str | None
    lessons_read: int
    lessons_total: int
    enrolled_at: datetime | None
    completed_at: datetime | None
    last_activity_at: datetime | None
    score: int | None

    @property
    def status(self) -> str:
        if self.enrolment_id is None:
            return "not-enrolled"
        if self.enrolment_status == "completed":
            return "completed"
        return "in-progress" if self.last_activity_at is not None else "not-started"

    @property
    def status_label(self) -> str:
        return STATUSES[self.status]


@dataclass
class ProgressCounts:
    enrolments: int = 0
    not_started: int = 0
    in_progress: int = 0
    completed: int = 0
    not_enrolled: int = 0


ProgressPage = Page  # items are ProgressRow


def _joined(organisation: Organisation, course_id: int | None, *columns) -> Select:
    """`columns` of staff left-joined to their (not withdrawn) enrolments, on one course if
    given: one row per enrolment, or one row with no enrolment for a person who has none."""
    on = [Enrolment.user_id == User.id, Enrolment.status != "withdrawn"]
    if course_id is not None:
        on.append(Enrolment.course_id == course_id)
    return (
        select(*columns)
        .select_from(User)
        .outerjoin(Enrolment, and_(*on))
        .where(User.organisation_id == organisation.id, User.active.is_(True))
    )


_NOT_STARTED = and_(Enrolment.status == "in-progress", Enrolment.last_activity_at.is_(None))
_IN_PROGRESS = and_(Enrolment.status == "in-progress", Enrolment.last_activity_at.is_not(None))

_STATUS_CONDITIONS = {
    "not-enrolled": Enrolment.id.is_(None),
    "not-started": _NOT_STARTED,
    "in-progress": _IN_PROGRESS,
    "completed": Enrolment.status == "completed",
}


def progress_query(organisation: Organisation, *, course_id: int | None = None, status: str | None = None) -> Select:
    """The rows of the progress table, by name, then course, then when enrolled."""
    lesson_totals = (
        select(Lesson.version_id, func.count(Lesson.id).label("total")).group_by(Lesson.version_id).subquery()
    )
    query = (
        _joined(
            organisation,
            course_id,
            User.id.label("person_id"),
            User.full_name,
            User.email,
            Enrolment.id.label("enrolment_id"),
            Enrolment.status.label("enrolment_status"),
            Enrolment.lessons_read,
            Enrolment.enrolled_at,
            Enrolment.completed_at,
            Enrolment.last_activity_at,
            Course.code.label("course_code"),
            Course.title.label("course_title"),
            Course.active.label("course_active"),
            Completion.score,
            lesson_totals.c.total,
        )
        .outerjoin(Course, Course.id == Enrolment.course_id)
        .outerjoin(Completion, Completion.id == Enrolment.completion_id)
        .outerjoin(lesson_totals, lesson_totals.c.version_id == Enrolment.version_id)
        .order_by(func.lower(User.full_name), User.id, Course.title, Enrolment.enrolled_at, Enrolment.id)
    )
    if status in _STATUS_CONDITIONS:
        query = query.where(_STATUS_CONDITIONS[status])
    return query


def _row(row) -> ProgressRow:
    read = row.lessons_read or []
    return ProgressRow(
        person_id=row.person_id,
        name=row.full_name,
        email=row.email,
        enrolment_id=row.enrolment_id,
        course_code=row.course_code,
        course_title=row.course_title,
        course_active=row.course_active,
        enrolment_status=row.enrolment_status,
        lessons_read=len(set(read)),
        lessons_total=row.total or 0,
        enrolled_at=row.enrolled_at,
        completed_at=row.completed_at,
        last_activity_at=row.last_activity_at,
        score=row.score,
    )


def progress_page(
    organisation: Organisation,
    *,
    course_id: int | None = None,
    status: str | None = None,
    page: int = 1,
    per_page: int = 25,
) -> ProgressPage:
    """One page of the progress table in two statements, whatever the page size. A page
    past the end shows the last page."""
    query = progress_query(organisation, course_id=course_id, status=status)
    found = paginate(query, page=page, per_page=per_page, rows=True)
    return ProgressPage(items=[_row(row) for row in found.items], total=found.total, page=found.page,
                        per_page=found.per_page)


def progress_counts(organisation: Organisation, *, course_id: int | None = None) -> ProgressCounts:
    """Enrolments by status (on one course if given), and the staff with none, in one
    statement."""

    def number(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    query = _joined(
        organisation,
        course_id,
        func.count(Enrolment.id),
        number(_NOT_STARTED),
        number(_IN_PROGRESS),
        number(Enrolment.status == "completed"),
        number(Enrolment.id.is_(None)),
    )
    enrolments, not_started, in_progress, completed, not_enrolled = db.session.execute(query).one()
    return ProgressCounts(
        enrolments=int(enrolments or 0),
        not_started=int(not_started or 0),
        in_progress=int(in_progress or 0),
        completed=int(completed or 0),
        not_enrolled=int(not_enrolled or 0),
    )
