"""The annual report pack for a financial year (1 April to 31 March), DESIGN.md section 8:
the training section of the partnership's yearly report, ready to paste.

Each section says what it counts (its definitions, printed with it), and reads the same
figures the other reports do, so the pack and those reports always agree:

- e-learning: unique learners (the uptake report's definition) among e-learning
  completions, by the sector the person's organisation was in when they completed, per
  financial quarter and for the year;
- face-to-face and virtual: courses run and sessions held from the sessions report
  (sessions of face-to-face and virtual courses held in the year, cancelled ones apart),
  and attendances by sector: completions of face-to-face and virtual training in the year
  (the uptake report's completions for those two delivery modes), with the people
  attending counted once;
- DSL network twilights: each term that starts in the year (summer, autumn, spring), from
  the twilight term report: DSLs attending, schools represented of all active schools;
- Safeguarding Week: each week that starts in the year, from the week's report;
- evaluations of training completed in the year (satisfied %, skills improved %, average
  confidence before and after, quotes only from people who agreed to be quoted) and the
  impact follow-up of training attended in the year (response rate, used it %);
- compliance by sector on 31 March (or today, for a year not yet over), from the
  compliance overview: each person's requirements counted once each.

A section whose programme did not run that year says so. Admins and trainers only."""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import case, func, literal, select

from lms.accounts.models import User
from lms.catalogue.models import DELIVERY_MODES, Course
from lms.compliance import engine
from lms.compliance.overview import GroupCounts, overview_by, overview_total
from lms.core.errors import DomainError, Forbidden
from lms.core.time import format_date
from lms.evaluations import services as evaluations
from lms.evaluations.followup import services as followup
from lms.extensions import db
from lms.organisations.models import Sector
from lms.programmes.models import Programme
from lms.programmes.twilights import services as twilights
from lms.programmes.twilights.models import TwilightTerm
from lms.programmes.week import services as week_programmes
from lms.records.models import Completion
from lms.reports.services import Bucket, buckets
from lms.reports.sessions import CourseLine, sessions_report
from lms.reports.week.services import WeekReport, week_report

YEAR_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")
FIRST_YEAR, LAST_YEAR = 2000, 2099
CLASSROOM_MODES = ("face-to-face", "virtual")
NO_SECTOR = "No organisation"

DEFINITIONS = {
    "elearning": "Unique learners: people with at least one e-learning course completed in the period, counted once "
                 "in each quarter they were active and once in the year, by the sector of their organisation when "
                 "they completed it.",
    "classroom": "Courses run: face-to-face and virtual courses with at least one session held in the year. Sessions "
                 "held: sessions that started in the year (London time), not counting sessions the partnership "
                 "cancelled. Attendances: face-to-face and virtual training completed in the year (registers marked "
                 "attended or partly attended, and history imported), by the sector of the person's organisation at "
                 "the time; people: each person counted once.",
    "twilights": "Terms of the DSL network twilight series that start in the year. DSLs attending: people marked "
                 "attended or partly attended at any of the term's twilights, counted once. Schools represented: "
                 "active schools with at least one person attending, of all active schools.",
    "week": "Professionals attending: marked attended or partly attended on the registers. Public attending: as "
            "recorded by the partnership for each event (the public have no register). Registrations: every public "
            "registration made.",
    "evaluations": "Evaluations of training completed in the year. Satisfied: satisfied or very satisfied. Skills "
                   "improved: yes, a lot or a little. Confidence: the average on a scale of 1 to 5. Quotes only from "
                   "people who agreed to be quoted, without names.",
    "followup": "Impact follow-up of training attended in the year, asked some weeks afterwards. Response rate: "
                "answers as a share of follow-ups sent. Used it: of those who answered, the share who have used "
                "what they learned.",
    "compliance": "Each open account's training requirements on the day, counted once each, by the sector of the "
                  "person's organisation now, worked out from the training record as it stands.",
}


