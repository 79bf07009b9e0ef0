"""How a rule, a field and a change are described in words on the admin pages and in
the audit log: "Every 24 months", "12 hours in any 36 months", "By 30 September each
academic year", a field's value ("36 months", "DSL role training"), the layers table and
a change's (what, now, after) rows."""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from lms.catalogue.models import DELIVERY_MODES
from lms.compliance import engine
from lms.compliance.models import Requirement
from lms.compliance.rules.changes import Change, DetailsChange, NewRequirement, OrganisationRuleChange, Plan, plan_change
from lms.compliance.rules.layers import FIELD_LABELS, FIELDS_BY_KIND, Scenario
from lms.core.time import format_date
from lms.extensions import db
from lms.organisations.models import JobRole

def format_hours(value) -> str:
    number = format(Decimal(value).normalize(), "f")
    return f"{number} hour{'' if number == '1' else 's'}"


def _months(value: int) -> str:
    return f"{value} month{'' if value == 1 else 's'}"


def _days(value: int) -> str:
    return f"{value} day{'' if value == 1 else 's'}"


def describe_rule(rule: engine.Rule | None, *, national_baseline: bool = True) -> str:
    """An effective rule in words: "Every 24 months", "Once; no national expiry",
    "12 hours in any 36 months", "By 30 September each academic year"."""
    if rule is None:
        return "Not in force"
    if rule.kind in ("interval", "once"):
        if rule.period_months is not None:
            return f"Every {_months(rule.period_months)}"
        if rule.kind == "once":
            return "Once; no national expiry" if national_baseline else "Once; no expiry"
        return "No expiry"
    if rule.kind == "academic-year":
        return f"By {rule.deadline_day} {calendar.month_name[rule.deadline_month]} each academic year"
    if rule.kind == "rolling-hours":
        hours = format_hours(rule.hours_required or 0)
        return f"{hours} in any {_months(rule.window_months or 36)}"
    if rule.kind == "per-edition":
        if rule.edition_date is not None:
            return f"Each new edition (current edition from {format_date(rule.edition_date)})"
        return "Each new edition"
    return rule.kind


def requirement_names() -> dict[str, str]:
    return dict(db.session.execute(select(Requirement.code, Requirement.name)).all())


def field_words(name: str, value, *, requirement_names: dict[str, str] | None = None) -> str:
    """One field's value in words ("36 months", "2 hours", "DSL role training")."""
    if value is None:
        return "Not set"
    if name in ("period_months", "window_months"):
        return _months(value)
    if name in ("due_soon_days", "induction_days", "grace_days"):
        return _days(value)
    if name == "hours_required":
        return format_hours(value)
    if name == "deadline_month":
        return calendar.month_name[value] if 1 <= value <= 12 else str(value)
    if name == "edition_date":
        return format_date(value)
    if name == "counts_from":
        names = requirement_names if requirement_names is not None else requirement_names()
        return ", ".join(names.get(code, code) for code in value) if value else "None"
    if name == "qualifying_modes":
        return ", ".join(DELIVERY_MODES.get(mode, mode) for mode in value) if value else "None"
    return str(value)


@dataclass(frozen=True)
class LayerRow:
    """One line of the layers table: a field as each layer sets it, and what is in force."""

    name: str
    label: str
    national: str
    partnership: str
    effective: str


def layer_rows(requirement: Requirement, rule: engine.Rule | None = None) -> list[LayerRow]:
    """The fields that matter for the requirement's kind, layer by layer."""
    scenario = Scenario.current(requirement)
    rule = rule or scenario.changed(active=True).rule_for(None)
    names = requirement_names()
    national, partnership = scenario.national or {}, scenario.partnership or {}
    rows = []
    for name in FIELDS_BY_KIND[requirement.kind]:
        if name == "deadline_month":
            continue
        if name == "deadline_day":
            rows.append(
                LayerRow(
                    name, "Deadline",
                    _deadline_words(national), _deadline_words(partnership),
                    f"{rule.deadline_day} {calendar.month_name[rule.deadline_month]}",
                )
            )
            continue
        effective_value = getattr(rule, name)
        if name == "due_soon_days":
            effective = f"{_days(rule.soon_days)}" + (" (by period)" if rule.due_soon_days is None else "")
        elif name in ("counts_from", "qualifying_modes"):
            effective = field_words(name, sorted(effective_value), requirement_names=names)
        elif name == "period_months" and effective_value is None:
            effective = "No expiry"
        else:
            effective = field_words(name, effective_value, requirement_names=names)
        rows.append(
            LayerRow(
                name, FIELD_LABELS[name],
                _layer_words(national, name, names), _layer_words(partnership, name, names), effective,
            )
        )
    return rows


