"""A requirement's rule as layers, in memory: the national baseline shipped with the
product, the partnership's override and, where a requirement allows it, an organisation's
override. A field left empty (None) in a layer takes its value from the layer below.

What each layer may set (the vocabulary of the admin pages), the values one layer sets
(RuleValues), a requirement's editable details, and Scenario: everything that decides a
requirement's effective rules, read from the database or proposed, merged exactly as
compliance.services.load_rules merges them. Nothing here writes to the session.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

from lms.compliance import engine, services as compliance
from lms.compliance.models import Requirement, RequirementRule

# --- vocabulary ---------------------------------------------------------------------------

# The fields a partnership or organisation layer may set (the engine's fields), and the
# note that explains why.
RULE_FIELDS = tuple(compliance.RULE_FIELDS)
LAYER_FIELDS = RULE_FIELDS + ("note",)

KIND_NAMES = {
    "interval": "Interval: valid for a number of months from the last completion",
    "once": "Once: done once, with no expiry unless a period is set",
    "academic-year": "Academic year: one completion in each September to August year",
    "rolling-hours": "Rolling hours: a number of CPD hours within a rolling period",
    "per-edition": "Per edition: acknowledge each new edition of a document",
}
KIND_SHORT = {
    "interval": "interval",
    "once": "once",
    "academic-year": "academic-year",
    "rolling-hours": "rolling-hours",
    "per-edition": "per-edition",
}

_COMMON = ("induction_days", "counts_from", "qualifying_modes")
_DEADLINE = ("due_soon_days", "grace_days")
FIELDS_BY_KIND = {
    "interval": ("period_months",) + _DEADLINE + _COMMON,
    "once": ("period_months",) + _DEADLINE + _COMMON,
    "academic-year": ("deadline_day", "deadline_month") + _DEADLINE + _COMMON,
    "rolling-hours": ("hours_required", "window_months") + _DEADLINE + _COMMON,
    "per-edition": ("edition_date",) + _COMMON,
}

FIELD_LABELS = {
    "period_months": "Period",
    "hours_required": "Hours required",
    "window_months": "Rolling period",
    "due_soon_days": "Due-soon window",
    "induction_days": "Time allowed for new starters",
    "grace_days": "Grace period",
    "deadline_day": "Deadline day",
    "deadline_month": "Deadline month",
    "edition_date": "Date of the current edition",
    "counts_from": "Other requirements whose training counts",
    "qualifying_modes": "Kinds of activity that count",
    "note": "Note",
}


# --- the values a layer sets ---------------------------------------------------------------

@dataclass(frozen=True)
class RuleValues:
    """What one layer (partnership or organisation) sets. None: take the value from the
    layer below. For the two lists, an empty tuple means "none" and None means "as below"."""

    period_months: int | None = None
    hours_required: Decimal | None = None
    window_months: int | None = None
    due_soon_days: int | None = None
    induction_days: int | None = None
    grace_days: int | None = None
    deadline_day: int | None = None
    deadline_month: int | None = None
    edition_date: date | None = None
    counts_from: tuple[str, ...] | None = None
    qualifying_modes: tuple[str, ...] | None = None
    note: str | None = None

    def rule_fields(self) -> dict:
        """The engine fields, as a layer dict (lists as lists)."""
        values = {}
        for name in RULE_FIELDS:
            value = getattr(self, name)
            values[name] = list(value) if isinstance(value, tuple) else value
        return values

    @property
    def sets_nothing(self) -> bool:
        return all(getattr(self, name) is None for name in LAYER_FIELDS)

    @classmethod
    def of(cls, rule: RequirementRule | None) -> "RuleValues":
        """The values stored in a layer."""
        if rule is None:
            return cls()
        values = {name: getattr(rule, name) for name in LAYER_FIELDS}
        for name in ("counts_from", "qualifying_modes"):
            if values[name] is not None:
                values[name] = tuple(values[name])
        if values["hours_required"] is not None:
            values["hours_required"] = Decimal(values["hours_required"])
        return cls(**values)


@dataclass(frozen=True)
class RequirementDetails:
    """A requirement's editable details. The code is not here: codes never change."""

    name: str
    description: str | None
    source: str | None
    strength: str
    job_role_codes: tuple[str, ...]
    active: bool
    organisation_overrides: bool

    @classmethod
    def of(cls, requirement: Requirement) -> "RequirementDetails":
        return cls(
            name=requirement.name,
            description=requirement.description,
            source=requirement.source,
            strength=requirement.strength,
            job_role_codes=tuple(role.code for role in requirement.job_roles),
            active=requirement.active,
            organisation_overrides=requirement.organisation_overrides,
        )


