"""A session's certificates and evaluations use the bookings, certificates and evaluations
fixtures (see tests/certificates/conftest.py and tests/evaluations/conftest.py)."""
from __future__ import annotations

from tests.certificates.conftest import (  # noqa: F401  (fixtures)
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
    past_session,
    person,
    trainer,
    training_session,
)
