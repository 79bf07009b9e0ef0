"""The booking engine (lms/bookings/services.py and offers.py) with a fixed `now`: booking
and its refusals, the waiting list and its offers, approvals, substitution, late
cancellation, and the reminders. Registers and check-in are in tests/bookings/registers,
sessions in tests/bookings/sessions."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from lms.audit.models import AuditEvent
from lms.bookings import offers, services
from lms.bookings.models import Booking, TrainingSession
from lms.bookings.sessions import services as sessions
from lms.core.errors import Conflict, DomainError, Forbidden
from lms.core.time import LONDON
from lms.extensions import db
from lms.notifications.models import OutboundEmail
from lms.records.models import Completion
from tests import factories
from tests.bookings.conftest import SESSION_START

START = SESSION_START.astimezone(timezone.utc)


def book(session, person, now, actor=None):
    return services.book(session, person, actor=actor or person, now=now)


def rows() -> tuple[int, int, int]:
    """(bookings, queued emails, completions): what a refused action must leave alone."""
    return tuple(
        db.session.scalar(select(func.count()).select_from(model)) for model in (Booking, OutboundEmail, Completion)
    )


def statuses(session) -> dict[int, str]:
    """{person: status} of the session's live bookings."""
    return {b.user_id: b.status for b in db.session.scalars(
        select(Booking).where(Booking.session_id == session.id, Booking.status != "cancelled"))}


def subjects(outbox, person) -> list[str]:
    return [email.subject.split(":")[0] for email in outbox(person)]


# --- booking ------------------------------------------------------------------------------


def test_book_while_places_remain_then_the_waiting_list(make_session, make_people, now, outbox):
    session = make_session(capacity=2)
    first, second, third, fourth = make_people(4)
    assert book(session, first, now).status == "booked"
    assert book(session, second, now + timedelta(minutes=1)).status == "booked"
    assert services.places_left(session) == 0
    # A full session takes people onto its waiting list, in the order they come.
    waiting = book(session, third, now + timedelta(minutes=2))
    last = book(session, fourth, now + timedelta(minutes=3))
    assert (waiting.status, last.status) == ("waitlisted", "waitlisted")
    assert [services.waiting_position(waiting), services.waiting_position(last)] == [1, 2]
    assert services.waiting_list(session) == [waiting, last]
    assert services.place_counts([session.id]) == {session.id: {"places": 2, "waiting": 2, "requested": 0}}
    assert subjects(outbox, first) == ["Booked"]
    assert subjects(outbox, third) == ["On the waiting list"]
    assert "This session is full, so you are on its waiting list" in outbox(third)[0].body_text
    assert waiting.confirmed_at is None and waiting.queued_at == now + timedelta(minutes=2)


def test_the_waiting_list_is_in_the_order_people_were_taken(make_session, make_people, now):
    """A request whose clock reading is earlier but which reaches the session after
    another joins the list behind it: positions once told never go down."""
    session = make_session(capacity=1)
    holder, first, second = make_people(3)
    book(session, holder, now)
    taken_first = book(session, first, now + timedelta(seconds=2))
    taken_second = book(session, second, now + timedelta(seconds=1))
    assert [services.waiting_position(taken_first), services.waiting_position(taken_second)] == [1, 2]
    assert taken_second.queued_at == now + timedelta(seconds=2) and taken_second.created_at == now + timedelta(seconds=1)


def test_a_second_booking_is_refused_and_changes_nothing(training_session, person, lead, now):
    booking = book(training_session, person, now)
    before = rows()
    with pytest.raises(services.AlreadyBooked) as raised:
        book(training_session, person, now + timedelta(seconds=1))
    assert raised.value.booking is booking
    assert raised.value.message == "You are already booked on this session"
    assert isinstance(raised.value, Conflict) and raised.value.field == "session"
    # Their lead trying to book them too hears it in the third person.
    with pytest.raises(services.AlreadyBooked) as raised:
        book(training_session, person, now, actor=lead)
    assert raised.value.message == "Tom Teacher is already booked on this session"
    assert rows() == before


