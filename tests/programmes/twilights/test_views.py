"""The twilight pages: booking (one session or the year), the admins' pages, the per-term
report (page, CSV, XLSX), who may see what, CSRF, and the record a twilight leaves."""
from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from lms.audit.models import AuditEvent
from lms.bookings.models import Booking
from lms.bookings.registers import services as registers
from lms.extensions import db
from lms.programmes.models import Programme
from lms.programmes.twilights import services
from lms.programmes.twilights.models import TwilightSession
from tests import factories
from tests.conftest import NOW, csrf_token_from
from tests.programmes.twilights.conftest import TOPIC, term


def signed_in(app, person):
    return factories.signed_in_client(app, person)


def booking_count(person) -> int:
    return db.session.scalar(select(func.count()).select_from(Booking).where(Booking.user_id == person.id))


# --- booking ------------------------------------------------------------------------------


def test_a_dsl_books_the_year_in_their_area_in_one_step(app, series, dsl):
    client = signed_in(app, dsl)
    page = client.get(f"/twilights/{series.id}").get_data(as_text=True)
    assert "Book the year in North" in page
    assert TOPIC in page

    response = client.post(f"/twilights/{series.id}/book-the-year")

    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Autumn 2026: booked (North, 8 December 2026)" in page
    assert 'id="mine-autumn"' in page
    db.session.expire_all()
    booking = db.session.scalar(select(Booking).where(Booking.user_id == dsl.id))
    row = db.session.scalar(select(TwilightSession).where(TwilightSession.session_id == booking.session_id))
    assert (booking.status, row.area.code) == ("booked", "north")


def test_a_teaching_assistant_is_told_why_not_on_the_page(app, series, assistant):
    client = signed_in(app, assistant)
    page = client.get(f"/twilights/{series.id}").get_data(as_text=True)
    assert 'id="not-eligible"' in page and "designated safeguarding leads and their deputies" in page
    assert "Book the year" not in page

    response = client.post(f"/twilights/{series.id}/book-the-year")
    assert response.status_code == 422
    assert "Your job roles on your account are: Teaching assistant" in response.get_data(as_text=True)
    row = services.term_sessions(term(series, "autumn"))[0]
    assert client.post(f"/twilights/sessions/{row.session_id}/book").status_code == 422
    assert booking_count(assistant) == 0


def test_booking_one_session_in_another_area(app, series, dsl):
    client = signed_in(app, dsl)
    south = services.term_sessions(term(series, "autumn"))[1]
    response = client.post(f"/twilights/sessions/{south.session_id}/book")
    assert response.status_code == 302
    east = services.term_sessions(term(series, "autumn"))[2]
    response = client.post(f"/twilights/sessions/{east.session_id}/book")
    assert response.status_code == 422
    assert "already have a twilight in Autumn 2026: South" in response.get_data(as_text=True)
    assert booking_count(dsl) == 1


def test_booking_needs_the_csrf_token(csrf_app, series, dsl):
    client = signed_in(csrf_app, dsl)
    assert client.post(f"/twilights/{series.id}/book-the-year").status_code == 400
    row = services.term_sessions(term(series, "autumn"))[0]
    assert client.post(f"/twilights/sessions/{row.session_id}/book").status_code == 400
    assert booking_count(dsl) == 0
    page = client.get(f"/twilights/{series.id}").get_data(as_text=True)
    response = client.post(f"/twilights/{series.id}/book-the-year", data={"csrf_token": csrf_token_from(page)})
    assert response.status_code == 302 and booking_count(dsl) == 1


def test_signed_out_people_are_sent_to_sign_in(client, series):
    for path in ("/twilights", f"/twilights/{series.id}", "/manage/twilights"):
        response = client.get(path)
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
    assert client.post(f"/twilights/{series.id}/book-the-year").status_code == 302


def test_a_missing_series_is_not_found(app, series, dsl):
    assert signed_in(app, dsl).get(f"/twilights/{series.id + 99}").status_code == 404


def test_materials_only_for_people_who_attended(app, series, dsl, deputy, trainer):
    row = services.term_sessions(term(series, "autumn"))[0]
    booking = services.book_session(row.session, dsl, now=NOW)
    services.book_session(row.session, deputy, now=NOW)
    registers.mark(booking, "attended", actor=trainer, now=row.session.ends_at)
    db.session.commit()
    assert "https://example.org/slides" in signed_in(app, dsl).get(f"/twilights/{series.id}").get_data(as_text=True)
    assert "https://example.org/slides" not in signed_in(app, deputy).get(f"/twilights/{series.id}").get_data(as_text=True)


