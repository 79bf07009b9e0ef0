"""Uptake figures (DESIGN.md section 8), defined so a partnership can compare them year to
year:

- **Unique learners**: distinct people with at least one completion in the period. A
  person active in Q1 and Q3 counts once in the year and once in each of those quarters;
  a person counted in two groups (two sectors, two courses) counts once in each and once
  in the total.
- **Completions**: completed activities in the period (every source: e-learning,
  attendance, external CPD, imported history).
- **Registrations**: accounts created in the period.

Grouped by sector, organisation type, area, course or delivery mode, over financial
quarters (April to June, July to September, October to December, January to March) or
financial years (April to March), from one London date to another, both included. A
person's sector for a completion is their organisation's sector when they completed it
(kept on the completion); organisation type and area are those of that organisation now.
Registrations are grouped by the sector, type and area of the person's organisation now;
they have no course or delivery mode.

**Filters combine with grouping**: any figure can be limited to delivery modes, sectors,
organisation types, areas and courses (by their stable codes) while grouped by another of
them ("229 school professionals undertook e-learning in Q2": by sector, e-learning only).
A completion passes a filter on the same terms it is grouped on: its sector at the time,
its organisation's type and area now, its course, its delivery mode. Within a filter the
codes are alternatives (education or early years); different filters must all hold.
Registrations follow the sector, type and area filters (the person's organisation now);
they are not counted when the figures are limited to courses or delivery modes, since an
account is not made on a course.

Every figure comes from a fixed number of grouped statements, whatever the period or the
number of groups: the period buckets are written into the statement as date ranges, and
the filters' codes are looked up together in one statement.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import BigInteger, and_, case, func, literal, or_, select, union_all

from lms.accounts.models import User
from lms.accounts.registrations import DIMENSIONS as REGISTRATION_DIMENSIONS
from lms.accounts.registrations import RegistrationMix
from lms.catalogue.models import DELIVERY_MODES, Course
from lms.core.errors import DomainError, DomainErrors
from lms.core.time import LONDON, add_months
from lms.extensions import db
from lms.organisations.models import Area, Organisation, OrganisationType, Sector
from lms.records.models import Completion
from lms.records.uptake import (DIMENSIONS, FIRST_SPAN_YEAR, LAST_SPAN_YEAR, MODE_KEYS, MONTH_COLUMNS, NO_GROUP,
                                QUARTER_COLUMNS, UptakeLearner, UptakeMix, UptakeQuarterMix, UptakeSpan,
                                delivery_mode_key, delivery_mode_of, sector_mode_key)

GROUPINGS = {
    "sector": "Sector",
    "organisation-type": "Organisation type",
    "area": "Area",
    "course": "Course",
    "delivery-mode": "Delivery mode",
}
PERIODS = {"quarter": "Financial quarter", "year": "Financial year"}
MEASURES = {
    "unique-learners": "Unique learners",
    "completions": "Completions",
    "registrations": "Registrations",
}
# Registrations cannot be grouped by what was completed.
REGISTRATION_GROUPINGS = ("sector", "organisation-type", "area")
NONE_KEY = "none"
MAX_YEARS = 10


# --- periods --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Bucket:
    key: str  # "2026-27 Q1", "2026-27"
    label: str  # "Apr to Jun 2026", "2026 to 2027"
    start: date
    end: date


def financial_year(day: date) -> int:
    """The calendar year the financial year of `day` starts in (April)."""
    return day.year if day.month >= 4 else day.year - 1


def _quarter_of(day: date) -> tuple[int, int]:
    year = financial_year(day)
    number = (day.month - 4) % 12 // 3 + 1
    return year, number


def _quarter(year: int, number: int) -> Bucket:
    month = 4 + (number - 1) * 3
    start = date(year + (month - 1) // 12, (month - 1) % 12 + 1, 1)
    following = 4 + number * 3
    next_start = date(year + (following - 1) // 12, (following - 1) % 12 + 1, 1)
    end = next_start - timedelta(days=1)
    label = f"{start:%b} to {end:%b %Y}"
    return Bucket(f"{year}-{(year + 1) % 100:02d} Q{number}", label, start, end)


def _year(year: int) -> Bucket:
    return Bucket(f"{year}-{(year + 1) % 100:02d}", f"April {year} to March {year + 1}", date(year, 4, 1), date(year + 1, 3, 31))


def buckets(start: date, end: date, period: str) -> list[Bucket]:
    """The quarters or years that `start` to `end` touches, each cut to the period asked
    for (a report from 15 May has a first quarter from 15 May to 30 June)."""
    found = []
    if period == "quarter":
        year, number = _quarter_of(start)
        while True:
            bucket = _quarter(year, number)
            found.append(bucket)
            if bucket.end >= end:
                break
            year, number = (year, number + 1) if number < 4 else (year + 1, 1)
    else:
        year = financial_year(start)
        while True:
            bucket = _year(year)
            found.append(bucket)
            if bucket.end >= end:
                break
            year += 1
    first, last = found[0], found[-1]
    found[0] = Bucket(first.key, first.label, max(first.start, start), first.end)
    found[-1] = Bucket(last.key, last.label, found[-1].start, min(last.end, end))
    return found


# --- the query ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Filter:
    param: str  # the API parameter and the page's field: delivery_mode, sector, ...
    attribute: str  # UptakeQuery's field holding the codes
    label: str  # "Delivery mode"


FILTERS = {
    "delivery_mode": Filter("delivery_mode", "delivery_modes", "Delivery mode"),
    "sector": Filter("sector", "sectors", "Sector"),
    "organisation_type": Filter("organisation_type", "organisation_types", "Organisation type"),
    "area": Filter("area", "areas", "Area"),
    "course": Filter("course", "courses", "Course"),
}
# The filters that say what was completed: registrations are not counted under them.
COMPLETION_ONLY_FILTERS = ("delivery_mode", "course")
MAX_FILTER_CODES = 100


@dataclass(frozen=True)
class UptakeQuery:
    """What to count. The filters are tuples of stable codes (a list is taken too); an
    empty one does not filter."""

    start: date
    end: date
    by: str = "sector"
    period: str = "quarter"
    delivery_modes: tuple[str, ...] = ()
    sectors: tuple[str, ...] = ()
    organisation_types: tuple[str, ...] = ()
    areas: tuple[str, ...] = ()
    courses: tuple[str, ...] = ()

    def __post_init__(self):
        for each in FILTERS.values():
            codes = getattr(self, each.attribute) or ()
            if isinstance(codes, str):
                codes = codes.split(",")
            cleaned = tuple(dict.fromkeys(code.strip() for code in codes if code and code.strip()))
            object.__setattr__(self, each.attribute, cleaned)

    def codes(self, param: str) -> tuple[str, ...]:
        return getattr(self, FILTERS[param].attribute)

    @property
    def filtered(self) -> bool:
        return any(self.codes(param) for param in FILTERS)

    @property
    def counts_registrations(self) -> bool:
        """Registrations are counted unless the figures are limited to what was completed."""
        return not any(self.codes(param) for param in COMPLETION_ONLY_FILTERS)

    def filter_args(self) -> dict[str, str]:
        """The filters as query-string arguments, comma-separated codes: {"sector": "education,early-years"}."""
        return {param: ",".join(self.codes(param)) for param in FILTERS if self.codes(param)}


@dataclass(frozen=True)
class AppliedFilter:
    """A filter in force: its parameter, label, and the codes and names it keeps."""

    param: str
    label: str
    codes: tuple[str, ...]
    names: tuple[str, ...]
    ids: tuple = ()  # database ids (delivery modes: their codes)

    @property
    def text(self) -> str:
        return f"{self.label}: {' or '.join(self.names)}"


def _filter_sources():
    return {
        "sector": Sector, "organisation_type": OrganisationType, "area": Area, "course": Course,
    }


def filter_choices(param: str) -> list[tuple[str, str]]:
    """(code, name) of everything a filter may name, in the reference data's order
    (courses by title)."""
    if param == "delivery_mode":
        return list(DELIVERY_MODES.items())
    if param == "course":
        return [(code, f"{title} ({code})") for code, title in
                db.session.execute(select(Course.code, Course.title).order_by(func.lower(Course.title), Course.code))]
    model = _filter_sources()[param]
    return list(db.session.execute(select(model.code, model.name).order_by(model.position, model.name)))


def resolve_filters(query: UptakeQuery) -> list[AppliedFilter]:
    """The query's filters, each code checked and named (resolve_codes)."""
    return resolve_codes({param: query.codes(param) for param in FILTERS})


