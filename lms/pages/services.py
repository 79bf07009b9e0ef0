"""What the home pages show: the figures on the partnership admin's dashboard, whether the
scheduler is running, and each person's home page, one section for each role they hold
(practitioner, setting lead, trainer, partnership admin), saying what to do next.

Queries only, read through the owning features' services where they have one. Each
section runs a fixed number of SQL statements whatever the data size (counted in
tests/pages/test_home.py), and nothing here reads the request or the signed-in person:
the person and `now` are arguments."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import case, distinct, exists, func, or_, select
from sqlalchemy.orm import contains_eager

from lms.accounts.models import SettingLead, User
from lms.accounts.staff import services as staff
from lms.bookings import queries as booking_queries
from lms.bookings import services as bookings
from lms.bookings.models import Booking, TrainingSession, session_trainer
from lms.catalogue.models import Course
from lms.certificates.models import Certificate
from lms.compliance import engine as compliance_engine
from lms.compliance import queries as compliance_queries
from lms.compliance import services as compliance
from lms.compliance.models import ComplianceStatus, Requirement
from lms.core.time import as_utc, london_today
from lms.evaluations import services as evaluations
from lms.extensions import db
from lms.licences import services as licences
from lms.licences.services import LicenceSummary
from lms.notifications import services as notifications
from lms.notifications.models import JobRun, OutboundEmail
from lms.organisations.models import Organisation, OrganisationRequest
from lms.programmes.twilights import services as twilights
from lms.programmes.twilights.models import TwilightTerm
from lms.records.external import services as external
from lms.records.models import Completion

@dataclass(frozen=True)
class DashboardFigures:
    active_people: int
    unconfirmed_people: int
    closed_people: int
    admins: int
    trainers: int
    setting_leads: int
    organisations: int
    pending_organisation_requests: int
    emails_waiting: int
    emails_failed: int


def dashboard_figures() -> DashboardFigures:
    """Every figure on the dashboard, in one statement."""

    def count(*conditions, column=User.id):
        return select(func.count(column)).where(*conditions).scalar_subquery()

    open_account = User.active.is_(True)
    leads = (
        select(func.count(distinct(SettingLead.user_id)))
        .join(User, User.id == SettingLead.user_id)
        .where(open_account)
        .scalar_subquery()
    )
    row = db.session.execute(
        select(
            count(open_account, User.email_confirmed_at.is_not(None)).label("active_people"),
            count(open_account, User.email_confirmed_at.is_(None)).label("unconfirmed_people"),
            count(User.active.is_(False)).label("closed_people"),
            count(open_account, User.is_admin.is_(True)).label("admins"),
            count(open_account, User.is_trainer.is_(True)).label("trainers"),
            leads.label("setting_leads"),
            count(Organisation.active.is_(True), column=Organisation.id).label("organisations"),
            count(OrganisationRequest.status == "pending", column=OrganisationRequest.id).label(
                "pending_organisation_requests"
            ),
            count(OutboundEmail.sent_at.is_(None), OutboundEmail.failed_at.is_(None), column=OutboundEmail.id).label(
                "emails_waiting"
            ),
            count(OutboundEmail.failed_at.is_not(None), column=OutboundEmail.id).label("emails_failed"),
        )
    ).one()
    return DashboardFigures(**{key: value or 0 for key, value in row._mapping.items()})


@dataclass(frozen=True)
class SchedulerStatus:
    running: bool
    last_heartbeat: datetime | None


def scheduler_status(*, now: datetime) -> SchedulerStatus:
    """Whether the scheduler is running, by notifications' one rule (a heartbeat within
    notifications.HEARTBEAT_STALE_AFTER), and when it last reported in."""
    last = notifications.last_heartbeat()
    return SchedulerStatus(running=notifications.heartbeat_is_recent(last, now=now), last_heartbeat=last)


# --- each person's home page ------------------------------------------------------------------

# How much each list shows before "see all" (the counts are always of everything).
SHOWN = 5
# Certificates issued this many days ago or less are "new".
RECENT_CERTIFICATE_DAYS = 30
# Sessions starting within this many days and still short of their minimum are flagged.
UNDER_MINIMUM_DAYS = 28

PRACTITIONER, SETTING_LEAD, TRAINER, ADMIN = "practitioner", "setting-lead", "trainer", "admin"
ROLE_ORDER = (PRACTITIONER, SETTING_LEAD, TRAINER, ADMIN)


@dataclass(frozen=True)
class CourseOption:
    """A course that meets a need: e-learning to start now, or its next bookable date."""

    course: Course
    next_session: TrainingSession | None = None

    @property
    def is_elearning(self) -> bool:
        return self.course.delivery_mode == "elearning"


@dataclass(frozen=True)
class NeedToDo:
    need: compliance_queries.Need
    options: list[CourseOption]

    @property
    def overdue(self) -> bool:
        return self.need.status == compliance_engine.OVERDUE


@dataclass
class PractitionerSection:
    role = PRACTITIONER
    needs: list[NeedToDo]  # overdue, then due soon
    offers: list[Booking]  # waiting-list places offered: accept or decline before they expire
    requests: list[Booking]  # bookings waiting for a setting lead's approval
    upcoming: list[Booking]  # booked places on sessions still to come, soonest first
    evaluations: list[Completion]  # courses waiting for the person's evaluation
    certificates: list[Certificate]  # issued in the last RECENT_CERTIFICATE_DAYS days
    # A DSL's or deputy's next twilight term open for booking with no place of theirs.
    twilight_term: TwilightTerm | None = None

    @property
    def urgent(self) -> int:
        return sum(1 for item in self.needs if item.overdue) + len(self.offers)

    @property
    def to_do(self) -> int:
        return len(self.needs) + len(self.offers) + len(self.evaluations) + (self.twilight_term is not None)

    @property
    def nothing_to_do(self) -> bool:
        return not (self.to_do or self.requests or self.upcoming or self.certificates)


@dataclass(frozen=True)
class StaffCounts:
    """How many of an organisation's staff have any requirement overdue, or due soon."""

    organisation: Organisation
    overdue: int
    due_soon: int


