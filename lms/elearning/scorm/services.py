"""SCORM 1.2 packages as e-learning courses: an upload becomes a course or a new version
of one (learners keep the version they started), a learner's run-time data is saved per
enrolment, and a finished package completes the enrolment through elearning.services, so
the training record and the certificate follow as for any course."""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from sqlalchemy import case, select, update
from sqlalchemy.exc import IntegrityError

from lms.accounts.models import User
from lms.audit import services as audit
from lms.catalogue.models import Course, CourseVersion
from lms.core.errors import DomainError, Forbidden, NotFound
from lms.elearning import services as elearning
from lms.elearning.models import Enrolment
from lms.elearning.scorm.models import ScormAttempt, ScormPackage
from lms.elearning.scorm.package import Staged
from lms.extensions import db

STATUSES = ("passed", "completed", "failed", "incomplete", "browsed", "not attempted")
COUNTABLE = ("passed", "completed")
MAX_SUSPEND_DATA = 4096
MAX_LOCATION = 255
CODE = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,29}$")
_TIME = re.compile(r"^(\d{2,4}):([0-5]\d):([0-5]\d)(\.\d{1,2})?$")
_SESSION = re.compile(r"^[A-Za-z0-9-]{1,40}$")
MAX_SEQ = 2**53


# --- upload -----------------------------------------------------------------------------

@dataclass
class CourseDetails:
    code: str
    title: str
    summary: str
    cpd_hours: Decimal
    requirement_codes: list[str]
    completion_statuses: list[str]


def check_details(details: CourseDetails) -> None:
    if not CODE.match(details.code or ""):
        raise DomainError("Enter a course code of capital letters, numbers and hyphens, up to 30 characters", field="code")
    if not details.title.strip() or len(details.title) > 200:
        raise DomainError("Enter the course title, up to 200 characters", field="title")
    if not details.summary.strip():
        raise DomainError("Enter a summary of the course", field="summary")
    if details.cpd_hours is None or not Decimal("0") < details.cpd_hours <= Decimal("100"):
        raise DomainError("Enter the CPD hours, a number more than 0 and at most 100", field="cpd_hours")
    if not details.completion_statuses or not set(details.completion_statuses) <= set(COUNTABLE):
        raise DomainError("Select which statuses complete the course", field="completion_statuses")


def add_package(staged: Staged, details: CourseDetails, *, actor: User, now: datetime) -> ScormPackage:
    """A new course, or a new version of an e-learning course made from packages, for a
    checked package. The caller commits, then moves the files into place."""
    if not actor.is_admin:
        raise Forbidden("Only admins can upload packages")
    check_details(details)
    course = db.session.scalar(select(Course).where(Course.code == details.code))
    latest = None
    if course is not None:
        if course.delivery_mode != "elearning":
            raise DomainError(f"{details.code} is a {course.delivery_mode} course, not e-learning", field="code")
        if course.managed_by == "files":
            raise DomainError(f"{details.code} is made from the course files in courses/; choose another code",
                              field="code")
        latest = course.versions[-1] if course.versions else None
        if latest is not None and latest.content_hash == staged.content_hash:
            raise DomainError(f"This package is the same as version {latest.number} of {details.code}: nothing changed",
                              field="package")
    else:
        course = Course(code=details.code, managed_by="admin", delivery_mode="elearning", created_at=now,
                        learning_outcomes=[], level=1, active=True)
        db.session.add(course)
    before = None if latest is None else {"version": latest.number}
    course.title = details.title.strip()
    course.summary = details.summary.strip()
    course.cpd_hours = details.cpd_hours
    course.requirement_codes = list(details.requirement_codes)
    course.updated_at = now
    version = CourseVersion(number=(latest.number + 1) if latest else 1, content_hash=staged.content_hash,
                            pass_mark=staged.manifest.mastery_score or 0, questions=[], created_at=now)
    course.versions.append(version)
    db.session.flush()
    staged.storage_key = secrets.token_hex(16)
    package = ScormPackage(
        version_id=version.id, storage_key=staged.storage_key, launch=staged.manifest.launch,
        title=(staged.manifest.title or details.title)[:200], mastery_score=staged.manifest.mastery_score,
        completion_statuses=sorted(set(details.completion_statuses)), file_count=staged.file_count,
        unpacked_bytes=staged.unpacked_bytes, uploaded_at=now, uploaded_by_id=actor.id,
    )
    db.session.add(package)
    db.session.flush()
    audit.record(actor, "scorm.upload", target=package, now=now, before=before,
                 summary=f"Uploaded a SCORM package as version {version.number} of {course.code} {course.title}",
                 after={"course": course.code, "version": version.number, "files": staged.file_count,
                        "bytes": staged.unpacked_bytes, "launch": package.launch})
    return package