def resolve_codes(codes_by_param: dict[str, tuple[str, ...]]) -> list[AppliedFilter]:
    """Filters given as {parameter: codes}, each code checked and named: one statement
    for every filter together (none without filters on reference data). An unknown code
    is a DomainError on the filter's parameter that lists the codes it may have."""
    found: dict[str, dict[str, tuple]] = {param: {} for param in FILTERS}
    wanted = {param: tuple(codes_by_param.get(param) or ()) for param in FILTERS}
    parts = []
    for param, model in _filter_sources().items():
        codes = wanted[param]
        if len(codes) > MAX_FILTER_CODES:
            raise DomainError(f"{param} may name at most {MAX_FILTER_CODES} codes", field=param)
        if codes:
            name = (model.title + literal(" (") + model.code + literal(")")) if model is Course else model.name
            parts.append(select(literal(param).label("param"), model.id, model.code, name.label("name"))
                         .where(model.code.in_(codes)))
    if parts:
        for param, key, code, name in db.session.execute(union_all(*parts) if len(parts) > 1 else parts[0]):
            found[param][code] = (key, name)
    for code in wanted["delivery_mode"]:
        if code in DELIVERY_MODES:
            found["delivery_mode"][code] = (code, DELIVERY_MODES[code])
    applied, problems = [], []
    for param, each in FILTERS.items():
        codes = wanted[param]
        if not codes:
            continue
        unknown = [code for code in codes if code not in found[param]]
        if unknown:
            allowed = [code for code, _ in filter_choices(param)]
            name = each.label.lower()
            problems.append(DomainError(
                f"“{unknown[0][:40]}” is not {'an' if name[0] in 'aeiou' else 'a'} {name} code. Use one or more "
                f"of these, separated by commas: {', '.join(allowed)}", field=param,
            ))
            continue
        applied.append(AppliedFilter(param, each.label, codes, tuple(found[param][c][1] for c in codes),
                                     tuple(found[param][c][0] for c in codes)))
    if problems:
        raise DomainErrors(problems)
    return applied


