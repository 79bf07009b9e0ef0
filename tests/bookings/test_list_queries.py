"""The sessions list, the calendar and the trainer's sessions run a fixed number of
statements whatever the number of sessions, and find the upcoming sessions by their start
(or a trainer's through session_trainer) rather than reading every session ever held."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from lms.bookings import services
from lms.bookings.models import session_trainer
from lms.bookings.sessions.views import ListQuery, _list_query
from lms.core.time import utcnow
from lms.extensions import db
from tests import factories
from tests.plans import query_plan, sqlite_only  # noqa: F401 (a fixture)


def sign_in_as(client, person):
    response = factories.sign_in(client, person)
    assert response.status_code == 302, f"sign-in failed for {person.email}"


def _sessions(make_session, trainer, number: int, *, past: bool = False, course=None) -> None:
    now = utcnow().replace(microsecond=0)
    # Loaded again: the requests measured start from an empty database session.
    trainer = db.session.merge(trainer)
    course = db.session.merge(course) if course is not None else None
    for n in range(number):
        start = now + (timedelta(days=-(n + 2)) if past else timedelta(days=n + 2, hours=n % 5))
        make_session(course, starts_at=start, trainers=[trainer])
    db.session.commit()


def _count(client, count_queries, path: str) -> list[str]:
    db.session.remove()  # each request starts with nothing loaded, as in a server
    with count_queries() as statements:
        assert client.get(path).status_code == 200
    return statements


@pytest.mark.parametrize("path, who", [("/sessions", "person"), ("/sessions/calendar", "person"),
                                       ("/manage/sessions", "trainer")])
def test_a_list_runs_the_same_statements_for_2_sessions_or_25(client, make_session, course, trainer, person,
                                                               count_queries, path, who):
    _sessions(make_session, trainer, 2, course=course)
    sign_in_as(client, trainer if who == "trainer" else person)
    client.get(path)
    few = _count(client, count_queries, path)
    _sessions(make_session, trainer, 23, course=course)
    _sessions(make_session, trainer, 30, past=True, course=course)
    many = _count(client, count_queries, path)
    assert len(many) == len(few), "\n\n".join(many)
    assert len(many) <= 10, "\n\n".join(many)


def test_upcoming_visible_sessions_are_read_by_their_start(sqlite_only, make_session, trainer, person):
    _sessions(make_session, trainer, 3)
    statement = services.visible_to(services.upcoming_sessions(now=utcnow()), person)
    plan = query_plan(statement)
    assert "ix_training_session_starts_at" in plan, plan
    assert "organisation_id" not in plan, plan


def test_a_trainers_sessions_are_found_through_session_trainer(sqlite_only, make_session, trainer):
    _sessions(make_session, trainer, 3)
    plan = query_plan(_list_query(ListQuery(), trainer, utcnow()))
    assert "ix_session_trainer_user_id" in plan, plan
    assert "SCAN training_session" not in plan, plan
    # The trainer sees exactly their own sessions.
    other = factories.user("other.trainer@partnership.example", trainer=True, roles=("other",))
    mine = set(db.session.scalars(select(session_trainer.c.session_id).where(session_trainer.c.user_id == trainer.id)))
    listed = {s.id for s in db.session.scalars(_list_query(ListQuery(when="all"), trainer, utcnow()))}
    assert listed == mine and len(mine) == 3
    assert set(db.session.scalars(_list_query(ListQuery(when="all"), other, utcnow()))) == set()
