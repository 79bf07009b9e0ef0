"""The public month calendar of sessions and the iCalendar feed."""
from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from lms.bookings import services
from lms.bookings.models import Booking, TrainingSession
from lms.core.time import LONDON, as_utc, to_london, utcnow
from lms.extensions import db
from tests import factories


def london(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)


def days_ahead(days: int) -> date:
    return to_london(utcnow()).date() + timedelta(days=days)


def listed(page: str, *sessions: TrainingSession) -> set[int]:
    """Which of the sessions the page links to."""
    return {s.id for s in sessions if f'href="/sessions/{s.id}"' in page}


# --- the month -------------------------------------------------------------------------------

def test_sessions_are_listed_on_the_london_day_they_start(client, make_session):
    # 1 October 2030 at 00:30 is still 30 September in UTC; the clocks go back on 27 October.
    early = make_session(starts_at=datetime(2030, 10, 1, 0, 30, tzinfo=LONDON))
    summer = make_session(starts_at=datetime(2030, 10, 25, 9, 30, tzinfo=LONDON), venue_name="Larchmere Library")
    winter = make_session(starts_at=datetime(2030, 10, 29, 9, 30, tzinfo=LONDON), location_kind="online")
    november = make_session(starts_at=datetime(2030, 11, 1, 0, 30, tzinfo=LONDON))
    db.session.commit()
    assert as_utc(early.starts_at).day == 30 and as_utc(summer.starts_at).hour == 8 and as_utc(winter.starts_at).hour == 9

    page = client.get("/sessions/calendar?month=2030-10").data.decode()
    assert "Sessions in October 2030" in page
    assert listed(page, early, summer, winter, november) == {early.id, summer.id, winter.id}
    assert 'id="day-2030-10-01"' in page and "Tuesday 1 October" in page
    assert page.index('id="day-2030-10-01"') < page.index(f'href="/sessions/{early.id}"') < page.index('id="day-2030-10-25"')
    assert "12:30am to 3:30am" in page
    assert page.count("9:30am to 12:30pm") == 2
    assert "Larchmere Library" in page and "online" in page
    assert 'href="#day-2030-10-25"' in page and 'href="#day-2030-10-29"' in page
    assert "20 places left" in page
    # Previous and next months, keeping nothing else.
    assert 'href="/sessions/calendar?month=2030-09"' in page and 'href="/sessions/calendar?month=2030-11"' in page
    assert "September 2030" in page and "November 2030" in page

    september = client.get("/sessions/calendar?month=2030-09").data.decode()
    assert listed(september, early, summer, winter, november) == set()
    assert "There are no sessions in September 2030" in september
    assert listed(client.get("/sessions/calendar?month=2030-11").data.decode(), early, november) == {november.id}


def test_a_month_that_is_not_a_month_shows_this_month(client):
    today = to_london(utcnow()).date()
    for query in ("", "?month=2030-13", "?month=soon", "?month=1999-01", "?month=2030-1"):
        response = client.get("/sessions/calendar" + query)
        assert response.status_code == 200
        assert f"Sessions in {today:%B %Y}" in response.data.decode()


def test_each_session_says_whether_it_can_be_booked(client, make_session, make_people):
    base = days_ahead(30)
    open_session = make_session(starts_at=london(base, 10), capacity=12)
    full = make_session(starts_at=london(base + timedelta(days=1), 10), capacity=1)
    person = make_people(1)[0]
    services.book(full, person, actor=person, now=utcnow())
    not_open = make_session(starts_at=london(base + timedelta(days=2), 10), signup_opens_at=london(base - timedelta(days=5), 0))
    closed = make_session(starts_at=london(base + timedelta(days=3), 10), signup_closes_at=utcnow() - timedelta(hours=1))
    cancelled = make_session(starts_at=london(base + timedelta(days=4), 10), status="cancelled", cancelled_reason="Venue flooded")
    db.session.commit()
    pages = "".join(client.get(f"/sessions/calendar?month={day:%Y-%m}").data.decode()
                    for day in sorted({base.replace(day=1), (base + timedelta(days=4)).replace(day=1)}))
    assert listed(pages, open_session, full, not_open, closed, cancelled) == {
        open_session.id, full.id, not_open.id, closed.id, cancelled.id}
    opens = base - timedelta(days=5)
    for text in ("12 places left", "Full: you can join the waiting list", f"Booking opens {opens.day} {opens:%B}",
                 "Booking closed", "Cancelled"):
        assert text in pages, text


