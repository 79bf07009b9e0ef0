"""No lost SCORM saves under load.

Many learners play a SCORM package at once through several gunicorn workers, each signed
in through the real sign-in form and saving their run-time data (CMI) from the player's
JSON endpoint every few seconds, as the player page does, with the CSRF token in a header.
At the end each learner repeats their last save (it must change nothing). The database
must then hold, for every learner, exactly the saves they sent, ending with their last.

    python benchmarks/bench_scorm.py                       # a fresh SQLite file
    python benchmarks/bench_scorm.py --database postgresql://postgres@127.0.0.1:5432/lms_bench_scorm

With PostgreSQL the named database is dropped and created for the run, and dropped at the
end (--keep keeps it). All traffic goes to 127.0.0.1. Timings are reported as ratios to
the median /health response measured in the same run, never as targets.

Exit status: 0 no errors and no lost saves, 1 errors or lost saves, 2 the run could not be made.
"""
from __future__ import annotations

import argparse
import io
import json
import random
import re
import sys
import threading
import time
import zipfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    OUTPUT_DIR,
    create_schema,
    database_url,
    is_sqlite,
    make_app,
    median,
    percentile,
    print_table,
)
from signin_lockout import Gunicorn, RunError, time_health, on_fresh_database  # noqa: E402

import requests  # noqa: E402

EMAIL_DOMAIN = "bench.example"
PASSWORD = "a long benchmark passphrase 42"
COURSE_CODE = "BENCH-SCORM"

MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="bench" xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
    xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata><schemaversion>1.2</schemaversion></metadata>
  <organizations default="O"><organization identifier="O"><title>Benchmark package</title>
    <item identifier="I" identifierref="R"><title>Benchmark package</title></item>
  </organization></organizations>
  <resources><resource identifier="R" type="webcontent" adlcp:scormtype="sco" href="index.html">
    <file href="index.html"/></resource></resources>
