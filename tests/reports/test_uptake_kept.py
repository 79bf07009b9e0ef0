"""The kept uptake rows give exactly the figures counted from the completions.

Seeded random worlds: organisations of several types and areas, people who move between
them, completions through records.services (one at a time, back-dated history imports,
removals, corrections of the date, moves to a catalogue course), and organisations whose
type or area changes. Then, for random reports (every grouping, quarters and years, whole
months, a mid-month end, unaligned dates, one year and several, with and without filters),
the report from the kept rows must equal the one counted directly, figure for figure, and
the kept rows must have been used whenever they can be.
"""
from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from lms.accounts.models import User
from lms.accounts.registrations import RegistrationMix
from lms.accounts.services import change_organisation
from lms.core.time import add_months
from lms.extensions import db
from lms.organisations import services as organisations
from lms.organisations.models import Area, OrganisationType, Sector
from lms.records import services as records
from lms.records.models import Completion
from lms.records.uptake import UptakeLearner, UptakeMix, UptakeQuarterMix, UptakeSpan, rebuild_uptake
from lms.reports import services as reports
from lms.reports.services import UptakeQuery
from tests import factories
from tests.bookings.conftest import make_course_row
from tests.conftest import NOW

TYPES = ("primary-school", "day-nursery", "charity", "gp-practice", "police-force", "childrens-social-care")
FIRST_DAY = date(2022, 1, 1)
LAST_DAY = date(2026, 11, 20)  # before NOW's date: completions are in the past


def _figures(result: reports.Uptake) -> tuple:
    """Everything the page, the API and the downloads show: the groups in order, their
    names, and every measure of every bucket and of the whole period."""
    rows = [(row.key, row.name) for row in result.rows]
    values = {
        (row.key, measure, bucket): row.value(measure, bucket)
        for row in [*result.rows, result.total] for measure in result.measures
        for bucket in [*result.bucket_keys, "total"]
    }
    return rows, values, result.bucket_keys


def _random_day(rng: random.Random) -> date:
    return FIRST_DAY + timedelta(days=rng.randint(0, (LAST_DAY - FIRST_DAY).days))


def _random_moment(rng: random.Random) -> datetime:
    """When an account was made: any time, or late on a month's last day (in UTC, which in
    British Summer Time is already the next month in London)."""
    day = _random_day(rng)
    if rng.random() < 0.3:
        day = add_months(day.replace(day=1), 1) - timedelta(days=1)
        return datetime.combine(day, time(23, rng.choice((5, 30, 59))), tzinfo=timezone.utc)
    return datetime.combine(day, time(rng.randint(0, 23), rng.randint(0, 59)), tzinfo=timezone.utc)


def _world(rng: random.Random):
    admin = factories.user("admin@example.org", admin=True)
    areas = [factories.area(f"Area {i}", code=f"area-{i}") for i in range(3)]
    type_codes = [code for code in TYPES
                  if db.session.scalar(select(OrganisationType.id).where(OrganisationType.code == code))]
    organisations_ = [factories.organisation(f"Org {i}", type_code=rng.choice(type_codes),
                                             area=rng.choice(areas + [None])) for i in range(6)]
    courses = [make_course_row(f"C{i}", mode=rng.choice(("elearning", "face-to-face", "virtual")), title=f"Course {i}")
               for i in range(4)]
    people = [factories.user(f"p{i}@example.org", organisation=rng.choice(organisations_ + [None]),
                             created_at=_random_moment(rng)) for i in range(14)]
    db.session.flush()
    return admin, areas, organisations_, courses, people


