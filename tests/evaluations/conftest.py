"""Evaluations tests use the bookings and certificates fixtures (see
tests/certificates/conftest.py) and add:

    asking_course            an e-learning course that asks for an evaluation
    evaluated(person, course=None, *, ref=..., **answers) -> Completion
        record an e-learning completion of the course and submit an evaluation of it
    ANSWERS                  a complete set of answers
"""
from __future__ import annotations

from datetime import date

import pytest

from lms.evaluations import services
from lms.records import services as records
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
from tests.conftest import NOW

ANSWERS = dict(satisfaction=5, skills="a-lot", confidence_before=2, confidence_after=4,
               will_do_differently="Record concerns the same day.", improvements="More case studies.", may_quote=True)


def complete(person, course, *, ref="enrolment:1", on=date(2026, 11, 23)):
    completion, _ = records.record_completion(
        person, title=course.title, delivery_mode=course.delivery_mode, on=on, hours=course.cpd_hours,
        source="elearning", source_ref=ref, course=course, now=NOW,
    )
    return completion


@pytest.fixture()
def asking_course(make_course):
    course = make_course("SGE", mode="elearning", title="Safeguarding Everyone")
    course.asks_for_evaluation = True
    return course


@pytest.fixture()
def evaluated(asking_course):
    def make(person, course=None, *, ref="enrolment:1", **answers):
        completion = complete(person, course or asking_course, ref=ref)
        services.submit(completion, services.Answers(**{**ANSWERS, **answers}), actor=person, now=NOW)
        return completion

    return make