def test_a_second_attempt_from_the_waiting_list_is_refused(make_session, make_people, person, now):
    session = make_session(capacity=1)
    book(session, make_people(1)[0], now)
    book(session, person, now)
    before = rows()
    with pytest.raises(services.AlreadyBooked, match="You are already on the waiting list for this session"):
        book(session, person, now)
    assert rows() == before


def test_booking_again_after_cancelling_is_a_new_booking(training_session, person, now):
    first = book(training_session, person, now)
    services.cancel(first, actor=person, now=now)
    again = book(training_session, person, now + timedelta(hours=1))
    assert again.id != first.id and again.status == "booked"
    assert statuses(training_session) == {person.id: "booked"}


@pytest.mark.parametrize("setup, message", [
    (dict(signup_closes_at=datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)), "Booking closed on 23 November 2026 at 9am"),
    (dict(signup_opens_at=datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)), "Booking opens on 24 November 2026 at 9am"),
    (dict(status="cancelled"), "This session has been cancelled"),
    (dict(starts_at=datetime(2026, 11, 23, 9, 30, tzinfo=timezone.utc)), "This session has already started"),
    (dict(sectors=("early-years", "health")), "This session is for people working in: Early years, Health"),
    (dict(roles=("school-dsl", "deputy-dsl")),
     "This session is for: School designated safeguarding lead (DSL), Deputy designated safeguarding lead"),
])
def test_bookings_refused_with_a_clear_message(make_session, person, now, setup, message):
    session = make_session(**setup)
    before = rows()
    with pytest.raises(DomainError) as raised:
        book(session, person, now)
    assert raised.value.message == message
    assert raised.value.field == "session"
    assert rows() == before


def test_a_full_session_takes_no_one_past_its_places_even_from_an_admin(make_session, make_people, admin, now):
    session = make_session(capacity=1)
    first, second = make_people(2)
    book(session, first, now)
    assert book(session, second, now, actor=admin).status == "waitlisted"
    assert services.places_taken(session) == 1


def test_audience_sector_and_role_let_the_right_people_in(make_session, person, outsider, now):
    session = make_session(sectors=("early-years",), roles=("ey-practitioner", "teacher"))
    assert book(session, outsider, now).status == "booked"  # early years, a practitioner
    with pytest.raises(DomainError, match="for people working in: Early years"):
        book(session, person, now)  # a teacher, but at a school
    nobody = factories.user(organisation=None, roles=("ey-practitioner",))
    with pytest.raises(DomainError, match="for people working in: Early years"):
        book(session, nobody, now)
    # A role that has ended does not count.
    leaver = factories.user(organisation=outsider.organisation, roles=("ey-practitioner",))
    leaver.roles[0].ended_on = leaver.roles[0].started_on + timedelta(days=30)
    with pytest.raises(DomainError, match="This session is for: Teacher, Early years practitioner"):
        book(session, leaver, now)


def test_an_outreach_session_is_closed_to_other_organisations(make_course, make_session, person, outsider, lead,
                                                              organisation, now):
    outreach = make_session(make_course(mode="outreach"), organisation_id=organisation.id)
    before = rows()
    with pytest.raises(DomainError) as raised:
        book(outreach, outsider, now)
    assert raised.value.message == "This session is only for the staff of Oak Primary School"
    assert rows() == before
    assert book(outreach, person, now).status == "booked"
    # Seen only by its organisation's people, its leads, trainers and admins.
    query = services.visible_to(select(TrainingSession), outsider)
    assert outreach not in db.session.scalars(query).all()
    assert outreach in db.session.scalars(services.visible_to(select(TrainingSession), person)).all()
    assert not services.can_see(outreach, outsider) and not services.can_see(outreach, None)
    assert services.can_see(outreach, lead) and services.can_see(outreach, person)


