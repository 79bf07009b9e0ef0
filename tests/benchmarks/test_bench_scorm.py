"""Runs benchmarks/bench_scorm.py for real (gunicorn workers, signed-in learners saving
SCORM run-time data, a database of its own) in a small mode, and checks it tells a server
that keeps every save from one that loses some."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "bench_scorm.py"


def _database(tmp_path: Path, name: str) -> str:
    test_url = os.environ.get("TEST_DATABASE_URL")
    if test_url and make_url(test_url).get_backend_name() == "postgresql":
        url = make_url(test_url)
        return url.set(database=f"{url.database}_{name}").render_as_string(hide_password=False)
    return f"sqlite:///{tmp_path / (name + '.sqlite')}"


def _run(tmp_path: Path, name: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--database", _database(tmp_path, name), "--output-dir", str(tmp_path),
         "--health-samples", "3", "--workers", "2", "--learners", "4", "--interval", "0.5", "--duration", "2", *args],
        cwd=ROOT, env=dict(os.environ), capture_output=True, text=True, timeout=300,
    )


def _value(stdout: str, measure: str) -> str:
    for line in stdout.splitlines():
        if line.startswith(measure + "  "):
            return line[len(measure):].strip()
    raise AssertionError(f"no {measure!r} line in:\n{stdout}")


def test_every_save_is_kept(tmp_path):
    result = _run(tmp_path, "scorm")
    assert result.returncode == 0, result.stdout + result.stderr
    assert _value(result.stdout, "learners whose saves were lost or out of date") == "0"
    assert "No lost saves" in result.stdout


def test_a_server_that_loses_saves_is_caught(tmp_path):
    result = _run(tmp_path, "scorm_lossy", "--app", "tests.benchmarks.test_bench_scorm:lossy_app()")
    assert result.returncode == 1, result.stdout + result.stderr
    assert _value(result.stdout, "learners whose saves were lost or out of date") != "0"
    assert "WRONG" in result.stdout


def lossy_app():
    """The service, except that every second save is answered as applied and thrown
    away. Only for the test above, through gunicorn's --app."""
    from lms import create_app

    app = create_app()
    inner = app.wsgi_app
    count = {"n": 0}

    def wsgi(environ, start_response):
        if environ.get("REQUEST_METHOD") == "POST" and environ.get("PATH_INFO", "").endswith("/player/cmi"):
            count["n"] += 1
            if count["n"] % 2 == 0:
                start_response("200 OK", [("Content-Type", "application/json")])
                return [b'{"applied": true, "completed": false, "lesson_status": "incomplete"}']
        return inner(environ, start_response)

    app.wsgi_app = wsgi
    return app
