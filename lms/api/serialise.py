"""Model -> JSON for the API. Reference data is named by its stable codes (DESIGN.md 4).

Each function matches a schema in lms/api/openapi.py of the same name.
"""
from __future__ import annotations

from datetime import date, datetime

from flask import url_for

from lms.accounts.models import PersonRole, User
from lms.catalogue.models import Course, CourseVersion, Lesson
from lms.elearning.models import Enrolment
from lms.organisations.models import Organisation
from lms.records.models import Completion


def iso_date(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def iso_datetime(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def organisation(org: Organisation) -> dict:
    return {
        "id": org.id,
        "name": org.name,
        "type": org.type.code,
        "sector": org.sector.code,
        "area": org.area.code if org.area is not None else None,
        "urn": org.urn,
        "active": org.active,
    }


def organisation_summary(org: Organisation) -> dict:
    return {"id": org.id, "name": org.name}


def job_role_held(role: PersonRole) -> dict:
    return {
        "code": role.job_role.code,
        "name": role.job_role.name,
        "started_on": iso_date(role.started_on),
        "ended_on": iso_date(role.ended_on),
    }


def person(user: User) -> dict:
    return {
        "id": user.id,
        "email": user.email,
        "full_name": user.full_name,
        "active": user.active,
        "organisation": organisation(user.organisation) if user.organisation is not None else None,
        "job_roles": [job_role_held(role) for role in user.roles],
    }


def role_names(user: User) -> list[str]:
    """Everyone is a practitioner; the flags and setting-lead links add the rest."""
    roles = ["practitioner"]
    if user.led_organisations:
        roles.append("setting-lead")
    if user.is_trainer:
        roles.append("trainer")
    if user.is_admin:
        roles.append("admin")
    return roles


def me(user: User) -> dict:
    return {
        **person(user),
        "roles": role_names(user),
        "led_organisations": [organisation_summary(org) for org in user.led_organisations],
    }


def reference_item(row) -> dict:
    return {"code": row.code, "name": row.name}


def organisation_type(row) -> dict:
    return {"code": row.code, "name": row.name, "sector": row.sector.code}


def job_role(row) -> dict:
    return {"code": row.code, "name": row.name, "active": row.active}


# --- courses and learning -------------------------------------------------------------
# Quiz answers, feedback and lesson bodies are never serialised: a course's detail gives
# only lesson titles and lengths and the number of quiz questions.

def hours(value) -> float:
    """CPD hours (a Decimal in the database) as a JSON number."""
    return float(value)


def course(row: Course) -> dict:
    return {
        "code": row.code,
        "title": row.title,
        "summary": row.summary,
        "delivery_mode": row.delivery_mode,
        "cpd_hours": hours(row.cpd_hours),
        "level": row.level,
        "estimated_minutes": row.estimated_minutes,
        "audience": {
            "sectors": [sector.code for sector in row.audience_sectors],
            "job_roles": [role.code for role in row.audience_roles],
        },
        "requirements": list(row.requirement_codes or []),
        "url": url_for("courses.course", code=row.code, _external=True),
    }


def lesson_outline(lesson: Lesson) -> dict:
    return {"position": lesson.position, "title": lesson.title, "minutes": lesson.minutes}


def quiz_outline(version: CourseVersion) -> dict:
    return {"questions": len(version.questions or []), "pass_mark": version.pass_mark}


def course_detail(row: Course, version: CourseVersion | None) -> dict:
    """A course with its learning outcomes and, for e-learning with content, an outline of
    its latest version (`version` is None otherwise)."""
    return {
        **course(row),
        "learning_outcomes": list(row.learning_outcomes or []),
        "version": version.number if version is not None else None,
        "lessons": [lesson_outline(lesson) for lesson in version.lessons] if version is not None else None,
        "quiz": quiz_outline(version) if version is not None else None,
    }


def enrolment(row: Enrolment) -> dict:
    total = len(row.version.lessons)
    read = set(row.lessons_read or []) & set(range(1, total + 1))
    return {
        "id": row.id,
        "course": row.course.code,
        "course_title": row.course.title,
        "version": row.version.number,
        "status": row.status,
        "enrolled_at": iso_datetime(row.enrolled_at),
        "lessons_read": len(read),
        "lessons_total": total,
        "completed_at": iso_datetime(row.completed_at),
    }


def external_activity(row) -> dict:
    """What a person said about external CPD (never the evidence file's name or path)."""
    return {
        "provider": row.provider,
        "requirement_codes": list(row.requirement_codes or []),
        "note": row.note,
        "has_evidence": row.evidence_path is not None,
        "verified": row.verified_at is not None,
        "verified_at": iso_datetime(row.verified_at),
    }


def completion(row: Completion, course_code: str | None, external=None) -> dict:
    return {
        "id": row.id,
        "title": row.title,
        "course": course_code,
        "delivery_mode": row.delivery_mode,
        "completed_on": iso_date(row.completed_on),
        "cpd_hours": hours(row.cpd_hours),
        "score": row.score,
        "source": row.source,
        "self_reported": row.self_reported,
        "external": external_activity(external) if external is not None else None,
    }


# --- sessions and bookings ------------------------------------------------------------
# A session's joining link is given only to people with a place (and to those who run
# the session); the route decides and passes `joining=True`.

def session_venue(row) -> dict | None:
    if row.is_online:
        return None
    return {
        "name": row.venue_name,
        "address": row.venue_address,
        "postcode": row.venue_postcode,
        "access_notes": row.access_notes,
    }


def training_session(row, *, counts: dict, signup_state: str, cancellation_deadline: datetime) -> dict:
    """A session as listed. `counts` is bookings.services.place_counts()'s entry for it."""
    return {
        "id": row.id,
        "course": row.course.code,
        "course_title": row.course.title,
        "delivery_mode": row.course.delivery_mode,
        "starts_at": iso_datetime(row.starts_at),
        "ends_at": iso_datetime(row.ends_at),
        "location_kind": row.location_kind,
        "venue": session_venue(row),
        "area": row.area.code if row.area is not None else None,
        "organisation": organisation_summary(row.organisation) if row.organisation is not None else None,
        "audience": {
            "sectors": [sector.code for sector in row.audience_sectors],
            "job_roles": [role.code for role in row.audience_roles],
        },
        "trainers": [trainer.full_name for trainer in row.trainers],
        "capacity": row.capacity,
        "places_left": max(row.capacity - counts["places"], 0),
        "waiting_list": counts["waiting"],
        "requires_approval": row.requires_approval,
        "status": row.status,
        "signup_state": signup_state,
        "signup_opens_at": iso_datetime(row.signup_opens_at),
        "signup_closes_at": iso_datetime(row.signup_closes_at),
        "cancellation_deadline": iso_datetime(cancellation_deadline),
        "url": url_for("bookings.session", session_id=row.id, _external=True),
    }


def session_detail(
    row, *, counts: dict, signup_state: str, cancellation_deadline: datetime, my_booking: dict | None, joining: bool
) -> dict:
    return {
        **training_session(row, counts=counts, signup_state=signup_state, cancellation_deadline=cancellation_deadline),
        "cancelled_reason": row.cancelled_reason if row.is_cancelled else None,
        "joining": {"url": row.joining_url, "notes": row.joining_notes} if joining and row.is_online else None,
        "my_booking": my_booking,
    }


def booking_session(row) -> dict:
    return {
        "id": row.id,
        "course": row.course.code,
        "course_title": row.course.title,
        "starts_at": iso_datetime(row.starts_at),
        "ends_at": iso_datetime(row.ends_at),
        "location_kind": row.location_kind,
        "status": row.status,
    }


def booking(row, *, waiting_position: int | None) -> dict:
    """A booking. `waiting_position` is its place on the waiting list (1 is next), or None
    when it is not on the list."""
    return {
        "id": row.id,
        "status": row.status,
        "session_id": row.session_id,
        "person_id": row.user_id,
        "waiting_position": waiting_position if row.status == "waitlisted" else None,
        "offer_expires_at": iso_datetime(row.offer_expires_at) if row.status == "offered" else None,
        "created_at": iso_datetime(row.created_at),
        "confirmed_at": iso_datetime(row.confirmed_at),
        "cancelled_at": iso_datetime(row.cancelled_at) if row.status == "cancelled" else None,
        "ended_reason": row.ended_reason if row.status == "cancelled" else None,
        "late_cancellation": row.is_late_cancellation,
        "session": booking_session(row.session),
    }
