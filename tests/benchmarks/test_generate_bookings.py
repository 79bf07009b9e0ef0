"""Runs benchmarks/generate.py for real at size XXS and checks that the sessions, bookings,
registers, certificates, evaluations and programmes it writes obey the booking engine's
rules, that attendance completions point at their bookings, and that --only adds the same
booking data to a database generated without it."""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "generate.py"
AS_OF = "2026-11-20"
NOW = datetime(2026, 11, 20, 12, tzinfo=timezone.utc)
LONDON = ZoneInfo("Europe/London")
PLACE_STATUSES = ("booked", "offered", "attended", "partly-attended", "no-show")
BOOKING_TABLES = ("training_session", "session_trainer", "session_job_role", "booking", "certificate", "evaluation",
                  "programme", "twilight_term", "twilight_session", "safeguarding_week", "week_event",
                  "public_registration")


def _url(tmp_path_factory, name: str) -> str:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from common import create_postgres_database, database_url

    test_url = os.environ.get("TEST_DATABASE_URL")
    if test_url and make_url(test_url).get_backend_name() == "postgresql":
        url = database_url(make_url(test_url).set(database=f"{make_url(test_url).database}_gen_{name}")
                           .render_as_string(hide_password=False))
        create_postgres_database(url)
        return url
    return "sqlite:///" + str(tmp_path_factory.mktemp("generate") / f"{name}.sqlite")


def _drop(url: str) -> None:
    if url.startswith("postgresql"):
        from common import drop_postgres_database

        drop_postgres_database(url)


def _generate(url: str, *args: str, code: str | None = None) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "LMS_CONFIG"}}
    argv = ["--size", "XXS", "--database", url, "--as-of", AS_OF, *args]
    command = [sys.executable, str(SCRIPT), *argv] if code is None else [
        sys.executable, "-c", f"import sys; sys.path.insert(0, 'benchmarks'); import generate; {code}; "
                              f"sys.exit(generate.main({argv!r}))"]
    return subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    url = _url(tmp_path_factory, "full")
    result = _generate(url, "--fresh")
    assert result.returncode == 0, result.stdout + result.stderr
    engine = create_engine(url)
    yield engine, url, result.stdout
    engine.dispose()
    _drop(url)


def _rows(engine, sql: str, **params) -> list:
    with engine.connect() as connection:
        return list(connection.execute(text(sql), params))


