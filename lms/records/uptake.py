"""Kept uptake figures: who completed something in which months of each financial year,
in each reporting group, so the uptake report can count unique learners without counting
distinct people over every completion of the period (docs/reports.md, "How the figures
are kept").

`uptake_learner` holds one row per (dimension, financial year, group, person) for every
person with at least one completion in that financial year and group:

- `dimension`: what the group is (DIMENSIONS): everyone (`all`, for the total row),
  the sector at the time, the organisation's type and area now, the course, the delivery
  mode;
- `group_key`: the group's id (sector, organisation type, area, course), a delivery mode's
  position in DELIVERY_MODES counted from 1, or NO_GROUP (0: no organisation, no area,
  not in the catalogue; and the one group of `all`); in the one combined dimension,
  `sector-delivery-mode` (sector at the time and delivery mode together, for the yearly
  report's "school professionals who did e-learning"), the sector's key times MODE_KEYS
  plus the mode's;
- `months`: a 12-bit mask, bit m set when the person has a completion in month m of the
  financial year (April is bit 0, March bit 11);
- `completions_0` .. `completions_11`: how many completions they have in each month.

So the unique learners of a group in a span of whole months of one financial year are the
rows whose mask meets the span's bits (each row is one person), and its completions the sum
of the span's month columns. `uptake_mix` holds those rows counted by month mask (people
and completions per month for each dimension, year, group and mask): a few thousand rows
a year where uptake_learner has one per person, which is what a report reads; and
`uptake_span` counts them by the set of financial years each person is in (per dimension
and group), for reports of whole financial years over several years; `uptake_quarter_mix`
counts them by quarter mask (at most 16 a group and year, where month masks may be
thousands), for reports whose periods are whole financial quarters. The rows are exact,
never approximate: records.services calls
refresh_people in the same transaction as every change to completions, an organisation's
new type or area refreshes the people with completions there (the organisation_regrouped
signal), and rebuild_uptake rebuilds the whole table (the generator, `flask lms reports
rebuild-uptake`, the nightly job).
"""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import (BigInteger, ForeignKey, Integer, SmallInteger, case, cast, delete, extract, func, insert, literal,
                        literal_column, select, text, union_all)
from sqlalchemy.orm import Mapped, mapped_column

from lms.accounts.models import User
from lms.accounts.registrations import rebuild_registrations
from lms.catalogue.models import DELIVERY_MODES
from lms.core.upsert import add_to
from lms.extensions import db
from lms.organisations.models import Organisation
from lms.records.models import Completion
from lms.signals import organisation_regrouped

# The dimensions and their stored numbers (kept small: the table is large).
DIMENSIONS = {"all": 0, "sector": 1, "organisation-type": 2, "area": 3, "course": 4, "delivery-mode": 5,
              "sector-delivery-mode": 6}
NO_GROUP = 0  # no organisation / no area / not in the catalogue, and everyone's one group
MODE_KEYS = 16  # a combined group key is sector key * MODE_KEYS + delivery mode key
MONTH_COLUMNS = tuple(f"completions_{m}" for m in range(12))  # April .. March
QUARTER_COLUMNS = tuple(f"completions_q{q}" for q in range(1, 5))  # Q1 (April to June) .. Q4


def delivery_mode_key(mode: str) -> int:
    """A delivery mode's group key: its position in DELIVERY_MODES, from 1."""
    return list(DELIVERY_MODES).index(mode) + 1


def delivery_mode_of(key: int) -> str | None:
    modes = list(DELIVERY_MODES)
    return modes[key - 1] if 1 <= key <= len(modes) else None


def sector_mode_key(sector_key: int, mode_key: int) -> int:
    """The group key of a sector (or NO_GROUP) and a delivery mode's key together."""
    return sector_key * MODE_KEYS + mode_key


def quarters_of(months: int) -> int:
    """The quarter mask (bit q - 1 for Q q) of a month mask: the quarters it has a month in."""
    return sum(1 << quarter for quarter in range(4) if months >> (3 * quarter) & 0b111)


