"""The historical import: training history from a previous system, from one CSV file.

    email,full_name,organisation,organisation_type,job_role,course_code,course_title,
    delivery_mode,completed_on,cpd_hours

Two passes. The first (lms.records.imports.checks) reads and checks every row and collects
every problem with its line number (the header is line 1); if there is any problem,
nothing is written. The second (here),
in the caller's transaction, creates the missing organisations, people and courses and
records each completion through records.services with source "imported" and a
`source_ref` made from (email, course code, date), so importing the same file twice adds
nothing the second time and a completion repeated inside one file counts once.

Existence checks are batched (a few queries per thousand rows, never one per row). A dry
run does all the work inside a savepoint and rolls it back, so its counts are exactly what
a real import would add. Nothing here commits; the CLI and the upload page do.

The format and the decisions (blank hours, several organisations for one person, imported
courses kept out of the catalogue) are written up for admins in docs/import.md.
"""
from __future__ import annotations

import hashlib
import io
from datetime import date, datetime
from decimal import Decimal
from typing import Callable, TextIO

from sqlalchemy import insert, select
from sqlalchemy.orm import selectinload

from lms.accounts.models import Employment, PersonRole, User
from lms.accounts.registrations import count_new_accounts
from lms.audit import services as audit
from lms.catalogue.models import Course
from lms.core.errors import DomainError
from lms.core.tables import csv_lines
from lms.core.time import london_today
from lms.extensions import db
from lms.organisations.models import Organisation
from lms.records import services as records
from lms.records.imports.checks import (
    COLUMNS,
    MAPPING,
    course_code_summary,
    read_mapping,
    ImportReport,
    Lookups,
    Row,
    check_rows,
    decode_file,
    name_key,
    read_rows,
)
from lms.records.models import Completion

SOURCE = "imported"
IMPORTED_COURSE_SUMMARY = "Created by the import of training history from a previous system."
# Rows per query when looking up what already exists (well under every database's limit
# on bound parameters).
LOOKUP_CHUNK = 1000
# How many warnings the audit event keeps word for word (it keeps the count of all).
AUDITED_WARNINGS = 100


# --- entry points -------------------------------------------------------------------------


def import_bytes(
    data: bytes, *, file_name: str | None, actor: User | None, dry_run: bool, now: datetime,
    mapping: bytes | None = None, mapping_name: str | None = None, progress: Callable[[str, int], None] | None = None,
) -> ImportReport:
    """Import an uploaded or read file as it came, bytes: checks that it is UTF-8 text and
    not a spreadsheet (and the course mapping file too, if there is one), then runs
    import_records."""
    report = ImportReport(file_name=file_name, dry_run=dry_run)
    try:
        text = decode_file(data)
    except DomainError as error:
        report._error(None, error.message)
        return report
    mapping_text = None
    if mapping is not None:
        try:
            mapping_text = decode_file(mapping)
        except DomainError as error:
            report._error(None, f"{MAPPING}: {error.message[0].lower()}{error.message[1:]}")
            return report
    return import_records(
        io.StringIO(text, newline=""), actor=actor, dry_run=dry_run, now=now, file_name=file_name,
        mapping=io.StringIO(mapping_text, newline="") if mapping_text is not None else None, mapping_name=mapping_name,
        progress=progress,
    )


def _requirement_names() -> dict[str, str]:
    """{code: name} of the active requirements, read from the table compliance owns
    without importing it (records sits below compliance)."""
    table = db.metadata.tables["requirement"]
    return dict(db.session.execute(
        select(table.c.code, table.c.name).where(table.c.active.is_(True)).order_by(table.c.position, table.c.name)
    ).all())