def _act(rng: random.Random, world, refs: list[tuple[str, str]]) -> None:
    """One random change to the record or to who is where."""
    admin, areas, organisations_, courses, people = world
    roll = rng.random()
    if roll < 0.45:  # one completion (e-learning, attendance, external)
        person = rng.choice(people)
        course = rng.choice(courses + [None])
        ref = f"kept:{len(refs)}:{rng.random()}"
        records.record_completion(
            person, title="Training", delivery_mode=course.delivery_mode if course else rng.choice(("external", "event")),
            on=_random_day(rng), hours=Decimal(1), source="attendance", source_ref=ref, course=course, now=NOW,
        )
        refs.append(("attendance", ref))
    elif roll < 0.6:  # a back-dated history import
        items = []
        for _ in range(rng.randint(1, 8)):
            ref = f"import:{len(refs)}:{rng.random()}"
            items.append(records.NewCompletion(
                user=rng.choice(people), title="Old course", delivery_mode="imported", on=_random_day(rng),
                hours=Decimal(2), source_ref=ref, course=rng.choice(courses + [None, None]),
            ))
            refs.append(("imported", ref))
        records.record_completions(items, source="imported", now=NOW)
    elif roll < 0.68 and refs:  # a completion taken off the record
        source, ref = refs.pop(rng.randrange(len(refs)))
        records.remove_completion(source, ref, now=NOW)
    elif roll < 0.74 and refs:  # history moved to a catalogue course
        chosen = rng.sample(refs, min(len(refs), rng.randint(1, 4)))
        for source in {source for source, _ in chosen}:
            records.move_to_course(source, [ref for s, ref in chosen if s == source], rng.choice(courses), now=NOW)
    elif roll < 0.8 and refs:  # a completion's date corrected
        source, ref = rng.choice(refs)
        completion = db.session.scalar(select(Completion).where(Completion.source == source,
                                                                Completion.source_ref == ref))
        if completion is not None:
            records.update_completion(completion, title=completion.title, on=_random_day(rng),
                                      hours=completion.cpd_hours, now=NOW)
    elif roll < 0.84:  # someone makes an account
        people.append(factories.user(f"p{len(people)}@example.org", organisation=rng.choice(organisations_ + [None]),
                                     created_at=_random_moment(rng)))
    elif roll < 0.9:  # someone moves to another organisation
        person = rng.choice(people)
        others = [org for org in organisations_ if org.id != person.organisation_id]
        started = max([e.started_on for e in person.employments] + [date(2020, 9, 1)])
        change_organisation(person, rng.choice(others), on=started + timedelta(days=1), now=NOW)
    else:  # an organisation's type, area or sector changes
        organisation = rng.choice(organisations_)
        new_type = rng.choice(db.session.scalars(select(OrganisationType).where(OrganisationType.code.in_(TYPES))).all())
        new_area = rng.choice(areas + [None])
        sector_id = organisation.sector_id if rng.random() < 0.7 else rng.choice(db.session.scalars(select(Sector.id)).all())
        organisations.update_organisation(
            admin, organisation, now=NOW, name=organisation.name, type_id=new_type.id,
            sector_id=sector_id, area_id=new_area.id if new_area else None,
            urn=organisation.urn, address=organisation.address, postcode=organisation.postcode,
        )
    db.session.flush()


def _random_query(rng: random.Random) -> tuple[UptakeQuery, str]:
    """A report, and what kind of dates it has: "aligned" (whole months), "mid-month" (ends
    mid-month) or "unaligned" (starts mid-month)."""
    kind = rng.choice(("aligned", "aligned", "mid-month", "unaligned"))
    start = date(rng.randint(2021, 2026), rng.choice((4, 4, 4, rng.randint(1, 12))), 1)
    start = min(start, date(2026, 11, 1))
    months = rng.choice((1, 2, 3, 6, 12, rng.randint(1, 48)))
    end = add_months(start, months) - timedelta(days=1)
    if kind == "mid-month":
        end = end.replace(day=rng.randint(1, 27)) if end.day > 27 else end - timedelta(days=1)
    elif kind == "unaligned":
        start += timedelta(days=rng.randint(1, 20))
        end = max(end, start)
    by = rng.choice(list(reports.GROUPINGS))
    filters = _random_filters(rng, by) if rng.random() < 0.6 else {}
    return UptakeQuery(start, end, by=by, period=rng.choice(list(reports.PERIODS)), **filters), kind