def check_may_see(actor: User) -> None:
    if not (actor.is_admin or actor.is_trainer):
        raise Forbidden("Only partnership admins and trainers can see the annual report")


def parse_year(text: str | None) -> int:
    """The April the financial year "2025-26" starts in; DomainError on `year` otherwise."""
    match = YEAR_PATTERN.match((text or "").strip())
    if match is None:
        raise DomainError("Enter the financial year like 2025-26", field="year")
    start, end = int(match.group(1)), int(match.group(2))
    if end != (start + 1) % 100:
        raise DomainError("The financial year's second part must be the year after its first, like 2025-26", field="year")
    if not FIRST_YEAR <= start <= LAST_YEAR:
        raise DomainError(f"Enter a financial year from {FIRST_YEAR}-{(FIRST_YEAR + 1) % 100:02d} to "
                          f"{LAST_YEAR}-{(LAST_YEAR + 1) % 100:02d}", field="year")
    return start


def year_label(start: int) -> str:
    return f"{start}-{(start + 1) % 100:02d}"


def latest_full_year(today: date) -> int:
    """The last financial year that has ended."""
    return (today.year if today.month >= 4 else today.year - 1) - 1


# --- sections ---------------------------------------------------------------------------------

@dataclass
class SectorLine:
    code: str
    name: str
    values: dict[str, int] = field(default_factory=dict)  # bucket key or "total" -> number

    def value(self, key: str) -> int:
        return self.values.get(key, 0)


@dataclass
class Elearning:
    quarters: list[Bucket]
    lines: list[SectorLine]
    total: SectorLine


@dataclass
class Classroom:
    courses: list[CourseLine]  # face-to-face and virtual courses with sessions held
    total: CourseLine
    by_sector: list[SectorLine]  # values: "attendances", "people"
    everyone: SectorLine

    @property
    def courses_run(self) -> int:
        return sum(1 for line in self.courses if line.sessions)


@dataclass
class Term:
    term: TwilightTerm
    report: twilights.TermReport

    @property
    def topic(self) -> str:
        return self.term.topic_title or "Topic not recorded"


@dataclass
class Compliance:
    as_of: date
    sectors: list[GroupCounts]
    total: GroupCounts


@dataclass
class AnnualReport:
    year: int
    start: date
    end: date  # 31 March
    today: date
    to: date  # the last day counted: the year's end, or today while the year is not over
    elearning: Elearning
    classroom: Classroom
    twilight_series: list[Programme]
    terms: list[Term]
    weeks: list[WeekReport]
    evaluations: evaluations.Summary
    followup: followup.Results
    compliance: Compliance

    @property
    def label(self) -> str:
        return year_label(self.year)

    @property
    def year_period(self) -> str:
        return f"April {self.year} to March {self.year + 1}"

    @property
    def period(self) -> str:
        """The period the figures cover, in words: the whole year, or up to today."""
        if self.over:
            return self.year_period
        return f"1 April {self.year} to {self.to.day} {self.to:%B %Y}"

    @property
    def over(self) -> bool:
        return self.today > self.end


def _sector_names(ids: set) -> dict:
    known = [i for i in ids if i is not None]
    rows = db.session.execute(select(Sector.id, Sector.code, Sector.name, Sector.position).where(Sector.id.in_(known or [0])))
    return {i: (code, name, position) for i, code, name, position in rows}


def _ordered_lines(values: dict) -> list[SectorLine]:
    names = _sector_names(set(values))
    def key(sector_id):
        if sector_id is None:
            return (10**6, "")
        return (names[sector_id][2], names[sector_id][1])
    lines = []
    for sector_id in sorted(values, key=key):
        code, name = (names[sector_id][0], names[sector_id][1]) if sector_id is not None else ("none", NO_SECTOR)
        lines.append(SectorLine(code, name, values[sector_id]))
    return lines


