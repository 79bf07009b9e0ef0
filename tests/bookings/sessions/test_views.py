"""The trainers' and admins' session pages: list, add, copy, change, cancel and one session's
bookings. Pages run against the real clock, so sessions here are dated from today; the
clock-change tests use the UK changes of 2030 (31 March and 27 October)."""
from __future__ import annotations

import html
import re
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from lms.audit.models import AuditEvent
from lms.bookings import services
from lms.bookings.formatting import day as day_words
from lms.bookings.sessions.forms import ClockChangeError, london_to_utc, parse_time
from lms.bookings.models import Booking, TrainingSession
from lms.core.time import LONDON, as_utc, to_london, utcnow
from lms.extensions import db
from lms.organisations.models import Sector
from tests import factories
from tests.conftest import csrf_token_from


def london(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)


def days_ahead(days: int = 40) -> date:
    return to_london(utcnow()).date() + timedelta(days=days)


def form_data(of, on: date, **changes) -> dict:
    """A valid form for a session of course `of` on London day `on`, with `changes`."""
    data = {
        "course": of.code,
        "day": [str(on.day), str(on.month), str(on.year)],
        "start_time": "9:30am",
        "end_time": "12:30pm",
        "location_kind": "in-person",
        "venue_name": "Hartmoor Civic Centre, Room 4",
        "venue_address": "1 Market Place\nHartmoor",
        "venue_postcode": "hm1 1aa",
        "access_notes": "Step-free entrance on Mill Road",
        "capacity": "20",
        "minimum": "6",
        "cancellation_working_days": "3",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def checked(page: str, name: str) -> set[str]:
    """The values of the ticked checkboxes (or radios) called `name`."""
    inputs = re.findall(r"<input[^>]*>", page)
    return {re.search(r'value="([^"]*)"', tag)[1] for tag in inputs
            if f'name="{name}"' in tag and re.search(r"\bchecked\b", tag)}


def values(page: str, name: str) -> list[str]:
    """The values of the text inputs called `name`, in order (a date has three)."""
    found = []
    for tag in re.findall(r"<input[^>]*>", page):
        if f'name="{name}"' in tag and "checkbox" not in tag and "radio" not in tag:
            value = re.search(r'value="([^"]*)"', tag)
            found.append(html.unescape(value[1]) if value else "")
    return found


def errors(page: str) -> list[str]:
    """The messages in the error summary."""
    summary = page[page.index("govuk-error-summary"):] if "govuk-error-summary" in page else ""
    summary = summary[:summary.find("</ul>")]
    return [html.unescape(re.sub(r"\s+", " ", m).strip()) for m in re.findall(r'<a href="#[^"]*">([^<]*)</a>', summary)]


def session_count() -> int:
    return db.session.scalar(select(func.count()).select_from(TrainingSession))


@pytest.fixture()
def upcoming(make_session, trainer):
    """A session 40 days from today, 9:30am to 12:30pm London, run by `trainer`."""
    day = days_ahead(40)
    return make_session(starts_at=london(day, 9, 30), trainers=[trainer], signup_closes_at=london(day - timedelta(days=1), 17))


@pytest.fixture()
def other_trainer():
    return factories.user("otto@partnership.example", full_name="Otto Other", trainer=True, roles=("other",))


# --- access ----------------------------------------------------------------------------------

def test_signed_out_people_are_sent_to_sign_in(client, upcoming):
    db.session.commit()
    for url in ("/manage/sessions", "/manage/sessions/new", f"/manage/sessions/{upcoming.id}"):
        response = client.get(url)
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_practitioners_and_setting_leads_cannot_manage_sessions(client, upcoming, person, lead):
    db.session.commit()
    for someone in (person, lead):
        factories.sign_in(client, someone)
        for url in ("/manage/sessions", "/manage/sessions/new", f"/manage/sessions/{upcoming.id}",
                    f"/manage/sessions/{upcoming.id}/edit", f"/manage/sessions/{upcoming.id}/copy",
                    f"/manage/sessions/{upcoming.id}/cancel"):
            assert client.get(url).status_code == 403, url
        assert client.post(f"/manage/sessions/{upcoming.id}/cancel", data={"reason": "No"}).status_code == 403
        client.post("/sign-out")
    assert db.session.get(TrainingSession, upcoming.id).status == "scheduled"


def test_a_trainer_manages_only_their_own_sessions(client, upcoming, other_trainer, course):
    db.session.commit()
    factories.sign_in(client, other_trainer)
    for url in (f"/manage/sessions/{upcoming.id}", f"/manage/sessions/{upcoming.id}/edit",
                f"/manage/sessions/{upcoming.id}/copy", f"/manage/sessions/{upcoming.id}/cancel"):
        assert client.get(url).status_code == 403, url
    before = session_count()
    assert client.post(f"/manage/sessions/{upcoming.id}/edit", data=form_data(course, days_ahead(41))).status_code == 403
    assert client.post(f"/manage/sessions/{upcoming.id}/copy", data=form_data(course, days_ahead(47))).status_code == 403
    assert client.post(f"/manage/sessions/{upcoming.id}/cancel", data={"reason": "Trainer ill"}).status_code == 403
    db.session.expire_all()
    assert session_count() == before
    assert db.session.get(TrainingSession, upcoming.id).status == "scheduled"
    assert as_utc(db.session.get(TrainingSession, upcoming.id).starts_at) == as_utc(london(days_ahead(40), 9, 30))
    # Their own list does not show it.
    page = client.get("/manage/sessions").data.decode()
    assert "0 sessions" in page and f"/manage/sessions/{upcoming.id}\"" not in page


def test_missing_sessions_are_not_found(client, admin):
    db.session.commit()
    factories.sign_in(client, admin)
    for url in ("/manage/sessions/999999", "/manage/sessions/999999/edit", "/manage/sessions/999999/copy",
                "/manage/sessions/999999/cancel"):
        assert client.get(url).status_code == 404


def test_trainers_see_their_sessions_and_admins_see_all(client, make_session, upcoming, trainer, other_trainer, admin):
    theirs = make_session(starts_at=london(days_ahead(50), 14), trainers=[other_trainer], venue_name="Fenmarsh Library")
    db.session.commit()
    factories.sign_in(client, trainer)
    page = client.get("/manage/sessions").data.decode()
    assert "Your sessions" in page and "1 session<" in page
    assert f"/manage/sessions/{upcoming.id}\"" in page and f"/manage/sessions/{theirs.id}\"" not in page
    client.post("/sign-out")
    factories.sign_in(client, admin)
    page = client.get("/manage/sessions").data.decode()
    assert "2 sessions" in page
    assert f"/manage/sessions/{upcoming.id}\"" in page and f"/manage/sessions/{theirs.id}\"" in page
    page = client.get(f"/manage/sessions?trainer={other_trainer.id}").data.decode()
    assert f"/manage/sessions/{theirs.id}\"" in page and f"/manage/sessions/{upcoming.id}\"" not in page
    assert client.get(f"/manage/sessions/{theirs.id}").status_code == 200


def test_list_filters_by_when_course_and_area(client, make_session, make_course, upcoming, admin):
    north = factories.area("North", code="north-test")
    other_course = make_course("GOV-T", title="Safeguarding for governors", mode="virtual")
    past = make_session(starts_at=london(days_ahead(-10), 10), trainers=[], signup_closes_at=london(days_ahead(-11), 10))
    online = make_session(other_course, starts_at=london(days_ahead(20), 18), location_kind="online", area_id=north.id)
    db.session.commit()
    factories.sign_in(client, admin)

    def listed(query: str) -> set[int]:
        page = client.get("/manage/sessions" + query).data.decode()
        return {s for s in (upcoming.id, past.id, online.id) if f"/manage/sessions/{s}\"" in page}

    assert listed("") == {upcoming.id, online.id}
    assert listed("?when=past") == {past.id}
    assert listed("?when=all") == {upcoming.id, past.id, online.id}
    assert listed("?course=GOV-T") == {online.id}
    assert listed("?area=north-test") == {online.id}
    assert listed("?when=nonsense&page=abc") == {upcoming.id, online.id}


def test_the_list_runs_a_fixed_number_of_statements(client, make_session, make_people, trainer, count_queries):
    area = factories.area("East", code="east-test")
    org = factories.organisation("Statement School", area=area)
    for n in range(2):
        make_session(starts_at=london(days_ahead(30 + n), 9), trainers=[trainer], area_id=area.id, organisation_id=org.id)
    db.session.commit()
    factories.sign_in(client, trainer)
    db.session.commit()  # the client shares the test's database session: start both counts from the same state
    with count_queries() as few:
        assert client.get("/manage/sessions").status_code == 200
    other = factories.user(trainer=True, roles=("other",))
    people = make_people(3, org)
    for n in range(2, 12):
        session = make_session(starts_at=london(days_ahead(30 + n), 9), trainers=[trainer, other], area_id=area.id,
                               organisation_id=org.id, capacity=2)
        for who in people:
            services.book(session, who, actor=who, now=utcnow())
    db.session.commit()
    with count_queries() as many:
        page = client.get("/manage/sessions")
    assert page.status_code == 200 and "12 sessions" in page.data.decode()
    assert len(many) == len(few)


# --- adding ----------------------------------------------------------------------------------

def test_adding_starts_by_choosing_a_bookable_course(client, trainer, course, make_course):
    make_course("EL-1", title="An e-learning course", mode="elearning")
    make_course("OLD-1", title="A retired course", active=False)
    db.session.commit()
    factories.sign_in(client, trainer)
    page = client.get("/manage/sessions/new").data.decode()
    assert "Which course is the session for?" in page
    assert "Working together to safeguard children" in page
    assert "An e-learning course" not in page and "A retired course" not in page
    page = client.get("/manage/sessions/new?course=EL-1").data.decode()
    assert "Select a course from the list" in page and "There is a problem" in page
    page = client.get(f"/manage/sessions/new?course={course.code}").data.decode()
    assert "Add a session" in page and 'name="start_time"' in page


def test_the_new_session_form_starts_from_the_course(client, trainer, make_course):
    course = make_course("EY-T", title="Early years safeguarding")
    course.audience_sectors = list(db.session.scalars(select(Sector).where(Sector.code == "early-years")))
    db.session.commit()
    factories.sign_in(client, trainer)
    page = client.get("/manage/sessions/new?course=EY-T").data.decode()
    early_years = db.session.scalar(select(Sector).where(Sector.code == "early-years"))
    education = db.session.scalar(select(Sector).where(Sector.code == "education"))
    assert checked(page, "sectors") == {str(early_years.id)}
    assert education.id != early_years.id
    assert checked(page, "roles") == set()
    assert checked(page, "trainers") == {str(trainer.id)}
    assert checked(page, "location_kind") == {"in-person"}
    assert values(page, "cancellation_working_days") == ["3"]
    assert values(page, "minimum") == ["0"] and values(page, "capacity") == [""]


def test_a_trainer_adds_a_session(client, trainer, course, outbox):
    db.session.commit()
    factories.sign_in(client, trainer)
    day = days_ahead(60)
    response = client.post(f"/manage/sessions/new?course={course.code}", data=form_data(
        course, day, signup_closes_on=[str((day - timedelta(days=2)).day), str((day - timedelta(days=2)).month),
                                       str((day - timedelta(days=2)).year)],
        signup_closes_time="5pm", requires_approval="y",
    ))
    assert response.status_code == 302
    session = db.session.scalar(select(TrainingSession))
    assert response.headers["Location"].endswith(f"/manage/sessions/{session.id}")
    assert as_utc(session.starts_at) == as_utc(london(day, 9, 30))
    assert as_utc(session.ends_at) == as_utc(london(day, 12, 30))
    assert as_utc(session.signup_closes_at) == as_utc(london(day - timedelta(days=2), 17))
    assert session.venue_postcode == "HM1 1AA" and session.capacity == 20 and session.minimum == 6
    assert session.requires_approval is True and session.signup_opens_at is None
    assert [t.id for t in session.trainers] == [trainer.id]  # a trainer always runs what they add
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "session.create")) is not None
    page = client.get(response.headers["Location"]).data.decode()
    assert "Session added" in page and "20 of 20 places left" in page.replace("<strong>", "").replace("</strong>", "")