def test_who_may_book_for_whom(training_session, person, colleague, lead, outsider, admin, now, outbox):
    with pytest.raises(Forbidden):
        book(training_session, colleague, now, actor=person)
    other_lead = factories.user(organisation=outsider.organisation, leads=(outsider.organisation,))
    with pytest.raises(Forbidden):
        book(training_session, person, now, actor=other_lead)
    by_lead = book(training_session, colleague, now, actor=lead)
    assert by_lead.status == "booked" and by_lead.booked_by_id == lead.id
    assert "Olive Lead has booked you a place on this session" in outbox(colleague)[0].body_text
    by_admin = book(training_session, outsider, now, actor=admin)
    assert by_admin.booked_by_id == admin.id
    audited = db.session.scalars(select(AuditEvent.action).where(AuditEvent.action == "booking.create")).all()
    assert len(audited) == 2  # booking oneself is not an audited act; booking others is


def test_a_closed_account_cannot_be_booked(training_session, person, lead, now):
    person.active = False
    with pytest.raises(DomainError, match="Tom Teacher's account is not active"):
        book(training_session, person, now, actor=lead)


def test_a_waiting_list_left_waiting_goes_before_a_newcomer(make_session, make_people, now):
    """If a place is free while people wait (nobody was offered it), the next booking
    offers it to the list first rather than jumping the queue."""
    session = make_session(capacity=1)
    holder, waiting, newcomer = make_people(3)
    held = book(session, holder, now)
    book(session, waiting, now)
    held.status = "cancelled"  # freed behind the engine's back: no offer was made
    held.ended_reason = "cancelled"
    db.session.flush()
    assert book(session, newcomer, now + timedelta(minutes=5)).status == "waitlisted"
    assert statuses(session)[waiting.id] == "offered"


# --- cancelling, the waiting list and offers ---------------------------------------------


def fill(session, booked: int, waiting: int, make_people, now):
    """`booked` people with places and `waiting` on the list, a minute apart."""
    people = make_people(booked + waiting)
    bookings = [book(session, p, now + timedelta(minutes=i)) for i, p in enumerate(people)]
    assert [b.status for b in bookings] == ["booked"] * booked + ["waitlisted"] * waiting
    return bookings[:booked], bookings[booked:]


def test_n_cancellations_give_n_offers_in_waiting_list_order(make_session, make_people, now, outbox):
    session = make_session(capacity=5)
    booked, waiting = fill(session, 5, 6, make_people, now)
    # The waiting list's order is when people joined, not their ids.
    waiting[0].queued_at, waiting[1].queued_at = waiting[1].queued_at, waiting[0].queued_at
    db.session.flush()
    waiting[0], waiting[1] = waiting[1], waiting[0]
    later = now + timedelta(hours=2)

    for n, booking in enumerate(booked[:3]):
        services.cancel(booking, actor=booking.user, now=later + timedelta(minutes=n))

    offered = [b for b in waiting if b.status == "offered"]
    assert offered == waiting[:3]
    assert [b.status for b in waiting[3:]] == ["waitlisted"] * 3
    assert [services.waiting_position(b) for b in waiting[3:]] == [1, 2, 3]
    assert [b.offer_expires_at for b in offered] == [later + timedelta(minutes=n, hours=24) for n in range(3)]
    assert services.places_taken(session) == 5  # offers hold the freed places
    for booking in offered:
        assert subjects(outbox, booking.user) == ["On the waiting list", "A place is free for you"]
    for booking in waiting[3:]:
        assert subjects(outbox, booking.user) == ["On the waiting list"]
    for booking in booked[:3]:
        assert (booking.status, booking.ended_reason) == ("cancelled", "cancelled")


def test_an_expired_offer_moves_to_the_next_person(make_session, make_people, now, outbox):
    session = make_session(capacity=2)
    booked, waiting = fill(session, 2, 3, make_people, now)
    services.cancel(booked[0], actor=booked[0].user, now=now)
    assert [b.status for b in waiting] == ["offered", "waitlisted", "waitlisted"]

    # Not yet: the offer lasts 24 hours.
    assert offers.expire_offers(now=now + timedelta(hours=23, minutes=59)) == 0
    assert offers.expire_offers(now=now + timedelta(hours=24, minutes=5)) == 1
    assert (waiting[0].status, waiting[0].ended_reason) == ("cancelled", "offer-expired")
    assert [b.status for b in waiting[1:]] == ["offered", "waitlisted"]
    assert waiting[1].offer_expires_at == now + timedelta(hours=48, minutes=5)
    assert subjects(outbox, waiting[0].user)[-1] == "Offer ended"
    assert subjects(outbox, waiting[1].user)[-1] == "A place is free for you"
    # The job runs again: nothing more happens.
    assert offers.expire_offers(now=now + timedelta(hours=24, minutes=10)) == 0
    assert [b.status for b in waiting[1:]] == ["offered", "waitlisted"]


