"""The public API (no token, no cookie): Safeguarding Week's public events and registering
for one with a name and an email, as the public programme page does (DESIGN.md 8a).

    GET  /api/v1/public/events                       the current week's public events
    POST /api/v1/public/events/{id}/registrations    {"name", "email"}

A new registration is a 201 (a place held awaiting the emailed link, or the waiting
list); the same email again for the same event is a 200 with the registration it already
has. Bad input is a 422 naming each field, a professionals-only event a 403 with the
reason, and more attempts from one address than PUBLIC_REGISTRATION_MAX_PER_ADDRESS in
the window a 429. The blueprint is CSRF-exempt (it never reads the session cookie)."""
from __future__ import annotations

from flask import current_app, jsonify, request

from lms.api import bp
from lms.api.auth import public
from lms.api.document import describe, path_id
from lms.api.errors import ApiError
from lms.api.fields import dump
from lms.api.routes.learning import json_object
from lms.api.schemas import Error
from lms.api.schemas.public import PublicEventList, PublicRegistrationAnswer, RegisterPublic
from lms.core.errors import DomainError, NotFound
from lms.core.time import london_today, utcnow
from lms.extensions import db
from lms.programmes.week import services as week

MESSAGES = {
    "awaiting-confirmation": "A place is held for you: follow the link we have emailed to confirm it.",
    "confirmed": "You already have a confirmed place.",
    "waitlisted": "The event is full: you are on the waiting list and we will email you if a place becomes free.",
}


@bp.get("/public/events")
@describe("listPublicEvents", "The current Safeguarding Week's events for the public", tag="bookings", public=True,
          response=PublicEventList,
          description="No token needed. Events for the public or for both, with places left (null for drop-ins).")
@public
def public_events():
    now = utcnow()
    programme = week.current_week(london_today(now))
    if programme is None:
        return jsonify(dump(PublicEventList, {"week": None, "events": []}))
    detail = week.week_detail(programme, now=now)
    events = [event for day in detail["days"] for event in day["events"] if event["audience"] in ("public", "both")]
    return jsonify(dump(PublicEventList, {"week": detail, "events": events}))


def _field_errors(body: dict) -> list[dict]:
    errors = []
    for name in ("name", "email"):
        value = body.get(name)
        if value is not None and not isinstance(value, str):
            errors.append({"field": name, "message": f"{name} must be text"})
    if errors:
        return errors
    for check in (lambda: week.check_registrant(body.get("name"), "x@example.org"),
                  lambda: week.check_registrant("x", body.get("email"))):
        try:
            check()
        except DomainError as error:
            errors.append({"field": error.field, "message": error.message})
    return errors


@bp.post("/public/events/<int:event_id>/registrations")
@describe("registerForPublicEvent", "Register a member of the public for an event", tag="bookings", public=True,
          path={"event_id": path_id("The event's id (from /public/events).")},
          body=RegisterPublic, body_description='{"name": "...", "email": "..."}',
          response=PublicRegistrationAnswer, ok="The same email registered before: its registration, unchanged.",
          created="Registered: a place held awaiting confirmation, or the waiting list.",
          errors=(400, 403, 404, 422),
          other={429: ("Too many registration attempts from this address in the window (Retry-After says how "
                       "long to wait).", Error)},
          description="No token needed. One registration per email per event; an email with a link to confirm, "
                      "manage or cancel goes to the address.")
@public
def register_public(event_id: int):
    now = utcnow()
    body = json_object('{"name": "Sam Smith", "email": "sam@example.org"}')
    try:
        event = week.get_event(event_id)
    except NotFound:
        raise ApiError(404, "No event has this id") from None
    errors = _field_errors(body)
    if errors:
        raise ApiError(422, errors[0]["message"], errors=errors)
    try:
        week.count_attempt(request.remote_addr or "unknown", now=now)
        db.session.commit()
    except week.TooManyAttempts as error:
        db.session.rollback()
        window = current_app.config["PUBLIC_REGISTRATION_WINDOW"]
        raise ApiError(429, error.message, headers={"Retry-After": str(int(window.total_seconds()))}) from None
    try:
        registration, created = week.register(event, body.get("name"), body.get("email"), now=now)
    except DomainError as error:
        db.session.rollback()
        status = 403 if isinstance(error, week.NotForThePublic) else 422
        raise ApiError(status, error.message, errors=[{"field": error.field or "email", "message": error.message}]) from None
    db.session.commit()
    answer = dump(PublicRegistrationAnswer, {
        "status": registration.status, "event_id": event.id,
        "waiting_position": week.waiting_position(registration), "message": MESSAGES[registration.status],
    })
    response = jsonify(answer)
    response.status_code = 201 if created else 200
    return response
