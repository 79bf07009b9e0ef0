"""The practitioner's booking pages (bookings/views.py): the session list and a session's
page, booking (a double click makes one booking), the waiting list and its offers,
cancelling (with the late-cancellation warning), passing a place on, the booking's .ics,
QR self check-in and the dates on a course's page.

The pages run on the real clock, so every session here is placed around it (in ten days,
tomorrow, an hour ago). People are booked through the engine, as the pages do.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from lms.bookings import services
from lms.bookings.models import Booking, ChargeRate
from lms.core.time import LONDON, format_datetime, to_london, utcnow
from lms.extensions import db
from tests import factories
from tests.conftest import csrf_token_from


# --- helpers -----------------------------------------------------------------------------


def login(client, person) -> None:
    """Sign in without the sign-in form (so it also works with CSRF protection on)."""
    factories.sign_in_directly(client, person)


def text(response) -> str:
    """The page's words, tags removed and spaces squeezed."""
    html = response.get_data(as_text=True)
    html = re.sub(r"<(script|style).*?</\1>", " ", html, flags=re.S)
    words = re.sub(r"<[^>]+>", " ", html)
    for entity, char in (("&#39;", "'"), ("&amp;", "&"), ("&quot;", '"'), ("&lt;", "<"), ("&gt;", ">")):
        words = words.replace(entity, char)
    return " ".join(words.split())


def table_text(response) -> str:
    """The words in the page's table bodies (the list, not the filter options)."""
    html = response.get_data(as_text=True)
    bodies = re.findall(r"<tbody[^>]*>(.*?)</tbody>", html, flags=re.S)
    return " ".join(" ".join(re.sub(r"<[^>]+>", " ", body).split()) for body in bodies)


def error_summary(response) -> str:
    html = response.get_data(as_text=True)
    match = re.search(r'<div class="govuk-error-summary".*?</ul>', html, re.S)
    assert match, "no error summary on the page"
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(0)).split())


def bookings_of(session) -> list[Booking]:
    db.session.expire_all()
    return list(db.session.scalars(select(Booking).where(Booking.session_id == session.id).order_by(Booking.id)))


def soon(days: float = 10) -> datetime:
    """A whole minute `days` from now."""
    return (utcnow() + timedelta(days=days)).replace(second=0, microsecond=0)


def book(session, person, actor=None):
    return services.book(session, person, actor=actor or person, now=utcnow())


@pytest.fixture()
def upcoming(make_session, trainer):
    """A 20-place session in ten days, booking open until the day before."""
    return make_session(starts_at=soon(10), trainers=[trainer])


# --- the list of sessions ----------------------------------------------------------------


def test_the_list_shows_upcoming_sessions_with_places_and_filters_them(
    client, make_course, make_session, person, colleague, outsider, other_organisation
):
    north = factories.area("North Locality")
    f2f = make_course("F2F", title="Child protection in practice")
    online = make_course("ONL", mode="virtual", title="Neglect online briefing")
    outreach = make_course("OUT", mode="outreach", title="Team safeguarding visit")
    in_north = make_session(f2f, starts_at=soon(5), area_id=north.id, capacity=2)
    virtual = make_session(online, starts_at=soon(6), location_kind="online", capacity=1)
    make_session(f2f, starts_at=soon(-3))  # finished
    make_session(f2f, starts_at=soon(8), status="cancelled")
    nursery_visit = make_session(outreach, starts_at=soon(9), organisation_id=other_organisation.id)
    book(virtual, colleague)  # full now
    book(in_north, colleague)
    db.session.commit()

    response = client.get("/sessions")
    page, listed = text(response), table_text(response)
    assert "2 sessions" in page
    assert "Child protection in practice" in listed and "Neglect online briefing" in listed
    assert "1 place left" in listed and "Full: join the waiting list" in listed
    assert "Team safeguarding visit" not in listed  # another organisation's outreach

    only_online = client.get("/sessions?course=ONL")
    assert "1 session" in text(only_online) and "Child protection" not in table_text(only_online)
    north_only = table_text(client.get(f"/sessions?area={north.id}"))
    assert "Child protection in practice" in north_only and "Neglect online briefing" not in north_only
    with_places = table_text(client.get("/sessions?places=yes"))
    assert "Child protection in practice" in with_places and "Neglect online briefing" not in with_places
    assert "Neglect online briefing" in table_text(client.get("/sessions?mode=virtual"))
    assert "No upcoming sessions match" in text(client.get("/sessions?mode=twilight"))
    # Nonsense filters are ignored rather than failing.
    assert client.get("/sessions?area=north&page=x&mode=<b>").status_code == 200

    # The nursery's own staff see their outreach session; others (and their leads) do not.
    login(client, outsider)
    assert "Team safeguarding visit" in table_text(client.get("/sessions"))
    client.get("/sign-out")
    login(client, person)
    listing = client.get("/sessions")
    assert "Team safeguarding visit" not in table_text(listing)
    assert f"/sessions/{nursery_visit.id}" not in listing.get_data(as_text=True)


