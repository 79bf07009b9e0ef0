"""The emails a booking queues: which, to whom, with what .ics, how often; the joining link
only for people with a place; and delivery through a real SMTP server."""
from __future__ import annotations

import base64
from datetime import datetime, timedelta, timezone

from icalendar import Calendar

from lms.bookings import offers, services
from lms.bookings.sessions import services as sessions
from lms.extensions import db
from lms.notifications.jobs import send_outbox
from tests import factories
from tests.bookings.conftest import SESSION_START
from tests.notifications.helpers import use_smtp
from tests.notifications.smtp import SMTPServer

START = SESSION_START.astimezone(timezone.utc)
JOIN = "https://meet.example.org/j/123456"


def kinds(emails) -> list[tuple[str, int]]:
    """(subject before the colon, number of .ics attached) for each email."""
    return [(e.subject.split(":")[0], len(e.attachments or [])) for e in emails]


def calendar_of(email) -> Calendar:
    [attachment] = email.attachments
    return Calendar.from_ical(base64.b64decode(attachment["content"]))


def text_of(email) -> str:
    """Everything the recipient gets: the text and any attachment."""
    parts = [email.subject, email.body_text, email.body_html or ""]
    parts += [base64.b64decode(a["content"]).decode("utf-8", "replace") for a in email.attachments or []]
    return "\n".join(parts)


def test_each_step_queues_its_email_with_an_ics_where_there_is_a_place(make_session, make_people, trainer, now, outbox):
    session = make_session(capacity=1, trainers=[trainer])
    holder, waiting = make_people(2)
    held = services.book(session, holder, actor=holder, now=now)
    offer = services.book(session, waiting, actor=waiting, now=now)
    details = sessions.copy_details(session)
    details.venue_name = "Library, Room 1"
    sessions.update_session(session, details, actor=trainer, now=now + timedelta(hours=1))
    services.cancel(held, actor=holder, now=now + timedelta(hours=2))
    offers.accept_offer(offer, actor=waiting, now=now + timedelta(hours=3))

    assert kinds(outbox(holder)) == [("Booked", 1), ("Session changed", 1), ("Booking cancelled", 1)]
    assert kinds(outbox(waiting)) == [
        ("On the waiting list", 0), ("Session changed", 0), ("A place is free for you", 1), ("Booked", 1),
    ]
    assert {e.category for e in outbox()} == {"booking"}
    assert all(e.user_id in (holder.id, waiting.id) for e in outbox())
    offer_email = outbox(waiting)[2]
    assert "We are holding it for you until 24 November 2026 at 12pm" in offer_email.body_text
    assert f"http://localhost/bookings/{offer.id}" in offer_email.body_text
    booked_email = outbox(holder)[0]
    assert "When: Tuesday 8 December 2026, 9:30am to 12:30pm (UK time)" in booked_email.body_text
    assert "Where: Town Hall, Committee Room 2, 1 High Street, Exampletown, EX1 1AA" in booked_email.body_text
    assert f"http://localhost/sessions/{session.id}" in booked_email.body_text
    assert "http://localhost/bookings\n" in booked_email.body_text
    assert "Where: Library, Room 1" in outbox(holder)[1].body_text
    assert "{{" not in "".join(e.body_text for e in outbox())


def test_a_late_cancellation_email_says_so(training_session, person, outbox):
    booking = services.book(training_session, person, actor=person, now=START - timedelta(days=10))
    services.cancel(booking, actor=person, now=START - timedelta(days=1))
    last = outbox(person)[-1]
    assert "recorded as a late cancellation" in last.body_text
    assert "The calendar file attached removes it from your calendar." in last.body_text


def test_leaving_the_waiting_list_sends_no_calendar_file(make_session, make_people, person, now, outbox):
    session = make_session(capacity=1)
    [holder] = make_people(1)
    services.book(session, holder, actor=holder, now=now)
    waiting = services.book(session, person, actor=person, now=now)
    services.cancel(waiting, actor=person, now=now)
    assert kinds(outbox(person)) == [("On the waiting list", 0), ("Booking cancelled", 0)]
    assert "calendar file" not in outbox(person)[-1].body_text


