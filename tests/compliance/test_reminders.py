"""Training reminders and setting leads' weekly digests: when they are queued, to whom,
once only (twice the same day, two runs at once, after a missed week, after a new
completion), delivered by the real send job to a real SMTP server, and shown on
/account/emails. Every case passes its own `now`; the status table is computed with it."""
from __future__ import annotations

import threading
from collections import Counter
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from lms.catalogue.models import Course
from lms.compliance import reminders, services
from lms.compliance.reminders import queue_lead_digests, queue_reminders
from lms.core.time import LONDON, add_months
from lms.extensions import db
from lms.notifications.jobs import send_outbox
from lms.notifications.models import OutboundEmail
from lms.records import services as records
from lms.runner import run_job
from lms.scheduler import JOBS
from tests import factories
from tests.notifications.helpers import use_smtp
from tests.notifications.smtp import SMTPServer

DUE = date(2026, 9, 10)  # the worked example: a DSL whose role training is due on 10 Sep 2026

COURSES = {
    # code: (title, delivery mode, hours, requirement codes)
    "DSL-NEW": ("DSL new to role", "face-to-face", "12", ["dsl-role-training"]),
    "DSL-REFRESH": ("DSL refresher", "virtual", "6", ["dsl-role-training"]),
    "TWILIGHT": ("DSL network twilight", "twilight", "2", ["dsl-annual-update"]),
    "SGE": ("Safeguarding Everyone", "elearning", "2", ["staff-safeguarding", "vcs-safeguarding", "health-l1"]),
    "UPDATE": ("Annual safeguarding update for school staff", "elearning", "1", ["staff-annual-update"]),
    "EY-ANNEXC": ("Early Years Safeguarding, EYFS Annex C", "face-to-face", "6", ["eyfs-annex-c"]),
    "CE": ("Child Exploitation", "elearning", "1", []),
}


def at(day: date, hour: int = 6) -> datetime:
    """The job's time on a London day (06:00, as scheduled)."""
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=LONDON)


@pytest.fixture()
def courses():
    made = {}
    for code, (title, mode, hours, requirements) in COURSES.items():
        course = Course(
            code=code, title=title, summary="-", learning_outcomes=[], delivery_mode=mode, cpd_hours=Decimal(hours),
            level=1, requirement_codes=requirements, created_at=at(date(2020, 1, 1)), updated_at=at(date(2020, 1, 1)),
        )
        db.session.add(course)
        made[code] = course
    db.session.flush()
    return made


_refs = iter(range(1, 10**6))


def complete(person, course, on: date, *, now: datetime):
    """Record a completion; the signal recomputes the person's status rows as of `now`."""
    records.record_completion(
        person, title=course.title, delivery_mode=course.delivery_mode, on=on, hours=course.cpd_hours,
        source="imported", source_ref=f"ref-{next(_refs)}", course=course, now=now,
    )


def dsl_due_on(courses, due: date, *, now: datetime, organisation=None, **options):
    """A school DSL whose DSL role training falls due on `due` (trained 24 months before)."""
    person = factories.user(
        organisation=organisation or factories.organisation(), roles=("school-dsl",), role_start=date(2015, 1, 1),
        **options,
    )
    complete(person, courses["DSL-NEW"], add_months(due, -24), now=now)
    return person


def ey_due_on(courses, due: date, organisation, *, now: datetime, **options):
    """An early-years practitioner (one requirement: EYFS Annex C, 24 months) due on `due`."""
    person = factories.user(
        organisation=organisation, roles=("ey-practitioner",), role_start=date(2015, 1, 1), **options
    )
    complete(person, courses["EY-ANNEXC"], add_months(due, -24), now=now)
    return person


def run(day: date) -> dict:
    summary = queue_reminders(now=at(day))
    db.session.commit()
    return summary


def digests(day: date) -> dict:
    summary = queue_lead_digests(now=at(day))
    db.session.commit()
    return summary


def outbox() -> list[OutboundEmail]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboundEmail).order_by(OutboundEmail.id)))


def keys(about: str = "") -> list[str]:
    return [email.dedupe_key for email in outbox() if about in (email.dedupe_key or "")]


def days(start: date, end: date):
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)


# --- milestones -------------------------------------------------------------------------------