def test_accept_and_decline_an_offer(make_session, make_people, now, outbox):
    session = make_session(capacity=2)
    booked, waiting = fill(session, 2, 3, make_people, now)
    for booking in booked:
        services.cancel(booking, actor=booking.user, now=now)
    first, second, third = waiting
    assert (first.status, second.status, third.status) == ("offered", "offered", "waitlisted")

    accepted = offers.accept_offer(first, actor=first.user, now=now + timedelta(hours=1))
    assert accepted.status == "booked" and accepted.confirmed_at == now + timedelta(hours=1)
    assert accepted.offer_expires_at is None
    assert subjects(outbox, first.user)[-1] == "Booked"
    with pytest.raises(DomainError, match="There is no place on offer"):
        offers.accept_offer(first, actor=first.user, now=now + timedelta(hours=1))

    declined = offers.decline_offer(second, actor=second.user, now=now + timedelta(hours=2))
    assert (declined.status, declined.ended_reason) == ("cancelled", "offer-declined")
    assert third.status == "offered"  # the declined place went on down the list
    assert services.places_taken(session) == 2
    with pytest.raises(DomainError, match="There is no place on offer"):
        offers.decline_offer(first, actor=first.user, now=now)


def test_an_offer_cannot_be_accepted_once_it_has_ended(make_session, make_people, now):
    session = make_session(capacity=1)
    booked, waiting = fill(session, 1, 1, make_people, now)
    services.cancel(booked[0], actor=booked[0].user, now=now)
    with pytest.raises(DomainError, match="The offer ended on 24 November 2026 at 10am"):
        offers.accept_offer(waiting[0], actor=waiting[0].user, now=now + timedelta(hours=24))
    assert waiting[0].status == "offered"


def test_only_the_person_their_lead_or_an_admin_may_answer_an_offer(make_session, make_people, person, lead, admin,
                                                                   outsider, now):
    session = make_session(capacity=1)
    booked, _ = fill(session, 1, 0, make_people, now)
    book(session, person, now)
    services.cancel(booked[0], actor=booked[0].user, now=now)
    offer = services.live_booking(session, person)
    with pytest.raises(Forbidden):
        offers.accept_offer(offer, actor=outsider, now=now)
    assert offers.accept_offer(offer, actor=lead, now=now).status == "booked"


def test_nothing_moves_after_sign_up_closes(make_session, make_people, now, outbox):
    closes = now + timedelta(days=2)
    session = make_session(capacity=3, signup_closes_at=closes)
    booked, waiting = fill(session, 3, 3, make_people, now)
    # An offer made shortly before closing lasts only until closing.
    services.cancel(booked[0], actor=booked[0].user, now=closes - timedelta(hours=2))
    assert waiting[0].status == "offered" and waiting[0].offer_expires_at == closes
    emails_before = len(outbox())

    # After closing, a cancellation frees a place that nobody is offered.
    services.cancel(booked[1], actor=booked[1].user, now=closes + timedelta(minutes=1))
    assert [b.status for b in waiting] == ["offered", "waitlisted", "waitlisted"]
    # The unanswered offer ends at closing; its place is not offered on either.
    assert offers.expire_offers(now=closes + timedelta(hours=1)) == 1
    assert [b.status for b in waiting] == ["cancelled", "waitlisted", "waitlisted"]
    assert services.places_taken(session) == 1
    assert [e.subject.split(":")[0] for e in outbox()[emails_before:]] == ["Booking cancelled", "Offer ended"]
    # And a late comer cannot book the free places.
    with pytest.raises(DomainError, match="Booking closed"):
        book(session, make_people(1)[0], closes + timedelta(hours=2))


