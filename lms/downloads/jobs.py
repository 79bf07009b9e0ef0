"""The run-downloads job (every 20 seconds: the prepared downloads waiting, oldest first,
one at a time) and the expire-downloads job (daily: files past their retention deleted)."""
from __future__ import annotations

from datetime import datetime

from lms.downloads import services
from lms.extensions import db

# One tick makes at most this many, so a queue of big packs cannot hold the scheduler's
# thread for long; the next tick goes on.
PER_TICK = 5


def run_downloads(*, now: datetime) -> dict[str, int]:
    made = failed = 0
    for _ in range(PER_TICK):
        download_id = services.claim_next(now=now)
        if download_id is None:
            break
        download = services.run(download_id, now=now)
        if download.status == "ready":
            made += 1
        else:
            failed += 1
    return {"made": made, "failed": failed}


def expire_downloads(*, now: datetime) -> dict[str, int]:
    expired = services.expire(now=now)
    db.session.commit()
    return {"expired": expired}