def test_the_list_shows_my_booking_and_pages_through_sessions(client, make_session, person):
    sessions = [make_session(starts_at=soon(3 + n), capacity=5) for n in range(23)]
    book(sessions[0], person)
    db.session.commit()
    login(client, person)
    first = client.get("/sessions")
    assert "23 sessions" in text(first) and "Showing 1 to 20 of 23 sessions" in text(first)
    assert re.search(r'<strong class="govuk-tag govuk-tag--green">\s*Booked\s*</strong>', first.get_data(as_text=True))
    second = client.get("/sessions?page=2")
    assert "Showing 21 to 23 of 23 sessions" in text(second)
    assert client.get("/sessions?page=99").status_code == 200  # the last page


def test_the_list_runs_the_same_statements_however_many_sessions(client, make_session, make_people, person, count_queries):
    people = make_people(6)
    first = make_session(starts_at=soon(4), capacity=3, area_id=factories.area("Central").id)
    for someone in people[:4]:
        book(first, someone)
    db.session.commit()
    login(client, person)
    with count_queries() as few:
        assert client.get("/sessions").status_code == 200
    for n in range(15):
        extra = make_session(starts_at=soon(5 + n), capacity=2, area_id=factories.area(f"Area {n}").id)
        for someone in people[: n % 4]:
            book(extra, someone)
    book(first, person)
    db.session.commit()
    with count_queries() as many:
        assert client.get("/sessions?places=yes").status_code == 200
    assert len(many) == len(few)


# --- one session ----------------------------------------------------------------------


def test_session_page_shows_london_times_across_the_clock_change(client, make_session):
    year = utcnow().year + 1
    summer = make_session(starts_at=datetime(year, 7, 14, 9, 30, tzinfo=LONDON), duration=timedelta(hours=3))
    winter = make_session(starts_at=datetime(year, 1, 13, 9, 30, tzinfo=LONDON), duration=timedelta(hours=3))
    db.session.commit()
    assert summer.starts_at.hour == 8  # stored in UTC: 9:30 in BST
    summer_page = text(client.get(f"/sessions/{summer.id}"))
    assert f"{datetime(year, 7, 14):%A} 14 July {year}, 9:30am to 12:30pm" in summer_page
    winter_page = text(client.get(f"/sessions/{winter.id}"))
    assert f"{datetime(year, 1, 13):%A} 13 January {year}, 9:30am to 12:30pm" in winter_page
    assert client.get("/sessions/999999").status_code == 404


def test_session_page_runs_the_same_statements_however_many_bookings(client, make_session, make_people, person, count_queries):
    session = make_session(starts_at=soon(10), capacity=2, location_kind="online")
    first_two = make_people(2)
    for someone in first_two:
        book(session, someone)
    book(session, person)  # waiting list, number 1
    db.session.commit()
    login(client, person)
    with count_queries() as few:
        page = client.get(f"/sessions/{session.id}")
    assert "You are number 1 on the waiting list" in text(page)
    for someone in make_people(30):  # all on the waiting list after Tom
        book(session, someone)
    db.session.commit()
    with count_queries() as many:
        page = client.get(f"/sessions/{session.id}")
    assert "You are number 1 on the waiting list" in text(page)
    assert len(many) == len(few)


