"""Charges for places booked and not used: the rates per organisation type and the report
the partnership invoices from (DESIGN.md section 5).

Chargeable events are:

- a no-show: a booking marked "did not attend" on the register;
- a late cancellation: a booking cancelled after the session's cancellation cut-off
  (ended_reason "late-cancelled", set by bookings.services.cancel).

Never charged: a place passed to a colleague (the booking that was passed on ends as
"substituted"; the colleague who took it is charged only if they in turn do not come), any
booking on a session the partnership cancelled, and people booked without an organisation
(there is nobody to invoice). An event belongs to the organisation recorded on the
booking (the person's organisation when they booked), and costs the rate in force for
that organisation's type on the session's date. Rates are dated: a change applies to
sessions from the day the admin gives, and never reprices the days before it, so a
report for a past period gives the amounts that applied then. The period and the rates'
days are the session's date in Europe/London.

Amounts are whole pence; pages and forms speak in pounds.
"""
from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload

from lms.accounts.models import User
from lms.audit import services as audit
from lms.bookings.models import Booking, ChargeRate, TrainingSession
from lms.core.errors import DomainError, Forbidden
from lms.core.tables import to_csv
from lms.core.time import LONDON, format_date, to_london
from lms.extensions import db
from lms.organisations.models import Organisation, OrganisationType, Sector

MAX_CHARGE_PENCE = 100_000  # £1,000
EARLIEST_APPLIES_FROM = date(2000, 1, 1)  # the day rates set before they were dated apply from
KINDS = {"no-show": "Did not attend", "late-cancellation": "Late cancellation"}


# --- money -------------------------------------------------------------------------------


def pounds(pence: int) -> str:
    """2500 -> '25.00'; 1234567 -> '12,345.67'."""
    return f"{Decimal(pence) / 100:,.2f}"


_MONEY = re.compile(r"^\d+(\.\d{1,2})?$")


def parse_pounds(text: str | None) -> int | None:
    """'25', '25.5', '£25.50', '1,000' -> pence; blank -> None. Raises ValueError for
    anything that is not an amount of pounds and pence."""
    cleaned = (text or "").strip().replace(",", "")
    cleaned = cleaned.removeprefix("£").strip()
    if not cleaned:
        return None
    if not _MONEY.match(cleaned):
        raise ValueError("not an amount")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:  # pragma: no cover - the pattern only lets numbers through
        raise ValueError("not an amount") from None
    return int((value * 100).to_integral_value())


# --- rates -------------------------------------------------------------------------------


@dataclass
class Rate:
    """What an organisation type is charged on a day (pence; 0 when nothing is set), and
    since when (None: never set)."""

    organisation_type: OrganisationType
    no_show_pence: int = 0
    late_cancellation_pence: int = 0
    applies_from: date | None = None
    updated_at: datetime | None = None


class RateBook:
    """Every dated rate, read once (one statement), to price events on any day."""

    def __init__(self, rows: list[ChargeRate]) -> None:
        self._days: dict[int, list[date]] = {}
        self._rates: dict[int, list[ChargeRate]] = {}
        for row in sorted(rows, key=lambda r: (r.organisation_type_id, r.applies_from)):
            self._days.setdefault(row.organisation_type_id, []).append(row.applies_from)
            self._rates.setdefault(row.organisation_type_id, []).append(row)

    @classmethod
    def load(cls, type_ids: list[int] | None = None) -> "RateBook":
        query = select(ChargeRate)
        if type_ids is not None:
            query = query.where(ChargeRate.organisation_type_id.in_(type_ids))
        return cls(list(db.session.scalars(query)))

    def on(self, type_id: int, day: date) -> ChargeRate | None:
        """The rate in force for the type on the day: the latest that applies from it or
        before; None when there is none."""
        days = self._days.get(type_id, [])
        index = bisect_right(days, day)
        return self._rates[type_id][index - 1] if index else None

    def exactly(self, type_id: int, day: date) -> ChargeRate | None:
        """The type's rate that applies from exactly that day, if there is one."""
        rate = self.on(type_id, day)
        return rate if rate is not None and rate.applies_from == day else None

    def amounts(self, type_id: int, day: date) -> tuple[int, int]:
        """(no-show pence, late cancellation pence) on the day."""
        rate = self.on(type_id, day)
        return (rate.no_show_pence, rate.late_cancellation_pence) if rate is not None else (0, 0)

    def rows(self) -> list[ChargeRate]:
        return [row for rows in self._rates.values() for row in rows]


def _organisation_types() -> list[OrganisationType]:
    return list(db.session.scalars(
        select(OrganisationType)
        .join(OrganisationType.sector)
        .order_by(Sector.position, Sector.id, OrganisationType.position, OrganisationType.id)
    ))


def list_rates(on: date) -> list[Rate]:
    """Every organisation type, by sector, with its rates in force on the day `on`."""
    book = RateBook.load()
    rates = []
    for org_type in _organisation_types():
        row = book.on(org_type.id, on)
        rates.append(
            Rate(org_type, row.no_show_pence, row.late_cancellation_pence, row.applies_from, row.updated_at)
            if row is not None else Rate(org_type)
        )
    return rates