def filters_text(filters: list[AppliedFilter]) -> str:
    """"Delivery mode: E-learning; Sector: Education or Early years", or "" without filters."""
    return "; ".join(applied.text for applied in filters)


def check(query: UptakeQuery) -> None:
    if query.by not in GROUPINGS:
        raise DomainError(f"Group by one of: {', '.join(GROUPINGS)}", field="by")
    if query.period not in PERIODS:
        raise DomainError(f"The period must be one of: {', '.join(PERIODS)}", field="period")
    if query.start is None:
        raise DomainError("Enter the date the period starts", field="start")
    if query.end is None:
        raise DomainError("Enter the date the period ends", field="end")
    if query.end < query.start:
        raise DomainError("The end of the period must be the same as or after the start", field="end")
    if query.end >= add_months(query.start, MAX_YEARS * 12):
        raise DomainError("The period can be at most 10 years", field="end")


@dataclass
class Row:
    key: str  # the group's stable code (sector, type, area, course or delivery-mode code), or "none"
    name: str
    # measure -> bucket key (or "total") -> number; registrations None when not grouped so
    values: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(dict))

    def value(self, measure: str, bucket: str) -> int | None:
        by_bucket = self.values.get(measure)
        if by_bucket is None:
            return None
        return by_bucket.get(bucket, 0)


@dataclass
class Uptake:
    query: UptakeQuery
    buckets: list[Bucket]
    rows: list[Row]
    total: Row
    measures: tuple[str, ...]
    filters: list[AppliedFilter] = field(default_factory=list)
    kept: bool = False  # whether unique learners and completions came from the kept rows
    kept_registrations: bool = False  # whether registrations came from the kept counts

    @property
    def bucket_keys(self) -> list[str]:
        return [bucket.key for bucket in self.buckets]

    @property
    def filters_text(self) -> str:
        return filters_text(self.filters)

    @property
    def counts_registrations(self) -> bool:
        return self.query.counts_registrations


def _bucket_case(column, spans: list[tuple[object, object, str]]):
    return case(*[(column.between(low, high), literal(key)) for low, high, key in spans], else_=literal(None))


def london_start_utc(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=LONDON).astimezone(timezone.utc)


def filter_conditions(filters: list[AppliedFilter], *, registrations: bool = False) -> tuple[list, bool]:
    """(conditions, whether they need the organisation joined) for completions, or for
    accounts (User joined to its organisation now) with `registrations`."""
    conditions, joins = [], False
    for applied in filters:
        ids = list(applied.ids)
        if applied.param == "delivery_mode":
            conditions.append(Completion.delivery_mode.in_(ids))
        elif applied.param == "course":
            conditions.append(Completion.course_id.in_(ids))
        elif applied.param == "sector":
            conditions.append((Organisation.sector_id if registrations else Completion.sector_id).in_(ids))
            joins = joins or registrations
        elif applied.param == "organisation_type":
            conditions.append(Organisation.type_id.in_(ids))
            joins = True
        elif applied.param == "area":
            conditions.append(Organisation.area_id.in_(ids))
            joins = True
    return conditions, joins


def _completion_group(by: str):
    """(the column to group completions by, joins needed)."""
    if by == "sector":
        return Completion.sector_id, False
    if by == "organisation-type":
        return Organisation.type_id, True
    if by == "area":
        return Organisation.area_id, True
    if by == "course":
        return Completion.course_id, False
    return Completion.delivery_mode, False


