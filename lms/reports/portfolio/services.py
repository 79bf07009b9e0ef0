"""What a CPD portfolio and a setting's evidence pack hold, read from the training record,
the compliance calculation and the certificates, for a period (London dates, both
included). Statuses are as on the period's last day.

- A person's **CPD portfolio**: who they are, their job roles with start dates, where they
  stand on each requirement (the pure calculation), and every piece of training they
  completed in the period with its hours, how it was recorded, the verification of
  external CPD and the certificate code an inspector can check at /verify.
- A setting's **evidence pack** (for Ofsted and governors): the organisation, how many of
  its staff are current on each requirement (the status table, as the staff matrix reads
  it), its designated safeguarding leads and their own position, every member of staff
  against every requirement, and the training its staff completed in the period.

Plain functions over the ORM; they take the period and `now` and never read the request.
A pack runs the same few statements whatever the number of staff.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import aliased, selectinload

from lms.accounts.models import PersonRole, SettingLead, User
from lms.certificates.models import Certificate
from lms.compliance import engine, queries
from lms.compliance import matrix as staff_matrix
from lms.compliance import services as compliance
from lms.core.errors import DomainError
from lms.core.time import london_today
from lms.extensions import db
from lms.organisations.models import JobRole, Organisation
from lms.records.models import Completion, ExternalActivity

# The job roles whose holders are the setting's designated safeguarding leads (and
# deputies): their own training is what an inspector asks about first.
DSL_ROLE_CODES = ("school-dsl", "deputy-dsl", "ey-dsl")

SOURCE_LABELS = {
    "elearning": "E-learning on this service",
    "attendance": "Attended a session",
    "external": "External CPD",
    "imported": "Imported from earlier records",
}
# The longest period a portfolio or pack covers: enough for a three-year refresh cycle and
# its run-up, short enough that a pack stays a document someone reads.
MAX_PERIOD_DAYS = 366 * 6


def default_start(end: date) -> date:
    """The day after the same date a year earlier: the twelve months to `end` (29 February
    goes to 1 March)."""
    try:
        earlier = end.replace(year=end.year - 1)
    except ValueError:  # 29 February
        earlier = date(end.year - 1, 3, 1) - timedelta(days=1)
    return earlier + timedelta(days=1)


def check_period(start: date | None, end: date | None) -> None:
    if start is None or end is None:
        raise DomainError("Enter the period", field="start")
    if end < start:
        raise DomainError("The ‘To’ date must be the same as or after the ‘From’ date", field="end")
    if (end - start).days >= MAX_PERIOD_DAYS:
        raise DomainError("The period can be at most six years", field="start")


# --- entries: completions with their certificate and verification ------------------------

@dataclass(frozen=True)
class Entry:
    """One completed piece of training, as a portfolio or pack lists it."""

    completion_id: int
    person_id: int
    person_name: str
    title: str
    completed_on: date
    delivery_mode: str
    hours: Decimal
    source: str
    self_reported: bool
    provider: str | None = None  # external CPD: who ran it
    verified_on: date | None = None  # external CPD: when a lead or admin verified it
    verified_by: str | None = None
    not_verified_reason: str | None = None
    has_evidence: bool = False
    certificate_code: str | None = None

    @property
    def source_label(self) -> str:
        return SOURCE_LABELS.get(self.source, self.source)

    @property
    def verification(self) -> str:
        """'Self-reported', 'Self-reported; verified by Sam Lead on 3 May 2026', or '' for
        training recorded by this service or imported."""
        if not self.self_reported:
            return ""
        if self.verified_on is not None:
            who = f" by {self.verified_by}" if self.verified_by else ""
            return f"Self-reported; verified{who} on {queries.long_date(self.verified_on)}"
        if self.not_verified_reason:
            return f"Self-reported; not verified: {self.not_verified_reason}"
        return "Self-reported; not yet verified"


def _entries(person_filter, start: date, end: date) -> list[Entry]:
    """The completions `person_filter` (a condition on User) selects, completed in the
    period, oldest first, with their live certificate and external details: one statement."""
    verifier = aliased(User)
    live_certificate = and_(Certificate.completion_id == Completion.id, Certificate.revoked_at.is_(None))
    rows = db.session.execute(
        select(
            Completion.id, Completion.user_id, User.full_name, Completion.title, Completion.completed_on,
            Completion.delivery_mode, Completion.cpd_hours, Completion.source, Completion.self_reported,
            ExternalActivity.provider, ExternalActivity.verified_at, verifier.full_name,
            ExternalActivity.rejection_reason, ExternalActivity.evidence_path, Certificate.code,
        )
        .join(User, User.id == Completion.user_id)
        .outerjoin(ExternalActivity, ExternalActivity.completion_id == Completion.id)
        .outerjoin(verifier, verifier.id == ExternalActivity.verified_by_id)
        .outerjoin(Certificate, live_certificate)
        .where(person_filter, Completion.completed_on >= start, Completion.completed_on <= end)
        .order_by(Completion.completed_on, User.full_name, Completion.id)
    ).all()
    entries = []
    seen = set()
    for (completion_id, person_id, name, title, completed_on, mode, hours, source, self_reported, provider,
         verified_at, verified_by, reason, evidence_path, code) in rows:
        if completion_id in seen:  # two live certificates for one completion cannot happen; be safe
            continue
        seen.add(completion_id)
        entries.append(Entry(
            completion_id=completion_id, person_id=person_id, person_name=name, title=title,
            completed_on=completed_on, delivery_mode=mode, hours=Decimal(hours or 0), source=source,
            self_reported=bool(self_reported), provider=provider,
            verified_on=london_today(verified_at) if verified_at else None, verified_by=verified_by,
            not_verified_reason=reason, has_evidence=evidence_path is not None, certificate_code=code,
        ))
    return entries


@dataclass
class Totals:
    """Completions, hours and people counted over a list of entries."""

    completions: int = 0
    hours: Decimal = Decimal(0)
    people: int = 0
    by_mode: list[tuple[str, int, Decimal]] = field(default_factory=list)  # (mode, completions, hours)


def totals(entries: list[Entry]) -> Totals:
    counts: Counter = Counter()
    hours: dict[str, Decimal] = {}
    for entry in entries:
        counts[entry.delivery_mode] += 1
        hours[entry.delivery_mode] = hours.get(entry.delivery_mode, Decimal(0)) + entry.hours
    return Totals(
        completions=len(entries),
        hours=sum((entry.hours for entry in entries), Decimal(0)),
        people=len({entry.person_id for entry in entries}),
        by_mode=sorted(((mode, counts[mode], hours[mode]) for mode in counts), key=lambda item: (-item[1], item[0])),
    )


# --- a person's CPD portfolio ------------------------------------------------------------

@dataclass
class Portfolio:
    person: User
    organisation: Organisation | None
    roles: list[PersonRole]  # held at some time in the period, current first
    start: date
    end: date
    needs: list[queries.Need]  # as on `end`
    entries: list[Entry]  # oldest first
    totals: Totals
    generated_at: datetime

    @property
    def dsl(self) -> bool:
        return any(role.job_role.code in DSL_ROLE_CODES for role in self.roles if role.ended_on is None)


def portfolio(person: User, *, start: date, end: date, now: datetime) -> Portfolio:
    check_period(start, end)
    roles = [
        role for role in person.roles
        if role.started_on <= end and (role.ended_on is None or role.ended_on >= start)
    ]
    roles.sort(key=lambda role: (role.ended_on is not None, -(role.ended_on or date.max).toordinal(), role.started_on))
    entries = _entries(User.id == person.id, start, end)
    return Portfolio(
        person=person,
        organisation=person.organisation,
        roles=roles,
        start=start,
        end=end,
        needs=queries.training_needs(person, as_of=end),
        entries=entries,
        totals=totals(entries),
        generated_at=now,
    )


# --- a setting's evidence pack -------------------------------------------------------------

@dataclass
class LeadPosition:
    """A designated safeguarding lead (or deputy) and where they stand."""

    person: User
    roles: list[str]
    needs: list[queries.Need]
    latest: Entry | None  # their most recent training in the period


@dataclass
class EvidencePack:
    organisation: Organisation
    start: date
    end: date
    people: int
    summary: list[staff_matrix.RequirementSummary]
    matrix: staff_matrix.Matrix
    designated_leads: list[LeadPosition]
    setting_leads: list[str]
    entries: list[Entry]
    totals: Totals
    generated_at: datetime
    generated_by: str

    @property
    def everyone_current(self) -> bool:
        return all(item.counts.get("current", 0) == item.applicable for item in self.summary)

    @property
    def trained_share(self) -> int:
        """Per cent of staff with at least one completion in the period."""
        return round(100 * self.totals.people / self.people) if self.people else 0


def _needs(people: list[User], organisation_id: int, as_of: date) -> dict[int, list[queries.Need]]:
    """The pure calculation for a few people of one organisation at once, most urgent
    first as on a person's own page (without the courses that count): five statements
    whatever the number of people."""
    rules = compliance.load_rules()
    effective = rules.for_organisation(organisation_id)
    ids = [person.id for person in people]
    facts, roles = compliance.facts_for(ids), compliance.roles_for(ids)
    result = {}
    for person in people:
        needs = []
        for code, rule in effective.items():
            outcome = engine.evaluate(rule, facts.get(person.id, ()), roles.get(person.id, ()), as_of)
            if outcome.status != engine.NOT_APPLICABLE:
                needs.append(queries.Need(rules.requirements[code], rule, outcome, []))
        result[person.id] = queries.by_urgency(needs)
    return result


def _designated_leads(organisation: Organisation, end: date, entries: list[Entry]) -> list[LeadPosition]:
    holds_role = (PersonRole.started_on <= end) & (PersonRole.ended_on.is_(None) | (PersonRole.ended_on >= end))
    people = list(db.session.scalars(
        select(User)
        .where(
            User.organisation_id == organisation.id, User.active.is_(True),
            exists(select(PersonRole.id).join(JobRole, JobRole.id == PersonRole.job_role_id)
                   .where(PersonRole.user_id == User.id, JobRole.code.in_(DSL_ROLE_CODES), holds_role)),
        )
        .options(selectinload(User.roles))
        .order_by(User.full_name, User.id)
    ))
    if not people:
        return []
    latest: dict[int, Entry] = {}
    for entry in entries:  # oldest first, so the last one wins
        latest[entry.person_id] = entry
    needs = _needs(people, organisation.id, end)
    positions = []
    for person in people:
        roles = [
            role.job_role.name for role in sorted(person.roles, key=lambda role: role.started_on)
            if role.started_on <= end and (role.ended_on is None or role.ended_on >= end)
        ]
        positions.append(LeadPosition(person, roles, needs[person.id], latest.get(person.id)))
    return positions


def evidence_pack(organisation: Organisation, *, start: date, end: date, actor: User, now: datetime) -> EvidencePack:
    """Everything the pack shows, in the same dozen or so statements whatever the number of
    staff or designated leads: the requirements, the matrix (three), its summary, the
    training, the setting leads, the designated leads with their roles, and their own
    calculation (the rules, their completions and roles)."""
    check_period(start, end)
    requirements = staff_matrix.organisation_requirements(organisation.id)
    filters = staff_matrix.MatrixFilters()
    matrix = staff_matrix.matrix(organisation, as_of=end, filters=filters, requirements=requirements, page=None)
    people, summary = staff_matrix.matrix_summary(
        organisation, as_of=end, filters=filters, requirements=requirements, people=len(matrix.rows),
    )
    entries = _entries(and_(User.organisation_id == organisation.id, User.active.is_(True)), start, end)
    setting_leads = list(db.session.scalars(
        select(User.full_name)
        .join(SettingLead, SettingLead.user_id == User.id)
        .where(SettingLead.organisation_id == organisation.id, User.active.is_(True))
        .order_by(User.full_name)
    ))
    return EvidencePack(
        organisation=organisation,
        start=start,
        end=end,
        people=people,
        summary=summary,
        matrix=matrix,
        designated_leads=_designated_leads(organisation, end, entries),
        setting_leads=setting_leads,
        entries=entries,
        totals=totals(entries),
        generated_at=now,
        generated_by=actor.full_name,
    )