</manifest>
"""


def package_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("imsmanifest.xml", MANIFEST)
        archive.writestr("index.html", "<!DOCTYPE html><html lang=en><head><title>Bench</title></head><body></body></html>")
    return buffer.getvalue()


# --- the database ---------------------------------------------------------------------

@dataclass
class Setup:
    emails: list[str]
    enrolment_ids: list[int]  # in learner order


def prepare_database(url: str, *, learners: int, storage: Path) -> Setup:
    """Schema, reference data, an admin, the package as a course, and `learners` confirmed
    accounts each enrolled on it."""
    from decimal import Decimal

    from lms.accounts.models import User
    from lms.accounts.services import hash_password
    from lms.core.time import utcnow
    from lms.elearning import services as elearning
    from lms.elearning.scorm import package as packages
    from lms.elearning.scorm import services as scorm
    from lms.extensions import db
    from lms.organisations.reference.services import load_reference_data

    app = make_app(url)
    app.config["SCORM_STORAGE_DIR"] = str(storage)
    create_schema(app)
    with app.app_context():
        load_reference_data()
        now = utcnow()
        password_hash = hash_password(PASSWORD)
        admin = User(email=f"admin@{EMAIL_DOMAIN}", full_name="Benchmark Admin", password_hash=password_hash,
                     email_confirmed_at=now, is_admin=True, created_at=now)
        people = [User(email=f"learner{n:03d}@{EMAIL_DOMAIN}", full_name=f"Learner {n:03d}", password_hash=password_hash,
                       email_confirmed_at=now, created_at=now) for n in range(1, learners + 1)]
        db.session.add_all([admin, *people])
        db.session.flush()
        staged = packages.stage(io.BytesIO(package_zip()), storage, packages.Limits())
        package = scorm.add_package(staged, scorm.CourseDetails(
            code=COURSE_CODE, title="Benchmark package", summary="A package for the save benchmark.",
            cpd_hours=Decimal("1"), requirement_codes=[], completion_statuses=["passed"]), actor=admin, now=now)
        enrolments = [elearning.enrol(person, package.version.course, actor=person, now=now)[0] for person in people]
        db.session.commit()
        staged.keep(storage)
        setup = Setup(emails=[p.email for p in people], enrolment_ids=[e.id for e in enrolments])
        db.session.remove()
        db.engine.dispose()
    return setup


@dataclass
class Stored:
    saves: dict[int, int]
    last_seq: dict[int, int]
    location: dict[int, str]
    suspend_data: dict[int, str]


def stored_attempts(url: str) -> Stored:
    from sqlalchemy import select

    from lms.elearning.scorm.models import ScormAttempt
    from lms.extensions import db

    app = make_app(url)
    with app.app_context():
        rows = db.session.scalars(select(ScormAttempt)).all()
        stored = Stored(saves={r.enrolment_id: r.saves for r in rows}, last_seq={r.enrolment_id: r.last_seq for r in rows},
                        location={r.enrolment_id: r.lesson_location for r in rows},
                        suspend_data={r.enrolment_id: r.suspend_data for r in rows})
        db.session.remove()
        db.engine.dispose()
    return stored


# --- the learners ---------------------------------------------------------------------

@dataclass
class Learner:
    index: int
    enrolment_id: int
    statuses: Counter = field(default_factory=Counter)
    seconds: list[float] = field(default_factory=list)
    sent: int = 0
    applied: int = 0
    last_seq: int = 0
    last_location: str = ""
    last_suspend: str = ""
    repeat_applied: bool | None = None
    errors: list[str] = field(default_factory=list)


_CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
_CONFIG = re.compile(r'<script type="application/json" id="scorm-config">(.*?)</script>', re.S)


def play(base: str, email: str, learner: Learner, *, interval: float, duration: float, start: threading.Barrier) -> Learner:
    with requests.Session() as client:
        try:
            form = client.get(f"{base}/sign-in", timeout=60).text
            token = _CSRF_INPUT.search(form).group(1)
            signed = client.post(f"{base}/sign-in", data={"csrf_token": token, "email": email, "password": PASSWORD},
                                 allow_redirects=False, timeout=60)
            if signed.status_code != 302:
                raise RuntimeError(f"sign-in answered {signed.status_code}")
            page = client.get(f"{base}/learning/{learner.enrolment_id}/player", timeout=60)
            config = json.loads(_CONFIG.search(page.text).group(1))
        except Exception as error:  # noqa: BLE001 - reported as the learner's error
            learner.errors.append(f"could not start: {error!r}")
            try:
                start.abort()
            except threading.BrokenBarrierError:
                pass
            return learner
        try:
            start.wait(timeout=600)
        except threading.BrokenBarrierError:
            learner.errors.append("not started: another learner failed to start")
            return learner
        headers = {"X-CSRFToken": config["csrf"], "Content-Type": "application/json"}
        session_key = f"bench-{learner.index}"
        time.sleep(random.uniform(0, interval))  # learners do not all save at the same instant
        began = time.monotonic()
        n = 0
        body = None
        while time.monotonic() - began < duration:
            n += 1
            seq = int(time.time() * 1_000_000)
            location = f"page-{n}"
            suspend = json.dumps({"page": n, "notes": "x" * 2000})
            body = {"session": session_key, "seq": max(seq, learner.last_seq + 1),
                    "cmi": {"lesson_status": "incomplete", "lesson_location": location, "suspend_data": suspend,
                            "session_time": f"0000:{n * int(interval) // 60:02d}:{n * int(interval) % 60:02d}",
                            "score_raw": ""}}
            started = time.perf_counter()
            try:
                response = client.post(base + config["save"], data=json.dumps(body), headers=headers, timeout=60)
                status = response.status_code
            except requests.RequestException as error:
                status = 0
                learner.errors.append(repr(error))
            learner.seconds.append(time.perf_counter() - started)
            learner.statuses[status] += 1
            learner.sent += 1
            if status == 200:
                if response.json().get("applied"):
                    learner.applied += 1
                learner.last_seq = body["seq"]
                learner.last_location = location
                learner.last_suspend = suspend
            elif status:
                learner.errors.append(f"{status}: {response.text[:200]}")
            wait = began + n * interval - time.monotonic()
            if wait > 0:
                time.sleep(wait)
        if body is not None:  # the last save again, as a retry would send it
            response = client.post(base + config["save"], data=json.dumps(body), headers=headers, timeout=60)
            learner.statuses[response.status_code] += 1
            learner.repeat_applied = response.json().get("applied") if response.status_code == 200 else None
    return learner


def run(url: str, *, workers: int, learners: int, interval: float, duration: float, health_samples: int,
        app: str = "wsgi:app", output_dir: Path = OUTPUT_DIR) -> int:
    setup = prepare_database(url, learners=learners, storage=output_dir / "scorm-files")
    states = [Learner(index=n, enrolment_id=setup.enrolment_ids[n]) for n in range(learners)]
    with Gunicorn(url, workers=workers, log_dir=output_dir, app=app) as server:
        health = time_health(server.base, health_samples)
        start = threading.Barrier(learners)
        with ThreadPoolExecutor(max_workers=learners) as pool:
            futures = [pool.submit(play, server.base, setup.emails[n], states[n], interval=interval, duration=duration,
                                   start=start) for n in range(learners)]
            results = [future.result(timeout=duration + 900) for future in futures]
    stored = stored_attempts(url)

    statuses = Counter()
    for learner in results:
        statuses.update(learner.statuses)
    sent = sum(learner.sent for learner in results)
    errors = sum(count for status, count in statuses.items() if status != 200)
    lost = [learner for learner in results
            if stored.saves.get(learner.enrolment_id) != learner.sent
            or stored.last_seq.get(learner.enrolment_id) != learner.last_seq
            or stored.location.get(learner.enrolment_id) != learner.last_location
            or stored.suspend_data.get(learner.enrolment_id) != learner.last_suspend]
    seconds = [s for learner in results for s in learner.seconds]
    health_median = median(health)
    checks = {
        "every learner started": all(not any(e.startswith(("could not", "not started")) for e in l.errors) for l in results),
        "0 errors (every save answered 200)": errors == 0,
        "every save applied once": all(learner.applied == learner.sent for learner in results),
        "no lost saves (the database holds each learner's saves, ending with the last)": not lost,
        "a repeated save changes nothing": all(learner.repeat_applied is False for learner in results),
    }

    print()
    print(f"SCORM saves: {learners} learners saving every {interval:g} s for {duration:g} s through {workers} gunicorn "
          f"workers ({'SQLite' if is_sqlite(url) else 'PostgreSQL'}, POST /learning/{{id}}/player/cmi)")
    print()
    print_table(["measure", "value"], [
        ["saves sent (without the repeats)", str(sent)],
        ["HTTP statuses (with the repeats)", ", ".join(f"{s or 'no answer'} x {c}" for s, c in sorted(statuses.items()))],
        ["learners whose saves were lost or out of date", str(len(lost))],
        ["median /health (client)", f"{health_median * 1000:.1f} ms over {len(health)} requests = 1.0"],
        ["median save / median /health", f"{median(seconds) / health_median:.1f}" if seconds else "n/a"],
        ["95th percentile save / median /health", f"{percentile(seconds, 95) / health_median:.1f}" if seconds else "n/a"],
        ["slowest save / median /health", f"{max(seconds) / health_median:.1f}" if seconds else "n/a"],
    ])
    print()
    print_table(["check", "result"], [[name, "ok" if good else "FAILED"] for name, good in checks.items()])
    for learner in results:
        for error in learner.errors[:2]:
            print(f"  learner {learner.index + 1}: {error}")
    if all(checks.values()):
        print(f"\nNo lost saves: {sent} saves from {learners} learners, 0 errors.")
        return 0
    print("\nWRONG: see the failed checks above.")
    return 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", help="SQLAlchemy URL (default: a fresh scorm.sqlite in --output-dir)")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--learners", type=int, default=50)
    parser.add_argument("--interval", type=float, default=5.0, help="seconds between a learner's saves")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds each learner keeps saving")
    parser.add_argument("--health-samples", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database afterwards")
    parser.add_argument("--app", default="wsgi:app", help="the WSGI application for gunicorn")
    parser.add_argument("--output-dir", type=Path, default=OUTPUT_DIR, help="where the SQLite file and gunicorn logs go")
    args = parser.parse_args(argv)
    if not (1 <= args.workers <= 16 and 1 <= args.learners <= 500 and 0.1 <= args.interval <= 60
            and 1 <= args.duration <= 600 and 1 <= args.health_samples <= 1000):
        parser.error("keep --workers to 1-16, --learners to 1-500, --interval to 0.1-60 s, --duration to 1-600 s")

    url = database_url(args.database or "sqlite:///" + str(args.output_dir / "scorm.sqlite"))
    return on_fresh_database(url, scratch_dir=args.output_dir, keep=args.keep,
                             run=lambda url: run(url, workers=args.workers, learners=args.learners, interval=args.interval, duration=args.duration, health_samples=args.health_samples, app=args.app, output_dir=args.output_dir))


if __name__ == "__main__":
    sys.exit(main())
