"""Compliance: a person's status on each requirement, and an organisation's people's,
as of any date (DESIGN.md section 9), from the pure calculation."""
from __future__ import annotations

from flask import jsonify

from lms.accounts import services as accounts
from lms.accounts.models import User
from lms.api import bp
from lms.api.auth import caller
from lms.api.errors import ApiError
from lms.api.params import date_arg, paginate
from lms.compliance import engine, services as compliance
from lms.core.time import london_today, utcnow
from lms.extensions import db
from lms.organisations.models import Organisation


def _requirement(code: str, name: str, result: engine.Result) -> dict:
    hours = None
    if result.hours_required is not None:
        hours = {
            "counted": float(result.hours_counted or 0),
            "required": float(result.hours_required),
            "needed": float(result.hours_needed or 0),
        }
    return {
        "requirement": code,
        "name": name,
        "status": result.status,
        "due_on": result.due_on.isoformat() if result.due_on else None,
        "overdue_since": result.overdue_since.isoformat() if result.overdue_since else None,
        "last_completed_on": result.last_completed_on.isoformat() if result.last_completed_on else None,
        "hours": hours,
    }


def _statuses(people: list[User], rules: compliance.RuleSet, as_of) -> dict[int, list[dict]]:
    """Each person's applicable requirements, computed in bulk (two queries)."""
    ids = [p.id for p in people]
    facts = compliance.facts_for(ids)
    roles = compliance.roles_for(ids)
    result = {}
    for person in people:
        items = []
        for code, rule in rules.for_organisation(person.organisation_id).items():
            outcome = engine.evaluate(rule, facts.get(person.id, ()), roles.get(person.id, ()), as_of)
            if outcome.status != engine.NOT_APPLICABLE:
                items.append(_requirement(code, rules.requirements[code].name, outcome))
        result[person.id] = items
    return result


@bp.get("/people/<int:person_id>/compliance")
def person_compliance(person_id: int):
    actor = caller()
    person = db.session.get(User, person_id)
    if person is None or not accounts.can_see_person(actor, person):
        raise ApiError(404, "No person has this id")
    as_of = date_arg("as_of") or london_today(utcnow())
    rules = compliance.load_rules()
    return jsonify({
        "person_id": person.id,
        "as_of": as_of.isoformat(),
        "requirements": _statuses([person], rules, as_of)[person.id],
    })


@bp.get("/organisations/<int:organisation_id>/compliance")
def organisation_compliance(organisation_id: int):
    actor = caller()
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        raise ApiError(404, "No organisation has this id")
    if not accounts.leads(actor, organisation.id):
        raise ApiError(403, "Only the organisation's setting leads and partnership admins can see its compliance")
    as_of = date_arg("as_of") or london_today(utcnow())
    rules = compliance.load_rules()
    query = (
        db.select(User)
        .where(User.organisation_id == organisation.id, User.active.is_(True))
        .order_by(User.full_name, User.id)
    )

    def serialise_page(people: list[User]) -> list[dict]:
        statuses = _statuses(people, rules, as_of)
        return [
            {"person_id": p.id, "full_name": p.full_name, "email": p.email, "requirements": statuses[p.id]}
            for p in people
        ]

    body = paginate(query, serialise_page, many=True)
    body["organisation_id"] = organisation.id
    body["as_of"] = as_of.isoformat()
    return jsonify(body)