def _registration_group(by: str):
    return {"sector": Organisation.sector_id, "organisation-type": Organisation.type_id, "area": Organisation.area_id}[by]


def _names(by: str, keys: set) -> dict:
    """{key: (name, stable code)} for the groups' keys (ids, or delivery-mode codes)."""
    ids = [k for k in keys if k is not None]
    if by == "delivery-mode":
        return {k: (DELIVERY_MODES.get(k, k), k) for k in ids}
    if not ids:
        return {}
    if by == "course":
        return {i: (f"{title} ({code})", code)
                for i, title, code in db.session.execute(select(Course.id, Course.title, Course.code).where(Course.id.in_(ids)))}
    model = {"sector": Sector, "organisation-type": OrganisationType, "area": Area}[by]
    return {i: (name, code) for i, name, code in db.session.execute(select(model.id, model.name, model.code).where(model.id.in_(ids)))}


def _order(by: str, keys: set) -> list:
    """Groups in the reference data's order (sectors, types and areas have positions or
    names), courses and modes by name; "none" last."""
    ids = [k for k in keys if k is not None]
    if by in ("sector", "organisation-type") and ids:
        model = Sector if by == "sector" else OrganisationType
        ordered = list(db.session.scalars(select(model.id).where(model.id.in_(ids)).order_by(model.position, model.name)))
    elif by == "delivery-mode":
        ordered = [mode for mode in DELIVERY_MODES if mode in ids]
    else:
        names = _names(by, set(ids))
        ordered = sorted(ids, key=lambda k: names.get(k, ("", ""))[0].lower())
    return ordered + ([None] if None in keys else [])


def uptake(query: UptakeQuery, measures: tuple[str, ...] = tuple(MEASURES), *, kept: bool = True) -> Uptake:
    """The figures for `query`: for each group, each period bucket and the whole period,
    and the same for everyone (the total row, where unique learners are counted once, not
    added up). Unique learners and completions come from the kept rows (lms.records.uptake)
    when they can give them exactly (kept_plan), else from the completions themselves
    (`kept=False` always counts them directly: the reference). At most nine statements."""
    check(query)
    filters = resolve_filters(query)
    spans = buckets(query.start, query.end, query.period)

    rows: dict = {}
    total = Row("total", "All")

    def row(key) -> Row:
        if key not in rows:
            rows[key] = Row(NONE_KEY if key is None else str(key), "")
        return rows[key]

    used_kept = kept_registrations = False
    if "unique-learners" in measures or "completions" in measures:
        plan = kept_plan(query, spans, filters) if kept else None
        used_kept = plan is not None
        if plan is not None:
            _kept_counts(query, spans, measures, row, total, plan)
        else:
            _direct_counts(query, filters, spans, measures, row, total)
    if "registrations" in measures and query.counts_registrations:
        source = registrations_plan(query, spans, filters) if kept else None
        if source is not None:
            _kept_registrations(spans, source, row, total)
        else:
            _direct_registrations(query, filters, spans, row, total)
        total.values.setdefault("registrations", {}).setdefault("total", 0)
        if query.by in REGISTRATION_GROUPINGS:
            for each in rows.values():
                each.values.setdefault("registrations", {})
        kept_registrations = source is not None
    for applied in filters:
        if applied.param.replace("_", "-") == query.by:
            for key in applied.ids:  # a group asked for by name has its row, with 0 where nothing was counted
                row(key)
    names = _names(query.by, set(rows))
    ordered = []
    for key in _order(query.by, set(rows)):
        each = rows[key]
        each.name, each.key = names.get(key, (str(key), str(key))) if key is not None else (_none_name(query.by), NONE_KEY)
        for measure in measures:
            if measure == "registrations" and (query.by not in REGISTRATION_GROUPINGS or not query.counts_registrations):
                each.values.pop(measure, None)
            else:
                each.values.setdefault(measure, {})
        ordered.append(each)
    for measure in measures:
        if measure != "registrations" or query.counts_registrations:
            total.values.setdefault(measure, {})
    return Uptake(query=query, buckets=spans, rows=ordered, total=total, measures=measures, filters=filters,
                  kept=used_kept, kept_registrations=kept_registrations)


