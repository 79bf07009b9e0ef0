"""The retention rule for email: the nightly prune clears the content of emails sent or
given up on longer ago than EMAIL_BODY_RETENTION_DAYS, and keeps the rest of the row, so
once-only emails are still never sent twice."""
from __future__ import annotations

import base64
from datetime import date, datetime, timedelta, timezone

import pytest
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import event, insert, select, update

from lms.core.time import LONDON, utcnow
from lms.extensions import db
from lms.notifications.jobs import PRUNED_ERROR, prune_sent_emails, retention_cutoff, send_outbox
from lms.notifications.models import JobRun, OutboundEmail
from lms.notifications.services import queue_email
from lms.core.jobs import describe_trigger
from lms.runner import run_job
from lms.scheduler import JOBS
from tests.compliance import test_reminders as reminder_tests

# The reminder tests' courses (the DSL's role training and the rest), as a fixture here too.
courses = reminder_tests.courses

NOTHING = {"sent emails pruned": 0, "failed emails pruned": 0}
ATTACHMENT = {"filename": "session.ics", "content_type": "text/calendar",
              "content": base64.b64encode(b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n").decode()}


def email(subject: str, *, sent_at: datetime | None = None, failed_at: datetime | None = None,
          created_at: datetime | None = None, person=None, **options) -> int:
    """One email with text, HTML and an attachment, sent or given up on when given; its id."""
    created_at = created_at or sent_at or failed_at or options.get("send_after") or utcnow()
    row = queue_email(
        person.email if person else "learner@example.org", subject, f"Text of {subject}.", now=created_at,
        user=person, body_html=f"<p>Text of {subject}.</p>", attachments=[ATTACHMENT],
        dedupe_key=options.pop("dedupe_key", f"test:{subject}"), category=options.pop("category", "booking"),
    )
    db.session.flush()
    db.session.execute(update(OutboundEmail).where(OutboundEmail.id == row.id)
                       .values(sent_at=sent_at, failed_at=failed_at, **options))
    db.session.commit()
    return row.id


def rows() -> dict[str, OutboundEmail]:
    db.session.expire_all()
    return {row.subject: row for row in db.session.scalars(select(OutboundEmail))}


def pruned(*, now: datetime) -> list[str]:
    """Run the prune; the subjects of the emails whose content is gone, in order."""
    prune_sent_emails(now=now)
    return sorted(subject for subject, row in rows().items() if row.pruned_at is not None)


# --- what goes, and when ------------------------------------------------------------------------

def test_content_goes_after_the_period_and_the_rest_of_the_row_stays(app, now):
    assert app.config["EMAIL_BODY_RETENTION_DAYS"] == 180
    cutoff = now - timedelta(days=180)
    email("Just older", sent_at=cutoff - timedelta(minutes=1), created_at=cutoff - timedelta(days=3))
    email("Exactly the period", sent_at=cutoff)
    email("Just younger", sent_at=cutoff + timedelta(minutes=1))
    email("Yesterday", sent_at=now - timedelta(days=1))

    assert prune_sent_emails(now=now) == {"sent emails pruned": 2, "failed emails pruned": 0}

    found = rows()
    for subject in ("Just older", "Exactly the period"):
        row = found[subject]
        assert (row.body_text, row.body_html, row.attachments) == (None, None, None)
        assert row.pruned_at == now and row.is_pruned
        # Everything else stays: once-only sending and the person's list depend on it.
        assert row.to_address == "learner@example.org"
        assert row.category == "booking"
        assert row.dedupe_key == f"test:{subject}"
        assert row.status == "sent"
        assert row.provider_reference is None and row.attempts == 0
    assert found["Just older"].created_at == cutoff - timedelta(days=3)
    assert found["Just older"].sent_at == cutoff - timedelta(minutes=1)
    for subject in ("Just younger", "Yesterday"):
        row = found[subject]
        assert row.pruned_at is None and not row.is_pruned
        assert row.body_text == f"Text of {subject}."
        assert row.body_html == f"<p>Text of {subject}.</p>"
        assert row.attachments == [ATTACHMENT]


def test_only_sent_and_failed_emails_are_pruned_never_queued_ones(app, now):
    long_ago = now - timedelta(days=400)
    email("Sent long ago", sent_at=long_ago)
    email("Given up long ago", failed_at=long_ago, attempts=8, last_error="550 no such mailbox")
    email("Given up lately", failed_at=now - timedelta(days=10), created_at=long_ago)
    # Queued long ago and still waiting (for later, or to be retried): the content is
    # needed to send it, however old.
    email("Waiting since long ago", created_at=long_ago, send_after=now + timedelta(days=1))
    email("Retrying since long ago", created_at=long_ago, attempts=3, send_after=now + timedelta(minutes=8),
          last_error="421 try again later")
    email("Claimed long ago", created_at=long_ago, attempts=1, claimed_at=long_ago, claim_token="x" * 32)

    assert prune_sent_emails(now=now) == {"sent emails pruned": 1, "failed emails pruned": 1}

    found = rows()
    assert sorted(s for s, row in found.items() if row.is_pruned) == ["Given up long ago", "Sent long ago"]
    # A given-up email keeps its error, for looking into what went wrong.
    assert found["Given up long ago"].last_error == "550 no such mailbox"
    assert found["Given up long ago"].status == "failed"
    # Retention counts from when it was sent or given up on, not from when it was queued.
    assert found["Given up lately"].body_text == "Text of Given up lately."
    for subject in ("Waiting since long ago", "Retrying since long ago", "Claimed long ago"):
        assert found[subject].status == "queued"
        assert found[subject].body_text == f"Text of {subject}."
        assert found[subject].attachments == [ATTACHMENT]


def test_running_again_prunes_nothing_more(app, now):
    email("Old", sent_at=now - timedelta(days=200))
    email("New", sent_at=now - timedelta(days=100))
    assert prune_sent_emails(now=now) == {"sent emails pruned": 1, "failed emails pruned": 0}
    first = rows()["Old"].pruned_at

    assert prune_sent_emails(now=now) == NOTHING
    assert prune_sent_emails(now=now + timedelta(hours=1)) == NOTHING
    assert rows()["Old"].pruned_at == first == now
    # A hundred days later the other one's time has come, and only that one's.
    assert prune_sent_emails(now=now + timedelta(days=81)) == {"sent emails pruned": 1, "failed emails pruned": 0}
    assert rows()["Old"].pruned_at == now


def test_the_period_is_a_setting(app, now, monkeypatch):
    email("Forty days", sent_at=now - timedelta(days=40))
    email("Twenty days", failed_at=now - timedelta(days=20))
    monkeypatch.setitem(app.config, "EMAIL_BODY_RETENTION_DAYS", 30)
    assert pruned(now=now) == ["Forty days"]
    monkeypatch.setitem(app.config, "EMAIL_BODY_RETENTION_DAYS", 7)
    assert pruned(now=now) == ["Forty days", "Twenty days"]


@pytest.mark.parametrize("days", [0, -5, "180", None, True])
def test_a_period_that_is_not_a_number_of_days_stops_the_job_and_changes_nothing(app, now, monkeypatch, days):
    email("Old", sent_at=now - timedelta(days=400))
    monkeypatch.setitem(app.config, "EMAIL_BODY_RETENTION_DAYS", days)
    with pytest.raises(ValueError, match="EMAIL_BODY_RETENTION_DAYS must be a whole number of days, at least 1"):
        prune_sent_emails(now=now)
    assert rows()["Old"].body_text == "Text of Old."


def test_a_large_backlog_is_cleared_a_chunk_at_a_time(app, now, count_queries):
    for number in range(5):
        email(f"Sent {number}", sent_at=now - timedelta(days=300, minutes=number))
    for number in range(3):
        email(f"Failed {number}", failed_at=now - timedelta(days=300, minutes=number))
    email("Recent", sent_at=now - timedelta(days=1))

    with count_queries() as statements:
        assert prune_sent_emails(now=now, chunk=2) == {"sent emails pruned": 5, "failed emails pruned": 3}

    # One UPDATE (and its own transaction) per chunk: 2 + 2 + 1 sent, then 2 + 1 failed.
    assert len([s for s in statements if s.lstrip().upper().startswith("UPDATE")]) == 5
    assert sorted(s for s, row in rows().items() if not row.is_pruned) == ["Recent"]


def test_the_job_reads_only_the_index_of_emails_still_holding_content(app, now):
    """Both of the prune's queries are served by the partial index over unpruned rows, so
    a night's work does not grow with the years of emails already pruned. As in a real
    outbox, most rows were pruned long ago, the sent and the given up. (On PostgreSQL, with
    the table vacuumed and analysed and sequential scans off: with so few rows a scan of
    the table is cheaper.)"""
    long_ago = now - timedelta(days=900)
    db.session.execute(insert(OutboundEmail), [
        {"to_address": f"learner{n}@example.org", "subject": f"Pruned {n}", "category": "booking",
         "created_at": long_ago, "send_after": long_ago, "attempts": 1, "pruned_at": long_ago + timedelta(days=181),
         "sent_at" if n % 2 else "failed_at": long_ago + timedelta(minutes=n)}
        for n in range(800)
    ])
    db.session.commit()
    email("Old", sent_at=now - timedelta(days=300))
    email("Gave up", failed_at=now - timedelta(days=300))
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE outbound_email")
    selects = []

    def before(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            selects.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        prune_sent_emails(now=now)
    finally:
        event.remove(db.engine, "before_cursor_execute", before)

    assert len(selects) == 2
    with db.engine.connect() as connection:
        postgresql = connection.dialect.name == "postgresql"
        if postgresql:
            connection.exec_driver_sql("SET LOCAL enable_seqscan = off")  # until the rollback below
        for statement, parameters in selects:
            explain = "EXPLAIN " if postgresql else "EXPLAIN QUERY PLAN "
            plan = " ".join(str(part) for row in connection.exec_driver_sql(explain + statement, parameters)
                            for part in row)
            assert "ix_outbound_email_unpruned" in plan, plan
        connection.rollback()


# --- the clocks and the calendar -----------------------------------------------------------------

def test_the_cutoff_is_whole_days_in_utc_whatever_the_clocks_do(app):
    # 04:45 on 31 May 2027 in London is 03:45 UTC (British Summer Time); 180 days before
    # is 2 December 2026, 03:45 UTC (and in London, which is then on GMT).
    summer = datetime(2027, 5, 31, 4, 45, tzinfo=LONDON)
    assert retention_cutoff(summer, 180) == datetime(2026, 12, 2, 3, 45, tzinfo=timezone.utc)
    assert retention_cutoff(summer.astimezone(timezone.utc), 180) == retention_cutoff(summer, 180)
    # The other way: 04:45 on 30 November 2026 (GMT) less 180 days is 3 June 2026 at
    # 04:45 UTC, which was 05:45 in London.
    winter = datetime(2026, 11, 30, 4, 45, tzinfo=LONDON)
    assert retention_cutoff(winter, 180) == datetime(2026, 6, 3, 4, 45, tzinfo=timezone.utc)
    # Across the end of February in a leap year.
    assert retention_cutoff(datetime(2028, 3, 1, 4, 45, tzinfo=LONDON), 1) == datetime(
        2028, 2, 29, 4, 45, tzinfo=timezone.utc)


def test_a_summer_run_at_the_end_of_the_month_prunes_to_the_minute(app):
    """The scheduled run at 04:45 London time on 31 May 2027 (BST), with `now` in London
    time: emails sent in the winter either side of the cutoff (2 December 2026, 03:45 UTC).
    Counting back on the London wall clock would put the cutoff an hour late, at 04:45 UTC."""
    run_at = datetime(2027, 5, 31, 4, 45, tzinfo=LONDON)
    email("Before the cutoff", sent_at=datetime(2026, 12, 2, 3, 44, tzinfo=timezone.utc))
    email("After the cutoff", sent_at=datetime(2026, 12, 2, 3, 46, tzinfo=timezone.utc))
    email("Within the hour", sent_at=datetime(2026, 12, 2, 4, 30, tzinfo=timezone.utc))
    assert pruned(now=run_at) == ["Before the cutoff"]
    assert rows()["Before the cutoff"].pruned_at == datetime(2027, 5, 31, 3, 45, tzinfo=timezone.utc)


def test_a_winter_run_at_the_end_of_the_month_prunes_what_was_sent_in_the_summer(app):
    run_at = datetime(2026, 11, 30, 4, 45, tzinfo=LONDON)  # GMT; the cutoff is 3 June 2026, 04:45 UTC
    email("Before the cutoff", failed_at=datetime(2026, 6, 3, 5, 0, tzinfo=LONDON))  # 04:00 UTC
    email("After the cutoff", failed_at=datetime(2026, 6, 3, 5, 50, tzinfo=LONDON))  # 04:50 UTC
    assert pruned(now=run_at) == ["Before the cutoff"]


# --- once only still holds ------------------------------------------------------------------------

def test_a_pruned_email_still_stops_its_dedupe_key_being_queued_again(app, now):
    email("Booking confirmed", sent_at=now - timedelta(days=365), dedupe_key="booking:41:confirmed")
    prune_sent_emails(now=now)
    assert rows()["Booking confirmed"].is_pruned
    assert queue_email("learner@example.org", "Booking confirmed", "Again", now=now,
                       dedupe_key="booking:41:confirmed") is None
    db.session.commit()
    assert len(rows()) == 1


def test_a_reminder_whose_email_was_pruned_is_not_sent_again(app, courses, monkeypatch):
    """With a period as short as a day, the content of a training reminder can go while
    its milestone is still within the reminders' catch-up window: the kept row still says
    it was sent, so the reminder job does not queue it again."""
    monkeypatch.setitem(app.config, "EMAIL_BODY_RETENTION_DAYS", 1)
    at, run = reminder_tests.at, reminder_tests.run
    dsl = reminder_tests.dsl_due_on(courses, reminder_tests.DUE, now=at(date(2026, 7, 12)))
    db.session.commit()
    key = f"reminder:{dsl.id}:dsl-role-training:2026-09-10:60"

    assert run(date(2026, 7, 12)) == {"reminders queued": 1, "induction emails queued": 0}
    assert send_outbox(now=at(date(2026, 7, 12), hour=7))["sent"] == 1
    # A day after it was sent (at 07:00), its content goes.
    assert prune_sent_emails(now=at(date(2026, 7, 13), hour=8))["sent emails pruned"] == 1
    [reminder] = rows().values()
    assert reminder.dedupe_key == key and reminder.is_pruned and reminder.body_text is None

    # Every day until the next milestone: nothing more is queued about the 60 days.
    for day in reminder_tests.days(date(2026, 7, 13), date(2026, 8, 10)):
        assert run(day) == {"reminders queued": 0, "induction emails queued": 0}
        prune_sent_emails(now=at(day, hour=5))
    assert [row.dedupe_key for row in rows().values()] == [key]
    # The 30-day reminder still goes on its day.
    assert run(date(2026, 8, 11)) == {"reminders queued": 1, "induction emails queued": 0}


# --- the send job and a pruned email --------------------------------------------------------------

def test_a_pruned_email_put_back_in_the_queue_by_hand_is_given_up_not_sent(app, now, smtp_server):
    """The way docs/operations.md gives to send a given-up email again, used on one whose
    content has gone: there is nothing to send, so it is given up at once, saying why."""
    email_id = email("Gave up long ago", failed_at=now - timedelta(days=200), attempts=8)
    prune_sent_emails(now=now)
    db.session.execute(update(OutboundEmail).where(OutboundEmail.id == email_id)
                       .values(failed_at=None, attempts=0, send_after=now))
    db.session.commit()
    assert rows()["Gave up long ago"].status == "queued"

    assert send_outbox(now=now) == {"sent": 0, "retrying": 0, "failed": 1, "skipped": 0}
    assert smtp_server.messages == []
    row = rows()["Gave up long ago"]
    assert row.status == "failed" and row.last_error == PRUNED_ERROR
    # Still pruned: nothing more to clear.
    assert prune_sent_emails(now=now + timedelta(days=400)) == NOTHING
    assert rows()["Gave up long ago"].pruned_at == now


def test_the_send_job_never_claims_a_pruned_email(app, now, smtp_server):
    email("Sent long ago", sent_at=now - timedelta(days=200))
    email("Waiting", send_after=now)
    prune_sent_emails(now=now)
    assert send_outbox(now=now) == {"sent": 1, "retrying": 0, "failed": 0, "skipped": 0}
    assert [message["Subject"] for message in smtp_server.messages] == ["Waiting"]


# --- the schedule ---------------------------------------------------------------------------------

def test_scheduled_nightly_at_04_45_london_time_alone_and_runs_by_name(app):
    by_name = {job.name: job for job in JOBS}
    job = by_name["prune-sent-emails"]
    assert isinstance(job.trigger, CronTrigger)
    assert job.describe().startswith("every day at 04:45 (Europe/London): clear the text and attachments")
    nightly = [describe_trigger(other.trigger) for other in JOBS if isinstance(other.trigger, CronTrigger)]
    assert nightly.count("every day at 04:45 (Europe/London)") == 1

    email("Old", sent_at=utcnow() - timedelta(days=181))
    email("New", sent_at=utcnow() - timedelta(days=179))
    assert run_job("prune-sent-emails") == "sent emails pruned 1, failed emails pruned 0"
    assert sorted(s for s, row in rows().items() if row.is_pruned) == ["Old"]
    assert db.session.get(JobRun, "prune-sent-emails").last_error is None
