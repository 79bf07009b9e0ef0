"""The public programme page (no sign-in), an event's calendar file, the week as data for
the API, reminders the day before, and professionals booking a "both" event as usual."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from icalendar import Calendar

from lms.bookings import services as bookings
from lms.extensions import db
from lms.programmes.week import services
from tests import factories
from tests.conftest import NOW


def test_the_programme_page_shows_the_week_by_day_to_anyone(client, week):
    response = client.get("/safeguarding-week")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Safeguarding Week 2027" in html and "See me, hear me, know me" in html
    assert "Led by Safeguarding Children Partnership, Safeguarding Adults Board, Community Safety Partnership" in html
    # By day, in order: Monday 14 (professionals), Tuesday 15 (public), Wednesday 16, Thursday 17.
    days = [html.index(day) for day in ("Monday 14 June", "Tuesday 15 June", "Wednesday 16 June", "Thursday 17 June")]
    assert days == sorted(days)
    assert "2 places left" in html
    assert "Drop in: no need to book" in html
    assert f'/safeguarding-week/events/{week.public.id}/register' in html
    assert f'/safeguarding-week/events/{week.professionals.id}/register' not in html
    assert f'/sessions/{week.professionals.session_id}' in html  # professionals book with their account
    assert 'media="print"' in html
    assert client.get("/safeguarding-week/static/week-print.css").status_code == 200
    assert client.get(f"/safeguarding-week/{week.programme.id}").status_code == 200
    assert client.get("/safeguarding-week/999999").status_code == 404


def test_no_week_yet(client):
    assert client.get("/safeguarding-week").status_code == 404


def test_an_events_calendar_file(client, week):
    response = client.get(f"/safeguarding-week/events/{week.public.id}/calendar.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    event = next(c for c in Calendar.from_ical(response.data).walk("VEVENT"))
    assert "Staying safe online" in str(event["summary"])
    assert event.decoded("dtstart").isoformat() == "2027-06-15T10:00:00+01:00"


def test_the_week_as_data(week):
    detail = services.week_detail(week.programme)
    assert detail["theme"] == "See me, hear me, know me"
    assert [day["date"] for day in detail["days"]] == ["2027-06-14", "2027-06-15", "2027-06-16", "2027-06-17"]
    stall = detail["days"][3]["events"][0]
    assert (stall["kind"], stall["drop_in"], stall["places_left"], stall["organiser"]) == (
        "stall", True, None, "Calder Domestic Abuse Service")
    public = detail["days"][1]["events"][0]
    assert (public["audience"], public["places_left"], public["starts_at"]) == ("public", 2, "2027-06-15T09:00:00+00:00")


def test_a_reminder_goes_once_the_day_before(week):
    registration, _ = services.register(week.public, "Ann One", "ann@example.org", now=NOW)
    services.confirm(registration, now=NOW)
    waiting_only, _ = services.register(week.public, "Bob Two", "bob@example.org", now=NOW)  # held, not confirmed
    db.session.commit()
    two_days_before = datetime(2027, 6, 13, 9, 0, tzinfo=timezone.utc)
    assert services.queue_reminders(now=two_days_before) == 0
    day_before = datetime(2027, 6, 14, 10, 0, tzinfo=timezone.utc)
    assert services.queue_reminders(now=day_before) == 1
    assert services.queue_reminders(now=day_before + timedelta(hours=1)) == 0
    assert waiting_only.reminder_sent_at is None


def test_a_professional_books_a_both_event_as_usual_and_it_counts_as_an_event(week):
    school = factories.organisation("Brook Lane Primary")
    pro = factories.user("pat@brook.example", organisation=school)
    services.register(week.both, "Hal Eight", "hal@example.org", now=NOW)
    booking = bookings.book(week.both.session, pro, actor=pro, now=NOW)
    assert booking.status == "booked"
    assert week.both.session.course.delivery_mode == "event"
    other = factories.user("sam@brook.example", organisation=school)
    # Two places: one public, one professional, so the next professional waits.
    assert bookings.book(week.both.session, other, actor=other, now=NOW).status == "waitlisted"


def test_registrants_hear_once_of_a_new_time_and_of_a_cancellation(admin, week):
    from lms.bookings.sessions import services as sessions
    from lms.notifications.models import OutboundEmail
    from lms.programmes.week.models import PublicRegistration
    from sqlalchemy import select

    moved, _ = services.register(week.public, "Ann One", "ann@example.org", now=NOW)
    dropped, _ = services.register(week.both, "Bob Two", "bob@example.org", now=NOW)
    db.session.commit()
    assert services.tell_of_changes(now=NOW) == {"changed": 0, "cancelled": 0}

    details = sessions.copy_details(week.public.session)
    details.starts_at += timedelta(hours=1)
    details.ends_at += timedelta(hours=1)
    sessions.update_session(week.public.session, details, actor=admin, now=NOW + timedelta(hours=1))
    sessions.cancel_session(week.both.session, reason="The speaker is ill", actor=admin, now=NOW + timedelta(hours=1))
    db.session.commit()
    assert services.tell_of_changes(now=NOW + timedelta(hours=2)) == {"changed": 1, "cancelled": 1}
    assert services.tell_of_changes(now=NOW + timedelta(hours=3)) == {"changed": 0, "cancelled": 0}
    db.session.refresh(moved)
    db.session.refresh(dropped)
    assert (moved.status, dropped.status) == ("awaiting-confirmation", "cancelled")
    subjects = list(db.session.scalars(select(OutboundEmail.subject).order_by(OutboundEmail.id)))
    assert "Changed: new details: Staying safe online: for parents" in subjects
    assert "Cancelled: Recognising domestic abuse" in subjects
    body = db.session.scalar(select(OutboundEmail.body_text).where(OutboundEmail.subject.startswith("Cancelled")))
    assert "The speaker is ill" in body
    assert services.held_places(None, session_ids=[week.both.session_id]) == {}
