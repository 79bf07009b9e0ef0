"""The reference data of DESIGN.md sections 3 and 4, shipped as seed data.

Codes are stable and never change; names may be edited by admins afterwards, so
`load_reference_data` adds what is missing and leaves existing rows as they are.
"""
from __future__ import annotations

from sqlalchemy import select

from lms.extensions import db
from lms.organisations.models import JobRole, OrganisationType, Sector

SECTORS = [
    ("education", "Education"),
    ("early-years", "Early years"),
    ("vcs", "Voluntary, community and faith"),
    ("health", "Health"),
    ("police", "Police"),
    ("local-authority", "Local authority"),
    ("other-statutory", "Other statutory and private"),
    ("public", "Member of the public"),
]

ORGANISATION_TYPES = [
    ("education", "primary-school", "Primary school"),
    ("education", "secondary-school", "Secondary school"),
    ("education", "all-through-school", "All-through school"),
    ("education", "special-school", "Special school"),
    ("education", "independent-school", "Independent school"),
    ("education", "alternative-provision", "Alternative provision or pupil referral unit"),
    ("education", "fe-college", "Further education college"),
    ("education", "mat-central", "Multi-academy trust (central team)"),
    ("early-years", "day-nursery", "Private day nursery"),
    ("early-years", "pre-school", "Pre-school or playgroup"),
    ("early-years", "childminder", "Childminder"),
    ("early-years", "out-of-school-club", "Out of school club"),
    ("early-years", "school-nursery", "School-based nursery"),
    ("early-years", "childrens-centre", "Children's centre"),
    ("vcs", "charity", "Charity or voluntary organisation"),
    ("vcs", "faith-group", "Faith group"),
    ("vcs", "sports-youth", "Sports or youth organisation"),
    ("health", "hospital-trust", "Hospital trust"),
    ("health", "community-health", "Community health (health visiting, school nursing)"),
    ("health", "mental-health-trust", "Mental health trust"),
    ("health", "gp-practice", "GP practice"),
    ("health", "icb", "Integrated care board"),
    ("police", "police", "Police"),
    ("local-authority", "childrens-social-care", "Children's social care"),
    ("local-authority", "early-help", "Early help"),
    ("local-authority", "education-inclusion", "Education and inclusion"),
    ("local-authority", "youth-justice", "Youth justice"),
    ("local-authority", "housing", "Housing"),
    ("local-authority", "council-other", "Other council service"),
    ("other-statutory", "probation", "Probation"),
    ("other-statutory", "fire-rescue", "Fire and rescue"),
    ("other-statutory", "cafcass", "CAFCASS"),
    ("other-statutory", "childrens-home", "Residential children's home"),
    ("other-statutory", "fostering-agency", "Independent fostering agency"),
    ("other-statutory", "adult-social-care", "Adult social care"),
]

JOB_ROLES = [
    ("school-staff", "All school staff"),
    ("teacher", "Teacher"),
    ("teaching-assistant", "Teaching assistant"),
    ("school-dsl", "School designated safeguarding lead (DSL)"),
    ("deputy-dsl", "Deputy designated safeguarding lead"),
    ("head-teacher", "Head teacher"),
    ("governor", "Governor or trustee"),
    ("safer-recruitment-panel", "Safer recruitment panel member"),
    ("ey-practitioner", "Early years practitioner"),
    ("ey-dsl", "Early years designated safeguarding lead"),
    ("childminder", "Childminder"),
    ("childminder-assistant", "Childminder assistant"),
    ("vcs-staff", "Voluntary sector staff or volunteer"),
    ("vcs-lead", "Voluntary sector safeguarding lead"),
    ("health-l1", "Health staff, level 1"),
    ("health-l2", "Health staff, level 2"),
    ("health-l3", "Health staff, level 3"),
    ("health-l4", "Health staff, level 4"),
    ("health-l5", "Health staff, level 5"),
    ("police-officer", "Police officer"),
    ("social-worker", "Social worker"),
    ("other", "Other"),
]

SCHOOL_STAFF_ROLES = ("school-staff", "teacher", "teaching-assistant", "school-dsl", "deputy-dsl", "head-teacher")
EARLY_YEARS_ROLES = ("ey-practitioner", "ey-dsl", "childminder", "childminder-assistant")


def load_reference_data() -> dict[str, int]:
    """Add any missing sectors, organisation types and job roles. Returns counts added."""
    added = {"sectors": 0, "organisation_types": 0, "job_roles": 0}
    sectors = {s.code: s for s in db.session.scalars(select(Sector))}
    for position, (code, name) in enumerate(SECTORS):
        if code not in sectors:
            sectors[code] = Sector(code=code, name=name, position=position)
            db.session.add(sectors[code])
            added["sectors"] += 1
    db.session.flush()
    types = set(db.session.scalars(select(OrganisationType.code)))
    for position, (sector_code, code, name) in enumerate(ORGANISATION_TYPES):
        if code not in types:
            db.session.add(OrganisationType(code=code, name=name, sector_id=sectors[sector_code].id, position=position))
            added["organisation_types"] += 1
    roles = set(db.session.scalars(select(JobRole.code)))
    for position, (code, name) in enumerate(JOB_ROLES):
        if code not in roles:
            db.session.add(JobRole(code=code, name=name, position=position))
            added["job_roles"] += 1
    db.session.flush()
    return added
