"""Issue, reissue, revoke and verify certificates (DESIGN.md section 7).

A certificate is made from one completion and keeps its own copy of what it says. The
e-learning certificate is issued the moment the course is passed (a receiver of
completion_recorded). A session's certificates are issued by its trainer or an admin for
everyone marked as attending, once the register is right (courses.sessions hands the
session's attended completions to issue_for_completions, which also emails each person);
a later correction of the register reissues (other hours) or revokes (attendance removed)
what was issued. Where the course asks for an evaluation, the certificate waits for it
(a receiver of evaluation_submitted). Nothing here commits.
"""
from __future__ import annotations

import io
import re
import secrets
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

import segno
from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from lms.accounts import services as accounts
from lms.accounts.models import User
from lms.audit import services as audit
from lms.catalogue.models import Course
from lms.certificates.models import Certificate
from lms.compliance import engine, services as compliance
from lms.core.errors import DomainError, Forbidden, NotFound
from lms.core.pdf import render_pdf
from lms.core.time import london_today
from lms.core.urls import external_url
from lms.evaluations.models import Evaluation
from lms.extensions import db
from lms.notifications import services as notifications
from lms.records.models import Completion
from lms.signals import completion_changed, completion_recorded, completion_removed, evaluation_submitted, session_id_of
from lms.partnership.services import details as partnership_details, logo_data_uri

# Crockford's base32: no I, L, O or U, so a code read aloud or from paper is unambiguous.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 16  # 80 random bits
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = re.compile(r"[\s\-]+")

# Completions a certificate can be issued for: training the partnership delivered. An
# imported record or a person's own external CPD is not ours to certify.
ISSUABLE_SOURCES = ("elearning", "attendance")
MAX_REASON = 500

REISSUED_HOURS = "Hours corrected on the register"
REVOKED_REMOVED = "The attendance it was issued for was removed from the register"


# --- codes --------------------------------------------------------------------------------

def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(text: str | None) -> str | None:
    """The stored form of a code as someone typed it (any case, with or without spaces or
    hyphens, O for 0 and I or L for 1), or None if it cannot be a code."""
    if not text:
        return None
    code = _SEPARATORS.sub("", text).upper().translate(_READ_AS)
    if len(code) != CODE_LENGTH or any(ch not in ALPHABET for ch in code):
        return None
    return code


def find_by_code(text: str | None) -> Certificate | None:
    code = normalise_code(text)
    if code is None:
        return None
    return db.session.scalar(select(Certificate).where(Certificate.code == code))


def get_by_code(text: str | None) -> Certificate:
    certificate = find_by_code(text)
    if certificate is None:
        raise NotFound("There is no certificate with this code")
    return certificate


# --- what a certificate says ------------------------------------------------------------------

def refresh_dates(completions: list[Completion], *, rules: compliance.RuleSet | None = None) -> dict[int, date | None]:
    """For each completion, the date by which the training should be taken again, for the
    person's roles on the day it was completed: the earliest due date of the requirements
    the course names, or, if it names none that apply, of those it meets another way (a
    twilight meets the DSL annual update by its delivery mode). None when none of them
    expires. Four queries for any number of completions."""
    if not completions:
        return {}
    rules = rules or compliance.load_rules()
    user_ids = {c.user_id for c in completions}
    facts = compliance.facts_for(user_ids)
    roles = compliance.roles_for(user_ids)
    organisation_of = dict(db.session.execute(select(User.id, User.organisation_id).where(User.id.in_(user_ids))).all())
    course_codes = dict(db.session.execute(
        select(Course.id, Course.requirement_codes).where(Course.id.in_({c.course_id for c in completions if c.course_id}))
    ).all())
    result: dict[int, date | None] = {}
    for completion in completions:
        fact = engine.Fact(
            completed_on=completion.completed_on, hours=Decimal(completion.cpd_hours or 0),
            requirement_codes=frozenset(course_codes.get(completion.course_id) or ()), delivery_mode=completion.delivery_mode,
        )
        named, other = [], []
        for rule in rules.for_organisation(organisation_of.get(completion.user_id)).values():
            if not engine.qualifies(rule, fact):
                continue
            line = engine.timeline(rule, facts.get(completion.user_id, ()), roles.get(completion.user_id, ()), completion.completed_on)
            if not line.applicable:
                continue
            met = line.due_on if line.first_status == engine.CURRENT else None
            (named if rule.code in fact.requirement_codes else other).append(met)
        dates = [d for d in (named or other) if d is not None]
        result[completion.id] = min(dates) if dates else None
    return result