def list_packages() -> list[ScormPackage]:
    return list(db.session.scalars(select(ScormPackage).order_by(ScormPackage.uploaded_at.desc(), ScormPackage.id.desc())))


def package_for_version(version_id: int) -> ScormPackage | None:
    return db.session.scalar(select(ScormPackage).where(ScormPackage.version_id == version_id))


def package_by_key(storage_key: str) -> ScormPackage | None:
    if not re.fullmatch(r"[0-9a-f]{32}", storage_key or ""):
        return None
    return db.session.scalar(select(ScormPackage).where(ScormPackage.storage_key == storage_key))


def storage_folder(storage_dir: Path, package: ScormPackage) -> Path:
    return storage_dir / package.storage_key


# --- playing ----------------------------------------------------------------------------

def attempt_for(enrolment: Enrolment, *, now: datetime) -> ScormAttempt:
    """The enrolment's attempt, made on first play (once, even if two pages open at once)."""
    package = package_for_version(enrolment.version_id)
    if package is None:
        raise NotFound("This course is not a SCORM package")
    attempt = db.session.scalar(select(ScormAttempt).where(ScormAttempt.enrolment_id == enrolment.id))
    if attempt is not None:
        return attempt
    attempt = ScormAttempt(enrolment_id=enrolment.id, package_id=package.id, lesson_status="not attempted",
                           lesson_location="", suspend_data="", session_time="", session_key="", session_seconds=0,
                           previous_seconds=0, last_seq=0, saves=0, started_at=now, updated_at=now)
    try:
        with db.session.begin_nested():
            db.session.add(attempt)
    except IntegrityError:
        attempt = db.session.scalar(select(ScormAttempt).where(ScormAttempt.enrolment_id == enrolment.id))
        if attempt is None:
            raise
    return attempt


def starting_cmi(attempt: ScormAttempt, learner: User) -> dict[str, str]:
    """The CMI values the runtime starts with (SCORM 1.2 names)."""
    resuming = bool(attempt.suspend_data or attempt.lesson_location or attempt.saves)
    package = attempt.package
    return {
        "cmi.core.student_id": str(learner.id),
        "cmi.core.student_name": _scorm_name(learner.full_name),
        "cmi.core.lesson_status": attempt.lesson_status,
        "cmi.core.lesson_location": attempt.lesson_location,
        "cmi.core.score.raw": "" if attempt.score_raw is None else _decimal_text(attempt.score_raw),
        "cmi.core.entry": "resume" if resuming else "ab-initio",
        "cmi.core.credit": "credit",
        "cmi.core.lesson_mode": "normal",
        "cmi.core.total_time": _time_text(attempt.total_seconds),
        "cmi.suspend_data": attempt.suspend_data,
        "cmi.launch_data": "",
        "cmi.student_data.mastery_score": "" if package.mastery_score is None else str(package.mastery_score),
    }


def _scorm_name(full_name: str) -> str:
    """SCORM 1.2 wants "Last, First"."""
    parts = full_name.strip().rsplit(" ", 1)
    return f"{parts[1]}, {parts[0]}" if len(parts) == 2 else full_name.strip()


