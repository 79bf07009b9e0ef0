"""Training reminders to people, and a weekly digest to setting leads (DESIGN.md section 4).

Both functions only add rows to the email outbox (lms.notifications); the send-email job
delivers them. Both read the maintained status table (ComplianceStatus) with the dates
compared in SQL, so a run selects only the rows that have something to say today.

Reminders to a person, for each requirement with a due date:

- 60, 30 and 7 days before the due date, and when it becomes overdue (the row's
  `overdue_from`, which includes any grace days): one email per milestone. The dedupe key
  reminder:<user>:<requirement>:<due date>:<milestone> makes each one unique, so a new due
  date (after a new completion) has reminders of its own, and the old date's are not sent
  again.
- Catch-up: a run sends the most recent milestone that has passed (on or before today),
  if it passed within CATCH_UP_DAYS and nothing has been sent for that due date since it
  passed. A missed day or week therefore still sends the reminder, but only the latest
  one: no stale "60 days" when 20 are left.
- New starters (and anyone who has never met a requirement, while the deadline the rule
  gives them has not passed, status "not yet due") get one "induction" email per
  (person, requirement, deadline) telling them what to complete by when. That email also
  stands for any milestone that passed on or before the day it was queued.

Weekly digests to setting leads: once per ISO week per lead (the job runs daily; the key
digest:<lead>:<ISO year>-W<week> stops the other six days), the lead's organisations'
staff who are overdue or due within DIGEST_HORIZON_DAYS, grouped by organisation and
requirement. No email when nobody is.

Who gets nothing: closed accounts (User.active False) and dormant accounts (dormant_at set)
get no reminders, and a closed or dormant setting lead gets no digest. Unconfirmed email
addresses are still written to: most people in the record were imported or registered by
their setting, and a reminder reveals nothing beyond the person's own training needs.
A digest lists dormant staff (their setting still answers for their training) but not
closed accounts.

Once only: each email has a unique dedupe_key. Runs of the same job take turns (a
PostgreSQL transaction-level advisory lock; on SQLite the database's write lock, taken by
the first statement), so a second run at the same moment waits and then finds everything
already queued; the unique index on dedupe_key is the last guard.
"""
from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Iterable

from flask import current_app
from jinja2 import ChoiceLoader, Environment, FileSystemLoader
from sqlalchemy import String, and_, cast, exists, literal, or_, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from werkzeug.routing import BuildError

from lms.accounts.models import SettingLead, User
from lms.catalogue.models import DELIVERY_MODES, Course
from lms.compliance import engine, services
from lms.compliance.models import ComplianceStatus, Requirement
from lms.core.time import format_date, london_today, to_london
from lms.core.urls import external_url
from lms.extensions import db
from lms.notifications.models import OutboundEmail
from lms.notifications.services import queue_email
from lms.organisations.models import Organisation

# Days before the due date on which a reminder goes, earliest first.
MILESTONE_DAYS = (60, 30, 7)
OVERDUE = "overdue"
# A milestone that passed longer ago than this is not sent late (the scheduler was
# stopped for weeks, or the feature has just been switched on): see the module docstring.
CATCH_UP_DAYS = 28
# A setting lead's digest lists staff overdue or due within this many days.
DIGEST_HORIZON_DAYS = 60
# At most this many people are listed under one requirement in a digest; the staff page
# has the rest.
DIGEST_LIST_LIMIT = 100

REMINDER_CATEGORY = "reminder"
DIGEST_CATEGORY = "staff-digest"
TEMPLATE_DIR = Path(__file__).parent / "templates"
_CHUNK = 500


# --- keys and milestones ------------------------------------------------------------------

def reminder_key(user_id: int, requirement_code: str, due_on: date, milestone: str) -> str:
    return f"reminder:{user_id}:{requirement_code}:{due_on.isoformat()}:{milestone}"


def induction_key(user_id: int, requirement_code: str, due_on: date) -> str:
    return f"induction:{user_id}:{requirement_code}:{due_on.isoformat()}"


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def digest_key(lead_id: int, day: date) -> str:
    return f"digest:{lead_id}:{iso_week(day)}"


@dataclass(frozen=True)
class Milestone:
    name: str  # "60", "30", "7" or "overdue"
    day: date  # the day it falls

    @property
    def is_overdue(self) -> bool:
        return self.name == OVERDUE


def milestones(due_on: date, overdue_from: date | None) -> list[Milestone]:
    """The reminder days for one due date, in date order."""
    found = [Milestone(str(days), due_on - timedelta(days=days)) for days in MILESTONE_DAYS]
    found.append(Milestone(OVERDUE, overdue_from or due_on + timedelta(days=1)))
    return sorted(found, key=lambda m: m.day)