class UptakeLearner(db.Model):
    __tablename__ = "uptake_learner"

    # The primary key's order makes one dimension's financial year one index range.
    dimension: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    financial_year: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    group_key: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True,
                                         autoincrement=False, index=True)
    months: Mapped[int] = mapped_column(SmallInteger)
    completions_0: Mapped[int] = mapped_column(Integer)
    completions_1: Mapped[int] = mapped_column(Integer)
    completions_2: Mapped[int] = mapped_column(Integer)
    completions_3: Mapped[int] = mapped_column(Integer)
    completions_4: Mapped[int] = mapped_column(Integer)
    completions_5: Mapped[int] = mapped_column(Integer)
    completions_6: Mapped[int] = mapped_column(Integer)
    completions_7: Mapped[int] = mapped_column(Integer)
    completions_8: Mapped[int] = mapped_column(Integer)
    completions_9: Mapped[int] = mapped_column(Integer)
    completions_10: Mapped[int] = mapped_column(Integer)
    completions_11: Mapped[int] = mapped_column(Integer)


class UptakeMix(db.Model):
    """uptake_learner counted: for each dimension, financial year, group and month mask, how
    many people have exactly those months there, and their completions in each month. A
    report within one financial year reads these few rows instead of a row per person. Kept
    by adding each refresh's difference (so a mix may stay at 0 people)."""

    __tablename__ = "uptake_mix"

    dimension: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    financial_year: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    group_key: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    months: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    people: Mapped[int] = mapped_column(Integer)
    completions_0: Mapped[int] = mapped_column(Integer)
    completions_1: Mapped[int] = mapped_column(Integer)
    completions_2: Mapped[int] = mapped_column(Integer)
    completions_3: Mapped[int] = mapped_column(Integer)
    completions_4: Mapped[int] = mapped_column(Integer)
    completions_5: Mapped[int] = mapped_column(Integer)
    completions_6: Mapped[int] = mapped_column(Integer)
    completions_7: Mapped[int] = mapped_column(Integer)
    completions_8: Mapped[int] = mapped_column(Integer)
    completions_9: Mapped[int] = mapped_column(Integer)
    completions_10: Mapped[int] = mapped_column(Integer)
    completions_11: Mapped[int] = mapped_column(Integer)


class UptakeSpan(db.Model):
    """uptake_learner counted across years: for each dimension, group and set of financial
    years (`years`, bit y - FIRST_SPAN_YEAR for the year starting in April of y), how many
    people completed something there in exactly those years. A report of whole financial
    years over several years counts its unique learners from these few rows. Kept by adding
    each refresh's difference, like uptake_mix."""

    __tablename__ = "uptake_span"

    dimension: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    group_key: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    years: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    people: Mapped[int] = mapped_column(Integer)


class UptakeQuarterMix(db.Model):
    """uptake_mix by quarter: for each dimension, financial year, group and quarter mask
    (bit q - 1 set when the person has a completion in Q q), how many people have exactly
    those quarters there and their completions in each quarter. A report of whole quarters
    or years reads at most 16 rows a group and year. Kept by adding each refresh's
    difference, like uptake_mix."""

    __tablename__ = "uptake_quarter_mix"

    dimension: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    financial_year: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    group_key: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    quarters: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    people: Mapped[int] = mapped_column(Integer)
    completions_q1: Mapped[int] = mapped_column(Integer)
    completions_q2: Mapped[int] = mapped_column(Integer)
    completions_q3: Mapped[int] = mapped_column(Integer)
    completions_q4: Mapped[int] = mapped_column(Integer)


# Financial years a span can hold (63 bits): completions outside them are not in any span.
FIRST_SPAN_YEAR, LAST_SPAN_YEAR = 2000, 2062
SPAN_KEY = ("dimension", "group_key", "years")