def _elearning(start: date, end: date) -> Elearning:
    """Three grouped statements: by sector and quarter, by sector for the year, by quarter
    and for the year for everyone (people active in two sectors count once in the total)."""
    quarters = buckets(start, end, "quarter")
    bucket = case(*[(Completion.completed_on.between(b.start, b.end), literal(b.key)) for b in quarters],
                  else_=literal(None))
    where = (Completion.delivery_mode == "elearning", Completion.completed_on.between(start, end))
    learners = func.count(func.distinct(Completion.user_id))
    values: dict = defaultdict(dict)
    for sector_id, key, number in db.session.execute(
        select(Completion.sector_id, bucket, learners).where(*where).group_by(Completion.sector_id, bucket)
    ):
        values[sector_id][key] = number
    for sector_id, number in db.session.execute(select(Completion.sector_id, learners).where(*where).group_by(Completion.sector_id)):
        values[sector_id]["total"] = number
    total = SectorLine("total", "All sectors")
    for key, number in db.session.execute(select(bucket, learners).where(*where).group_by(bucket)):
        total.values[key] = number
    total.values["total"] = db.session.scalar(select(learners).where(*where)) or 0
    return Elearning(quarters=quarters, lines=_ordered_lines(values), total=total)


def _classroom(start: date, end: date) -> Classroom:
    report = sessions_report(start, end)
    modes = set(db.session.scalars(select(Course.code).where(Course.delivery_mode.in_(CLASSROOM_MODES))))
    courses = [line for line in report.lines if line.code in modes]
    total = CourseLine("", "All face-to-face and virtual courses")
    for line in courses:
        total.add(line)
    where = (Completion.delivery_mode.in_(CLASSROOM_MODES), Completion.completed_on.between(start, end))
    values: dict = defaultdict(dict)
    for sector_id, attendances, people in db.session.execute(
        select(Completion.sector_id, func.count(), func.count(func.distinct(Completion.user_id))).where(*where)
        .group_by(Completion.sector_id)
    ):
        values[sector_id] = {"attendances": attendances, "people": people}
    attendances, people = db.session.execute(
        select(func.count(), func.count(func.distinct(Completion.user_id))).where(*where)).one()
    everyone = SectorLine("total", "All sectors", {"attendances": attendances or 0, "people": people or 0})
    return Classroom(courses=courses, total=total, by_sector=_ordered_lines(values), everyone=everyone)


def _terms(start: date, end: date, actor: User) -> tuple[list[Programme], list[Term]]:
    """Twilight terms whose window starts in the year: the summer term of the school year
    before, then autumn and spring of the school year starting in it."""
    found, series = [], []
    for programme in sorted(twilights.list_series(), key=lambda p: p.starts_on):
        for term in twilights.terms_of(programme):
            first, _ = twilights.term_window(programme.starts_on.year, term.term)
            if start <= first <= end:
                found.append(Term(term=term, report=twilights.term_report(term, actor=actor)))
                if programme not in series:
                    series.append(programme)
    found.sort(key=lambda t: twilights.term_window(t.term.programme.starts_on.year, t.term.term)[0])
    return series, found


def _weeks(start: date, end: date) -> list[WeekReport]:
    return [week_report(programme) for programme in sorted(week_programmes.weeks(), key=lambda p: p.starts_on)
            if start <= programme.starts_on <= end]


def _distinct_hows(found: followup.Results, limit: int) -> followup.Results:
    found.hows = list(dict.fromkeys(found.hows))[:limit]
    return found


def check_started(year: int, today: date) -> None:
    """DomainError on `year` for a financial year that has not started."""
    if date(year, 4, 1) > today:
        latest = today.year if today.month >= 4 else today.year - 1
        raise DomainError(f"{year_label(year)} has not started yet: enter {year_label(latest)} or an earlier year",
                          field="year")