def _direct_registrations(query: UptakeQuery, filters: list[AppliedFilter], spans: list[Bucket], row, total) -> None:
    """Registrations counted from the accounts made in the period (one statement grouped
    by group and bucket, one by bucket)."""
    start_utc, end_utc = london_start_utc(query.start), london_start_utc(query.end + timedelta(days=1))
    utc_spans = [(london_start_utc(b.start), london_start_utc(b.end + timedelta(days=1)) - timedelta(microseconds=1), b.key)
                 for b in spans]
    registered = _bucket_case(User.created_at, utc_spans)
    account_conditions, account_joins = filter_conditions(filters, registrations=True)
    base = select().select_from(User).where(User.created_at >= start_utc, User.created_at < end_utc)
    if account_joins:
        base = base.join(Organisation, Organisation.id == User.organisation_id)
    base = base.where(*account_conditions)
    if query.by in REGISTRATION_GROUPINGS:
        column = _registration_group(query.by)
        grouped = base.add_columns(column, registered, func.count())
        if not account_joins:
            grouped = grouped.outerjoin(Organisation, Organisation.id == User.organisation_id)
        for key, bucket_key, count in db.session.execute(grouped.group_by(column, registered)):
            values = row(key).values["registrations"]
            values[bucket_key] = count
            values["total"] = values.get("total", 0) + count
    for bucket_key, count in db.session.execute(base.add_columns(registered, func.count()).group_by(registered)):
        total.values["registrations"][bucket_key] = count
        total.values["registrations"]["total"] = total.values["registrations"].get("total", 0) + count


def _direct_counts(query: UptakeQuery, filters: list[AppliedFilter], spans: list[Bucket], measures, row, total) -> None:
    """Unique learners and completions counted from the completions of the period: distinct
    people per group and bucket, per group, per bucket and overall (four statements)."""
    group, joins = _completion_group(query.by)
    conditions, filter_joins = filter_conditions(filters)
    joins = joins or filter_joins
    date_spans = [(b.start, b.end, b.key) for b in spans]
    bucket = _bucket_case(Completion.completed_on, date_spans)
    in_period = Completion.completed_on.between(query.start, query.end)

    def completions_select(*columns):
        statement = select(*columns).select_from(Completion).where(in_period, *conditions)
        if joins:
            statement = statement.outerjoin(Organisation, Organisation.id == Completion.organisation_id)
        return statement

    wants_learners = "unique-learners" in measures
    wants_completions = "completions" in measures
    for key, bucket_key, learners, count in db.session.execute(
        completions_select(group, bucket, func.count(func.distinct(Completion.user_id)), func.count())
        .group_by(group, bucket)
    ):
        if wants_learners:
            row(key).values["unique-learners"][bucket_key] = learners
        if wants_completions:
            _add(row(key).values["completions"], bucket_key, count)
            _add(total.values["completions"], bucket_key, count)
    if wants_learners:
        for key, learners in db.session.execute(
            completions_select(group, func.count(func.distinct(Completion.user_id))).group_by(group)
        ):
            row(key).values["unique-learners"]["total"] = learners
        for bucket_key, learners in db.session.execute(
            completions_select(bucket, func.count(func.distinct(Completion.user_id))).group_by(bucket)
        ):
            total.values["unique-learners"][bucket_key] = learners
        total.values["unique-learners"]["total"] = db.session.scalar(
            completions_select(func.count(func.distinct(Completion.user_id)))
        ) or 0


def _add(values: dict, bucket_key: str, count: int) -> None:
    """Add `count` to a bucket and to the whole period."""
    values[bucket_key] = values.get(bucket_key, 0) + count
    values["total"] = values.get("total", 0) + count


# --- kept figures -----------------------------------------------------------------------------

def _month_bits(start: date, end: date) -> dict[int, int]:
    """{financial year: the month mask of the months from `start` to `end`} (whole months)."""
    bits: dict[int, int] = {}
    month = date(start.year, start.month, 1)
    while month <= end:
        year = financial_year(month)
        bits[year] = bits.get(year, 0) | 1 << ((month.month - 4) % 12)
        month = add_months(month, 1)
    return bits


def _month_end(day: date) -> date:
    return add_months(date(day.year, day.month, 1), 1) - timedelta(days=1)


def _whole_months(query: UptakeQuery, spans: list[Bucket]) -> bool:
    """Whether every bucket is whole months, the last one allowed to end before its month does."""
    return query.start.day == 1 and all(
        b.start.day == 1 and (b.end == _month_end(b.end) or b is spans[-1]) for b in spans)


def _quarter_bits(start: date, end: date) -> dict[int, int]:
    """{financial year: the quarter mask of the quarters from `start` to `end`} (bit q - 1 for Q q)."""
    bits: dict[int, int] = {}
    year, number = _quarter_of(start)
    while _quarter(year, number).start <= end:
        bits[year] = bits.get(year, 0) | 1 << (number - 1)
        year, number = (year, number + 1) if number < 4 else (year + 1, 1)
    return bits


def _quarter_end(day: date) -> date:
    return _quarter(*_quarter_of(day)).end