def _new_certificate(completion: Completion, *, refresh_due_on: date | None, actor: User | None, now: datetime,
                     training_session_id: int | None = None, course: Course | None = None) -> Certificate:
    course = course if course is not None else (db.session.get(Course, completion.course_id) if completion.course_id else None)
    partnership = partnership_details()
    return Certificate(
        code=new_code(),
        user_id=completion.user_id,
        completion_id=completion.id,
        course_id=completion.course_id,
        training_session_id=training_session_id,
        holder_name=completion.user.full_name,
        course_title=completion.title,
        course_code=course.code if course is not None else None,
        delivery_mode=completion.delivery_mode,
        completed_on=completion.completed_on,
        cpd_hours=Decimal(completion.cpd_hours),
        provider=partnership.name,
        signatory=partnership.signatory or None,
        refresh_due_on=refresh_due_on,
        issued_at=now,
        issued_by_id=actor.id if actor is not None else None,
    )


def live_certificate(completion_id: int) -> Certificate | None:
    return db.session.scalar(
        select(Certificate).where(Certificate.completion_id == completion_id, Certificate.revoked_at.is_(None))
    )


def _add(certificate: Certificate) -> Certificate | None:
    """Insert; None if a live certificate for the completion appeared meanwhile (another
    request issued it first: the partial unique index held)."""
    try:
        with db.session.begin_nested():
            db.session.add(certificate)
    except IntegrityError:
        return None
    return certificate


# --- issuing --------------------------------------------------------------------------------

def awaiting_evaluation(completions: Iterable[Completion]) -> set[int]:
    """The ids of those completions whose course asks for an evaluation that the person
    has not given yet: their certificates wait for it. One statement."""
    ids = [c.id for c in completions]
    if not ids:
        return set()
    return set(db.session.scalars(
        select(Completion.id)
        .join(Course, Course.id == Completion.course_id)
        .where(Completion.id.in_(ids), Course.asks_for_evaluation.is_(True),
               ~select(Evaluation.id).where(Evaluation.completion_id == Completion.id).exists())
    ))


def issue(completion: Completion, *, actor: User | None, now: datetime) -> tuple[Certificate, bool]:
    """The completion's certificate, issued now if it has none: (certificate, created).
    Refused while the course's evaluation is still to be filled in."""
    if completion.source not in ISSUABLE_SOURCES:
        raise DomainError("Certificates are issued only for e-learning and sessions run by the partnership")
    existing = live_certificate(completion.id)
    if existing is not None:
        return existing, False
    if awaiting_evaluation([completion]):
        raise DomainError("The certificate is issued once the course's evaluation is filled in")
    refresh = refresh_dates([completion])[completion.id]
    certificate = _add(_new_certificate(
        completion, refresh_due_on=refresh, actor=actor, now=now, training_session_id=session_id_of(completion),
    ))
    if certificate is None:
        return live_certificate(completion.id), False
    return certificate, True


def issue_missing_elearning(*, now: datetime, chunk: int = 1000) -> int:
    """Issue a certificate for every e-learning completion that has never had one (records
    made before certificates existed); one that was revoked is left revoked. Returns how
    many were issued. Run by `flask lms certificates issue-missing`; running it again
    issues nothing."""
    issued = 0
    rules = compliance.load_rules()
    never = ~select(Certificate.id).where(Certificate.completion_id == Completion.id).exists()
    last_id = 0
    while True:
        batch = list(db.session.scalars(
            select(Completion)
            .where(Completion.source == "elearning", Completion.id > last_id, never)
            .order_by(Completion.id).limit(chunk)
            .options(selectinload(Completion.user))
        ))
        if not batch:
            return issued
        last_id = batch[-1].id
        courses = {c.id: c for c in db.session.scalars(select(Course).where(Course.id.in_({c.course_id for c in batch if c.course_id})))}
        refresh = refresh_dates(batch, rules=rules)
        waiting = awaiting_evaluation(batch)
        for completion in batch:
            if completion.id in waiting:
                continue
            if _add(_new_certificate(completion, refresh_due_on=refresh[completion.id], actor=None, now=now,
                                     course=courses.get(completion.course_id))) is not None:
                issued += 1
        db.session.flush()


@dataclass
class Issued:
    issued: list[Certificate]
    # Completions that already had a live certificate.
    already: int
    # Completions whose certificate waits for the person's evaluation of the course.
    awaiting: list[Completion] = field(default_factory=list)


