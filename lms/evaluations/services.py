"""Ask for, take and summarise evaluations (DESIGN.md sections 2, 7 and 8).

A course that asks for an evaluation (Course.asks_for_evaluation) has its certificate wait
until the person has filled one in; submitting it sends evaluation_submitted, whose
receiver in certificates issues the certificate. Summaries give the figures partnerships
report: satisfaction (share satisfied or very satisfied), skills improved (share answering
yes, a lot or a little), confidence before and after (averages on a 1 to 5 scale), and
quotes from those who agreed to be quoted. Nothing here commits.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import selectinload

from lms.accounts.models import User
from lms.catalogue.models import Course
from lms.core.errors import DomainError, NotFound
from lms.core.figures import percent
from lms.core.urls import external_url
from lms.evaluations.models import CONFIDENCE, MAX_TEXT, SATISFACTION, SKILLS, Evaluation
from lms.extensions import db
from lms.notifications import services as notifications
from lms.records.models import Completion
from lms.signals import evaluation_submitted, session_id_of

# Training the partnership delivered: the completions it certifies
# (certificates.services.ISSUABLE_SOURCES), whose certificates wait for an evaluation.
EVALUATED_SOURCES = ("elearning", "attendance")


# --- what is waiting ---------------------------------------------------------------------------

def _waiting() -> Select:
    """Completions of courses that ask for an evaluation, with none given yet."""
    return (
        select(Completion)
        .join(Course, Course.id == Completion.course_id)
        .where(Course.asks_for_evaluation.is_(True), Completion.source.in_(EVALUATED_SOURCES),
               ~select(Evaluation.id).where(Evaluation.completion_id == Completion.id).exists())
    )


def waiting_for(user: User) -> list[Completion]:
    """The person's completed courses waiting for their evaluation, newest first."""
    return list(db.session.scalars(
        _waiting().where(Completion.user_id == user.id).order_by(Completion.completed_on.desc(), Completion.id.desc())
    ))


def asks(completion: Completion) -> bool:
    course = db.session.get(Course, completion.course_id) if completion.course_id else None
    return course is not None and course.asks_for_evaluation and completion.source in EVALUATED_SOURCES


def evaluation_for(completion_id: int) -> Evaluation | None:
    return db.session.scalar(select(Evaluation).where(Evaluation.completion_id == completion_id))


def get_to_evaluate(user: User, completion_id: int) -> Completion:
    """The person's own completion of a course that asks for an evaluation, or NotFound."""
    completion = db.session.get(Completion, completion_id)
    if completion is None or completion.user_id != user.id or not asks(completion):
        raise NotFound("There is no evaluation for you to fill in here")
    return completion


# --- answering ------------------------------------------------------------------------------------

@dataclass
class Answers:
    satisfaction: int | None = None
    skills: str | None = None
    confidence_before: int | None = None
    confidence_after: int | None = None
    will_do_differently: str = ""
    improvements: str = ""
    may_quote: bool = False


def problems(answers: Answers) -> dict[str, str]:
    """What is missing or wrong, by question (empty when the answers will do)."""
    found = {}
    if answers.satisfaction not in SATISFACTION:
        found["satisfaction"] = "Select how satisfied you were with the training"
    if answers.skills not in SKILLS:
        found["skills"] = "Select whether the training improved your knowledge and skills"
    if answers.confidence_before not in CONFIDENCE:
        found["confidence_before"] = "Select how confident you felt before the training"
    if answers.confidence_after not in CONFIDENCE:
        found["confidence_after"] = "Select how confident you feel now"
    for name in ("will_do_differently", "improvements"):
        if len(getattr(answers, name) or "") > MAX_TEXT:
            found[name] = f"Your answer must be {MAX_TEXT:,} characters or fewer"
    return found


def submit(completion: Completion, answers: Answers, *, actor: User, now: datetime):
    """Record the person's evaluation; the receivers of evaluation_submitted issue their
    certificate, which is returned (None if nobody issued one). A second evaluation of the
    same completion is refused."""
    if completion.user_id != actor.id or not asks(completion):
        raise NotFound("There is no evaluation for you to fill in here")
    for name, message in problems(answers).items():
        raise DomainError(message, field=name)
    if evaluation_for(completion.id) is not None:
        raise DomainError("You have already evaluated this training", field="satisfaction")
    session_id = session_id_of(completion)
    db.session.add(Evaluation(
        user_id=actor.id,
        completion_id=completion.id,
        course_id=completion.course_id,
        training_session_id=session_id,
        delivery_mode=completion.delivery_mode,
        sector_id=completion.sector_id,
        completed_on=completion.completed_on,
        satisfaction=answers.satisfaction,
        skills=answers.skills,
        confidence_before=answers.confidence_before,
        confidence_after=answers.confidence_after,
        will_do_differently=(answers.will_do_differently or "").strip() or None,
        improvements=(answers.improvements or "").strip() or None,
        may_quote=bool(answers.may_quote) and bool((answers.will_do_differently or "").strip()),
        submitted_at=now,
    ))
    db.session.flush()
    made = [result for _receiver, result in evaluation_submitted.send(None, completion=completion, now=now)]
    return next((result for result in made if result is not None), None)