def import_records(
    stream: TextIO, *, actor: User | None, dry_run: bool, now: datetime, file_name: str | None = None,
    mapping: TextIO | None = None, mapping_name: str | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> ImportReport:
    """Check every row of a CSV text stream, then (if no row is bad) add what it holds.

    Returns the report. With errors, nothing was written. With `dry_run`, the work was
    done in a savepoint and rolled back: the counts say what a real import would add.
    Otherwise the caller commits (and rolls back if this raises). `progress(stage, rows)`,
    if given, hears "checking" once the rows are read and "writing" before anything is
    written."""
    report = ImportReport(file_name=file_name, dry_run=dry_run)
    raw_rows = read_rows(stream, report)
    if report.errors:
        return report
    if progress is not None:
        progress("checking", len(raw_rows))
    lookups = Lookups.load()
    courses_for = read_mapping(mapping, lookups, report) if mapping is not None else {}
    rows = check_rows(raw_rows, lookups, report, today=london_today(now))
    if report.errors:
        return report
    report.course_codes = course_code_summary(rows, lookups, courses_for, _requirement_names())
    unused = sorted(set(courses_for) - {row.course_code for row in rows})
    if unused:
        report._warn(None, f"{MAPPING}: no row of the file has the old code{'s' if len(unused) > 1 else ''} {', '.join(unused)}")
    if progress is not None:
        progress("writing", len(rows))
    if dry_run:
        savepoint = db.session.begin_nested()
        try:
            _apply(rows, lookups, report, now=now, mapping=courses_for)
        finally:
            savepoint.rollback()
            # Rows read back inside the savepoint are gone; forget what was loaded, so
            # nothing stale is mistaken for a row later in this transaction.
            db.session.expire_all()
        return report
    _apply(rows, lookups, report, now=now, mapping=courses_for)
    report.event = audit.record(
        actor,
        "records.import",
        summary=(
            f"Imported training history from {file_name or 'a CSV file'}: {report.completions_created:,} "
            f"completion{'s' if report.completions_created != 1 else ''} added"
        ),
        now=now,
        after={
            "file": file_name,
            "mapping_file": mapping_name if mapping is not None else None,
            "mapping": {old: course.code for old, course in sorted(courses_for.items())},
            **report.counts(),
            "warnings": len(report.warnings),
            # What was decided about differences, for the result page and the record.
            "first_warnings": [str(warning) for warning in report.warnings[:AUDITED_WARNINGS]],
        },
    )
    db.session.flush()
    return report


def template_csv() -> str:
    """The header row and two example rows, for admins to start from."""
    return "".join(csv_lines(COLUMNS, [
        ["sam.patel@oakfield-primary.example", "Sam Patel", "Oakfield Primary School", "primary-school",
         "teacher", "SGE", "Safeguarding Everyone", "elearning", "2024-09-03", "2"],
        ["jo.okafor@little-acorns.example", "Jo Okafor", "Little Acorns Day Nursery", "Private day nursery",
         "Early years designated safeguarding lead", "EY-DSL-2019", "Early years DSL training (old system)",
         "Face-to-face", "2019-03-14", "6.5"],
    ], bom=False))


# --- second pass: write ---------------------------------------------------------------------


def source_ref(email: str, course_code: str, completed_on: date) -> str:
    """The completion's identity across imports: the same person, course and day are the
    same completion, whichever file (or row) brings it."""
    digest = hashlib.sha256(f"{email}\n{course_code}\n{completed_on.isoformat()}".encode()).hexdigest()
    return "csv-" + digest[:40]


def _chunks(items: list, size: int = LOOKUP_CHUNK):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _apply(rows: list[Row], lookups: Lookups, report: ImportReport, *, now: datetime,
           mapping: dict[str, Course] | None = None) -> None:
    mapping = mapping or {}
    organisations = _organisations(rows, lookups, report, now=now)
    courses = _courses(rows, lookups, report, now=now, mapping=mapping)
    db.session.flush()  # new organisations and courses get their ids
    accounts_made: list[dict] = []
    people = _people(rows, lookups, organisations, report, now=now, accounts_made=accounts_made)

    # One completion per (email, course, date): the first row that gives it.
    firsts: dict[str, Row] = {}
    for row in rows:
        ref = source_ref(row.email, row.course_code, row.completed_on)
        first = firsts.get(ref)
        if first is None:
            firsts[ref] = row
            continue
        report.duplicate_rows += 1
        if (first.course_title, first.delivery_mode, first.hours) != (row.course_title, row.delivery_mode, row.hours):
            report._warn(
                row.line,
                f"repeats the completion on line {first.line} (same person, course and date) with different "
                f"details; line {first.line} is used",
            )
    refs = list(firsts)
    present: set[str] = set()
    for chunk in _chunks(refs):
        present.update(
            db.session.scalars(select(Completion.source_ref).where(Completion.source == SOURCE, Completion.source_ref.in_(chunk)))
        )
    report.completions_already_present = len(present)
    report.completions_remapped = _remap_present(
        [(ref, courses[firsts[ref].course_code]) for ref in refs if ref in present and firsts[ref].course_code in mapping],
        now=now,
    )
    pending = []
    for ref in refs:
        if ref in present:
            continue
        row = firsts[ref]
        course = courses[row.course_code]
        hours = row.hours if row.hours is not None else Decimal(course.cpd_hours or 0)
        pending.append((people[row.email], row, course, hours, ref))
    created = _record_new(pending, now=now)
    # Inserted in bulk, the accounts are counted here (the session's listener does not see
    # them), last, so the kept registration rows are locked only until the caller commits.
    count_new_accounts(accounts_made)
    report.completions_created += created
    # Recorded meanwhile by a concurrent import of the same rows.
    report.completions_already_present += len(pending) - created
    report.warnings.sort(key=lambda warning: warning.line or 0)


def _record_new(pending: list[tuple[User, Row, Course, Decimal, str]], *, now: datetime) -> int:
    """Record the new completions through records.services (the only writer of the
    training record). Returns how many were added."""
    return records.record_completions(
        [
            records.NewCompletion(
                user=person, title=row.course_title, delivery_mode=row.delivery_mode, on=row.completed_on,
                hours=hours, source_ref=ref, course=course,
            )
            for person, row, course, hours, ref in pending
        ],
        source=SOURCE,
        now=now,
    )


def _organisations(rows: list[Row], lookups: Lookups, report: ImportReport, *, now: datetime) -> dict[tuple[str, int], Organisation]:
    """The organisation for each (name, type) in the file: an existing one with the same
    name (ignoring case and spacing) and type, or a new one."""
    wanted: dict[tuple[str, int], Row] = {}
    for row in rows:
        wanted.setdefault(row.org_key, row)
    # Names are compared after tidying (case, spaces, apostrophes), so read every
    # organisation's name and type (small columns), then load only the matches.
    matched: dict[tuple[str, int], int] = {}
    for organisation_id, name, type_id in db.session.execute(
        select(Organisation.id, Organisation.name, Organisation.type_id).order_by(Organisation.id)
    ):
        key = (name_key(name), type_id)
        if key in wanted and key not in matched:
            matched[key] = organisation_id
    loaded: dict[int, Organisation] = {}
    for chunk in _chunks(list(matched.values())):
        loaded.update((org.id, org) for org in db.session.scalars(select(Organisation).where(Organisation.id.in_(chunk))))
    found = {key: loaded[organisation_id] for key, organisation_id in matched.items()}
    for key, row in wanted.items():
        if key in found:
            continue
        org_type = lookups.type_by_id[key[1]]
        organisation = Organisation(
            name=row.organisation,
            type_id=org_type.id,
            sector_id=org_type.sector_id,
            active=True,
            created_at=now,
        )
        db.session.add(organisation)
        found[key] = organisation
        report.organisations_created += 1
    return found


def _remap_present(moves: list[tuple[str, Course]], *, now: datetime) -> int:
    """Completions an earlier import recorded under an old code that is now mapped: move
    them to the mapped catalogue course (through records.services), so they count."""
    by_course: dict[int, tuple[Course, list[str]]] = {}
    for ref, course in moves:
        by_course.setdefault(course.id, (course, []))[1].append(ref)
    moved = 0
    for course, refs in by_course.values():
        for chunk in _chunks(refs):
            moved += records.move_to_course(SOURCE, chunk, course, now=now)
    return moved


def _courses(rows: list[Row], lookups: Lookups, report: ImportReport, *, now: datetime,
             mapping: dict[str, Course] | None = None) -> dict[str, Course]:
    """The course for each code: the catalogue course the mapping names for it, the
    catalogue's own, or a new one made from the first row naming it (its hours from the
    first row that gives hours). New courses are not listed in the catalogue: they hold
    history and count towards no requirement."""
    courses: dict[str, Course] = {}
    new_rows: dict[str, list[Row]] = {}
    for row in rows:
        if row.course_code in (mapping or {}):
            courses[row.course_code] = mapping[row.course_code]
        elif row.course_code in lookups.courses:
            courses[row.course_code] = lookups.courses[row.course_code]
        else:
            new_rows.setdefault(row.course_code, []).append(row)
    for code, named in new_rows.items():
        first = named[0]
        hours = next((row.hours for row in named if row.hours is not None), Decimal(0))
        course = Course(
            code=code,
            title=first.course_title,
            summary=IMPORTED_COURSE_SUMMARY,
            learning_outcomes=[],
            requirement_codes=[],
            delivery_mode=first.delivery_mode,
            cpd_hours=hours,
            managed_by="admin",
            active=False,
            created_at=now,
            updated_at=now,
        )
        db.session.add(course)
        courses[code] = course
        report.courses_created += 1
    return courses


def _people(
    rows: list[Row],
    lookups: Lookups,
    organisations: dict[tuple[str, int], Organisation],
    report: ImportReport,
    *,
    now: datetime,
    accounts_made: list[dict],
) -> dict[str, User]:
    """The people of the file by email, existing or made now (each account made is added
    to `accounts_made`)."""
    by_email: dict[str, list[Row]] = {}
    for row in rows:
        by_email.setdefault(row.email, []).append(row)
    people: dict[str, User] = {}
    for chunk in _chunks(list(by_email)):
        for person in db.session.scalars(
            select(User)
            .where(User.email.in_(chunk))
            .options(selectinload(User.roles), selectinload(User.organisation))
        ):
            people[person.email] = person

    # New people are inserted in batches (one statement per table, not one per person),
    # then read back as objects for the training record.
    new_people: list[dict] = []
    new_roles: list[tuple[str, int, date]] = []
    new_employments: list[tuple[str, int, date]] = []
    for email, own in by_email.items():
        first = own[0]
        person = people.get(email)
        if person is not None:
            _compare_existing(person, own, lookups, organisations, report)
            continue
        # A new person: works at the organisation of their most recent completion (the
        # last such row if several share that date), from their earliest completion.
        latest_on = max(row.completed_on for row in own)
        latest = [row for row in own if row.completed_on == latest_on][-1]
        organisation = organisations[latest.org_key]
        others = {row.org_key for row in own} - {latest.org_key}
        if others:
            report._warn(
                first.line,
                f"{email} has rows at {len(others) + 1} organisations; they are recorded at "
                f"'{organisation.name}', the organisation of their most recent completion",
            )
        new_people.append(
            {
                "email": email,
                "full_name": first.full_name,
                "password_hash": None,
                "email_confirmed_at": None,
                "is_admin": False,
                "is_trainer": False,
                "active": True,
                "organisation_id": organisation.id,
                "created_at": now,
                "last_sign_in_at": None,
                "dormant_at": None,
            }
        )
        new_employments.append((email, organisation.id, min(row.completed_on for row in own)))
        role_starts: dict[int, date] = {}
        for row in own:
            if row.role_id not in role_starts or row.completed_on < role_starts[row.role_id]:
                role_starts[row.role_id] = row.completed_on
        new_roles.extend((email, role_id, started_on) for role_id, started_on in role_starts.items())
    if not new_people:
        return people

    db.session.execute(insert(User), new_people)
    accounts_made.extend(new_people)
    new_emails = [person["email"] for person in new_people]
    for chunk in _chunks(new_emails):
        people.update((person.email, person) for person in db.session.scalars(select(User).where(User.email.in_(chunk))))
    db.session.execute(
        insert(Employment),
        [
            {"user_id": people[email].id, "organisation_id": organisation_id, "started_on": started_on, "ended_on": None}
            for email, organisation_id, started_on in new_employments
        ],
    )
    db.session.execute(
        insert(PersonRole),
        [
            {"user_id": people[email].id, "job_role_id": role_id, "started_on": started_on, "ended_on": None}
            for email, role_id, started_on in new_roles
        ],
    )
    report.people_created = len(new_people)
    return people


def _compare_existing(
    person: User,
    own: list[Row],
    lookups: Lookups,
    organisations: dict[tuple[str, int], Organisation],
    report: ImportReport,
) -> None:
    """An existing person keeps their name, organisation and roles; say where the file
    differs (once per person, at their first row)."""
    first = own[0]
    if name_key(person.full_name) != name_key(first.full_name):
        report._warn(
            first.line,
            f"{person.email} is already recorded as '{person.full_name}'; that name is kept (the file has '{first.full_name}')",
        )
    file_organisations = {organisations[row.org_key] for row in own}
    if person.organisation is None:
        report._warn(first.line, f"{person.email} has no organisation recorded; the file's organisation was not added")
    elif person.organisation not in file_organisations:
        names = ", ".join(sorted(f"'{org.name}'" for org in file_organisations))
        report._warn(
            first.line,
            f"{person.email} is already recorded at '{person.organisation.name}'; that is kept (the file has {names})",
        )
    held = {role.job_role_id for role in person.current_roles}
    missing = sorted({row.role_id for row in own} - held, key=lambda role_id: lookups.role_by_id[role_id].position)
    if missing:
        names = ", ".join(f"'{lookups.role_by_id[role_id].name}'" for role_id in missing)
        report._warn(first.line, f"{person.email} does not hold the job role {names}; their roles were not changed")