def test_times_are_london_times_in_summer_and_on_clock_change_days(client, admin, course):
    db.session.commit()
    factories.sign_in(client, admin)
    cases = [
        (date(2030, 7, 16), "9:30am", "12:30pm", datetime(2030, 7, 16, 8, 30), datetime(2030, 7, 16, 11, 30)),
        (date(2030, 12, 3), "09:30", "15:00", datetime(2030, 12, 3, 9, 30), datetime(2030, 12, 3, 15, 0)),
        # The clocks go forward at 1am on 31 March 2030: 10am is 9am UTC, midnight is midnight.
        (date(2030, 3, 31), "12am", "10am", datetime(2030, 3, 31, 0, 0), datetime(2030, 3, 31, 9, 0)),
        # And back at 2am on 27 October 2030: 12:30am is still BST, 2:30am is GMT.
        (date(2030, 10, 27), "12:30am", "02:30", datetime(2030, 10, 26, 23, 30), datetime(2030, 10, 27, 2, 30)),
    ]
    for day, start, end, starts_utc, ends_utc in cases:
        response = client.post("/manage/sessions/new", data=form_data(course, day, start_time=start, end_time=end))
        assert response.status_code == 302, (day, response.data.decode()[:2000])
        session = db.session.scalar(select(TrainingSession).order_by(TrainingSession.id.desc()))
        assert as_utc(session.starts_at).replace(tzinfo=None) == starts_utc
        assert as_utc(session.ends_at).replace(tzinfo=None) == ends_utc


