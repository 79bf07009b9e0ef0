"""Kept registration counts: how many accounts were made in each London month, for
everyone and by the sector, type and area of each person's organisation now, so the uptake
report's registrations read a few hundred rows instead of every account of the period
(docs/reports.md, "How the figures are kept").

`registration_mix` holds one row per dimension (0 everyone, 1 sector, 2 organisation type,
3 area: the numbers of lms.records.uptake.DIMENSIONS), group (the id, or 0 for no
organisation or no area) and month (the first day of the London month the account was
made in), with the number of people. The rows are exact: a listener on the session adds
each flush's difference (a new account, an account removed, a person who moves to another
organisation or leaves one, a corrected creation time, an organisation whose sector, type
or area changes);
count_new_accounts does it for accounts inserted in bulk (the history import), and
rebuild_registrations makes every row again from the accounts (the nightly job, `flask lms
reports rebuild-uptake`, the benchmark data generator).
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime, timezone

from sqlalchemy import Date, Integer, SmallInteger, delete, event, inspect, select
from sqlalchemy.orm import Mapped, mapped_column

from lms.accounts.models import User
from lms.core.time import LONDON
from lms.core.upsert import add_to
from lms.extensions import db
from lms.organisations.models import Organisation

DIMENSIONS = {"all": 0, "sector": 1, "organisation-type": 2, "area": 3}
NO_GROUP = 0
KEY = ("dimension", "group_key", "month")
_UNCHANGED = object()


class RegistrationMix(db.Model):
    __tablename__ = "registration_mix"

    dimension: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    group_key: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    people: Mapped[int] = mapped_column(Integer)


def london_month(moment: datetime) -> date:
    """The first day of the London month of a UTC moment (naive values are UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    local = moment.astimezone(LONDON)
    return date(local.year, local.month, 1)


Groups = tuple[int, int, int]  # (sector, type, area) keys, NO_GROUP for none


def _keys(groups: Groups | None, month: date) -> list[tuple]:
    sector, type_, area = groups or (NO_GROUP, NO_GROUP, NO_GROUP)
    return [(0, NO_GROUP, month), (1, sector, month), (2, type_, month), (3, area, month)]


def _groups_of(sector_id, type_id, area_id) -> Groups:
    return (sector_id or NO_GROUP, type_id or NO_GROUP, area_id or NO_GROUP)


def _apply(connection, changes: Counter) -> None:
    rows = [dict(zip(KEY + ("people",), (*key, difference), strict=True))
            for key, difference in sorted(changes.items()) if difference]  # in key order: concurrent writers lock alike
    if rows:
        connection.execute(add_to(RegistrationMix, KEY, ("people",), bind=connection), rows)


def count_new_accounts(accounts: Iterable[dict]) -> None:
    """Count accounts inserted in bulk (dicts with organisation_id and created_at), in the
    session's transaction."""
    accounts = list(accounts)
    organisation_ids = {a["organisation_id"] for a in accounts if a.get("organisation_id")}
    groups = _current_groups(db.session.connection(), organisation_ids)
    changes: Counter = Counter()
    for account in accounts:
        for key in _keys(groups.get(account.get("organisation_id")), london_month(account["created_at"])):
            changes[key] += 1
    _apply(db.session.connection(), changes)


def _current_groups(connection, organisation_ids) -> dict[int, Groups]:
    ids = sorted(i for i in organisation_ids if i is not None)
    found: dict[int, Groups] = {}
    for start in range(0, len(ids), 500):
        for row in connection.execute(
            select(Organisation.id, Organisation.sector_id, Organisation.type_id, Organisation.area_id)
            .where(Organisation.id.in_(ids[start:start + 500]))
        ):
            found[row.id] = _groups_of(row.sector_id, row.type_id, row.area_id)
    return found


def _old_value(state, name: str):
    history = state.attrs[name].history
    return history.deleted[0] if history.deleted else _UNCHANGED


def _old_organisation_id(state):
    old = _old_value(state, "organisation_id")
    if old is not _UNCHANGED:
        return old
    history = state.attrs.organisation.history
    if history.deleted:
        return history.deleted[0].id if history.deleted[0] is not None else None
    return _UNCHANGED


def _after_flush(session, _flush_context) -> None:
    """Add this flush's difference: each account touched counts under its organisation's
    groups after the flush and no longer under those before it."""
    before: dict[int, tuple] = {}  # user id -> (organisation id before, created_at)
    after: dict[int, tuple] = {}
    old_groups: dict[int, Groups] = {}  # organisations regrouped in this flush: their groups before
    for instance in session.new:
        if isinstance(instance, User) and instance.created_at is not None:
            after[instance.id] = (instance.organisation_id, instance.created_at)
    for instance in session.deleted:
        if isinstance(instance, User) and instance.created_at is not None:
            old = _old_organisation_id(inspect(instance))
            before[instance.id] = (instance.organisation_id if old is _UNCHANGED else old, instance.created_at)
    for instance in session.dirty:
        if isinstance(instance, User):
            state = inspect(instance)
            old_organisation, old_created = _old_organisation_id(state), _old_value(state, "created_at")
            if old_organisation is _UNCHANGED and old_created is _UNCHANGED:
                continue
            was = (instance.organisation_id if old_organisation is _UNCHANGED else old_organisation,
                   instance.created_at if old_created is _UNCHANGED else old_created)
            if was != (instance.organisation_id, instance.created_at):
                if was[1] is not None:
                    before[instance.id] = was
                if instance.created_at is not None:
                    after[instance.id] = (instance.organisation_id, instance.created_at)
        elif isinstance(instance, Organisation) and instance.id is not None:
            state = inspect(instance)
            olds = [_old_value(state, name) for name in ("sector_id", "type_id", "area_id")]
            if any(old is not _UNCHANGED for old in olds):
                current = (instance.sector_id, instance.type_id, instance.area_id)
                was = _groups_of(*[c if o is _UNCHANGED else o for o, c in zip(olds, current, strict=True)])
                if was != _groups_of(*current):
                    old_groups[instance.id] = was
    if not (before or after or old_groups):
        return
    connection = session.connection()
    if old_groups:
        # Everyone now at a regrouped organisation who did not move in this flush counted
        # under its groups before.
        for start in range(0, len(ids := sorted(old_groups)), 500):
            for user_id, organisation_id, created_at in connection.execute(
                select(User.id, User.organisation_id, User.created_at)
                .where(User.organisation_id.in_(ids[start:start + 500]))
            ):
                if user_id not in after and user_id not in before:
                    before[user_id] = after[user_id] = (organisation_id, created_at)
    groups = _current_groups(connection, {o for o, _ in (*before.values(), *after.values())})
    changes: Counter = Counter()
    for user_id, (organisation_id, created_at) in before.items():
        was = old_groups.get(organisation_id, groups.get(organisation_id))
        for key in _keys(was, london_month(created_at)):
            changes[key] -= 1
    for user_id, (organisation_id, created_at) in after.items():
        for key in _keys(groups.get(organisation_id), london_month(created_at)):
            changes[key] += 1
    _apply(connection, changes)


def rebuild_registrations(connection=None) -> int:
    """Delete every kept row and count every account again, in the session's transaction
    (or on `connection`). Returns the number of rows."""
    if connection is None:
        db.session.flush()
        connection = db.session.connection()
    connection.execute(delete(RegistrationMix))
    changes: Counter = Counter()
    groups = {row.id: _groups_of(row.sector_id, row.type_id, row.area_id) for row in connection.execute(
        select(Organisation.id, Organisation.sector_id, Organisation.type_id, Organisation.area_id))}
    for organisation_id, created_at in connection.execute(
        select(User.organisation_id, User.created_at).where(User.created_at.is_not(None))
        .execution_options(yield_per=10_000)
    ):
        for key in _keys(groups.get(organisation_id), london_month(created_at)):
            changes[key] += 1
    _apply(connection, changes)
    return len(changes)


def connect_signals() -> None:
    if not event.contains(db.session, "after_flush", _after_flush):
        event.listen(db.session, "after_flush", _after_flush)