MIX_KEY = ("dimension", "financial_year", "group_key", "months")
MIX_VALUES = ("people", *MONTH_COLUMNS)
QUARTER_MIX_KEY = ("dimension", "financial_year", "group_key", "quarters")
QUARTER_MIX_VALUES = ("people", *QUARTER_COLUMNS)


# --- building rows from completions -----------------------------------------------------------

def _month():
    return cast(extract("month", Completion.completed_on), Integer)


def _financial_year():
    year = cast(extract("year", Completion.completed_on), Integer)
    return case((_month() >= 4, year), else_=year - 1)


def _month_bit():
    """1 << (the month's position in the financial year), spelled as a CASE: SQLite has no
    portable power function."""
    return case({month: 1 << ((month - 4) % 12) for month in range(1, 13)}, value=_month())


def _group(dimension: str):
    """(the group key of a completion in `dimension`, whether it needs the organisation joined)."""
    if dimension == "all":
        return literal(NO_GROUP), False
    if dimension == "sector":
        return func.coalesce(Completion.sector_id, NO_GROUP), False
    if dimension == "organisation-type":
        return func.coalesce(Organisation.type_id, NO_GROUP), True
    if dimension == "area":
        return func.coalesce(Organisation.area_id, NO_GROUP), True
    if dimension == "course":
        return func.coalesce(Completion.course_id, NO_GROUP), False
    mode = case({mode: delivery_mode_key(mode) for mode in DELIVERY_MODES}, value=Completion.delivery_mode,
                else_=NO_GROUP)
    if dimension == "sector-delivery-mode":
        return func.coalesce(Completion.sector_id, NO_GROUP) * MODE_KEYS + mode, False
    return mode, False


def _rows(dimension: str, people=None):
    """SELECT of the kept rows of `dimension` (for the people in `people`, a list or a
    subquery of user ids, or everyone): completions grouped first by person, year, month
    and group, then by person, year and group, the mask being the sum of the distinct
    months' bits (no bitwise OR aggregate is portable)."""
    group, joins = _group(dimension)
    # Each expression is built once and grouped by as selected: PostgreSQL matches a GROUP
    # BY term to a selected expression only when their bound parameters are the same ones.
    financial_year, bit = _financial_year(), _month_bit()
    by_month = select(
        Completion.user_id.label("user_id"),
        financial_year.label("financial_year"),
        bit.label("bit"),
        group.label("group_key"),
        func.count().label("n"),
    ).select_from(Completion)
    if joins:
        by_month = by_month.outerjoin(Organisation, Organisation.id == Completion.organisation_id)
    if people is not None:
        by_month = by_month.where(Completion.user_id.in_(people))
    by_month = by_month.group_by(Completion.user_id, financial_year, bit,
                                 *([] if dimension == "all" else [group])).subquery()
    return select(
        literal(DIMENSIONS[dimension]).label("dimension"),
        by_month.c.financial_year,
        by_month.c.group_key,
        by_month.c.user_id,
        func.sum(by_month.c.bit).label("months"),
        *[func.sum(case((by_month.c.bit == 1 << m, by_month.c.n), else_=0)).label(MONTH_COLUMNS[m]) for m in range(12)],
    ).group_by(by_month.c.user_id, by_month.c.financial_year, by_month.c.group_key)


COLUMNS = ("dimension", "financial_year", "group_key", "user_id", "months", *MONTH_COLUMNS)


def refresh_people(user_ids: Iterable[int] | None = None, *, people=None) -> None:
    """Make these people's kept rows match their completions again: delete them and insert
    them afresh, in two statements (per 500 people), in the caller's transaction. Give the
    people as ids, or as `people`, a subquery of user ids (everyone with completions at an
    organisation)."""
    if people is not None:
        _refresh(people)
        return
    ids = sorted({int(i) for i in user_ids or ()})
    for start in range(0, len(ids), 500):
        _refresh(ids[start:start + 500])


