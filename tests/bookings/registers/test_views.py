"""The register page, the sign-in sheet PDF and the QR check-in page (registers/views.py).

The pages run on the real clock, so sessions here are placed around it: "running" started
an hour ago, "future" starts in ten days. People are booked through the engine at a time
when booking was open.
"""
from __future__ import annotations

import io
import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from lms.bookings import services
from lms.bookings.models import Booking
from lms.bookings.registers.views import qr_svg
from lms.bookings.registers import services as registers
from lms.bookings.sessions import services as sessions
from lms.core.time import LONDON, utcnow
from lms.extensions import db
from lms.records.models import Completion
from tests import factories
from tests.conftest import csrf_token_from


def sign_in_as(client, person):
    response = factories.sign_in(client, person)
    assert response.status_code == 302, f"sign-in failed for {person.email}"


def book_all(session, people):
    """Book each person on `session` at a time when booking was open."""
    when = session.starts_at - timedelta(days=2)
    return [services.book(session, person, actor=person, now=when) for person in people]


def london_clock(moment: datetime) -> str:
    """'9:37am' in Europe/London, as the pages write times."""
    local = moment.astimezone(LONDON)
    minutes = "" if local.minute == 0 else f":{local.minute:02d}"
    return f"{local.hour % 12 or 12}{minutes}{'am' if local.hour < 12 else 'pm'}"


def marked_as(html: str, booking, status: str) -> bool:
    """Whether the register's select for `booking` shows `status` as chosen."""
    match = re.search(rf'<select[^>]*id="status_{booking.id}"[^>]*>(.*?)</select>', html, re.S)
    assert match, f"no attendance select for booking {booking.id}"
    return re.search(rf'<option value="{status}"\s+selected', match.group(1)) is not None


def error_summary(html: str) -> str:
    match = re.search(r'<div class="govuk-error-summary".*?</ul>', html, re.S)
    assert match, "no error summary on the page"
    return match.group(0)


@pytest.fixture()
def running(make_session, trainer):
    """A session that started an hour ago and runs for two more."""
    start = utcnow().replace(microsecond=0) - timedelta(hours=1)
    return make_session(starts_at=start, duration=timedelta(hours=3), trainers=[trainer])


@pytest.fixture()
def future(make_session, trainer):
    start = (utcnow() + timedelta(days=10)).replace(microsecond=0)
    return make_session(starts_at=start, trainers=[trainer])


@pytest.fixture()
def booked(running, person, colleague, outsider):
    """Tom, Cara and Nina booked on the running session, committed."""
    bookings = book_all(running, [person, colleague, outsider])
    db.session.commit()
    return {booking.user.full_name: booking for booking in bookings}


def completions() -> list[Completion]:
    return list(db.session.scalars(select(Completion).where(Completion.source == "attendance").order_by(Completion.id)))


# --- the register page ---------------------------------------------------------------------


def test_register_lists_everyone_with_a_place(client, running, booked, trainer, make_people):
    waiting_person = make_people(1)[0]
    running.capacity = 3
    services.book(running, waiting_person, actor=waiting_person, now=running.starts_at - timedelta(days=2))
    db.session.commit()
    sign_in_as(client, trainer)

    response = client.get(f"/manage/sessions/{running.id}/register")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for name in ("Tom Teacher", "Cara Colleague", "Nina Nursery"):
        assert name in html
    assert waiting_person.full_name not in html  # on the waiting list, not on the register
    assert "Oak Primary School" in html and "Elm Day Nursery" in html
    for booking in booked.values():
        assert f'name="status_{booking.id}"' in html
        assert f'name="hours_{booking.id}"' in html
    assert 'value="partly-attended"' in html and 'value="no-show"' in html
    assert f'href="/manage/sessions/{running.id}/sign-in-sheet.pdf"' in html
    assert f'href="/manage/sessions/{running.id}/check-in-code"' in html


