"""The course catalogue, e-learning enrolments and the training record (completions,
external CPD). Quiz answers, feedback and lesson bodies are never shaped here: a course's
detail gives only lesson titles and lengths and the number of quiz questions."""
from __future__ import annotations

from flask import url_for
from marshmallow import fields
from marshmallow.validate import OneOf

from lms.api.fields import Args, Code, Codes, Hours, KnownCode, OneOfText, Repeated, Shape, Text, UtcDateTime, described
from lms.api.schemas.common import choice, day, listed, page_of, text, texts, url
from lms.catalogue.models import DELIVERY_MODES, LEVELS
from lms.organisations import models as reference
from lms.records.models import SOURCES

ENROLMENT_STATUSES = ("in-progress", "completed")


class CourseAudience(Shape):
    class Meta:
        description = "Who the course is for. A course with no sectors (or no roles) is for everyone."

    sectors = Codes(attribute="audience_sectors", **described("Sector codes; empty means every sector."))
    job_roles = Codes(attribute="audience_roles", **described("Job role codes; empty means every role."))


class Course(Shape):
    class Meta:
        description = "A course in the catalogue."

    code = text("The course's stable code, e.g. SGE.")
    title = fields.String()
    summary = fields.String()
    delivery_mode = choice(DELIVERY_MODES, "Delivery mode code.")
    cpd_hours = Hours("CPD hours a completion gives.")
    level = fields.Integer(validate=OneOf(list(LEVELS)), **described("1 awareness, 2 practitioner, 3 specialist and DSL."))
    estimated_minutes = fields.Integer(allow_none=True, **described("How long it usually takes, in minutes.", minimum=0))
    audience = fields.Nested(CourseAudience)
    requirements = texts("Codes of the training requirements the course counts towards.")
    url = url("The course's page in the catalogue.")

    def audience_of(self, row):
        return row

    def requirements_of(self, row) -> list:
        return listed(row.requirement_codes)

    def url_of(self, row) -> str:
        return url_for("courses.course", code=row.code, _external=True)


class LessonOutline(Shape):
    class Meta:
        description = "A lesson's place, title and length; the lesson itself is read in the service."

    position = fields.Integer(**described("1 for the first lesson.", minimum=1))
    title = fields.String()
    minutes = fields.Integer(**described(minimum=0))


class QuizOutline(Shape):
    class Meta:
        description = "The size of the quiz. Questions and answers are never given out by the API."

    questions = fields.Integer(**described("How many questions the quiz has.", minimum=0))
    pass_mark = fields.Integer(**described("The score needed to pass, in percent.", minimum=0, maximum=100))

    def questions_of(self, version) -> int:
        return len(version.questions or [])


class CourseDetail(Course):
    """Shapes With(course, outline=its latest version, or None when not e-learning)."""

    class Meta:
        description = "A course with its learning outcomes and, for e-learning, an outline of its content."

    learning_outcomes = texts("What people will be able to do afterwards.")
    version = fields.Integer(allow_none=True, **described(
        "The e-learning content's current version; null for other modes.", minimum=1))
    lessons = fields.List(fields.Nested(LessonOutline), allow_none=True,
                          **described("E-learning lessons in order; null for other modes."))
    quiz = fields.Nested(QuizOutline, allow_none=True)

    def learning_outcomes_of(self, course) -> list:
        return listed(course.learning_outcomes)

    def version_of(self, course):
        return course.outline.number if course.outline is not None else None

    def lessons_of(self, course):
        return course.outline.lessons if course.outline is not None else None

    def quiz_of(self, course):
        return course.outline


class Enrolment(Shape):
    class Meta:
        description = "A person taking an e-learning course."

    id = fields.Integer()
    course = Code(**described("The course's code."))
    course_title = fields.String(attribute="course.title")
    version = fields.Integer(attribute="version.number", **described(
        "The version of the content the person is taking (kept from when they started).", minimum=1))
    status = choice(ENROLMENT_STATUSES)
    enrolled_at = UtcDateTime()
    lessons_read = fields.Integer(**described(minimum=0))
    lessons_total = fields.Integer(**described(minimum=0))
    completed_at = UtcDateTime(allow_none=True, **described("Null until the quiz is passed."))

    def lessons_read_of(self, row) -> int:
        return len(set(row.lessons_read or []) & set(range(1, len(row.version.lessons) + 1)))

    def lessons_total_of(self, row) -> int:
        return len(row.version.lessons)


