"""The demo shows self-reported CPD awaiting verification: the demo teacher's annual update
rests on it, and their lead has it to verify."""
from __future__ import annotations

from sqlalchemy import select

from lms.accounts.models import User
from lms.compliance import services as compliance
from lms.compliance.models import ComplianceStatus, Requirement
from lms.demo.data import create_demo_data
from lms.demo.history import UNVERIFIED_CPD_PERSON, UNVERIFIED_CPD_REQUIREMENT, create_demo_history
from lms.extensions import db
from lms.records.external import services as external


def test_the_demo_teacher_has_a_status_resting_on_unverified_cpd(now):
    create_demo_data(if_empty=False, seed=11, now=now)
    create_demo_history(seed=11, now=now)
    compliance.rebuild_status_table(now=now)
    db.session.commit()
    teacher = db.session.scalar(select(User).where(User.email == UNVERIFIED_CPD_PERSON))
    [activity] = external.list_own(teacher)
    assert not activity.verified and activity.requirement_codes == [UNVERIFIED_CPD_REQUIREMENT]
    row = db.session.scalar(
        select(ComplianceStatus).join(Requirement, Requirement.id == ComplianceStatus.requirement_id)
        .where(ComplianceStatus.user_id == teacher.id, Requirement.code == UNVERIFIED_CPD_REQUIREMENT)
    )
    assert row.rests_on_unverified and row.first_status == "current"
