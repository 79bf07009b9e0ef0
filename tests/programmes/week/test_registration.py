"""Public registration for Safeguarding Week events: held places, confirmation through the
emailed link (read from a real SMTP server), cancelling, lapsing, the waiting list shared
with professionals' bookings, one registration per email, and the refusals."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lms.bookings import services as bookings
from lms.core.errors import DomainError
from lms.core.time import utcnow
from lms.extensions import db
from lms.notifications.backends import SMTPBackend
from lms.notifications.jobs import send_outbox
from lms.programmes.week import jobs, services
from lms.programmes.week.models import PublicRegistration, RegistrationLink
from tests import factories
from tests.conftest import NOW
from tests.notifications.smtp import SMTPServer

LINK = re.compile(r"http://localhost(/safeguarding-week/registration/[A-Za-z0-9_-]{40,})")


def deliver(server: SMTPServer) -> list:
    """Send the outbox (all of it: the pages queue at the real time) through the SMTP
    server; every message it has received so far."""
    now = utcnow() + timedelta(minutes=1)
    backend = SMTPBackend(host="127.0.0.1", port=server.port, timeout=10, sender="Training <training@partnership.example>")
    send_outbox(now=now, backend=backend)
    return server.messages


def text_of(message) -> str:
    part = message.get_body(preferencelist=("plain",))
    return part.get_content()


def link_in(message) -> str:
    match = LINK.search(text_of(message))
    assert match, text_of(message)
    return match.group(1)


def held(event) -> int:
    return bookings.places_taken(event.session)


def test_register_confirm_by_the_emailed_link_then_cancel(app, client, week):
    with SMTPServer() as server:
        response = client.post(f"/safeguarding-week/events/{week.public.id}/register",
                               data={"name": "Sam Smith", "email": "Sam.Smith@Example.org", "website": ""})
        assert response.status_code == 200
        assert "Check your email" in response.get_data(as_text=True)
        registration = db.session.scalar(select(PublicRegistration))
        assert registration.status == "awaiting-confirmation"
        assert registration.email == "sam.smith@example.org"
        assert held(week.public) == 1

        messages = deliver(server)
        assert [m["To"] for m in messages] == ["sam.smith@example.org"]
        assert messages[0]["Subject"].startswith("Confirm your place")
        path = link_in(messages[0])
        # Only the digest of the token is stored.
        token = path.rsplit("/", 1)[1]
        assert db.session.scalar(select(func.count()).select_from(RegistrationLink)
                                 .where(RegistrationLink.token_hash == token)) == 0

        page = client.get(path)
        assert page.status_code == 200
        assert "Confirm my place" in page.get_data(as_text=True)
        assert page.headers["Cache-Control"] == "no-store"
        confirmed = client.post(path + "/confirm", follow_redirects=True)
        assert "Your place is confirmed" in confirmed.get_data(as_text=True)
        db.session.refresh(registration)
        assert registration.status == "confirmed"
        assert registration.hold_expires_at is None

        messages = deliver(server)
        assert messages[-1]["Subject"].startswith("Your place is confirmed")
        assert any(part.get_content_type() == "text/calendar" for part in messages[-1].iter_attachments())
        # Every email carries a working link to manage the registration.
        later_link = link_in(messages[-1])
        assert later_link != path
        assert client.get(later_link).status_code == 200

        cancelled = client.post(later_link + "/cancel", follow_redirects=True)
        assert "Your registration is cancelled" in cancelled.get_data(as_text=True)
        db.session.refresh(registration)
        assert registration.status == "cancelled"
        assert held(week.public) == 0
        assert deliver(server)[-1]["Subject"].startswith("Registration cancelled")


def test_an_unknown_link_is_not_found(client, week):
    assert client.get("/safeguarding-week/registration/" + "x" * 43).status_code == 404
    assert client.post("/safeguarding-week/registration/" + "x" * 43 + "/cancel").status_code == 404


def test_an_unconfirmed_place_lapses_after_the_set_time_and_goes_to_the_waiting_list(app, week):
    first, _ = services.register(week.public, "Ann One", "ann@example.org", now=NOW)
    second, _ = services.register(week.public, "Bob Two", "bob@example.org", now=NOW)
    third, _ = services.register(week.public, "Cat Three", "cat@example.org", now=NOW + timedelta(minutes=1))
    db.session.commit()
    assert [first.status, second.status, third.status] == ["awaiting-confirmation", "awaiting-confirmation", "waitlisted"]
    services.confirm(second, now=NOW + timedelta(hours=1))
    db.session.commit()

    # Not yet: the hold lasts PUBLIC_REGISTRATION_CONFIRM_HOURS (24).
    assert jobs.lapse_unconfirmed(now=NOW + timedelta(hours=23, minutes=59)) == {"lapsed": 0}
    assert jobs.lapse_unconfirmed(now=NOW + timedelta(hours=24)) == {"lapsed": 1}
    for row in (first, second, third):
        db.session.refresh(row)
    assert first.status == "lapsed"
    assert second.status == "confirmed"
    # The freed place went to the first waiting, held for them to confirm.
    assert third.status == "awaiting-confirmation"
    assert held(week.public) == 2
    # Running it again does nothing more.
    assert jobs.lapse_unconfirmed(now=NOW + timedelta(hours=24)) == {"lapsed": 0}


def test_the_same_email_twice_holds_one_place(client, week):
    for email in ("dee@example.org", "DEE@example.org ", "Dee@Example.Org"):
        response = client.post(f"/safeguarding-week/events/{week.public.id}/register",
                               data={"name": "Dee Four", "email": email})
        assert response.status_code == 200
    assert "You had already registered" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(PublicRegistration)) == 1
    assert held(week.public) == 1


@pytest.mark.parametrize("name, email, field, message", [
    ("", "eve@example.org", "name", "Enter your name"),
    ("Eve Five", "", "email", "Enter your email address"),
    ("Eve Five", "eve@", "email", "Enter an email address in the correct format"),
    ("Eve Five", "not an email", "email", "Enter an email address in the correct format"),
])
def test_bad_names_and_emails_get_field_errors_and_change_nothing(client, week, name, email, field, message):
    response = client.post(f"/safeguarding-week/events/{week.public.id}/register", data={"name": name, "email": email})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html
    assert f'href="#{field}"' in html  # the error summary links to the field
    assert db.session.scalar(select(func.count()).select_from(PublicRegistration)) == 0
    assert held(week.public) == 0


def test_a_professionals_only_event_refuses_with_the_reason(client, week):
    with pytest.raises(DomainError, match="for professionals only"):
        services.register(week.professionals, "Fay Six", "fay@example.org", now=NOW)
    db.session.rollback()
    page = client.get(f"/safeguarding-week/events/{week.professionals.id}/register")
    assert "for professionals only" in page.get_data(as_text=True)
    assert 'name="email"' not in page.get_data(as_text=True)
    response = client.post(f"/safeguarding-week/events/{week.professionals.id}/register",
                           data={"name": "Fay Six", "email": "fay@example.org"})
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(PublicRegistration)) == 0


def test_a_drop_in_needs_no_registration(week):
    with pytest.raises(DomainError, match="drop-in"):
        services.register(week.stall, "Gus Seven", "gus@example.org", now=NOW)


def test_the_honeypot_keeps_nothing(client, week):
    response = client.post(f"/safeguarding-week/events/{week.public.id}/register",
                           data={"name": "Bot", "email": "bot@example.org", "website": "http://spam.example"})
    assert response.status_code == 200
    assert "Check your email" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(PublicRegistration)) == 0


def test_the_per_address_limit_holds_in_the_database(app, client, week):
    app.config["PUBLIC_REGISTRATION_MAX_PER_ADDRESS"] = 3
    try:
        for n in range(3):
            assert client.post(f"/safeguarding-week/events/{week.both.id}/register",
                               data={"name": f"Person {n}", "email": f"p{n}@example.org"}).status_code == 200
        refused = client.post(f"/safeguarding-week/events/{week.both.id}/register",
                              data={"name": "Person 4", "email": "p4@example.org"})
        assert refused.status_code == 429
        assert "Too many registrations" in refused.get_data(as_text=True)
        assert db.session.scalar(select(func.count()).select_from(PublicRegistration)) == 3
        # Another address is not limited.
        other = client.post(f"/safeguarding-week/events/{week.public.id}/register",
                            data={"name": "Person 5", "email": "p5@example.org"}, environ_base={"REMOTE_ADDR": "10.0.0.9"})
        assert other.status_code == 200
    finally:
        app.config["PUBLIC_REGISTRATION_MAX_PER_ADDRESS"] = 20


def test_public_places_count_against_a_professionals_booking_and_share_the_waiting_list(week):
    school = factories.organisation("Brook Lane Primary")
    pro = factories.user("pat@brook.example", full_name="Pat Pro", organisation=school)
    late_pro = factories.user("lee@brook.example", full_name="Lee Late", organisation=school)
    public_one, _ = services.register(week.both, "Hal Eight", "hal@example.org", now=NOW)
    booking = bookings.book(week.both.session, pro, actor=pro, now=NOW + timedelta(minutes=1))
    assert booking.status == "booked"
    # Full: a member of the public waits, then a professional waits after them.
    waiting_public, _ = services.register(week.both, "Ivy Nine", "ivy@example.org", now=NOW + timedelta(minutes=2))
    assert waiting_public.status == "waitlisted"
    waiting_pro = bookings.book(week.both.session, late_pro, actor=late_pro, now=NOW + timedelta(minutes=3))
    assert waiting_pro.status == "waitlisted"
    assert bookings.place_counts([week.both.session_id])[week.both.session_id]["places"] == 2
    db.session.commit()

    # The professional gives up their place: the member of the public waited longer.
    bookings.cancel(booking, actor=pro, now=NOW + timedelta(hours=1))
    db.session.refresh(waiting_public)
    db.session.refresh(waiting_pro)
    assert waiting_public.status == "awaiting-confirmation"
    assert waiting_pro.status == "waitlisted"
    # The member of the public cancels: the professional is offered the place.
    services.cancel(public_one, now=NOW + timedelta(hours=2))
    db.session.refresh(waiting_pro)
    assert waiting_pro.status == "offered"
    assert bookings.places_taken(week.both.session) == 2


def test_the_forms_carry_a_csrf_token_for_people_without_an_account(csrf_app, week):
    from tests.conftest import csrf_token_from

    client = csrf_app.test_client()
    path = f"/safeguarding-week/events/{week.public.id}/register"
    assert client.post(path, data={"name": "Sam", "email": "sam@example.org"}).status_code == 400
    assert db.session.scalar(select(func.count()).select_from(PublicRegistration)) == 0
    token = csrf_token_from(client.get(path).get_data(as_text=True))
    response = client.post(path, data={"name": "Sam", "email": "sam@example.org", "csrf_token": token})
    assert response.status_code == 200
    assert db.session.scalar(select(func.count()).select_from(PublicRegistration)) == 1