def annual_report(year: int, *, actor: User, today: date) -> AnnualReport:
    """The pack for the financial year starting in April `year`, counted to its end or,
    while it is not over, to `today` (London): sessions, twilight terms and Safeguarding
    Weeks that have not started yet are not in it, and compliance is counted on 31 March
    or today. DomainError on `year` for a year that has not started."""
    check_may_see(actor)
    check_started(year, today)
    start, end = date(year, 4, 1), date(year + 1, 3, 31)
    to = min(end, today)
    series, terms = _terms(start, to, actor)
    sectors = overview_by("sector", as_of=to)
    for group in sectors:
        if group.key is None:
            group.name = NO_SECTOR
    return AnnualReport(
        year=year, start=start, end=end, today=today, to=to,
        elearning=_elearning(start, to),
        classroom=_classroom(start, to),
        twilight_series=series, terms=terms,
        weeks=_weeks(start, to),
        evaluations=evaluations.summarise(evaluations.Filters(date_from=start, date_to=to), quotes=10),
        followup=_distinct_hows(followup.results(start=start, end=to, hows=30), 10),
        compliance=Compliance(as_of=to, sectors=sectors, total=overview_total(sectors)),
    )


# --- words ready to paste ----------------------------------------------------------------------

def _n(number) -> str:
    return f"{number:,}"


def _pc(value) -> str:
    return "no answers" if value is None else f"{value}%"


def paste(report: AnnualReport) -> dict[str, list[str]]:
    """Each section's figures as sentences for the yearly report."""
    words: dict[str, list[str]] = {}
    e = report.elearning
    if e.total.value("total"):
        quarters = ", ".join(f"{_n(e.total.value(b.key))} in {b.label}" for b in e.quarters)
        sectors = "; ".join(f"{line.name} {_n(line.value('total'))}" for line in e.lines)
        words["elearning"] = [
            f"From {report.period}, {_n(e.total.value('total'))} professionals completed safeguarding e-learning "
            f"({quarters}).",
            f"By sector: {sectors}.",
        ]
    else:
        words["elearning"] = [f"No e-learning was completed from {report.period}."]
    c = report.classroom
    words["classroom"] = []
    if c.total.sessions:
        words["classroom"].append(
            f"{_n(c.courses_run)} face-to-face and virtual courses ran {_n(c.total.sessions)} sessions from "
            f"{report.period}, attended by {_n(c.total.attended + c.total.partly)} people "
            f"({_n(c.total.places)} places).")
    else:
        words["classroom"].append(f"No face-to-face or virtual sessions were held through the booking system from "
                                  f"{report.period}.")
    if c.everyone.value("attendances"):
        sectors = "; ".join(f"{line.name} {_n(line.value('attendances'))}" for line in c.by_sector)
        words["classroom"].append(
            f"The training record holds {_n(c.everyone.value('attendances'))} face-to-face and virtual attendances "
            f"in the year, by {_n(c.everyone.value('people'))} professionals. By sector: {sectors}.")
    if report.terms:
        words["twilights"] = [
            f"DSL network twilight, {t.term.label}: {t.topic} ({_n(t.report.attended)} DSLs attended; "
            f"{_n(t.report.represented)} of {_n(t.report.schools)} schools represented, {t.report.share}%)."
            for t in report.terms
        ]
    else:
        words["twilights"] = [f"The DSL network twilight series did not run from {report.period}."]
    if report.weeks:
        words["week"] = []
        for w in report.weeks:
            totals = w.totals
            words["week"].append(
                f"{w.programme.title} ({format_date(w.programme.starts_on)} to {format_date(w.programme.ends_on)}"
                f"{', ' + w.theme if w.theme else ''}): {_n(len(w.lines))} events, {_n(totals.attended)} professionals "
                f"attended, {_n(totals.registered)} public registrations and {_n(totals.public_attended)} members of "
                f"the public attending.")
    else:
        words["week"] = [f"There was no Safeguarding Week from {report.period}."]
    s = report.evaluations
    if s.responses:
        words["evaluations"] = [
            f"{_n(s.responses)} evaluations: {_pc(s.satisfaction_percent)} were satisfied or very satisfied, and "
            f"{_pc(s.skills_percent)} said their knowledge and skills had improved. Average confidence rose from "
            f"{s.confidence_before} to {s.confidence_after} out of 5."]
    else:
        words["evaluations"] = [f"No evaluations were given for training completed from {report.period}."]
    f = report.followup
    if f.sent:
        words["followup"] = [
            f"Impact follow-up: {_n(f.answered)} of {_n(f.sent)} attendees answered ({_pc(f.response_rate)}); "
            f"{_pc(f.used_percent)} of them had used what they learned."]
    else:
        words["followup"] = [f"No impact follow-ups were sent for training attended from {report.period}."]
    total = report.compliance.total
    if total.total:
        words["compliance"] = [
            f"On {format_date(report.compliance.as_of)}, {total.percent(engine.CURRENT)}% of training requirements "
            f"were current and {total.percent(engine.OVERDUE)}% overdue."]
    else:
        words["compliance"] = ["No compliance statuses were recorded."]
    return words


