"""The .ics files sent with booking emails, parsed back with the icalendar library: the
right London wall-clock time and UTC instant on both sides of the clock changes (29 March
and 25 October 2026), and cancellations that replace the event a person has."""
from __future__ import annotations

import base64
from datetime import datetime, timedelta, timezone

import pytest
from icalendar import Calendar

from lms.bookings import formatting, ics, offers, services
from lms.bookings.sessions import services as sessions
from lms.core.time import LONDON
from lms.extensions import db

UTC = timezone.utc
BASE = "http://localhost"


def attachments(outbox, person) -> list[tuple[str, Calendar]]:
    """(subject, parsed calendar) for each email to `person` that carried an .ics."""
    found = []
    for email in outbox(person):
        for attachment in email.attachments or []:
            assert attachment["content_type"] == "text/calendar"
            assert attachment["filename"].endswith(".ics")
            found.append((email.subject.split(":")[0], Calendar.from_ical(base64.b64decode(attachment["content"]))))
    return found


def event_of(calendar: Calendar):
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    return events[0]


def embedded_london(calendar: Calendar):
    """Europe/London as the file's own VTIMEZONE defines it (not looked up by name), the
    way a calendar without the tz database reads it."""
    zones = {str(zone["TZID"]): zone for zone in calendar.walk("VTIMEZONE")}
    assert set(zones) == {"Europe/London"}
    return zones["Europe/London"].to_tz(lookup_tzid=False)


def check_times(calendar: Calendar, start_local: datetime, end_local: datetime, start_utc: datetime, end_utc: datetime):
    event = event_of(calendar)
    for name, local, instant in (("DTSTART", start_local, start_utc), ("DTEND", end_local, end_utc)):
        prop = event[name]
        assert prop.params["TZID"] == "Europe/London"
        value = event.decoded(name)
        assert value.replace(tzinfo=None) == local  # the wall clock in London
        assert value.astimezone(UTC) == instant  # the instant
        # The embedded VTIMEZONE gives the same instant for the same wall-clock time.
        assert local.replace(tzinfo=embedded_london(calendar)).astimezone(UTC) == instant
    assert event.to_ical().decode().count("TZID=Europe/London") == 2


# Sessions around the 2026 clock changes: (starts in London, ends in London, the UTC
# instants, the words in emails).
CLOCK_CHANGE_SESSIONS = [
    pytest.param(datetime(2026, 3, 27, 9, 30), datetime(2026, 3, 27, 12, 30),
                 datetime(2026, 3, 27, 9, 30, tzinfo=UTC), datetime(2026, 3, 27, 12, 30, tzinfo=UTC),
                 "Friday 27 March 2026, 9:30am to 12:30pm", id="friday-before-spring-gmt"),
    pytest.param(datetime(2026, 3, 30, 9, 30), datetime(2026, 3, 30, 12, 30),
                 datetime(2026, 3, 30, 8, 30, tzinfo=UTC), datetime(2026, 3, 30, 11, 30, tzinfo=UTC),
                 "Monday 30 March 2026, 9:30am to 12:30pm", id="monday-after-spring-bst"),
    pytest.param(datetime(2026, 3, 28, 20, 0), datetime(2026, 3, 29, 10, 0),
                 datetime(2026, 3, 28, 20, 0, tzinfo=UTC), datetime(2026, 3, 29, 9, 0, tzinfo=UTC),
                 "Saturday 28 March 2026, 8pm to Sunday 29 March 2026, 10am", id="overnight-across-spring"),
    pytest.param(datetime(2026, 10, 23, 9, 30), datetime(2026, 10, 23, 16, 0),
                 datetime(2026, 10, 23, 8, 30, tzinfo=UTC), datetime(2026, 10, 23, 15, 0, tzinfo=UTC),
                 "Friday 23 October 2026, 9:30am to 4pm", id="friday-before-autumn-bst"),
    pytest.param(datetime(2026, 10, 26, 9, 30), datetime(2026, 10, 26, 16, 0),
                 datetime(2026, 10, 26, 9, 30, tzinfo=UTC), datetime(2026, 10, 26, 16, 0, tzinfo=UTC),
                 "Monday 26 October 2026, 9:30am to 4pm", id="monday-after-autumn-gmt"),
    pytest.param(datetime(2026, 10, 24, 22, 0), datetime(2026, 10, 25, 2, 30),
                 datetime(2026, 10, 24, 21, 0, tzinfo=UTC), datetime(2026, 10, 25, 2, 30, tzinfo=UTC),
                 "Saturday 24 October 2026, 10pm to Sunday 25 October 2026, 2:30am", id="overnight-across-autumn"),
]


