"""The historical import: training history from a previous system, from one CSV file.

    email,full_name,organisation,organisation_type,job_role,course_code,course_title,
    delivery_mode,completed_on,cpd_hours

Two passes. The first reads and checks every row and collects every problem with its line
number (the header is line 1); if there is any problem, nothing is written. The second,
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

import csv
import difflib
import hashlib
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import TextIO

from sqlalchemy import insert, select
from sqlalchemy.orm import selectinload

from lms.accounts.models import Employment, PersonRole, User
from lms.accounts.services import normalise_email
from lms.audit import services as audit
from lms.audit.models import AuditEvent
from lms.catalogue.models import DELIVERY_MODES, Course
from lms.core.errors import DomainError
from lms.core.time import london_today
from lms.extensions import db
from lms.organisations.models import JobRole, Organisation, OrganisationType
from lms.records import services as records
from lms.records.models import Completion

COLUMNS = (
    "email",
    "full_name",
    "organisation",
    "organisation_type",
    "job_role",
    "course_code",
    "course_title",
    "delivery_mode",
    "completed_on",
    "cpd_hours",
)
SOURCE = "imported"
MAX_ROWS = 200_000
MAX_FILE_BYTES = 20 * 1024 * 1024
# Training records older than this are almost certainly a typing slip (0202 for 2020).
EARLIEST_DATE = date(1970, 1, 1)
MAX_HOURS = Decimal("999.99")
NAME_MAX = 200
TITLE_MAX = 200
COURSE_CODE_MAX = 30
COURSE_CODE_PATTERN = re.compile(r"^[A-Z0-9]+(?:-[A-Z0-9]+)*$")
DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")
HOURS_PATTERN = re.compile(r"^\d+(?:\.\d{1,2})?$")
IMPORTED_COURSE_SUMMARY = "Created by the import of training history from a previous system."
# Rows per query when looking up what already exists (well under every database's limit
# on bound parameters).
LOOKUP_CHUNK = 1000
# How many warnings the audit event keeps word for word (it keeps the count of all).
AUDITED_WARNINGS = 100


# --- the report -------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """A problem with a line of the file (`line` 1 is the header), or with the whole file
    (`line` None)."""

    line: int | None
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line is not None else self.message


@dataclass
class ImportReport:
    file_name: str | None
    dry_run: bool
    rows: int = 0
    people_created: int = 0
    organisations_created: int = 0
    courses_created: int = 0
    completions_created: int = 0
    # Completions the database held before this import (an earlier import of the file).
    completions_already_present: int = 0
    # Rows that repeat a completion an earlier row of the same file already gives.
    duplicate_rows: int = 0
    warnings: list[Problem] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    # The "records.import" audit event of a real import.
    event: AuditEvent | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    def counts(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "people_created": self.people_created,
            "organisations_created": self.organisations_created,
            "courses_created": self.courses_created,
            "completions_created": self.completions_created,
            "completions_already_present": self.completions_already_present,
            "duplicate_rows": self.duplicate_rows,
        }

    def totals(self) -> list[tuple[str, int]]:
        """The counts as (label, number), in the words of a dry run or of a real import."""
        verb = "would be " if self.dry_run else ""
        return [
            ("Rows read", self.rows),
            (f"Organisations {verb}created", self.organisations_created),
            (f"People {verb}created", self.people_created),
            (f"Courses {verb}created", self.courses_created),
            (f"Completions {verb}added", self.completions_created),
            ("Completions already recorded", self.completions_already_present),
            ("Rows repeating an earlier row", self.duplicate_rows),
        ]

    def _error(self, line: int | None, message: str) -> None:
        self.errors.append(Problem(line, message))

    def _warn(self, line: int | None, message: str) -> None:
        self.warnings.append(Problem(line, message))


# --- entry points -------------------------------------------------------------------------


def import_bytes(data: bytes, *, file_name: str | None, actor: User | None, dry_run: bool, now: datetime) -> ImportReport:
    """Import an uploaded or read file as it came, bytes: checks that it is UTF-8 text and
    not a spreadsheet, then runs import_records."""
    try:
        text = decode_file(data)
    except DomainError as error:
        report = ImportReport(file_name=file_name, dry_run=dry_run)
        report._error(None, error.message)
        return report
    return import_records(io.StringIO(text, newline=""), actor=actor, dry_run=dry_run, now=now, file_name=file_name)


def decode_file(data: bytes) -> str:
    """The text of a CSV file, or DomainError saying clearly why it is not one."""
    if not data.strip():
        raise DomainError("The file is empty", field="file")
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise DomainError(
            "The file is a spreadsheet workbook, not a CSV file. Save it as 'CSV UTF-8 (comma delimited)' and upload that",
            field="file",
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DomainError("The file is saved as UTF-16 text. Save it as 'CSV UTF-8' and upload that", field="file")
    if b"\x00" in data:
        raise DomainError("The file is not a CSV text file (it contains binary data)", field="file")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise DomainError(
            f"The file is not UTF-8 text (line {line} has a character that is not UTF-8). "
            "Save it as 'CSV UTF-8' and upload that",
            field="file",
        ) from None


def import_records(
    stream: TextIO, *, actor: User | None, dry_run: bool, now: datetime, file_name: str | None = None
) -> ImportReport:
    """Check every row of a CSV text stream, then (if no row is bad) add what it holds.

    Returns the report. With errors, nothing was written. With `dry_run`, the work was
    done in a savepoint and rolled back: the counts say what a real import would add.
    Otherwise the caller commits (and rolls back if this raises)."""
    report = ImportReport(file_name=file_name, dry_run=dry_run)
    raw_rows = _read(stream, report)
    if report.errors:
        return report
    lookups = _Lookups.load()
    rows = _check(raw_rows, lookups, report, today=london_today(now))
    if report.errors:
        return report
    if dry_run:
        savepoint = db.session.begin_nested()
        try:
            _apply(rows, lookups, report, now=now)
        finally:
            savepoint.rollback()
            # Rows read back inside the savepoint are gone; forget what was loaded, so
            # nothing stale is mistaken for a row later in this transaction.
            db.session.expire_all()
        return report
    _apply(rows, lookups, report, now=now)
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
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerow(
        ["sam.patel@oakfield-primary.example", "Sam Patel", "Oakfield Primary School", "primary-school",
         "teacher", "SGE", "Safeguarding Everyone", "elearning", "2024-09-03", "2"]
    )
    writer.writerow(
        ["jo.okafor@little-acorns.example", "Jo Okafor", "Little Acorns Day Nursery", "Private day nursery",
         "Early years designated safeguarding lead", "EY-DSL-2019", "Early years DSL training (old system)",
         "Face-to-face", "2019-03-14", "6.5"]
    )
    return out.getvalue()


# --- first pass: read -----------------------------------------------------------------------


@dataclass
class _RawRow:
    line: int
    values: dict[str, str]


def _read(stream: TextIO, report: ImportReport) -> list[_RawRow]:
    reader = csv.reader(stream)
    rows: list[_RawRow] = []
    try:
        header = next(reader, None)
        while header is not None and not any(cell.strip() for cell in header):
            header = next(reader, None)  # blank lines before the header
        if header is None:
            report._error(None, "The file is empty")
            return rows
        header_line = reader.line_num
        names = [cell.replace("\ufeff", "").strip().lower() for cell in header]
        if not _check_header(names, header_line, report):
            return rows
        last_line = reader.line_num
        for record in reader:
            line = last_line + 1
            last_line = reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            if len(rows) >= MAX_ROWS:
                report._error(None, f"The file has more than {MAX_ROWS:,} rows. Split it into smaller files")
                return rows
            if len(record) != len(names):
                report._error(
                    line,
                    f"has {len(record)} values but the header has {len(names)} columns "
                    "(a value with a comma in it must be in double quotes)",
                )
                rows.append(_RawRow(line, {}))
                continue
            rows.append(_RawRow(line, dict(zip(names, record))))
    except csv.Error as error:
        report._error(reader.line_num or None, f"cannot be read as CSV ({error})")
    except UnicodeDecodeError:
        report._error(None, "The file is not UTF-8 text. Save it as 'CSV UTF-8' and upload that")
    report.rows = len(rows)
    if not rows and not report.errors:
        report._error(None, "The file has a header row but no records")
    return rows


def _check_header(names: list[str], line: int, report: ImportReport) -> bool:
    if len(names) == 1 and ";" in names[0]:
        report._error(line, "the columns are separated by semicolons; save the file with commas (CSV)")
        return False
    problems = []
    missing = [name for name in COLUMNS if name not in names]
    extra = [name or "(a column with no name)" for name in names if name not in COLUMNS]
    repeated = sorted({name for name in names if name in COLUMNS and names.count(name) > 1})
    if missing:
        problems.append(f"the header row is missing the column{'s' if len(missing) > 1 else ''} {', '.join(missing)}")
    if extra:
        problems.append(f"the header row has column{'s' if len(extra) > 1 else ''} this import does not use: {', '.join(extra)}")
    if repeated:
        problems.append(f"the header row names {', '.join(repeated)} more than once")
    for problem in problems:
        report._error(line, problem)
    if problems:
        report._error(line, "the header row must name these columns, in any order: " + ",".join(COLUMNS))
    return not problems


# --- first pass: check ----------------------------------------------------------------------


def _key(value: str) -> str:
    """How names are compared: trimmed, spaces collapsed, case and apostrophe style ignored."""
    return " ".join(value.replace("\u2019", "'").split()).casefold()


def _clean(value: str) -> str:
    return " ".join(value.split())


class _Choice:
    """A reference list looked up by code or by name, case-insensitively."""

    def __init__(self, label: str, items: list[tuple[str, str, object]], example: str):
        self.label = label
        self.example = example
        self.codes = [code for code, _, _ in items]
        self.code_by_name = {_key(name): code for code, name, _ in items}
        self.by_key: dict[str, object] = {}
        for code, _, item in items:
            self.by_key.setdefault(_key(code), item)
        for _, name, item in items:
            self.by_key.setdefault(_key(name), item)

    def find(self, raw: str):
        return self.by_key.get(_key(raw))

    def suggestion(self, raw: str) -> str:
        """A code to suggest for an unknown value: a near spelling of a code, else a code
        or name sharing a word with it, else the list's usual example."""
        key = _key(raw)
        close = difflib.get_close_matches(key.replace(" ", "-"), self.codes, n=1, cutoff=0.8)
        if close:
            return close[0]
        words = [word for word in re.split(r"[^a-z0-9]+", key) if len(word) > 3]
        for word in words:
            for code in self.codes:
                if word in code.split("-"):
                    return code
        for word in words:
            for name_key, code in self.code_by_name.items():
                if word in re.split(r"[^a-z0-9]+", name_key):
                    return code
        return self.example

    def unknown(self, raw: str) -> str:
        example = self.suggestion(raw)
        return f"{self.label} '{raw.strip()}' is not known (use a code such as {example}, or a name from the list)"


