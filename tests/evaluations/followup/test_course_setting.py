"""The course's follow-up setting in the course admin: weeks after attendance (12 unless
changed) or none, checked, audited."""
from __future__ import annotations

from sqlalchemy import select

from lms.audit.models import AuditEvent
from lms.catalogue.models import Course
from lms.extensions import db
from tests import factories
from tests.catalogue.admin.test_course_admin import form_data


def _course() -> Course:
    db.session.expire_all()
    return db.session.scalar(select(Course).where(Course.code == "DSL-NEW"))


def test_the_admin_sets_the_weeks_or_none(client):
    admin = factories.user("admin@example.org", admin=True, roles=("other",))
    db.session.commit()
    factories.sign_in(client, admin)
    page = client.get("/admin/courses/new").get_data(as_text=True)
    assert 'name="followup_weeks"' in page and 'value="12"' in page
    assert client.post("/admin/courses/new", data=form_data(followup_weeks="12")).status_code == 302
    assert _course().followup_weeks == 12
    assert client.post("/admin/courses/DSL-NEW/edit", data=form_data(code=None, followup_weeks="8")).status_code == 302
    assert _course().followup_weeks == 8
    changed = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert "followup_weeks" in str(changed.after) and "8" in str(changed.after)
    for bad in ("0", "105", "twelve", "1.5"):
        response = client.post("/admin/courses/DSL-NEW/edit", data=form_data(code=None, followup_weeks=bad))
        assert response.status_code == 400 and "The follow-up must be from 1 to 104 weeks" in response.get_data(as_text=True)
        assert _course().followup_weeks == 8
    assert client.post("/admin/courses/DSL-NEW/edit", data=form_data(code=None, followup_weeks="")).status_code == 302
    assert _course().followup_weeks is None
