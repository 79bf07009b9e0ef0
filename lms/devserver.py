"""`make run`: the web app and the scheduler side by side, for trying the service on one
machine. One command starts both; Ctrl-C (or SIGTERM) stops both, and if either stops on
its own the other is stopped too.

    python -m lms.devserver            # serves on PORT (default 5000), 127.0.0.1 only

Both processes get the same environment, so the links in emails (BASE_URL, which follows
PORT unless set) point at the port the app is served on. Email goes nowhere outside the
machine: the development mailbox at /dev/mailbox shows every email, and the console backend
prints each one as the scheduler sends it.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _environment(port: str) -> dict[str, str]:
    environment = dict(os.environ)
    environment["PORT"] = port
    environment.setdefault("FLASK_APP", "wsgi.py")
    environment.setdefault("BASE_URL", f"http://127.0.0.1:{port}")
    return environment


def _stop(processes: list[subprocess.Popen], grace: float = 10.0) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + grace
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main() -> int:
    port = os.environ.get("PORT") or "5000"
    environment = _environment(port)
    flask = [sys.executable, "-m", "flask"]
    print(f"Serving on http://127.0.0.1:{port} with the scheduler beside it. "
          f"Emails: http://127.0.0.1:{port}/dev/mailbox. Stop both with Ctrl-C.", flush=True)
    # Their own process groups: Ctrl-C reaches this process, which stops them in order.
    web = subprocess.Popen([*flask, "run", "--host", "127.0.0.1", "--port", port], cwd=ROOT, env=environment,
                           start_new_session=True)
    scheduler = subprocess.Popen([*flask, "lms", "scheduler"], cwd=ROOT, env=environment, start_new_session=True)
    processes = [web, scheduler]

    def stop(signum, frame):
        raise KeyboardInterrupt

    # Ctrl-C as well as SIGTERM, set here: a shell that starts this in the background
    # without job control has SIGINT ignored, and Python then leaves it ignored.
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    status = 0
    try:
        while all(process.poll() is None for process in processes):
            time.sleep(0.5)
        stopped = next(process for process in processes if process.poll() is not None)
        name = "web app" if stopped is web else "scheduler"
        print(f"The {name} stopped (exit status {stopped.returncode}); stopping the other.", flush=True)
        status = stopped.returncode or 1
    except KeyboardInterrupt:
        print("Stopping the web app and the scheduler.", flush=True)
    finally:
        _stop(processes)
    return status


if __name__ == "__main__":
    sys.exit(main())
