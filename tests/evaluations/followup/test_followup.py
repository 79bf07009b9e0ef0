"""Impact follow-up: a row per attendance, sent once (even with two schedulers), answered
once through a hashed token, and the results with the response rate."""
from __future__ import annotations

import re
from collections import Counter
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from lms.core.errors import DomainError, NotFound
from lms.core.tokens import hash_token
from lms.evaluations.followup import jobs, services
from lms.evaluations.followup.models import FollowUp
from lms.extensions import db
from lms.notifications.jobs import send_outbox
from lms.notifications.models import OutboundEmail
from lms.records import services as records
from tests import factories
from tests.conftest import NOW

# The session is on Tuesday 8 December 2026: twelve weeks on is Tuesday 2 March 2027.
DUE = date(2027, 3, 2)
DUE_MORNING = datetime(2027, 3, 2, 8, 0, tzinfo=timezone.utc)


def _rows() -> list[FollowUp]:
    return list(db.session.scalars(select(FollowUp).order_by(FollowUp.id)))


def _followups(outbox) -> list:
    return [email for email in outbox() if email.subject.startswith("Have you used what you learned")]


def _token_from(email) -> str:
    match = re.search(r"/follow-up/([A-Za-z0-9_\-]+)", email.body_text)
    assert match, email.body_text
    return match.group(1)


def test_attending_adds_a_follow_up_due_twelve_weeks_later(attend, person, colleague, course):
    attend(person)
    attend(colleague, status="no-show")
    rows = _rows()
    assert len(rows) == 1
    assert (rows[0].user_id, rows[0].course_id, rows[0].completed_on, rows[0].due_on, rows[0].sent_at) == (
        person.id, course.id, date(2026, 12, 8), DUE, None)


def test_the_course_sets_the_weeks_or_asks_for_none(attend, make_session, make_course, person, colleague, trainer):
    six = make_course("SIX-WEEKS")
    six.followup_weeks = 6
    off = make_course("NO-FOLLOWUP")
    off.followup_weeks = None
    attend(person, make_session(six, trainers=[trainer]))
    attend(colleague, make_session(off, trainers=[trainer]))
    assert [(row.user_id, row.due_on) for row in _rows()] == [(person.id, date(2026, 12, 8) + timedelta(weeks=6))]


def test_e_learning_gets_no_follow_up(make_course, person):
    course = make_course("EL", mode="elearning")
    records.record_completion(person, title=course.title, delivery_mode="elearning", on=date(2026, 11, 23),
                              hours=course.cpd_hours, source="elearning", source_ref="enrolment:9", course=course, now=NOW)
    assert _rows() == []


def test_sent_once_each_when_due_with_a_hashed_token(attend, make_people, outbox, app):
    people = make_people(3)
    for each in people:
        attend(each)
    db.session.commit()
    before = DUE_MORNING - timedelta(days=1)
    assert jobs.send_followups(now=before) == {"sent": 0, "already sent": 0}
    assert jobs.send_followups(now=DUE_MORNING) == {"sent": 3, "already sent": 0}
    assert jobs.send_followups(now=DUE_MORNING) == {"sent": 0, "already sent": 0}
    assert jobs.send_followups(now=DUE_MORNING + timedelta(days=30)) == {"sent": 0, "already sent": 0}
    emails = _followups(outbox)
    assert Counter(email.to_address for email in emails) == Counter({each.email: 1 for each in people})
    for email, row in zip(emails, _rows()):
        token = _token_from(email)
        assert len(token) >= 40
        assert row.sent_at == DUE_MORNING and row.token_hash == hash_token(token) and token not in row.token_hash
        assert services.by_token(token).id == row.id