def test_booking_a_place_and_a_double_click_makes_one_booking(client, upcoming, person, outbox):
    db.session.commit()
    login(client, person)
    page = client.get(f"/sessions/{upcoming.id}")
    assert "20 of 20 places left" in text(page) and "Book a place" in text(page)

    first = client.post(f"/sessions/{upcoming.id}/book")
    assert first.status_code == 302 and first.headers["Location"].endswith(f"/sessions/{upcoming.id}")
    second = client.post(f"/sessions/{upcoming.id}/book")
    assert second.status_code == 302 and second.headers["Location"].endswith(f"/sessions/{upcoming.id}")
    assert [b.status for b in bookings_of(upcoming)] == ["booked"]

    # The first redirect's banner was replaced by the second's: already booked.
    after = client.get(f"/sessions/{upcoming.id}")
    html = after.get_data(as_text=True)
    assert "You have a place on" in html and "already booked on this session" in html
    assert "govuk-notification-banner" in html
    assert "19 of 20 places left" in text(after)
    assert "View your booking" in text(after) and "Cancel your booking" in text(after)
    assert "Book a place" not in text(after)
    assert len([e for e in outbox(person) if e.subject.startswith("Booked")]) == 1


def test_a_full_session_offers_the_waiting_list_with_the_position(client, make_session, make_people, person, colleague):
    session = make_session(starts_at=soon(10), capacity=1)
    book(session, make_people(1)[0])
    book(session, colleague)  # number 1 on the list
    db.session.commit()
    login(client, person)
    page = text(client.get(f"/sessions/{session.id}"))
    assert "This session is full" in page and "Join the waiting list" in page
    client.post(f"/sessions/{session.id}/book")
    page = client.get(f"/sessions/{session.id}")
    assert "The session is full, so you are on the waiting list" in text(page)
    assert "You are number 2 on the waiting list" in text(page)
    assert "Leave the waiting list" in text(page)


def test_closed_and_outside_the_audience_give_a_clear_error_and_change_nothing(client, make_session, person, colleague):
    closed = make_session(starts_at=soon(10), signup_closes_at=soon(-1))
    early_years = make_session(starts_at=soon(10), sectors=("early-years",))
    db.session.commit()
    login(client, person)

    page = text(client.get(f"/sessions/{closed.id}"))
    assert "Booking for this session has closed" in page and "Book a place" not in page
    response = client.post(f"/sessions/{closed.id}/book")
    assert response.status_code == 400
    assert "Booking closed on" in error_summary(response)
    assert 'href="#book"' in response.get_data(as_text=True)
    assert response.get_data(as_text=True).count("<title>Error:") == 1
    assert bookings_of(closed) == []

    page = text(client.get(f"/sessions/{early_years.id}"))
    assert "You cannot book this session. This session is for people working in: Early years" in page
    response = client.post(f"/sessions/{early_years.id}/book")
    assert response.status_code == 400
    assert "This session is for people working in: Early years" in error_summary(response)
    assert bookings_of(early_years) == []


def test_the_joining_link_is_shown_only_to_people_with_a_place(client, make_session, make_people, person, colleague):
    session = make_session(starts_at=soon(10), capacity=1, location_kind="online")
    booking = book(session, colleague)
    waiting = book(session, person)
    db.session.commit()
    link = "https://meet.example.org/j/123456"

    assert link not in client.get(f"/sessions/{session.id}").get_data(as_text=True)  # signed out
    login(client, person)
    assert link not in client.get(f"/sessions/{session.id}").get_data(as_text=True)  # waiting
    assert link not in client.get(f"/bookings/{waiting.id}").get_data(as_text=True)
    ics_waiting = client.get(f"/bookings/{waiting.id}/calendar.ics").get_data(as_text=True)
    assert link not in ics_waiting.replace("\r\n ", "")
    client.get("/sign-out")
    login(client, colleague)
    page = client.get(f"/sessions/{session.id}").get_data(as_text=True)
    assert link in page and "Passcode 4242" in page
    assert link in client.get(f"/bookings/{booking.id}").get_data(as_text=True)


