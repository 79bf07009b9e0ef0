"""Where the report queries read: the reports database (REPORTS_DATABASE_URL, a read
replica of the primary) when one is configured, the primary otherwise.

`with reading_reports():` (or the `@reads_reports` view decorator) around a report's
computation sends its plain SELECTs to the reports database through the app's own session
(lms.extensions.RoutingSession). Whatever writes in the same request, such as the audit
event of an export or the renewal of the signed-in session, and any SELECT ... FOR UPDATE,
still goes to the primary. Without REPORTS_DATABASE_URL both are no-ops.

A replica lags the primary by a little: a report may miss the last seconds of changes,
which is why only report reads (figures over months) are sent there, never a page that
shows what someone has just saved."""
from __future__ import annotations

from contextlib import contextmanager
from functools import wraps

from flask import current_app

from lms.extensions import REPORTS_BIND, reading_reports_flag


@contextmanager
def reading_reports():
    token = reading_reports_flag.set(True)
    try:
        yield
    finally:
        reading_reports_flag.reset(token)


def reads_reports(view):
    """A view whose reads run inside reading_reports()."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        with reading_reports():
            return view(*args, **kwargs)

    return wrapped


def has_reports_database() -> bool:
    return current_app.extensions.get(REPORTS_BIND) is not None