def test_the_record_reads_the_term_and_topic(app, series, dsl, trainer):
    row = services.term_sessions(term(series, "autumn"))[0]
    booking = services.book_session(row.session, dsl, now=NOW)
    registers.mark(booking, "attended", actor=trainer, now=row.session.ends_at)
    db.session.commit()
    client = signed_in(app, dsl)
    title = f"DSL network twilight, autumn 2026: {TOPIC}"
    portfolio = client.get("/my-training/portfolio?from=2026-09-01&to=2027-08-31").get_data(as_text=True)
    assert title in portfolio
    entry = portfolio.split(title)[1].split("</tr>")[0]
    assert "2 hours" in entry or "2.0" in entry or ">2<" in entry, entry
    # What training I need: the annual update is current from the twilight, for a year.
    needs = client.get("/my-training?as_of=2026-12-09").get_data(as_text=True)
    card = needs.split('id="requirement-dsl-annual-update"')[1].split("</dl>")[0]
    assert "Current" in card and "8 December 2026" in card


# --- the admins' pages --------------------------------------------------------------------


ADMIN_GETS = ("/manage/twilights/new", "/manage/twilights/terms/{term}/topic", "/manage/twilights/terms/{term}/sessions")
# Trainers see the series and its term reports, without the admins' actions.
TRAINER_GETS = ("/manage/twilights", "/manage/twilights/{programme}")
ADMIN_POSTS = ("/manage/twilights/new", "/manage/twilights/terms/{term}/topic", "/manage/twilights/terms/{term}/sessions",
               "/manage/twilights/terms/{term}/copy", "/manage/twilights/{programme}/copy")


@pytest.mark.parametrize("who", ["trainer", "dsl", "lead"])
def test_only_admins_reach_the_admin_pages(app, series, who, trainer, dsl, borough):
    person = {"trainer": trainer, "dsl": dsl,
              "lead": factories.user(organisation=borough["hosts"]["north"], leads=(borough["hosts"]["north"],))}[who]
    client = signed_in(app, person)
    ids = {"programme": series.id, "term": term(series, "autumn").id}
    for path in ADMIN_GETS:
        assert client.get(path.format(**ids)).status_code == 403, path
    for path in TRAINER_GETS:
        assert client.get(path.format(**ids)).status_code == (200 if who == "trainer" else 403), path
    for path in ADMIN_POSTS:
        assert client.post(path.format(**ids), data={"title": "x", "start_year": "2030"}).status_code == 403, path
    assert db.session.scalar(select(func.count()).select_from(Programme)) == 1


def test_an_admin_adds_a_series_sets_a_topic_and_adds_sessions(app, borough, twilight_course, admin):
    client = signed_in(app, admin)
    assert 'value="2026"' in client.get("/manage/twilights/new").get_data(as_text=True)
    response = client.post("/manage/twilights/new", data={"start_year": "2027", "summary": "Next year."})
    assert response.status_code == 302
    programme = db.session.scalar(select(Programme))
    spring = term(programme, "spring")

    bad = client.post(f"/manage/twilights/terms/{spring.id}/topic", data={"title": "", "materials_url": "http://x"})
    assert bad.status_code == 400 and "Enter the term’s topic" in bad.get_data(as_text=True)
    response = client.post(f"/manage/twilights/terms/{spring.id}/topic", data={
        "title": "Harmful sexual behaviour", "agencies": "NHS; Police", "materials_url": "https://example.org/hsb"})
    assert response.status_code == 302
    db.session.expire_all()
    assert spring.topic_title == "Harmful sexual behaviour"

    areas = borough["areas"]
    form = client.get(f"/manage/twilights/terms/{spring.id}/sessions").get_data(as_text=True)
    assert f'name="host_{areas["north"].id}"' in form and "Ashcombe Park Primary School" in form
    data = {"day": ["9", "3", "2028"], "starts": "3:45pm", "ends": "5:45pm", "capacity": "90",
            f"host_{areas['north'].id}": str(borough["hosts"]["north"].id),
            f"host_{areas['south'].id}": str(borough["hosts"]["south"].id),
            f"host_{areas['east'].id}": ""}
    outside = client.post(f"/manage/twilights/terms/{spring.id}/sessions", data={**data, "day": ["9", "6", "2028"]})
    assert outside.status_code == 400 and "must be between 1 January 2028 and 14 April 2028" in outside.get_data(as_text=True)
    response = client.post(f"/manage/twilights/terms/{spring.id}/sessions", data=data)
    assert response.status_code == 302
    rows = services.term_sessions(spring)
    assert [(r.area.code, r.session.capacity) for r in rows] == [("north", 90), ("south", 90)]
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action.like("twilights.%"))) == 3