@dataclass
class _Lookups:
    types: _Choice
    roles: _Choice
    modes: _Choice
    type_by_id: dict[int, OrganisationType]
    role_by_id: dict[int, JobRole]
    courses: dict[str, Course]

    @classmethod
    def load(cls) -> _Lookups:
        types = list(db.session.scalars(select(OrganisationType).order_by(OrganisationType.position)))
        roles = list(db.session.scalars(select(JobRole).order_by(JobRole.position)))
        courses = {course.code.upper(): course for course in db.session.scalars(select(Course))}
        return cls(
            types=_Choice("organisation type", [(t.code, t.name, t) for t in types], "day-nursery"),
            roles=_Choice("job role", [(r.code, r.name, r) for r in roles], "teacher"),
            modes=_Choice("delivery mode", [(code, name, code) for code, name in DELIVERY_MODES.items()], "elearning"),
            type_by_id={t.id: t for t in types},
            role_by_id={r.id: r for r in roles},
            courses=courses,
        )


@dataclass(slots=True)
class _Row:
    line: int
    email: str
    full_name: str
    organisation: str
    org_key: tuple[str, int]
    role_id: int
    course_code: str
    course_title: str
    delivery_mode: str
    completed_on: date
    hours: Decimal | None


class _Memo(dict):
    """A column parser remembered by raw value: files repeat the same values (a person's
    email, a course, a date) thousands of times."""

    def __init__(self, parse):
        super().__init__()
        self.parse = parse

    def __missing__(self, raw):
        result = self[raw] = self.parse(raw)
        return result