@dataclass
class SettingLeadSection:
    role = SETTING_LEAD
    organisations: list[StaffCounts]  # every organisation the person leads, by name
    bookings_to_approve: int  # staff booking requests waiting for a decision (bookings.staff)
    cpd_to_verify: int  # staff's external CPD nobody has checked (records.external)
    # People who registered into one of these organisations and wait for a lead to confirm
    # them (accounts.staff).
    join_requests: int = 0

    @property
    def staff_overdue(self) -> int:
        return sum(item.overdue for item in self.organisations)

    @property
    def staff_due_soon(self) -> int:
        return sum(item.due_soon for item in self.organisations)

    @property
    def urgent(self) -> int:
        return self.staff_overdue + self.bookings_to_approve + self.join_requests

    @property
    def to_do(self) -> int:
        return self.urgent + self.staff_due_soon + self.cpd_to_verify

    @property
    def nothing_to_do(self) -> bool:
        return self.to_do == 0


@dataclass(frozen=True)
class SessionPlaces:
    session: TrainingSession
    places: int  # places taken (booked, offered or attended)


@dataclass(frozen=True)
class RegisterToMark:
    session: TrainingSession
    unmarked: int  # bookings still "booked" on a session that has ended


@dataclass
class TrainerSection:
    role = TRAINER
    next_sessions: list[SessionPlaces]  # the trainer's next SHOWN sessions
    sessions_total: int  # all the trainer's sessions still to come
    registers: list[RegisterToMark]  # the oldest SHOWN
    registers_total: int

    @property
    def urgent(self) -> int:
        return self.registers_total

    @property
    def to_do(self) -> int:
        return self.registers_total

    @property
    def nothing_to_do(self) -> bool:
        return not (self.registers_total or self.sessions_total)


@dataclass
class AdminSection:
    role = ADMIN
    organisation_requests: int  # "my organisation is not listed" requests waiting
    join_requests: int  # people asking to join organisations with no setting lead (admins decide)
    scheduler: SchedulerStatus
    licences: LicenceSummary
    emails_failed: int
    under_minimum: list[SessionPlaces]  # the soonest SHOWN
    under_minimum_total: int

    @property
    def licences_over(self) -> bool:
        return self.licences.licences > 0 and self.licences.active > self.licences.licences

    @property
    def urgent(self) -> int:
        return (not self.scheduler.running) + (self.emails_failed > 0) + self.licences.warning

    @property
    def to_do(self) -> int:
        return self.urgent + self.organisation_requests + self.join_requests + self.under_minimum_total

    @property
    def nothing_to_do(self) -> bool:
        return self.to_do == 0


Section = PractitionerSection | SettingLeadSection | TrainerSection | AdminSection


@dataclass
class Home:
    sections: list[Section] = field(default_factory=list)  # most urgent first

    def section(self, role: str) -> Section | None:
        return next((s for s in self.sections if s.role == role), None)