# --- a requirement's layers, in memory ----------------------------------------------------

def layer_dict(rule: RequirementRule | RuleValues | None) -> dict | None:
    if rule is None:
        return None
    if isinstance(rule, RuleValues):
        return rule.rule_fields()
    return {name: getattr(rule, name) for name in RULE_FIELDS}


@dataclass
class Scenario:
    """Everything that decides a requirement's effective rules: the current state read from
    the database, or a proposed state built from it. Nothing here touches the session."""

    code: str
    kind: str
    active: bool
    job_roles: frozenset[str]
    national: dict | None
    partnership: dict | None
    organisations: dict[int, dict]
    overrides_allowed: bool
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def current(cls, requirement: Requirement) -> "Scenario":
        national = next((r for r in requirement.rules if r.layer == "national"), None)
        partnership = next((r for r in requirement.rules if r.layer == "partnership"), None)
        organisations = {
            r.organisation_id: layer_dict(r)
            for r in requirement.rules
            if r.layer == "organisation" and r.organisation_id is not None
        }
        return cls(
            code=requirement.code,
            kind=requirement.kind,
            active=requirement.active,
            job_roles=frozenset(role.code for role in requirement.job_roles),
            national=layer_dict(national),
            partnership=layer_dict(partnership),
            organisations=organisations,
            overrides_allowed=requirement.organisation_overrides,
        )

    def changed(self, **values) -> "Scenario":
        return replace(self, _cache={}, **values)

    def layers_for(self, organisation_id: int | None) -> list[dict]:
        layers = [layer for layer in (self.national, self.partnership) if layer is not None]
        if self.overrides_allowed and organisation_id in self.organisations:
            layers.append(self.organisations[organisation_id])
        return layers

    def values_for(self, organisation_id: int | None) -> dict:
        """The merged field values (the defaults, then each layer that sets a value)."""
        values = dict(compliance.DEFAULTS)
        for layer in self.layers_for(organisation_id):
            for name in RULE_FIELDS:
                if layer.get(name) is not None:
                    values[name] = layer[name]
        return values

    def rule_for(self, organisation_id: int | None) -> engine.Rule | None:
        """The engine rule for a person of this organisation; None when the requirement is
        not in force. Built by the same merge as compliance.load_rules."""
        if not self.active:
            return None
        key = organisation_id if (self.overrides_allowed and organisation_id in self.organisations) else None
        if key not in self._cache:
            requirement = SimpleNamespace(
                code=self.code, kind=self.kind, job_roles=[SimpleNamespace(code=c) for c in sorted(self.job_roles)]
            )
            layers = [SimpleNamespace(**{name: layer.get(name) for name in RULE_FIELDS}) for layer in self.layers_for(key)]
            self._cache[key] = compliance.merge_layers(requirement, layers)
        return self._cache[key]


def empty_scenario(code: str, kind: str) -> Scenario:
    return Scenario(
        code=code, kind=kind, active=False, job_roles=frozenset(), national=None, partnership=None,
        organisations={}, overrides_allowed=False,
    )


# --- the layers of a stored requirement -----------------------------------------------------

def partnership_layer(requirement: Requirement) -> RequirementRule | None:
    return next((r for r in requirement.rules if r.layer == "partnership"), None)


def national_layer(requirement: Requirement) -> RequirementRule | None:
    return next((r for r in requirement.rules if r.layer == "national"), None)


def organisation_layer(requirement: Requirement, organisation_id: int) -> RequirementRule | None:
    return next(
        (r for r in requirement.rules if r.layer == "organisation" and r.organisation_id == organisation_id), None
    )


def organisation_layers(requirement: Requirement) -> list[RequirementRule]:
    rules = [r for r in requirement.rules if r.layer == "organisation" and r.organisation is not None]
    return sorted(rules, key=lambda r: (r.organisation.name.lower(), r.organisation_id))


def effective_rule(requirement: Requirement, organisation_id: int | None = None) -> engine.Rule:
    """The rule in force (as if the requirement were in use)."""
    return Scenario.current(requirement).changed(active=True).rule_for(organisation_id)


def inherited_values(requirement: Requirement, *, below_organisation: bool = False) -> dict:
    """The merged values of the layers below the one being edited: below the partnership
    (the national rule and the defaults) or below an organisation (national and
    partnership)."""
    scenario = Scenario.current(requirement)
    layers = [scenario.national, scenario.partnership] if below_organisation else [scenario.national]
    values = dict(compliance.DEFAULTS)
    for layer in layers:
        for name in RULE_FIELDS:
            if layer is not None and layer.get(name) is not None:
                values[name] = layer[name]
    return values