def test_more_places_go_to_the_waiting_list(make_session, make_people, trainer, now):
    session = make_session(capacity=2, trainers=[trainer])
    booked, waiting = fill(session, 2, 3, make_people, now)
    details = sessions.copy_details(session)
    details.capacity = 4
    sessions.update_session(session, details, actor=trainer, now=now)
    assert [b.status for b in waiting] == ["offered", "offered", "waitlisted"]
    details.capacity = 3
    with pytest.raises(DomainError, match="4 places are taken: places cannot go below that"):
        sessions.update_session(session, details, actor=trainer, now=now)


# --- cancelling ---------------------------------------------------------------------------


@pytest.mark.parametrize("starts, cancelled_at, late", [
    # Tuesday 8 December: the cut-off is the end of Thursday 3 December.
    (datetime(2026, 12, 8, 9, 30, tzinfo=LONDON), datetime(2026, 12, 3, 23, 59, tzinfo=LONDON), False),
    (datetime(2026, 12, 8, 9, 30, tzinfo=LONDON), datetime(2026, 12, 4, 0, 1, tzinfo=LONDON), True),
    # Over Christmas and the bank holidays: Tuesday 29 December's cut-off is the end of
    # Tuesday 22 December, a week before.
    (datetime(2026, 12, 29, 10, 0, tzinfo=LONDON), datetime(2026, 12, 22, 17, 0, tzinfo=LONDON), False),
    (datetime(2026, 12, 29, 10, 0, tzinfo=LONDON), datetime(2026, 12, 23, 8, 0, tzinfo=LONDON), True),
    # A Monday session: the weekend does not count.
    (datetime(2026, 11, 30, 13, 0, tzinfo=LONDON), datetime(2026, 11, 25, 16, 0, tzinfo=LONDON), False),
    (datetime(2026, 11, 30, 13, 0, tzinfo=LONDON), datetime(2026, 11, 26, 9, 0, tzinfo=LONDON), True),
])
def test_late_cancellation_after_the_working_day_cut_off(make_session, person, now, outbox, starts, cancelled_at, late):
    session = make_session(starts_at=starts)
    booking = book(session, person, now)
    services.cancel(booking, actor=person, now=cancelled_at.astimezone(timezone.utc), note="  Off sick  ")
    assert booking.status == "cancelled"
    assert booking.ended_reason == ("late-cancelled" if late else "cancelled")
    assert booking.is_late_cancellation is late
    assert booking.cancellation_note == "Off sick"
    assert ("recorded as a late cancellation" in outbox(person)[-1].body_text) is late


def test_leaving_the_waiting_list_late_is_not_a_late_cancellation(make_session, make_people, person, now):
    session = make_session(capacity=1)
    book(session, make_people(1)[0], now)
    booking = book(session, person, now)
    services.cancel(booking, actor=person, now=datetime(2026, 12, 7, 8, 0, tzinfo=timezone.utc))
    assert booking.ended_reason == "cancelled"


def test_cancelling_is_refused_once_started_or_already_ended(training_session, person, outsider, trainer, admin, now):
    booking = book(training_session, person, now)
    with pytest.raises(Forbidden):
        services.cancel(booking, actor=outsider, now=now)
    with pytest.raises(DomainError, match="This session has started"):
        services.cancel(booking, actor=person, now=START + timedelta(minutes=1))
    services.cancel(booking, actor=trainer, now=now)  # the session's trainer may cancel for someone
    assert booking.cancelled_by_id == trainer.id
    with pytest.raises(DomainError, match="This booking cannot be cancelled: it is cancelled"):
        services.cancel(booking, actor=admin, now=now)


# --- approval -----------------------------------------------------------------------------