def test_marking_the_register_writes_attendance_and_the_record(client, running, booked, trainer):
    sign_in_as(client, trainer)
    tom, cara, nina = booked["Tom Teacher"], booked["Cara Colleague"], booked["Nina Nursery"]

    response = client.post(f"/manage/sessions/{running.id}/register", data={
        f"status_{tom.id}": "attended",
        f"status_{cara.id}": "partly-attended", f"hours_{cara.id}": "1.5",
        f"status_{nina.id}": "no-show", f"hours_{nina.id}": "2",  # hours ignored unless partly attended
    })

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/manage/sessions/{running.id}/register")
    db.session.expire_all()
    assert (tom.status, tom.attendance_hours) == ("attended", Decimal("3.00"))
    assert (cara.status, cara.attendance_hours) == ("partly-attended", Decimal("1.50"))
    assert (nina.status, nina.attendance_hours) == ("no-show", None)
    assert tom.marked_by_id == trainer.id
    records = {c.user_id: c for c in completions()}
    assert set(records) == {tom.user_id, cara.user_id}
    assert records[cara.user_id].cpd_hours == Decimal("1.50")
    assert records[tom.user_id].cpd_hours == Decimal("3.00")

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Register saved: 3 people marked" in page
    assert marked_as(page, tom, "attended")
    assert re.search(rf'id="hours_{cara.id}"[^>]*value="1.5"', page)


def test_unmarked_rows_stay_unmarked(client, running, booked, trainer):
    sign_in_as(client, trainer)
    tom = booked["Tom Teacher"]

    response = client.post(f"/manage/sessions/{running.id}/register", data={f"status_{tom.id}": "attended"})

    assert response.status_code == 302
    db.session.expire_all()
    assert tom.status == "attended"
    assert booked["Cara Colleague"].status == "booked"
    assert booked["Nina Nursery"].status == "booked"


def test_a_bad_row_marks_nobody_and_names_the_person(client, running, booked, trainer):
    sign_in_as(client, trainer)
    tom, cara = booked["Tom Teacher"], booked["Cara Colleague"]

    response = client.post(f"/manage/sessions/{running.id}/register", data={
        f"status_{tom.id}": "attended",
        f"status_{cara.id}": "partly-attended", f"hours_{cara.id}": "5",  # more than the 3-hour session
    })

    assert response.status_code == 400
    summary = error_summary(response.get_data(as_text=True))
    assert "Cara Colleague" in summary
    assert f'href="#hours_{cara.id}"' in summary
    db.session.expire_all()
    assert tom.status == "booked" and cara.status == "booked"
    assert completions() == []


def test_form_errors_are_listed_for_each_person(client, running, booked, trainer):
    sign_in_as(client, trainer)
    tom, cara = booked["Tom Teacher"], booked["Cara Colleague"]

    response = client.post(f"/manage/sessions/{running.id}/register", data={
        f"status_{tom.id}": "partly-attended", f"hours_{tom.id}": "",
        f"status_{cara.id}": "partly-attended", f"hours_{cara.id}": "an hour",
        f"status_{booked['Nina Nursery'].id}": "attended",
    })

    assert response.status_code == 400
    html = response.get_data(as_text=True)
    summary = error_summary(html)
    assert f'<a href="#hours_{tom.id}">Enter the hours Tom Teacher attended</a>' in summary
    assert f'<a href="#hours_{cara.id}">Hours for Cara Colleague must be a number, like 1.5</a>' in summary
    assert 'value="an hour"' in html  # what was typed is kept
    db.session.expire_all()
    assert {b.status for b in booked.values()} == {"booked"}


def test_each_row_shows_its_own_error_beside_its_fields(client, running, booked, trainer):
    sign_in_as(client, trainer)
    tom, cara = booked["Tom Teacher"], booked["Cara Colleague"]

    response = client.post(f"/manage/sessions/{running.id}/register", data={
        f"status_{tom.id}": "partly-attended", f"hours_{tom.id}": "",
        f"status_{cara.id}": "attended",
    })

    assert response.status_code == 400
    html = response.get_data(as_text=True)
    row = re.search(rf'<tr class="govuk-table__row" id="row-{tom.id}">.*?</tr>', html, re.S).group(0)
    assert f'<p id="hours_{tom.id}-error" class="govuk-error-message">' in row
    assert "Enter the hours Tom Teacher attended" in row
    assert re.search(rf'<input class="govuk-input govuk-input--width-3 govuk-input--error" id="hours_{tom.id}"[^>]*'
                     rf'aria-describedby="hours_{tom.id}-error"', row)
    # What was chosen is kept; the row without an error has no error markup.
    assert re.search(r'<option value="partly-attended" selected>Partly attended</option>', row)
    other = re.search(rf'<tr class="govuk-table__row" id="row-{cara.id}">.*?</tr>', html, re.S).group(0)
    assert "govuk-error-message" not in other and "--error" not in other
    assert '<option value="attended" selected>Attended</option>' in other


