"""Follow-up tests use the evaluations fixtures (a face-to-face course with a session on
8 December 2026, people of a primary school, a trainer, an admin) and the SMTP server of
the email tests."""
from __future__ import annotations

from tests.evaluations.conftest import (  # noqa: F401  (fixtures)
    admin,
    attend,
    colleague,
    course,
    lead,
    make_course,
    make_people,
    make_session,
    organisation,
    other_organisation,
    outbox,
    outsider,
    person,
    trainer,
    training_session,
)
from tests.notifications.conftest import smtp_server  # noqa: F401
