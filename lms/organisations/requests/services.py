""""My organisation is not listed": a person asks for their organisation to be added
(when they register), and an admin adds it (approve), links the person to one already
listed (link) or turns the request down (reject). The requester is emailed the decision.

Plain functions over the ORM: they take the actor and `now`, raise DomainError naming the
form field at fault, flush but never commit; every decision writes an audit event.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import joinedload

from lms.audit import services as audit
from lms.core.errors import DomainError, NotFound
from lms.core.time import london_today
from lms.extensions import db
from lms.notifications.services import queue_templated_email
from lms.organisations.models import Employment, Organisation, OrganisationRequest, SettingLead
from lms.organisations.services import (
    SimilarOrganisation,
    clean_details,
    create_organisation,
    find_similar_organisations,
    require_admin,
)

if TYPE_CHECKING:
    from lms.accounts.models import User

REASON_MAX = 1000

# Request statuses
PENDING = "pending"
APPROVED = "approved"  # a new organisation was created from it
LINKED = "linked"  # it duplicated an organisation already listed; the person was linked to that
REJECTED = "rejected"
REQUEST_STATUSES = (PENDING, APPROVED, LINKED, REJECTED)


def request_organisation(
    user: User,
    *,
    now: datetime,
    name: str,
    type_id: Any,
    area_id: Any = None,
    address: str | None = None,
    postcode: str | None = None,
    urn: str | None = None,
) -> OrganisationRequest:
    """Record a person's request to add their organisation. Errors name the registration
    form's fields: new_organisation_name, _type, _area, _address, _postcode, _urn.

    Refuses an organisation already listed: the same URN, or the same name (ignoring case,
    punctuation, "&"/"and", "St"/"Saint", a leading "The") and type in the same area."""
    prefix = "new_organisation_"
    details = clean_details(
        name=name, type_id=type_id, area_id=area_id, address=address, postcode=postcode, urn=urn,
        prefix=prefix, name_missing="Enter the name of your organisation",
    )
    for similar in find_similar_organisations(details["name"], urn=details["urn"], limit=20):
        existing = similar.organisation
        if similar.reason == "same URN":
            raise DomainError(
                f"{existing.name} already has the URN or Ofsted number {details['urn']}. "
                "Select it from the list of organisations",
                field=prefix + "urn",
            )
        same_area = existing.area_id is None or details["area_id"] is None or existing.area_id == details["area_id"]
        if similar.reason == "same name" and existing.type_id == details["type_id"] and same_area:
            area = f", {existing.area.name}" if existing.area else ""
            raise DomainError(
                f"{existing.name} ({existing.type.name}{area}) is already listed. Select it from the list of "
                "organisations, or if yours is a different organisation, add its town or street to the name",
                field=prefix + "name",
            )
    request = OrganisationRequest(
        name=details["name"],
        type_id=details["type_id"],
        area_id=details["area_id"],
        address=details["address"],
        postcode=details["postcode"],
        urn=details["urn"],
        requested_by_id=user.id,
        status=PENDING,
        created_at=now,
    )
    db.session.add(request)
    db.session.flush()
    return request


def list_requests(*, status: str | None = PENDING) -> Select:
    """Requests with their type, area and requester loaded: pending ones oldest first
    (a queue), decided ones newest first."""
    query = select(OrganisationRequest).options(
        joinedload(OrganisationRequest.type),
        joinedload(OrganisationRequest.area),
        joinedload(OrganisationRequest.requested_by),
        joinedload(OrganisationRequest.organisation),
    )
    if status:
        query = query.where(OrganisationRequest.status == status)
    if status == PENDING:
        return query.order_by(OrganisationRequest.created_at, OrganisationRequest.id)
    return query.order_by(OrganisationRequest.created_at.desc(), OrganisationRequest.id.desc())


def count_pending_requests() -> int:
    return db.session.scalar(
        select(func.count(OrganisationRequest.id)).where(OrganisationRequest.status == PENDING)
    ) or 0


def get_request(request_id: int) -> OrganisationRequest:
    request = db.session.get(OrganisationRequest, request_id)
    if request is None:
        raise NotFound("No such organisation request")
    return request


def possible_duplicates(request: OrganisationRequest, *, limit: int = 5) -> list[SimilarOrganisation]:
    return find_similar_organisations(request.name, urn=request.urn, exclude_id=request.organisation_id, limit=limit)


def _claim(request: OrganisationRequest, status: str, actor: User, *, now: datetime, reason: str | None = None) -> None:
    """Decide a pending request exactly once, even if two admins act at the same moment."""
    claimed = db.session.execute(
        update(OrganisationRequest)
        .where(OrganisationRequest.id == request.id, OrganisationRequest.status == PENDING)
        .values(status=status, decided_by_id=actor.id, decided_at=now, decision_reason=reason)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        db.session.refresh(request)
        raise DomainError(f"This request has already been {request.status}")
    db.session.refresh(request)


def _place_person(user: User, organisation: Organisation, *, on: date) -> None:
    """Record that `user` works at `organisation` from `on`, ending any current employment.
    As when people move themselves, leading the old organisation does not move with them."""
    if user.organisation_id == organisation.id:
        return
    for employment in user.employments:
        if employment.ended_on is None:
            employment.ended_on = max(on, employment.started_on)
    user.employments.append(Employment(organisation_id=organisation.id, started_on=on))
    previous = user.organisation_id
    user.organisation_id = organisation.id
    if previous is not None:
        db.session.execute(
            SettingLead.__table__.delete().where(SettingLead.user_id == user.id, SettingLead.organisation_id == previous)
        )
        db.session.expire(user, ["led_organisations"])


def approve_request(
    actor: User, request: OrganisationRequest, *, now: datetime, organisation_fields: dict | None = None
) -> Organisation:
    """Create the requested organisation (with the admin's corrections in
    `organisation_fields`: name, type_id, sector_id, area_id, urn, address, postcode),
    record the requester as working there from today and email them."""
    require_admin(actor)
    fields = {
        "name": request.name,
        "type_id": request.type_id,
        "sector_id": None,
        "area_id": request.area_id,
        "urn": request.urn,
        "address": request.address,
        "postcode": request.postcode,
    }
    unknown = set(organisation_fields or {}) - set(fields)
    if unknown:
        raise TypeError(f"Unknown organisation fields: {', '.join(sorted(unknown))}")
    if request.status != PENDING:
        raise DomainError(f"This request has already been {request.status}")
    fields.update(organisation_fields or {})
    organisation = create_organisation(actor, now=now, **fields)
    _claim(request, APPROVED, actor, now=now)
    request.organisation_id = organisation.id
    _settle(actor, request, organisation, now=now, template="organisation_approved",
            subject=f"{organisation.name} has been added", verb="approve",
            summary=f"Approved the request to add {organisation.name}")
    return organisation


def link_request(actor: User, request: OrganisationRequest, organisation: Organisation, *, now: datetime) -> None:
    """The request duplicated an organisation already listed: record the requester as
    working there from today and email them."""
    require_admin(actor)
    if request.status != PENDING:
        raise DomainError(f"This request has already been {request.status}")
    if organisation is None or not organisation.active:
        raise DomainError("Select an active organisation from the list", field="organisation")
    _claim(request, LINKED, actor, now=now)
    request.organisation_id = organisation.id
    _settle(actor, request, organisation, now=now, template="organisation_linked",
            subject=f"Your organisation: {organisation.name}", verb="link",
            summary=f"Linked the request for {request.name} to {organisation.name}")


def _settle(actor, request, organisation, *, now, template, subject, verb, summary) -> None:
    requester = request.requested_by
    before_org = requester.organisation_id
    today = london_today(now)
    _place_person(requester, organisation, on=today)
    db.session.flush()
    audit.record(
        actor, f"organisation-request.{verb}", target=request, now=now, summary=summary,
        before={"status": PENDING, "requester_organisation_id": before_org},
        after={"status": request.status, "organisation_id": organisation.id,
               "requester_id": requester.id, "requester_organisation_id": organisation.id},
    )
    queue_templated_email(
        requester.email, template, now=now, subject=subject, user=requester, category="account",
        name=requester.full_name, requested_name=request.name, organisation_name=organisation.name,
        started_on=today,
    )


def reject_request(actor: User, request: OrganisationRequest, reason: str, *, now: datetime) -> None:
    """Turn a request down and email the requester the reason."""
    require_admin(actor)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Enter the reason, which we will email to the person", field="reason")
    if len(reason) > REASON_MAX:
        raise DomainError(f"Reason must be {REASON_MAX} characters or fewer", field="reason")
    if request.status != PENDING:
        raise DomainError(f"This request has already been {request.status}")
    _claim(request, REJECTED, actor, now=now, reason=reason)
    requester = request.requested_by
    audit.record(
        actor, "organisation-request.reject", target=request, now=now,
        summary=f"Rejected the request to add {request.name}",
        before={"status": PENDING}, after={"status": REJECTED, "reason": reason},
    )
    queue_templated_email(
        requester.email, "organisation_rejected", now=now, subject=f"Your request to add {request.name}",
        user=requester, category="account", name=requester.full_name, requested_name=request.name, reason=reason,
    )