def issue_for_completions(completions: list[Completion], *, actor: User, now: datetime,
                          training_session_id: int | None = None, course: Course | None = None) -> Issued:
    """Issue a certificate for each of `completions` (a session's attendance, by name) that
    has none, and email each person. Where the course asks for an evaluation, those who
    have not given one are returned in `awaiting` instead (their certificate follows their
    evaluation). `training_session_id` and `course` are kept with the certificates (the
    caller knows them; the course is looked up when not given). Checking who may issue is
    the caller's."""
    completion_ids = [c.id for c in completions]
    have = set(db.session.scalars(
        select(Certificate.completion_id).where(Certificate.completion_id.in_(completion_ids), Certificate.revoked_at.is_(None))
    )) if completion_ids else set()
    candidates = [c for c in completions if c.id not in have]
    waiting = awaiting_evaluation(candidates)
    to_issue = [c for c in candidates if c.id not in waiting]
    refresh = refresh_dates(to_issue)
    issued = []
    for completion in to_issue:
        certificate = _add(_new_certificate(
            completion, refresh_due_on=refresh[completion.id], actor=actor, now=now,
            training_session_id=training_session_id, course=course,
        ))
        if certificate is not None:
            issued.append(certificate)
            _email_issued(certificate, now=now)
    return Issued(issued=issued, already=len(have), awaiting=[c for c in candidates if c.id in waiting])


def _email_issued(certificate: Certificate, *, now: datetime) -> None:
    user = certificate.user
    notifications.queue_templated_email(
        user.email, "certificate_issued", now=now, user=user, category="certificate",
        subject=f"Your certificate: {certificate.course_title}",
        dedupe_key=f"certificate:{certificate.code}",
        certificate=certificate, name=user.full_name,
        download_url=external_url("certificates.download", code=certificate.code),
        verify_url=verify_url(certificate),
    )


# --- reissue and revoke ---------------------------------------------------------------------------

def _reason(text: str | None, field: str = "reason") -> str:
    reason = (text or "").strip()
    if not reason:
        raise DomainError("Enter the reason", field=field)
    if len(reason) > MAX_REASON:
        raise DomainError(f"The reason must be {MAX_REASON} characters or fewer", field=field)
    return reason


def _check_admin(actor: User | None) -> None:
    if actor is not None and not actor.is_admin:
        raise Forbidden("Only partnership admins can reissue or revoke certificates")


def revoke(certificate: Certificate, *, reason: str, actor: User | None, now: datetime) -> Certificate:
    """Withdraw a certificate. It still resolves at /verify, shown as revoked."""
    _check_admin(actor)
    reason = _reason(reason)
    if certificate.revoked_at is not None:
        raise DomainError("This certificate is already revoked", field="reason")
    certificate.revoked_at = now
    certificate.revoked_by_id = actor.id if actor is not None else None
    certificate.revoke_reason = reason
    db.session.flush()
    audit.record(actor, "certificate.revoke", target=certificate, now=now,
                 summary=f"Certificate {certificate.display_code} ({certificate.holder_name}, {certificate.course_title}) revoked: {reason}")
    return certificate


def reissue(certificate: Certificate, *, reason: str, actor: User | None, now: datetime) -> Certificate:
    """A new certificate in place of a live one, made afresh from its completion (the
    holder's name now, the hours now, the refresh date for their roles now); the old one is
    revoked, naming the reason. Returns the new one."""
    _check_admin(actor)
    reason = _reason(reason)
    if certificate.revoked_at is not None:
        raise DomainError("A revoked certificate cannot be reissued", field="reason")
    completion = db.session.get(Completion, certificate.completion_id) if certificate.completion_id else None
    if completion is None:
        raise DomainError("The training this certificate was issued for is no longer on the record", field="reason")
    before = {"holder_name": certificate.holder_name, "cpd_hours": str(certificate.cpd_hours), "code": certificate.code}
    certificate.revoked_at = now
    certificate.revoked_by_id = actor.id if actor is not None else None
    certificate.revoke_reason = f"Reissued: {reason}"
    db.session.flush()
    replacement = _new_certificate(
        completion, refresh_due_on=refresh_dates([completion])[completion.id], actor=actor, now=now,
        training_session_id=certificate.training_session_id,
    )
    replacement.replaces_id = certificate.id
    replacement.reissue_reason = reason
    db.session.add(replacement)
    db.session.flush()
    audit.record(actor, "certificate.reissue", target=replacement, now=now,
                 summary=f"Certificate {certificate.display_code} reissued as {replacement.display_code} for {replacement.holder_name}: {reason}",
                 before=before,
                 after={"holder_name": replacement.holder_name, "cpd_hours": str(replacement.cpd_hours), "code": replacement.code})
    return replacement


# --- who may see what ------------------------------------------------------------------------------

def may_see(actor: User, certificate: Certificate) -> bool:
    """The holder, a setting lead of the holder's organisation, and admins."""
    if actor.is_admin or actor.id == certificate.user_id:
        return True
    organisation_id = certificate.user.organisation_id
    return organisation_id is not None and accounts.leads(actor, organisation_id)