@dataclass
class RateChange:
    """One dated rate as set, with the one it replaced from that day (None: nothing)."""

    rate: ChargeRate
    organisation_type: OrganisationType
    before: tuple[int, int] | None


def rate_changes() -> list[RateChange]:
    """Every dated rate, the latest day first (then by sector and type), each with what
    applied the day before it: the history shown under the rates (two statements)."""
    types = {t.id: t for t in _organisation_types()}
    book = RateBook.load()
    changes = []
    for row in book.rows():
        earlier = book.on(row.organisation_type_id, row.applies_from - timedelta(days=1))
        before = (earlier.no_show_pence, earlier.late_cancellation_pence) if earlier is not None else None
        changes.append(RateChange(row, types[row.organisation_type_id], before))
    order = {type_id: index for index, type_id in enumerate(types)}
    changes.sort(key=lambda c: (-c.rate.applies_from.toordinal(), order[c.rate.organisation_type_id]))
    return changes


def group_by_sector(rates: list[Rate]) -> list[tuple[Sector, list[Rate]]]:
    """The rates in runs of one sector each (they come sorted by sector)."""
    groups: list[tuple[Sector, list[Rate]]] = []
    for rate in rates:
        sector = rate.organisation_type.sector
        if not groups or groups[-1][0].id != sector.id:
            groups.append((sector, []))
        groups[-1][1].append(rate)
    return groups


def no_show_field(type_id: int) -> str:
    return f"no_show_{type_id}"


def late_cancellation_field(type_id: int) -> str:
    return f"late_cancellation_{type_id}"


def _check_amount(pence: int, org_type: OrganisationType, what: str, field_name: str) -> None:
    if not isinstance(pence, int) or pence < 0 or pence > MAX_CHARGE_PENCE:
        raise DomainError(
            f"The {what} charge for {org_type.name} must be between £0 and £{pounds(MAX_CHARGE_PENCE)}",
            field=field_name,
        )


def set_rates(rates: dict[int, tuple[int, int]], *, applies_from: date, actor: User, now: datetime) -> int:
    """Set the charges {organisation type id: (no-show pence, late cancellation pence)}
    for sessions from the London date `applies_from` on (until a later change already
    set, which still applies from its own day). A type whose charges on that day are
    already these is left alone. Every change is in the audit log. Returns how many types
    changed; raises a DomainError naming the first bad amount, changing nothing."""
    if not actor.is_admin:
        raise Forbidden("Only partnership admins can set charges")
    if not isinstance(applies_from, date) or applies_from < EARLIEST_APPLIES_FROM:
        raise DomainError(
            f"The date the charges apply from must be {EARLIEST_APPLIES_FROM.year} or later", field="applies_from",
        )
    types = {t.id: t for t in db.session.scalars(select(OrganisationType).where(OrganisationType.id.in_(list(rates))))}
    for type_id, (no_show, late) in rates.items():
        org_type = types.get(type_id)
        if org_type is None:
            raise DomainError("There is no such organisation type", field=no_show_field(type_id))
        _check_amount(no_show, org_type, "no-show", no_show_field(type_id))
        _check_amount(late, org_type, "late cancellation", late_cancellation_field(type_id))
    book = RateBook.load(list(rates))
    changed = 0
    for type_id, (no_show, late) in sorted(rates.items()):
        before = book.amounts(type_id, applies_from)
        if before == (no_show, late):
            continue
        row = book.exactly(type_id, applies_from)
        if row is None:
            row = ChargeRate(organisation_type_id=type_id, applies_from=applies_from)
            db.session.add(row)
        row.no_show_pence = no_show
        row.late_cancellation_pence = late
        row.updated_at = now
        org_type = types[type_id]
        audit.record(
            actor, "charges.update", target=org_type, now=now,
            summary=f"Charges for {org_type.name} from {format_date(applies_from)}: no-show £{pounds(no_show)}, "
                    f"late cancellation £{pounds(late)}",
            before={"no_show_pence": before[0], "late_cancellation_pence": before[1]},
            after={"applies_from": applies_from.isoformat(), "no_show_pence": no_show, "late_cancellation_pence": late},
        )
        changed += 1
    db.session.flush()
    return changed


# --- the report --------------------------------------------------------------------------


@dataclass
class ChargeableEvent:
    booking: Booking
    kind: str  # "no-show" | "late-cancellation"
    amount_pence: int

    @property
    def kind_name(self) -> str:
        return KINDS[self.kind]

    @property
    def session(self) -> TrainingSession:
        return self.booking.session


