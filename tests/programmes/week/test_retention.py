"""The retention rule for public registrants: a set time after the week
(PUBLIC_REGISTRATION_RETENTION_DAYS) their names and emails are erased everywhere in the
database, and the week's counts stay as they were."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from lms.extensions import db
from lms.notifications.jobs import send_outbox
from lms.notifications.models import OutboundEmail
from lms.programmes.week import jobs, services
from lms.reports.week.services import event_rows, week_report
from tests.conftest import NOW
from tests.notifications.smtp import SMTPServer
from lms.notifications.backends import SMTPBackend

PEOPLE = [("Zebedee Quartermaine", "zebedee.q@example.org"), ("Ottoline Vantongeren", "Ottoline.V@Example.net"),
          ("Persephone Ravenscroft", "perse.r@example.com")]


def everything_in_the_database() -> list[str]:
    """Every value of every column of every table, as lower-case text."""
    values = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(select(table)):
            values.extend(str(value).lower() for value in row if value is not None)
    return values


def needles() -> list[str]:
    found = []
    for name, email in PEOPLE:
        found += [name.lower(), email.lower(), *name.lower().split()]
    return found


def test_registrants_are_erased_after_the_retention_period_leaving_the_counts(app, admin, week):
    for n, (name, email) in enumerate(PEOPLE):
        registration, _ = services.register(week.public, name, email, now=NOW + timedelta(minutes=n))
        if n == 0:
            services.confirm(registration, now=NOW + timedelta(minutes=5))
    services.record_engagement(week.stall, {"conversations": 500, "leaflets": 350, "public-attended": None},
                               actor=admin, now=NOW)
    db.session.commit()
    with SMTPServer() as server:
        send_outbox(now=NOW + timedelta(minutes=10),
                    backend=SMTPBackend(host="127.0.0.1", port=server.port, timeout=10, sender="t@partnership.example"))
        assert len(server.messages) == 4  # two places held, one waiting, one confirmed
    assert db.session.scalar(select(OutboundEmail.id).where(OutboundEmail.to_address == "zebedee.q@example.org"))
    before = event_rows(week_report(week.programme))
    text = " ".join(everything_in_the_database())
    assert all(needle in text for needle in ("zebedee quartermaine", "ottoline.v@example.net"))

    # The week ends on 18 June 2027; the names stay for 30 days after it.
    on_day_30 = datetime(2027, 7, 18, 12, 0, tzinfo=timezone.utc)
    assert jobs.erase_registrants(now=on_day_30) == {"erased": 0, "attempts pruned": 0}
    assert "zebedee quartermaine" in " ".join(everything_in_the_database())

    result = jobs.erase_registrants(now=on_day_30 + timedelta(days=1))
    assert result["erased"] == 3
    db.session.expire_all()
    values = everything_in_the_database()
    left = [needle for needle in needles() if any(needle in value for value in values)]
    assert left == []
    assert event_rows(week_report(week.programme)) == before
    # Running the job again erases nothing more.
    assert jobs.erase_registrants(now=on_day_30 + timedelta(days=2))["erased"] == 0


def test_the_setting_sets_the_period(app, week):
    services.register(week.public, *PEOPLE[0], now=NOW)
    db.session.commit()
    app.config["PUBLIC_REGISTRATION_RETENTION_DAYS"] = 7
    try:
        assert jobs.erase_registrants(now=datetime(2027, 6, 26, 12, 0, tzinfo=timezone.utc))["erased"] == 1
    finally:
        app.config["PUBLIC_REGISTRATION_RETENTION_DAYS"] = 30