def _text(column: str, limit: int):
    def parse(raw: str):
        value = _clean(raw)
        if not value:
            return None, f"{column} is missing"
        if len(value) > limit:
            return None, f"{column} must be {limit} characters or fewer"
        return value, None

    return _Memo(parse)


def _parsers(lookups: _Lookups, today: date) -> dict[str, _Memo]:
    def email(raw: str):
        if not raw.strip():
            return None, "email is missing"
        try:
            return normalise_email(raw), None
        except DomainError:
            return None, f"email '{raw.strip()}' is not a valid email address"

    def choice(column: str, options: _Choice, unknown=None):
        def parse(raw: str):
            if not raw.strip():
                return None, f"{column} is missing"
            item = options.find(raw)
            if item is None:
                return None, (unknown or options.unknown)(raw)
            return item, None

        return _Memo(parse)

    def course_code(raw: str):
        code = raw.strip().upper()
        if not code:
            return None, "course_code is missing"
        if len(code) > COURSE_CODE_MAX or not COURSE_CODE_PATTERN.match(code):
            return None, (
                f"course_code '{raw.strip()}' must be letters, digits and single hyphens, "
                f"up to {COURSE_CODE_MAX} characters, like SGE or DSL-NEW"
            )
        return code, None

    def unknown_mode(raw: str) -> str:
        return f"delivery mode '{raw.strip()}' is not known (use one of {', '.join(DELIVERY_MODES)})"

    return {
        "email": _Memo(email),
        "full_name": _text("full_name", NAME_MAX),
        "organisation": _text("organisation", NAME_MAX),
        "organisation_type": choice("organisation_type", lookups.types),
        "job_role": choice("job_role", lookups.roles),
        "course_code": _Memo(course_code),
        "course_title": _text("course_title", TITLE_MAX),
        "delivery_mode": choice("delivery_mode", lookups.modes, unknown_mode),
        "completed_on": _Memo(lambda raw: _parse_date(raw.strip(), today)),
        "cpd_hours": _Memo(lambda raw: _parse_hours(raw.strip())),
    }


