"""The Safeguarding Week report: events, registrations, attendance by sector and public,
by organiser, evaluations and engagement; page, CSV and XLSX; trainers and admins only."""
from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

import openpyxl
import pytest

from lms.bookings import services as bookings
from lms.bookings.registers.services import mark
from lms.evaluations import services as evaluations
from lms.extensions import db
from lms.records.models import Completion
from lms.programmes.week import services
from lms.reports.week.services import week_report
from tests import factories
from tests.conftest import NOW
from tests.programmes.week.conftest import admin, make_event, week  # noqa: F401  (fixtures)

AFTER = datetime(2027, 6, 16, 17, 0, tzinfo=timezone.utc)


@pytest.fixture()
def held_week(admin, week):
    school = factories.organisation("Brook Lane Primary")  # education
    nursery = factories.organisation("Little Acorns Day Nursery", type_code="day-nursery")
    people = [factories.user(f"t{n}@brook.example", organisation=school) for n in range(2)]
    people.append(factories.user("n@acorns.example", organisation=nursery))
    week.professionals.session.course.asks_for_evaluation = True
    booked = [bookings.book(week.professionals.session, person, actor=person, now=NOW) for person in people]
    services.register(week.public, "Ann One", "ann@example.org", now=NOW)
    services.register(week.public, "Bob Two", "bob@example.org", now=NOW)
    services.register(week.public, "Cat Three", "cat@example.org", now=NOW + timedelta(minutes=1))  # waits
    services.register(week.both, "Dee Four", "dee@example.org", now=NOW)
    services.record_engagement(week.stall, {"conversations": 500, "leaflets": 350, "public-attended": 60},
                               actor=admin, now=NOW)
    for booking in booked[:2]:
        mark(booking, "attended", actor=admin, now=AFTER)
    mark(booked[2], "no-show", actor=admin, now=AFTER)
    db.session.flush()
    # The two who came evaluate the event.
    for booking, (satisfaction, before, after, quote) in zip(booked[:2], [(5, 2, 4, "I will ask about home life"),
                                                                         (3, 3, 3, "")]):
        db.session.refresh(booking)
        evaluations.submit(db.session.get(Completion, booking.completion_id), evaluations.Answers(
            satisfaction=satisfaction, skills="a-lot" if satisfaction == 5 else "no", confidence_before=before,
            confidence_after=after, will_do_differently=quote, may_quote=bool(quote),
        ), actor=booking.user, now=AFTER + timedelta(hours=1))
    db.session.commit()
    return week


def test_the_figures(held_week):
    report = week_report(held_week.programme)
    lines = {line.event.title: line for line in report.lines}
    pro = lines["Contextual safeguarding for practitioners"]
    assert (pro.booked, pro.attended, pro.registered) == (3, 2, 0)
    public = lines["Staying safe online: for parents"]
    assert (public.registered, public.public_places, public.public_waiting) == (3, 2, 1)
    assert lines["Safeguarding stall at the food festival"].engagement == {"conversations": 500, "leaflets": 350,
                                                                          "public-attended": 60}
    assert report.by_sector == [("Education", 2), ("Members of the public", 60)]
    organisers = {row.name: row for row in report.by_organiser}
    assert organisers["West Yorkshire Police"].events == 2
    assert organisers["West Yorkshire Police"].attended == 2
    assert organisers["Calder Domestic Abuse Service"].registered == 1
    assert organisers["Calder Domestic Abuse Service"].engagement == 850
    assert report.engagement == {"public-attended": 60, "conversations": 500, "leaflets": 350}
    assert report.totals.registered == 4
    summary = report.evaluations
    assert (summary.responses, summary.satisfaction_percent, summary.skills_percent) == (2, 50, 50)
    assert summary.quotes == ["I will ask about home life"]


def test_the_page_csv_and_xlsx(app, admin, held_week):
    client = factories.signed_in_client(app, admin)
    page = client.get(f"/reports/safeguarding-week/{held_week.programme.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<svg role="img"' in html and "Attendance by sector and public" in html
    assert "Conversations at the stall: 500" in html
    csv = client.get(f"/reports/safeguarding-week/{held_week.programme.id}?format=csv")
    assert csv.mimetype == "text/csv"
    text = csv.get_data(as_text=True)
    assert "Contextual safeguarding for practitioners" in text and "Public registrations" in text
    xlsx = client.get(f"/reports/safeguarding-week/{held_week.programme.id}?format=xlsx")
    book = openpyxl.load_workbook(io.BytesIO(xlsx.data))
    assert {"Events", "Attendance by sector", "By organiser", "Engagement"} <= set(book.sheetnames)
    rows = list(book["Attendance by sector"].values)
    assert rows[1:] == [("Education", 2), ("Members of the public", 60)]


def test_only_trainers_and_admins(app, client, held_week):
    path = f"/reports/safeguarding-week/{held_week.programme.id}"
    assert client.get(path).status_code == 302
    lead = factories.user("lee@example.org", organisation=held_week.police, leads=(held_week.police,))
    db.session.commit()
    assert factories.signed_in_client(app, lead).get(path).status_code == 403
    trainer = factories.user("tess@example.org", trainer=True)
    db.session.commit()
    assert factories.signed_in_client(app, trainer).get(path).status_code == 200
    assert factories.signed_in_client(app, trainer).get("/reports/safeguarding-week/99999").status_code == 404