def test_the_calendar_file_is_in_london_time(client, make_session, person):
    year = utcnow().year + 1
    session = make_session(starts_at=datetime(year, 6, 2, 13, 0, tzinfo=LONDON), duration=timedelta(hours=2))
    booking = book(session, person)
    db.session.commit()
    login(client, person)
    response = client.get(f"/bookings/{booking.id}/calendar.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert "attachment" in response.headers["Content-Disposition"]
    event = next(iter(Calendar.from_ical(response.data).walk("VEVENT")))
    start = event.decoded("dtstart")
    assert str(start.tzinfo) == "Europe/London" and (start.hour, start.minute) == (13, 0)
    assert to_london(session.starts_at) == start


# --- offers ---------------------------------------------------------------------------


def test_accepting_a_place_offered(client, make_session, make_people, person):
    session = make_session(starts_at=soon(10), capacity=1)
    holder = make_people(1)[0]
    held = book(session, holder)
    waiting = book(session, person)
    services.cancel(held, actor=holder, now=utcnow())
    db.session.commit()
    db.session.refresh(waiting)
    assert waiting.status == "offered"
    login(client, person)

    page = client.get(f"/bookings/{waiting.id}")
    words = text(page)
    expires = waiting.offer_expires_at
    assert "A place is free" in words and "Accept it by" in words
    assert format_datetime(expires) in words
    assert "Accept the place" in words and "Decline the place" in words
    response = client.post(f"/bookings/{waiting.id}/accept")
    assert response.status_code == 302
    assert [b.status for b in bookings_of(session)] == ["cancelled", "booked"]
    assert "You have a place on" in text(client.get(response.headers["Location"]))
    # Accepting again is a clear error, not a second booking.
    again = client.post(f"/bookings/{waiting.id}/accept")
    assert again.status_code == 400 and "There is no place on offer" in error_summary(again)


def test_an_expired_offer_cannot_be_accepted(client, make_session, make_people, person):
    session = make_session(starts_at=soon(10), capacity=1)
    holder = make_people(1)[0]
    held = book(session, holder)
    waiting = book(session, person)
    services.cancel(held, actor=holder, now=utcnow())
    waiting.offer_expires_at = utcnow() - timedelta(minutes=5)
    db.session.commit()
    login(client, person)
    assert "The time to accept this place has passed" in text(client.get(f"/bookings/{waiting.id}"))
    response = client.post(f"/bookings/{waiting.id}/accept")
    assert response.status_code == 400 and "The offer ended on" in error_summary(response)
    assert bookings_of(session)[1].status == "offered"


def test_declining_a_place_offered(client, make_session, make_people, person):
    session = make_session(starts_at=soon(10), capacity=1)
    holder = make_people(1)[0]
    held = book(session, holder)
    waiting = book(session, person)
    services.cancel(held, actor=holder, now=utcnow())
    db.session.commit()
    login(client, person)
    page = text(client.get(f"/bookings/{waiting.id}/cancel"))
    assert "Decline the place offered" in page
    response = client.post(f"/bookings/{waiting.id}/cancel", data={"note": ""})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Booking, waiting.id).ended_reason == "offer-declined"
    assert "The place offered is declined" in text(client.get(response.headers["Location"]))


# --- cancelling -----------------------------------------------------------------------


