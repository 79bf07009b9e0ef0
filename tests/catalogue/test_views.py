from decimal import Decimal

from sqlalchemy import func, select

from lms.catalogue.models import Course, CourseInterest
from lms.extensions import db
from lms.organisations.models import Sector
from tests import factories
from tests.conftest import NOW


def course(code, title, mode="face-to-face", level=1, sectors=(), active=True, requirements=()):
    row = Course(
        code=code, title=title, summary=f"About {title}.", learning_outcomes=["Know it."], delivery_mode=mode,
        cpd_hours=Decimal("1.5"), level=level, requirement_codes=list(requirements), active=active,
        created_at=NOW, updated_at=NOW,
    )
    row.audience_sectors = [db.session.scalar(select(Sector).where(Sector.code == s)) for s in sectors]
    db.session.add(row)
    db.session.flush()
    return row


def titles(html: str, candidates) -> set:
    return {title for title in candidates if f">{title}</a>" in html}


def test_catalogue_filters(client):
    course("SR", "Safer recruitment", level=2, requirements=["safer-recruitment"])
    course("EY", "Early years safeguarding", sectors=["early-years"])
    course("TW", "DSL network twilight", mode="twilight", level=3, sectors=["education"])
    course("OLD", "Retired course", active=False)
    db.session.commit()
    names = {"Safer recruitment", "Early years safeguarding", "DSL network twilight", "Retired course"}
    assert titles(client.get("/courses").data.decode(), names) == names - {"Retired course"}
    assert titles(client.get("/courses?mode=twilight").data.decode(), names) == {"DSL network twilight"}
    assert titles(client.get("/courses?level=2&level=3").data.decode(), names) == {"Safer recruitment", "DSL network twilight"}
    # A sector filter keeps courses for everyone (no audience) and that sector's courses.
    assert titles(client.get("/courses?sector=early-years").data.decode(), names) == {"Safer recruitment", "Early years safeguarding"}
    assert titles(client.get("/courses?keyword=RECRUIT").data.decode(), names) == {"Safer recruitment"}
    assert "No courses match" in client.get("/courses?keyword=%25").data.decode()
    page = client.get("/courses/SR").data.decode()
    assert "Counts towards" in page and "Safer recruitment training" in page
    assert client.get("/courses/OLD").status_code == 404
    assert client.get("/courses/NOPE").status_code == 404


def test_catalogue_statements_do_not_grow_with_courses(client, count_queries):
    for n in range(3):
        course(f"A{n}", f"Course {n}", sectors=["education"])
    db.session.commit()
    with count_queries() as few:
        client.get("/courses")
    for n in range(3, 30):
        course(f"A{n}", f"Course {n}", sectors=["education", "health"])
    db.session.commit()
    with count_queries() as many:
        client.get("/courses")
    assert len(many) == len(few)


def test_register_interest_in_a_course_with_no_dates(client):
    course("SR", "Safer recruitment")
    person = factories.user()
    db.session.commit()
    assert client.post("/courses/SR/interest").status_code == 302  # to sign in
    factories.sign_in(client, person)
    page = client.get("/courses/SR").data.decode()
    assert "No dates are planned" in page and "Tell me when there are dates" in page
    client.post("/courses/SR/interest")
    client.post("/courses/SR/interest")
    assert db.session.scalar(select(func.count(CourseInterest.id))) == 1
    assert "You are on the list for this course" in client.get("/courses/SR").data.decode()