def roles_of(person: User) -> list[str]:
    """The home page sections that apply to `person`: a practitioner section for anyone
    with a job role or an organisation (and for anyone with no other role), then setting
    lead, trainer and admin as they hold those roles."""
    lead = person.is_setting_lead
    roles = []
    if person.current_roles or person.organisation_id is not None or not (lead or person.is_trainer or person.is_admin):
        roles.append(PRACTITIONER)
    if lead:
        roles.append(SETTING_LEAD)
    if person.is_trainer:
        roles.append(TRAINER)
    if person.is_admin:
        roles.append(ADMIN)
    return roles


def home(person: User, *, now: datetime) -> Home:
    """Each section that applies to `person`, most urgent first: sections with something
    overdue or failing, then those with something to do, then the quiet ones, each group
    in the order practitioner, setting lead, trainer, admin."""
    builders = {
        PRACTITIONER: practitioner_section,
        SETTING_LEAD: setting_lead_section,
        TRAINER: trainer_section,
        ADMIN: admin_section,
    }
    sections = [builders[role](person, now=now) for role in roles_of(person)]
    sections.sort(key=lambda s: (s.urgent == 0, s.to_do == 0, ROLE_ORDER.index(s.role)))
    return Home(sections)


def _next_sessions(course_ids: list[int], person: User, *, now: datetime) -> dict[int, TrainingSession]:
    """{course id: the soonest session of it `person` may see and book now}, one statement
    for every course."""
    bookable = bookings.visible_to(
        select(
            TrainingSession.id.label("id"),
            func.row_number().over(
                partition_by=TrainingSession.course_id, order_by=(TrainingSession.starts_at, TrainingSession.id)
            ).label("rank"),
        ).where(
            TrainingSession.course_id.in_(course_ids),
            TrainingSession.status == "scheduled",
            TrainingSession.starts_at > now,
            TrainingSession.signup_closes_at > now,
            or_(TrainingSession.signup_opens_at.is_(None), TrainingSession.signup_opens_at <= now),
        ),
        person,
    ).subquery()
    found = db.session.scalars(
        select(TrainingSession).join(bookable, bookable.c.id == TrainingSession.id).where(bookable.c.rank == 1)
    )
    return {session.course_id: session for session in found}


def practitioner_section(person: User, *, now: datetime) -> PractitionerSection:
    """The person's overdue and due-soon needs (compliance: My training's), each with the
    courses that meet it and their next bookable dates; their bookings waiting for an
    answer and coming up; the evaluations they owe; certificates issued lately."""
    today = london_today(now)
    wanted = (compliance_engine.OVERDUE, compliance_engine.DUE_SOON)
    needs = [need for need in compliance_queries.training_needs(person, as_of=today) if need.status in wanted]
    course_ids = sorted({c.id for need in needs for c in need.courses if c.delivery_mode != "elearning"})
    next_dates = _next_sessions(course_ids, person, now=now)
    to_do = [
        NeedToDo(need, [CourseOption(c, next_dates.get(c.id)) for c in need.courses]) for need in needs
    ]

    live = list(db.session.scalars(
        select(Booking)
        .join(Booking.session)
        .options(contains_eager(Booking.session))
        .where(
            Booking.user_id == person.id,
            Booking.status.in_(("offered", "requested", "booked")),
            TrainingSession.ends_at > now,
            TrainingSession.status == "scheduled",
        )
        .order_by(TrainingSession.starts_at, Booking.id)
    ))
    offers = sorted((b for b in live if b.status == "offered"),
                    key=lambda b: (b.offer_expires_at is None, b.offer_expires_at or now, b.id))
    certificates = list(db.session.scalars(
        select(Certificate)
        .where(Certificate.user_id == person.id, Certificate.revoked_at.is_(None),
               Certificate.issued_at >= now - timedelta(days=RECENT_CERTIFICATE_DAYS))
        .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
        .limit(SHOWN)
    ))
    return PractitionerSection(
        needs=to_do,
        offers=offers,
        requests=[b for b in live if b.status == "requested"],
        upcoming=[b for b in live if b.status == "booked"],
        evaluations=evaluations.waiting_for(person),
        certificates=certificates,
        twilight_term=twilights.term_to_book(person, now=now),
    )


