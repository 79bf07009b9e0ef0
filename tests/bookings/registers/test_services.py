"""Registers and self check-in (lms/bookings/registers/services.py) with a fixed `now`:
marking attendance writes, corrects and removes the training record; the register is all
or nothing; QR check-in has its window."""
from __future__ import annotations

from datetime import timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select

from lms.audit.models import AuditEvent
from lms.bookings import offers, services
from lms.bookings.registers import services as registers
from lms.core.errors import DomainError, Forbidden, NotFound
from lms.extensions import db
from lms.records.models import Completion
from tests import factories
from tests.bookings.conftest import SESSION_START

START = SESSION_START.astimezone(timezone.utc)


def book(session, person, now, actor=None):
    return services.book(session, person, actor=actor or person, now=now)


# --- registers ----------------------------------------------------------------------------


def fill(session, booked: int, waiting: int, make_people, now):
    """`booked` people with places and `waiting` on the list, a minute apart."""
    people = make_people(booked + waiting)
    bookings = [book(session, p, now + timedelta(minutes=i)) for i, p in enumerate(people)]
    assert [b.status for b in bookings] == ["booked"] * booked + ["waitlisted"] * waiting
    return bookings[:booked], bookings[booked:]


def completions() -> list[Completion]:
    return list(db.session.scalars(select(Completion).order_by(Completion.id)))


def test_only_attendance_writes_the_training_record(make_session, make_people, trainer, now):
    session = make_session(capacity=3, trainers=[trainer])
    booked, waiting = fill(session, 3, 2, make_people, now)
    services.cancel(booked[2], actor=booked[2].user, now=now)
    offers.accept_offer(waiting[0], actor=waiting[0].user, now=now)
    assert completions() == []  # booking, waiting, offers, cancelling: no record

    during = START + timedelta(hours=1)
    registers.mark(booked[0], "attended", actor=trainer, now=during)
    registers.mark(booked[1], "no-show", actor=trainer, now=during)
    registers.mark(waiting[0], "partly-attended", actor=trainer, now=during, hours="1.5")
    recorded = completions()
    assert [(c.user_id, c.cpd_hours, c.source, c.source_ref) for c in recorded] == [
        (booked[0].user_id, Decimal("3.00"), "attendance", f"booking:{booked[0].id}"),
        (waiting[0].user_id, Decimal("1.50"), "attendance", f"booking:{waiting[0].id}"),
    ]
    first = recorded[0]
    assert first.completed_on == SESSION_START.date() and first.delivery_mode == "face-to-face"
    assert first.course_id == session.course_id and first.title == session.course.title
    assert booked[0].completion_id == first.id and booked[1].completion_id is None
    assert (booked[0].attendance_hours, waiting[0].attendance_hours) == (Decimal("3"), Decimal("1.50"))


def test_re_marking_changes_the_hours_and_a_no_show_removes_the_record(training_session, person, trainer, now):
    booking = book(training_session, person, now)
    during = START + timedelta(hours=2)
    registers.mark(booking, "partly-attended", actor=trainer, now=during, hours="2")
    completion_id = booking.completion_id
    registers.mark(booking, "attended", actor=trainer, now=during)
    assert [(c.id, c.cpd_hours) for c in completions()] == [(completion_id, Decimal("3.00"))]
    registers.mark(booking, "partly-attended", actor=trainer, now=during, hours=Decimal("0.75"))
    assert [(c.id, c.cpd_hours) for c in completions()] == [(completion_id, Decimal("0.75"))]
    registers.mark(booking, "no-show", actor=trainer, now=during)
    assert completions() == [] and booking.completion_id is None and booking.attendance_hours is None
    registers.mark(booking, "attended", actor=trainer, now=during)
    assert len(completions()) == 1
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.action == "register.mark")).all()
    assert len(actions) == 5


@pytest.mark.parametrize("hours", ["0", "3", "3.5", "-1", "lots", None])
def test_partial_hours_must_be_between_nothing_and_the_whole(training_session, person, trainer, now, hours):
    booking = book(training_session, person, now)
    with pytest.raises(DomainError) as raised:
        registers.mark(booking, "partly-attended", actor=trainer, now=START, hours=hours)
    assert raised.value.field == "hours"
    assert booking.status == "booked" and completions() == []


