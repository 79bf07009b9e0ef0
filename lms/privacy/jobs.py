"""The nightly retention rule for closed accounts."""
from __future__ import annotations

from datetime import datetime

from lms.extensions import db
from lms.privacy.services import anonymise_closed_accounts


def anonymise_closed(*, now: datetime) -> dict[str, int]:
    count = anonymise_closed_accounts(now=now)
    db.session.commit()
    return {"accounts anonymised": count}