def test_dsl_due_on_10_september_gets_each_reminder_on_its_day(courses):
    dsl = dsl_due_on(courses, DUE, now=at(date(2026, 7, 1)))
    db.session.commit()

    first_queued: dict[str, date] = {}
    for day in days(date(2026, 7, 1), date(2026, 9, 20)):
        run(day)
        for key in keys():
            first_queued.setdefault(key, day)

    prefix = f"reminder:{dsl.id}:dsl-role-training:2026-09-10"
    # Nothing else: the DSL's other requirements were overdue long before (outside the
    # catch-up window) or have no due date.
    assert first_queued == {
        f"{prefix}:60": date(2026, 7, 12),
        f"{prefix}:30": date(2026, 8, 11),
        f"{prefix}:7": date(2026, 9, 3),
        f"{prefix}:overdue": date(2026, 9, 11),
    }
    assert len(outbox()) == 4


def test_sixty_day_reminder_not_on_the_day_before(courses):
    dsl_due_on(courses, DUE, now=at(date(2026, 7, 11)))
    db.session.commit()
    assert run(date(2026, 7, 11)) == {"reminders queued": 0, "induction emails queued": 0}
    assert outbox() == []
    assert run(date(2026, 7, 12)) == {"reminders queued": 1, "induction emails queued": 0}


def test_reminder_says_what_when_and_what_counts(courses, app):
    dsl = dsl_due_on(courses, DUE, now=at(date(2026, 7, 12)), full_name="Dana Lee")
    db.session.commit()
    run(date(2026, 7, 12))

    [email] = outbox()
    assert email.user_id == dsl.id
    assert email.to_address == dsl.email
    assert email.category == "reminder"
    assert email.subject == "DSL role training is due by 10 September 2026"
    body = email.body_text
    assert body.startswith("Dear Dana Lee,")
    assert "Your DSL role training is due by 10 September 2026, in 60 days." in body
    # What counts: the courses whose requirement codes include it, and nothing else.
    assert "- DSL new to role\n" in body and "- DSL refresher\n" in body
    assert "Safeguarding Everyone" not in body and "Child Exploitation" not in body
    assert app.config["BASE_URL"].rstrip("/") + "/my-training" in body
    assert "/account/emails" in body


def test_overdue_email_and_counting_from_modes(courses):
    """The DSL annual update counts twilights (a delivery mode) and DSL role training."""
    dsl = factories.user(organisation=factories.organisation(), roles=("school-dsl",), role_start=date(2015, 1, 1))
    complete(dsl, courses["TWILIGHT"], date(2025, 9, 20), now=at(date(2026, 9, 21)))
    db.session.commit()
    run(date(2026, 9, 21))
    [email] = [e for e in outbox() if ":dsl-annual-update:" in e.dedupe_key]
    assert email.dedupe_key == f"reminder:{dsl.id}:dsl-annual-update:2026-09-20:overdue"
    assert email.subject == "Overdue: DSL annual knowledge update (was due by 20 September 2026)"
    assert "is overdue. It was due by 20 September 2026." in email.body_text
    for counted in ("- DSL network twilight\n", "- DSL new to role\n", "- DSL refresher\n",
                    "- any DSL network twilight session\n"):
        assert counted in email.body_text


# --- once only --------------------------------------------------------------------------------

def test_running_twice_the_same_day_queues_nothing_more(courses):
    dsl_due_on(courses, DUE, now=at(date(2026, 8, 11)))
    db.session.commit()
    assert run(date(2026, 8, 11))["reminders queued"] == 1
    assert run(date(2026, 8, 11)) == {"reminders queued": 0, "induction emails queued": 0}
    # Later the same day too.
    assert queue_reminders(now=at(date(2026, 8, 11), hour=23)) == {"reminders queued": 0, "induction emails queued": 0}
    db.session.commit()
    assert len(outbox()) == 1


def _busy_day(courses, today: date):
    """People with something to be told on `today`; returns the dedupe keys expected."""
    school = factories.organisation(name="Hill Primary")
    expected = []
    for offset, milestone in ((60, "60"), (30, "30"), (7, "7"), (-1, "overdue")):
        for _ in range(3):
            due = today + timedelta(days=offset)
            person = dsl_due_on(courses, due, now=at(today), organisation=school)
            expected.append(reminders.reminder_key(person.id, "dsl-role-training", due, milestone))
    starter = factories.user(organisation=school, roles=("teacher",), role_start=today - timedelta(days=3))
    services.refresh_status([starter.id], now=at(today))
    expected.append(reminders.induction_key(starter.id, "staff-safeguarding", today + timedelta(days=27)))
    expected.append(reminders.induction_key(starter.id, "staff-annual-update", today + timedelta(days=87)))
    lead = factories.user(organisation=school, roles=(), leads=(school,))
    expected.append(reminders.digest_key(lead.id, today))
    db.session.commit()
    return expected


