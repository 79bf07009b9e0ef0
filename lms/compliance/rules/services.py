"""Editing requirements and their rules (DESIGN.md section 4; the admin pages are in
views.py). The services set or clear the partnership and organisation layers
(rules.layers), allow or forbid organisation overrides, edit a requirement's details and
create local requirements. Each one checks the change (rules.changes.plan_change, the
same check a preview makes), writes it, records an audit event (the requirement's
history) and recomputes the maintained status table for the people it can affect.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from lms.accounts.models import User
from lms.audit import services as audit
from lms.compliance import engine, services as compliance
from lms.compliance.models import CompliancePolicy, Requirement, RequirementRule
from lms.compliance.rules.changes import (
    DetailsChange,
    NewRequirement,
    OrganisationRuleChange,
    PartnershipRuleChange,
    Plan,
    affected_people,
    check_details,
    clean_text,
    plan_change,
)
from lms.compliance.rules.layers import (
    LAYER_FIELDS,
    RequirementDetails,
    RuleValues,
    Scenario,
    organisation_layer,
    partnership_layer,
)
from lms.compliance.rules.wording import describe_rule
from lms.core.errors import DomainError, NotFound
from lms.extensions import db
from lms.organisations.models import JobRole, Organisation

# --- reading ------------------------------------------------------------------------------

@dataclass(frozen=True)
class RequirementSummary:
    requirement: Requirement
    rule: engine.Rule
    words: str
    layers: str
    organisation_layers: int


def _with_layers():
    return select(Requirement).options(
        selectinload(Requirement.job_roles),
        selectinload(Requirement.rules).selectinload(RequirementRule.organisation),
    )


def list_requirements() -> list[RequirementSummary]:
    """Every requirement (in use or not) with its effective rule, in three queries."""
    requirements = db.session.scalars(_with_layers().order_by(Requirement.position, Requirement.id)).all()
    summaries = []
    for requirement in requirements:
        scenario = Scenario.current(requirement)
        rule = scenario.changed(active=True).rule_for(None)
        organisation_layers = len(scenario.organisations)
        layers = []
        if scenario.national is not None:
            layers.append("National")
        if scenario.partnership is not None:
            layers.append("Partnership override" if scenario.national is not None else "Partnership (local requirement)")
        if organisation_layers:
            layers.append(
                f"{organisation_layers} organisation override{'s' if organisation_layers != 1 else ''}"
                + ("" if requirement.organisation_overrides else " (not in force)")
            )
        summaries.append(
            RequirementSummary(
                requirement=requirement,
                rule=rule,
                words=describe_rule(rule, national_baseline=scenario.national is not None),
                layers=", ".join(layers) or "None",
                organisation_layers=organisation_layers,
            )
        )
    return summaries


def get_requirement(code: str) -> Requirement:
    requirement = db.session.scalar(_with_layers().where(Requirement.code == code))
    if requirement is None:
        raise NotFound("There is no requirement with this code")
    return requirement


def get_requirement_by_id(requirement_id: int) -> Requirement:
    requirement = db.session.get(Requirement, requirement_id)
    if requirement is None:
        raise NotFound("There is no requirement with this id")
    return requirement


def history(requirement: Requirement, *, limit: int = 50):
    """Audit events about this requirement, newest first."""
    return audit.events_about("requirement", requirement.id, limit=limit)


# --- saving -------------------------------------------------------------------------------

def _refresh(plan: Plan, *, now: datetime) -> int:
    ids = affected_people(plan, active_only=False)
    compliance.refresh_status(ids, now=now)
    return len(ids)


def _audit_value(value):
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, tuple):
        return list(value)
    return value


def _snapshot(rule: RequirementRule | None) -> dict:
    if rule is None:
        return {}
    return {name: _audit_value(getattr(rule, name)) for name in LAYER_FIELDS}


def _values_snapshot(values: RuleValues) -> dict:
    return {name: _audit_value(getattr(values, name)) for name in LAYER_FIELDS}


def _write_layer(rule: RequirementRule, values: RuleValues, *, actor, now: datetime) -> None:
    for name in LAYER_FIELDS:
        value = getattr(values, name)
        if isinstance(value, tuple):
            value = list(value)
        if name == "note":
            value = clean_text(value)
        setattr(rule, name, value)
    rule.updated_at = now
    rule.updated_by = actor


def _diff(before: dict, after: dict) -> tuple[dict, dict]:
    keys = [k for k in dict.fromkeys(list(before) + list(after)) if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


def set_partnership_rule(requirement: Requirement, values: RuleValues, *, actor: User, now: datetime) -> RequirementRule | None:
    """Set the partnership's rule for a requirement (values that set nothing remove it)."""
    values = replace(values, note=clean_text(values.note))
    plan = plan_change(PartnershipRuleChange(requirement, values))
    if values.sets_nothing:
        clear_partnership_rule(requirement, actor=actor, now=now)
        return None
    rule = partnership_layer(requirement)
    before, after = _diff(_snapshot(rule), _values_snapshot(values))
    if not after:
        return rule  # nothing changes
    if rule is None:
        rule = RequirementRule(layer="partnership")
        requirement.rules.append(rule)
    _write_layer(rule, values, actor=actor, now=now)
    db.session.flush()
    words = describe_rule(plan.after.rule_for(None), national_baseline=plan.before.national is not None)
    audit.record(
        actor, "requirement.rule-update", target=requirement, before=before, after=after, now=now,
        summary=f"Partnership rule for {requirement.name} set: {words}",
    )
    _refresh(plan, now=now)
    return rule


