"""The rule set kept per process: built once (compliance.services.load_rules, with the
active courses that meet each requirement) and reused while nothing it is built from has
changed.

Every change to a requirement, a rule layer, a requirement's job roles, a job role or a
course gives the one row of RuleSetVersion a new random token in the same transaction (a
session event after each flush, and the catalogue's course_requirements_changed signal for
changes made without the ORM). Before reusing its copy, a process reads the token (one
statement by primary key) and builds the rule set again if it differs. So with several
web workers, a change saved by one is seen by the others on their next request, and a
change rolled back never leaves a copy behind: the copy built inside the changing
transaction is kept under a token that never commits.

The copy's Requirement and Course objects are read through a session of their own on the
request's connection (so they see the request's own uncommitted changes) and detached from
it: they carry their columns and the requirements' job roles and rule layers, and must only
be read."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from threading import Lock

from sqlalchemy import event, insert, select, update
from sqlalchemy.orm import Session

from lms.catalogue.models import Course
from lms.compliance.models import Requirement, RequirementRule, RuleSetVersion
from lms.compliance.services import RuleSet, load_rules
from lms.extensions import db
from lms.organisations.models import JobRole

_WATCHED = (Requirement, RequirementRule, Course, JobRole)
_CHANGED = "lms.compliance.kept_rules.changed"


@dataclass(frozen=True)
class KeptRules:
    token: int
    rules: RuleSet
    courses: tuple  # every active course, by title (detached)

    def courses_for(self, rules: dict) -> dict[str, list[Course]]:
        """As compliance.queries.courses_for_rules, from the kept courses."""
        return {
            code: [c for c in self.courses
                   if code in (c.requirement_codes or ()) or c.delivery_mode in rule.qualifying_modes]
            for code, rule in rules.items()
        }


_kept: KeptRules | None = None
_lock = Lock()
statistics = {"built": 0, "reused": 0}


def current_token() -> int | None:
    return db.session.scalar(select(RuleSetVersion.token).where(RuleSetVersion.id == 1))


def rule_set() -> KeptRules:
    """The rule set and the active courses, reused while the token is unchanged (one
    statement), built again otherwise (four)."""
    global _kept
    token = current_token()
    kept = _kept
    if token is not None and kept is not None and kept.token == token:
        statistics["reused"] += 1
        return kept
    with Session(bind=db.session.connection()) as session:
        rules = load_rules(session)
        courses = tuple(session.scalars(select(Course).where(Course.active.is_(True)).order_by(Course.title)))
    statistics["built"] += 1
    built = KeptRules(token if token is not None else 0, rules, courses)
    if token is not None:
        with _lock:
            _kept = built
    return built


def forget() -> None:
    """Drop this process's copy (tests)."""
    global _kept
    with _lock:
        _kept = None


def rules_changed(connection=None) -> None:
    """Give the rule set a new token, in the current transaction."""
    connection = connection if connection is not None else db.session.connection()
    token = secrets.randbits(62)
    if connection.execute(update(RuleSetVersion.__table__).where(RuleSetVersion.__table__.c.id == 1)
                          .values(token=token)).rowcount == 0:
        connection.execute(insert(RuleSetVersion.__table__).values(id=1, token=token))


def _before_flush(session, flush_context, instances) -> None:
    for instance in (*session.new, *session.deleted):
        if isinstance(instance, _WATCHED):
            session.info[_CHANGED] = True
            return
    for instance in session.dirty:
        if isinstance(instance, _WATCHED) and session.is_modified(instance):
            session.info[_CHANGED] = True
            return


def _after_flush(session, flush_context) -> None:
    if session.info.pop(_CHANGED, False):
        rules_changed(session.connection())


def _on_course_requirements_changed(sender, **_) -> None:
    rules_changed()


def _after_create(target, connection, tables=(), **_) -> None:
    """A new database starts with a token."""
    if any(t.name == RuleSetVersion.__tablename__ for t in tables):
        rules_changed(connection)


def connect_signals() -> None:
    from lms.signals import course_requirements_changed

    course_requirements_changed.connect(_on_course_requirements_changed, weak=False)
    for name, listener in (("before_flush", _before_flush), ("after_flush", _after_flush)):
        if not event.contains(db.session, name, listener):
            event.listen(db.session, name, listener)
    if not event.contains(db.metadata, "after_create", _after_create):
        event.listen(db.metadata, "after_create", _after_create)
