"""A setting lead's booking pages (bookings/staff/views.py): booking several staff at once (who
got a place, who is waiting, who could not be booked and why), approving and refusing
requests, their staff's bookings, and acting on a staff member's booking. Nobody acts on
another organisation's people.

The pages run on the real clock: sessions are placed around it."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from lms.audit.models import AuditEvent
from lms.bookings import services
from lms.bookings.registers import services as registers
from lms.core.time import utcnow
from lms.extensions import db
from tests import factories
from tests.bookings.test_views import book, bookings_of, error_summary, login, soon, table_text, text
from tests.conftest import csrf_token_from


@pytest.fixture()
def upcoming(make_session, trainer):
    return make_session(starts_at=soon(10), trainers=[trainer])


def result_rows(response) -> list[str]:
    """The rows of the "What happened" table after booking staff."""
    html = response.get_data(as_text=True)
    table = re.search(r"What happened</caption>.*?<tbody[^>]*>(.*?)</tbody>", html, flags=re.S)
    assert table, "no results table"
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table.group(1), flags=re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in rows]


# --- booking staff --------------------------------------------------------------------


def test_a_lead_books_several_staff_and_sees_what_happened(
    client, make_session, organisation, lead, person, colleague, outbox
):
    session = make_session(starts_at=soon(10), capacity=2, roles=("teacher", "teaching-assistant"))
    third = factories.user("tia@oak.example", full_name="Tia Teacher", organisation=organisation)
    fourth = factories.user("tim@oak.example", full_name="Tim Teacher", organisation=organisation)
    caretaker = factories.user("cal@oak.example", full_name="Cal Caretaker", organisation=organisation, roles=("other",))
    book(session, person)  # Tom already has a place
    db.session.commit()
    login(client, lead)

    page = client.get(f"/sessions/{session.id}")
    assert "Book staff on this session" in text(page)
    assert "Tom Teacher" in table_text(page)  # the lead sees their staff on the session
    form = client.get(f"/sessions/{session.id}/book-staff")
    words = text(form)
    assert "Who do you want to book?" in words and "1 place left" in words
    for name in ("Tom Teacher", "Cara Colleague", "Tia Teacher", "Tim Teacher", "Cal Caretaker"):
        assert name in words
    assert "Nina" not in words

    chosen = [person.id, colleague.id, third.id, fourth.id, caretaker.id]
    response = client.post(f"/sessions/{session.id}/book-staff", data={"people": [str(i) for i in chosen]})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/sessions/{session.id}/book-staff")
    result = client.get(response.headers["Location"])
    rows = result_rows(result)
    assert "Cara Colleague Booked" in rows
    assert "Tia Teacher On the waiting list number 1" in rows
    assert "Tim Teacher On the waiting list number 2" in rows
    assert "Tom Teacher Not booked Already on this session: booked" in rows
    assert any(row.startswith("Cal Caretaker Not booked This session is for: Teacher") for row in rows)
    assert "1 person has a place, 2 on the waiting list, 2 could not be booked." in text(result)

    statuses = {b.user_id: (b.status, b.booked_by_id) for b in bookings_of(session)}
    assert statuses == {
        person.id: ("booked", None), colleague.id: ("booked", lead.id),
        third.id: ("waitlisted", lead.id), fourth.id: ("waitlisted", lead.id),
    }
    assert any(e.subject.startswith("Booked") for e in outbox(colleague))
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "booking.create")) is not None
    # The result is shown once.
    assert "What happened" not in text(client.get(f"/sessions/{session.id}/book-staff"))


def test_choosing_nobody_is_an_error(client, upcoming, lead, person):
    db.session.commit()
    login(client, lead)
    response = client.post(f"/sessions/{upcoming.id}/book-staff", data={})
    assert response.status_code == 400
    assert "Choose the people you want to book" in error_summary(response)
    assert 'href="#people"' in response.get_data(as_text=True)
    assert bookings_of(upcoming) == []


def test_a_lead_cannot_book_another_organisations_people(client, upcoming, lead, person, outsider):
    db.session.commit()
    login(client, lead)
    response = client.post(f"/sessions/{upcoming.id}/book-staff", data={"people": [str(person.id), str(outsider.id)]})
    assert response.status_code == 403
    assert client.post(f"/sessions/{upcoming.id}/book-staff", data={"people": ["me"]}).status_code == 403
    assert bookings_of(upcoming) == []


def test_book_staff_is_for_setting_leads(client, upcoming, make_course, make_session, person, trainer, lead,
                                         other_organisation, outsider):
    visit = make_session(make_course("VISIT", mode="outreach"), starts_at=soon(9), organisation_id=other_organisation.id)
    db.session.commit()
    assert client.get(f"/sessions/{upcoming.id}/book-staff").status_code == 302  # sign in first
    for someone in (person, trainer):
        login(client, someone)
        assert client.get(f"/sessions/{upcoming.id}/book-staff").status_code == 403
        assert client.post(f"/sessions/{upcoming.id}/book-staff", data={"people": [str(person.id)]}).status_code == 403
        client.get("/sign-out")
    login(client, lead)
    # Another organisation's outreach session does not exist for this lead.
    assert client.get(f"/sessions/{visit.id}/book-staff").status_code == 404
    assert client.post(f"/sessions/{visit.id}/book-staff", data={"people": [str(person.id)]}).status_code == 404
    assert bookings_of(upcoming) == [] and bookings_of(visit) == []


def test_a_lead_of_two_organisations_books_only_the_outreach_organisations_staff(
    client, make_course, make_session, organisation, other_organisation, lead, person, outsider
):
    from lms.accounts.models import SettingLead

    db.session.add(SettingLead(user_id=lead.id, organisation_id=other_organisation.id, created_at=utcnow()))
    visit = make_session(make_course("VISIT", mode="outreach"), starts_at=soon(9), organisation_id=other_organisation.id)
    open_session = make_session(starts_at=soon(12))
    db.session.commit()
    login(client, lead)
    words = text(client.get(f"/sessions/{visit.id}/book-staff"))
    assert "Nina Nursery" in words and "Tom Teacher" not in words
    assert client.post(f"/sessions/{visit.id}/book-staff", data={"people": [str(person.id)]}).status_code == 403
    both = text(client.get(f"/sessions/{open_session.id}/book-staff"))
    assert "Nina Nursery Elm Day Nursery" in both and "Tom Teacher Oak Primary School" in both


def test_booking_staff_when_booking_is_closed(client, make_session, lead, person):
    closed = make_session(starts_at=soon(10), signup_closes_at=soon(-1))
    db.session.commit()
    login(client, lead)
    words = text(client.get(f"/sessions/{closed.id}/book-staff"))
    assert "Booking for this session has closed." in words and "Book places" not in words
    assert "Book staff on this session" not in text(client.get(f"/sessions/{closed.id}"))
    client.post(f"/sessions/{closed.id}/book-staff", data={"people": [str(person.id)]})
    result = client.get(f"/sessions/{closed.id}/book-staff")
    assert any("Not booked Booking closed on" in row for row in result_rows(result))
    assert bookings_of(closed) == []


def test_an_admin_chooses_the_organisation_first(client, upcoming, admin, organisation, person):
    db.session.commit()
    login(client, admin)
    chooser = client.get(f"/sessions/{upcoming.id}/book-staff")
    assert "Whose staff do you want to book?" in text(chooser) and "Oak Primary School" in text(chooser)
    page = client.get(f"/sessions/{upcoming.id}/book-staff?organisation={organisation.id}")
    assert "Tom Teacher" in text(page)
    assert f'action="/sessions/{upcoming.id}/book-staff?organisation={organisation.id}"' in page.get_data(as_text=True)
    response = client.post(f"/sessions/{upcoming.id}/book-staff?organisation={organisation.id}", data={"people": [str(person.id)]})
    assert response.status_code == 302
    assert [(b.user_id, b.status) for b in bookings_of(upcoming)] == [(person.id, "booked")]
    assert client.get(f"/sessions/{upcoming.id}/book-staff?organisation=999999").status_code == 404


# --- approvals ------------------------------------------------------------------------


def test_a_lead_approves_and_refuses_requests(client, make_session, lead, person, colleague, outbox):
    session = make_session(starts_at=soon(10), capacity=5, requires_approval=True)
    asked = book(session, person)
    also = book(session, colleague)
    db.session.commit()
    assert (asked.status, also.status) == ("requested", "requested")
    login(client, lead)

    page = client.get("/organisation/booking-requests")
    words = text(page)
    assert "Requests to decide (2)" in words and "Tom Teacher" in words and "Cara Colleague" in words
    assert f'id="request-{asked.id}-note"' in page.get_data(as_text=True)

    response = client.post(f"/organisation/booking-requests/{asked.id}", data={f"request-{asked.id}-approve": "y"})
    assert response.status_code == 302
    assert "Approved: Tom Teacher has a place" in text(client.get("/organisation/booking-requests"))
    response = client.post(
        f"/organisation/booking-requests/{also.id}",
        data={f"request-{also.id}-refuse": "y", f"request-{also.id}-note": "We have covered this in house."},
    )
    assert response.status_code == 302
    after = text(client.get("/organisation/booking-requests"))
    assert "Refused: Cara Colleague" in after and "There are no requests waiting for a decision." in after

    rows = {b.user_id: b for b in bookings_of(session)}
    assert rows[person.id].status == "booked" and rows[person.id].decided_by_id == lead.id
    assert (rows[colleague.id].status, rows[colleague.id].ended_reason) == ("cancelled", "refused")
    assert rows[colleague.id].decision_note == "We have covered this in house."
    assert any(e.subject.startswith("Booking not approved") for e in outbox(colleague))

    # Deciding again changes nothing and says why.
    again = client.post(f"/organisation/booking-requests/{also.id}", data={f"request-{also.id}-approve": "y"})
    assert again.status_code == 302
    assert "This request was already decided" in text(client.get(again.headers["Location"]))
    assert bookings_of(session)[1].status == "cancelled"


def test_a_decision_needs_approve_or_refuse_and_a_short_note(client, make_session, lead, person):
    session = make_session(starts_at=soon(10), requires_approval=True)
    asked = book(session, person)
    db.session.commit()
    login(client, lead)
    response = client.post(f"/organisation/booking-requests/{asked.id}", data={})
    assert response.status_code == 400 and "Choose approve or refuse" in error_summary(response)
    assert f'href="#request-{asked.id}-approve"' in response.get_data(as_text=True)
    response = client.post(f"/organisation/booking-requests/{asked.id}",
                           data={f"request-{asked.id}-refuse": "y", f"request-{asked.id}-note": "n" * 501})
    assert response.status_code == 400 and "500 characters or fewer" in error_summary(response)
    assert bookings_of(session)[0].status == "requested"


def test_approving_after_booking_closed_is_a_clear_error(client, make_session, lead, person):
    session = make_session(starts_at=soon(10), requires_approval=True)
    asked = book(session, person)
    session.signup_closes_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    login(client, lead)
    response = client.post(f"/organisation/booking-requests/{asked.id}", data={f"request-{asked.id}-approve": "y"})
    assert response.status_code == 400
    assert "the request cannot be approved" in error_summary(response)
    assert bookings_of(session)[0].status == "requested"


def test_approvals_are_only_for_the_persons_own_lead(client, make_session, organisation, other_organisation,
                                                    lead, person, outsider):
    other_lead = factories.user("lead@elm.example", full_name="Elm Lead", organisation=other_organisation,
                                roles=("ey-dsl",), leads=(other_organisation,))
    session = make_session(starts_at=soon(10), requires_approval=True)
    asked = book(session, person)
    db.session.commit()

    login(client, person)  # a practitioner
    assert client.get("/organisation/booking-requests").status_code == 403
    assert client.post(f"/organisation/booking-requests/{asked.id}", data={f"request-{asked.id}-approve": "y"}).status_code == 403
    client.get("/sign-out")
    login(client, other_lead)  # another organisation's lead
    assert "Tom Teacher" not in text(client.get("/organisation/booking-requests"))
    assert client.post(f"/organisation/booking-requests/{asked.id}", data={f"request-{asked.id}-approve": "y"}).status_code == 404
    assert client.post("/organisation/booking-requests/999999", data={}).status_code == 404
    assert bookings_of(session)[0].status == "requested"


def test_a_lead_cannot_approve_their_own_request(client, make_session, organisation, lead):
    second_lead = factories.user("deputy@oak.example", full_name="Dee Deputy", organisation=organisation,
                                 roles=("deputy-dsl",), leads=(organisation,))
    session = make_session(starts_at=soon(10), requires_approval=True)
    own = book(session, lead)  # another lead must approve it
    db.session.commit()
    assert own.status == "requested"
    login(client, lead)
    assert "Olive Lead" not in table_text(client.get("/organisation/booking-requests"))
    assert client.post(f"/organisation/booking-requests/{own.id}", data={f"request-{own.id}-approve": "y"}).status_code == 404
    client.get("/sign-out")
    login(client, second_lead)
    assert client.post(f"/organisation/booking-requests/{own.id}", data={f"request-{own.id}-approve": "y"}).status_code == 302
    assert bookings_of(session)[0].status == "booked"


# --- staff bookings -------------------------------------------------------------------


def test_the_lead_sees_their_staffs_bookings_and_recent_attendance(
    client, make_session, make_course, lead, person, colleague, outsider, trainer
):
    soon_session = make_session(make_course("SOON", title="Neglect briefing"), starts_at=soon(5), capacity=1)
    past = make_session(make_course("PAST", title="Online safety update"), starts_at=soon(-10), trainers=[trainer])
    book(soon_session, person)
    book(soon_session, colleague)  # waiting, number 1
    book(soon_session, outsider)   # another organisation
    earlier = past.starts_at - timedelta(days=5)
    attended = services.book(past, person, actor=person, now=earlier)
    missed = services.book(past, colleague, actor=colleague, now=earlier)
    for booking, status in ((attended, "attended"), (missed, "no-show")):
        registers.mark(booking, status, actor=trainer, now=utcnow())
    db.session.commit()
    login(client, lead)
    page = client.get("/organisation/booking-requests")
    html = page.get_data(as_text=True)
    coming = html.split("Coming up</caption>")[1].split("</table>")[0]
    recent = html.split("Attendance in the last 90 days</caption>")[1].split("</table>")[0]
    coming_words = " ".join(re.sub(r"<[^>]+>", " ", coming).split())
    recent_words = " ".join(re.sub(r"<[^>]+>", " ", recent).split())
    assert "Tom Teacher Neglect briefing" in coming_words and "Booked" in coming_words
    assert "Cara Colleague Neglect briefing" in coming_words and "Number 1 on the list" in coming_words
    assert "Nina" not in html
    assert "Tom Teacher Online safety update" in recent_words and "Attended" in recent_words
    assert "Cara Colleague Online safety update" in recent_words and "Did not attend" in recent_words


def test_the_staff_bookings_page_runs_the_same_statements_however_many(client, make_session, make_people, lead, count_queries):
    session = make_session(starts_at=soon(6), capacity=1, requires_approval=True)
    staff = make_people(3)
    book(session, staff[0])
    for someone in staff[1:]:  # one place, one on the waiting list
        services.book(session, someone, actor=lead, now=utcnow())
    db.session.commit()
    login(client, lead)
    with count_queries() as few:
        client.get("/organisation/booking-requests")
    for n in range(6):
        extra = make_session(starts_at=soon(7 + n), capacity=1, requires_approval=True)
        for someone in make_people(3):
            services.book(extra, someone, actor=lead, now=utcnow())
        book(extra, make_people(1)[0])
    db.session.commit()
    with count_queries() as many:
        page = client.get("/organisation/booking-requests")
    assert "Requests to decide (7)" in text(page)
    assert len(many) == len(few)


def test_a_lead_acts_on_a_staff_booking_but_not_another_organisations(
    client, upcoming, make_session, lead, person, colleague, outsider
):
    staff_booking = book(upcoming, person)
    theirs = book(upcoming, outsider)
    db.session.commit()
    login(client, lead)
    page = text(client.get(f"/bookings/{staff_booking.id}"))
    assert "Tom Teacher’s booking" in page and "Pass the place to a colleague" in page
    for url in (f"/bookings/{theirs.id}", f"/bookings/{theirs.id}/cancel", f"/bookings/{theirs.id}/substitute",
                f"/bookings/{theirs.id}/calendar.ics"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/bookings/{theirs.id}/cancel", data={}).status_code == 404

    # Passing Tom's place on: the lead chooses from the staff list.
    form = client.get(f"/bookings/{staff_booking.id}/substitute")
    assert "Cara Colleague" in text(form) and "Nina" not in text(form)
    wrong = client.post(f"/bookings/{staff_booking.id}/substitute", data={"colleague": str(outsider.id)})
    assert wrong.status_code == 400 and "Choose the colleague who will take the place" in error_summary(wrong)
    response = client.post(f"/bookings/{staff_booking.id}/substitute", data={"colleague": str(colleague.id)})
    assert response.status_code == 302
    rows = {b.user_id: b for b in bookings_of(upcoming)}
    assert rows[person.id].ended_reason == "substituted" and rows[colleague.id].status == "booked"
    assert response.headers["Location"].endswith(f"/bookings/{rows[colleague.id].id}")
    assert "Cara Colleague now has the place" in text(client.get(response.headers["Location"]))

    # Cancelling for a member of staff.
    confirm = text(client.get(f"/bookings/{rows[colleague.id].id}/cancel"))
    assert "Cancel Cara Colleague’s booking" in confirm
    assert client.post(f"/bookings/{rows[colleague.id].id}/cancel", data={}).status_code == 302
    assert {b.user_id: b.status for b in bookings_of(upcoming)}[colleague.id] == "cancelled"
    assert rows[outsider.id].status == "booked"


def test_lead_forms_need_their_csrf_token(csrf_app, make_session, lead, person, colleague):
    client = csrf_app.test_client()
    session = make_session(starts_at=soon(10), requires_approval=True)
    asked = book(session, person)
    open_session = make_session(starts_at=soon(11))
    db.session.commit()
    login(client, lead)
    assert client.post(f"/organisation/booking-requests/{asked.id}", data={f"request-{asked.id}-approve": "y"}).status_code == 400
    assert client.post(f"/sessions/{open_session.id}/book-staff", data={"people": [str(colleague.id)]}).status_code == 400
    assert bookings_of(session)[0].status == "requested" and bookings_of(open_session) == []

    token = csrf_token_from(client.get(f"/sessions/{open_session.id}/book-staff").get_data(as_text=True))
    assert client.post(f"/sessions/{open_session.id}/book-staff",
                       data={"people": [str(colleague.id)], "csrf_token": token}).status_code == 302
    html = client.get("/organisation/booking-requests").get_data(as_text=True)
    match = re.search(rf'name="request-{asked.id}-csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, "the request's form has no CSRF token"
    response = client.post(f"/organisation/booking-requests/{asked.id}",
                           data={f"request-{asked.id}-approve": "y", f"request-{asked.id}-csrf_token": match.group(1)})
    assert response.status_code == 302
    assert bookings_of(session)[0].status == "booked" and bookings_of(open_session)[0].status == "booked"