def _refresh(people) -> None:
    db.session.flush()
    if db.session.get_bind().dialect.name == "postgresql":
        # One refresh of a person at a time: two would both insert their rows.
        db.session.execute(select(User.id).where(User.id.in_(people)).order_by(User.id).with_for_update())
    before, spans_before = _mixes(people), _spans(people)
    db.session.execute(delete(UptakeLearner).where(UptakeLearner.user_id.in_(people)))
    parts = [_rows(dimension, people) for dimension in DIMENSIONS]
    db.session.execute(insert(UptakeLearner).from_select(COLUMNS, union_all(*parts)))
    after = _mixes(people)
    _add_differences(UptakeMix, MIX_KEY, MIX_VALUES, before, after)
    _add_differences(UptakeQuarterMix, QUARTER_MIX_KEY, QUARTER_MIX_VALUES, _by_quarter(before), _by_quarter(after))
    spans = _spans(people)
    _add_differences(UptakeSpan, SPAN_KEY, ("people",), {k: (v,) for k, v in spans_before.items()},
                     {k: (v,) for k, v in spans.items()})


def _add_differences(model, key: tuple, values: tuple, before: dict, after: dict) -> None:
    """Add to `model`'s kept counts what changed from `before` to `after` ({key: values}),
    in key order, so concurrent refreshes lock alike; nothing when nothing changed."""
    zero = (0,) * len(values)
    changes = []
    for found in sorted(set(before) | set(after)):
        difference = [b - a for a, b in zip(before.get(found, zero), after.get(found, zero), strict=True)]
        if any(difference):
            changes.append(dict(zip(key + values, (*found, *difference), strict=True)))
    if changes:
        db.session.execute(add_to(model, key, values), changes)


def _mixes(people) -> dict[tuple, tuple]:
    """{(dimension, year, group, months): (people, completions by month)} of these people's rows."""
    learner = UptakeLearner.__table__.c
    statement = (
        select(*[learner[name] for name in MIX_KEY], func.count(), *[func.sum(learner[name]) for name in MONTH_COLUMNS])
        .where(learner.user_id.in_(people)).group_by(*[learner[name] for name in MIX_KEY])
    )
    return {tuple(row[:4]): tuple(int(value or 0) for value in row[4:]) for row in db.session.execute(statement)}


def _by_quarter(mixes: dict[tuple, tuple]) -> dict[tuple, tuple]:
    """Month mixes counted by quarter: {(dimension, year, group, quarters): (people,
    completions by quarter)}."""
    found: dict[tuple, list] = {}
    for (dimension, year, group_key, months), (people, *by_month) in mixes.items():
        values = found.setdefault((dimension, year, group_key, quarters_of(months)), [0] * 5)
        values[0] += people
        for quarter in range(4):
            values[1 + quarter] += sum(by_month[3 * quarter:3 * quarter + 3])
    return {key: tuple(values) for key, values in found.items()}


def quarter_mask_sql(months):
    """quarters_of(months) in SQL, for a month-mask column."""
    total = None
    for quarter in range(4):
        # Written as literals: PostgreSQL groups by it only if the selected and grouped
        # expressions are the same text.
        term = case((months.op("&")(literal_column(str(0b111 << (3 * quarter)))) != 0, literal_column(str(1 << quarter))),
                    else_=literal_column("0"))
        total = term if total is None else total + term
    return total


def _years_bit(learner):
    """1 << (financial year - FIRST_SPAN_YEAR), as a 64-bit integer."""
    return cast(literal_column("1"), BigInteger).op("<<")(learner.financial_year - FIRST_SPAN_YEAR)


def _person_spans(people=None):
    """SELECT (dimension, group, years) per person of their rows (every person's without `people`)."""
    learner = UptakeLearner.__table__.c
    statement = (
        select(learner.dimension, learner.group_key, func.sum(_years_bit(learner)).label("years"))
        .where(learner.financial_year.between(FIRST_SPAN_YEAR, LAST_SPAN_YEAR))
        .group_by(learner.dimension, learner.group_key, learner.user_id)
    )
    return statement if people is None else statement.where(learner.user_id.in_(people))