def test_approval_flow(make_session, person, colleague, lead, outsider, now, outbox):
    session = make_session(requires_approval=True, capacity=1)
    request = book(session, person, now)
    assert request.status == "requested"
    assert subjects(outbox, person) == ["Waiting for approval"]
    assert outbox(lead)[0].subject == f"Booking request from Tom Teacher: {session.course.title}"
    assert services.places_taken(session) == 0  # a request holds no place
    assert list(db.session.scalars(services.requests_for(lead))) == [request]
    # Someone whose organisation has no setting lead needs no approval.
    assert book(session, outsider, now).status == "booked"
    other_lead = factories.user(organisation=outsider.organisation, leads=(outsider.organisation,))
    assert list(db.session.scalars(services.requests_for(other_lead))) == []
    with pytest.raises(Forbidden):
        services.decide(request, approve=True, actor=colleague, now=now)
    with pytest.raises(Forbidden):
        services.decide(request, approve=True, actor=other_lead, now=now)

    # Approved when the session is full: onto the waiting list, from when it was approved.
    decided = services.decide(request, approve=True, actor=lead, now=now + timedelta(hours=3), note="Go")
    assert decided.status == "waitlisted" and decided.queued_at == now + timedelta(hours=3)
    assert (decided.decided_by_id, decided.decision_note) == (lead.id, "Go")
    with pytest.raises(DomainError, match="already been decided"):
        services.decide(request, approve=False, actor=lead, now=now)
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "booking.approve")) is not None


def test_approved_with_a_place_and_refused(make_session, person, colleague, lead, now, outbox):
    session = make_session(requires_approval=True)
    first, second = book(session, person, now), book(session, colleague, now)
    assert services.decide(first, approve=True, actor=lead, now=now).status == "booked"
    assert first.confirmed_at == now
    assert subjects(outbox, person) == ["Waiting for approval", "Booked"]
    refused = services.decide(second, approve=False, actor=lead, now=now, note="Not this term")
    assert (refused.status, refused.ended_reason) == ("cancelled", "refused")
    assert subjects(outbox, colleague) == ["Waiting for approval", "Booking not approved"]
    assert "Note: Not this term" in outbox(colleague)[-1].body_text


def test_a_lead_booking_staff_is_the_approval(make_session, person, lead, now):
    session = make_session(requires_approval=True)
    assert book(session, person, now, actor=lead).status == "booked"
    assert book(session, lead, now).status == "booked"  # the only lead needs nobody's approval


def test_a_request_cannot_be_approved_once_booking_has_closed(make_session, person, lead, now):
    session = make_session(requires_approval=True, signup_closes_at=now + timedelta(days=1))
    request = book(session, person, now)
    before = rows()
    with pytest.raises(DomainError, match="Booking closed on 24 November 2026 at 10am: the request cannot be approved"):
        services.decide(request, approve=True, actor=lead, now=now + timedelta(days=2))
    assert (request.status, request.decided_by_id, request.decided_at) == ("requested", None, None)
    assert rows() == before
    # Refusing is still possible.
    assert services.decide(request, approve=False, actor=lead, now=now + timedelta(days=2)).ended_reason == "refused"


# --- substitution -------------------------------------------------------------------------


def test_substitute_a_colleague(training_session, person, colleague, lead, now, outbox):
    booking = book(training_session, person, now)
    after_cut_off = datetime(2026, 12, 7, 9, 0, tzinfo=timezone.utc)
    replacement = services.substitute(booking, colleague, actor=lead, now=after_cut_off)
    assert (booking.status, booking.ended_reason) == ("cancelled", "substituted")  # not a late cancellation
    assert replacement.status == "booked" and replacement.user_id == colleague.id
    assert replacement.substitute_for_id == booking.id and replacement.booked_by_id == lead.id
    assert services.places_taken(training_session) == 1
    assert subjects(outbox, person) == ["Booked", "Booking cancelled"]
    assert "passed to a colleague" in outbox(person)[-1].body_text
    assert subjects(outbox, colleague) == ["Booked"]