def _check(raw_rows: list[_RawRow], lookups: _Lookups, report: ImportReport, *, today: date) -> list[_Row]:
    parsers = _parsers(lookups, today)
    org_keys = _Memo(_key)
    rows: list[_Row] = []
    names_seen: dict[str, tuple[str, int]] = {}  # email -> (full name, first line)
    for raw in raw_rows:
        if not raw.values:
            continue  # already reported: wrong number of values
        parsed = {}
        problems: list[str] = []
        for column in COLUMNS:
            value, problem = parsers[column][raw.values[column]]
            parsed[column] = value
            if problem:
                problems.append(problem)
        email, full_name = parsed["email"], parsed["full_name"]
        if email and full_name:
            seen = names_seen.get(email)
            if seen is None:
                names_seen[email] = (full_name, raw.line)
            elif seen[0] != full_name and _key(seen[0]) != _key(full_name):
                problems.append(
                    f"full_name '{full_name}' for {email} differs from '{seen[0]}' on line {seen[1]} "
                    "(one person must have one name throughout the file)"
                )
        if problems:
            for problem in problems:
                report._error(raw.line, problem)
            continue
        rows.append(
            _Row(
                line=raw.line,
                email=email,
                full_name=names_seen[email][0],
                organisation=parsed["organisation"],
                org_key=(org_keys[parsed["organisation"]], parsed["organisation_type"].id),
                role_id=parsed["job_role"].id,
                course_code=parsed["course_code"],
                course_title=parsed["course_title"],
                delivery_mode=parsed["delivery_mode"],
                completed_on=parsed["completed_on"],
                hours=parsed["cpd_hours"],
            )
        )
    return rows