def test_the_register_runs_the_same_statements_for_3_people_or_30(client, running, booked, trainer, make_people,
                                                                   count_queries):
    sign_in_as(client, trainer)
    session_id = running.id
    client.get(f"/manage/sessions/{session_id}/register")
    db.session.remove()  # each request starts with nothing loaded, as in a server
    with count_queries() as few:
        assert client.get(f"/manage/sessions/{session_id}/register").status_code == 200
    running = db.session.get(type(running), session_id)
    running.capacity = 40
    others = make_people(15) + make_people(12, org=factories.organisation("Birch Academy"))
    book_all(running, others)
    db.session.commit()
    db.session.remove()
    with count_queries() as many:
        response = client.get(f"/manage/sessions/{session_id}/register")
    assert response.status_code == 200
    assert response.get_data(as_text=True).count('<select class="govuk-select"') == 30
    assert len(many) == len(few), "\n\n".join(many)
    assert len(many) <= 8, "\n\n".join(many)


def test_an_invalid_choice_is_refused(client, running, booked, trainer):
    sign_in_as(client, trainer)
    tom = booked["Tom Teacher"]

    response = client.post(f"/manage/sessions/{running.id}/register", data={f"status_{tom.id}": "cancelled"})

    assert response.status_code == 400
    assert f'href="#status_{tom.id}"' in error_summary(response.get_data(as_text=True))
    db.session.expire_all()
    assert tom.status == "booked"


def test_saving_with_nothing_chosen_asks_for_a_choice(client, running, booked, trainer):
    sign_in_as(client, trainer)

    response = client.post(f"/manage/sessions/{running.id}/register", data={})

    assert response.status_code == 400
    assert "for at least one person" in error_summary(response.get_data(as_text=True))


def test_a_register_that_changed_is_not_saved(client, running, booked, trainer):
    """Someone's place ended after the page was opened: nothing is saved."""
    sign_in_as(client, trainer)
    tom, nina = booked["Tom Teacher"], booked["Nina Nursery"]
    services.cancel(nina, actor=nina.user, now=running.starts_at - timedelta(days=1))
    db.session.commit()

    response = client.post(f"/manage/sessions/{running.id}/register", data={
        f"status_{tom.id}": "attended", f"status_{nina.id}": "no-show",
    })

    assert response.status_code == 302
    db.session.expire_all()
    assert tom.status == "booked"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The register changed while you were marking it" in page


def test_correcting_a_mark_moves_the_record(client, running, booked, trainer):
    """Attended, then corrected to did not attend: the engine takes the record away."""
    sign_in_as(client, trainer)
    tom = booked["Tom Teacher"]
    client.post(f"/manage/sessions/{running.id}/register", data={f"status_{tom.id}": "attended"})
    assert len(completions()) == 1

    client.post(f"/manage/sessions/{running.id}/register", data={f"status_{tom.id}": "no-show"})

    db.session.expire_all()
    assert tom.status == "no-show"
    assert completions() == []


def test_register_shows_qr_check_in_time(client, running, booked, trainer):
    tom = booked["Tom Teacher"]
    checked_at = running.starts_at + timedelta(minutes=7)
    registers.check_in(running, tom.user, running.checkin_code, now=checked_at)
    db.session.commit()
    sign_in_as(client, trainer)

    html = client.get(f"/manage/sessions/{running.id}/register").get_data(as_text=True)

    assert f"Checked in with the QR code at {london_clock(checked_at)}" in html
    assert marked_as(html, tom, "attended")