def check_may_see(actor: User, certificate: Certificate) -> None:
    if not may_see(actor, certificate):
        # Said as "not found": a code that is not yours tells you nothing more here than /verify does.
        raise NotFound("There is no certificate with this code")


def list_for(user: User):
    return select(Certificate).where(Certificate.user_id == user.id).order_by(Certificate.issued_at.desc(), Certificate.id.desc())


def live_by_completion(completion_ids: Iterable[int]) -> dict[int, Certificate]:
    ids = [i for i in completion_ids if i is not None]
    if not ids:
        return {}
    return {c.completion_id: c for c in db.session.scalars(
        select(Certificate).where(Certificate.completion_id.in_(ids), Certificate.revoked_at.is_(None))
    )}


def session_certificates(training_session_id: int) -> list[Certificate]:
    """The live certificates issued for a training session, by name."""
    return list(db.session.scalars(
        select(Certificate)
        .where(Certificate.training_session_id == training_session_id, Certificate.revoked_at.is_(None))
        .order_by(Certificate.holder_name, Certificate.id)
    ))


def history(certificate: Certificate) -> list[Certificate]:
    """The certificates this one replaced, newest first."""
    chain = []
    current = certificate.replaces
    while current is not None:
        chain.append(current)
        current = current.replaces
    return chain


def replaced_by(certificate: Certificate) -> Certificate | None:
    return db.session.scalar(select(Certificate).where(Certificate.replaces_id == certificate.id))


# --- documents --------------------------------------------------------------------------------------

def verify_url(certificate: Certificate) -> str:
    return external_url("certificates.verify_code", code=certificate.display_code)


def qr_data_uri(url: str) -> str:
    """The URL as a QR code in a PNG data URI: part of the document, nothing fetched."""
    return segno.make(url, error="m", micro=False).png_data_uri(scale=4, border=2, dark="#0b0c0c")


def pdf_bytes(certificate: Certificate, *, now: datetime) -> bytes:
    url = verify_url(certificate)
    return render_pdf(
        "certificates/pdf.html", certificate=certificate, verify_url=url, qr=qr_data_uri(url),
        status=certificate.status_on(london_today(now)), logo=logo_data_uri(),
    )


def pdf_filename(certificate: Certificate) -> str:
    name = re.sub(r"[^A-Za-z0-9]+", "-", certificate.holder_name).strip("-").lower() or "certificate"
    course = re.sub(r"[^A-Za-z0-9]+", "-", certificate.course_code or "course").strip("-").lower()
    return f"certificate-{course}-{name}-{certificate.code}.pdf"


def zip_of(certificates: list[Certificate], *, now: datetime, progress=None) -> bytes:
    """The certificates as PDFs in one ZIP; `progress(done, total, label)`, if given, is
    told after each certificate (a prepared download's progress)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for done, certificate in enumerate(certificates, start=1):
            archive.writestr(pdf_filename(certificate), pdf_bytes(certificate, now=now))
            if progress is not None:
                progress(done, len(certificates), "certificates")
    return buffer.getvalue()


# --- reacting to the training record -----------------------------------------------------------

def _on_completion(sender, completion: Completion, now: datetime, **extra) -> None:
    # E-learning is certified the moment it is passed (or, where the course asks for an
    # evaluation, when that is filled in); sessions wait for the trainer.
    if completion.source == "elearning" and not awaiting_evaluation([completion]):
        issue(completion, actor=None, now=now)


def _on_completion_changed(sender, completion: Completion, now: datetime, **extra) -> None:
    certificate = live_certificate(completion.id)
    if certificate is not None and Decimal(certificate.cpd_hours) != Decimal(completion.cpd_hours):
        replacement = reissue(certificate, reason=REISSUED_HOURS, actor=None, now=now)
        _email_issued(replacement, now=now)


def _on_completion_removed(sender, completion: Completion, now: datetime, **extra) -> None:
    certificate = live_certificate(completion.id)
    if certificate is not None:
        revoke(certificate, reason=REVOKED_REMOVED, actor=None, now=now)
    db.session.execute(
        update(Certificate).where(Certificate.completion_id == completion.id).values(completion_id=None)
        .execution_options(synchronize_session="fetch")
    )


def _on_evaluation(sender, completion: Completion, now: datetime, **extra) -> Certificate:
    # The certificate that waited for the evaluation.
    certificate, _ = issue(completion, actor=None, now=now)
    return certificate


def connect_signals() -> None:
    completion_recorded.connect(_on_completion, weak=False)
    evaluation_submitted.connect(_on_evaluation, weak=False)
    completion_changed.connect(_on_completion_changed, weak=False)
    completion_removed.connect(_on_completion_removed, weak=False)