def setting_lead_section(person: User, *, now: datetime) -> SettingLeadSection:
    """For the organisations `person` leads: how many staff (open accounts recorded there,
    the people the staff matrix lists) have any requirement overdue or due soon today,
    read from the compliance status table as the matrix does; booking requests to decide
    (bookings.services.requests_for) and external CPD to verify (records.external)."""
    organisations = list(person.led_organisations)
    ids = [o.id for o in organisations]
    status = compliance.status_expression(london_today(now))
    counts = {
        organisation_id: (overdue, due_soon)
        for organisation_id, overdue, due_soon in db.session.execute(
            select(
                User.organisation_id,
                func.count(distinct(case((status == compliance_engine.OVERDUE, User.id)))),
                func.count(distinct(case((status == compliance_engine.DUE_SOON, User.id)))),
            )
            .select_from(ComplianceStatus)
            .join(User, User.id == ComplianceStatus.user_id)
            .join(Requirement, Requirement.id == ComplianceStatus.requirement_id)
            .where(User.organisation_id.in_(ids), User.active.is_(True), ComplianceStatus.applicable.is_(True),
                   Requirement.active.is_(True))
            .group_by(User.organisation_id)
        )
    }
    # requests_for and count_awaiting_query each look up the organisations led: the same
    # statement each time, so a fixed number.
    approvals = (
        bookings.requests_for(person).with_only_columns(func.count(Booking.id)).order_by(None).scalar_subquery()
    )
    verify = external.count_awaiting_query(person).scalar_subquery()
    asking = staff.join_requests_waiting_query(person).scalar_subquery()
    bookings_to_approve, cpd_to_verify, join_requests = db.session.execute(select(approvals, verify, asking)).one()
    return SettingLeadSection(
        organisations=[StaffCounts(o, *counts.get(o.id, (0, 0))) for o in organisations],
        bookings_to_approve=bookings_to_approve or 0,
        cpd_to_verify=cpd_to_verify or 0,
        join_requests=join_requests or 0,
    )


def _trainer_of(person: User):
    return exists().where(session_trainer.c.session_id == TrainingSession.id, session_trainer.c.user_id == person.id)


def upcoming_sessions_query(person: User, *, now: datetime):
    """The trainer's next SHOWN scheduled sessions with places taken, and how many are to
    come in all. Read by their start (ix_training_session_starts_at): the sessions still to
    come, never the ones held before."""
    places = booking_queries.places_held().label("places")
    return (
        select(TrainingSession, places, func.count().over().label("total"))
        .where(_trainer_of(person), TrainingSession.status == "scheduled", TrainingSession.starts_at > now)
        .order_by(TrainingSession.starts_at, TrainingSession.id)
        .limit(SHOWN)
    )


def registers_query(person: User, *, now: datetime):
    """The trainer's ended, not cancelled sessions that still have places marked "booked"
    (neither attended nor absent), oldest first, with how many: the oldest SHOWN and the
    total. Read from the places still booked (ix_booking_status_session: the places on
    sessions to come and the registers not yet marked) rather than from every session ever
    held."""
    booked = (
        select(Booking.session_id.label("session_id"), func.count(Booking.id).label("unmarked"))
        .where(Booking.status == "booked")
        .group_by(Booking.session_id)
        .subquery("booked")
    )
    return (
        select(TrainingSession, booked.c.unmarked, func.count().over().label("total"))
        .select_from(booked)
        .join(TrainingSession, TrainingSession.id == booked.c.session_id)
        .where(_trainer_of(person), TrainingSession.status == "scheduled", TrainingSession.ends_at <= now)
        .order_by(TrainingSession.starts_at, TrainingSession.id)
        .limit(SHOWN)
    )


def trainer_section(person: User, *, now: datetime) -> TrainerSection:
    """The trainer's next sessions with places taken, and the registers of their ended
    sessions that still have bookings marked "booked" (neither attended nor absent)."""
    upcoming = db.session.execute(upcoming_sessions_query(person, now=now)).all()
    registers = db.session.execute(registers_query(person, now=now)).all()
    return TrainerSection(
        next_sessions=[SessionPlaces(s, n or 0) for s, n, _ in upcoming],
        sessions_total=upcoming[0].total if upcoming else 0,
        registers=[RegisterToMark(s, n or 0) for s, n, _ in registers],
        registers_total=registers[0].total if registers else 0,
    )


def admin_queues_query():
    """Organisation requests waiting, failed emails (ix_outbound_email_failed: only the
    emails given up on), the scheduler's heartbeat and people asking to join organisations
    with no lead, in one statement."""
    requests_waiting = (
        select(func.count(OrganisationRequest.id)).where(OrganisationRequest.status == "pending").scalar_subquery()
    )
    failed = select(func.count(OutboundEmail.id)).where(OutboundEmail.failed_at.is_not(None)).scalar_subquery()
    heartbeat = select(JobRun.last_finished_at).where(JobRun.name == notifications.HEARTBEAT).scalar_subquery()
    asking = staff.join_requests_without_lead_query().scalar_subquery()
    return select(requests_waiting, failed, heartbeat, asking)