def test_register_before_the_start_lists_people_without_a_form(client, future, trainer, person):
    book_all(future, [person])
    db.session.commit()
    sign_in_as(client, trainer)

    html = client.get(f"/manage/sessions/{future.id}/register").get_data(as_text=True)

    assert "Tom Teacher" in html
    assert "You can mark the register from the start of the session" in html
    assert 'name="status_' not in html

    booking = db.session.scalar(select(Booking).where(Booking.session_id == future.id))
    response = client.post(f"/manage/sessions/{future.id}/register", data={f"status_{booking.id}": "attended"})
    assert response.status_code == 302
    db.session.expire_all()
    assert booking.status == "booked"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The register opens when the session starts" in page


def test_register_of_a_cancelled_session(client, future, trainer, admin, person):
    book_all(future, [person])
    sessions.cancel_session(future, reason="Trainer unwell", actor=admin, now=utcnow())
    db.session.commit()
    sign_in_as(client, trainer)

    html = client.get(f"/manage/sessions/{future.id}/register").get_data(as_text=True)

    assert "This session was cancelled" in html
    assert 'name="status_' not in html
    assert f"/manage/sessions/{future.id}/check-in-code" not in html
    qr_page = client.get(f"/manage/sessions/{future.id}/check-in-code").get_data(as_text=True)
    assert "This session was cancelled: there is nothing to check in to" in qr_page
    assert "<svg" not in qr_page and future.checkin_code not in qr_page


def test_register_needs_the_csrf_token(csrf_app, running, booked, trainer):
    client = factories.signed_in_client(csrf_app, trainer)
    tom = booked["Tom Teacher"]

    refused = client.post(f"/manage/sessions/{running.id}/register", data={f"status_{tom.id}": "attended"})
    assert refused.status_code == 400
    db.session.expire_all()
    assert tom.status == "booked"

    page = client.get(f"/manage/sessions/{running.id}/register").get_data(as_text=True)
    accepted = client.post(f"/manage/sessions/{running.id}/register",
                           data={f"status_{tom.id}": "attended", "csrf_token": csrf_token_from(page)})
    assert accepted.status_code == 302
    db.session.expire_all()
    assert tom.status == "attended"


# --- who may see these pages ---------------------------------------------------------------

PAGES = ["register", "sign-in-sheet.pdf", "check-in-code"]


@pytest.mark.parametrize("page", PAGES)
def test_people_who_do_not_run_the_session_are_refused(client, running, booked, person, lead, page):
    other_trainer = factories.user("other.trainer@partnership.example", trainer=True, roles=("other",))
    db.session.commit()
    for who in (person, lead, other_trainer):
        client.get("/sign-out")
        client.post("/sign-out")
        sign_in_as(client, who)
        assert client.get(f"/manage/sessions/{running.id}/{page}").status_code == 403, who.email
    db.session.expire_all()
    if page == "register":
        tom = booked["Tom Teacher"]
        assert client.post(f"/manage/sessions/{running.id}/register",
                           data={f"status_{tom.id}": "attended"}).status_code == 403
        db.session.expire_all()
        assert tom.status == "booked"


@pytest.mark.parametrize("page", PAGES)
def test_an_admin_sees_every_session(client, running, booked, admin, page):
    sign_in_as(client, admin)
    assert client.get(f"/manage/sessions/{running.id}/{page}").status_code == 200


@pytest.mark.parametrize("page", PAGES)
def test_signed_out_people_are_sent_to_sign_in(client, running, page):
    db.session.commit()
    response = client.get(f"/manage/sessions/{running.id}/{page}")
    assert response.status_code == 302
    assert "/sign-in" in response.headers["Location"]


@pytest.mark.parametrize("page", PAGES)
def test_a_missing_session_is_not_found(client, trainer, page):
    db.session.commit()
    sign_in_as(client, trainer)
    assert client.get(f"/manage/sessions/999999/{page}").status_code == 404


# --- the sign-in sheet ----------------------------------------------------------------------