def test_a_time_the_clocks_skip_or_repeat_is_refused_with_a_clear_message(client, admin, course):
    db.session.commit()
    factories.sign_in(client, admin)
    page = client.post("/manage/sessions/new", data=form_data(course, date(2030, 3, 31), start_time="1:30am",
                                                              end_time="4am")).data.decode()
    assert "There is no 1:30am on Sunday 31 March 2030: the clocks go forward an hour at 1am" in page
    assert 'href="#start_time"' in page
    page = client.post("/manage/sessions/new", data=form_data(course, date(2030, 10, 27), start_time="12am",
                                                              end_time="01:15")).data.decode()
    assert "1:15am happens twice on Sunday 27 October 2030: the clocks go back an hour at 2am" in page
    assert 'href="#end_time"' in page
    assert session_count() == 0


def test_london_to_utc_and_time_parsing():
    assert london_to_utc(date(2030, 3, 31), time(2, 0)).isoformat() == "2030-03-31T01:00:00+00:00"
    assert london_to_utc(date(2030, 3, 31), time(0, 59)).isoformat() == "2030-03-31T00:59:00+00:00"
    assert london_to_utc(date(2030, 10, 27), time(0, 59)).isoformat() == "2030-10-26T23:59:00+00:00"
    assert london_to_utc(date(2030, 10, 27), time(2, 0)).isoformat() == "2030-10-27T02:00:00+00:00"
    for day, at in ((date(2030, 3, 31), time(1, 0)), (date(2030, 3, 31), time(1, 59)),
                    (date(2030, 10, 27), time(1, 0)), (date(2030, 10, 27), time(1, 59))):
        with pytest.raises(ClockChangeError):
            london_to_utc(day, at)
    assert parse_time("9:30am") == time(9, 30)
    assert parse_time("9.30 a.m.") == time(9, 30)
    assert parse_time("2pm") == time(14, 0)
    assert parse_time("12pm") == time(12, 0) and parse_time("12am") == time(0, 0) and parse_time("midday") == time(12, 0)
    assert parse_time("14:00") == time(14, 0) and parse_time("02:00") == time(2, 0) and parse_time("9:15") == time(9, 15)
    for text, message in (("2:00", "with am or pm, like 2:00pm, or on the 24-hour clock, like 14:00"),
                          ("9", "with am or pm"), ("25:00", "a real time"), ("9:75", "a real time"),
                          ("13pm", "a real time"), ("half nine", "as a time")):
        with pytest.raises(ValueError, match=message):
            parse_time(text)