@dataclass(frozen=True)
class KeptSource:
    """Which kept rows hold a report's groups and its total row: the groups' dimension
    (None when the measure is not grouped; with `groups`, a condition on the group key
    column, when only some of its groups are wanted) and `key_of`, a kept group key's
    report key; and the one group holding the total row's people."""

    dimension: int | None
    groups: Callable | None
    key_of: Callable[[int], object]
    total_dimension: int
    total_group: int


@dataclass(frozen=True)
class KeptPlan:
    source: KeptSource
    quarters: bool  # every bucket is whole quarters: the quarter mixes give them (else the month mixes)
    whole_years: bool  # several whole financial years: the year spans give their unique learners


def _report_key(by: str) -> Callable[[int], object]:
    if by == "delivery-mode":
        return delivery_mode_of
    return lambda group_key: None if group_key == NO_GROUP else group_key


def kept_source(query: UptakeQuery, filters: list[AppliedFilter]) -> KeptSource | None:
    """The kept rows that give the report's groups and total, or None when none do.

    Without filters: the grouping's dimension, and everyone for the total. With one filter
    of one code: on the grouping itself (by sector, education only), that one group, which
    is also the total; e-learning only by sector, or one sector by delivery mode, the
    combined sector and delivery mode dimension, with the total the mode's or the sector's
    group. Other filters count directly: several codes of one filter make a total that is
    not the sum of any kept groups (a person in two of them counts once)."""
    dimension = DIMENSIONS[query.by]
    if not filters:
        return KeptSource(dimension, None, _report_key(query.by), DIMENSIONS["all"], NO_GROUP)
    if len(filters) != 1 or len(filters[0].ids) != 1:
        return None
    applied = filters[0]
    key = delivery_mode_key(applied.ids[0]) if applied.param == "delivery_mode" else int(applied.ids[0])
    if applied.param.replace("_", "-") == query.by:
        return KeptSource(dimension, lambda column: column == key, _report_key(query.by), dimension, key)
    combined = DIMENSIONS["sector-delivery-mode"]
    if query.by == "sector" and applied.param == "delivery_mode":
        return KeptSource(combined, lambda column: column % MODE_KEYS == key,
                          lambda group_key: None if group_key // MODE_KEYS == NO_GROUP else group_key // MODE_KEYS,
                          DIMENSIONS["delivery-mode"], key)
    if query.by == "delivery-mode" and applied.param == "sector":
        return KeptSource(combined,
                          lambda column: column.between(sector_mode_key(key, 0), sector_mode_key(key, MODE_KEYS - 1)),
                          lambda group_key: delivery_mode_of(group_key % MODE_KEYS), DIMENSIONS["sector"], key)
    return None


def kept_plan(query: UptakeQuery, spans: list[Bucket], filters: list[AppliedFilter] = ()) -> KeptPlan | None:
    """How the kept rows give this report exactly, or None when they cannot.

    They can when kept_source finds rows for its groups and filters, and every bucket is
    made of whole months, except that the report may end before the end of its last month
    when nothing is recorded after it in that month. The quarter mixes serve when the
    buckets are whole quarters on the same terms (nothing recorded after the end in its
    quarter). The year spans give the unique learners of a report of several financial
    years that starts on 1 April and has nothing recorded after its end in its last
    financial year. One indexed look-up (the first completion after the end, up to the end
    of its financial year) tells all three."""
    source = kept_source(query, list(filters))
    if source is None or not _whole_months(query, spans):
        return None
    year_end = date(financial_year(query.end) + 1, 3, 31)
    later = None
    if query.end != year_end:
        later = db.session.scalar(
            select(func.min(Completion.completed_on)).where(Completion.completed_on > query.end,
                                                            Completion.completed_on <= year_end)
        )
    if later is not None and later <= _month_end(query.end):
        return None
    quarters = query.start.month in (1, 4, 7, 10) and (later is None or later > _quarter_end(query.end))
    several = financial_year(query.start) != financial_year(query.end)
    whole_years = (several and later is None and query.start == date(query.start.year, 4, 1)
                   and FIRST_SPAN_YEAR <= financial_year(query.start) and financial_year(query.end) <= LAST_SPAN_YEAR)
    return KeptPlan(source, quarters, whole_years)


def _from_source(columns, source: KeptSource):
    """The condition on a kept table's rows (dimension, group_key) that are the source's."""
    wanted = [and_(columns.dimension == source.total_dimension, columns.group_key == source.total_group)]
    if source.dimension is not None:
        groups = columns.dimension == source.dimension
        wanted.append(groups if source.groups is None else and_(groups, source.groups(columns.group_key)))
    return or_(*wanted)