def test_who_may_mark_and_when(make_session, person, colleague, trainer, admin, now):
    session = make_session(trainers=[trainer])
    booking = book(session, person, now)
    other_trainer = factories.user(trainer=True)
    for actor in (person, other_trainer):
        with pytest.raises(Forbidden):
            registers.mark(booking, "attended", actor=actor, now=START)
    with pytest.raises(DomainError, match="The register opens when the session starts"):
        registers.mark(booking, "attended", actor=trainer, now=START - timedelta(minutes=1))
    with pytest.raises(DomainError, match="Choose attended, partly attended or did not attend"):
        registers.mark(booking, "booked", actor=trainer, now=START)
    registers.mark(booking, "attended", actor=admin, now=START)
    assert booking.marked_by_id == admin.id
    assert registers.register(session) == [booking]


def test_mark_many_is_all_or_nothing(make_session, make_people, trainer, now):
    session = make_session(trainers=[trainer])
    booked, _ = fill(session, 3, 0, make_people, now)
    marks = {booked[0].id: ("attended", None), booked[1].id: ("no-show", None), booked[2].id: ("partly-attended", "9")}
    with pytest.raises(DomainError) as raised:
        registers.mark_many(session, marks, actor=trainer, now=START)
    assert raised.value.field == f"booking-{booked[2].id}"
    assert raised.value.message.startswith(f"{booked[2].user.full_name}: Hours for partial attendance")
    assert [b.status for b in booked] == ["booked"] * 3 and completions() == []

    marks[booked[2].id] = ("partly-attended", "1")
    assert registers.mark_many(session, marks, actor=trainer, now=START).marked == 3
    assert [b.status for b in booked] == ["attended", "no-show", "partly-attended"]
    # Marking the same again changes nothing but the partial hours.
    assert registers.mark_many(session, marks, actor=trainer, now=START).marked == 1
    with pytest.raises(DomainError, match="The register has changed"):
        registers.mark_many(session, {123456: ("attended", None)}, actor=trainer, now=START)


def test_the_register_lists_people_with_a_place(make_session, make_people, now):
    session = make_session(capacity=2)
    booked, waiting = fill(session, 2, 2, make_people, now)
    services.cancel(booked[1], actor=booked[1].user, now=now)
    assert waiting[0].status == "offered"
    assert registers.register(session) == [booked[0]]
    with pytest.raises(DomainError, match="does not have a place"):
        registers.mark(waiting[0], "attended", actor=factories.user(admin=True), now=START)


# --- QR check-in --------------------------------------------------------------------------


def test_check_in_window_and_record(training_session, person, now):
    booking = book(training_session, person, now)
    code = training_session.checkin_code
    with pytest.raises(DomainError, match="Check-in opens at 8 December 2026 at 9am"):
        registers.check_in(training_session, person, code, now=START - timedelta(minutes=31))
    checked = registers.check_in(training_session, person, code, now=START - timedelta(minutes=30))
    assert checked is booking and booking.status == "attended" and booking.attendance_hours == Decimal("3")
    assert booking.checked_in_at == START - timedelta(minutes=30) and booking.marked_by_id == person.id
    assert len(completions()) == 1
    # Scanning twice changes nothing.
    registers.check_in(training_session, person, code, now=START + timedelta(minutes=5))
    assert booking.checked_in_at == START - timedelta(minutes=30) and len(completions()) == 1
    with pytest.raises(DomainError, match="This session has finished"):
        registers.check_in(training_session, person, code, now=START + timedelta(hours=3, seconds=1))


def test_check_in_refusals(make_session, make_people, person, colleague, trainer, now):
    session = make_session(capacity=1, trainers=[trainer])
    book(session, person, now)
    book(session, colleague, now)  # waiting
    with pytest.raises(NotFound):
        registers.check_in(session, person, "not-the-code", now=START)
    with pytest.raises(NotFound):
        registers.check_in(session, person, "", now=START)
    for who in (colleague, make_people(1)[0]):
        with pytest.raises(DomainError, match="You do not have a place on this session"):
            registers.check_in(session, who, session.checkin_code, now=START)
    other = make_session(capacity=1)
    with pytest.raises(NotFound):  # another session's code
        registers.check_in(session, person, other.checkin_code, now=START)
    assert completions() == []


def test_check_in_leaves_the_trainers_mark(training_session, person, trainer, now):
    booking = book(training_session, person, now)
    registers.mark(booking, "partly-attended", actor=trainer, now=START + timedelta(hours=1), hours="1")
    registers.check_in(training_session, person, training_session.checkin_code, now=START + timedelta(hours=1))
    assert booking.status == "partly-attended" and booking.checked_in_at is not None
    assert [c.cpd_hours for c in completions()] == [Decimal("1.00")]