class ExternalActivity(Shape):
    """What a person said about external CPD (never the evidence file's name or path)."""

    class Meta:
        description = "External CPD: what the person said about training done elsewhere. Null for other completions."

    provider = text("Who provided the training.")
    requirement_codes = texts("Requirements the person says it counts towards.")
    note = fields.String(allow_none=True)
    has_evidence = fields.Boolean(**described("Whether an evidence file was uploaded (on the website)."))
    verified = fields.Boolean(**described(
        "Whether a setting lead of the person's organisation, or an admin, verified it."))
    verified_at = UtcDateTime(allow_none=True)

    def requirement_codes_of(self, row) -> list:
        return listed(row.requirement_codes)

    def has_evidence_of(self, row) -> bool:
        return row.evidence_path is not None

    def verified_of(self, row) -> bool:
        return row.verified_at is not None


class Completion(Shape):
    """Shapes With(completion, course_code=..., external=its external activity or None)."""

    class Meta:
        description = "One completed piece of training in a person's record."

    id = fields.Integer()
    title = text("The training's title when it was completed.")
    course = text("The course's code; null for training outside the catalogue.", attribute="course_code",
                  allow_none=True)
    delivery_mode = choice(DELIVERY_MODES)
    completed_on = day()
    cpd_hours = Hours()
    score = fields.Integer(allow_none=True, **described("Quiz score in percent, for e-learning.", minimum=0, maximum=100))
    source = choice(SOURCES, "elearning, attendance (a session's register), external (CPD the person logged) or "
                             "imported (history from a previous system).")
    self_reported = fields.Boolean(**described("True for external CPD the person logged themselves."))
    external = fields.Nested(ExternalActivity, allow_none=True)


CoursePage = page_of(Course)
EnrolmentPage = page_of(Enrolment)
CompletionPage = page_of(Completion)


class EnrolMe(Shape):
    class Meta:
        description = "Start a course."

    course = fields.String(**described("The code of an e-learning course.", maxLength=30))


class EnrolPerson(Shape):
    class Meta:
        description = "Enrol someone."

    person_id = fields.Integer(**described("The person to enrol.", minimum=1))


class LogExternalCpd(Shape):
    class Meta:
        description = "External CPD to add to the caller's record."
        optional = ("requirement_codes", "note")

    title = fields.String(**described("The training's title.", minLength=1, maxLength=200))
    provider = fields.String(**described("Who provided it.", minLength=1, maxLength=200))
    completed_on = day("The day it was completed: not in the future, not before 2000.")
    cpd_hours = fields.Raw(**described("CPD hours in quarter hours, 0.25 to 100.", type=["number", "string"]))
    requirement_codes = texts("Codes of active requirements it counts towards (optional).")
    note = fields.String(allow_none=True, **described("Anything the person's lead should know (optional).",
                                                      maxLength=2000))


class CourseArgs(Args):
    q = Text(description="A word or phrase in the title, summary or code (any case).")
    mode = Repeated(
        fields.String(validate=OneOf(DELIVERY_MODES)), DELIVERY_MODES,
        f"{{name}} must be a delivery mode code ({', '.join(DELIVERY_MODES)}); “{{value}}” is not one",
        description="Delivery mode code; repeat it (mode=elearning&mode=virtual) or give a comma list.",
    )
    level = Repeated(
        fields.Integer(validate=OneOf(list(LEVELS))), list(LEVELS),
        "{name} must be " + ", ".join(str(level) for level in list(LEVELS)[:-1]) + f" or {list(LEVELS)[-1]}",
        description="Level 1, 2 or 3; repeat it or give a comma list.",
    )
    sector = KnownCode(reference.Sector, "sector", description="Sector code: courses for that sector (or for everyone).")
    job_role = KnownCode(reference.JobRole, "job role",
                         description="Job role code: courses for that role (or for everyone).")


class MyEnrolmentArgs(Args):
    status = OneOfText(ENROLMENT_STATUSES, "{name} must be in-progress or completed", 20,
                       description="Only enrolments with this status.")