@dataclass
class OrganisationCharges:
    organisation: Organisation
    events: list[ChargeableEvent] = field(default_factory=list)

    @property
    def no_shows(self) -> int:
        return sum(1 for event in self.events if event.kind == "no-show")

    @property
    def late_cancellations(self) -> int:
        return sum(1 for event in self.events if event.kind == "late-cancellation")

    @property
    def no_show_total_pence(self) -> int:
        return sum(event.amount_pence for event in self.events if event.kind == "no-show")

    @property
    def late_cancellation_total_pence(self) -> int:
        return sum(event.amount_pence for event in self.events if event.kind == "late-cancellation")

    @property
    def total_pence(self) -> int:
        return sum(event.amount_pence for event in self.events)


@dataclass
class ChargeReport:
    start: date
    end: date
    organisations: list[OrganisationCharges]
    # Events of people booked with no organisation: listed nowhere, charged to nobody.
    without_organisation: int = 0

    @property
    def events(self) -> list[ChargeableEvent]:
        return [event for row in self.organisations for event in row.events]

    @property
    def no_shows(self) -> int:
        return sum(row.no_shows for row in self.organisations)

    @property
    def late_cancellations(self) -> int:
        return sum(row.late_cancellations for row in self.organisations)

    @property
    def no_show_total_pence(self) -> int:
        return sum(row.no_show_total_pence for row in self.organisations)

    @property
    def late_cancellation_total_pence(self) -> int:
        return sum(row.late_cancellation_total_pence for row in self.organisations)

    @property
    def total_pence(self) -> int:
        return sum(row.total_pence for row in self.organisations)


def _london_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=LONDON)


def check_period(start: date | None, end: date | None) -> None:
    if start is None:
        raise DomainError("Enter the date the period starts", field="start")
    if end is None:
        raise DomainError("Enter the date the period ends", field="end")
    if end < start:
        raise DomainError("The end of the period must be the same as or after the start", field="end")


def chargeable_bookings(start: date, end: date) -> list[Booking]:
    """No-shows and late cancellations on sessions held (not cancelled by the partnership)
    on the London dates start to end, both included."""
    check_period(start, end)
    since = _london_midnight(start)
    until = _london_midnight(end + timedelta(days=1))
    return list(db.session.scalars(
        select(Booking)
        .join(Booking.session)
        .join(Booking.user)
        .outerjoin(Booking.organisation)
        .where(
            TrainingSession.status != "cancelled",
            TrainingSession.starts_at >= since,
            TrainingSession.starts_at < until,
            or_(
                Booking.status == "no-show",
                and_(Booking.status == "cancelled", Booking.ended_reason == "late-cancelled"),
            ),
        )
        .options(
            selectinload(Booking.user),
            selectinload(Booking.session),
            selectinload(Booking.organisation),
        )
        .order_by(Organisation.name, Organisation.id, TrainingSession.starts_at, TrainingSession.id,
                  User.full_name, Booking.id)
    ))


def charge_report(start: date, end: date) -> ChargeReport:
    """The chargeable events of the period, grouped by organisation, each priced at the
    rate in force for the organisation's type on its session's date."""
    bookings = chargeable_bookings(start, end)
    book = RateBook.load()
    rows: dict[int, OrganisationCharges] = {}
    without = 0
    for booking in bookings:
        organisation = booking.organisation
        if organisation is None:
            without += 1
            continue
        kind = "no-show" if booking.status == "no-show" else "late-cancellation"
        no_show, late = book.amounts(organisation.type_id, to_london(booking.session.starts_at).date())
        amount = no_show if kind == "no-show" else late
        row = rows.get(organisation.id)
        if row is None:
            row = rows[organisation.id] = OrganisationCharges(organisation)
        row.events.append(ChargeableEvent(booking, kind, amount))
    return ChargeReport(start=start, end=end, organisations=list(rows.values()), without_organisation=without)


CSV_COLUMNS = [
    "Organisation", "Organisation type", "Sector", "Person", "Email address", "Course code", "Course",
    "Session date", "Session start", "Charge for", "Cancelled at", "Amount (GBP)",
]


def report_csv(report: ChargeReport) -> bytes:
    """One row per chargeable event, organisation by organisation (UTF-8 with a BOM so
    spreadsheet programs read it as such). Text a spreadsheet would run as a formula is
    written so it stays text (lms.core.tables)."""
    return to_csv(CSV_COLUMNS, _csv_rows(report))


def _csv_rows(report: ChargeReport):
    for row in report.organisations:
        organisation = row.organisation
        for event in row.events:
            booking, session = event.booking, event.session
            starts = to_london(session.starts_at)
            cancelled = ""
            if event.kind == "late-cancellation" and booking.cancelled_at is not None:
                cancelled = to_london(booking.cancelled_at).strftime("%Y-%m-%d %H:%M")
            yield [
                organisation.name,
                organisation.type.name,
                organisation.sector.name,
                booking.user.full_name,
                booking.user.email,
                session.course.code,
                session.course.title,
                starts.date(),
                starts.strftime("%H:%M"),
                event.kind_name,
                cancelled,
                f"{Decimal(event.amount_pence) / 100:.2f}",
            ]