def _parse_date(raw: str, today: date) -> tuple[date | None, str | None]:
    if not raw:
        return None, "completed_on is missing"
    if not DATE_PATTERN.match(raw):
        return None, f"completed_on '{raw}' must be a date written YYYY-MM-DD"
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        return None, f"completed_on '{raw}' is not a real date"
    if value > today:
        return None, f"completed_on '{raw}' is in the future"
    if value < EARLIEST_DATE:
        return None, f"completed_on '{raw}' is before {EARLIEST_DATE.year}"
    return value, None


def _parse_hours(raw: str) -> tuple[Decimal | None, str | None]:
    """Blank is allowed (the course's hours are used)."""
    if not raw:
        return None, None
    if not HOURS_PATTERN.match(raw):
        return None, f"cpd_hours '{raw}' must be a number of hours of 0 or more, with up to 2 decimal places, like 1.5"
    value = Decimal(raw)
    if value > MAX_HOURS:
        return None, f"cpd_hours '{raw}' must be less than 1000"
    return value, None


# --- second pass: write ---------------------------------------------------------------------


def source_ref(email: str, course_code: str, completed_on: date) -> str:
    """The completion's identity across imports: the same person, course and day are the
    same completion, whichever file (or row) brings it."""
    digest = hashlib.sha256(f"{email}\n{course_code}\n{completed_on.isoformat()}".encode()).hexdigest()
    return "csv-" + digest[:40]


def _chunks(items: list, size: int = LOOKUP_CHUNK):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _apply(rows: list[_Row], lookups: _Lookups, report: ImportReport, *, now: datetime) -> None:
    organisations = _organisations(rows, lookups, report, now=now)
    courses = _courses(rows, lookups, report, now=now)
    db.session.flush()  # new organisations and courses get their ids
    people = _people(rows, lookups, organisations, report, now=now)

    # One completion per (email, course, date): the first row that gives it.
    firsts: dict[str, _Row] = {}
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
    pending = []
    for ref in refs:
        if ref in present:
            continue
        row = firsts[ref]
        course = courses[row.course_code]
        hours = row.hours if row.hours is not None else Decimal(course.cpd_hours or 0)
        pending.append((people[row.email], row, course, hours, ref))
    created = _record_new(pending, now=now)
    report.completions_created += created
    # Recorded meanwhile by a concurrent import of the same rows.
    report.completions_already_present += len(pending) - created
    report.warnings.sort(key=lambda warning: warning.line or 0)


def _record_new(pending: list[tuple[User, _Row, Course, Decimal, str]], *, now: datetime) -> int:
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


def _organisations(rows: list[_Row], lookups: _Lookups, report: ImportReport, *, now: datetime) -> dict[tuple[str, int], Organisation]:
    """The organisation for each (name, type) in the file: an existing one with the same
    name (ignoring case and spacing) and type, or a new one."""
    wanted: dict[tuple[str, int], _Row] = {}
    for row in rows:
        wanted.setdefault(row.org_key, row)
    # Names are compared after tidying (case, spaces, apostrophes), so read every
    # organisation's name and type (small columns), then load only the matches.
    matched: dict[tuple[str, int], int] = {}
    for organisation_id, name, type_id in db.session.execute(
        select(Organisation.id, Organisation.name, Organisation.type_id).order_by(Organisation.id)
    ):
        key = (_key(name), type_id)
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


def _courses(rows: list[_Row], lookups: _Lookups, report: ImportReport, *, now: datetime) -> dict[str, Course]:
    """The course for each code: the catalogue's, or a new one made from the first row
    naming it (its hours from the first row that gives hours). New courses are not listed
    in the catalogue: they hold history."""
    courses: dict[str, Course] = {}
    new_rows: dict[str, list[_Row]] = {}
    for row in rows:
        if row.course_code in lookups.courses:
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
    rows: list[_Row],
    lookups: _Lookups,
    organisations: dict[tuple[str, int], Organisation],
    report: ImportReport,
    *,
    now: datetime,
) -> dict[str, User]:
    by_email: dict[str, list[_Row]] = {}
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
    own: list[_Row],
    lookups: _Lookups,
    organisations: dict[tuple[str, int], Organisation],
    report: ImportReport,
) -> None:
    """An existing person keeps their name, organisation and roles; say where the file
    differs (once per person, at their first row)."""
    first = own[0]
    if _key(person.full_name) != _key(first.full_name):
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