def _layer_words(layer: dict, name: str, names: dict[str, str]) -> str:
    return field_words(name, layer.get(name), requirement_names=names)


def _deadline_words(layer: dict) -> str:
    day, month = layer.get("deadline_day"), layer.get("deadline_month")
    if day is None and month is None:
        return "Not set"
    if day is None:
        return f"{calendar.month_name[month]} (day from below)"
    if month is None:
        return f"Day {day} (month from below)"
    return f"{day} {calendar.month_name[month]}"


def values_words(values: dict, *, kind: str, names: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """The fields a layer sets, in words, for the organisation overrides table."""
    names = names if names is not None else requirement_names()
    words = []
    for name in FIELDS_BY_KIND.get(kind, ()):
        if name == "deadline_month":
            continue
        if name == "deadline_day":
            if values.get("deadline_day") is not None or values.get("deadline_month") is not None:
                words.append(("Deadline", _deadline_words(values)))
            continue
        if values.get(name) is not None:
            words.append((FIELD_LABELS[name], field_words(name, values[name], requirement_names=names)))
    return words


def _has_deadline(rule: engine.Rule) -> bool:
    """Whether a completion under this rule ever falls due (so a due-soon window and a
    grace period mean something)."""
    if rule.kind in ("interval", "once"):
        return rule.period_months is not None
    return rule.kind != "per-edition"


def describe_change(change: Change, plan: Plan | None = None) -> list[tuple[str, str, str]]:
    """(what, now, after) for the things a change alters, in words."""
    plan = plan or plan_change(change)
    rows: list[tuple[str, str, str]] = []
    national = plan.before.national is not None
    if isinstance(change, OrganisationRuleChange):
        organisation_id = change.organisation.id
        before_rule, after_rule = plan.before.rule_for(organisation_id), plan.after.rule_for(organisation_id)
    else:
        before_rule, after_rule = plan.before.rule_for(None), plan.after.rule_for(None)
    before_words = describe_rule(before_rule, national_baseline=national)
    after_words = describe_rule(after_rule, national_baseline=national)
    if isinstance(change, NewRequirement):
        before_words = "Does not exist"
    if before_words != after_words:
        rows.append(("Rule", before_words, after_words))
    if before_rule is not None and after_rule is not None:
        names = requirement_names()
        compared = ["induction_days", "counts_from", "qualifying_modes"]
        if _has_deadline(before_rule) and _has_deadline(after_rule):
            compared[:0] = ["due_soon_days", "grace_days"]
        for name in compared:
            old, new = getattr(before_rule, name), getattr(after_rule, name)
            if name == "due_soon_days":
                old, new = before_rule.soon_days, after_rule.soon_days
            if old != new:
                if isinstance(old, frozenset):
                    old, new = sorted(old), sorted(new)
                rows.append(
                    (FIELD_LABELS[name], field_words(name, old, requirement_names=names), field_words(name, new, requirement_names=names))
                )
    if plan.before.job_roles != plan.after.job_roles:
        role_names = dict(db.session.execute(select(JobRole.code, JobRole.name)).all())
        words = lambda codes: ", ".join(role_names.get(c, c) for c in sorted(codes, key=lambda c: role_names.get(c, c))) or "None"
        rows.append(("Job roles", words(plan.before.job_roles) if not isinstance(change, NewRequirement) else "None", words(plan.after.job_roles)))
    if isinstance(change, DetailsChange) and plan.before.active != plan.after.active:
        rows.append(("In use", "Yes" if plan.before.active else "No", "Yes" if plan.after.active else "No"))
    if isinstance(change, DetailsChange) and plan.before.overrides_allowed != plan.after.overrides_allowed:
        rows.append((
            "Organisations may set their own rule",
            "Yes" if plan.before.overrides_allowed else "No",
            "Yes" if plan.after.overrides_allowed else "No",
        ))
    return rows