def test_outreach_sessions_show_only_to_the_people_they_are_for(client, make_session, organisation, other_organisation,
                                                                 person, outsider, trainer):
    day = days_ahead(20)
    public = make_session(starts_at=london(day, 9))
    outreach = make_session(starts_at=london(day, 14), organisation_id=organisation.id, venue_name="Oak Primary School hall")
    lead_elsewhere = factories.user("lead@elsewhere.example", organisation=other_organisation, leads=(organisation,),
                                    roles=("school-dsl",))
    db.session.commit()
    url = f"/sessions/calendar?month={day:%Y-%m}"
    assert listed(client.get(url).data.decode(), public, outreach) == {public.id}
    for viewer, sees in ((outsider, {public.id}), (person, {public.id, outreach.id}),
                         (lead_elsewhere, {public.id, outreach.id}), (trainer, {public.id, outreach.id})):
        factories.sign_in(client, viewer)
        page = client.get(url).data.decode()
        assert listed(page, public, outreach) == sees, viewer.email
        if outreach.id in sees:
            assert "Only for the staff of Oak Primary School" in page
        client.post("/sign-out")


def test_the_calendar_filters_by_course_and_area(client, make_session, make_course):
    day = days_ahead(25)
    south = factories.area("South", code="south-cal")
    twilight = make_course("TW-CAL", title="DSL network twilight", mode="twilight")
    general = make_session(starts_at=london(day, 9))
    network = make_session(twilight, starts_at=london(day, 16), area_id=south.id)
    db.session.commit()
    base = f"/sessions/calendar?month={day:%Y-%m}"
    assert listed(client.get(base).data.decode(), general, network) == {general.id, network.id}
    page = client.get(base + "&course=TW-CAL").data.decode()
    assert listed(page, general, network) == {network.id}
    assert "course=TW-CAL" in page.split("Other months")[1][:2000]  # month links keep the filter
    assert listed(client.get(base + "&area=south-cal").data.decode(), general, network) == {network.id}
    assert listed(client.get(base + "&course=NOPE").data.decode(), general, network) == set()


def test_the_calendar_runs_a_fixed_number_of_statements(client, make_session, organisation, person, count_queries):
    day = (days_ahead(10).replace(day=1) + timedelta(days=40)).replace(day=1)  # the first of a month to come
    area = factories.area("West", code="west-cal")
    for n in range(2):
        make_session(starts_at=london(day + timedelta(days=n), 10), area_id=area.id, organisation_id=organisation.id)
    db.session.commit()
    url = f"/sessions/calendar?month={day:%Y-%m}"
    factories.sign_in(client, person)
    counts = {}
    for label in ("few", "many"):
        if label == "many":
            for n in range(2, 20):
                session = make_session(starts_at=london(day + timedelta(days=n % 27), 9 + n % 8), area_id=area.id,
                                       organisation_id=organisation.id if n % 2 else None, capacity=1)
                services.book(session, person, actor=person, now=utcnow())
        db.session.commit()  # the client shares the test's database session: count from the same state
        with count_queries() as statements:
            page = client.get(url).data.decode()
        counts[label] = len(statements)
    assert page.count('href="/sessions/') >= 20
    assert counts["many"] == counts["few"]
    client.post("/sign-out")
    db.session.commit()
    with count_queries() as anonymous:
        client.get(url)
    assert len(anonymous) <= counts["few"]


# --- the feed ---------------------------------------------------------------------------------

def _summer_and_winter_days() -> tuple[date, date]:
    """A day in British Summer Time and one in GMT, both within the next year."""
    summer = winter = None
    for n in range(14, 360, 7):
        day = days_ahead(n)
        if london(day, 12).utcoffset() and summer is None:
            summer = day
        if not london(day, 12).utcoffset() and winter is None:
            winter = day
    return summer, winter


