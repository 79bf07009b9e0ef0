"""What the home dashboards show: the figures on the partnership admin's dashboard, across
features, and whether the scheduler is running. Queries only."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import distinct, func, select

from lms.accounts.models import User
from lms.extensions import db
from lms.notifications.models import JobRun, OutboundEmail
from lms.organisations.models import Organisation, OrganisationRequest, SettingLead

HEARTBEAT_JOB = "heartbeat"
HEARTBEAT_MAX_AGE = timedelta(minutes=10)


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
    """Whether the scheduler has sent a heartbeat in the last ten minutes."""
    heartbeat = db.session.get(JobRun, HEARTBEAT_JOB)
    last = heartbeat.last_finished_at if heartbeat is not None else None
    return SchedulerStatus(running=last is not None and now - last <= HEARTBEAT_MAX_AGE, last_heartbeat=last)