def test_bad_input_gets_messages_on_the_right_fields_and_changes_nothing(client, admin, course, make_course):
    outreach = make_course("OUT-T", title="Whole-staff safeguarding at your setting", mode="outreach")
    elearning = make_course("EL-T", title="E-learning", mode="elearning")
    db.session.commit()
    factories.sign_in(client, admin)
    day = days_ahead(30)
    cases = [
        ({"start_time": "", "end_time": "", "capacity": ""}, ["Enter the start time", "Enter the end time", "Enter the number of places"]),
        ({"day": ["31", "2", str(day.year + 1)]}, ["Date must be a real date"]),
        ({"end_time": "9am"}, ["The end must be after the start"]),
        ({"capacity": "twenty"}, ["Enter the number of places as a whole number, like 20"]),
        ({"capacity": "0"}, ["Places must be between 1 and 2000"]),
        ({"minimum": "30"}, ["The minimum number must be between 0 and the number of places"]),
        ({"location_kind": "online", "joining_url": "meet.example.org/123"}, ["Enter the joining link, starting https://"]),
        ({"venue_name": ""}, ["Enter the venue's name"]),
        ({"signup_closes_time": "5pm"}, ["Enter the date booking closes, or leave the time blank"]),
        ({"signup_closes_on": [str(day.day), str(day.month), str(day.year)], "signup_closes_time": "11am"},
         ["Booking must close before the session starts"]),
        ({"cancellation_working_days": "30"}, ["The cancellation cut-off must be between 0 and 20 working days"]),
        ({"course": outreach.code}, ["An outreach session is for one organisation: choose it"]),
        ({"course": elearning.code}, ["Select a course from the list"]),
    ]
    for changes, messages in cases:
        response = client.post("/manage/sessions/new", data=form_data(course, day, **changes))
        page = response.data.decode()
        assert response.status_code == 200, changes
        assert "There is a problem" in page, changes
        assert errors(page) == messages, changes
    assert session_count() == 0