def under_minimum_query(*, now: datetime):
    """Scheduled sessions with a minimum, starting within UNDER_MINIMUM_DAYS and short of
    it: the soonest SHOWN and the total, read by their start."""
    places = booking_queries.places_held()
    return (
        select(TrainingSession, places.label("places"), func.count().over().label("total"))
        .where(
            TrainingSession.status == "scheduled",
            TrainingSession.minimum > 0,
            TrainingSession.starts_at > now,
            TrainingSession.starts_at <= now + timedelta(days=UNDER_MINIMUM_DAYS),
            places < TrainingSession.minimum,
        )
        .order_by(TrainingSession.starts_at, TrainingSession.id)
        .limit(SHOWN)
    )


def admin_section(person: User, *, now: datetime) -> AdminSection:
    """The partnership's queues: organisation requests waiting, failed emails and the
    scheduler's heartbeat in one statement; the learner licences (licences.summary); and
    sessions starting within UNDER_MINIMUM_DAYS with fewer places taken than their minimum."""
    organisation_requests, emails_failed, last, join_requests = db.session.execute(admin_queues_query()).one()
    if last is not None:
        last = as_utc(last)
    short = db.session.execute(under_minimum_query(now=now)).all()
    return AdminSection(
        organisation_requests=organisation_requests or 0,
        join_requests=join_requests or 0,
        scheduler=SchedulerStatus(running=notifications.heartbeat_is_recent(last, now=now), last_heartbeat=last),
        licences=licences.summary(now=now),
        emails_failed=emails_failed or 0,
        under_minimum=[SessionPlaces(s, n or 0) for s, n, _ in short],
        under_minimum_total=short[0].total if short else 0,
    )


# --- the retention schedule (shown in the privacy notice) -----------------------------------

@dataclass(frozen=True)
class Retention:
    record: str
    kept: str
    then: str


def _days(count: int) -> str:
    return f"{count:,} day{'s' if count != 1 else ''}"


def _months(count: int) -> str:
    return f"{count:,} month{'s' if count != 1 else ''}"


def retention_schedule() -> list[Retention]:
    """How long each kind of record is kept and what happens then, from the settings and
    the licence policy the nightly jobs enforce."""
    from flask import current_app

    from lms.accounts.jobs import SECURITY_RECORD_RETENTION

    config = current_app.config
    policy = licences.get_policy()
    closing = (f"{_months(policy.close_after_dormant_months)} after that it is closed"
               if policy.close_after_dormant_months else "it stays dormant until you use it or ask us to close it")
    anonymise = config.get("CLOSED_ACCOUNT_RETENTION_DAYS", 365)
    security = SECURITY_RECORD_RETENTION.days
    week = config.get("PUBLIC_REGISTRATION_RETENTION_DAYS", 30)
    return [
        Retention("Your account: name, work email address, organisation and job roles",
                  f"While you use it. An account not used for {_months(policy.dormant_after_months)} becomes dormant; "
                  f"{closing}. A closed account is kept for {_days(anonymise)} in case you come back",
                  "Your name and email address are erased and the account is anonymised: your training stays in the "
                  "partnership's figures without anything that identifies you"),
        Retention("Your training record: bookings, attendance, completions, certificates, evaluations and training "
                  "you added yourself, with any evidence file",
                  "As long as your account is kept, so that you and your setting can show the training was done",
                  "Kept without your name, email or evidence files when the account is anonymised, for the figures only"),
        Retention("Sign-up for a Safeguarding Week event without an account: name and email address",
                  f"{_days(week)} after the Week ends", "Erased; the number of people who came is kept"),
        Retention("What the emails we send you say, and their attachments",
                  f"{_days(config.get('EMAIL_BODY_RETENTION_DAYS', 180))} after we send them",
                  "Deleted; a note that the email was sent (to whom, its subject and when) is kept with your account"),
        Retention("Sign-in attempts, signed-in sessions and the links we email you",
                  f"{_days(security)} after they end", "Deleted"),
        Retention("Documents you ask us to prepare for download (a large evidence pack, a ZIP of certificates)",
                  f"{_days(config.get('DOWNLOAD_RETENTION_DAYS') or 7)} after they are made",
                  "The file is deleted; a note of what was asked for and when stays in your list of downloads"),
        Retention("Files uploaded to import training history",
                  "Until the import has finished", "Deleted; what was imported is part of the training records"),
        Retention("The record of what administrators changed (the audit log)",
                  "As long as the service runs, so that changes to people's records can be checked",
                  "Names in it are replaced when a person is erased"),
    ]
