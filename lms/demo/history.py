"""Training history for the demo partnership: the partnership's usual courses (DESIGN.md
section 4, "Courses the demo partnership offers") and completions spread over the last
few years, so the compliance pages show a believable mix of current, due-soon and
overdue staff. Deterministic for a seed and a date."""
from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import insert, select

from lms.accounts.models import PersonRole, User
from lms.catalogue.models import Course
from lms.compliance.models import Requirement
from lms.core.time import add_months, london_today
from lms.extensions import db
from lms.organisations.models import JobRole, Organisation
from lms.records.external import services as external
from lms.records.models import Completion

# code, title, mode, hours, requirement codes, level, summary
DEMO_COURSES = [
    ("UPDATE", "Annual safeguarding update for school staff", "elearning", "1", ["staff-annual-update"], 1,
     "This year's changes to statutory guidance and local procedures, for all school staff."),
    ("DSL-NEW", "Designated safeguarding lead: new to role", "face-to-face", "12", ["dsl-role-training"], 3,
     "Two days for new and deputy DSLs: the role, thresholds, referrals, records and working with partners."),
    ("DSL-REFRESH", "Designated safeguarding lead refresher", "virtual", "6", ["dsl-role-training"], 3,
     "The two-yearly refresher for DSLs and deputies: what has changed and hard cases."),
    ("TWILIGHT", "DSL network twilight", "twilight", "2", [], 3,
     "Termly after-school meetings for DSLs in each area, one topic a term; counts towards the annual update."),
    ("SR", "Safer recruitment", "face-to-face", "6", ["safer-recruitment"], 2,
     "For recruitment panel members: planning, scrutiny, references, interviews and the single central record."),
    ("GOV", "Safeguarding for governors and trustees", "virtual", "2", ["governor-training"], 2,
     "The board's safeguarding duties, what to ask the DSL, and the annual return."),
    ("EY-ANNEXC", "Early years safeguarding (EYFS Annex C)", "face-to-face", "6", ["eyfs-annex-c"], 2,
     "Safeguarding training for early years practitioners, leads and childminders, meeting EYFS Annex C."),
    ("WT", "Working Together: multi-agency safeguarding", "face-to-face", "6",
     ["health-l1", "health-l2", "health-l3", "health-l4"], 2,
     "How agencies work together to safeguard children: roles, thresholds, strategy meetings and reviews."),
]

# Whose self-reported CPD awaits verification in the demo, and what it counts towards.
UNVERIFIED_CPD_PERSON = "teacher@demo.example"
UNVERIFIED_CPD_REQUIREMENT = "staff-annual-update"

# Which course someone takes to meet each requirement.
COURSE_FOR = {
    "staff-safeguarding": "SGE", "vcs-safeguarding": "SGE", "staff-annual-update": "UPDATE",
    "dsl-role-training": "DSL-REFRESH", "dsl-annual-update": "TWILIGHT", "governor-training": "GOV",
    "safer-recruitment": "SR", "eyfs-annex-c": "EY-ANNEXC", "health-l1": "WT", "health-l2": "WT",
    "health-l3": "WT", "health-l4": "WT",
}


@dataclass
class HistorySummary:
    courses: int
    completions: int


def _courses(now: datetime) -> dict[str, Course]:
    existing = {c.code: c for c in db.session.scalars(select(Course))}
    for code, title, mode, hours, requirements, level, summary in DEMO_COURSES:
        if code in existing:
            continue
        course = Course(
            code=code, title=title, summary=summary, learning_outcomes=[], delivery_mode=mode,
            cpd_hours=Decimal(hours), level=level, requirement_codes=requirements, managed_by="admin",
            created_at=now, updated_at=now,
        )
        db.session.add(course)
        existing[code] = course
    db.session.flush()
    return existing


def create_demo_history(*, seed: int, now: datetime) -> HistorySummary:
    """Add the demo courses and a believable training history for every demo person
    (one bulk insert). Run after create_demo_data; the caller rebuilds the status table."""
    rng = random.Random(seed)
    today = london_today(now)
    courses = _courses(now)
    requirements = {
        r.code: r for r in db.session.scalars(select(Requirement))
    }
    role_requirements: dict[str, list[str]] = {}
    for requirement in requirements.values():
        for role in requirement.job_roles:
            role_requirements.setdefault(role.code, []).append(requirement.code)
    people = db.session.execute(
        select(User.id, User.organisation_id, Organisation.sector_id)
        .outerjoin(Organisation, Organisation.id == User.organisation_id)
        .where(User.email.like("%.example"))
        .order_by(User.id)
    ).all()
    roles = db.session.execute(
        select(PersonRole.user_id, JobRole.code, PersonRole.started_on).join(JobRole, JobRole.id == PersonRole.job_role_id)
    ).all()
    held: dict[int, list[tuple[str, date]]] = {}
    for user_id, code, started_on in roles:
        held.setdefault(user_id, []).append((code, started_on))
    # The demo teacher's annual update is external CPD awaiting their lead's verification
    # (added below), so the pages show a status resting on unverified CPD.
    teacher = db.session.scalar(select(User).where(User.email == UNVERIFIED_CPD_PERSON))
    rows = []
    for user_id, organisation_id, sector_id in people:
        wanted = {}
        for code, started_on in held.get(user_id, []):
            for requirement in role_requirements.get(code, []):
                wanted[requirement] = min(started_on, wanted.get(requirement, started_on))
        if teacher is not None and user_id == teacher.id:
            wanted.pop(UNVERIFIED_CPD_REQUIREMENT, None)
        for requirement, since in sorted(wanted.items()):
            course = courses.get(COURSE_FOR.get(requirement, ""))
            if course is None:
                continue
            # Mostly up to date, some due soon, some lapsed, a few never trained.
            roll = rng.random()
            if roll < 0.04:
                continue
            months_ago = rng.randint(1, 18) if roll < 0.78 else rng.randint(19, 24) if roll < 0.9 else rng.randint(25, 48)
            if course.code == "TWILIGHT":
                months_ago = max(1, months_ago // 2)
            day = add_months(today, -months_ago) - timedelta(days=rng.randint(0, 27))
            if course.code == "UPDATE":  # most schools run the update at the September INSET
                year = today.year if today.month >= 9 else today.year - 1
                day = date(year if roll < 0.85 else year - 1, 9, rng.randint(1, 12))
            day = max(day, since)
            if day > today:
                continue
            ref = hashlib.sha256(f"demo:{user_id}:{course.code}:{day}".encode()).hexdigest()[:40]
            rows.append({
                "user_id": user_id, "course_id": course.id, "course_version_id": None, "title": course.title,
                "delivery_mode": course.delivery_mode, "completed_on": day, "cpd_hours": course.cpd_hours,
                "score": None, "source": "imported", "source_ref": ref, "organisation_id": organisation_id,
                "sector_id": sector_id, "self_reported": False, "created_at": now, "updated_at": now,
            })
    if rows:
        db.session.execute(insert(Completion), rows)
    if teacher is not None and not external.list_own(teacher):
        external.log_external(teacher, external.ExternalValues(
            title="Safeguarding update at the trust's INSET day", provider="Larkrise Learning Trust",
            completed_on=max(date(today.year if today.month >= 9 else today.year - 1, 9, 2), today - timedelta(days=60)),
            hours="1.5", requirement_codes=[UNVERIFIED_CPD_REQUIREMENT],
            note="The trust ran its own update this year instead of the partnership's e-learning.",
        ), now=now)
    return HistorySummary(courses=len(DEMO_COURSES), completions=len(rows))