@pytest.mark.parametrize("start_local, end_local, start_utc, end_utc, words", CLOCK_CHANGE_SESSIONS)
def test_booking_email_and_ics_across_the_clock_changes(make_session, person, outbox, start_local, end_local,
                                                        start_utc, end_utc, words):
    booked_at = start_utc - timedelta(days=20)
    session = make_session(starts_at=start_local.replace(tzinfo=LONDON), ends_at=end_local.replace(tzinfo=LONDON),
                           signup_closes_at=start_utc - timedelta(days=1))
    assert (session.starts_at, session.ends_at) == (start_utc, end_utc)
    services.book(session, person, actor=person, now=booked_at)
    email = outbox(person)[0]
    assert f"When: {words} (UK time)" in email.body_text
    [(subject, calendar)] = attachments(outbox, person)
    assert subject == "Booked"
    check_times(calendar, start_local, end_local, start_utc, end_utc)
    event = event_of(calendar)
    assert calendar["METHOD"] == "PUBLISH" and event["STATUS"] == "CONFIRMED"
    assert event.decoded("DTSTAMP") == booked_at


def test_a_session_moved_across_the_clock_change_updates_the_same_event(make_session, make_people, trainer, outbox):
    """Friday 20 March (GMT) moved a fortnight on to Friday 3 April (BST) keeps 9:30am."""
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    session = make_session(starts_at=datetime(2026, 3, 20, 9, 30, tzinfo=LONDON), trainers=[trainer],
                           signup_closes_at=datetime(2026, 3, 19, 12, 0, tzinfo=UTC))
    [person] = make_people(1)
    services.book(session, person, actor=person, now=now)
    details = sessions.copy_details(session, shift=timedelta(days=14))
    sessions.update_session(session, details, actor=trainer, now=now + timedelta(days=1))

    (_, booked), (subject, changed) = attachments(outbox, person)
    assert subject == "Session changed"
    check_times(booked, datetime(2026, 3, 20, 9, 30), datetime(2026, 3, 20, 12, 30),
                datetime(2026, 3, 20, 9, 30, tzinfo=UTC), datetime(2026, 3, 20, 12, 30, tzinfo=UTC))
    check_times(changed, datetime(2026, 4, 3, 9, 30), datetime(2026, 4, 3, 12, 30),
                datetime(2026, 4, 3, 8, 30, tzinfo=UTC), datetime(2026, 4, 3, 11, 30, tzinfo=UTC))
    first, second = event_of(booked), event_of(changed)
    assert first["UID"] == second["UID"]
    assert (first.decoded("SEQUENCE"), second.decoded("SEQUENCE")) == (0, 1)
    assert "When: Friday 3 April 2026, 9:30am to 12:30pm (UK time)" in outbox(person)[-1].body_text


def test_a_cancellation_replaces_the_event(training_session, person, now, outbox):
    booking = services.book(training_session, person, actor=person, now=now)
    services.cancel(booking, actor=person, now=now + timedelta(hours=1))
    (_, booked), (subject, cancelled) = attachments(outbox, person)
    assert subject == "Booking cancelled"
    assert booked["METHOD"] == "PUBLISH" and cancelled["METHOD"] == "CANCEL"
    first, last = event_of(booked), event_of(cancelled)
    assert last["STATUS"] == "CANCELLED" and first["STATUS"] == "CONFIRMED"
    assert last["UID"] == first["UID"] == f"booking-{booking.id}@localhost"
    assert last.decoded("SEQUENCE") > first.decoded("SEQUENCE")
    assert last.decoded("DTSTART") == first.decoded("DTSTART")


def test_booking_again_after_cancelling_is_a_new_event(training_session, person, now, outbox):
    first = services.book(training_session, person, actor=person, now=now)
    services.cancel(first, actor=person, now=now)
    second = services.book(training_session, person, actor=person, now=now + timedelta(hours=1))
    uids = [str(event_of(calendar)["UID"]) for _, calendar in attachments(outbox, person)]
    assert uids == [f"booking-{first.id}@localhost"] * 2 + [f"booking-{second.id}@localhost"]


def test_a_cancelled_session_cancels_the_event_after_a_change(training_session, make_people, trainer, now, outbox):
    [person] = make_people(1)
    services.book(training_session, person, actor=person, now=now)
    details = sessions.copy_details(training_session)
    details.venue_name = "Council Offices, Room 4"
    sessions.update_session(training_session, details, actor=trainer, now=now)
    sessions.cancel_session(training_session, reason="Venue closed", actor=trainer, now=now)
    events = [(subject, calendar["METHOD"], event_of(calendar)) for subject, calendar in attachments(outbox, person)]
    assert [(s, m, str(e["STATUS"]), e.decoded("SEQUENCE")) for s, m, e in events] == [
        ("Booked", "PUBLISH", "CONFIRMED", 0),
        ("Session changed", "PUBLISH", "CONFIRMED", 1),
        ("Session cancelled", "CANCEL", "CANCELLED", 2),
    ]
    assert len({str(e["UID"]) for _, _, e in events}) == 1
    assert "Council Offices, Room 4" in str(events[1][2]["LOCATION"])


