"""The first pass of the historical import: read the CSV file and check every row,
collecting every problem with its line number (the header is line 1), and the report the
import gives back. Nothing here writes; lms.records.imports.services adds what a good file
holds."""
from __future__ import annotations

import csv
import difflib
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TextIO

from sqlalchemy import select

from lms.accounts.services import normalise_email
from lms.audit.models import AuditEvent
from lms.catalogue.models import DELIVERY_MODES, Course
from lms.core.errors import DomainError
from lms.extensions import db
from lms.organisations.models import JobRole, OrganisationType

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
    # What each course code in the file will count towards (course_code_summary).
    course_codes: list["CodeSummary"] = field(default_factory=list)
    # Completions recorded by an earlier import under an old code now mapped, moved to
    # the catalogue course the mapping names.
    completions_remapped: int = 0

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
            "completions_remapped": self.completions_remapped,
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
            (f"Completions imported before {verb}moved to the mapped course", self.completions_remapped),
        ]

    @property
    def rows_meeting_nothing(self) -> int:
        return sum(code.rows for code in self.course_codes if not code.requirements)

    def _error(self, line: int | None, message: str) -> None:
        self.errors.append(Problem(line, message))

    def _warn(self, line: int | None, message: str) -> None:
        self.warnings.append(Problem(line, message))


# --- the file -----------------------------------------------------------------------------


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


# --- first pass: read -----------------------------------------------------------------------


@dataclass
class RawRow:
    line: int
    values: dict[str, str]


def read_rows(stream: TextIO, report: ImportReport) -> list[RawRow]:
    reader = csv.reader(stream)
    rows: list[RawRow] = []
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
                rows.append(RawRow(line, {}))
                continue
            rows.append(RawRow(line, dict(zip(names, record))))
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


def name_key(value: str) -> str:
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
        self.code_by_name = {name_key(name): code for code, name, _ in items}
        self.by_key: dict[str, object] = {}
        for code, _, item in items:
            self.by_key.setdefault(name_key(code), item)
        for _, name, item in items:
            self.by_key.setdefault(name_key(name), item)

    def find(self, raw: str):
        return self.by_key.get(name_key(raw))

    def suggestion(self, raw: str) -> str:
        """A code to suggest for an unknown value: a near spelling of a code, else a code
        or name sharing a word with it, else the list's usual example."""
        key = name_key(raw)
        close = difflib.get_close_matches(key.replace(" ", "-"), self.codes, n=1, cutoff=0.8)
        if close:
            return close[0]
        words = [word for word in re.split(r"[^a-z0-9]+", key) if len(word) > 3]
        for word in words:
            for code in self.codes:
                if word in code.split("-"):
                    return code
        for word in words:
            for known, code in self.code_by_name.items():
                if word in re.split(r"[^a-z0-9]+", known):
                    return code
        return self.example

    def unknown(self, raw: str) -> str:
        example = self.suggestion(raw)
        return f"{self.label} '{raw.strip()}' is not known (use a code such as {example}, or a name from the list)"


@dataclass
class Lookups:
    types: _Choice
    roles: _Choice
    modes: _Choice
    type_by_id: dict[int, OrganisationType]
    role_by_id: dict[int, JobRole]
    courses: dict[str, Course]

    @classmethod
    def load(cls) -> Lookups:
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
class Row:
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


def _parsers(lookups: Lookups, today: date) -> dict[str, _Memo]:
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