def _targets(source: KeptSource, dimension: int, group_key: int, row, total) -> list[Row]:
    """The report rows a kept row (of _from_source) counts in: its group's, the total, or
    both (a filter of one group, grouped by that filter's dimension)."""
    found = [row(source.key_of(group_key))] if source.dimension is not None and dimension == source.dimension else []
    if dimension == source.total_dimension and group_key == source.total_group:
        found.append(total)
    return found


def _kept_counts(query: UptakeQuery, spans: list[Bucket], measures, row, total, plan: KeptPlan) -> None:
    """Unique learners and completions from the kept rows: one statement reads the
    financial years' quarter or month mixes of the groups and of the total (people by
    quarter or month mask), so each bucket's people are those whose mask meets its
    quarters or months, and its completions the sum of those columns; a period over
    several financial years adds one statement: its people from the year spans
    (uptake_span) when it is made of whole financial years, else distinct people counted
    over their rows in uptake_learner."""
    source = plan.source
    if plan.quarters:
        mix, mask, unit_columns, bits_of = UptakeQuarterMix.__table__.c, "quarters", QUARTER_COLUMNS, _quarter_bits
    else:
        mix, mask, unit_columns, bits_of = UptakeMix.__table__.c, "months", MONTH_COLUMNS, _month_bits
    period_bits = bits_of(query.start, query.end)
    bucket_bits = [(b.key, bits_of(b.start, min(b.end, query.end))) for b in spans]
    wants_learners = "unique-learners" in measures
    wants_completions = "completions" in measures
    several_years = len(period_bits) > 1
    # The sums are made in SQL, one row per group: the people whose mask meets the period
    # (a group with nobody in the period has no row in the report; over one financial
    # year, they are its unique learners), and for each bucket (and each financial year
    # it falls in) the people whose mask meets its quarters or months and the completions
    # of those.
    pairs = [(bucket_key, year, bits) for bucket_key, bits_by_year in bucket_bits for year, bits in bits_by_year.items()]
    zero = literal(0)

    def meets(year: int, bits: int):
        return and_(mix.financial_year == year, mix[mask].op("&")(bits) != 0)

    columns = [func.sum(case((or_(*[meets(year, bits) for year, bits in period_bits.items()]), mix.people), else_=zero))]
    for _bucket_key, year, bits in pairs:
        columns.append(func.sum(case((meets(year, bits), mix.people), else_=zero)))
        units = [mix[unit_columns[u]] for u in range(len(unit_columns)) if bits >> u & 1]
        unit_sum = units[0]
        for column in units[1:]:
            unit_sum = unit_sum + column
        columns.append(func.sum(case((mix.financial_year == year, unit_sum), else_=zero)))
    statement = (
        select(mix.dimension, mix.group_key, *columns)
        .where(_from_source(mix, source), mix.financial_year.between(min(period_bits), max(period_bits)), mix.people > 0)
        .group_by(mix.dimension, mix.group_key)
    )
    for found_dimension, group_key, in_period, *sums in db.session.execute(statement):
        if not in_period:
            continue
        figures = [(bucket_key, int(sums[2 * index] or 0), int(sums[2 * index + 1] or 0))
                   for index, (bucket_key, _year, _bits) in enumerate(pairs)]
        for target in _targets(source, found_dimension, group_key, row, total):
            learners = target.values["unique-learners"] if wants_learners else None
            completions = target.values["completions"] if wants_completions else None
            if wants_learners and not several_years:
                learners["total"] = learners.get("total", 0) + int(in_period)
            for bucket_key, people, count in figures:
                if wants_learners and people:
                    learners[bucket_key] = learners.get(bucket_key, 0) + people
                if wants_completions and count:
                    completions[bucket_key] = completions.get(bucket_key, 0) + count
                    completions["total"] = completions.get("total", 0) + count
    if wants_learners and several_years and plan.whole_years:
        wanted_years = sum(1 << (year - FIRST_SPAN_YEAR) for year in period_bits)
        span = UptakeSpan.__table__.c
        for found_dimension, group_key, people in db.session.execute(
            select(span.dimension, span.group_key, func.sum(span.people))
            .where(_from_source(span, source), span.people > 0,
                   span.years.op("&")(literal(wanted_years, BigInteger)) != 0)
            .group_by(span.dimension, span.group_key)
        ):
            for target in _targets(source, found_dimension, group_key, row, total):
                _add_one(target.values["unique-learners"], "total", int(people))
    elif wants_learners and several_years:
        learner = UptakeLearner.__table__.c
        in_period = or_(*[and_(learner.financial_year == year, learner.months.op("&")(bits) != 0)
                          for year, bits in _month_bits(query.start, query.end).items()])
        for found_dimension, group_key, people in db.session.execute(
            select(learner.dimension, learner.group_key, func.count(func.distinct(learner.user_id)))
            .where(_from_source(learner, source), in_period)
            .group_by(learner.dimension, learner.group_key)
        ):
            for target in _targets(source, found_dimension, group_key, row, total):
                target.values["unique-learners"]["total"] = people
    if wants_learners:
        total.values["unique-learners"].setdefault("total", 0)


