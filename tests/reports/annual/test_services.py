"""The annual report pack's figures: against direct counts, and equal to the uptake,
sessions, twilight, week and compliance reports' for the same year."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from lms.accounts.models import User
from lms.compliance.models import ComplianceStatus, Requirement
from lms.compliance.overview import overview_by
from lms.core.errors import DomainError, Forbidden
from lms.evaluations.followup import services as followup
from lms.evaluations.followup.models import FollowUp
from lms.extensions import db
from lms.records.models import Completion
from lms.reports import services as uptake_reports
from lms.reports.annual import services
from lms.reports.sessions import sessions_report
from lms.reports.week.services import week_report
from tests.reports.week.test_report import held_week  # noqa: F401  (fixture)
from tests.programmes.week.conftest import make_event, week  # noqa: F401  (fixtures)
from lms.programmes.twilights import services as twilights
from tests import factories
from tests.reports.annual.conftest import AFTER_YEAR, END, START, term


@pytest.fixture()
def report(year_of_data, trainer):
    return services.annual_report(2026, actor=trainer, today=AFTER_YEAR)


@pytest.mark.parametrize("text, message", [
    ("", "like 2025-26"), ("2025", "like 2025-26"), ("2025-2026", "like 2025-26"), ("25-26", "like 2025-26"),
    ("2025-27", "the year after"), ("1999-00", "from 2000-01"), ("2025-26; drop", "like 2025-26"),
])
def test_a_bad_year_is_named(text, message):
    with pytest.raises(DomainError, match=message) as error:
        services.parse_year(text)
    assert error.value.field == "year"


def test_years_read_and_print():
    assert services.parse_year(" 2025-26 ") == 2025 and services.parse_year("2099-00") == 2099
    assert services.year_label(2025) == "2025-26" and services.year_label(2099) == "2099-00"
    assert services.latest_full_year(date(2026, 12, 7)) == 2025
    assert services.latest_full_year(date(2026, 3, 31)) == 2024


def test_only_admins_and_trainers(year_of_data, admin):
    assert services.annual_report(2026, actor=admin, today=AFTER_YEAR).label == "2026-27"
    for person in (year_of_data["people"]["ana"], factories.user("lead@example.org", leads=())):
        with pytest.raises(Forbidden):
            services.annual_report(2026, actor=person, today=AFTER_YEAR)


def test_elearning_learners_by_sector_and_quarter(report, year_of_data):
    e = report.elearning
    lines = {line.code: line for line in e.lines}
    assert set(lines) == {"education", "early-years"}
    assert [lines["education"].value(b.key) for b in e.quarters] + [lines["education"].value("total")] == [2, 0, 1, 0, 2]
    assert [lines["early-years"].value(b.key) for b in e.quarters] + [lines["early-years"].value("total")] == [0, 0, 0, 1, 1]
    assert e.total.value("total") == 3
    # A direct count.
    assert e.total.value("total") == db.session.scalar(
        select(func.count(func.distinct(Completion.user_id)))
        .where(Completion.delivery_mode == "elearning", Completion.completed_on.between(START, END)))
    # The uptake report's e-learning row for the same year, quarter by quarter.
    uptake = uptake_reports.uptake(uptake_reports.UptakeQuery(START, END, by="delivery-mode", period="quarter"))
    row = next(r for r in uptake.rows if r.key == "elearning")
    for bucket in e.quarters:
        assert e.total.value(bucket.key) == row.value("unique-learners", bucket.key)
    assert e.total.value("total") == row.value("unique-learners", "total")


def test_face_to_face_and_virtual_equal_the_sessions_and_uptake_reports(report, year_of_data):
    c = report.classroom
    sessions = sessions_report(START, END)
    wanted = {year_of_data["f2f"].code, year_of_data["virtual"].code}
    same = [line for line in sessions.lines if line.code in wanted]
    assert [(line.code, line.sessions, line.attended, line.partly, line.no_shows) for line in c.courses] == [
        (line.code, line.sessions, line.attended, line.partly, line.no_shows) for line in same]
    assert (c.courses_run, c.total.sessions, c.total.attended, c.total.partly, c.total.no_shows) == (2, 2, 3, 1, 1)
    # The twilights are not face-to-face courses.
    assert "TWILIGHT" not in [line.code for line in c.courses]
    # Attendances: the uptake report's completions for the two modes; by sector.
    uptake = uptake_reports.uptake(uptake_reports.UptakeQuery(START, END, by="delivery-mode", period="year"))
    by_mode = {row.key: row.value("completions", "total") for row in uptake.rows}
    assert c.everyone.value("attendances") == by_mode["face-to-face"] + by_mode["virtual"] == 4
    assert c.everyone.value("people") == 3
    assert {line.code: line.value("attendances") for line in c.by_sector} == {"education": 3, "early-years": 1}
    by_sector = uptake_reports.uptake(uptake_reports.UptakeQuery(START, END, by="sector", period="year"))
    education = next(row for row in by_sector.rows if row.key == "education")
    # Every completion in education this year: e-learning (3), face-to-face and virtual (3), twilights (2).
    assert education.value("completions", "total") == 3 + 3 + 2


def test_twilight_terms_of_the_year(report, year_of_data, series, trainer):
    assert [t.term.label for t in report.terms] == ["Autumn 2026", "Spring 2027"]
    autumn = report.terms[0]
    direct = twilights.term_report(term(series, "autumn"), actor=trainer)
    assert (autumn.report.attended, autumn.report.represented, autumn.report.schools) == (
        direct.attended, direct.represented, direct.schools) == (2, 2, 5)
    assert autumn.topic == "Online extremism: the school response"
    assert report.terms[1].report.attended == 0
    words = services.paste(report)["twilights"]
    assert words[0] == ("DSL network twilight, Autumn 2026: Online extremism: the school response (2 DSLs attended; "
                        "2 of 5 schools represented, 40.0%).")
    # The year before had no series: said plainly.
    before = services.annual_report(2024, actor=trainer, today=AFTER_YEAR)
    assert before.terms == [] and services.paste(before)["twilights"] == [
        "The DSL network twilight series did not run from April 2024 to March 2025."]


def test_no_week_that_year_is_said_plainly(report):
    assert report.weeks == []
    assert services.paste(report)["week"] == ["There was no Safeguarding Week from April 2026 to March 2027."]
    assert services.tables(report)["week"] == []


def test_evaluations_with_only_consented_quotes(report):
    s = report.evaluations
    assert (s.responses, s.satisfaction_percent, s.skills_percent, s.confidence_before, s.confidence_after) == (
        2, 50, 50, 2, 4)
    assert s.quotes == ["I will check the chronology first."]
    assert "Something private." not in str(services.tables(report)) + str(services.paste(report))


def test_followup_of_the_year(report):
    f = report.followup
    sent = db.session.scalar(select(func.count()).select_from(FollowUp).where(
        FollowUp.sent_at.is_not(None), FollowUp.completed_on.between(START, END)))
    # Ana, Ben (twice: face-to-face and virtual), Cal and the two DSLs.
    assert f.sent == sent == 6
    assert (f.answered, f.response_rate, f.used_percent) == (1, 17, 100)
    assert f.hows == ["I used the new referral form."]
    assert services.paste(report)["followup"] == [
        "Impact follow-up: 1 of 6 attendees answered (17%); 100% of them had used what they learned."]
    same = followup.results(start=START, end=END)
    assert (same.sent, same.answered) == (f.sent, f.answered)


def test_compliance_by_sector_at_the_year_end(report):
    assert report.compliance.as_of == END
    expected = overview_by("sector", as_of=END)
    assert [(g.name, g.counts) for g in report.compliance.sectors] == [(g.name, g.counts) for g in expected]
    counted = db.session.scalar(
        select(func.count()).select_from(ComplianceStatus)
        .join(Requirement, Requirement.id == ComplianceStatus.requirement_id)
        .join(User, User.id == ComplianceStatus.user_id)
        .where(User.active.is_(True), User.organisation_id.is_not(None), Requirement.active.is_(True)))
    assert report.compliance.total.total == counted > 0


def test_a_year_not_over_counts_compliance_today(year_of_data, trainer):
    report = services.annual_report(2026, actor=trainer, today=date(2027, 1, 10))
    assert not report.over and report.compliance.as_of == date(2027, 1, 10)


def test_the_words_to_paste(report):
    words = services.paste(report)
    assert words["elearning"][0] == ("From April 2026 to March 2027, 3 professionals completed safeguarding e-learning "
                                     "(2 in Apr to Jun 2026, 0 in Jul to Sep 2026, 1 in Oct to Dec 2026, "
                                     "1 in Jan to Mar 2027).")
    assert words["classroom"][0] == ("2 face-to-face and virtual courses ran 2 sessions from April 2026 to March 2027, "
                                     "attended by 4 people (40 places).")
    assert words["evaluations"][0].startswith("2 evaluations: 50% were satisfied or very satisfied")


def test_the_week_of_the_year_equals_the_week_report(held_week, admin):
    """Safeguarding Week 2027 (June) is in the financial year 2027-28."""
    report = services.annual_report(2027, actor=admin, today=date(2028, 4, 10))
    direct = week_report(held_week.programme)
    assert [w.programme.id for w in report.weeks] == [held_week.programme.id]
    found = report.weeks[0]
    assert (found.totals.attended, found.totals.registered, found.totals.public_attended, len(found.lines)) == (
        direct.totals.attended, direct.totals.registered, direct.totals.public_attended, len(direct.lines))
    assert (found.totals.attended, found.totals.registered, found.totals.public_attended) == (2, 4, 60)
    table = services.tables(report)["week"][0]
    assert table.rows[0][3:6] == [2, 4, 60]
    assert "2 professionals attended, 4 public registrations and 60 members of the public attending" in \
        services.paste(report)["week"][0]
    assert services.annual_report(2026, actor=admin, today=date(2028, 4, 10)).weeks == []


def test_a_year_not_over_is_counted_to_today(year_of_data, trainer, report):
    """On 31 December 2026: Cal's February e-learning, a session in January and the spring
    twilight term are not in it yet, and the words say so."""
    from datetime import datetime, timezone

    from tests.bookings.conftest import make_session_row

    make_session_row(year_of_data["f2f"], starts_at=datetime(2027, 1, 20, 10, 0, tzinfo=timezone.utc))
    db.session.commit()
    today = date(2026, 12, 31)
    so_far = services.annual_report(2026, actor=trainer, today=today)
    whole = services.annual_report(2026, actor=trainer, today=AFTER_YEAR)
    assert (so_far.to, so_far.over, whole.to, whole.over) == (today, False, END, True)
    assert [b.key for b in so_far.elearning.quarters] == ["2026-27 Q1", "2026-27 Q2", "2026-27 Q3"]
    assert (so_far.elearning.total.value("total"), whole.elearning.total.value("total")) == (2, 3)
    assert whole.classroom.total.sessions == so_far.classroom.total.sessions + 1
    assert [t.term.label for t in so_far.terms] == ["Autumn 2026"]
    assert so_far.compliance.as_of == today
    assert services.sections(so_far)["compliance"] == "Compliance by sector on 31 December 2026"
    assert services.sections(whole)["compliance"] == "Compliance by sector at the year end"
    words = services.paste(so_far)
    assert words["elearning"][0].startswith("From 1 April 2026 to 31 December 2026, 2 professionals completed")
    assert "from 1 April 2026 to 31 December 2026" in words["classroom"][0]
    assert (so_far.year_period, so_far.period) == ("April 2026 to March 2027", "1 April 2026 to 31 December 2026")


def test_a_year_not_started_is_refused_on_the_field(trainer):
    with pytest.raises(DomainError) as refused:
        services.annual_report(2027, actor=trainer, today=date(2027, 3, 31))
    assert refused.value.field == "year"
    assert refused.value.message == "2027-28 has not started yet: enter 2026-27 or an earlier year"
    assert services.annual_report(2027, actor=trainer, today=date(2027, 4, 1)).to == date(2027, 4, 1)