def test_copying_a_term_forward_from_the_page(app, series, admin):
    client = signed_in(app, admin)
    autumn = term(series, "autumn")
    response = client.post(f"/manage/twilights/terms/{autumn.id}/copy")
    assert response.status_code == 302
    rows = services.term_sessions(term(series, "spring"))
    assert len(rows) == 3
    assert all(r.session.starts_at.weekday() == 1 for r in rows)  # Tuesdays, like the autumn's
    page = client.get(f"/manage/twilights/{series.id}").get_data(as_text=True)
    assert "Copied 3 sessions to Spring 2027" in page


def test_admin_forms_need_the_csrf_token(csrf_app, series, admin):
    client = signed_in(csrf_app, admin)
    autumn = term(series, "autumn")
    assert client.post(f"/manage/twilights/terms/{autumn.id}/topic", data={"title": "Changed"}).status_code == 400
    client.post(f"/manage/twilights/terms/{autumn.id}/copy")
    db.session.expire_all()
    assert autumn.topic_title == TOPIC
    assert services.term_sessions(term(series, "spring")) == []


# --- the report ---------------------------------------------------------------------------


@pytest.fixture()
def marked(series, dsl, admin):
    row = services.term_sessions(term(series, "autumn"))[0]
    booking = services.book_session(row.session, dsl, now=NOW)
    registers.mark(booking, "attended", actor=admin, now=row.session.ends_at)
    db.session.commit()
    return term(series, "autumn")


def test_the_report_names_schools_with_nobody_there(app, marked, trainer):
    client = signed_in(app, trainer)
    page = client.get(f"/manage/twilights/terms/{marked.id}/report").get_data(as_text=True)
    assert "1 of 5 (20.0%)" in page
    missing = page.split('id="not-represented"')[1]
    assert "Fenmarsh Park Primary School" in missing and "Ashcombe Park Primary School" not in missing

    csv = client.get(f"/manage/twilights/terms/{marked.id}/report.csv")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    text = csv.get_data(as_text=True)
    assert text.lstrip("\ufeff").startswith("School,Type,Area,URN")
    assert "Saltmere Academy,Secondary school,East" in text and "Ashcombe" not in text

    xlsx = client.get(f"/manage/twilights/terms/{marked.id}/report.xlsx")
    book = load_workbook(io.BytesIO(xlsx.get_data()))
    names = [row[0] for row in book["Not represented"].iter_rows(min_row=2, values_only=True)]
    assert names == ["Brook Lane Special School", "Fenmarsh Park Primary School",  # South, by name
                     "Dunholt Park Primary School", "Saltmere Academy"]  # then East
    areas = list(book["By area"].iter_rows(min_row=2, values_only=True))
    assert [(a[0], a[4]) for a in areas] == [("North", 1), ("South", 0), ("East", 0)]


def test_the_report_is_for_admins_and_trainers(app, marked, dsl, borough):
    lead = factories.user(organisation=borough["hosts"]["north"], leads=(borough["hosts"]["north"],))
    for person in (dsl, lead):
        client = signed_in(app, person)
        for suffix in ("", ".csv", ".xlsx"):
            assert client.get(f"/manage/twilights/terms/{marked.id}/report{suffix}").status_code == 403


def test_a_trainer_sees_the_series_and_its_reports_without_the_admins_actions(app, series, trainer):
    client = signed_in(app, trainer)
    listing = client.get("/manage/twilights").get_data(as_text=True)
    assert "Add a series" not in listing and series.title in listing
    page = client.get(f"/manage/twilights/{series.id}").get_data(as_text=True)
    autumn = term(series, "autumn")
    assert f"/manage/twilights/terms/{autumn.id}/report" in page
    assert "/copy" not in page and "/topic" not in page and f"/manage/twilights/terms/{autumn.id}/sessions" not in page
    assert client.get(f"/manage/twilights/terms/{autumn.id}/report").status_code == 200