def test_an_offer_is_tentative_and_declining_it_removes_it(make_session, make_people, now, outbox):
    session = make_session(capacity=1, location_kind="online")
    holder, waiting = make_people(2)
    held = services.book(session, holder, actor=holder, now=now)
    offer = services.book(session, waiting, actor=waiting, now=now)
    services.cancel(held, actor=holder, now=now)
    offers.decline_offer(offer, actor=waiting, now=now)
    (subject, offered), (ended, cancelled) = attachments(outbox, waiting)
    assert (subject, ended) == ("A place is free for you", "Booking cancelled")
    assert event_of(offered)["STATUS"] == "TENTATIVE"
    assert event_of(cancelled)["STATUS"] == "CANCELLED" and cancelled["METHOD"] == "CANCEL"
    assert event_of(offered)["UID"] == event_of(cancelled)["UID"]
    # An offer is not a place yet: no joining link in it.
    assert "meet.example.org" not in offered.to_ical().decode()


def test_online_session_joining_link_in_the_booked_event_only(make_session, now):
    session = make_session(location_kind="online")
    confirmed = Calendar.from_ical(ics.booking_ics(session, base_url=BASE, now=now))
    event = event_of(confirmed)
    assert str(event["LOCATION"]) == "https://meet.example.org/j/123456"
    assert "Join online: https://meet.example.org/j/123456" in str(event["DESCRIPTION"])
    assert "Passcode 4242" in str(event["DESCRIPTION"])
    for content in (ics.booking_ics(session, base_url=BASE, now=now, tentative=True),
                    ics.booking_ics(session, base_url=BASE, now=now, cancelled=True),
                    ics.feed_ics([session], base_url=BASE, now=now, name="Sessions")):
        assert "meet.example.org" not in content.decode()
        assert str(event_of(Calendar.from_ical(content))["LOCATION"]) == "Online"


def test_in_person_event_has_the_venue_and_access_notes(make_session, trainer, now):
    session = make_session(trainers=[trainer], access_notes="Step-free entrance on Mill Lane")
    event = event_of(Calendar.from_ical(ics.booking_ics(session, base_url=BASE, now=now)))
    assert str(event["LOCATION"]) == "Town Hall, Committee Room 2, 1 High Street, Exampletown, EX1 1AA"
    assert "Access: Step-free entrance on Mill Lane" in str(event["DESCRIPTION"])
    assert str(event["URL"]) == f"{BASE}/sessions/{session.id}"
    assert str(event["ORGANIZER"]) == "mailto:trainer@partnership.example"
    assert event["ORGANIZER"].params["CN"] == "Tara Trainer"
    assert str(event["SUMMARY"]) == f"{session.course.title} (SAFE-F2F)"
    assert str(event["UID"]) == f"session-{session.id}@localhost"  # without a booking: the session's


def test_feed_lists_sessions_with_their_own_times(make_session, now):
    spring = make_session(starts_at=datetime(2026, 3, 30, 9, 30, tzinfo=LONDON),
                          signup_closes_at=datetime(2026, 3, 29, 9, 0, tzinfo=UTC))
    winter = make_session(starts_at=datetime(2026, 12, 8, 9, 30, tzinfo=LONDON), status="cancelled")
    db.session.flush()
    calendar = Calendar.from_ical(ics.feed_ics([spring, winter], base_url=BASE, now=now, name="Training sessions"))
    assert calendar["X-WR-CALNAME"] == "Training sessions" and calendar["METHOD"] == "PUBLISH"
    events = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {f"session-{spring.id}@localhost", f"session-{winter.id}@localhost"}
    assert events[f"session-{spring.id}@localhost"].decoded("DTSTART").astimezone(UTC) == datetime(2026, 3, 30, 8, 30, tzinfo=UTC)
    assert events[f"session-{winter.id}@localhost"].decoded("DTSTART").astimezone(UTC) == datetime(2026, 12, 8, 9, 30, tzinfo=UTC)
    assert events[f"session-{winter.id}@localhost"]["STATUS"] == "CANCELLED"
    assert len(calendar.walk("VTIMEZONE")) == 1


def test_addresses_typed_with_windows_line_ends(make_session, now):
    session = make_session(venue_address="1 High Street\r\nExampletown\r\n")
    event = event_of(Calendar.from_ical(ics.booking_ics(session, base_url=BASE, now=now)))
    assert str(event["LOCATION"]) == "Town Hall, Committee Room 2, 1 High Street, Exampletown, EX1 1AA"
    assert formatting.session_where(session) == "Town Hall, Committee Room 2, 1 High Street, Exampletown, EX1 1AA"


def test_times_in_words():
    assert formatting.clock(datetime(2026, 6, 1, 11, 0, tzinfo=UTC)) == "12pm"  # noon BST
    assert formatting.clock(datetime(2026, 12, 1, 0, 0, tzinfo=UTC)) == "12am"
    assert formatting.clock(datetime(2026, 12, 1, 13, 5, tzinfo=UTC)) == "1:05pm"
    assert formatting.day(datetime(2026, 10, 24, 23, 30, tzinfo=UTC)) == "Sunday 25 October 2026"  # 00:30 BST