def clear_partnership_rule(requirement: Requirement, *, actor: User, now: datetime) -> None:
    """Remove the partnership's rule: the national baseline applies again."""
    plan = plan_change(PartnershipRuleChange(requirement, None))
    rule = partnership_layer(requirement)
    before = {k: v for k, v in _snapshot(rule).items() if v is not None}
    requirement.rules.remove(rule)
    db.session.flush()
    words = describe_rule(plan.after.rule_for(None), national_baseline=plan.before.national is not None)
    audit.record(
        actor, "requirement.rule-clear", target=requirement, before=before, after={k: None for k in before}, now=now,
        summary=f"Partnership rule for {requirement.name} removed: back to the national rule ({words})",
    )
    _refresh(plan, now=now)


def set_organisation_rule(
    requirement: Requirement, organisation: Organisation, values: RuleValues, *, actor: User, now: datetime
) -> RequirementRule | None:
    """Set an organisation's own rule, where the requirement allows it (values that set
    nothing remove it)."""
    values = replace(values, note=clean_text(values.note))
    plan = plan_change(OrganisationRuleChange(requirement, organisation, values))
    if values.sets_nothing:
        clear_organisation_rule(requirement, organisation, actor=actor, now=now)
        return None
    rule = organisation_layer(requirement, organisation.id)
    before, after = _diff(_snapshot(rule), _values_snapshot(values))
    if not after:
        return rule  # nothing changes
    if rule is None:
        rule = RequirementRule(layer="organisation", organisation=organisation)
        requirement.rules.append(rule)
    _write_layer(rule, values, actor=actor, now=now)
    db.session.flush()
    words = describe_rule(plan.after.rule_for(organisation.id), national_baseline=plan.before.national is not None)
    audit.record(
        actor, "requirement.organisation-rule-update", target=requirement,
        before={"organisation": organisation.name, **before}, after={"organisation": organisation.name, **after}, now=now,
        summary=f"{organisation.name}'s own rule for {requirement.name} set: {words}",
    )
    _refresh(plan, now=now)
    return rule


def clear_organisation_rule(requirement: Requirement, organisation: Organisation, *, actor: User, now: datetime) -> None:
    plan = plan_change(OrganisationRuleChange(requirement, organisation, None))
    rule = organisation_layer(requirement, organisation.id)
    before = {k: v for k, v in _snapshot(rule).items() if v is not None}
    requirement.rules.remove(rule)
    db.session.flush()
    audit.record(
        actor, "requirement.organisation-rule-clear", target=requirement,
        before={"organisation": organisation.name, **before}, after={"organisation": organisation.name, **{k: None for k in before}},
        now=now, summary=f"{organisation.name}'s own rule for {requirement.name} removed: the partnership's rule applies",
    )
    _refresh(plan, now=now)


def update_requirement(requirement: Requirement, details: RequirementDetails, *, actor: User, now: datetime) -> bool:
    """Change a requirement's name, description, source, strength, job roles, whether it is
    in use and whether organisations may set their own rule. The code never changes.
    Returns whether anything changed."""
    plan = plan_change(DetailsChange(requirement, details))
    details = check_details(details)
    before = _details_snapshot(requirement)
    roles = {role.code: role for role in db.session.scalars(select(JobRole).where(JobRole.code.in_(details.job_role_codes)))}
    requirement.name = details.name
    requirement.description = details.description
    requirement.source = details.source
    requirement.strength = details.strength
    requirement.active = details.active
    requirement.organisation_overrides = details.organisation_overrides
    if set(roles) != {role.code for role in requirement.job_roles}:
        requirement.job_roles = [roles[code] for code in details.job_role_codes]
    before, after = _diff(before, _details_snapshot(requirement))
    if not after:
        return False
    db.session.flush()
    audit.record(
        actor, "requirement.update", target=requirement, before=before, after=after, now=now,
        summary=f"Requirement {requirement.name} ({requirement.code}) changed: " + ", ".join(audit.readable_key(k).lower() for k in after),
    )
    if {"job_roles", "active", "organisation_overrides"} & set(after):
        _refresh(plan, now=now)
    return True