def _spans(people) -> dict[tuple, int]:
    """{(dimension, group, years): people} of these people's rows."""
    found: dict[tuple, int] = {}
    for dimension, group_key, years in db.session.execute(_person_spans(people)):
        key = (dimension, group_key, int(years))
        found[key] = found.get(key, 0) + 1
    return found


def people_at(organisation_id: int):
    """A subquery of the people with completions recorded at an organisation."""
    return select(Completion.user_id).where(Completion.organisation_id == organisation_id).distinct()


def refresh_organisation(organisation_id: int) -> None:
    """An organisation's type or area changed: refresh everyone with completions there,
    set-based (the people are a subquery, never loaded)."""
    refresh_people(people=people_at(organisation_id))


def _organisation_regrouped(_sender, *, organisation_id: int, now=None, **_) -> None:
    refresh_organisation(organisation_id)


def connect_signals() -> None:
    organisation_regrouped.connect(_organisation_regrouped)


def rebuild_uptake(connection=None) -> int:
    """Delete every kept row and insert them all again from the completions: one INSERT ...
    SELECT per dimension, in primary-key order, in the session's transaction (or on
    `connection`, for the benchmark data generator); and the kept registrations
    (lms.accounts.registrations) from the accounts. Returns the number of uptake_learner
    rows."""
    on_session = connection is None
    if on_session:
        db.session.flush()
        connection = db.session
    # The registrations of the same report, kept by the accounts.
    rebuild_registrations(None if on_session else connection)
    connection.execute(delete(UptakeLearner))
    for dimension in DIMENSIONS:
        rows = _rows(dimension).subquery()
        ordered = select(*[rows.c[name] for name in COLUMNS]).order_by(
            rows.c.financial_year, rows.c.group_key, rows.c.user_id)
        connection.execute(insert(UptakeLearner).from_select(COLUMNS, ordered))
    connection.execute(delete(UptakeMix))
    learner = UptakeLearner.__table__.c
    key = [learner[name] for name in MIX_KEY]
    connection.execute(insert(UptakeMix).from_select(MIX_KEY + MIX_VALUES, select(
        *key, func.count(), *[func.sum(learner[name]) for name in MONTH_COLUMNS]).group_by(*key)))
    connection.execute(delete(UptakeQuarterMix))
    mix = UptakeMix.__table__.c
    quarters = quarter_mask_sql(mix.months)
    connection.execute(insert(UptakeQuarterMix).from_select(QUARTER_MIX_KEY + QUARTER_MIX_VALUES, select(
        mix.dimension, mix.financial_year, mix.group_key, quarters, func.sum(mix.people),
        *[func.sum(mix[MONTH_COLUMNS[3 * q]] + mix[MONTH_COLUMNS[3 * q + 1]] + mix[MONTH_COLUMNS[3 * q + 2]])
          for q in range(4)],
    ).group_by(mix.dimension, mix.financial_year, mix.group_key, quarters)))
    connection.execute(delete(UptakeSpan))
    spans = _person_spans().subquery()
    connection.execute(insert(UptakeSpan).from_select(SPAN_KEY + ("people",), select(
        spans.c.dimension, spans.c.group_key, spans.c.years, func.count()).group_by(
        spans.c.dimension, spans.c.group_key, spans.c.years)))
    return connection.execute(select(func.count()).select_from(UptakeLearner)).scalar() or 0


def vacuum_uptake() -> bool:
    """After a rebuild is committed, on PostgreSQL: VACUUM (ANALYZE) the table, so the
    planner's statistics and the visibility map are current (True if it ran)."""
    if db.engine.dialect.name != "postgresql":
        return False
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        tables = ", ".join(model.__tablename__ for model in (UptakeLearner, UptakeMix, UptakeQuarterMix, UptakeSpan))
        connection.execute(text(f"VACUUM (ANALYZE) {tables}"))
    return True
