"""The README's quick start, as a newcomer follows it: `make run` (its command,
`python -m lms.devserver`, on a database made as `make demo` makes it) on a port other than
5000, register in the browser's way (forms with their CSRF tokens), read the confirmation
email in the development mailbox, follow its link on that port, sign in; the scheduler
beside the app sends the email; Ctrl-C stops both."""
from __future__ import annotations

import fcntl
import os
import re
import signal
import socket
import subprocess
import sys
import time
from html import unescape
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [pytest.mark.no_database, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _csrf(html: str) -> str:
    return unescape(re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1))


def _first_option(html: str, select_name: str) -> str:
    block = re.search(rf'<select[^>]*name="{select_name}"[^>]*>(.*?)</select>', html, re.S).group(1)
    return next(value for value in re.findall(r'<option value="([^"]*)"', block) if value)


def _wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=10).status_code == 200:
                return
        except requests.RequestException:  # not listening yet, or still starting
            pass
        time.sleep(0.3)
    raise AssertionError(f"{url} never answered")


def test_quick_start_on_another_port_delivers_the_confirmation_email(tmp_path):
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    lock_file = tmp_path / "scheduler.lock"
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith(("TEST_", "BASE_URL", "LMS_CONFIG", "MAIL_", "DEV_MAILBOX"))}
    environment.update({
        "PORT": str(port), "DATABASE_URL": f"sqlite:///{tmp_path / 'lms.sqlite'}", "FLASK_APP": "wsgi.py",
        "SCHEDULER_LOCK_FILE": str(lock_file),
    })
    for command in (["db", "upgrade"], ["lms", "seed"]):
        subprocess.run([sys.executable, "-m", "flask", *command], cwd=ROOT, env=environment, check=True,
                       capture_output=True, timeout=120)
    log = open(tmp_path / "devserver.log", "w")
    server = subprocess.Popen([sys.executable, "-m", "lms.devserver"], cwd=ROOT, env=environment,
                              stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_for(base + "/health")
        browser = requests.Session()
        page = browser.get(base + "/register").text
        email = "new.starter@school.example"
        answer = browser.post(base + "/register", data={
            "csrf_token": _csrf(page), "full_name": "New Starter", "email": email,
            "password": "marmalade kettle lantern", "org_not_listed": "y",
            "new_organisation_name": "Brookside Childminding", "new_organisation_type": _first_option(page, "new_organisation_type"),
            "new_organisation_area": "", "new_organisation_postcode": "",
            "job_role_1": _first_option(page, "job_role_1"), "job_role_1_started": ["1", "9", "2021"],
            "job_role_2": "",
        }, allow_redirects=False)
        assert answer.status_code == 302, answer.text[-2000:]

        # The README: emails are at /dev/mailbox on the same port.
        mailbox = requests.get(base + "/dev/mailbox").text
        assert email in mailbox
        message_path = re.search(r'href="(/dev/mailbox/\d+)">Confirm your email address', mailbox).group(1)
        message = requests.get(base + message_path).text
        link = unescape(re.search(r'href="(http[^"]+/confirm/[^"]+)"', message).group(1))
        assert link.startswith(f"{base}/confirm/"), link

        confirmed = browser.get(link)
        assert confirmed.status_code == 200 and "is confirmed" in confirmed.text
        sign_in = browser.get(base + "/sign-in").text
        signed_in = browser.post(base + "/sign-in", data={
            "csrf_token": _csrf(sign_in), "email": email, "password": "marmalade kettle lantern",
        })
        assert signed_in.status_code == 200 and "Sign out" in signed_in.text, signed_in.text[-2000:]

        # The scheduler beside the app sends it (the send job runs at start, then every minute).
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if re.search(r">\s*Sent\s*<", requests.get(base + message_path).text):
                break
            time.sleep(2)
        else:
            raise AssertionError("the scheduler never sent the confirmation email")
    finally:
        os.killpg(server.pid, signal.SIGINT)  # Ctrl-C in the terminal
        exit_status = server.wait(timeout=30)
        log.close()
    assert exit_status == 0, (tmp_path / "devserver.log").read_text()
    # Both stopped: nothing answers on the port, and the scheduler's lock is free.
    with pytest.raises(requests.ConnectionError):
        requests.get(base + "/health", timeout=2)
    with open(lock_file, "a+") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)


def test_base_url_follows_port_unless_set():
    code = "import config; print(config.Config.BASE_URL)"
    clean = {key: value for key, value in os.environ.items() if key not in ("BASE_URL", "PORT")}
    run = lambda extra: subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**clean, **extra},  # noqa: E731
                                       capture_output=True, text=True, check=True).stdout.strip()
    assert run({"PORT": "5123"}) == "http://127.0.0.1:5123"
    assert run({}) == "http://127.0.0.1:5000"
    assert run({"PORT": "5123", "BASE_URL": "https://training.example.org"}) == "https://training.example.org"