def check_rows(raw_rows: list[RawRow], lookups: Lookups, report: ImportReport, *, today: date) -> list[Row]:
    parsers = _parsers(lookups, today)
    org_keys = _Memo(name_key)
    rows: list[Row] = []
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
            elif seen[0] != full_name and name_key(seen[0]) != name_key(full_name):
                problems.append(
                    f"full_name '{full_name}' for {email} differs from '{seen[0]}' on line {seen[1]} "
                    "(one person must have one name throughout the file)"
                )
        if problems:
            for problem in problems:
                report._error(raw.line, problem)
            continue
        rows.append(
            Row(
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


# --- the course mapping ------------------------------------------------------------------------

MAPPING_COLUMNS = ("old_code", "course_code")
MAPPING = "course mapping"


@dataclass(frozen=True)
class CodeSummary:
    """One course code of the file: how many rows, the catalogue course its rows will be
    recorded against (its own, the one the mapping names, or none: a new history course
    that counts towards nothing) and the names of the requirements it will meet."""

    code: str
    rows: int
    course: Course | None
    mapped: bool
    requirements: list[str]

    @property
    def meets_nothing(self) -> bool:
        return not self.requirements


def read_mapping(stream: TextIO, lookups: Lookups, report: ImportReport) -> dict[str, Course]:
    """{old code: catalogue course} from a course mapping CSV (old_code,course_code).
    Every problem goes into the report as an error on its line, prefixed "course
    mapping:", so one bad line imports nothing."""
    def error(line, message):
        report._error(line, f"{MAPPING}: {message}")

    mapping: dict[str, Course] = {}
    reader = csv.reader(stream)
    try:
        header = next(reader, None)
        while header is not None and not any(cell.strip() for cell in header):
            header = next(reader, None)
        if header is None:
            error(None, "the file is empty")
            return mapping
        names = [cell.replace("\ufeff", "").strip().lower() for cell in header]
        if sorted(names) != sorted(MAPPING_COLUMNS):
            error(reader.line_num, "the header row must name the columns old_code,course_code")
            return mapping
        seen: dict[str, int] = {}
        last_line = reader.line_num
        for record in reader:
            line = last_line + 1
            last_line = reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            if len(record) != len(names):
                error(line, f"has {len(record)} values but the header has 2 columns")
                continue
            values = dict(zip(names, record))
            old = values["old_code"].strip().upper()
            target = values["course_code"].strip().upper()
            if not old:
                error(line, "old_code is missing")
            elif len(old) > COURSE_CODE_MAX or not COURSE_CODE_PATTERN.match(old):
                error(line, f"old_code '{values['old_code'].strip()}' must be letters, digits and single hyphens, "
                            f"up to {COURSE_CODE_MAX} characters")
            elif old in seen:
                error(line, f"old_code {old} is already mapped on line {seen[old]}")
            elif old in lookups.courses and lookups.courses[old].active:
                error(line, f"old_code {old} is a course in the catalogue already; only codes the catalogue "
                            "does not have can be mapped")
            course = lookups.courses.get(target) if target else None
            if not target:
                error(line, "course_code is missing")
            elif course is None or not course.active:
                error(line, f"course_code '{values['course_code'].strip()}' is not a course in the catalogue")
            if old and old not in seen:
                seen[old] = line
            if course is not None and course.active and old and old not in mapping:
                mapping[old] = course
    except csv.Error as problem:
        error(reader.line_num or None, f"cannot be read as CSV ({problem})")
    if not seen and not report.errors:
        error(None, "the file has a header row but no mappings")
    return mapping


def course_code_summary(rows: list[Row], lookups: Lookups, mapping: dict[str, Course],
                        requirement_names: dict[str, str]) -> list[CodeSummary]:
    """Per course code of the file, in the order of first use: its rows, its course and
    the requirements it will meet (nothing, for a code neither in the catalogue nor
    mapped: the import makes a history course for it that counts towards nothing)."""
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.course_code] = counts.get(row.course_code, 0) + 1
    result = []
    for code, number in counts.items():
        mapped = code in mapping
        course = mapping.get(code) or lookups.courses.get(code)
        codes = [c for c in (course.requirement_codes or []) if c in requirement_names] if course is not None else []
        result.append(CodeSummary(code=code, rows=number, course=course, mapped=mapped,
                                  requirements=[requirement_names[c] for c in codes]))
    return result