def registrations_plan(query: UptakeQuery, spans: list[Bucket], filters: list[AppliedFilter]) -> KeptSource | None:
    """The kept registration rows (lms.accounts.registrations) that give the report's
    registrations exactly, or None. They do when its buckets are whole London months, except
    that it may end before the end of its last month when no account was made after it in
    that month (one indexed look-up), and it has no filter, or one code of the sector,
    organisation type or area filter while grouped by that filter's own dimension or by
    something registrations are not grouped by (course, delivery mode)."""
    grouped = query.by in REGISTRATION_GROUPINGS
    dimension = REGISTRATION_DIMENSIONS[query.by] if grouped else None
    if not filters:
        source = KeptSource(dimension, None, _report_key(query.by), REGISTRATION_DIMENSIONS["all"], NO_GROUP)
    elif len(filters) == 1 and len(filters[0].ids) == 1 and filters[0].param.replace("_", "-") in REGISTRATION_GROUPINGS:
        own = filters[0].param.replace("_", "-")
        key = int(filters[0].ids[0])
        if own == query.by:
            source = KeptSource(dimension, lambda column: column == key, _report_key(query.by), dimension, key)
        elif not grouped:
            source = KeptSource(None, None, _report_key(query.by), REGISTRATION_DIMENSIONS[own], key)
        else:
            return None
    else:
        return None
    if not _whole_months(query, spans):
        return None
    if query.end != _month_end(query.end) and db.session.scalar(
        select(User.id).where(User.created_at >= london_start_utc(query.end + timedelta(days=1)),
                              User.created_at < london_start_utc(_month_end(query.end) + timedelta(days=1))).limit(1)
    ) is not None:
        return None
    return source


def _kept_registrations(spans: list[Bucket], source: KeptSource, row, total) -> None:
    """Registrations from the kept counts by London month: one statement, summed by group
    and bucket (each bucket is the months it starts in)."""
    mix = RegistrationMix.__table__.c
    bucket = _bucket_case(mix.month, [(b.start, b.end, b.key) for b in spans])
    for found_dimension, group_key, bucket_key, count in db.session.execute(
        select(mix.dimension, mix.group_key, bucket, func.sum(mix.people))
        .where(_from_source(mix, source), mix.month.between(spans[0].start, spans[-1].end), mix.people != 0)
        .group_by(mix.dimension, mix.group_key, bucket)
    ):
        count = int(count or 0)
        if not count:
            continue
        for target in _targets(source, found_dimension, group_key, row, total):
            values = target.values["registrations"]
            values[bucket_key] = values.get(bucket_key, 0) + count
            values["total"] = values.get("total", 0) + count


def _add_one(values: dict, bucket_key: str, count: int) -> None:
    values[bucket_key] = values.get(bucket_key, 0) + count


def _none_name(by: str) -> str:
    return {
        "sector": "No organisation", "organisation-type": "No organisation", "area": "No area",
        "course": "Not in the catalogue", "delivery-mode": "Unknown",
    }[by]


# --- the long table, for analysts -----------------------------------------------------------------

WHOLE_PERIOD = "whole-period"
ALL_GROUPS = "all"


@dataclass(frozen=True)
class LongRow:
    """One figure: a group (its code, or "none", or "all" for everyone), a period (a
    quarter or year key, or "whole-period") and a measure."""

    group: str
    group_name: str
    period: str
    period_from: date
    period_to: date
    measure: str
    value: int


def long_table(result: Uptake) -> list[LongRow]:
    """The figures as a long table (one row per group, period and measure), for Power BI
    or Power Query, which want one value a row. Each group's rows, then everyone's
    ("all", counting each person once); a measure not counted for a group (registrations
    by course) has no rows. Nothing is read from the database."""
    periods = [(b.key, b.start, b.end) for b in result.buckets] + [(WHOLE_PERIOD, result.query.start, result.query.end)]
    found = []
    for row, key in [(row, row.key) for row in result.rows] + [(result.total, ALL_GROUPS)]:
        for measure in result.measures:
            if row.value(measure, "total") is None:
                continue
            for period, start, end in periods:
                value = row.value(measure, "total" if period == WHOLE_PERIOD else period) or 0
                found.append(LongRow(key, row.name, period, start, end, measure, value))
    return found