def test_two_runs_at_once_queue_each_email_once_and_the_send_job_delivers_them(app, courses, monkeypatch):
    today = date(2026, 7, 13)  # a Monday
    expected = _busy_day(courses, today)
    db.session.remove()

    barrier = threading.Barrier(2)
    summaries, errors = [], []

    def job():
        try:
            with app.app_context():
                barrier.wait(timeout=10)
                result = {**queue_reminders(now=at(today)), **queue_lead_digests(now=at(today))}
                db.session.commit()
                summaries.append(result)
        except BaseException as error:  # reported below, so a crash in a thread fails the test
            errors.append(error)
        finally:
            with app.app_context():
                db.session.remove()

    threads = [threading.Thread(target=job) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(summaries) == 2

    queued = outbox()
    assert Counter(email.dedupe_key for email in queued) == Counter(expected)
    assert sum(s["reminders queued"] for s in summaries) == 12
    assert sum(s["induction emails queued"] for s in summaries) == 2
    assert sum(s["digests queued"] for s in summaries) == 1

    # The real send job, to a real SMTP server: every queued email arrives once.
    with SMTPServer() as server:
        use_smtp(app, monkeypatch, server)
        result = send_outbox(now=at(today, hour=7))
        assert result["sent"] == len(queued) == len(expected)
        assert len(server.messages) == len(queued)
        # (a long Subject is folded on the wire; unfolding leaves a leading space)
        assert Counter(message["Subject"].strip() for message in server.messages) == Counter(e.subject for e in queued)
        assert sorted(message["To"] for message in server.messages) == sorted(e.to_address for e in queued)
        # A run after delivery queues and sends nothing more.
        assert run(today) == {"reminders queued": 0, "induction emails queued": 0}
        assert digests(today) == {"digests queued": 0}
        assert send_outbox(now=at(today, hour=8))["sent"] == 0
        assert len(server.messages) == len(queued)


# --- catch-up -----------------------------------------------------------------------------------

def test_after_a_missed_week_only_the_latest_milestone_is_sent(courses):
    dsl = dsl_due_on(courses, DUE, now=at(date(2026, 7, 1)))
    db.session.commit()
    prefix = f"reminder:{dsl.id}:dsl-role-training:2026-09-10"

    run(date(2026, 7, 12))
    assert keys(":dsl-role-training:") == [f"{prefix}:60"]
    # The scheduler was stopped from 5 to 16 August: the 30-day reminder goes on the 17th.
    for day in days(date(2026, 7, 13), date(2026, 8, 4)):
        run(day)
    run(date(2026, 8, 17))
    assert keys(":dsl-role-training:") == [f"{prefix}:60", f"{prefix}:30"]
    body = outbox()[-1].body_text
    assert "due by 10 September 2026, in 24 days." in body


def test_a_long_gap_sends_the_latest_milestone_not_the_stale_ones(courses):
    dsl = dsl_due_on(courses, DUE, now=at(date(2026, 6, 1)))
    db.session.commit()
    prefix = f"reminder:{dsl.id}:dsl-role-training:2026-09-10"
    # First run on 20 August (60- and 30-day milestones both passed): only the 30-day one.
    run(date(2026, 8, 20))
    assert keys(":dsl-role-training:") == [f"{prefix}:30"]
    # Stopped again until 5 September: the 7-day milestone (3 September) is sent.
    run(date(2026, 9, 5))
    assert keys(":dsl-role-training:") == [f"{prefix}:30", f"{prefix}:7"]
    # Missed until after the due date: the overdue notice only.
    run(date(2026, 9, 25))
    assert keys(":dsl-role-training:") == [f"{prefix}:30", f"{prefix}:7", f"{prefix}:overdue"]


def test_milestones_older_than_the_catch_up_window_are_not_sent(courses):
    """Switching reminders on does not write to everyone who went overdue long ago."""
    long_ago = date(2026, 7, 1)
    dsl_due_on(courses, long_ago, now=at(date(2026, 9, 1)))
    recent = dsl_due_on(courses, date(2026, 8, 20), now=at(date(2026, 9, 1)))
    db.session.commit()
    run(date(2026, 9, 1))
    assert keys(":dsl-role-training:") == [f"reminder:{recent.id}:dsl-role-training:2026-08-20:overdue"]


def test_a_new_completion_moves_the_due_date_and_its_reminders(courses):
    dsl = dsl_due_on(courses, DUE, now=at(date(2026, 7, 1)))
    db.session.commit()
    old = f"reminder:{dsl.id}:dsl-role-training:2026-09-10"
    for day in days(date(2026, 7, 1), date(2026, 8, 19)):
        run(day)
    assert keys(":dsl-role-training:") == [f"{old}:60", f"{old}:30"]

    # A refresher on 20 August: due 20 August 2028. The old date's 7-day and overdue
    # reminders never go, and the old ones are not sent again.
    complete(dsl, courses["DSL-REFRESH"], date(2026, 8, 20), now=at(date(2026, 8, 20)))
    db.session.commit()
    for day in days(date(2026, 8, 20), date(2026, 10, 1)):
        run(day)
    assert keys(":dsl-role-training:") == [f"{old}:60", f"{old}:30"]

    new = f"reminder:{dsl.id}:dsl-role-training:2028-08-20"
    run(date(2028, 6, 20))
    assert keys(":dsl-role-training:") == [f"{old}:60", f"{old}:30"]
    run(date(2028, 6, 21))
    assert keys(":dsl-role-training:") == [f"{old}:60", f"{old}:30", f"{new}:60"]
    assert outbox()[-1].subject == "DSL role training is due by 20 August 2028"


# --- new starters ---------------------------------------------------------------------------------

def test_new_starter_gets_one_induction_email_per_requirement_then_reminders(courses):
    start = date(2026, 9, 1)
    teacher = factories.user(organisation=factories.organisation(), roles=("teacher",), role_start=start,
                             full_name="Sam New")
    services.refresh_status([teacher.id], now=at(start))
    db.session.commit()

    assert run(start) == {"reminders queued": 0, "induction emails queued": 2}
    assert run(start) == {"reminders queued": 0, "induction emails queued": 0}
    # Whole-staff training within 30 days of starting; the annual update within 90.
    induction = {email.dedupe_key: email for email in outbox()}
    staff_key = reminders.induction_key(teacher.id, "staff-safeguarding", date(2026, 10, 1))
    update_key = reminders.induction_key(teacher.id, "staff-annual-update", date(2026, 11, 30))
    assert set(induction) == {staff_key, update_key}
    email = induction[staff_key]
    assert email.subject == "Training to complete by 1 October 2026: Whole-staff safeguarding training"
    assert "Your job role needs Whole-staff safeguarding training" in email.body_text
    assert "Please complete it by 1 October 2026 (30 days from today)." in email.body_text
    assert "- Safeguarding Everyone\n" in email.body_text
    assert "- DSL new to role\n" in email.body_text  # a higher requirement's course counts too
    assert "- Child Exploitation" not in email.body_text

    # The 30-day milestone of the staff training fell on the first day and is covered by
    # the induction email; the 7-day and overdue ones follow.
    for day in days(date(2026, 9, 2), date(2026, 10, 2)):
        run(day)
    staff_keys = [key for key in keys(":staff-safeguarding:")]
    assert staff_keys == [
        staff_key,
        reminders.reminder_key(teacher.id, "staff-safeguarding", date(2026, 10, 1), "7"),
        reminders.reminder_key(teacher.id, "staff-safeguarding", date(2026, 10, 1), "overdue"),
    ]
    # The annual update (due 30 November) had its 60-day reminder on 1 October.
    assert reminders.reminder_key(teacher.id, "staff-annual-update", date(2026, 11, 30), "60") in keys()


def test_induction_email_stands_for_a_milestone_that_had_already_passed(courses):
    """Someone registered late in their induction period: the induction email, and not a
    "7 days" reminder for a milestone that passed before it, the day after."""
    teacher = factories.user(organisation=factories.organisation(), roles=("teacher",),
                             role_start=date(2026, 9, 1))
    services.refresh_status([teacher.id], now=at(date(2026, 9, 26)))
    db.session.commit()
    run(date(2026, 9, 26))  # the 7-day milestone of the 1 October deadline was on 24 September
    run(date(2026, 9, 27))
    run(date(2026, 9, 30))
    induction = reminders.induction_key(teacher.id, "staff-safeguarding", date(2026, 10, 1))
    assert keys(":staff-safeguarding:") == [induction]
    run(date(2026, 10, 2))
    assert keys(":staff-safeguarding:")[-1] == reminders.reminder_key(
        teacher.id, "staff-safeguarding", date(2026, 10, 1), "overdue"
    )


# --- who gets nothing -------------------------------------------------------------------------------

def test_closed_and_dormant_accounts_get_nothing(courses):
    today = date(2026, 7, 12)
    school = factories.organisation()
    closed = dsl_due_on(courses, DUE, now=at(today), organisation=school)
    dormant = dsl_due_on(courses, DUE, now=at(today), organisation=school)
    active = dsl_due_on(courses, DUE, now=at(today), organisation=school)
    closed.active = False
    dormant.dormant_at = at(date(2026, 6, 1))
    closed_starter = factories.user(organisation=school, roles=("teacher",), role_start=today)
    closed_starter.active = False
    services.refresh_status([closed_starter.id], now=at(today))
    # Leads: a closed one and a dormant one get no digest.
    closed_lead = factories.user(organisation=school, roles=(), leads=(school,))
    closed_lead.active = False
    dormant_lead = factories.user(organisation=school, roles=(), leads=(school,))
    dormant_lead.dormant_at = at(date(2026, 6, 1))
    db.session.commit()

    run(today)
    digests(today)
    assert {email.user_id for email in outbox()} == {active.id}
    assert keys() == [reminders.reminder_key(active.id, "dsl-role-training", DUE, "60")]


# --- setting leads' digests ----------------------------------------------------------------------------

def test_lead_digest_once_a_week_only_their_own_staff_and_not_when_nothing_is_due(courses):
    monday = date(2026, 9, 7)
    nursery = factories.organisation(name="Acorn Nursery", type_code="day-nursery")
    other = factories.organisation(name="Birch Nursery", type_code="day-nursery")
    quiet = factories.organisation(name="Cedar Nursery", type_code="day-nursery")
    now = at(monday)
    soon = ey_due_on(courses, monday + timedelta(days=45), nursery, now=now, full_name="Ann Soon")
    late = ey_due_on(courses, date(2026, 3, 1), nursery, now=now, full_name="Bob Late")
    ey_due_on(courses, monday + timedelta(days=300), nursery, now=now, full_name="Cat Current")
    later = ey_due_on(courses, monday + timedelta(days=61), nursery, now=now, full_name="Dee Later")
    closed = ey_due_on(courses, date(2026, 3, 1), nursery, now=now, full_name="Eve Closed")
    closed.active = False
    ey_due_on(courses, date(2026, 5, 1), other, now=now, full_name="Fay Elsewhere")
    ey_due_on(courses, monday + timedelta(days=400), quiet, now=now, full_name="Gus Fine")
    lead = factories.user(organisation=nursery, roles=(), leads=(nursery,), full_name="Lena Lead")
    other_lead = factories.user(organisation=other, roles=(), leads=(other,))
    quiet_lead = factories.user(organisation=quiet, roles=(), leads=(quiet,))
    db.session.commit()

    assert digests(monday) == {"digests queued": 2}
    by_user = {email.user_id: email for email in outbox()}
    assert set(by_user) == {lead.id, other_lead.id}  # nobody due at Cedar: no email
    assert quiet_lead.id not in by_user

    email = by_user[lead.id]
    assert email.dedupe_key == f"digest:{lead.id}:2026-W37"
    assert email.category == "staff-digest"
    assert email.to_address == lead.email
    assert email.subject == "Staff training due or overdue, week of 7 September 2026: Acorn Nursery"
    body = email.body_text
    assert body.startswith("Dear Lena Lead,")
    assert "Acorn Nursery" in body
    assert "Early years safeguarding training (EYFS Annex C):\n" in body
    # Overdue first, then by due date.
    assert "- Bob Late: overdue, was due by 1 March 2026\n- Ann Soon: due by 22 October 2026\n" in body
    assert "2 people listed, 1 overdue on something." in body
    for absent in ("Cat Current", "Dee Later", "Eve Closed", "Fay Elsewhere", "Gus Fine"):
        assert absent not in body
    assert f"/organisation/compliance?organisation={nursery.id}" in body
    assert "Fay Elsewhere: overdue, was due by 1 May 2026" in by_user[other_lead.id].body_text
    assert soon.full_name not in by_user[other_lead.id].body_text

    # The rest of the week: nothing more (the job runs daily).
    for day in days(monday + timedelta(days=1), monday + timedelta(days=6)):
        assert digests(day) == {"digests queued": 0}
    # Next week: a new digest.
    assert digests(monday + timedelta(days=7)) == {"digests queued": 2}
    assert keys(f"digest:{lead.id}:") == [f"digest:{lead.id}:2026-W37", f"digest:{lead.id}:2026-W38"]
    # Once everyone due or nearly due has trained, nothing is due at Acorn: no digest.
    for person in (late, soon, later):
        complete(person, courses["EY-ANNEXC"], date(2026, 9, 15), now=at(date(2026, 9, 15)))
    db.session.commit()
    assert digests(monday + timedelta(days=14)) == {"digests queued": 1}  # Birch still has Fay
    assert keys(f"digest:{lead.id}:") == [f"digest:{lead.id}:2026-W37", f"digest:{lead.id}:2026-W38"]


def test_a_lead_of_two_organisations_gets_one_digest_with_both(courses):
    monday = date(2026, 9, 7)
    first = factories.organisation(name="Acorn Nursery", type_code="day-nursery")
    second = factories.organisation(name="Birch Nursery", type_code="day-nursery")
    ey_due_on(courses, date(2026, 8, 1), first, now=at(monday), full_name="Ann Acorn")
    ey_due_on(courses, date(2026, 10, 1), second, now=at(monday), full_name="Ben Birch")
    lead = factories.user(organisation=first, roles=(), leads=(first, second))
    db.session.commit()
    assert digests(monday) == {"digests queued": 1}
    [email] = outbox()
    assert email.subject.endswith(": 2 organisations")
    body = email.body_text
    assert body.index("Acorn Nursery") < body.index("Ann Acorn") < body.index("Birch Nursery") < body.index("Ben Birch")


def test_each_job_reads_the_status_table_once_whatever_the_numbers(courses, count_queries):
    def status_reads(statements):
        return [s for s in statements if "compliance_status" in s and s.lstrip().upper().startswith("SELECT")]

    counts = []
    for week, size in ((date(2026, 9, 7), 2), (date(2026, 9, 14), 6)):
        for _ in range(size):
            organisation = factories.organisation(type_code="day-nursery")
            factories.user(organisation=organisation, roles=(), leads=(organisation,))
            for offset in (-3, 7, 30):
                ey_due_on(courses, week + timedelta(days=offset), organisation, now=at(week))
        db.session.commit()
        with count_queries() as statements:
            reminder_summary = run(week)
            digest_summary = digests(week)
        counts.append(len(status_reads(statements)))
        assert reminder_summary["reminders queued"] >= size * 2
        assert digest_summary["digests queued"] >= size
    assert counts == [2, 2]  # one for reminders, one for all the leads' digests


# --- what people see ------------------------------------------------------------------------------------

def test_the_person_sees_their_reminders_at_account_emails(app, courses):
    dsl = dsl_due_on(courses, DUE, now=at(date(2026, 7, 12)))
    someone_else = dsl_due_on(courses, DUE, now=at(date(2026, 7, 12)))
    db.session.commit()
    run(date(2026, 7, 12))
    mine = db.session.scalar(select(OutboundEmail).where(OutboundEmail.user_id == dsl.id))
    theirs = db.session.scalar(select(OutboundEmail).where(OutboundEmail.user_id == someone_else.id))

    client = factories.signed_in_client(app, dsl)

    listing = client.get("/account/emails")
    assert listing.status_code == 200
    html = listing.get_data(as_text=True)
    assert "DSL role training is due by 10 September 2026" in html
    assert "Training reminders" in html
    assert html.count("DSL role training is due by") == 1  # not the other person's

    page = client.get(f"/account/emails/{mine.id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "in 60 days" in text and "DSL refresher" in text
    assert client.get(f"/account/emails/{theirs.id}").status_code == 404


# --- the scheduler ------------------------------------------------------------------------------------------

def test_jobs_are_scheduled_daily_after_the_rebuild_and_run(app, courses):
    by_name = {job.name: job for job in JOBS}
    assert by_name["queue-reminders"].describe().startswith("every day at 06:00 (Europe/London)")
    assert by_name["queue-lead-digests"].describe().startswith("every day at 06:10 (Europe/London)")
    db.session.commit()
    # Run now (the real clock): whatever is due today is queued, and a second run adds nothing.
    first = run_job("queue-reminders", app=app)
    assert "reminders queued" in first and "induction emails queued" in first
    assert run_job("queue-reminders", app=app) == "reminders queued 0, induction emails queued 0"
    assert "digests queued" in run_job("queue-lead-digests", app=app)
    assert run_job("queue-lead-digests", app=app) == "digests queued 0"