def test_two_schedulers_never_send_twice(attend, make_people, outbox):
    """Scheduler B reads the due rows, scheduler A sends them and commits, then B tries:
    its conditional claims take nothing. Then both run again: nothing more."""
    for each in make_people(4):
        attend(each)
    db.session.commit()
    seen_by_b = services.due_ids(now=DUE_MORNING)
    assert len(seen_by_b) == 4
    assert jobs.send_followups(now=DUE_MORNING)["sent"] == 4  # scheduler A
    assert [services.send(followup_id, now=DUE_MORNING) for followup_id in seen_by_b] == [False] * 4
    db.session.commit()
    assert jobs.send_followups(now=DUE_MORNING)["sent"] == 0
    assert jobs.send_followups(now=DUE_MORNING)["sent"] == 0
    assert len(_followups(outbox)) == 4
    assert db.session.scalar(select(func.count()).select_from(FollowUp).where(FollowUp.sent_at.is_(None))) == 0


def test_the_email_goes_out_over_smtp_once(attend, person, smtp_server):
    attend(person)
    db.session.commit()
    jobs.send_followups(now=DUE_MORNING)
    jobs.send_followups(now=DUE_MORNING)
    send_outbox(now=DUE_MORNING)
    send_outbox(now=DUE_MORNING)
    followups = [m for m in smtp_server.messages if "Have you used what you learned" in m["Subject"]]
    assert [message["To"] for message in followups] == [person.email]


def test_answered_once_and_summed_with_the_response_rate(attend, make_people, outbox, course):
    people = make_people(4)
    for each in people:
        attend(each)
    db.session.commit()
    jobs.send_followups(now=DUE_MORNING)
    tokens = [_token_from(email) for email in _followups(outbox)]
    later = DUE_MORNING + timedelta(days=2)
    services.answer(services.by_token(tokens[0]), "yes", "  I used the referral pathway.  ", now=later)
    services.answer(services.by_token(tokens[1]), "not-yet", "", now=later)
    services.answer(services.by_token(tokens[2]), "yes", "", now=later)
    with pytest.raises(DomainError, match="already answered"):
        services.answer(services.by_token(tokens[0]), "no", "", now=later)
    with pytest.raises(DomainError) as error:
        services.answer(services.by_token(tokens[3]), "maybe", "", now=later)
    assert error.value.field == "used"
    with pytest.raises(NotFound):
        services.by_token(tokens[3][:-2] + "xx")

    found = services.results(course_id=course.id, start=date(2026, 12, 1), end=date(2026, 12, 31))
    direct_sent = db.session.scalar(select(func.count()).select_from(FollowUp).where(FollowUp.sent_at.is_not(None)))
    direct_answered = db.session.scalar(select(func.count()).select_from(FollowUp).where(FollowUp.answered_at.is_not(None)))
    assert (found.sent, found.answered) == (direct_sent, direct_answered) == (4, 3)
    assert found.response_rate == 75 and found.used_percent == 67
    assert found.used_counts == Counter({"yes": 2, "not-yet": 1})
    assert found.hows == ["I used the referral pathway."]
    assert services.results(start=date(2027, 1, 1), end=date(2027, 1, 31)).sent == 0
    assert services.course_results(start=date(2026, 12, 1), end=date(2026, 12, 31))[course.id].answered == 3


def test_removing_the_attendance_removes_an_unsent_follow_up(attend, person):
    booking = attend(person)
    completion = db.session.get(FollowUp, _rows()[0].id).completion
    records.remove_completion(completion.source, completion.source_ref, now=NOW)
    db.session.flush()
    assert _rows() == [] and booking is not None


def test_two_schedulers_at_once_send_each_once(app, attend, make_people):
    """Two scheduler processes running the send job at the same moment, each in its own
    thread, connection and transactions."""
    from tests.bookings.test_concurrency import run_at_once

    people = make_people(6)
    for each in people:
        attend(each)
    addresses = [each.email for each in people]
    db.session.commit()
    db.session.remove()
    results, errors = run_at_once(app, [lambda: jobs.send_followups(now=DUE_MORNING)] * 2)
    assert not errors, errors
    assert sum(result["sent"] for result in results) == 6, results
    emails = [email for email in db.session.scalars(select(OutboundEmail))
              if email.subject.startswith("Have you used what you learned")]
    assert Counter(email.to_address for email in emails) == Counter({address: 1 for address in addresses})
    assert db.session.scalar(select(func.count()).select_from(FollowUp).where(FollowUp.sent_at.is_(None))) == 0