def _decimal_text(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def _time_text(seconds: int) -> str:
    return f"{seconds // 3600:04d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


@dataclass
class CmiSave:
    session: str
    seq: int
    lesson_status: str
    score_raw: Decimal | None
    lesson_location: str
    suspend_data: str
    session_time: str

    @property
    def session_seconds(self) -> int:
        match = _TIME.match(self.session_time or "")
        if not match:
            return 0
        return int(match.group(1)) * 3600 + int(match.group(2)) * 60 + int(match.group(3))


def parse_save(body) -> CmiSave:
    """A save from the player, checked field by field (DomainError names the field)."""
    if not isinstance(body, dict) or not isinstance(body.get("cmi"), dict):
        raise DomainError("Send a JSON object with session, seq and cmi", field="body")
    session = body.get("session")
    if not isinstance(session, str) or not _SESSION.match(session):
        raise DomainError("session must be 1 to 40 letters, digits or hyphens", field="session")
    seq = body.get("seq")
    if not isinstance(seq, int) or isinstance(seq, bool) or not 0 < seq < MAX_SEQ:
        raise DomainError("seq must be a positive whole number", field="seq")
    cmi = body["cmi"]

    def text(name: str, limit: int) -> str:
        value = cmi.get(name, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise DomainError(f"{name} must be text", field=name)
        if len(value) > limit:
            raise DomainError(f"{name} is {len(value)} characters; the most is {limit}", field=name)
        return value

    status = text("lesson_status", 20) or "not attempted"
    if status not in STATUSES:
        raise DomainError(f"lesson_status must be one of {', '.join(STATUSES)}", field="lesson_status")
    raw = text("score_raw", 20).strip()
    score = None
    if raw:
        try:
            score = Decimal(raw)
        except InvalidOperation:
            score = None
        if score is None or not score.is_finite() or not 0 <= score <= 100:
            raise DomainError("score_raw must be a number from 0 to 100", field="score_raw")
        score = score.quantize(Decimal("0.01"))
    session_time = text("session_time", 20).strip()
    if session_time and not _TIME.match(session_time):
        raise DomainError("session_time must be HHHH:MM:SS", field="session_time")
    return CmiSave(session=session, seq=seq, lesson_status=status, score_raw=score,
                   lesson_location=text("lesson_location", MAX_LOCATION),
                   suspend_data=text("suspend_data", MAX_SUSPEND_DATA), session_time=session_time)


def effective_status(package: ScormPackage, status: str, score: Decimal | None) -> str:
    """With a mastery score and a score, the score decides passed or failed (SCORM 1.2)."""
    if package.mastery_score is not None and score is not None and status in ("completed", "passed", "failed"):
        return "passed" if score >= package.mastery_score else "failed"
    return status


@dataclass
class SaveResult:
    applied: bool
    completed: bool
    lesson_status: str


def save(person: User, enrolment_id: int, data: CmiSave, *, now: datetime) -> SaveResult:
    """Apply a save if it is newer than the last one applied (a repeat or a late, older
    save changes nothing), in one conditional UPDATE. A status that counts completes the
    enrolment, once."""
    enrolment = elearning.get_enrolment_for(person, enrolment_id)
    attempt = db.session.scalar(select(ScormAttempt).where(ScormAttempt.enrolment_id == enrolment.id))
    if attempt is None:
        raise NotFound("Open the course before saving")
    package = attempt.package
    status = effective_status(package, data.lesson_status, data.score_raw)
    applied = db.session.execute(
        update(ScormAttempt)
        .where(ScormAttempt.id == attempt.id, ScormAttempt.last_seq < data.seq)
        .values(
            lesson_status=status,
            score_raw=data.score_raw,
            lesson_location=data.lesson_location,
            suspend_data=data.suspend_data,
            session_time=data.session_time,
            previous_seconds=case(
                (ScormAttempt.session_key == data.session, ScormAttempt.previous_seconds),
                else_=ScormAttempt.previous_seconds + ScormAttempt.session_seconds,
            ),
            session_seconds=data.session_seconds,
            session_key=data.session,
            last_seq=data.seq,
            saves=ScormAttempt.saves + 1,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    completed = enrolment.status == "completed"
    if applied:
        db.session.execute(
            update(Enrolment).where(Enrolment.id == enrolment.id).values(last_activity_at=now)
            .execution_options(synchronize_session=False)
        )
        if status in (package.completion_statuses or COUNTABLE) and enrolment.status == "in-progress":
            score = None if data.score_raw is None else int(data.score_raw.to_integral_value())
            elearning.complete(enrolment, score=score, now=now)
            completed = True
    db.session.expire(attempt)
    return SaveResult(applied=applied, completed=completed, lesson_status=status)


def progress_by_enrolment(enrolment_ids: list[int]) -> dict[int, str]:
    """For the enrolments on a SCORM package: the learner's lesson status in words."""
    if not enrolment_ids:
        return {}
    rows = db.session.execute(
        select(Enrolment.id, ScormAttempt.lesson_status)
        .join(ScormPackage, ScormPackage.version_id == Enrolment.version_id)
        .outerjoin(ScormAttempt, ScormAttempt.enrolment_id == Enrolment.id)
        .where(Enrolment.id.in_(enrolment_ids))
    ).all()
    return {row.id: STATUS_WORDS.get(row.lesson_status or "not attempted", row.lesson_status) for row in rows}


STATUS_WORDS = {
    "not attempted": "Not started yet",
    "browsed": "Looked through",
    "incomplete": "Part-way through",
    "failed": "Not passed yet",
    "completed": "Completed",
    "passed": "Passed",
}
