"""The licence summary's kept counts (licences.kept_counts) equal a direct count of the
`user` table after every kind of change: accounts created one by one or in bulk, closed,
reopened, made dormant (one by one and by the nightly job), brought back at sign-in,
closed by the nightly job, deleted, and changes rolled back; in random sequences."""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, insert, select, text

from lms.accounts.models import User
from lms.extensions import db
from lms.licences import jobs, kept_counts, services
from lms.licences.models import LicenceCount
from tests import factories

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)
LONG_AGO = datetime(2022, 1, 1, tzinfo=timezone.utc)


def direct() -> tuple[int, int]:
    active = db.session.scalar(select(func.count(User.id)).where(User.active.is_(True), User.dormant_at.is_(None)))
    dormant = db.session.scalar(select(func.count(User.id)).where(User.active.is_(True), User.dormant_at.is_not(None)))
    return active, dormant


def assert_kept_right(where: str) -> None:
    db.session.flush()
    assert kept_counts.kept() == direct(), where
    summary = services.summary(now=NOW)
    assert (summary.active, summary.dormant) == direct(), where


def _people(rng) -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.id)))


def _create(rng, n):
    factories.user()


def _create_many(rng, n):
    db.session.execute(insert(User), [
        {"email": f"bulk{n}-{i}@example.org", "full_name": f"Bulk {i}", "created_at": NOW,
         "active": rng.random() > 0.2, "dormant_at": NOW if rng.random() < 0.3 else None}
        for i in range(rng.randint(1, 5))
    ])


def _close(rng, n):
    people = [p for p in _people(rng) if p.active]
    if people:
        person = rng.choice(people)
        person.active = False
        person.closed_at = NOW


def _reopen(rng, n):
    people = [p for p in _people(rng) if not p.active]
    if people:
        person = rng.choice(people)
        person.active = True
        person.closed_at = None


def _make_dormant(rng, n):
    people = [p for p in _people(rng) if p.dormant_at is None]
    if people:
        rng.choice(people).dormant_at = NOW


def _sign_in_dormant(rng, n):
    people = [p for p in _people(rng) if p.active and p.dormant_at is not None]
    if people:
        services.reactivate(rng.choice(people), now=NOW)  # no licences recorded: always allowed


def _nightly_dormancy(rng, n):
    for person in rng.sample(_people(rng), k=min(3, len(_people(rng)))):
        if not person.is_admin:
            person.created_at = person.last_sign_in_at = LONG_AGO
    db.session.flush()
    services.make_accounts_dormant(now=NOW)


def _nightly_close(rng, n):
    services.close_dormant_accounts(now=NOW + timedelta(days=800))


def _delete(rng, n):
    people = _people(rng)
    if people:
        db.session.delete(rng.choice(people))


def _expired_then_changed(rng, n):
    """The person's columns not loaded when the change is made (after a commit)."""
    people = _people(rng)
    if people:
        person = rng.choice(people)
        db.session.expire(person)
        person.active = not rng.random() < 0.5


STEPS = [_create, _create_many, _close, _reopen, _make_dormant, _sign_in_dormant, _nightly_dormancy,
         _nightly_close, _delete, _expired_then_changed]


@pytest.mark.parametrize("seed", range(6))
def test_kept_counts_follow_a_random_sequence_of_changes(seed):
    rng = random.Random(seed)
    for _ in range(5):
        factories.user()
    db.session.commit()
    assert_kept_right("start")
    for n in range(40):
        step = rng.choice(STEPS)
        step(rng, n)
        ending = rng.random()
        if ending < 0.5:
            db.session.commit()
        elif ending < 0.65:
            db.session.rollback()
        assert_kept_right(f"step {n}: {step.__name__}")
    db.session.commit()
    assert db.session.get(LicenceCount, 1) is not None
    assert_kept_right("end")


def test_the_nightly_check_puts_right_a_change_made_without_the_orm():
    for _ in range(4):
        factories.user()
    db.session.commit()
    right = kept_counts.kept()
    db.session.execute(text("UPDATE \"user\" SET dormant_at = :now"), {"now": NOW})  # bypasses the ORM
    db.session.commit()
    assert kept_counts.kept() == right  # not followed...
    message = jobs.check_licence_counts(now=NOW)
    assert "put right" in message
    assert kept_counts.kept() == direct() == (0, 4)  # ...until the nightly check
    assert "counts right" in jobs.check_licence_counts(now=NOW)


def test_the_summary_reads_one_row(count_queries):
    for _ in range(3):
        factories.user()
    db.session.commit()
    services.summary(now=NOW)
    with count_queries() as statements:
        summary = services.summary(now=NOW)
    assert summary.active == 3
    assert not any('FROM "user"' in s or "FROM user" in s for s in statements), "\n\n".join(statements)


def test_without_the_row_the_summary_counts_and_the_next_change_writes_it():
    for _ in range(3):
        factories.user()
    db.session.commit()
    db.session.execute(text("DELETE FROM licence_count"))
    db.session.commit()
    assert services.summary(now=NOW).active == 3
    factories.user()
    db.session.commit()
    assert kept_counts.kept() == (4, 0)