def test_an_outreach_session_for_one_organisation_online(client, admin, make_course, organisation):
    outreach = make_course("OUT-T", title="Whole-staff safeguarding at your setting", mode="outreach")
    db.session.commit()
    factories.sign_in(client, admin)
    page = client.get("/manage/sessions/new?course=OUT-T").data.decode()
    assert 'data-module="app-autocomplete"' in page and "Oak Primary School" in page
    response = client.post("/manage/sessions/new", data=form_data(
        outreach, days_ahead(25), organisation=str(organisation.id), location_kind="online",
        joining_url="https://meet.example.org/j/987", joining_notes="Passcode 1234",
    ))
    assert response.status_code == 302
    session = db.session.scalar(select(TrainingSession))
    assert session.organisation_id == organisation.id and session.is_online
    assert session.joining_url == "https://meet.example.org/j/987" and session.venue_name is None
    assert session.trainers == []  # an admin adding a session need not run it


# --- changing ----------------------------------------------------------------------------------

def test_changing_the_time_tells_the_people_booked(client, upcoming, trainer, make_people, outbox, course):
    booked, waiting = make_people(2)
    services.book(upcoming, booked, actor=booked, now=utcnow())
    upcoming.capacity = 1
    services.book(upcoming, waiting, actor=waiting, now=utcnow())
    db.session.commit()
    factories.sign_in(client, trainer)
    page = client.get(f"/manage/sessions/{upcoming.id}/edit").data.decode()
    assert "2 people are booked, waiting or offered a place" in page
    day = days_ahead(40)
    assert values(page, "day") == [f"{day.day:02d}", f"{day.month:02d}", str(day.year)]
    assert values(page, "start_time") == ["9:30am"] and values(page, "end_time") == ["12:30pm"]
    assert values(page, "end_day") == ["", "", ""]
    sent_before = len(outbox())
    response = client.post(f"/manage/sessions/{upcoming.id}/edit", data=form_data(
        course, day, start_time="1:30pm", end_time="4:30pm", capacity="1", minimum="0",
        signup_closes_on=[str((day - timedelta(days=1)).day), str((day - timedelta(days=1)).month), str((day - timedelta(days=1)).year)],
        signup_closes_time="5pm", trainers=[str(trainer.id)],
    ))
    assert response.status_code == 302, errors(response.data.decode())
    session = db.session.get(TrainingSession, upcoming.id)
    assert as_utc(session.starts_at) == as_utc(london(day, 13, 30)) and session.sequence == 1
    changed = [e for e in outbox()[sent_before:] if e.subject.startswith("Session changed")]
    assert sorted(e.to_address for e in changed) == sorted([booked.email, waiting.email])
    page = client.get(response.headers["Location"]).data.decode()
    assert "We have emailed the 2 people booked or waiting" in page