STATUS_NAMES = {engine.CURRENT: "Current", engine.DUE_SOON: "Due soon", engine.OVERDUE: "Overdue",
                engine.NOT_YET_DUE: "Not yet due"}


def mode_name(code: str) -> str:
    return DELIVERY_MODES.get(code, code)


# --- the same figures as tables (page, PDF and spreadsheet) -------------------------------------

@dataclass
class Table:
    key: str
    title: str
    header: list[str]
    rows: list[list]
    chart: list[tuple[str, int]] = field(default_factory=list)  # (label, number) for the page's chart

    @property
    def sheet(self) -> str:
        """The spreadsheet's name for it (unique, at most 31 characters)."""
        if self.key.startswith("week-sectors-"):
            return f"Week {self.key.rsplit('-', 1)[1]} by sector"
        return SHEETS[self.key]


SHEETS = {
    "elearning": "E-learning by sector", "classroom-courses": "Courses run",
    "classroom-sectors": "Attendances by sector", "twilights": "Twilights", "week": "Safeguarding Week",
    "evaluations": "Evaluations", "followup": "Impact follow-up", "compliance": "Compliance by sector",
}


SECTIONS = {
    "elearning": "E-learning: unique learners by sector and quarter",
    "classroom": "Face-to-face and virtual training",
    "twilights": "DSL network twilights",
    "week": "Safeguarding Week",
    "evaluations": "Evaluations",
    "followup": "Impact follow-up",
    "compliance": "Compliance by sector at the year end",
}


def sections(report: AnnualReport) -> dict[str, str]:
    """The section headings, the compliance one naming its day while the year is not over."""
    if report.over:
        return dict(SECTIONS)
    return {**SECTIONS, "compliance": f"Compliance by sector on {report.to.day} {report.to:%B %Y}"}


def _percent_text(value) -> str:
    return "" if value is None else f"{value}%"