def current_milestone(due_on: date, overdue_from: date | None, today: date) -> Milestone | None:
    """The most recent milestone on or before `today`, or None before the first."""
    passed = [m for m in milestones(due_on, overdue_from) if m.day <= today]
    return passed[-1] if passed else None


# --- taking turns ---------------------------------------------------------------------------

def _lock_key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(f"lms-{name}".encode()).digest()[:8], "big", signed=True)


def _take_turns(name: str) -> None:
    """Make a concurrent run of the same job wait until this one's transaction ends.

    PostgreSQL: a transaction-level advisory lock (released by commit or rollback).
    SQLite: a write that matches nothing, issued before any read of this transaction,
    takes the database's write lock at once, so the other run waits in SQLite's busy
    handler before it has read anything (rather than failing to upgrade a read lock)."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _lock_key(name)})
    elif dialect == "sqlite":
        db.session.execute(text("UPDATE outbound_email SET id = id WHERE 0 = 1"))


def _queued_on(keys: Iterable[str]) -> dict[str, date]:
    """{dedupe_key: the London day it was queued} for those keys already in the outbox."""
    keys = sorted(set(keys))
    found: dict[str, date] = {}
    for start in range(0, len(keys), _CHUNK):
        rows = db.session.execute(
            select(OutboundEmail.dedupe_key, OutboundEmail.created_at).where(
                OutboundEmail.dedupe_key.in_(keys[start:start + _CHUNK])
            )
        )
        for key, created_at in rows:
            found[key] = to_london(created_at).date()
    return found


# --- rendering ----------------------------------------------------------------------------

def _template_environment() -> Environment:
    """The app's Jinja environment (filters, autoescape rules), looking in this feature's
    templates first, so emails render whether or not the compliance blueprint is
    registered on the app."""
    app_env = current_app.jinja_env
    return app_env.overlay(loader=ChoiceLoader([FileSystemLoader(str(TEMPLATE_DIR)), app_env.loader]))


def _url(endpoint: str, fallback_path: str, **values) -> str:
    try:
        return external_url(endpoint, **values)
    except BuildError:
        return current_app.config["BASE_URL"].rstrip("/") + fallback_path


def _queue(env: Environment, template: str, *, to: User, subject: str, key: str, category: str, now: datetime,
           context: dict) -> bool:
    """Render and queue one email; False if its key is already in the outbox (queued by
    an earlier run, or by another process a moment ago)."""
    body = env.get_template(f"emails/{template}.txt").render(
        subject=subject,
        service_name=current_app.config["SERVICE_NAME"],
        base_url=current_app.config["BASE_URL"],
        **context,
    )
    try:
        with db.session.begin_nested():
            email = queue_email(to.email, subject, body, now=now, user=to, dedupe_key=key, category=category)
    except IntegrityError:
        return False
    return email is not None


@dataclass(frozen=True)
class _Counting:
    """What counts towards a requirement, for the email: courses and activity kinds."""

    courses: list[Course]
    modes: list[str]


def _what_counts(rule: engine.Rule, courses: list[Course]) -> _Counting:
    """The active courses whose completions the engine would count for this rule (the
    rule's own code, the codes it accepts from higher requirements, its delivery modes)."""
    counting = [
        course for course in courses
        if engine.qualifies(
            rule,
            engine.Fact(
                completed_on=date.min, hours=Decimal(0),
                requirement_codes=frozenset(course.requirement_codes or ()), delivery_mode=course.delivery_mode,
            ),
        )
    ]
    modes = [DELIVERY_MODES.get(mode, mode) for mode in sorted(rule.qualifying_modes)]
    return _Counting(counting, modes)


def _hours(value) -> str:
    return f"{Decimal(value or 0):.2f}".rstrip("0").rstrip(".")


# --- reminders to people --------------------------------------------------------------------

def _reminder_candidates(today: date):
    """Status rows with a milestone inside the catch-up window, or in an induction period,
    for open (active, not dormant) accounts: one statement, the dates compared in SQL."""
    catch_up = timedelta(days=CATCH_UP_DAYS)
    in_window = [
        ComplianceStatus.due_on.between(today + timedelta(days=days) - catch_up, today + timedelta(days=days))
        for days in MILESTONE_DAYS
    ]
    in_window.append(ComplianceStatus.overdue_from.between(today - catch_up, today))
    in_window.append(
        and_(ComplianceStatus.first_status == engine.NOT_YET_DUE, ComplianceStatus.overdue_from > today)
    )
    return db.session.execute(
        select(ComplianceStatus, User, Requirement)
        .join(User, User.id == ComplianceStatus.user_id)
        .join(Requirement, Requirement.id == ComplianceStatus.requirement_id)
        .where(
            ComplianceStatus.applicable.is_(True),
            ComplianceStatus.due_on.is_not(None),
            ComplianceStatus.computed_on <= today,
            Requirement.active.is_(True),
            User.active.is_(True),
            User.dormant_at.is_(None),
            or_(*in_window),
        )
        .order_by(ComplianceStatus.user_id, Requirement.position, Requirement.id)
    ).all()


def _keys_for(user_id: int, code: str, due_on: date, overdue_from: date | None) -> list[str]:
    keys = [reminder_key(user_id, code, due_on, m.name) for m in milestones(due_on, overdue_from)]
    keys.append(induction_key(user_id, code, due_on))
    return keys


def _in_induction(row: ComplianceStatus, today: date) -> bool:
    return row.first_status == engine.NOT_YET_DUE and row.overdue_from is not None and today < row.overdue_from


def queue_reminders(*, now: datetime) -> dict[str, int]:
    """Queue today's reminders and induction emails (in the caller's transaction: the job
    commits). Returns counts."""
    today = london_today(now)
    summary = {"reminders queued": 0, "induction emails queued": 0}
    _take_turns("queue-reminders")
    candidates = _reminder_candidates(today)
    if not candidates:
        return summary
    queued_on = _queued_on(
        key for row, user, requirement in candidates
        for key in _keys_for(user.id, requirement.code, row.due_on, row.overdue_from)
    )

    # Decide first; load the rules and courses only if anything is to be sent.
    to_send: list[tuple[str, ComplianceStatus, User, Requirement, Milestone | None]] = []
    for row, user, requirement in candidates:
        code = requirement.code
        if _in_induction(row, today) and induction_key(user.id, code, row.due_on) not in queued_on:
            to_send.append(("induction", row, user, requirement, None))
            continue  # the induction email stands for any milestone that has passed
        milestone = current_milestone(row.due_on, row.overdue_from, today)
        if milestone is None or milestone.day < today - timedelta(days=CATCH_UP_DAYS):
            continue
        if reminder_key(user.id, code, row.due_on, milestone.name) in queued_on:
            continue
        sent_days = [
            queued_on[key] for key in _keys_for(user.id, code, row.due_on, row.overdue_from) if key in queued_on
        ]
        if sent_days and max(sent_days) >= milestone.day:
            continue  # an email about this due date went out on or after the milestone
        to_send.append(("reminder", row, user, requirement, milestone))
    if not to_send:
        return summary

    rules = services.load_rules()
    courses = list(db.session.scalars(select(Course).where(Course.active.is_(True)).order_by(Course.title)))
    env = _template_environment()
    link = _url("compliance.my_training", "/my-training")
    emails_link = _url("notifications.emails", "/account/emails")
    for kind, row, user, requirement, milestone in to_send:
        rule = rules.for_organisation(user.organisation_id).get(requirement.code)
        rule = rule or rules.partnership.get(requirement.code)
        if rule is None:
            continue
        days_left = (row.due_on - today).days
        context = {
            "name": user.full_name,
            "requirement": requirement,
            "due_on": format_date(row.due_on),
            "days_left": days_left,
            "overdue": milestone is not None and milestone.is_overdue,
            "counting": _what_counts(rule, courses),
            "hours_required": _hours(row.hours_required) if row.hours_required is not None else None,
            "hours_counted": _hours(row.hours_counted),
            "window_months": rule.window_months,
            "link": link,
            "emails_link": emails_link,
        }
        if kind == "induction":
            subject = f"Training to complete by {format_date(row.due_on)}: {requirement.name}"
            key = induction_key(user.id, requirement.code, row.due_on)
            template = "compliance_induction"
        else:
            if milestone.is_overdue:
                subject = f"Overdue: {requirement.name} (was due by {format_date(row.due_on)})"
            else:
                subject = f"{requirement.name} is due by {format_date(row.due_on)}"
            key = reminder_key(user.id, requirement.code, row.due_on, milestone.name)
            template = "compliance_reminder"
        if _queue(env, template, to=user, subject=subject, key=key, category=REMINDER_CATEGORY, now=now,
                  context=context):
            summary["induction emails queued" if kind == "induction" else "reminders queued"] += 1
    return summary


# --- weekly digests to setting leads ---------------------------------------------------------

@dataclass
class DigestLine:
    person_id: int
    name: str
    status: str
    due_on: date

    @property
    def text(self) -> str:
        if self.status == engine.OVERDUE:
            return f"{self.name}: overdue, was due by {format_date(self.due_on)}"
        if self.status == engine.NOT_YET_DUE:
            return f"{self.name}: not done yet, to complete by {format_date(self.due_on)}"
        return f"{self.name}: due by {format_date(self.due_on)}"


@dataclass
class DigestRequirement:
    name: str
    lines: list[DigestLine] = field(default_factory=list)

    @property
    def shown(self) -> list[DigestLine]:
        return self.lines[:DIGEST_LIST_LIMIT]

    @property
    def more(self) -> int:
        return max(len(self.lines) - DIGEST_LIST_LIMIT, 0)


@dataclass
class DigestOrganisation:
    id: int
    name: str
    link: str
    requirements: dict[int, DigestRequirement] = field(default_factory=dict)

    def count(self, status: str | None = None) -> int:
        """People listed (once each, whatever the number of requirements), optionally only
        those overdue on something."""
        people = set()
        for requirement in self.requirements.values():
            for line in requirement.lines:
                if status is None or line.status == status:
                    people.add(line.person_id)
        return len(people)


_URGENCY = {engine.OVERDUE: 0, engine.DUE_SOON: 1, engine.NOT_YET_DUE: 2, engine.CURRENT: 3}


def queue_lead_digests(*, now: datetime) -> dict[str, int]:
    """Queue this week's digest for each setting lead who has not had it and whose staff
    include someone overdue or due within DIGEST_HORIZON_DAYS. One statement reads every
    lead's staff (the caller's transaction: the job commits)."""
    today = london_today(now)
    week = iso_week(today)
    summary = {"digests queued": 0}
    _take_turns("queue-lead-digests")

    lead = aliased(User)
    staff = aliased(User)
    key_of_lead = literal("digest:") + cast(SettingLead.user_id, String) + literal(f":{week}")
    status = services.status_expression(today)
    rows = db.session.execute(
        select(
            lead, Organisation.id, Organisation.name, staff.full_name, staff.id, Requirement.id, Requirement.name,
            ComplianceStatus.due_on, status,
        )
        .select_from(SettingLead)
        .join(lead, lead.id == SettingLead.user_id)
        .join(Organisation, Organisation.id == SettingLead.organisation_id)
        .join(staff, staff.organisation_id == SettingLead.organisation_id)
        .join(ComplianceStatus, ComplianceStatus.user_id == staff.id)
        .join(Requirement, Requirement.id == ComplianceStatus.requirement_id)
        .where(
            lead.active.is_(True),
            lead.dormant_at.is_(None),
            staff.active.is_(True),
            Requirement.active.is_(True),
            ComplianceStatus.applicable.is_(True),
            ComplianceStatus.computed_on <= today,
            ComplianceStatus.due_on.is_not(None),
            ComplianceStatus.due_on <= today + timedelta(days=DIGEST_HORIZON_DAYS),
            ~exists().where(OutboundEmail.dedupe_key == key_of_lead),
        )
        .order_by(SettingLead.user_id, Organisation.name, Organisation.id, Requirement.position, Requirement.id,
                  ComplianceStatus.due_on, staff.full_name, staff.id)
    ).all()
    if not rows:
        return summary

    leads: dict[int, User] = {}
    digests: dict[int, dict[int, DigestOrganisation]] = defaultdict(dict)
    for lead_user, org_id, org_name, staff_name, staff_id, req_id, req_name, due_on, row_status in rows:
        leads[lead_user.id] = lead_user
        organisations = digests[lead_user.id]
        if org_id not in organisations:
            organisations[org_id] = DigestOrganisation(
                org_id, org_name, _url("compliance.matrix", f"/organisation/compliance?organisation={org_id}",
                                       organisation=org_id),
            )
        requirement = organisations[org_id].requirements.setdefault(req_id, DigestRequirement(req_name))
        requirement.lines.append(DigestLine(staff_id, staff_name, row_status, due_on))

    env = _template_environment()
    for lead_id, organisations in digests.items():
        lead_user = leads[lead_id]
        for organisation in organisations.values():
            for requirement in organisation.requirements.values():
                requirement.lines.sort(key=lambda line: (_URGENCY.get(line.status, 9), line.due_on, line.name))
        listed = list(organisations.values())
        about = listed[0].name if len(listed) == 1 else f"{len(listed)} organisations"
        monday = today - timedelta(days=today.weekday())
        subject = f"Staff training due or overdue, week of {format_date(monday)}: {about}"
        context = {
            "name": lead_user.full_name,
            "organisations": listed,
            "horizon_days": DIGEST_HORIZON_DAYS,
            "today": format_date(today),
            "overdue": engine.OVERDUE,
        }
        if _queue(env, "compliance_digest", to=lead_user, subject=subject, key=digest_key(lead_id, today),
                  category=DIGEST_CATEGORY, now=now, context=context):
            summary["digests queued"] += 1
    return summary