def test_places_cannot_go_below_the_people_booked(client, upcoming, trainer, make_people, course):
    for who in make_people(3):
        services.book(upcoming, who, actor=who, now=utcnow())
    db.session.commit()
    factories.sign_in(client, trainer)
    page = client.post(f"/manage/sessions/{upcoming.id}/edit", data=form_data(
        course, days_ahead(40), capacity="2", minimum="0", trainers=[str(trainer.id)])).data.decode()
    assert errors(page) == ["3 places are taken: places cannot go below that"] and 'href="#capacity"' in page
    db.session.expire_all()
    assert db.session.get(TrainingSession, upcoming.id).capacity == 20


def test_a_cancelled_session_cannot_be_changed(client, make_session, trainer):
    session = make_session(starts_at=london(days_ahead(30), 10), trainers=[trainer], status="cancelled",
                           cancelled_reason="Venue closed")
    db.session.commit()
    factories.sign_in(client, trainer)
    response = client.get(f"/manage/sessions/{session.id}/edit")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/manage/sessions/{session.id}")


# --- copying --------------------------------------------------------------------------------

def test_copy_offers_the_same_session_a_week_later_in_london_time(client, make_session, trainer, other_trainer, organisation):
    # Tuesday 22 October 2030, 9:30am BST; a week later the clocks have gone back.
    original = make_session(starts_at=datetime(2030, 10, 22, 9, 30, tzinfo=LONDON), trainers=[trainer, other_trainer],
                            signup_closes_at=datetime(2030, 10, 21, 17, 0, tzinfo=LONDON), capacity=30, minimum=10,
                            requires_approval=True, roles=("school-dsl",))
    db.session.commit()
    factories.sign_in(client, trainer)
    page = client.get(f"/manage/sessions/{original.id}/copy").data.decode()
    assert "Copy a session" in page and "Copied from the session on Tuesday 22 October 2030, 9:30am to 12:30pm" in page
    assert values(page, "day") == ["29", "10", "2030"]
    assert values(page, "start_time") == ["9:30am"] and values(page, "end_time") == ["12:30pm"]
    assert values(page, "signup_closes_on") == ["28", "10", "2030"] and values(page, "signup_closes_time") == ["5pm"]
    assert values(page, "capacity") == ["30"] and values(page, "minimum") == ["10"]
    assert values(page, "venue_name") == ["Town Hall, Committee Room 2"]
    assert checked(page, "requires_approval") == {"y"}
    assert checked(page, "trainers") == {str(trainer.id), str(other_trainer.id)}
    response = client.post(f"/manage/sessions/{original.id}/copy", data=form_data(
        original.course, date(2030, 10, 29), capacity="30", minimum="10", requires_approval="y",
        signup_closes_on=["28", "10", "2030"], signup_closes_time="5pm", trainers=[str(trainer.id), str(other_trainer.id)],
    ))
    assert response.status_code == 302
    copy = db.session.scalar(select(TrainingSession).where(TrainingSession.id != original.id))
    assert as_utc(copy.starts_at) == as_utc(datetime(2030, 10, 29, 9, 30, tzinfo=LONDON))
    assert as_utc(copy.starts_at).hour == 9  # GMT now; the original was 8:30 UTC
    assert {t.id for t in copy.trainers} == {trainer.id, other_trainer.id} and copy.requires_approval
    original = db.session.get(TrainingSession, original.id)
    assert as_utc(original.starts_at) == as_utc(datetime(2030, 10, 22, 9, 30, tzinfo=LONDON))


# --- cancelling ---------------------------------------------------------------------------