def tables(report: AnnualReport) -> dict[str, list[Table]]:
    """Each section's tables (empty when the section has nothing to show)."""
    found: dict[str, list[Table]] = {key: [] for key in SECTIONS}
    e = report.elearning
    if e.total.value("total"):
        keys = [b.key for b in e.quarters] + ["total"]
        found["elearning"].append(Table(
            "elearning", "Unique e-learning learners by sector and quarter",
            ["Sector", *[f"{b.key} ({b.label})" for b in e.quarters], "Year"],
            [[line.name, *[line.value(k) for k in keys]] for line in e.lines + [e.total]],
            chart=[(line.name, line.value("total")) for line in e.lines]))
    c = report.classroom
    if c.courses:
        found["classroom"].append(Table(
            "classroom-courses", "Face-to-face and virtual courses run",
            ["Course", "Course code", "Sessions held", "Sessions cancelled", "Places", "Attended", "Partly attended",
             "No-shows"],
            [[line.title, line.code, line.sessions, line.cancelled_sessions, line.places, line.attended, line.partly,
              line.no_shows] for line in c.courses + [c.total]]))
    if c.everyone.value("attendances"):
        found["classroom"].append(Table(
            "classroom-sectors", "Face-to-face and virtual attendances by sector",
            ["Sector", "Attendances", "People"],
            [[line.name, line.value("attendances"), line.value("people")] for line in c.by_sector + [c.everyone]],
            chart=[(line.name, line.value("attendances")) for line in c.by_sector]))
    if report.terms:
        found["twilights"].append(Table(
            "twilights", "DSL network twilights by term",
            ["Term", "Topic", "DSLs attending", "Schools represented", "Schools", "Schools represented %"],
            [[t.term.label, t.topic, t.report.attended, t.report.represented, t.report.schools, t.report.share]
             for t in report.terms],
            chart=[(t.term.label, t.report.attended) for t in report.terms]))
    if report.weeks:
        found["week"].append(Table(
            "week", "Safeguarding Week",
            ["Week", "Events", "Professionals booked", "Professionals attended", "Public registrations",
             "Public attending", "Other engagement"],
            [[w.programme.title, len(w.lines), w.totals.booked, w.totals.attended, w.totals.registered,
              w.totals.public_attended,
              sum(n for code, n in w.engagement.items() if code != "public-attended")] for w in report.weeks]))
        for w in report.weeks:
            found["week"].append(Table(
                f"week-sectors-{w.programme.id}", f"{w.programme.title}: attendance by sector",
                ["Sector", "Attended"], [list(row) for row in w.by_sector],
                chart=[(name, number) for name, number in w.by_sector]))
    s = report.evaluations
    if s.responses:
        found["evaluations"].append(Table(
            "evaluations", "Evaluation results", ["Measure", "Result"],
            [["Responses", s.responses],
             ["Satisfied or very satisfied", _percent_text(s.satisfaction_percent)],
             ["Knowledge and skills improved", _percent_text(s.skills_percent)],
             ["Confidence before, average of 1 to 5", s.confidence_before],
             ["Confidence after, average of 1 to 5", s.confidence_after],
             ["More confident after than before", _percent_text(s.more_confident_percent)]],
            chart=[("Satisfied", int(s.satisfaction_percent or 0)), ("Skills improved", int(s.skills_percent or 0)),
                   ("More confident", int(s.more_confident_percent or 0))]))
    f = report.followup
    if f.sent:
        found["followup"].append(Table(
            "followup", "Impact follow-up", ["Measure", "Result"],
            [["Follow-ups sent", f.sent], ["Answered", f.answered], ["Response rate", _percent_text(f.response_rate)],
             ["Have used what they learned", f.used_counts.get("yes", 0)], ["Not yet", f.used_counts.get("not-yet", 0)],
             ["No", f.used_counts.get("no", 0)], ["Used it, of those who answered", _percent_text(f.used_percent)]]))
    comp = report.compliance
    if comp.total.total:
        statuses = list(STATUS_NAMES)
        found["compliance"].append(Table(
            "compliance", f"Training requirements by status on {format_date(comp.as_of)}",
            ["Sector", *STATUS_NAMES.values(), "Counted", "Current %", "Overdue %"],
            [[g.name, *[g.count(status) for status in statuses], g.total, g.percent(engine.CURRENT),
              g.percent(engine.OVERDUE)] for g in comp.sectors + [comp.total]],
            chart=[(g.name, g.percent(engine.CURRENT)) for g in comp.sectors]))
    return found


def sector_codes(ids) -> dict:
    """{sector id: stable code} for the ids given (one statement)."""
    known = [i for i in ids if i is not None]
    return dict(db.session.execute(select(Sector.id, Sector.code).where(Sector.id.in_(known))).all()) if known else {}