def _random_filters(rng: random.Random, by: str) -> dict[str, tuple[str, ...]]:
    """One filter of one code, most often one the kept rows serve for this grouping; or a
    filter of two codes, or two filters."""
    choices = {
        "delivery_modes": ("elearning", "face-to-face", "virtual", "external", "imported"),
        "sectors": tuple(db.session.scalars(select(Sector.code))),
        "organisation_types": tuple(db.session.scalars(select(OrganisationType.code)
                                                       .where(OrganisationType.code.in_(TYPES)))),
        "areas": tuple(db.session.scalars(select(Area.code))),
        "courses": tuple(f"C{i}" for i in range(4)),
    }
    shape = rng.choice(("kept", "kept", "kept", "one", "two codes", "two filters"))
    if shape == "kept":
        name = rng.choice(sorted(KEPT_FILTERS[by]))
        return {name: (rng.choice(choices[name]),)}
    names = rng.sample(sorted(choices), 2 if shape == "two filters" else 1)
    return {name: tuple(rng.sample(choices[name], 2 if shape == "two codes" else 1)) for name in names}


# The filters of one code that the kept rows give, by grouping (lms.reports.services.kept_source).
KEPT_FILTERS = {"sector": {"sectors", "delivery_modes"}, "organisation-type": {"organisation_types"},
                "area": {"areas"}, "course": {"courses"}, "delivery-mode": {"delivery_modes", "sectors"}}


def _kept_can_filter(query: UptakeQuery) -> bool:
    used = {name: codes for name, codes in (
        ("delivery_modes", query.delivery_modes), ("sectors", query.sectors),
        ("organisation_types", query.organisation_types), ("areas", query.areas), ("courses", query.courses)) if codes}
    if not used:
        return True
    if len(used) > 1:
        return False
    (name, codes), = used.items()
    return len(codes) == 1 and name in KEPT_FILTERS[query.by]


# The filters of one code whose registrations are kept, by grouping.
KEPT_REGISTRATION_FILTERS = {"sector": {"sectors"}, "organisation-type": {"organisation_types"}, "area": {"areas"},
                             "course": {"sectors", "organisation_types", "areas"},
                             "delivery-mode": {"sectors", "organisation_types", "areas"}}


def _kept_registrations_can_filter(query: UptakeQuery) -> bool:
    used = {name: codes for name, codes in (
        ("sectors", query.sectors), ("organisation_types", query.organisation_types), ("areas", query.areas)) if codes}
    if not used:
        return True
    if len(used) > 1:
        return False
    (name, codes), = used.items()
    return len(codes) == 1 and name in KEPT_REGISTRATION_FILTERS[query.by]


def _account_later_in_last_month(query: UptakeQuery) -> bool:
    month_end = add_months(query.end.replace(day=1), 1) - timedelta(days=1)
    return bool(db.session.scalar(select(func.count()).select_from(User).where(
        User.created_at >= reports.london_start_utc(query.end + timedelta(days=1)),
        User.created_at < reports.london_start_utc(month_end + timedelta(days=1)))))


def _later_in_last_month(query: UptakeQuery) -> bool:
    month_end = add_months(query.end.replace(day=1), 1) - timedelta(days=1)
    return bool(db.session.scalar(select(func.count()).select_from(Completion).where(
        Completion.completed_on > query.end, Completion.completed_on <= month_end)))


def _check_reports(rng: random.Random, count: int) -> dict[str, int]:
    used = {"kept": 0, "direct": 0, "quarters": 0, "filtered": 0, "kept registrations": 0}
    for _ in range(count):
        query, kind = _random_query(rng)
        kept = reports.uptake(query)
        direct = reports.uptake(query, kept=False)
        assert not direct.kept
        assert _figures(kept) == _figures(direct), (query, kind)
        should = (kind == "aligned" or (kind == "mid-month" and not _later_in_last_month(query))) \
            and _kept_can_filter(query)
        assert kept.kept == should, (query, kind)
        used["kept" if kept.kept else "direct"] += 1
        should = (kind == "aligned" or (kind == "mid-month" and not _account_later_in_last_month(query))) \
            and query.counts_registrations and _kept_registrations_can_filter(query)
        assert kept.kept_registrations == should, (query, kind)
        used["kept registrations"] += kept.kept_registrations
        if kept.kept:
            plan = reports.kept_plan(query, reports.buckets(query.start, query.end, query.period),
                                     reports.resolve_filters(query))
            used["quarters"] += plan.quarters
            used["filtered"] += query.filtered
    return used