def test_cancelling_tells_everyone_booked_why(client, upcoming, trainer, make_people, outbox):
    booked, waiting, done = make_people(3)
    services.book(upcoming, booked, actor=booked, now=utcnow())
    services.book(upcoming, done, actor=done, now=utcnow())
    services.cancel(services.live_booking(upcoming, done), actor=done, now=utcnow())
    upcoming.capacity = 1
    services.book(upcoming, waiting, actor=waiting, now=utcnow())
    db.session.commit()
    factories.sign_in(client, trainer)
    page = client.get(f"/manage/sessions/{upcoming.id}/cancel").data.decode()
    assert "We will email the reason to <strong>2 people</strong>" in page
    page = client.post(f"/manage/sessions/{upcoming.id}/cancel", data={"reason": "  "}).data.decode()
    assert "Enter the reason: it is sent to everyone booked" in page
    assert db.session.get(TrainingSession, upcoming.id).status == "scheduled"
    response = client.post(f"/manage/sessions/{upcoming.id}/cancel", data={"reason": "The trainer is ill"})
    assert response.status_code == 302
    session = db.session.get(TrainingSession, upcoming.id)
    assert session.status == "cancelled" and session.cancelled_reason == "The trainer is ill"
    statuses = {b.user_id: (b.status, b.ended_reason) for b in db.session.scalars(select(Booking))}
    assert statuses[booked.id] == ("cancelled", "session-cancelled")
    assert statuses[waiting.id] == ("cancelled", "session-cancelled")
    assert statuses[done.id] == ("cancelled", "cancelled")
    told = [e for e in outbox() if e.subject.startswith("Session cancelled")]
    assert sorted(e.to_address for e in told) == sorted([booked.email, waiting.email])
    assert all("The trainer is ill" in e.body_text for e in told)
    page = client.get(response.headers["Location"]).data.decode()
    assert "We have emailed the reason to 2 people" in page and "The trainer is ill" in page
    assert "Change the session" not in page
    # Once cancelled, the cancel page sends people back.
    assert client.get(f"/manage/sessions/{upcoming.id}/cancel").status_code == 302


def test_a_started_session_cannot_be_cancelled(client, make_session, trainer):
    session = make_session(starts_at=utcnow() - timedelta(minutes=30), duration=timedelta(hours=2), trainers=[trainer],
                           signup_closes_at=utcnow() - timedelta(days=1))
    db.session.commit()
    factories.sign_in(client, trainer)
    assert "already started, so it cannot be cancelled" in client.get(f"/manage/sessions/{session.id}/cancel").data.decode()
    page = client.post(f"/manage/sessions/{session.id}/cancel", data={"reason": "Too late"}).data.decode()
    assert "This session has already started" in page
    assert db.session.get(TrainingSession, session.id).status == "scheduled"


def test_cancelling_needs_the_csrf_token(csrf_app, upcoming, trainer):
    client = factories.signed_in_client(csrf_app, trainer)
    form = client.get(f"/manage/sessions/{upcoming.id}/cancel").get_data(as_text=True)
    assert client.post(f"/manage/sessions/{upcoming.id}/cancel", data={"reason": "No token"}).status_code == 400
    assert db.session.get(TrainingSession, upcoming.id).status == "scheduled"
    response = client.post(f"/manage/sessions/{upcoming.id}/cancel",
                           data={"reason": "With token", "csrf_token": csrf_token_from(form)})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(TrainingSession, upcoming.id).status == "cancelled"


# --- one session's bookings -----------------------------------------------------------------

def test_the_session_page_lists_every_kind_of_booking(client, make_session, trainer, organisation, lead, make_people):
    session = make_session(starts_at=london(days_ahead(35), 9, 30), trainers=[trainer], capacity=2,
                           signup_closes_at=london(days_ahead(34), 17))
    first, second, wait_one, wait_two, gone = make_people(5)
    for who in (first, second, wait_one, wait_two):
        services.book(session, who, actor=who, now=utcnow())
    services.cancel(services.live_booking(session, second), actor=second, now=utcnow(), note="Clash with a meeting")
    assert services.live_booking(session, wait_one).status == "offered"
    approval = make_session(starts_at=london(days_ahead(36), 9, 30), trainers=[trainer], requires_approval=True)
    asked = services.book(approval, gone, actor=gone, now=utcnow())
    assert asked.status == "requested"
    db.session.commit()
    factories.sign_in(client, trainer)
    page = client.get(f"/manage/sessions/{session.id}").data.decode()
    assert "With a place (1)" in page and first.full_name in page and organisation.name in page
    assert "Offered a place (1)" in page and wait_one.full_name in page
    offer = services.live_booking(session, wait_one)
    from lms.core.time import format_datetime

    assert format_datetime(offer.offer_expires_at) in page
    assert "Waiting list (1)" in page and wait_two.full_name in page
    assert "Cancelled (1)" in page and "Clash with a meeting" in page
    assert "<strong>0</strong> of 2 places left" in page
    deadline = as_utc(services.cancellation_deadline(session)) - timedelta(minutes=1)
    assert f"cancelling after 11:59pm on {day_words(deadline)} counts as late" in page
    for link in (f"/manage/sessions/{session.id}/register", f"/manage/sessions/{session.id}/sign-in-sheet.pdf",
                 f"/manage/sessions/{session.id}/edit", f"/manage/sessions/{session.id}/copy",
                 f"/manage/sessions/{session.id}/cancel"):
        assert f'href="{link}"' in page, link
    page = client.get(f"/manage/sessions/{approval.id}").data.decode()
    assert "Waiting for approval (1)" in page and gone.full_name in page


