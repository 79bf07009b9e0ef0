"""The national baseline of requirements and rules (DESIGN.md section 4), shipped as seed
data from KCSIE 2023-2025, EYFS 2025 and the intercollegiate document for health staff
(2019). Where national guidance sets no period, the baseline sets none."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from lms.compliance.models import Requirement, RequirementRule
from lms.extensions import db
from lms.organisations.models import JobRole
from lms.organisations.reference.services import EARLY_YEARS_ROLES, SCHOOL_STAFF_ROLES

DSL_ROLES = ("school-dsl", "deputy-dsl")

# code, name, kind, roles, source, strength, rule fields
BASELINE = [
    ("staff-safeguarding", "Whole-staff safeguarding training", "once", SCHOOL_STAFF_ROLES,
     "KCSIE 2025, Part two: training at induction, including online safety", "statutory",
     {"induction_days": 30, "counts_from": ["dsl-role-training"]}),
    ("staff-annual-update", "Annual safeguarding update for school staff", "academic-year", SCHOOL_STAFF_ROLES,
     "KCSIE 2025, Part two: updates at least annually", "statutory",
     {"deadline_month": 9, "deadline_day": 30, "counts_from": ["dsl-role-training", "dsl-annual-update"]}),
    ("dsl-role-training", "DSL role training", "interval", DSL_ROLES,
     "KCSIE 2025, Annex C: updated at least every two years", "statutory",
     {"period_months": 24}),
    ("dsl-annual-update", "DSL annual knowledge update", "interval", DSL_ROLES,
     "KCSIE 2025, Annex C: knowledge refreshed at least annually (bulletins, twilights, reading)", "statutory",
     {"period_months": 12, "counts_from": ["dsl-role-training"], "qualifying_modes": ["twilight"]}),
    ("governor-training", "Safeguarding training for governors and trustees", "once", ("governor",),
     "KCSIE 2025, Part two: training at induction, regularly updated", "statutory", {}),
    ("safer-recruitment", "Safer recruitment training", "once", ("safer-recruitment-panel",),
     "School Staffing (England) Regulations 2009 (maintained schools); no period in law", "law", {}),
    ("eyfs-annex-c", "Early years safeguarding training (EYFS Annex C)", "interval", EARLY_YEARS_ROLES,
     "EYFS statutory framework 2025, Annex C", "statutory", {"period_months": 24}),
    ("health-l1", "Safeguarding children, health level 1", "rolling-hours", ("health-l1",),
     "Intercollegiate document 2019: 2 hours over 3 years", "recommended",
     {"hours_required": Decimal(2), "window_months": 36, "counts_from": ["health-l2", "health-l3", "health-l4"]}),
    ("health-l2", "Safeguarding children, health level 2", "rolling-hours", ("health-l2",),
     "Intercollegiate document 2019: 3 to 4 hours over 3 years", "recommended",
     {"hours_required": Decimal(3), "window_months": 36, "counts_from": ["health-l3", "health-l4"]}),
    ("health-l3", "Safeguarding children, health level 3", "rolling-hours", ("health-l3",),
     "Intercollegiate document 2019: 12 to 16 hours over 3 years", "recommended",
     {"hours_required": Decimal(12), "window_months": 36, "counts_from": ["health-l4"]}),
    ("health-l4", "Safeguarding children, health level 4", "rolling-hours", ("health-l4", "health-l5"),
     "Intercollegiate document 2019: 24 hours over 3 years", "recommended",
     {"hours_required": Decimal(24), "window_months": 36}),
    ("vcs-safeguarding", "Safeguarding training for voluntary and community organisations", "once", ("vcs-staff", "vcs-lead"),
     "No national period; commonly refreshed every 3 years", "recommended", {}),
]


def load_baseline() -> int:
    """Add missing requirements and their national rules. Returns how many were added.
    Existing requirements (which admins may have edited) are left alone."""
    roles = {r.code: r for r in db.session.scalars(select(JobRole))}
    existing = set(db.session.scalars(select(Requirement.code)))
    added = 0
    for position, (code, name, kind, role_codes, source, strength, fields) in enumerate(BASELINE):
        if code in existing:
            continue
        requirement = Requirement(
            code=code, name=name, kind=kind, source=source, strength=strength, position=position,
            job_roles=[roles[c] for c in role_codes if c in roles],
        )
        requirement.rules.append(RequirementRule(layer="national", **fields))
        db.session.add(requirement)
        added += 1
    db.session.flush()
    return added