def test_substitution_refusals(make_session, make_people, person, colleague, outsider, lead, now):
    session = make_session(capacity=2, roles=("teacher", "teaching-assistant"))
    booking = book(session, person, now)
    for who, message in [
        (outsider, "Nina Nursery does not work for the same organisation"),
        (person, "Choose a colleague other than the person booked"),
        (factories.user(organisation=person.organisation, roles=("governor",), full_name="Gus Governor"),
         "Gus Governor cannot take this place: this session is for: Teacher, Teaching assistant"),
    ]:
        with pytest.raises(DomainError) as raised:
            services.substitute(booking, who, actor=person, now=now)
        assert raised.value.message == message and raised.value.field == "colleague"
    booked_colleague = book(session, colleague, now)
    with pytest.raises(DomainError, match="Cara Colleague already has a place on this session"):
        services.substitute(booking, colleague, actor=person, now=now)
    with pytest.raises(Forbidden):
        services.substitute(booking, colleague, actor=outsider, now=now)
    with pytest.raises(DomainError, match="This session has started"):
        services.substitute(booking, factories.user(organisation=person.organisation), actor=person,
                            now=START + timedelta(minutes=5))
    assert (booking.status, booked_colleague.status) == ("booked", "booked")


def test_a_colleague_on_the_waiting_list_takes_the_place(make_session, make_people, person, colleague, now):
    session = make_session(capacity=1)
    booking = book(session, person, now)
    waiting = book(session, colleague, now)
    others = make_people(1)
    queued = book(session, others[0], now)
    replacement = services.substitute(booking, colleague, actor=person, now=now)
    assert waiting.status == "cancelled" and replacement.status == "booked"
    assert queued.status == "waitlisted" and services.places_taken(session) == 1
    with pytest.raises(DomainError, match="Only a booked place"):
        services.substitute(queued, colleague, actor=others[0], now=now)


def test_a_place_on_offer_can_be_passed_on(make_session, make_people, person, colleague, now, outbox):
    session = make_session(capacity=1)
    [holder] = make_people(1)
    held = book(session, holder, now)
    offer = book(session, person, now)
    services.cancel(held, actor=holder, now=now)
    assert offer.status == "offered"
    replacement = services.substitute(offer, colleague, actor=person, now=now)
    assert (offer.status, offer.ended_reason, offer.offer_expires_at) == ("cancelled", "substituted", None)
    assert replacement.status == "booked" and services.places_taken(session) == 1
    assert subjects(outbox, person)[-1] == "Booking cancelled"
    assert outbox(person)[-1].attachments  # the offer's tentative event is taken away


# --- scheduled jobs -----------------------------------------------------------------------


def test_reminders_two_days_before_once(make_session, make_people, now, outbox):
    soon = make_session(starts_at=now + timedelta(hours=47), capacity=2)
    later = make_session(starts_at=now + timedelta(days=3), capacity=2)
    booked, waiting = fill(soon, 2, 1, make_people, now - timedelta(days=5))
    fill(later, 1, 0, make_people, now - timedelta(days=5))
    services.cancel(booked[1], actor=booked[1].user, now=now - timedelta(days=4))  # before the cut-off
    offers.accept_offer(waiting[0], actor=waiting[0].user, now=now - timedelta(days=4))

    assert services.queue_session_reminders(now=now) == 2
    assert services.queue_session_reminders(now=now) == 0
    assert services.queue_session_reminders(now=now + timedelta(minutes=15)) == 0
    reminded = [e.to_address for e in outbox() if e.subject.startswith("Reminder")]
    assert sorted(reminded) == sorted([booked[0].user.email, waiting[0].user.email])
    # A day later the other session is within two days.
    assert services.queue_session_reminders(now=now + timedelta(days=1, hours=1)) == 1


def test_a_new_date_makes_the_reminder_due_again(make_session, make_people, trainer, now, outbox):
    session = make_session(starts_at=now + timedelta(hours=40), trainers=[trainer], minimum=0)
    booked, _ = fill(session, 1, 0, make_people, now - timedelta(days=3))
    assert services.queue_session_reminders(now=now) == 1
    details = sessions.copy_details(session, shift=timedelta(days=7))
    sessions.update_session(session, details, actor=trainer, now=now)
    assert booked[0].reminder_sent_at is None
    assert services.queue_session_reminders(now=now) == 0  # the new date is over a week away
    assert services.queue_session_reminders(now=now + timedelta(days=7)) == 1
    assert [e.subject.split(":")[0] for e in outbox(booked[0].user)] == ["Booked", "Reminder", "Session changed", "Reminder"]
