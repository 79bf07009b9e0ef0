"""The licence summary's counts kept (LicenceCount, one row): open accounts in use and open
dormant accounts, so the admin's home card and the licences page read one row instead of
counting the whole `user` table.

Changed in the same transaction as the accounts, by session events, so the services that
create, close, reopen, delete or make dormant an account need not know about it:

- after each flush, every account added, deleted or whose `active` or `dormant_at` changed
  moves the counts by its difference (one UPDATE ... SET active = active + n);
- an ORM bulk INSERT, UPDATE or DELETE of `user` (the history import, the nightly
  dormancy job) is followed at once by counting everything again;
- a change made with SQL that bypasses the ORM is put right by the nightly check
  (check_counts), which counts again and says whether the kept counts were wrong.

If the row is missing (a database made before it, or emptied), the first change counts
everything again and writes it; until then the summary counts directly."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import event, func, insert, inspect, select, update
from sqlalchemy.orm import Session

from lms.accounts.models import User
from lms.extensions import db
from lms.licences.models import LicenceCount

_table = LicenceCount.__table__
_user = User.__table__


def _state(active, dormant_at) -> str | None:
    if active is False:  # None: a new account before its default (open) is applied
        return None
    return "active" if dormant_at is None else "dormant"


def _old(state, name):
    """The value before this flush, or a sentinel when it was never loaded."""
    history = state.attrs[name].history
    if history.deleted:
        return history.deleted[0]
    if history.unchanged:
        return history.unchanged[0]
    return _UNKNOWN


_UNKNOWN = object()


def counted(connection) -> tuple[int, int]:
    """(active, dormant) counted from the `user` table."""
    row = connection.execute(
        select(
            func.count().filter(_user.c.dormant_at.is_(None)),
            func.count().filter(_user.c.dormant_at.is_not(None)),
        ).where(_user.c.active.is_(True))
    ).one()
    return int(row[0] or 0), int(row[1] or 0)


def write_counted(connection, *, now: datetime | None = None) -> tuple[int, int]:
    """Count again and write the row (made if missing). Returns the counts."""
    active, dormant = counted(connection)
    values = {"active": active, "dormant": dormant}
    if now is not None:
        values["checked_at"] = now
    if connection.execute(update(_table).where(_table.c.id == 1).values(**values)).rowcount == 0:
        connection.execute(insert(_table).values(id=1, **values))
    return active, dormant


def kept() -> tuple[int, int] | None:
    """(active, dormant) from the kept row, or None when there is none."""
    row = db.session.execute(select(LicenceCount.active, LicenceCount.dormant).where(LicenceCount.id == 1)).first()
    return (row.active, row.dormant) if row is not None else None


def check_counts(*, now: datetime) -> tuple[tuple[int, int] | None, tuple[int, int]]:
    """The nightly check: (kept before, counted now), writing what was counted."""
    before = kept()
    return before, write_counted(db.session.connection(), now=now)


# --- session events -------------------------------------------------------------------------

def _after_flush(session: Session, flush_context) -> None:
    delta = {"active": 0, "dormant": 0}
    unknown = False
    for instance in session.new:
        if isinstance(instance, User):
            after = _state(instance.active, instance.dormant_at)
            if after:
                delta[after] += 1
    for instance in session.deleted:
        if isinstance(instance, User):
            state = inspect(instance)
            active, dormant_at = _old(state, "active"), _old(state, "dormant_at")
            if _UNKNOWN in (active, dormant_at):
                unknown = True
                continue
            before = _state(active, dormant_at)
            if before:
                delta[before] -= 1
    for instance in session.dirty:
        if not isinstance(instance, User) or instance in session.deleted:
            continue
        state = inspect(instance)
        if not (state.attrs.active.history.has_changes() or state.attrs.dormant_at.history.has_changes()):
            continue
        active, dormant_at = _old(state, "active"), _old(state, "dormant_at")
        if _UNKNOWN in (active, dormant_at):
            unknown = True
            continue
        before, after = _state(active, dormant_at), _state(instance.active, instance.dormant_at)
        if before != after:
            if before:
                delta[before] -= 1
            if after:
                delta[after] += 1
    connection = session.connection()
    if unknown:
        write_counted(connection)
    elif delta["active"] or delta["dormant"]:
        changed = connection.execute(
            update(_table).where(_table.c.id == 1)
            .values(active=_table.c.active + delta["active"], dormant=_table.c.dormant + delta["dormant"])
        ).rowcount
        if changed == 0:
            write_counted(connection)  # no row yet: count everything (this flush included)


def _do_orm_execute(state):
    """An ORM bulk INSERT, UPDATE or DELETE of `user`: run it, then count again."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return None
    if getattr(getattr(state.statement, "table", None), "name", None) != _user.name:
        return None
    result = state.invoke_statement()
    write_counted(state.session.connection())
    return result


def _after_create(target, connection, tables=(), **_) -> None:
    """A new database starts with its counts."""
    if any(t.name == _table.name for t in tables):
        write_counted(connection)


def connect_signals() -> None:
    for name, listener in (("after_flush", _after_flush), ("do_orm_execute", _do_orm_execute)):
        if not event.contains(db.session, name, listener):
            event.listen(db.session, name, listener)
    if not event.contains(db.metadata, "after_create", _after_create):
        event.listen(db.metadata, "after_create", _after_create)