def test_cancelling_before_the_cut_off(client, upcoming, person):
    booking = book(upcoming, person)
    db.session.commit()
    login(client, person)
    page = text(client.get(f"/bookings/{booking.id}"))
    assert "cancel by the end of" in page
    confirm = text(client.get(f"/bookings/{booking.id}/cancel"))
    assert "Cancel your booking" in confirm and "late cancellation" not in confirm
    response = client.post(f"/bookings/{booking.id}/cancel", data={"note": "Ofsted visit that day"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/bookings/{booking.id}")
    db.session.expire_all()
    cancelled = db.session.get(Booking, booking.id)
    assert (cancelled.status, cancelled.ended_reason, cancelled.cancellation_note) == ("cancelled", "cancelled", "Ofsted visit that day")
    after = text(client.get(response.headers["Location"]))
    assert "The booking is cancelled." in after and "Cancelled" in after
    # Nothing left to cancel.
    again = client.post(f"/bookings/{booking.id}/cancel", data={})
    assert again.status_code == 302
    assert "This booking cannot be changed now: it is cancelled" in text(client.get(again.headers["Location"]))
    assert "This booking cannot be changed now" in text(client.get(f"/bookings/{booking.id}/cancel"))


def test_late_cancellation_is_warned_about_and_recorded(client, make_session, person, organisation):
    session = make_session(starts_at=soon(1), signup_closes_at=soon(0.5))
    booking = book(session, person)
    db.session.add(ChargeRate(organisation_type_id=organisation.type_id, applies_from=date(2000, 1, 1), no_show_pence=5000,
                              late_cancellation_pence=2500, updated_at=utcnow()))
    db.session.commit()
    login(client, person)
    for url in (f"/sessions/{session.id}", f"/bookings/{booking.id}"):
        html = client.get(url).get_data(as_text=True)
        assert "govuk-warning-text" in html and "late cancellation" in html
    confirm = client.get(f"/bookings/{booking.id}/cancel")
    words = text(confirm)
    assert "The cut-off has passed" in words and "recorded as a late cancellation" in words
    assert "Oak Primary School may be charged £25.00" in words
    assert "pass the place to a colleague" in words
    response = client.post(f"/bookings/{booking.id}/cancel", data={})
    assert response.status_code == 302
    assert bookings_of(session)[0].ended_reason == "late-cancelled"
    assert "recorded as a late cancellation" in text(client.get(response.headers["Location"]))


def test_a_cancellation_note_that_is_too_long_is_refused(client, upcoming, person):
    booking = book(upcoming, person)
    db.session.commit()
    login(client, person)
    response = client.post(f"/bookings/{booking.id}/cancel", data={"note": "x" * 501})
    assert response.status_code == 400 and "500 characters or fewer" in error_summary(response)
    assert bookings_of(upcoming)[0].status == "booked"


# --- my bookings ----------------------------------------------------------------------


def test_my_bookings_are_grouped_upcoming_waiting_and_past(client, make_session, make_people, make_course, person):
    later = make_session(make_course("LATER", title="Neglect and its impact"), starts_at=soon(20))
    full = make_session(make_course("FULL", title="Harmful sexual behaviour"), starts_at=soon(12), capacity=1)
    dropped = make_session(make_course("DROP", title="Contextual safeguarding"), starts_at=soon(15))
    book(later, person)
    book(full, make_people(1)[0])
    book(full, make_people(1)[0])
    book(full, person)  # number 2
    services.cancel(book(dropped, person), actor=person, now=utcnow())
    db.session.commit()
    login(client, person)
    html = client.get("/bookings").get_data(as_text=True)
    sections = re.split(r'<caption class="govuk-table__caption', html)
    coming, waiting, past = sections[1], sections[2], sections[3]
    assert "Coming up" in coming and "Neglect and its impact" in coming and "Booked" in coming
    assert "Waiting lists" in waiting and "Harmful sexual behaviour" in waiting and "Number 2 on the list" in waiting
    assert "Past and cancelled" in past and "Contextual safeguarding" in past and "Cancelled" in past


def test_my_bookings_with_none(client, person):
    db.session.commit()
    login(client, person)
    assert "You have no upcoming sessions booked." in text(client.get("/bookings"))


# --- passing a place on ---------------------------------------------------------------


def test_passing_my_place_to_a_colleague_by_email(client, upcoming, person, colleague, outsider, outbox):
    booking = book(upcoming, person)
    db.session.commit()
    login(client, person)
    page = client.get(f"/bookings/{booking.id}/substitute")
    assert "Your colleague&#39;s email address" in page.get_data(as_text=True) or "colleague’s email address" in text(page)
    assert colleague.full_name not in text(page)  # practitioners are not shown their organisation's staff

    for wrong in ("nobody@oak.example", outsider.email, person.email):
        response = client.post(f"/bookings/{booking.id}/substitute", data={"email": wrong})
        assert response.status_code == 400
        assert "Enter the email address of a colleague at Oak Primary School who has an account" in error_summary(response)
    empty = client.post(f"/bookings/{booking.id}/substitute", data={"email": " "})
    assert "Enter your colleague’s email address" in error_summary(empty)
    assert [b.status for b in bookings_of(upcoming)] == ["booked"]

    response = client.post(f"/bookings/{booking.id}/substitute", data={"email": colleague.email.upper()})
    assert response.status_code == 302 and response.headers["Location"].endswith("/bookings")
    rows = bookings_of(upcoming)
    assert [(b.user_id, b.status, b.ended_reason) for b in rows] == [
        (person.id, "cancelled", "substituted"), (colleague.id, "booked", None)
    ]
    assert rows[1].substitute_for_id == booking.id
    assert "Cara Colleague now has the place" in text(client.get("/bookings"))
    assert any(e.subject.startswith("Booked") for e in outbox(colleague))


# --- self check-in --------------------------------------------------------------------


def test_checking_in_with_the_qr_code(client, make_session, make_people, person, colleague):
    start = utcnow().replace(microsecond=0) - timedelta(minutes=10)
    running = make_session(starts_at=start, duration=timedelta(hours=2))
    booking = services.book(running, person, actor=person, now=start - timedelta(days=2))
    db.session.commit()
    url = f"/sessions/{running.id}/check-in/{running.checkin_code}"

    assert client.get(url).status_code == 302  # sign in first
    login(client, person)
    assert client.get(f"/sessions/{running.id}/check-in/not-the-code").status_code == 404
    assert client.get(f"/sessions/{running.id}/check-in/caf%C3%A9").status_code == 404
    page = client.get(url)
    assert page.status_code == 200 and "Check in to this session" in text(page)
    response = client.post(url)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/sessions/{running.id}")
    db.session.expire_all()
    checked = db.session.get(Booking, booking.id)
    assert checked.status == "attended" and checked.checked_in_at is not None
    assert "You are checked in" in text(client.get(response.headers["Location"]))
    assert "You are already checked in" in text(client.get(url))

    client.get("/sign-out")
    login(client, colleague)  # no place
    response = client.post(url)
    assert response.status_code == 400 and "You do not have a place on this session" in error_summary(response)


def test_check_in_is_refused_before_the_session(client, upcoming, person):
    book(upcoming, person)
    db.session.commit()
    login(client, person)
    response = client.post(f"/sessions/{upcoming.id}/check-in/{upcoming.checkin_code}")
    assert response.status_code == 400 and "Check-in opens at" in error_summary(response)
    assert bookings_of(upcoming)[0].status == "booked"


# --- the course page ------------------------------------------------------------------


def test_the_course_page_lists_its_dates_with_places_and_links(client, make_course, make_session, make_people, other_organisation):
    course = make_course("DATES", title="Domestic abuse awareness")
    first = make_session(course, starts_at=soon(7), capacity=3)
    second = make_session(course, starts_at=soon(14), capacity=1, location_kind="online")
    make_session(course, starts_at=soon(21), organisation_id=other_organisation.id)  # outreach: not for everyone
    for someone in make_people(2):
        book(first, someone)
    book(second, make_people(1)[0])
    make_course("NODATES", title="Safer recruitment refresher")
    db.session.commit()

    page = client.get("/courses/DATES")
    html = page.get_data(as_text=True)
    words = text(page)
    assert "1 place left" in words and "Full: join the waiting list" in words
    assert f'href="/sessions/{first.id}"' in html and f'href="/sessions/{second.id}"' in html
    assert html.count('href="/sessions/') == 2
    assert to_london(first.starts_at).strftime("%B") in words and "Online" in words
    assert "No dates are planned" not in words

    none = text(client.get("/courses/NODATES"))
    assert "No dates are planned for this course yet." in none and "to be told when dates are planned" in none


def test_the_course_page_runs_the_same_statements_however_many_dates(client, make_course, make_session, count_queries):
    course = make_course("MANY", title="Working with families")
    make_session(course, starts_at=soon(3))
    db.session.commit()
    with count_queries() as few:
        client.get("/courses/MANY")
    for n in range(12):
        make_session(course, starts_at=soon(4 + n), area_id=factories.area(f"Place {n}").id)
    db.session.commit()
    with count_queries() as many:
        page = client.get("/courses/MANY")
    assert len(many) == len(few)
    assert "See all dates for this course" in text(page)
    assert 'href="/sessions?course=MANY"' in page.get_data(as_text=True)


# --- who may see and do what ----------------------------------------------------------


def test_someone_elses_booking_is_not_found(client, upcoming, person, colleague, outsider):
    theirs = book(upcoming, colleague)
    db.session.commit()
    login(client, person)
    for url in (f"/bookings/{theirs.id}", f"/bookings/{theirs.id}/cancel", f"/bookings/{theirs.id}/substitute",
                f"/bookings/{theirs.id}/calendar.ics", "/bookings/999999"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/bookings/{theirs.id}/cancel", data={}).status_code == 404
    assert client.post(f"/bookings/{theirs.id}/accept").status_code == 404
    assert client.post(f"/bookings/{theirs.id}/substitute", data={"email": person.email}).status_code == 404
    assert bookings_of(upcoming)[0].status == "booked"


def test_signed_out_people_are_asked_to_sign_in(client, upcoming, person):
    booking = book(upcoming, person)
    db.session.commit()
    assert client.get(f"/sessions/{upcoming.id}").status_code == 200
    assert "Sign in" in text(client.get(f"/sessions/{upcoming.id}"))
    for url in ("/bookings", f"/bookings/{booking.id}", f"/bookings/{booking.id}/cancel", f"/bookings/{booking.id}/calendar.ics"):
        response = client.get(url)
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"], url
    assert client.post(f"/sessions/{upcoming.id}/book").status_code == 302
    assert len(bookings_of(upcoming)) == 1


def test_another_organisations_outreach_session_is_not_found(client, make_course, make_session, person, outsider, other_organisation):
    visit = make_session(make_course("VISIT", mode="outreach"), starts_at=soon(9), organisation_id=other_organisation.id)
    db.session.commit()
    assert client.get(f"/sessions/{visit.id}").status_code == 404  # signed out
    login(client, person)
    assert client.get(f"/sessions/{visit.id}").status_code == 404
    assert client.post(f"/sessions/{visit.id}/book").status_code == 404
    assert client.get(f"/sessions/{visit.id}/check-in/{visit.checkin_code}").status_code == 404
    assert bookings_of(visit) == []
    client.get("/sign-out")
    login(client, outsider)
    assert client.get(f"/sessions/{visit.id}").status_code == 200
    assert client.post(f"/sessions/{visit.id}/book").status_code == 302
    assert [b.user_id for b in bookings_of(visit)] == [outsider.id]


def test_the_sessions_trainer_sees_a_booking_but_cannot_pass_it_on(client, upcoming, trainer, person):
    booking = book(upcoming, person)
    db.session.commit()
    login(client, trainer)
    assert client.get(f"/bookings/{booking.id}").status_code == 200
    assert client.get(f"/bookings/{booking.id}/substitute").status_code == 403
    assert client.post(f"/bookings/{booking.id}/accept").status_code == 403
    assert client.post(f"/bookings/{booking.id}/substitute", data={"email": "x@example.org"}).status_code == 403
    assert bookings_of(upcoming)[0].status == "booked"


def test_every_form_needs_its_csrf_token(csrf_app, make_session, make_people, person, colleague):
    client = csrf_app.test_client()
    session = make_session(starts_at=soon(10), capacity=1)
    holder = make_people(1)[0]
    held = book(session, holder)
    offered = book(session, person)
    services.cancel(held, actor=holder, now=utcnow())
    other = make_session(starts_at=soon(11))
    mine = book(other, person)
    db.session.commit()
    login(client, person)

    # Without the token nothing happens.
    posts = [
        (f"/sessions/{other.id}/book", {}),
        (f"/bookings/{offered.id}/accept", {}),
        (f"/bookings/{mine.id}/cancel", {}),
        (f"/bookings/{mine.id}/substitute", {"email": colleague.email}),
        (f"/sessions/{other.id}/check-in/{other.checkin_code}", {}),
    ]
    for url, data in posts:
        assert client.post(url, data=data).status_code == 400, url
    assert [b.status for b in bookings_of(session)] == ["cancelled", "offered"]
    assert [b.status for b in bookings_of(other)] == ["booked"]

    # Every form carries one; with it the post goes through.
    for url in (f"/bookings/{offered.id}", f"/bookings/{mine.id}/cancel", f"/bookings/{mine.id}/substitute",
                f"/sessions/{other.id}/check-in/{other.checkin_code}"):
        csrf_token_from(client.get(url).get_data(as_text=True))
    token = csrf_token_from(client.get(f"/bookings/{offered.id}").get_data(as_text=True))
    assert client.post(f"/bookings/{offered.id}/accept", data={"csrf_token": token}).status_code == 302
    assert bookings_of(session)[1].status == "booked"
    third = make_session(starts_at=soon(12))
    db.session.commit()
    token = csrf_token_from(client.get(f"/sessions/{third.id}").get_data(as_text=True))
    assert client.post(f"/sessions/{third.id}/book", data={"csrf_token": token}).status_code == 302
    assert [b.status for b in bookings_of(third)] == ["booked"]