def _utc(value) -> datetime:
    """A stored time as an aware UTC datetime (SQLite gives text through text())."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value


def _digest(engine) -> dict[str, str]:
    """A digest of every row of the booking tables (ids and all), by table."""
    digests = {}
    with engine.connect() as connection:
        for table in BOOKING_TABLES:
            columns = [row[0] for row in connection.execute(text(f'SELECT * FROM "{table}" LIMIT 0')).cursor.description]
            ignore = {"checkin_code", "code"}  # random secrets
            keep = [c for c in columns if c not in ignore]
            rows = connection.execute(text(f'SELECT {", ".join(keep)} FROM "{table}" ORDER BY {", ".join(keep[:2])}'))
            digest = hashlib.sha256()
            for row in rows:
                digest.update(repr(tuple(str(_utc(v)) if isinstance(v, datetime) else str(v) for v in row)).encode())
            digests[table] = digest.hexdigest()
    return digests


def test_the_summary_lists_the_booking_tables(generated):
    _, _, out = generated
    for table in BOOKING_TABLES + ("completion (updated)",):
        assert f"\n{table} " in out, out


def test_no_session_has_more_places_held_than_it_has(generated):
    engine, _, _ = generated
    held = dict(_rows(engine, "SELECT session_id, COUNT(*) FROM booking WHERE status IN "
                              "('booked', 'offered', 'attended', 'partly-attended', 'no-show') GROUP BY session_id"))
    public = dict(_rows(engine, "SELECT session_id, COUNT(*) FROM public_registration WHERE status IN "
                                "('awaiting-confirmation', 'confirmed') GROUP BY session_id"))
    sessions = _rows(engine, "SELECT id, capacity FROM training_session")
    assert len(sessions) > 100 and sum(held.values()) > 1000
    for session_id, capacity in sessions:
        assert held.get(session_id, 0) + public.get(session_id, 0) <= capacity, session_id
    # One session has the big register: 100 people booked.
    assert max(held.values()) == 100


def test_waiting_lists_are_on_full_sessions_in_order(generated):
    engine, _, _ = generated
    capacity = dict(_rows(engine, "SELECT id, capacity FROM training_session"))
    held = Counter(dict(_rows(engine, "SELECT session_id, COUNT(*) FROM booking WHERE status IN "
                                      "('booked', 'offered', 'attended', 'partly-attended', 'no-show') GROUP BY session_id")))
    waiting = defaultdict(list)
    for session_id, queued_at, booking_id in _rows(
            engine, "SELECT session_id, queued_at, id FROM booking WHERE status = 'waitlisted' ORDER BY session_id, id"):
        waiting[session_id].append((_utc(queued_at), booking_id))
    assert waiting, "some future sessions are full with a waiting list"
    for session_id, queue in waiting.items():
        assert held[session_id] == capacity[session_id], session_id
        # Positions 1, 2, 3... as waiting_position counts them: no two at the same time,
        # and the queue order is the order they were booked (ids).
        times = [queued for queued, _ in queue]
        assert len(set(times)) == len(times) and times == sorted(times), session_id


def test_registers_are_marked_only_on_past_sessions_and_each_attendance_has_its_completion(generated):
    engine, _, _ = generated
    # The one past session with people booked and not marked: the register to mark, of 100.
    unmarked = _rows(engine, """SELECT b.session_id, COUNT(*) FROM booking b JOIN training_session s ON s.id = b.session_id
                                WHERE b.status = 'booked' AND s.starts_at < :now GROUP BY b.session_id""",
                     now=NOW.replace(tzinfo=None))
    assert [count for _, count in unmarked] == [100]
    rows = _rows(engine, """
        SELECT b.id, b.status, b.user_id, b.attendance_hours, b.completion_id, b.marked_at, s.starts_at,
               c.user_id, c.source, c.source_ref, c.completed_on, c.cpd_hours, b.session_id
        FROM booking b JOIN training_session s ON s.id = b.session_id
        LEFT JOIN completion c ON c.id = b.completion_id""")
    statuses = Counter(row[1] for row in rows)
    assert {"attended", "no-show", "booked", "waitlisted", "cancelled"} <= set(statuses), statuses
    assert 0.05 < statuses["cancelled"] / len(rows) < 0.2, statuses
    for (booking_id, status, user_id, hours, completion_id, marked_at, starts_at, c_user, source, ref, on,
         c_hours, session_id) in rows:
        past = _utc(starts_at) < NOW
        if status in ("attended", "no-show"):
            assert past and marked_at is not None, booking_id
        if status == "waitlisted" or (status == "booked" and session_id != unmarked[0][0]):
            assert not past, booking_id
        if status == "attended":
            assert completion_id is not None and c_user == user_id and source == "attendance", booking_id
            assert ref == f"booking:{booking_id}", (booking_id, ref)
            assert str(on) == str(_utc(starts_at).astimezone(LONDON).date()), booking_id
            assert Decimal(str(c_hours)) == Decimal(str(hours)), booking_id
        else:
            assert completion_id is None, booking_id
    # Every attendance completion that names a booking names a real one, attended.
    dangling = _rows(engine, """
        SELECT c.id FROM completion c LEFT JOIN booking b ON b.completion_id = c.id
        WHERE c.source = 'attendance' AND c.source_ref LIKE 'booking:%'
          AND (b.id IS NULL OR c.source_ref <> 'booking:' || CAST(b.id AS VARCHAR(20)))""")
    assert dangling == []
    # Nearly all the generated attendance completions now point at their bookings.
    linked, unlinked = _rows(engine, """
        SELECT SUM(CASE WHEN source_ref LIKE 'booking:%' THEN 1 ELSE 0 END),
               SUM(CASE WHEN source_ref LIKE 'bench-attendance:%' THEN 1 ELSE 0 END)
        FROM completion WHERE source = 'attendance'""")[0]
    assert linked > 5 * unlinked, (linked, unlinked)


def test_one_live_booking_a_person_a_session_and_a_twilight_term(generated):
    engine, _, _ = generated
    assert _rows(engine, """SELECT session_id, user_id FROM booking WHERE status <> 'cancelled'
                             GROUP BY session_id, user_id HAVING COUNT(*) > 1""") == []
    assert _rows(engine, """SELECT t.term_id, b.user_id FROM booking b JOIN twilight_session t ON t.session_id = b.session_id
                             WHERE b.status <> 'cancelled' GROUP BY t.term_id, b.user_id HAVING COUNT(*) > 1""") == []


def test_certificates_and_evaluations_belong_to_attendances(generated):
    engine, _, _ = generated
    certificates = _rows(engine, """
        SELECT ce.id, b.id, ce.user_id, b.user_id, ce.training_session_id, b.session_id, ce.completed_on, c.completed_on
        FROM certificate ce JOIN completion c ON c.id = ce.completion_id
        LEFT JOIN booking b ON b.completion_id = c.id AND b.status = 'attended'""")
    assert certificates
    for _, booking_id, user, booker, session, booked_session, on, completed_on in certificates:
        assert booking_id is not None and user == booker and session == booked_session and str(on) == str(completed_on)
    assert _rows(engine, "SELECT completion_id FROM certificate WHERE revoked_at IS NULL "
                         "GROUP BY completion_id HAVING COUNT(*) > 1") == []
    assert len({row[0] for row in _rows(engine, "SELECT code FROM certificate")}) == len(certificates)
    evaluations = _rows(engine, """
        SELECT e.id, b.id FROM evaluation e LEFT JOIN booking b ON b.completion_id = e.completion_id AND b.status = 'attended'""")
    assert evaluations and all(booking_id is not None for _, booking_id in evaluations)


def test_programmes_have_their_terms_sessions_and_events(generated):
    engine, _, _ = generated
    kinds = Counter(row[0] for row in _rows(engine, "SELECT kind FROM programme"))
    assert kinds["twilight-series"] >= 5 and kinds["safeguarding-week"] >= 5, kinds
    assert _rows(engine, "SELECT programme_id FROM twilight_term GROUP BY programme_id HAVING COUNT(*) <> 3") == []
    # At most one session per area per term, of the series' twilight course.
    assert _rows(engine, "SELECT term_id, area_id FROM twilight_session GROUP BY term_id, area_id HAVING COUNT(*) > 1") == []
    modes = {row[0] for row in _rows(engine, """SELECT c.delivery_mode FROM twilight_session t
        JOIN training_session s ON s.id = t.session_id JOIN course c ON c.id = s.course_id""")}
    assert modes == {"twilight"}
    event_modes = {row[0] for row in _rows(engine, """SELECT c.delivery_mode FROM week_event e
        JOIN training_session s ON s.id = e.session_id JOIN course c ON c.id = s.course_id""")}
    assert event_modes == {"event"}
    assert _rows(engine, "SELECT COUNT(*) FROM public_registration")[0][0] > 0
    # Registrations for events long past are erased, as the retention job leaves them.
    assert _rows(engine, "SELECT COUNT(*) FROM public_registration WHERE erased_at IS NULL AND email IS NULL")[0][0] == 0


def test_only_adds_the_same_booking_data_to_a_database_generated_without_it(generated, tmp_path_factory):
    engine, _, _ = generated
    url = _url(tmp_path_factory, "only")
    try:
        # Generate without the booking steps, then add them with --only.
        first = _generate(url, "--fresh", code="generate.STEPS = generate.STEPS[:6]")
        assert first.returncode == 0, first.stdout + first.stderr
        assert "\nbooking " not in first.stdout
        added = _generate(url, "--only", "programmes,bookings")
        assert added.returncode == 0, added.stdout + added.stderr
        assert "\nbooking " in added.stdout and "\nuser " not in added.stdout
        other = create_engine(url)
        try:
            assert _digest(other) == _digest(engine)
        finally:
            other.dispose()
        # Twice is refused, changing nothing.
        again = _generate(url, "--only", "programmes,bookings")
        assert again.returncode != 0 and "already has sessions" in again.stdout + again.stderr
    finally:
        _drop(url)


def test_only_refuses_an_unknown_step_or_an_empty_database(tmp_path):
    url = "sqlite:///" + str(tmp_path / "empty.sqlite")
    unknown = _generate(url, "--only", "bookings,nonsense")
    assert unknown.returncode == 2 and "no such step: nonsense" in unknown.stderr
    empty = _generate(url, "--only", "bookings")
    assert empty.returncode != 0 and "has no people in it" in empty.stdout + empty.stderr
