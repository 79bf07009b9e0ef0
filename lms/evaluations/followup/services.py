"""Impact follow-up (DESIGN.md section 8): where a course asks for it (Course.followup_weeks),
everyone who attended is emailed some weeks later (12 unless the course says otherwise)
with two questions: have you used what you learned (yes, not yet, no) and how.

- A follow-up row is added in the same transaction as the completion of attendance (the
  receiver of completion_recorded), due `followup_weeks` weeks after the London date
  attended; removing the completion (a register corrected) removes an unsent follow-up.
- The send job claims each due row with one conditional UPDATE (sent_at is still empty),
  so two schedulers never email the same person twice; the claim stores the SHA-256 of a
  new random token, and the email carries the token itself.
- The link answers without signing in; a follow-up is answered once.
- Figures: sent, answered, response rate (answered as a share of sent), and of those who
  answered the share who have used the learning ("impact follow-up %"), by the date
  attended. Nothing here commits.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select, update

from lms.accounts.models import User
from lms.catalogue.models import Course, MAX_FOLLOWUP_WEEKS
from lms.core.errors import DomainError, Forbidden, NotFound
from lms.core.figures import percent
from lms.core.time import london_today
from lms.core.tokens import hash_token, new_token
from lms.core.urls import external_url
from lms.evaluations.followup.models import MAX_TEXT, USED, FollowUp
from lms.extensions import db
from lms.notifications import services as notifications
from lms.records.models import Completion
from lms.signals import completion_recorded, completion_removed

# Follow-ups are for people who attended training (face-to-face, virtual, twilights, events).
FOLLOWED_SOURCE = "attendance"
BATCH = 200


# --- rows -------------------------------------------------------------------------------------

def due_on(completed_on: date, weeks: int) -> date:
    return completed_on + timedelta(weeks=weeks)


def add_for(completion: Completion, *, now: datetime) -> FollowUp | None:
    """The follow-up of a new completion of attendance at a course that asks for one
    (completion_recorded is sent once per completion; the unique completion_id holds it)."""
    if completion.source != FOLLOWED_SOURCE or completion.course_id is None:
        return None
    course = db.session.get(Course, completion.course_id)
    weeks = course.followup_weeks if course is not None else None
    if not weeks or weeks < 1 or weeks > MAX_FOLLOWUP_WEEKS:
        return None
    row = FollowUp(completion_id=completion.id, user_id=completion.user_id, course_id=completion.course_id,
                   sector_id=completion.sector_id, completed_on=completion.completed_on,
                   due_on=due_on(completion.completed_on, weeks), created_at=now)
    db.session.add(row)
    db.session.flush()
    return row


def _on_recorded(sender, completion=None, now=None, **_):
    if completion is not None:
        add_for(completion, now=now)


def _on_removed(sender, completion=None, **_):
    if completion is not None:
        db.session.execute(
            FollowUp.__table__.delete().where(FollowUp.completion_id == completion.id, FollowUp.sent_at.is_(None)))


def connect_signals() -> None:
    completion_recorded.connect(_on_recorded, weak=False)
    completion_removed.connect(_on_removed, weak=False)


# --- sending ------------------------------------------------------------------------------------

def due_ids(*, now: datetime, limit: int = BATCH) -> list[int]:
    today = london_today(now)
    return list(db.session.scalars(
        select(FollowUp.id).where(FollowUp.sent_at.is_(None), FollowUp.due_on <= today, FollowUp.user_id.is_not(None))
        .order_by(FollowUp.due_on, FollowUp.id).limit(limit)
    ))


def claim(followup_id: int, *, now: datetime) -> str | None:
    """Mark the follow-up sent, if nobody has: one conditional UPDATE, so of two schedulers
    only one gets it. Returns the new token for the email (only its digest is kept), or
    None when it was already claimed."""
    token = new_token(32)
    claimed = db.session.execute(
        update(FollowUp).where(FollowUp.id == followup_id, FollowUp.sent_at.is_(None))
        .values(sent_at=now, token_hash=hash_token(token))
        .execution_options(synchronize_session=False)
    ).rowcount
    return token if claimed == 1 else None


def send(followup_id: int, *, now: datetime) -> bool:
    """Claim one due follow-up and queue its email (in the same transaction)."""
    token = claim(followup_id, now=now)
    if token is None:
        return False
    row = db.session.get(FollowUp, followup_id, populate_existing=True)
    person = db.session.get(User, row.user_id)
    completion = row.completion
    notifications.queue_templated_email(
        person.email, "followup_request", now=now, user=person, category="evaluation",
        subject=f"Have you used what you learned on {completion.title}?",
        name=person.full_name, title=completion.title, completed_on=completion.completed_on,
        url=external_url("evaluations.followup.answer", token=token),
    )
    return True


# --- answering ------------------------------------------------------------------------------------

def by_token(token: str) -> FollowUp:
    if not token or len(token) > 200:
        raise NotFound("This link is not right. Check you copied all of it from the email.")
    row = db.session.scalar(select(FollowUp).where(FollowUp.token_hash == hash_token(token)))
    if row is None:
        raise NotFound("This link is not right. Check you copied all of it from the email.")
    return row


def get_own(person: User, followup_id: int) -> FollowUp:
    row = db.session.get(FollowUp, followup_id)
    if row is None or row.user_id != person.id or row.sent_at is None:
        raise NotFound("There is no follow-up for you to answer here")
    return row


def answer(row: FollowUp, used: str | None, how: str, *, now: datetime) -> FollowUp:
    """Record the answer, once (a second answer is refused, even from a second request at
    the same moment: the UPDATE only takes a row not yet answered)."""
    if row.answered_at is not None:
        raise DomainError("You have already answered. Thank you.", field="used")
    if used not in USED:
        raise DomainError("Select whether you have used what you learned", field="used")
    how = (how or "").strip()
    if len(how) > MAX_TEXT:
        raise DomainError(f"Your answer must be {MAX_TEXT:,} characters or fewer", field="how")
    done = db.session.execute(
        update(FollowUp).where(FollowUp.id == row.id, FollowUp.answered_at.is_(None))
        .values(answered_at=now, used=used, how=how or None)
        .execution_options(synchronize_session=False)
    ).rowcount
    if done != 1:
        raise DomainError("You have already answered. Thank you.", field="used")
    db.session.refresh(row)
    return row


# --- figures --------------------------------------------------------------------------------------

@dataclass
class Results:
    sent: int = 0
    answered: int = 0
    used_counts: Counter = field(default_factory=Counter)
    hows: list[str] = field(default_factory=list)

    @property
    def response_rate(self) -> Decimal | None:
        """Answered as a share of follow-ups sent."""
        return percent(self.answered, self.sent)

    @property
    def used_percent(self) -> Decimal | None:
        """Of those who answered, the share who have used what they learned."""
        return percent(self.used_counts.get("yes", 0), self.answered)

    def add(self, used: str | None, sent: int, answered: int) -> None:
        self.sent += sent
        self.answered += answered
        if used:
            self.used_counts[used] += answered


def check_may_see(actor: User) -> None:
    if not (actor.is_admin or actor.is_trainer):
        raise Forbidden("Only partnership admins and trainers can see follow-up results")


def _conditions(course_id, start, end) -> list:
    conditions = [FollowUp.sent_at.is_not(None)]
    if course_id is not None:
        conditions.append(FollowUp.course_id == course_id)
    if start is not None:
        conditions.append(FollowUp.completed_on >= start)
    if end is not None:
        conditions.append(FollowUp.completed_on <= end)
    return conditions


def results(*, course_id: int | None = None, start: date | None = None, end: date | None = None,
            hows: int = 20) -> Results:
    """The follow-ups sent for training attended from `start` to `end` (London dates, both
    included), of one course or all: two statements."""
    conditions = _conditions(course_id, start, end)
    found = Results()
    for used, sent, answered in db.session.execute(
        select(FollowUp.used, func.count(), func.count(FollowUp.answered_at)).where(*conditions).group_by(FollowUp.used)
    ):
        found.add(used, sent, answered)
    if hows:
        found.hows = list(db.session.scalars(
            select(FollowUp.how).where(*conditions, FollowUp.how.is_not(None), FollowUp.used == "yes")
            .order_by(FollowUp.answered_at.desc(), FollowUp.id.desc()).limit(hows)
        ))
    return found


def course_results(*, start: date | None = None, end: date | None = None) -> dict[int, Results]:
    """Results by course id (one statement)."""
    found: dict[int, Results] = {}
    for course_id, used, sent, answered in db.session.execute(
        select(FollowUp.course_id, FollowUp.used, func.count(), func.count(FollowUp.answered_at))
        .where(*_conditions(None, start, end)).group_by(FollowUp.course_id, FollowUp.used)
    ):
        found.setdefault(course_id, Results()).add(used, sent, answered)
    return found
