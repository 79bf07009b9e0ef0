"""Sessions and bookings through the API: listing and reading sessions, booking (self, staff,
anyone), the waiting list, approval, cancelling, accepting an offer, and the caller's list.

The API reads the clock, so sessions are placed relative to the real time."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from lms.bookings import services as bookings
from lms.bookings.models import Booking
from lms.bookings.sessions import services as sessions
from lms.core.time import as_utc, to_london, utcnow
from lms.extensions import db
from tests import factories
from tests.api.conftest import assert_matches, bearer, make_course, make_token, response_schema

JOINING_URL = "https://meet.example/join/very-secret-room"


class Api:
    """Bearer requests as people of the fixtures, one token per person."""

    def __init__(self, client):
        self.client = client
        self.tokens: dict[int, str] = {}

    def headers(self, person) -> dict:
        if person.id not in self.tokens:
            self.tokens[person.id] = make_token(person)
        return bearer(self.tokens[person.id])

    def get(self, person, path):
        return self.client.get(path, headers=self.headers(person))

    def post(self, person, path, body=None, **kwargs):
        if body is None and "data" not in kwargs:
            return self.client.post(path, headers=self.headers(person), **kwargs)
        return self.client.post(path, json=body, headers=self.headers(person), **kwargs)

    def delete(self, person, path):
        return self.client.delete(path, headers=self.headers(person))


@pytest.fixture()
def api(client):
    return Api(client)


@pytest.fixture()
def world(team):
    north = factories.area("North", code="north")
    south = factories.area("South", code="south")
    oak_deputy = factories.user("deputy@oak.example", full_name="Dee Deputy", organisation=team["oak"])
    other_trainer = factories.user("trainer2@partnership.example", full_name="Otto Trainer", trainer=True)
    courses = {
        "F2F": make_course("F2F", "Working together face to face"),
        "VIRT": make_course("VIRT", "Neglect online", mode="virtual"),
        "OUT": make_course("OUT", "Outreach briefing", mode="outreach"),
    }
    db.session.commit()
    return {**team, "north": north, "south": south, "oak_deputy": oak_deputy, "other_trainer": other_trainer,
            "courses": courses}


def make_session(world, course="F2F", *, starts=None, hours=3, capacity=10, area=None, organisation=None,
                 online=False, approval=False, opens=None, closes=None, sectors=(), trainers=None):
    """A session made through the engine (as an admin would), committed."""
    from lms.organisations.models import Sector

    starts = starts or utcnow() + timedelta(days=30)
    details = sessions.SessionDetails(
        course=world["courses"][course],
        starts_at=starts,
        ends_at=starts + timedelta(hours=hours),
        capacity=capacity,
        signup_closes_at=closes or starts - timedelta(hours=1),
        signup_opens_at=opens,
        location_kind="online" if online else "in-person",
        venue_name=None if online else "Town Hall",
        venue_address=None if online else "1 High Street, Oakton",
        venue_postcode=None if online else "OK1 2AB",
        joining_url=JOINING_URL if online else None,
        joining_notes="Use your full name" if online else None,
        area_id=world[area].id if area else None,
        organisation_id=world[organisation].id if organisation else None,
        requires_approval=approval,
        trainers=[world[name] for name in (trainers or ["trainer"])],
        sectors=list(db.session.scalars(select(Sector).where(Sector.code.in_(sectors)))),
    )
    row = sessions.create_session(details, actor=world["admin"], now=utcnow())
    db.session.commit()
    return row


def london_day(value: datetime) -> str:
    return to_london(value).date().isoformat()


def ids(response) -> list[int]:
    assert response.status_code == 200, response.json
    return [item["id"] for item in response.json["items"]]


def booking_count(**where) -> int:
    query = select(func.count(Booking.id))
    for name, value in where.items():
        query = query.where(getattr(Booking, name) == value)
    return db.session.scalar(query)


def book(api, person, session, body=None):
    return api.post(person, f"/api/v1/sessions/{session.id}/bookings", body)


# --- GET /sessions --------------------------------------------------------------------

def test_list_gives_upcoming_sessions_soonest_first_with_places(api, world, spec):
    now = utcnow()
    later = make_session(world, starts=now + timedelta(days=40), capacity=2, area="north")
    sooner = make_session(world, "VIRT", starts=now + timedelta(days=10), online=True)
    make_session(world, starts=now - timedelta(days=2), closes=now - timedelta(days=3))  # past: not listed
    cancelled = make_session(world, starts=now + timedelta(days=20))
    sessions.cancel_session(cancelled, reason="Trainer unwell", actor=world["admin"], now=now)
    db.session.commit()
    assert book(api, world["oak_teacher"], later).status_code == 201

    response = api.get(world["elm_worker"], "/api/v1/sessions")
    assert ids(response) == [sooner.id, later.id]
    assert_matches(spec, response_schema(spec, "/sessions"), response.json)
    item = response.json["items"][1]
    assert item == {
        "id": later.id,
        "course": "F2F",
        "course_title": "Working together face to face",
        "delivery_mode": "face-to-face",
        "starts_at": item["starts_at"],
        "ends_at": item["ends_at"],
        "location_kind": "in-person",
        "venue": {"name": "Town Hall", "address": "1 High Street, Oakton", "postcode": "OK1 2AB",
                  "access_notes": None},
        "area": "north",
        "organisation": None,
        "audience": {"sectors": [], "job_roles": []},
        "trainers": ["Tara Trainer"],
        "capacity": 2,
        "places_left": 1,
        "waiting_list": 0,
        "requires_approval": False,
        "status": "scheduled",
        "signup_state": "open",
        "signup_opens_at": None,
        "signup_closes_at": item["signup_closes_at"],
        "cancellation_deadline": item["cancellation_deadline"],
        "url": f"http://localhost/sessions/{later.id}",
    }
    assert item["starts_at"].endswith("Z")
    assert datetime.fromisoformat(item["starts_at"]) == as_utc(later.starts_at)
    assert datetime.fromisoformat(item["cancellation_deadline"]) == bookings.cancellation_deadline(later)
    assert response.json["items"][0]["venue"] is None and response.json["items"][0]["location_kind"] == "online"
    # The joining link is never in the list.
    assert JOINING_URL not in response.get_data(as_text=True)


def test_list_filters(api, world):
    now = utcnow()
    a = make_session(world, starts=now + timedelta(days=10), area="north", capacity=1)
    b = make_session(world, "VIRT", starts=now + timedelta(days=20), area="south", online=True)
    c = make_session(world, starts=now + timedelta(days=40), area="north")
    assert book(api, world["oak_teacher"], a).status_code == 201  # a is now full
    teacher = world["oak_teacher"]

    def listed(query):
        return ids(api.get(teacher, f"/api/v1/sessions?{query}"))

    assert listed("") == [a.id, b.id, c.id]
    assert listed("course=F2F") == [a.id, c.id]
    assert listed("course=VIRT") == [b.id]
    assert listed("area=north") == [a.id, c.id]
    assert listed("area=south&course=F2F") == []
    assert listed("has_places=true") == [b.id, c.id]
    assert listed("has_places=false") == [a.id]
    day_a, day_b, day_c = (london_day(s.starts_at) for s in (a, b, c))
    assert listed(f"from={day_b}") == [b.id, c.id]
    assert listed(f"to={day_b}") == [a.id, b.id]
    assert listed(f"from={day_b}&to={day_b}") == [b.id]
    assert listed(f"from={day_a}&to={day_c}&has_places=true&area=north") == [c.id]
    assert listed("course=&area=&from=&to=&has_places=") == [a.id, b.id, c.id]  # empty: no filter


def test_from_and_to_are_london_days_and_from_reaches_back(api, world):
    year = utcnow().year + 2
    # 23:30 UTC on 10 July is 00:30 on 11 July in London (BST).
    summer = make_session(world, starts=as_utc(datetime(year, 7, 10, 23, 30)))
    # 23:30 UTC on 10 January is 23:30 on 10 January in London (GMT).
    winter = make_session(world, starts=as_utc(datetime(year, 1, 10, 23, 30)))
    past = make_session(world, starts=utcnow() - timedelta(days=3), closes=utcnow() - timedelta(days=4))
    teacher = world["oak_teacher"]
    assert ids(api.get(teacher, f"/api/v1/sessions?from={year}-07-11&to={year}-07-11")) == [summer.id]
    assert ids(api.get(teacher, f"/api/v1/sessions?from={year}-07-10&to={year}-07-10")) == []
    assert ids(api.get(teacher, f"/api/v1/sessions?from={year}-01-10&to={year}-01-10")) == [winter.id]
    # Without `from` only sessions still to start; with it, past ones too.
    assert past.id not in ids(api.get(teacher, "/api/v1/sessions"))
    assert ids(api.get(teacher, f"/api/v1/sessions?from={london_day(past.starts_at)}"))[0] == past.id


@pytest.mark.parametrize("query, field", [
    ("course=NOPE", "course"),
    ("area=atlantis", "area"),
    ("from=2026-02-30", "from"),
    ("to=tomorrow", "to"),
    ("from=2026-12-10&to=2026-12-09", "to"),
    ("has_places=maybe", "has_places"),
    ("per_page=0", "per_page"),
])
def test_bad_list_parameters_are_400_naming_them(api, world, spec, query, field):
    response = api.get(world["oak_teacher"], f"/api/v1/sessions?{query}")
    assert response.status_code == 400, response.json
    assert response.json["error"] == "bad-request" and response.json["errors"][0]["field"] == field
    assert_matches(spec, response_schema(spec, "/sessions", status="400"), response.json)


def test_list_is_paged_with_a_flat_statement_count(api, world, count_queries):
    now = utcnow()
    sessions = [make_session(world, starts=now + timedelta(days=5 + n), area="north", sectors=("education",))
                for n in range(6)]
    teacher = world["oak_teacher"]
    first = api.get(teacher, "/api/v1/sessions?per_page=4")
    assert ids(first) == [s.id for s in sessions[:4]] and first.json["total"] == 6
    assert first.json["next"] == "http://localhost/api/v1/sessions?per_page=4&page=2"
    second = api.get(teacher, first.json["next"].removeprefix("http://localhost"))
    assert ids(second) == [s.id for s in sessions[4:]] and second.json["next"] is None
    api.headers(teacher)  # the token exists before counting
    with count_queries() as two:
        api.get(teacher, "/api/v1/sessions?per_page=2")
    with count_queries() as six:
        api.get(teacher, "/api/v1/sessions?per_page=6")
    assert len(six) == len(two)


# --- outreach sessions ----------------------------------------------------------------

def test_outreach_sessions_are_only_for_their_organisation(api, world):
    outreach = make_session(world, "OUT", organisation="elm")
    open_to_all = make_session(world)
    for who in ("elm_worker", "elm_lead", "trainer", "admin"):
        assert outreach.id in ids(api.get(world[who], "/api/v1/sessions")), who
        assert api.get(world[who], f"/api/v1/sessions/{outreach.id}").status_code == 200, who
    for who in ("oak_teacher", "oak_lead"):
        assert ids(api.get(world[who], "/api/v1/sessions")) == [open_to_all.id], who
        response = api.get(world[who], f"/api/v1/sessions/{outreach.id}")
        assert response.status_code == 404 and response.json["message"] == "No session has this id"
        assert book(api, world[who], outreach).status_code == 404
    assert book(api, world["elm_worker"], outreach).status_code == 201
    assert booking_count() == 1


# --- GET /sessions/{id} ---------------------------------------------------------------

def test_detail_gives_places_state_deadline_and_my_booking(api, world, spec):
    session = make_session(world, capacity=1)
    teacher, deputy = world["oak_teacher"], world["oak_deputy"]
    response = api.get(teacher, f"/api/v1/sessions/{session.id}")
    assert response.status_code == 200
    assert_matches(spec, response_schema(spec, "/sessions/{session_id}"), response.json)
    body = response.json
    assert (body["places_left"], body["waiting_list"], body["signup_state"]) == (1, 0, "open")
    assert body["my_booking"] is None and body["joining"] is None and body["cancelled_reason"] is None
    assert datetime.fromisoformat(body["cancellation_deadline"]) == bookings.cancellation_deadline(session)

    booked = book(api, teacher, session).json
    waiting = book(api, deputy, session).json
    body = api.get(teacher, f"/api/v1/sessions/{session.id}").json
    assert (body["places_left"], body["waiting_list"]) == (0, 1)
    assert body["my_booking"]["id"] == booked["id"] and body["my_booking"]["status"] == "booked"
    mine = api.get(deputy, f"/api/v1/sessions/{session.id}").json["my_booking"]
    assert mine["id"] == waiting["id"] and mine["status"] == "waitlisted" and mine["waiting_position"] == 1
    assert api.get(world["admin"], f"/api/v1/sessions/{session.id}").json["my_booking"] is None


def test_detail_of_sessions_not_open(api, world):
    now = utcnow()
    later = make_session(world, opens=now + timedelta(days=2))
    assert api.get(world["oak_teacher"], f"/api/v1/sessions/{later.id}").json["signup_state"] == "not-open"
    cancelled = make_session(world)
    sessions.cancel_session(cancelled, reason="Venue flooded", actor=world["admin"], now=now)
    db.session.commit()
    body = api.get(world["oak_teacher"], f"/api/v1/sessions/{cancelled.id}").json
    assert (body["status"], body["signup_state"]) == ("cancelled", "cancelled")
    assert body["cancelled_reason"] == "Venue flooded"
    assert api.get(world["oak_teacher"], "/api/v1/sessions/999999").status_code == 404


def test_joining_link_only_for_people_with_a_place_and_the_trainers(api, world, spec):
    session = make_session(world, "VIRT", online=True, capacity=1)
    teacher, deputy = world["oak_teacher"], world["oak_deputy"]

    def joining(person):
        response = api.get(person, f"/api/v1/sessions/{session.id}")
        assert response.status_code == 200
        return response.json["joining"]

    assert joining(teacher) is None
    assert book(api, teacher, session).status_code == 201
    assert book(api, deputy, session).json["status"] == "waitlisted"
    assert joining(teacher) == {"url": JOINING_URL, "notes": "Use your full name"}
    assert joining(deputy) is None  # waiting is not a place
    assert joining(world["oak_lead"]) is None  # leading the booked person is not a place either
    assert joining(world["trainer"])["url"] == JOINING_URL  # runs the session
    assert joining(world["other_trainer"]) is None
    assert joining(world["admin"])["url"] == JOINING_URL
    assert_matches(spec, response_schema(spec, "/sessions/{session_id}"),
                   api.get(teacher, f"/api/v1/sessions/{session.id}").json)


# --- POST /sessions/{id}/bookings -----------------------------------------------------

def test_book_myself_201_then_a_second_time_409_with_the_booking(api, world, spec):
    session = make_session(world)
    teacher = world["oak_teacher"]
    first = book(api, teacher, session)
    assert first.status_code == 201, first.json
    assert_matches(spec, response_schema(spec, "/sessions/{session_id}/bookings", "post", "201"), first.json)
    row = db.session.scalar(select(Booking))
    assert first.json == {
        "id": row.id,
        "status": "booked",
        "session_id": session.id,
        "person_id": teacher.id,
        "waiting_position": None,
        "offer_expires_at": None,
        "created_at": first.json["created_at"],
        "confirmed_at": first.json["confirmed_at"],
        "cancelled_at": None,
        "ended_reason": None,
        "late_cancellation": False,
        "session": {
            "id": session.id, "course": "F2F", "course_title": "Working together face to face",
            "starts_at": first.json["session"]["starts_at"], "ends_at": first.json["session"]["ends_at"],
            "location_kind": "in-person", "status": "scheduled",
        },
    }
    assert row.user_id == teacher.id and row.booked_by_id is None

    second = book(api, teacher, session, {})
    assert second.status_code == 409
    assert_matches(spec, response_schema(spec, "/sessions/{session_id}/bookings", "post", "409"), second.json)
    assert second.json["error"] == "conflict"
    assert second.json["message"] == "You are already booked on this session"
    assert second.json["booking"]["id"] == row.id and second.json["booking"]["status"] == "booked"
    assert booking_count() == 1


def test_booking_at_the_same_moment_makes_one_booking(app, api, world):
    session = make_session(world, capacity=5)
    path = f"/api/v1/sessions/{session.id}/bookings"
    headers = api.headers(world["oak_teacher"])
    statuses: list[int] = []
    barrier = threading.Barrier(4)

    def attempt():
        client = app.test_client()
        barrier.wait()
        statuses.append(client.post(path, headers=headers).status_code)

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201, 409, 409, 409]
    db.session.expire_all()
    assert booking_count(session_id=session.id) == 1


def test_full_session_puts_people_on_the_waiting_list_in_order(api, world, spec):
    session = make_session(world, capacity=1)
    first = book(api, world["oak_teacher"], session).json
    second = book(api, world["oak_deputy"], session)
    third = book(api, world["elm_worker"], session)
    assert first["status"] == "booked"
    assert second.status_code == 201 and second.json["status"] == "waitlisted" and second.json["waiting_position"] == 1
    assert third.json["status"] == "waitlisted" and third.json["waiting_position"] == 2
    assert_matches(spec, response_schema(spec, "/sessions/{session_id}/bookings", "post", "201"), third.json)


def test_approval_sessions_answer_requested_when_people_book_themselves(api, world):
    session = make_session(world, approval=True)
    requested = book(api, world["oak_teacher"], session)
    assert requested.status_code == 201 and requested.json["status"] == "requested"
    # A lead booking their staff is the approval.
    by_lead = book(api, world["oak_lead"], session, {"person_id": world["oak_deputy"].id})
    assert by_lead.status_code == 201 and by_lead.json["status"] == "booked"


def test_setting_lead_books_their_own_staff(api, world):
    session = make_session(world)
    lead, teacher = world["oak_lead"], world["oak_teacher"]
    response = book(api, lead, session, {"person_id": teacher.id})
    assert response.status_code == 201 and response.json["person_id"] == teacher.id
    row = db.session.get(Booking, response.json["id"])
    assert (row.user_id, row.booked_by_id, row.organisation_id) == (teacher.id, lead.id, world["oak"].id)
    # The person then sees it as theirs.
    again = book(api, teacher, session)
    assert again.status_code == 409 and again.json["booking"]["id"] == row.id
    # And the lead gets the 409 for them too, naming them.
    twice = book(api, lead, session, {"person_id": teacher.id})
    assert twice.status_code == 409 and twice.json["message"] == "Tom Teacher is already booked on this session"


@pytest.mark.parametrize("who, target, status", [
    ("oak_teacher", "oak_deputy", 403),  # a practitioner books only themselves
    ("trainer", "oak_teacher", 403),
    ("oak_lead", "elm_worker", 403),  # not their staff
    ("elm_lead", "oak_teacher", 403),
    ("oak_lead", "oak_teacher", 201),
    ("admin", "elm_worker", 201),
    ("oak_teacher", "oak_teacher", 201),  # their own id is themselves
])
def test_who_may_book_whom(api, world, spec, who, target, status):
    session = make_session(world)
    response = book(api, world[who], session, {"person_id": world[target].id})
    assert response.status_code == status, response.json
    assert booking_count() == (1 if status == 201 else 0)
    if status == 403:
        assert response.json["error"] == "forbidden"
        assert_matches(spec, response_schema(spec, "/sessions/{session_id}/bookings", "post", "403"), response.json)


def test_a_lead_gets_the_same_answer_for_a_missing_person_and_another_organisations(api, world):
    session = make_session(world)
    missing = book(api, world["oak_lead"], session, {"person_id": 999999})
    elsewhere = book(api, world["oak_lead"], session, {"person_id": world["elm_worker"].id})
    assert missing.status_code == elsewhere.status_code == 403
    assert missing.json == elsewhere.json
    admin_missing = book(api, world["admin"], session, {"person_id": 999999})
    assert admin_missing.status_code == 404 and admin_missing.json["errors"][0]["field"] == "person_id"


def test_closed_accounts_cannot_be_booked(api, world):
    session = make_session(world)
    deputy = world["oak_deputy"]
    deputy.active = False
    db.session.commit()
    response = book(api, world["oak_lead"], session, {"person_id": deputy.id})
    assert response.status_code == 422 and response.json["errors"][0]["field"] == "person_id"
    assert booking_count() == 0


@pytest.mark.parametrize("kind", ["not-open", "closed", "cancelled", "audience"])
def test_closed_sessions_and_other_audiences_are_422_and_change_nothing(api, world, spec, kind):
    now = utcnow()
    if kind == "not-open":
        session, expected = make_session(world, opens=now + timedelta(days=1)), "Booking opens on "
    elif kind == "closed":
        session = make_session(world, starts=now + timedelta(days=2), closes=now - timedelta(hours=1))
        expected = "Booking closed on "
    elif kind == "cancelled":
        session = make_session(world)
        sessions.cancel_session(session, reason="Trainer unwell", actor=world["admin"], now=now)
        db.session.commit()
        expected = "This session has been cancelled"
    else:
        session = make_session(world, sectors=("early-years",))
        expected = "This session is for people working in: "
    lock_version = session.lock_version
    response = book(api, world["oak_teacher"], session)
    assert response.status_code == 422, response.json
    assert response.json["message"].startswith(expected)
    assert response.json["errors"] == [{"field": "session", "message": response.json["message"]}]
    assert_matches(spec, response_schema(spec, "/sessions/{session_id}/bookings", "post", "422"), response.json)
    db.session.expire_all()
    assert booking_count() == 0 and db.session.get(type(session), session.id).lock_version == lock_version


def test_other_audiences_can_book(api, world):
    session = make_session(world, sectors=("early-years",))
    assert book(api, world["elm_worker"], session).status_code == 201


@pytest.mark.parametrize("kwargs, status, field", [
    ({"data": "[1]", "content_type": "application/json"}, 400, None),
    ({"data": "{not json", "content_type": "application/json"}, 400, None),
    ({"data": "person_id=3", "content_type": "application/x-www-form-urlencoded"}, 400, None),
    ({"json": {"person_id": "three"}}, 422, "person_id"),
    ({"json": {"person_id": 0}}, 422, "person_id"),
    ({"json": {"person_id": True}}, 422, "person_id"),
])
def test_bad_bodies(api, world, kwargs, status, field):
    session = make_session(world)
    response = api.client.post(f"/api/v1/sessions/{session.id}/bookings", headers=api.headers(world["oak_lead"]),
                               **kwargs)
    assert response.status_code == status, response.json
    if field:
        assert response.json["errors"][0]["field"] == field
    assert booking_count() == 0


def test_booking_needs_a_token_and_a_session(api, world):
    session = make_session(world)
    assert api.client.post(f"/api/v1/sessions/{session.id}/bookings").status_code == 401
    assert book(api, world["oak_teacher"], type("Missing", (), {"id": 999999})()).status_code == 404
    assert booking_count() == 0


# --- GET and DELETE /bookings/{id} ----------------------------------------------------

def test_who_may_see_a_booking(api, world, spec):
    session = make_session(world)
    booking_id = book(api, world["oak_teacher"], session).json["id"]
    for who in ("oak_teacher", "oak_lead", "trainer", "admin"):
        response = api.get(world[who], f"/api/v1/bookings/{booking_id}")
        assert response.status_code == 200, who
        assert response.json["id"] == booking_id
    assert_matches(spec, response_schema(spec, "/bookings/{booking_id}"), response.json)
    for who in ("oak_deputy", "elm_lead", "other_trainer"):
        response = api.get(world[who], f"/api/v1/bookings/{booking_id}")
        assert response.status_code == 404 and response.json["message"] == "No booking has this id", who
    assert api.get(world["admin"], "/api/v1/bookings/999999").status_code == 404


def test_cancel_my_booking_then_again_is_409(api, world, spec):
    session = make_session(world)
    teacher = world["oak_teacher"]
    booking_id = book(api, teacher, session).json["id"]
    response = api.delete(teacher, f"/api/v1/bookings/{booking_id}")
    assert response.status_code == 200, response.json
    assert_matches(spec, response_schema(spec, "/bookings/{booking_id}", "delete"), response.json)
    body = response.json
    assert (body["id"], body["status"], body["ended_reason"], body["late_cancellation"]) == (
        booking_id, "cancelled", "cancelled", False)
    assert body["cancelled_at"].endswith("Z")
    again = api.delete(teacher, f"/api/v1/bookings/{booking_id}")
    assert again.status_code == 409 and again.json["errors"][0]["field"] == "booking"
    assert_matches(spec, response_schema(spec, "/bookings/{booking_id}", "delete", "409"), again.json)
    # Cancelled, the person may book again.
    assert book(api, teacher, session).status_code == 201


def test_cancelling_after_the_deadline_is_late(api, world):
    session = make_session(world, starts=utcnow() + timedelta(days=1))
    assert utcnow() > bookings.cancellation_deadline(session)
    booking_id = book(api, world["oak_teacher"], session).json["id"]
    body = api.delete(world["oak_teacher"], f"/api/v1/bookings/{booking_id}").json
    assert (body["status"], body["ended_reason"], body["late_cancellation"]) == ("cancelled", "late-cancelled", True)


@pytest.mark.parametrize("who, status", [
    ("oak_lead", 200), ("trainer", 200), ("admin", 200),
    ("oak_deputy", 404), ("elm_lead", 404), ("other_trainer", 404),
])
def test_who_may_cancel_someone_elses_booking(api, world, who, status):
    session = make_session(world)
    booking_id = book(api, world["oak_teacher"], session).json["id"]
    response = api.delete(world[who], f"/api/v1/bookings/{booking_id}")
    assert response.status_code == status, response.json
    db.session.expire_all()
    assert db.session.get(Booking, booking_id).status == ("cancelled" if status == 200 else "booked")


# --- offers ---------------------------------------------------------------------------

def test_a_freed_place_is_offered_and_accepted(api, world, spec):
    session = make_session(world, capacity=1)
    teacher, deputy, worker = world["oak_teacher"], world["oak_deputy"], world["elm_worker"]
    first = book(api, teacher, session).json["id"]
    second = book(api, deputy, session).json["id"]
    third = book(api, worker, session).json
    assert third["waiting_position"] == 2
    # Accepting before anything is offered is a conflict.
    early = api.post(deputy, f"/api/v1/bookings/{second}/accept")
    assert early.status_code == 409 and early.json["message"] == "There is no place on offer for this booking"

    assert api.delete(teacher, f"/api/v1/bookings/{first}").status_code == 200
    offered = api.get(deputy, f"/api/v1/bookings/{second}").json
    assert offered["status"] == "offered" and offered["waiting_position"] is None
    assert datetime.fromisoformat(offered["offer_expires_at"]) > utcnow()
    assert api.get(worker, f"/api/v1/bookings/{third['id']}").json["waiting_position"] == 1
    # Someone else cannot take it for them; their lead of another organisation does not see it.
    assert api.post(worker, f"/api/v1/bookings/{second}/accept").status_code == 404
    assert api.post(world["trainer"], f"/api/v1/bookings/{second}/accept").status_code == 403

    accepted = api.post(deputy, f"/api/v1/bookings/{second}/accept")
    assert accepted.status_code == 200, accepted.json
    assert_matches(spec, response_schema(spec, "/bookings/{booking_id}/accept", "post"), accepted.json)
    assert accepted.json["status"] == "booked" and accepted.json["offer_expires_at"] is None
    assert api.get(deputy, f"/api/v1/sessions/{session.id}").json["places_left"] == 0


# --- GET /me/bookings -----------------------------------------------------------------

def test_my_bookings_latest_session_first_with_filters(api, world, spec):
    now = utcnow()
    teacher = world["oak_teacher"]
    soon = make_session(world, starts=now + timedelta(days=3), capacity=1)
    later = make_session(world, starts=now + timedelta(days=30))
    full_later = make_session(world, starts=now + timedelta(days=60), capacity=1)
    book(api, world["oak_deputy"], full_later)
    book(api, world["elm_worker"], full_later)
    soon_id = book(api, teacher, soon).json["id"]
    later_id = book(api, teacher, later).json["id"]
    waiting_id = book(api, teacher, full_later).json["id"]
    api.delete(teacher, f"/api/v1/bookings/{later_id}")
    book(api, world["oak_deputy"], soon)  # someone else's booking is never listed

    response = api.get(teacher, "/api/v1/me/bookings")
    assert ids(response) == [waiting_id, later_id, soon_id]
    assert_matches(spec, response_schema(spec, "/me/bookings"), response.json)
    items = {item["id"]: item for item in response.json["items"]}
    assert items[waiting_id]["status"] == "waitlisted" and items[waiting_id]["waiting_position"] == 2
    assert items[later_id]["status"] == "cancelled" and items[soon_id]["status"] == "booked"

    assert ids(api.get(teacher, "/api/v1/me/bookings?status=booked,waitlisted")) == [waiting_id, soon_id]
    assert ids(api.get(teacher, "/api/v1/me/bookings?status=cancelled")) == [later_id]
    assert ids(api.get(teacher, "/api/v1/me/bookings?upcoming=false")) == []
    assert ids(api.get(teacher, "/api/v1/me/bookings?upcoming=true&per_page=1")) == [waiting_id]
    assert ids(api.get(world["admin"], "/api/v1/me/bookings")) == []
    bad = api.get(teacher, "/api/v1/me/bookings?status=lost")
    assert bad.status_code == 400 and bad.json["errors"][0]["field"] == "status"


def test_my_bookings_include_past_sessions(api, world):
    teacher = world["oak_teacher"]
    session = make_session(world, starts=utcnow() + timedelta(days=5))
    booking_id = book(api, teacher, session).json["id"]
    # The session is moved into the past (as if time had passed), keeping the booking.
    session.starts_at = utcnow() - timedelta(days=5)
    session.ends_at = session.starts_at + timedelta(hours=3)
    session.signup_closes_at = session.starts_at - timedelta(hours=1)
    db.session.commit()
    assert ids(api.get(teacher, "/api/v1/me/bookings?upcoming=false")) == [booking_id]
    assert ids(api.get(teacher, "/api/v1/me/bookings?upcoming=true")) == []
    late = api.delete(teacher, f"/api/v1/bookings/{booking_id}")
    assert late.status_code == 409 and late.json["errors"][0]["field"] == "booking"


def test_my_bookings_statement_count_does_not_grow_with_the_page(api, world, count_queries):
    now = utcnow()
    teacher = world["oak_teacher"]
    for n in range(4):
        session = make_session(world, starts=now + timedelta(days=10 + n), capacity=1)
        book(api, world["oak_deputy"], session)
        book(api, teacher, session)  # waitlisted: each needs its place on the list
    api.headers(teacher)
    with count_queries() as one:
        small = api.get(teacher, "/api/v1/me/bookings?per_page=1")
    with count_queries() as four:
        large = api.get(teacher, "/api/v1/me/bookings?per_page=4")
    assert [item["waiting_position"] for item in large.json["items"]] == [1, 1, 1, 1]
    assert len(small.json["items"]) == 1 and len(four) == len(one)