def test_joining_link_only_to_people_with_a_place(make_session, make_people, lead, person, trainer, now, outbox):
    session = make_session(capacity=2, location_kind="online", requires_approval=True, trainers=[trainer],
                           starts_at=now + timedelta(days=6))
    booked = services.book(session, person, actor=lead, now=now)  # by the lead: no approval needed
    others = make_people(4)
    requested = services.book(session, others[0], actor=others[0], now=now)  # asks the lead
    services.decide(requested, approve=True, actor=lead, now=now)
    waiting = [services.book(session, p, actor=lead, now=now) for p in others[1:3]]
    refused = services.book(session, others[3], actor=others[3], now=now)
    services.decide(refused, approve=False, actor=lead, now=now)
    services.cancel(requested, actor=others[0], now=now + timedelta(hours=1))  # offers the place to waiting[0]
    details = sessions.copy_details(session)
    details.joining_notes = "Passcode 9999"
    sessions.update_session(session, details, actor=trainer, now=now + timedelta(hours=2))
    assert services.queue_session_reminders(now=session.starts_at - timedelta(days=1)) == 1
    sessions.cancel_session(session, reason="Too few people", actor=trainer, now=session.starts_at - timedelta(hours=12))

    with_link = sorted((e.to_address, e.subject.split(":")[0]) for e in outbox() if JOIN in text_of(e))
    assert with_link == sorted([
        (person.email, "Booked"), (person.email, "Session changed"), (person.email, "Reminder"),
        (others[0].email, "Booked"),
    ])
    # Everyone else was told things, without the link.
    told = {e.to_address for e in outbox()}
    assert {lead.email, waiting[0].user.email, waiting[1].user.email, others[3].email} <= told
    assert waiting[0].status == "cancelled" and waiting[0].ended_reason == "session-cancelled"


def test_reminder_once_even_when_the_job_runs_twice(make_session, make_people, now, outbox):
    session = make_session(starts_at=now + timedelta(days=1, hours=23))
    [person] = make_people(1)
    services.book(session, person, actor=person, now=now - timedelta(days=7))
    db.session.commit()
    assert services.queue_session_reminders(now=now) == 1
    db.session.commit()
    assert services.queue_session_reminders(now=now) == 0
    assert services.queue_session_reminders(now=now + timedelta(hours=6)) == 0
    reminders = [e for e in outbox(person) if e.subject.startswith("Reminder")]
    assert len(reminders) == 1
    assert "A reminder that you are booked on this session" in reminders[0].body_text
    assert calendar_of(reminders[0]).walk("VEVENT")[0]["STATUS"] == "CONFIRMED"


def test_a_reminder_goes_only_to_people_with_a_place(make_session, make_people, now, outbox):
    session = make_session(starts_at=now + timedelta(days=1), capacity=1)
    holder, waiting = make_people(2)
    services.book(session, holder, actor=holder, now=now - timedelta(days=7))
    services.book(session, waiting, actor=waiting, now=now - timedelta(days=7))
    assert services.queue_session_reminders(now=now) == 1
    assert [e.to_address for e in outbox() if e.subject.startswith("Reminder")] == [holder.email]


def test_under_minimum_alert_once_to_each_admin(make_session, make_people, admin, now, outbox):
    session = make_session(minimum=3, location_kind="online")
    factories.user(admin=True, full_name="Retired Admin").active = False
    [person] = make_people(1)
    services.book(session, person, actor=person, now=now)
    db.session.commit()
    after_cut_off = datetime(2026, 12, 4, 9, 0, tzinfo=timezone.utc)
    assert sessions.alert_under_minimum(now=after_cut_off) == 1
    db.session.commit()
    assert sessions.alert_under_minimum(now=after_cut_off + timedelta(hours=1)) == 0
    alerts = [e for e in outbox() if e.subject.startswith("Under the minimum")]
    assert [e.to_address for e in alerts] == [admin.email]
    assert alerts[0].subject == f"Under the minimum: {session.course.title}, Tuesday 8 December 2026, 9:30am to 12:30pm"
    assert f"http://localhost/manage/sessions/{session.id}" in alerts[0].body_text
    assert "with 1 of the 3 people it needs to run" in alerts[0].body_text
    assert JOIN not in text_of(alerts[0])


def test_approval_request_email_to_the_lead(make_session, person, lead, now, outbox):
    session = make_session(requires_approval=True)
    services.book(session, person, actor=person, now=now)
    [email] = outbox(lead)
    assert "Tom Teacher has asked to book this session" in email.body_text
    assert "http://localhost/organisation/booking-requests" in email.body_text
    assert not email.attachments


def test_delivered_through_smtp_with_the_calendar_file(app, monkeypatch, training_session, person, now):
    with SMTPServer() as server:
        use_smtp(app, monkeypatch, server)
        booking = services.book(training_session, person, actor=person, now=now)
        services.cancel(booking, actor=person, now=now + timedelta(minutes=5))
        db.session.commit()
        assert send_outbox(now=now + timedelta(minutes=6))["sent"] == 2
        messages = server.messages
    assert [m["Subject"].split(":")[0] for m in messages] == ["Booked", "Booking cancelled"]
    calendars = []
    for message in messages:
        assert message["To"] == person.email
        [part] = [p for p in message.iter_attachments()]
        assert part.get_content_type() == "text/calendar"
        assert part.get_filename() == f"safe-f2f-{training_session.id}.ics"
        calendars.append(Calendar.from_ical(part.get_content() if isinstance(part.get_content(), bytes)
                                            else part.get_content().encode()))
    booked, cancelled = (c.walk("VEVENT")[0] for c in calendars)
    assert booked["UID"] == cancelled["UID"]
    assert booked.decoded("DTSTART").astimezone(timezone.utc) == START
    assert cancelled["STATUS"] == "CANCELLED" and calendars[1]["METHOD"] == "CANCEL"