def set_organisation_overrides(requirement: Requirement, allowed: bool, *, actor: User, now: datetime) -> bool:
    """Allow or forbid organisations to set their own rule for a requirement. Forbidding
    keeps any organisation rules on file but puts them out of force."""
    details = replace(RequirementDetails.of(requirement), organisation_overrides=bool(allowed))
    return update_requirement(requirement, details, actor=actor, now=now)


def _details_snapshot(requirement: Requirement) -> dict:
    return {
        "name": requirement.name,
        "description": requirement.description,
        "source": requirement.source,
        "strength": requirement.strength,
        "job_roles": sorted(role.code for role in requirement.job_roles),
        "active": requirement.active,
        "organisation_overrides": requirement.organisation_overrides,
    }


def create_requirement(new: NewRequirement, *, actor: User, now: datetime) -> Requirement:
    """Add a local requirement with its rule (kept as the partnership's layer)."""
    new = replace(new, code=(new.code or "").strip(), values=replace(new.values, note=clean_text(new.values.note)))
    plan = plan_change(new)
    details = check_details(
        RequirementDetails(
            name=new.name, description=new.description, source=new.source, strength=new.strength,
            job_role_codes=new.job_role_codes, active=True, organisation_overrides=False,
        )
    )
    roles = {role.code: role for role in db.session.scalars(select(JobRole).where(JobRole.code.in_(details.job_role_codes)))}
    position = (db.session.scalar(select(func.max(Requirement.position))) or 0) + 1
    requirement = Requirement(
        code=new.code, name=details.name, description=details.description, kind=new.kind, source=details.source,
        strength=details.strength, position=position, active=True, organisation_overrides=False,
        job_roles=[roles[code] for code in details.job_role_codes],
    )
    db.session.add(requirement)
    rule = RequirementRule(layer="partnership")
    requirement.rules.append(rule)
    _write_layer(rule, new.values, actor=actor, now=now)
    db.session.flush()
    after = {"code": requirement.code, "kind": requirement.kind, **_details_snapshot(requirement)}
    after.update({k: v for k, v in _snapshot(rule).items() if v is not None})
    audit.record(
        actor, "requirement.create", target=requirement, after=after, now=now,
        summary=f"Local requirement {requirement.name} ({requirement.code}) added: "
        + describe_rule(plan.after.rule_for(None), national_baseline=False),
    )
    _refresh(plan, now=now)
    return requirement


# --- the partnership's setting for unverified self-reported CPD -----------------------------

UNVERIFIED_CPD_MESSAGE = "Select whether self-reported CPD counts before a setting lead verifies it"


def set_unverified_cpd_counts(counts: bool | None, *, actor: User, now: datetime) -> int | None:
    """Say whether self-reported external CPD counts towards requirements before a setting
    lead verifies it. A change is audited and recomputes, in this transaction, the
    statuses of everyone with unverified self-reported CPD (refresh_status works in
    chunks). Returns how many people were recomputed, or None when nothing changed."""
    if not isinstance(counts, bool):
        raise DomainError(UNVERIFIED_CPD_MESSAGE, field="unverified_cpd_counts")
    policy = db.session.get(CompliancePolicy, 1)
    if policy is None:
        policy = CompliancePolicy(id=1, unverified_cpd_counts=True)
        db.session.add(policy)
    before = bool(policy.unverified_cpd_counts)
    if before == counts:
        return None
    policy.unverified_cpd_counts = counts
    policy.updated_at = now
    policy.updated_by_id = actor.id
    db.session.flush()
    people = list(db.session.scalars(compliance.people_with_unverified_cpd()))
    compliance.refresh_status(people, now=now)
    audit.record(
        actor, "compliance.policy", target=policy, now=now,
        before={"unverified_cpd_counts": before}, after={"unverified_cpd_counts": counts, "people_recomputed": len(people)},
        summary=("Self-reported CPD now counts before a setting lead verifies it (marked as unverified)" if counts
                 else "Self-reported CPD now counts only once a setting lead has verified it"),
    )
    return len(people)
