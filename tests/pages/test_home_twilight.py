"""A DSL's or deputy's home page asks them to book the next twilight term that is open and
in which they hold no place, in one statement whatever the series holds; nobody else is
asked."""
from __future__ import annotations

from datetime import date

from lms.accounts.models import User
from lms.extensions import db
from lms.pages import services as pages
from lms.programmes.twilights import services as twilights
from tests import factories
from tests.conftest import NOW
from tests.programmes.twilights.conftest import (admin, assistant, borough, dsl, plan_for, series,  # noqa: F401
                                                 term, trainer, twilight_course)


def practitioner(person):
    return pages.home(person, now=NOW).section("practitioner")


def fresh(person_id: int) -> User:
    db.session.flush()
    db.session.expire_all()
    return db.session.get(User, person_id)


def test_a_dsl_is_asked_to_book_this_terms_twilight_until_they_have_a_place(app, series, dsl):
    autumn = term(series, "autumn")
    assert practitioner(dsl).twilight_term == autumn
    page = factories.signed_in_client(app, dsl).get("/").get_data(as_text=True)
    assert "DSL network twilight" in page and f"/twilights/{series.id}" in page
    assert "Online extremism: the school response" in page

    row = twilights.term_sessions(autumn)[0]
    twilights.book_session(row.session, dsl, now=NOW)
    db.session.commit()
    # Spring has no sessions yet: nothing more to book.
    assert practitioner(fresh(dsl.id)).twilight_term is None


def test_the_next_open_term_once_this_one_is_booked(series, borough, admin, dsl):
    autumn, spring = term(series, "autumn"), term(series, "spring")
    twilights.create_term_sessions(spring, plan_for(borough, date(2027, 2, 9)), actor=admin, now=NOW)
    twilights.book_session(twilights.term_sessions(autumn)[0].session, dsl, now=NOW)
    db.session.commit()
    assert practitioner(fresh(dsl.id)).twilight_term == spring


def test_nobody_else_is_asked(series, assistant):
    assert practitioner(assistant).twilight_term is None


def test_one_statement_whatever_the_series_holds(series, borough, admin, dsl, count_queries):
    person = fresh(dsl.id)
    person.current_roles  # loaded by the home page's own work before it asks
    with count_queries() as first:
        assert twilights.term_to_book(person, now=NOW) is not None
    for code, day in (("spring", date(2027, 2, 9)), ("summer", date(2027, 6, 8))):
        twilights.create_term_sessions(term(series, code), plan_for(borough, day), actor=admin, now=NOW)
    db.session.commit()
    person = fresh(dsl.id)
    person.current_roles
    with count_queries() as second:
        assert twilights.term_to_book(person, now=NOW) is not None
    assert len(first) == len(second) == 1, "\n\n".join(second)
