"""A small partnership for the uptake tests.

    school (education, area North), nursery (early years, area South)
    ana, ben at the school; cal at the nursery; dee with no organisation
    completed(person, on, *, course=None, mode="elearning", ref=None) -> Completion
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from itertools import count

import pytest

from lms.extensions import db
from lms.records import services as records
from tests import factories
from tests.conftest import NOW

_refs = count(1)


@pytest.fixture()
def place():
    north, south = factories.area("North", code="north"), factories.area("South", code="south")
    school = factories.organisation("Brook Lane Primary", area=north)
    nursery = factories.organisation("Little Acorns", type_code="day-nursery", area=south)
    people = {
        "ana": factories.user("ana@example.org", organisation=school),
        "ben": factories.user("ben@example.org", organisation=school),
        "cal": factories.user("cal@example.org", organisation=nursery),
        "dee": factories.user("dee@example.org"),
    }
    db.session.flush()
    return {"school": school, "nursery": nursery, "north": north, "south": south, **people}


@pytest.fixture()
def completed():
    def make(person, on: date, *, course=None, mode="elearning", title="Safeguarding Everyone"):
        completion, _ = records.record_completion(
            person, title=title, delivery_mode=mode, on=on, hours=Decimal(1), source="imported",
            source_ref=f"report-test:{next(_refs)}", course=course, now=NOW,
        )
        return completion

    return make