def _kept_rows() -> tuple[list, ...]:
    """The registrations by month, the rows per person, and their counts by month and
    quarter mask and by years (a count left at 0 people counts nothing)."""
    mix, quarter_mix, span = UptakeMix.__table__, UptakeQuarterMix.__table__, UptakeSpan.__table__
    registrations = RegistrationMix.__table__
    return (sorted(db.session.execute(select(*registrations.c).where(registrations.c.people != 0)).all()),
            sorted(db.session.execute(select(*UptakeLearner.__table__.c)).all()),
            sorted(db.session.execute(select(*mix.c).where(mix.c.people != 0)).all()),
            sorted(db.session.execute(select(*quarter_mix.c).where(quarter_mix.c.people != 0)).all()),
            sorted(db.session.execute(select(*span.c).where(span.c.people != 0)).all()))


@pytest.mark.parametrize("seed", range(6))
def test_kept_figures_equal_the_direct_count(seed):
    rng = random.Random(seed)
    world = _world(rng)
    refs: list[tuple[str, str]] = []
    used = {"kept": 0, "direct": 0, "quarters": 0, "filtered": 0, "kept registrations": 0}
    for _round in range(4):
        for _ in range(rng.randint(10, 30)):
            _act(rng, world, refs)
        db.session.commit()
        for measure, number in _check_reports(rng, 25).items():
            used[measure] += number
    assert all(used.values()), used
    # What the services kept is what a rebuild from the completions makes.
    maintained = _kept_rows()
    assert all(maintained)
    rebuild_uptake()
    assert _kept_rows() == maintained


def test_filters_and_unaligned_dates_count_directly(place, completed):
    completed(place["ana"], date(2026, 5, 10))
    completed(place["ben"], date(2026, 5, 25))
    db.session.commit()
    whole = UptakeQuery(date(2026, 4, 1), date(2026, 6, 30))
    assert reports.uptake(whole).kept
    # One code of one filter the kept rows hold: kept; two codes, or two filters: direct.
    assert reports.uptake(UptakeQuery(date(2026, 4, 1), date(2026, 6, 30), sectors=("education",))).kept
    assert reports.uptake(UptakeQuery(date(2026, 4, 1), date(2026, 6, 30), delivery_modes=("elearning",))).kept
    assert not reports.uptake(UptakeQuery(date(2026, 4, 1), date(2026, 6, 30),
                                          delivery_modes=("elearning", "virtual"))).kept
    assert not reports.uptake(UptakeQuery(date(2026, 4, 1), date(2026, 6, 30), delivery_modes=("elearning",),
                                          sectors=("education",))).kept
    assert not reports.uptake(UptakeQuery(date(2026, 4, 1), date(2026, 6, 30), by="area",
                                          delivery_modes=("elearning",))).kept
    assert not reports.uptake(UptakeQuery(date(2026, 4, 2), date(2026, 6, 30))).kept
    # Ends on 20 May: Ben's completion on the 25th is after it in the same month.
    mid_may = UptakeQuery(date(2026, 4, 1), date(2026, 5, 20))
    result = reports.uptake(mid_may)
    assert not result.kept
    assert result.total.value("unique-learners", "total") == 1
    # Ends on 26 May: nothing later in May, so the kept rows give it exactly.
    late_may = UptakeQuery(date(2026, 4, 1), date(2026, 5, 26))
    result = reports.uptake(late_may)
    assert result.kept
    assert result.total.value("unique-learners", "total") == 2


def test_the_kept_rows_follow_an_organisations_new_type_and_area(place, completed):
    admin = factories.user("admin@example.org", admin=True)
    completed(place["ana"], date(2026, 5, 10))
    completed(place["cal"], date(2026, 6, 1))
    db.session.commit()
    query = UptakeQuery(date(2026, 4, 1), date(2026, 6, 30), by="area")
    before = reports.uptake(query)
    assert [(row.key, row.value("unique-learners", "total")) for row in before.rows] == [("north", 1), ("south", 1)]
    nursery = place["nursery"]
    organisations.update_organisation(admin, nursery, now=NOW, name=nursery.name, type_id=nursery.type_id,
                                      sector_id=nursery.sector_id, area_id=place["north"].id)
    db.session.commit()
    after = reports.uptake(query)
    assert after.kept
    assert [(row.key, row.value("unique-learners", "total")) for row in after.rows] == [("north", 2)]
    assert _figures(after) == _figures(reports.uptake(query, kept=False))