def pdf_text(data: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(data))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


def test_sign_in_sheet_is_a_pdf_of_the_register(client, running, booked, trainer):
    sign_in_as(client, trainer)

    response = client.get(f"/manage/sessions/{running.id}/sign-in-sheet.pdf")

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert "sign-in-sheet-SAFE-F2F-" in response.headers["Content-Disposition"]
    assert response.data.startswith(b"%PDF")
    pages, text = pdf_text(response.data)
    assert pages == 1
    assert "Working together to safeguard children" in text
    assert "Town Hall, Committee Room 2" in text
    assert "Tara Trainer" in text
    assert "Signature" in text
    for name in ("Tom Teacher", "Cara Colleague", "Nina Nursery", "Oak Primary School", "Elm Day Nursery"):
        assert name in text
    # Alphabetical, as on the register.
    assert text.index("Cara Colleague") < text.index("Nina Nursery") < text.index("Tom Teacher")


def test_sign_in_sheet_shows_london_time_in_summer(client, make_session, trainer, person):
    """1 July 2026, 9:30am in London is 8:30 UTC: the sheet says 9:30am."""
    summer = make_session(starts_at=datetime(2026, 7, 1, 8, 30, tzinfo=timezone.utc), trainers=[trainer])
    db.session.commit()
    sign_in_as(client, trainer)

    _, text = pdf_text(client.get(f"/manage/sessions/{summer.id}/sign-in-sheet.pdf").data)

    assert "Wednesday 1 July 2026, 9:30am to 12:30pm" in text


def test_a_long_sign_in_sheet_runs_over_pages(client, make_session, trainer, make_people):
    big = make_session(starts_at=utcnow() + timedelta(days=5), capacity=80, trainers=[trainer])
    people = make_people(60)
    book_all(big, people)
    db.session.commit()
    sign_in_as(client, trainer)

    pages, text = pdf_text(client.get(f"/manage/sessions/{big.id}/sign-in-sheet.pdf").data)

    assert pages >= 2
    assert f"of {pages}" in text
    for person in people:
        assert person.full_name in text
    assert text.count("Signature") == pages  # the header row is repeated on every page


# --- the QR code page -----------------------------------------------------------------------


def test_check_in_page_shows_the_code_and_the_address(client, running, trainer):
    db.session.commit()
    sign_in_as(client, trainer)

    html = client.get(f"/manage/sessions/{running.id}/check-in-code").get_data(as_text=True)

    url = f"http://localhost/sessions/{running.id}/check-in/{running.checkin_code}"
    assert url in html
    assert str(qr_svg(url)) in html  # the QR code encodes exactly that address
    assert "<img" not in html.split('id="checkin-qr"')[1].split("</div>")[0]
    assert "Check-in is open" in html


def test_check_in_page_before_the_window(client, future, trainer):
    db.session.commit()
    sign_in_as(client, trainer)

    html = client.get(f"/manage/sessions/{future.id}/check-in-code").get_data(as_text=True)

    assert f"From {london_clock(future.starts_at - timedelta(minutes=30))} on" in html
    assert "Check-in is not open yet" in html


def test_qr_svg_is_inline_and_labelled():
    svg = str(qr_svg("http://localhost/sessions/1/check-in/abc"))
    assert svg.startswith('<svg role="img"')
    assert "<title>QR code for checking in to this session</title>" in svg
    assert "href" not in svg  # draws itself; loads nothing


def test_register_rows_are_counted(client, running, booked, trainer):
    sign_in_as(client, trainer)
    tom = booked["Tom Teacher"]
    client.post(f"/manage/sessions/{running.id}/register", data={f"status_{tom.id}": "no-show"})

    html = client.get(f"/manage/sessions/{running.id}/register").get_data(as_text=True)

    counts = html.split('id="register-counts"')[1].split("</dl>")[0]
    values = re.findall(r'<dd class="govuk-summary-list__value">\s*(\d+)\s*</dd>', counts)
    assert values == ["0", "0", "1", "2"]
    assert db.session.scalar(select(func.count()).select_from(Booking).where(Booking.status == "no-show")) == 1