def ask_for(completions: list[Completion], *, now: datetime) -> int:
    """Email everyone in `completions` (a session's attendance still waiting for an
    evaluation) a link to the evaluation, once each. Returns how many were asked now."""
    asked = 0
    for completion in completions:
        user = completion.user
        email = notifications.queue_templated_email(
            user.email, "evaluation_request", now=now, user=user, category="evaluation",
            subject=f"Tell us about {completion.title} to get your certificate",
            dedupe_key=f"evaluation-request:{completion.id}",
            name=user.full_name, title=completion.title, completed_on=completion.completed_on,
            url=external_url("evaluations.evaluate", completion_id=completion.id),
        )
        asked += email is not None
    return asked


# --- summaries ------------------------------------------------------------------------------------

def _average(total: int, count: int) -> Decimal | None:
    if not count:
        return None
    return (Decimal(total) / count).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass
class Summary:
    responses: int = 0
    satisfied: int = 0
    skills_improved: int = 0
    confidence_before_total: int = 0
    confidence_after_total: int = 0
    more_confident: int = 0
    satisfaction_counts: Counter = field(default_factory=Counter)
    skills_counts: Counter = field(default_factory=Counter)
    quotes: list[str] = field(default_factory=list)
    improvements: list[str] = field(default_factory=list)

    @property
    def satisfaction_percent(self) -> Decimal | None:
        """Share satisfied or very satisfied."""
        return percent(self.satisfied, self.responses)

    @property
    def skills_percent(self) -> Decimal | None:
        """Share whose knowledge and skills improved (a lot or a little)."""
        return percent(self.skills_improved, self.responses)

    @property
    def confidence_before(self) -> Decimal | None:
        return _average(self.confidence_before_total, self.responses)

    @property
    def confidence_after(self) -> Decimal | None:
        return _average(self.confidence_after_total, self.responses)

    @property
    def more_confident_percent(self) -> Decimal | None:
        """Share who rated their confidence higher after than before."""
        return percent(self.more_confident, self.responses)

    def add(self, satisfaction: int, skills: str, count: int, before, after, more) -> None:
        self.responses += count
        self.satisfaction_counts[satisfaction] += count
        self.skills_counts[skills] += count
        self.satisfied += count if satisfaction >= 4 else 0
        self.skills_improved += count if skills in ("a-lot", "a-little") else 0
        self.confidence_before_total += int(before or 0)
        self.confidence_after_total += int(after or 0)
        self.more_confident += int(more or 0)


@dataclass
class Filters:
    course_id: int | None = None
    training_session_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None


def _conditions(filters: Filters) -> list:
    conditions = []
    if filters.course_id is not None:
        conditions.append(Evaluation.course_id == filters.course_id)
    if filters.training_session_id is not None:
        conditions.append(Evaluation.training_session_id == filters.training_session_id)
    if filters.date_from is not None:
        conditions.append(Evaluation.completed_on >= filters.date_from)
    if filters.date_to is not None:
        conditions.append(Evaluation.completed_on <= filters.date_to)
    return conditions


def _counts(*leading) -> Select:
    return select(
        *leading, Evaluation.satisfaction, Evaluation.skills, func.count(),
        func.sum(Evaluation.confidence_before), func.sum(Evaluation.confidence_after),
        func.sum(case((Evaluation.confidence_after > Evaluation.confidence_before, 1), else_=0)),
    )


def summarise(filters: Filters, *, quotes: int = 20) -> Summary:
    """The figures for the evaluations matching `filters`: two statements (the counts, then
    the newest free-text answers)."""
    conditions = _conditions(filters)
    summary = Summary()
    for row in db.session.execute(_counts().where(*conditions).group_by(Evaluation.satisfaction, Evaluation.skills)):
        summary.add(*row)
    texts = db.session.execute(
        select(Evaluation.will_do_differently, Evaluation.may_quote, Evaluation.improvements)
        .where(*conditions, (Evaluation.may_quote.is_(True)) | Evaluation.improvements.is_not(None))
        .order_by(Evaluation.submitted_at.desc(), Evaluation.id.desc())
        .limit(quotes * 2)
    )
    for will_do, may_quote, improvement in texts:
        if may_quote and will_do and len(summary.quotes) < quotes:
            summary.quotes.append(will_do)
        if improvement and len(summary.improvements) < quotes:
            summary.improvements.append(improvement)
    return summary


def course_rows(filters: Filters) -> list[tuple[Course, Summary]]:
    """One summary per course with evaluations matching `filters`, by course title (two
    statements, whatever the number of courses)."""
    summaries: dict[int, Summary] = {}
    rows = db.session.execute(
        _counts(Evaluation.course_id).where(*_conditions(filters))
        .group_by(Evaluation.course_id, Evaluation.satisfaction, Evaluation.skills)
    )
    for course_id, *counts in rows:
        summaries.setdefault(course_id, Summary()).add(*counts)
    if not summaries:
        return []
    courses = db.session.scalars(select(Course).where(Course.id.in_(summaries)).order_by(func.lower(Course.title), Course.code))
    return [(course, summaries[course.id]) for course in courses]


def waiting_among(completion_ids: list[int] | Select) -> list[Completion]:
    """Those of the completions (a session's attendance: their ids, or a select of them,
    for one statement) still waiting for an evaluation, with their people."""
    if isinstance(completion_ids, list) and not completion_ids:
        return []
    return list(db.session.scalars(
        _waiting().where(Completion.id.in_(completion_ids)).options(selectinload(Completion.user))
    ))
