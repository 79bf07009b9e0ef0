"""Compliance: a person's status on each requirement, and an organisation's people's,
as of any date (DESIGN.md section 9), from the pure calculation."""
from __future__ import annotations

from flask import jsonify

from lms.accounts import services as accounts
from lms.accounts.models import User
from lms.api import bp
from lms.api.auth import caller
from lms.api.document import describe, path_id
from lms.api.errors import ApiError
from lms.api.fields import With, dump
from lms.api.paging import paginate
from lms.api.schemas import ComplianceArgs, OrganisationCompliance, PersonCompliance
from lms.compliance import engine, services as compliance
from lms.core.time import london_today, utcnow
from lms.extensions import db
from lms.organisations.models import Organisation


def _statuses(people: list[User], rules: compliance.RuleSet, as_of) -> dict[int, list[With]]:
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
                items.append(With(outcome, requirement=code, name=rules.requirements[code].name))
        result[person.id] = items
    return result


@bp.get("/people/<int:person_id>/compliance")
@describe(
    "getPersonCompliance", "A person's compliance with the requirements of their roles", tag="compliance",
    response=PersonCompliance, errors=(400, 404), path={"person_id": path_id("The person's id.")},
    query=ComplianceArgs,
    description=(
        "For the person themselves, their organisation's setting leads and admins; 404 for anyone else. "
        "Only requirements that apply to the person's roles on that date are listed."
    ),
)
def person_compliance(person_id: int):
    actor = caller()
    person = db.session.get(User, person_id)
    if person is None or not accounts.can_see_person(actor, person):
        raise ApiError(404, "No person has this id")
    as_of = ComplianceArgs.parse()["as_of"] or london_today(utcnow())
    rules = compliance.load_rules()
    return jsonify(dump(PersonCompliance, {
        "person_id": person.id,
        "as_of": as_of,
        "requirements": _statuses([person], rules, as_of)[person.id],
    }))


@bp.get("/organisations/<int:organisation_id>/compliance")
@describe(
    "getOrganisationCompliance", "An organisation's people and their compliance", tag="compliance",
    response=OrganisationCompliance, errors=(400, 403, 404),
    path={"organisation_id": path_id("The organisation's id.")}, query=ComplianceArgs, paged=True,
    description="For the organisation's setting leads and admins. People are ordered by name.",
)
def organisation_compliance(organisation_id: int):
    actor = caller()
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        raise ApiError(404, "No organisation has this id")
    if not accounts.leads(actor, organisation.id):
        raise ApiError(403, "Only the organisation's setting leads and partnership admins can see its compliance")
    as_of = ComplianceArgs.parse()["as_of"] or london_today(utcnow())
    rules = compliance.load_rules()
    query = (
        db.select(User)
        .where(User.organisation_id == organisation.id, User.active.is_(True))
        .order_by(User.full_name, User.id)
    )
    page = paginate(query)
    statuses = _statuses(page["items"], rules, as_of)
    page["items"] = [With(person, requirements=statuses[person.id]) for person in page["items"]]
    return jsonify(dump(OrganisationCompliance, {**page, "organisation_id": organisation.id, "as_of": as_of}))