def test_the_feed_has_upcoming_public_sessions_in_london_time(client, make_session, organisation, person):
    summer, winter = _summer_and_winter_days()
    in_summer = make_session(starts_at=london(summer, 9, 30))
    in_winter = make_session(starts_at=london(winter, 9, 30), location_kind="online")
    past = make_session(starts_at=utcnow() - timedelta(days=3), signup_closes_at=utcnow() - timedelta(days=4))
    outreach = make_session(starts_at=london(winter, 13), organisation_id=organisation.id)
    called_off = make_session(starts_at=london(summer, 14), status="cancelled", cancelled_reason="Trainer ill", sequence=1)
    db.session.commit()

    response = client.get("/sessions/calendar.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    body = response.data.decode()
    assert "meet.example.org" not in body and "Passcode" not in body  # never the joining details
    events = {str(e["uid"]): e for e in Calendar.from_ical(response.data).walk("VEVENT")}
    ids = {int(uid.split("-")[1].split("@")[0]) for uid in events}
    assert ids == {in_summer.id, in_winter.id, called_off.id}
    by_id = {int(uid.split("-")[1].split("@")[0]): event for uid, event in events.items()}
    for session in (in_summer, in_winter):
        start = by_id[session.id].decoded("dtstart")
        assert str(start.tzinfo) == "Europe/London"
        assert (start.hour, start.minute) == (9, 30)
        assert as_utc(start) == as_utc(session.starts_at)
    assert as_utc(by_id[in_summer.id].decoded("dtstart")).hour == 8
    assert as_utc(by_id[in_winter.id].decoded("dtstart")).hour == 9
    assert str(by_id[in_winter.id]["location"]) == "Online"
    assert str(by_id[called_off.id]["status"]) == "CANCELLED"
    assert str(by_id[in_summer.id]["status"]) == "CONFIRMED"
    assert past.id not in ids and outreach.id not in ids

    factories.sign_in(client, person)
    signed_in = {int(str(e["uid"]).split("-")[1].split("@")[0])
                 for e in Calendar.from_ical(client.get("/sessions/calendar.ics").data).walk("VEVENT")}
    assert outreach.id in signed_in


def test_the_feed_can_be_for_one_course(client, make_session, make_course):
    other = make_course("GOV-CAL", title="Safeguarding for governors", mode="virtual")
    mine = make_session(other, starts_at=london(days_ahead(30), 18), location_kind="online")
    make_session(starts_at=london(days_ahead(31), 9))
    db.session.commit()
    events = list(Calendar.from_ical(client.get("/sessions/calendar.ics?course=GOV-CAL").data).walk("VEVENT"))
    assert [str(e["uid"]).split("@")[0] for e in events] == [f"session-{mine.id}"]
    page = client.get(f"/sessions/calendar?month={days_ahead(30):%Y-%m}&course=GOV-CAL").data.decode()
    assert "/sessions/calendar.ics?course=GOV-CAL" in page


# --- the demo ---------------------------------------------------------------------------------

def test_the_demo_sessions_are_valid_and_show_on_the_calendar(client):
    from lms.demo.data import create_demo_data
    from lms.demo.history import create_demo_history
    from lms.demo.sessions import add_demo_sessions

    now = utcnow()
    create_demo_data(if_empty=False, seed=7, now=now)
    create_demo_history(seed=7, now=now)
    summary = add_demo_sessions(now, random.Random(7))
    db.session.commit()
    sessions = list(db.session.scalars(select(TrainingSession)))
    assert len(sessions) == summary.sessions >= 20
    assert any(as_utc(s.starts_at) < now for s in sessions) and any(as_utc(s.starts_at) > now for s in sessions)
    modes = {s.course.delivery_mode for s in sessions}
    assert {"face-to-face", "virtual", "twilight", "outreach"} <= modes
    assert any(s.organisation_id for s in sessions) and any(s.requires_approval for s in sessions)
    assert any(s.is_online for s in sessions) and any(s.area_id for s in sessions if not s.is_online)
    counts = services.place_counts([s.id for s in sessions])
    # Never overbooked; some full with a waiting list; a few past registers marked.
    assert all(counts[s.id]["places"] <= s.capacity for s in sessions)
    assert any(counts[s.id]["places"] == s.capacity and counts[s.id]["waiting"] for s in sessions)
    assert db.session.scalar(select(func.count()).select_from(Booking).where(Booking.status == "attended")) > 0
    assert db.session.scalar(select(func.count()).select_from(Booking).where(Booking.status == "requested")) > 0
    # The demo books people without emailing them.
    from lms.notifications.models import OutboundEmail

    assert db.session.scalar(select(func.count()).select_from(OutboundEmail)) == 0
    upcoming = min((s for s in sessions if as_utc(s.starts_at) > now and not s.organisation_id), key=lambda s: s.starts_at)
    page = client.get(f"/sessions/calendar?month={to_london(upcoming.starts_at):%Y-%m}").data.decode()
    assert f'href="/sessions/{upcoming.id}"' in page


# --- in a real browser -----------------------------------------------------------------------

@pytest.mark.browser
def test_the_calendar_is_accessible(page, axe, make_session, organisation):
    day = days_ahead(30)
    make_session(starts_at=london(day, 9, 30))
    make_session(starts_at=london(day, 16), location_kind="online", status="cancelled", cancelled_reason="Trainer ill")
    make_session(starts_at=london(day + timedelta(days=2), 10), organisation_id=organisation.id)
    db.session.commit()
    page.goto(f"/sessions/calendar?month={day:%Y-%m}")
    axe(page)
    page.get_by_role("link", name=f"{day.day} {day:%B}:").click()
    assert page.url.endswith(f"#day-{day.isoformat()}")
    page.locator(".govuk-pagination__next a").first.click()
    page.wait_for_url(f"**month={(day.replace(day=1) + timedelta(days=32)):%Y-%m}")
    axe(page)
