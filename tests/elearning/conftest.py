from pathlib import Path

import pytest

from lms.catalogue import services as catalogue
from lms.extensions import db

COURSES = Path(__file__).resolve().parents[2] / "courses"


@pytest.fixture()
def courses(now):
    """The shipped e-learning courses, loaded from courses/ as `flask lms courses sync` does."""
    sources, problems = catalogue.check_course_files(COURSES)
    assert problems == []
    catalogue.sync_courses(sources, now=now)
    db.session.commit()
    return {code: catalogue.get_course(code) for code in ("SGE", "CE", "OS")}