def test_the_waiting_list_is_shown_in_order(client, make_session, trainer, make_people):
    session = make_session(starts_at=london(days_ahead(35), 9, 30), trainers=[trainer], capacity=1)
    people = make_people(4)
    start = utcnow()
    for n, who in enumerate(people):
        services.book(session, who, actor=who, now=start + timedelta(seconds=n))
    db.session.commit()
    factories.sign_in(client, trainer)
    page = client.get(f"/manage/sessions/{session.id}").data.decode()
    waiting = page[page.index("Waiting list (3)"):]
    positions = [waiting.index(who.full_name) for who in people[1:]]
    assert positions == sorted(positions)
    assert [b.user_id for b in services.waiting_list(session)] == [who.id for who in people[1:]]


# --- in a real browser -----------------------------------------------------------------------

@pytest.mark.browser
def test_a_trainer_adds_copies_and_cancels_a_session_in_the_browser(page, axe, trainer, course, organisation):
    day = days_ahead(45)
    db.session.commit()
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(trainer.email)
    page.locator("#password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: url.endswith("/"))

    page.goto("/manage/sessions")
    axe(page)
    page.get_by_role("button", name="Add a session").click()
    page.wait_for_url("**/manage/sessions/new")
    axe(page)
    page.locator("#course").select_option(course.code)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"**/manage/sessions/new?course={course.code}")
    axe(page)
    # A mistake first: the error summary links to the field.
    page.get_by_role("button", name="Add the session").click()
    page.locator(".govuk-error-summary").wait_for()
    axe(page)
    page.locator("#day-day").fill(str(day.day))
    page.locator("#day-month").fill(str(day.month))
    page.locator("#day-year").fill(str(day.year))
    page.get_by_label("Start time").fill("9:30am")
    page.get_by_label("End time").fill("12:30pm")
    page.get_by_label("In person, at a venue").check()
    page.get_by_label("Venue name").fill("Kelsey Green Library")
    page.get_by_label("Address", exact=True).fill("3 Church Lane\nKelsey Green")
    page.get_by_label("Places").fill("18")
    page.get_by_role("button", name="Add the session").click()
    page.wait_for_url("**/manage/sessions/*")
    assert "Session added" in page.content() and "9:30am to 12:30pm" in page.content()
    axe(page)

    page.get_by_role("link", name="Copy to a new date").click()
    page.wait_for_url("**/copy")
    axe(page)
    page.get_by_role("button", name="Add the session").click()
    page.wait_for_url("**/manage/sessions/*")
    copy_url = page.url
    assert "Session added" in page.content()

    page.get_by_role("link", name="Cancel the session").click()
    page.wait_for_url("**/cancel")
    axe(page)
    page.get_by_label("Why is the session cancelled?").fill("Room no longer available")
    page.get_by_role("button", name="Cancel the session").click()
    page.wait_for_url(copy_url)
    assert "Session cancelled" in page.content()
    axe(page)
    db.session.expire_all()
    sessions = list(db.session.scalars(select(TrainingSession).order_by(TrainingSession.id)))
    assert [s.status for s in sessions] == ["scheduled", "cancelled"]
    assert as_utc(sessions[1].starts_at) == as_utc(london(day + timedelta(days=7), 9, 30))
