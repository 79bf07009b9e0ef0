"""The issue's import, for real: a 20 MB file of 151,887 rows uploaded to gunicorn with its
default settings (one sync worker, a 30-second timeout) answers within the timeout with the
import's page; the scheduler's job (run as `flask lms jobs run run-imports`) imports every
row, and the page then says so."""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from html import unescape
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.records.imports.big_history import ROWS, big_history

ROOT = Path(__file__).resolve().parents[3]
PASSWORD = "tangerine ladder whistle orbit"

pytestmark = [pytest.mark.no_database, pytest.mark.slow]


def _database(tmp_path: Path) -> str:
    test_url = os.environ.get("TEST_DATABASE_URL")
    if test_url and make_url(test_url).get_backend_name() == "postgresql":
        url = make_url(test_url).set(database=f"{make_url(test_url).database}_bigimport")
        engine = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{url.database}"'))
        engine.dispose()
        return url.render_as_string(hide_password=False)
    return f"sqlite:///{tmp_path / 'big.sqlite'}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _csrf(html: str) -> str:
    return unescape(re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1))


def test_a_151887_row_import_under_gunicorn_defaults(tmp_path):
    url = _database(tmp_path)
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("TEST_", "LMS_CONFIG"))}
    environment.update({"DATABASE_URL": url, "FLASK_APP": "wsgi.py", "DEV_MAILBOX": "0"})
    flask = [sys.executable, "-m", "flask"]
    for command in (["db", "upgrade"], ["lms", "seed"],
                    ["lms", "create-user", "importer@partnership.example", "--name", "Importing Admin",
                     "--role", "admin", "--password", PASSWORD]):
        subprocess.run([*flask, *command], cwd=ROOT, env=environment, check=True, capture_output=True, timeout=180)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(tmp_path / "gunicorn.log", "w")
    # gunicorn's defaults: one sync worker, --timeout 30.
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "wsgi:app"],
                              cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(base + "/health", timeout=10).status_code == 200:
                    break
            except requests.RequestException:  # not listening yet, or still starting
                time.sleep(0.3)
        browser = requests.Session()
        page = browser.get(base + "/sign-in").text
        signed_in = browser.post(base + "/sign-in", data={"csrf_token": _csrf(page),
                                                          "email": "importer@partnership.example", "password": PASSWORD},
                                 allow_redirects=False)
        assert signed_in.status_code == 302
        data = big_history()
        assert len(data) > 19 * 1024 * 1024
        form = browser.get(base + "/admin/import/").text
        started = time.monotonic()
        answer = browser.post(base + "/admin/import/", data={"csrf_token": _csrf(form), "action": "import"},
                              files={"file": ("history.csv", data, "text/csv")}, allow_redirects=False, timeout=60)
        took = time.monotonic() - started
        assert answer.status_code == 302, answer.text[-1500:]
        assert took < 30, took
        job_page = base + answer.headers["Location"]
        assert "/admin/import/jobs/" in job_page
        assert "In progress" in browser.get(job_page).text or "Waiting" in browser.get(job_page).text

        run = subprocess.run([*flask, "lms", "jobs", "run", "run-imports"], cwd=ROOT, env=environment,
                             capture_output=True, text=True, timeout=900)
        assert run.returncode == 0, run.stdout + run.stderr
        assert "imports run 1" in run.stdout

        result = browser.get(job_page).text
        assert "Everything in the file has been added" in result, result[-3000:]
        assert f"{ROWS:,}" in result
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    engine = create_engine(url)
    with engine.connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM completion")) == ROWS
    engine.dispose()
    # The worker was never killed for taking too long.
    assert "WORKER TIMEOUT" not in (tmp_path / "gunicorn.log").read_text()
