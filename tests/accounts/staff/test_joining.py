"""Belonging to a setting: people registering into an organisation ask to join it; its
setting lead (or an admin, where it has none) confirms them or says they do not work
there, and records when staff leave. Services with a fixed `now`, the pages, emails and
audit events, and what the matrix, evidence pack and weekly digest count."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select

from lms.accounts import services as accounts
from lms.accounts.models import User
from lms.accounts.staff import services as staff
from lms.audit.models import AuditEvent
from lms.catalogue.models import Course
from lms.compliance import matrix as staff_matrix
from lms.compliance.reminders import queue_lead_digests
from lms.core.errors import DomainError, NotFound
from lms.extensions import db
from lms.notifications.models import OutboundEmail
from lms.organisations.models import JoinRequest, SettingLead
from lms.records import services as records
from lms.records.models import Completion
from lms.reports.portfolio.services import evidence_pack
from tests import factories
from tests.organisations.conftest import login

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
STRONG = "lantern meadow copper violin"


def emails(to: str | None = None) -> list[OutboundEmail]:
    query = select(OutboundEmail).order_by(OutboundEmail.id)
    if to:
        query = query.where(OutboundEmail.to_address == to)
    return list(db.session.scalars(query))


def audit_events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def register(email: str, full_name: str, organisation, *, role: str = "school-dsl", now=NOW, confirm: bool = True) -> User:
    user = accounts.register(
        accounts.Registration(
            full_name=full_name, email=email, password=STRONG, organisation_id=organisation.id,
            roles=[accounts.RoleChoice(factories.job_role(role).id, date(2019, 9, 1))],
        ),
        now=now,
    )
    if confirm:
        user.email_confirmed_at = now
        accounts._notify_join_request(user.open_join_request, now=now)
    db.session.commit()
    return user


_refs = iter(range(1, 10**6))


@pytest.fixture()
def dsl_course():
    course = Course(
        code="DSL-NEW", title="DSL new to role", summary="-", learning_outcomes=[], delivery_mode="face-to-face",
        cpd_hours=Decimal("12"), level=1, requirement_codes=["dsl-role-training"], created_at=NOW, updated_at=NOW,
    )
    db.session.add(course)
    db.session.commit()
    return course


def trained(person, course, on: date, *, now=NOW) -> None:
    records.record_completion(
        person, title=course.title, delivery_mode=course.delivery_mode, on=on, hours=course.cpd_hours,
        source="imported", source_ref=f"joining-{next(_refs)}", course=course, now=now,
    )
    db.session.commit()


@pytest.fixture()
def schools():
    """Two schools, each with a setting lead; an overdue DSL colleague at the first."""
    larkrise = factories.organisation("Larkrise Primary School")
    oakfield = factories.organisation("Oakfield Primary School")
    lead = factories.user("lead@larkrise.example", full_name="Rachel Whitfield", organisation=larkrise,
                          leads=(larkrise,), roles=("school-dsl",))
    other_lead = factories.user("lead@oakfield.example", full_name="Omar Oak", organisation=oakfield,
                                leads=(oakfield,), roles=("school-dsl",))
    admin = factories.user("admin@partnership.example", full_name="Ada Admin", admin=True, roles=("other",))
    teacher = factories.user("teacher@larkrise.example", full_name="Tess Teacher", organisation=larkrise,
                             roles=("teacher",))
    db.session.commit()
    return {"larkrise": larkrise, "oakfield": oakfield, "lead": lead, "other_lead": other_lead,
            "admin": admin, "teacher": teacher}


def matrix_names(organisation, as_of: date) -> list[str]:
    requirements = staff_matrix.organisation_requirements(organisation.id)
    result = staff_matrix.matrix(organisation, as_of=as_of, filters=staff_matrix.MatrixFilters(),
                                 requirements=requirements, page=None)
    return [row.name for row in result.rows]


def matrix_people(organisation, as_of: date) -> int:
    requirements = staff_matrix.organisation_requirements(organisation.id)
    people, _ = staff_matrix.matrix_summary(organisation, as_of=as_of, filters=staff_matrix.MatrixFilters(),
                                            requirements=requirements)
    return people


def pack_names(organisation, actor, now=NOW) -> list[str]:
    today = now.date()
    pack = evidence_pack(organisation, start=today - timedelta(days=365), end=today, actor=actor, now=now)
    return [row.name for row in pack.matrix.rows] + [entry.name for entry in pack.entries]


def digest_for(lead) -> str:
    [digest] = [e for e in emails(lead.email) if (e.dedupe_key or "").startswith("digest:")][-1:]
    return digest.body_text


# --- the three things the issue asks for, exactly ---------------------------------------

def test_a_stranger_registering_into_a_school_is_absent_from_its_matrix_evidence_pack_and_digest_until_confirmed(
    schools, dsl_course,
):
    larkrise, lead = schools["larkrise"], schools["lead"]
    colleague = factories.user("dsl2@larkrise.example", full_name="Dee Deputy", organisation=larkrise,
                               roles=("school-dsl",))
    db.session.commit()
    trained(colleague, dsl_course, date(2023, 10, 1))  # overdue: so the digest has something to say
    stranger = register("stranger@mail.example", "Sam Stranger", larkrise)
    trained(stranger, dsl_course, date(2023, 11, 1))  # overdue too, were they staff

    today = NOW.date()
    assert "Sam Stranger" not in matrix_names(larkrise, today)
    assert "Dee Deputy" in matrix_names(larkrise, today)
    assert "Sam Stranger" not in pack_names(larkrise, lead)
    queue_lead_digests(now=NOW)
    db.session.commit()
    body = digest_for(lead)
    assert "Dee Deputy" in body and "Sam Stranger" not in body

    staff.confirm_join_request(lead, stranger.open_join_request, now=NOW)
    db.session.commit()
    assert "Sam Stranger" in matrix_names(larkrise, today)
    assert "Sam Stranger" in pack_names(larkrise, lead)
    next_week = NOW + timedelta(days=7)
    queue_lead_digests(now=next_week)
    db.session.commit()
    assert "Sam Stranger" in digest_for(lead)


def test_does_not_work_here_removes_them_from_todays_counts_and_keeps_their_history(schools, dsl_course):
    larkrise, lead = schools["larkrise"], schools["lead"]
    leaver = factories.user("leaver@larkrise.example", full_name="Lou Leaver", organisation=larkrise,
                            roles=("school-dsl",), role_start=date(2018, 9, 1))
    db.session.commit()
    trained(leaver, dsl_course, date(2023, 10, 1))
    today = NOW.date()
    before = matrix_people(larkrise, today)
    assert "Lou Leaver" in matrix_names(larkrise, today)

    staff.record_leaving(lead, leaver, ended_on=date(2026, 10, 31), now=NOW)
    db.session.commit()
    assert "Lou Leaver" not in matrix_names(larkrise, today)
    assert matrix_people(larkrise, today) == before - 1
    assert "Lou Leaver" not in pack_names(larkrise, lead)
    db.session.refresh(leaver)
    assert leaver.organisation_id is None and leaver.active
    assert [(e.organisation_id, e.started_on, e.ended_on) for e in leaver.employments] == [
        (larkrise.id, date(2018, 9, 1), date(2026, 10, 31))
    ]
    assert db.session.scalar(select(Completion).where(Completion.user_id == leaver.id)).organisation_id == larkrise.id

    # Saying a stranger who asked "does not work here" leaves nothing to count either.
    stranger = register("stranger@mail.example", "Sam Stranger", larkrise)
    trained(stranger, dsl_course, date(2024, 1, 1))
    staff.decline_join_request(lead, stranger.open_join_request, now=NOW)
    db.session.commit()
    db.session.refresh(stranger)
    assert stranger.organisation_id is None and stranger.active and stranger.open_join_request is None
    assert "Sam Stranger" not in matrix_names(larkrise, today)
    assert matrix_people(larkrise, today) == before - 1
    assert db.session.scalar(select(Completion).where(Completion.user_id == stranger.id)) is not None


def test_a_lead_of_another_school_can_do_neither(app, schools):
    larkrise = schools["larkrise"]
    stranger = register("stranger@mail.example", "Sam Stranger", larkrise)
    request_id = stranger.open_join_request.id
    teacher = schools["teacher"]
    client = app.test_client()
    login(client, schools["other_lead"])
    assert client.post(f"/organisation/staff/join-requests/{request_id}/confirm").status_code == 404
    assert client.post(f"/organisation/staff/join-requests/{request_id}/decline").status_code == 404
    assert client.get(f"/organisation/staff/{teacher.id}/left").status_code == 404
    assert client.post(f"/organisation/staff/{teacher.id}/left",
                       data={"ended_on": ["1", "11", "2026"]}).status_code == 404
    db.session.expire_all()
    assert stranger.open_join_request is not None and stranger.organisation_id is None
    assert teacher.organisation_id == larkrise.id
    with pytest.raises(NotFound):
        staff.confirm_join_request(schools["other_lead"], stranger.open_join_request, now=NOW)
    with pytest.raises(NotFound):
        staff.record_leaving(schools["other_lead"], teacher, ended_on=date(2026, 11, 1), now=NOW)


# --- services ------------------------------------------------------------------------

def test_registering_asks_and_tells_the_leads_once_the_email_is_confirmed(schools):
    larkrise = schools["larkrise"]
    person = register("new@larkrise.example", "Nia New", larkrise, role="teacher", confirm=False)
    assert person.organisation_id is None and person.employments == []
    waiting = person.open_join_request
    assert (waiting.organisation_id, waiting.started_on, waiting.requested_at) == (larkrise.id, NOW.date(), NOW)
    assert emails("lead@larkrise.example") == []  # not before the address is proved theirs
    token = accounts._issue_token(person, "confirm-email", timedelta(days=1), now=NOW)
    accounts.confirm_email(token, now=NOW)
    db.session.commit()
    [told] = emails("lead@larkrise.example")
    assert told.subject == "Nia New is asking to join Larkrise Primary School"
    assert "new@larkrise.example" in told.body_text
    assert f"/organisation/staff?organisation={larkrise.id}#asking-to-join" in told.body_text
    assert emails("admin@partnership.example") == []
    assert staff.join_requests_waiting(schools["lead"]) == 1
    assert staff.join_requests_waiting(schools["other_lead"]) == 0
    assert staff.join_requests_without_lead() == 0


def test_where_an_organisation_has_no_lead_the_admins_decide(schools):
    leaderless = factories.organisation("Meadow Pre-school", type_code="pre-school")
    db.session.commit()
    person = register("pip@mail.example", "Pip Playgroup", leaderless, role="ey-practitioner")
    [told] = emails("admin@partnership.example")
    assert "has no setting lead" in told.body_text
    assert staff.join_requests_without_lead() == 1
    assert staff.join_requests_waiting(schools["admin"]) == 0
    assert [r.user_id for r in db.session.scalars(staff.join_requests_for(schools["admin"]))] == [person.id]
    assert list(db.session.scalars(staff.join_requests_for(schools["lead"]))) == []
    staff.confirm_join_request(schools["admin"], person.open_join_request, now=NOW)
    db.session.commit()
    assert person.organisation_id == leaderless.id
    assert staff.join_requests_without_lead() == 0


def test_confirming_starts_the_employment_audits_and_emails(schools):
    larkrise, lead = schools["larkrise"], schools["lead"]
    person = register("new@larkrise.example", "Nia New", larkrise, role="teacher")
    join_request = person.open_join_request
    later = NOW + timedelta(days=2)
    staff.confirm_join_request(lead, join_request, now=later)
    db.session.commit()
    db.session.refresh(person)
    assert person.organisation_id == larkrise.id
    assert [(e.organisation_id, e.started_on, e.ended_on) for e in person.employments] == [(larkrise.id, NOW.date(), None)]
    assert (join_request.outcome, join_request.decided_at, join_request.decided_by_id) == ("confirmed", later, lead.id)
    [event] = audit_events("person.join-confirm")
    assert event.actor_id == lead.id and event.target_id == str(person.id)
    assert event.before == {"organisation_id": None, "asking_to_join": larkrise.id}
    assert event.after["organisation_id"] == larkrise.id and event.after["asking_to_join"] is None
    [told] = emails("new@larkrise.example")[-1:]
    assert told.subject == "Larkrise Primary School has confirmed you work there"
    assert "Rachel Whitfield" in told.body_text
    with pytest.raises(DomainError, match="already been confirmed"):
        staff.confirm_join_request(lead, join_request, now=later)
    with pytest.raises(DomainError, match="already been confirmed"):
        staff.decline_join_request(lead, join_request, now=later)


def test_confirming_someone_moving_ends_their_old_employment_and_lead_rights(schools):
    oakfield_lead = schools["other_lead"]
    accounts.ask_to_join(oakfield_lead, schools["larkrise"], on=date(2026, 11, 2), now=NOW)
    db.session.commit()
    assert oakfield_lead.organisation_id == schools["oakfield"].id  # unchanged while asking
    staff.confirm_join_request(schools["lead"], oakfield_lead.open_join_request, now=NOW)
    db.session.commit()
    db.session.refresh(oakfield_lead)
    assert oakfield_lead.organisation_id == schools["larkrise"].id
    history = sorted((e.organisation_id, e.ended_on) for e in oakfield_lead.employments)
    assert history == sorted([(schools["oakfield"].id, date(2026, 11, 2)), (schools["larkrise"].id, None)])
    assert db.session.scalar(select(SettingLead).where(SettingLead.user_id == oakfield_lead.id)) is None


def test_declining_keeps_the_account_and_tells_them(schools):
    larkrise, lead = schools["larkrise"], schools["lead"]
    person = register("stranger@mail.example", "Sam Stranger", larkrise)
    join_request = person.open_join_request
    staff.decline_join_request(lead, join_request, now=NOW)
    db.session.commit()
    assert join_request.outcome == "declined" and join_request.decided_by_id == lead.id
    [event] = audit_events("person.join-decline")
    assert event.before["asking_to_join"] == larkrise.id and event.after["asking_to_join"] is None
    [told] = emails("stranger@mail.example")[-1:]
    assert told.subject == "Larkrise Primary School has not confirmed you work there"
    assert "/account/organisation" in told.body_text
    # They can choose their organisation again.
    accounts.ask_to_join(person, schools["oakfield"], on=NOW.date(), now=NOW)
    db.session.commit()
    assert person.open_join_request.organisation_id == schools["oakfield"].id


def test_recording_leaving_checks_the_date_audits_and_emails(schools):
    lead, teacher = schools["lead"], schools["teacher"]
    with pytest.raises(DomainError, match="today or in the past") as error:
        staff.record_leaving(lead, teacher, ended_on=date(2026, 11, 24), now=NOW)
    assert error.value.field == "ended_on"
    with pytest.raises(DomainError, match="on or after they started"):
        staff.record_leaving(lead, teacher, ended_on=date(2019, 1, 1), now=NOW)
    with pytest.raises(DomainError, match="Enter the date they left"):
        staff.record_leaving(lead, teacher, ended_on=None, now=NOW)
    with pytest.raises(DomainError, match="cannot record that you have left"):
        staff.record_leaving(lead, lead, ended_on=date(2026, 11, 1), now=NOW)
    db.session.rollback()
    assert teacher.organisation_id == schools["larkrise"].id
    staff.record_leaving(lead, teacher, ended_on=date(2026, 11, 20), now=NOW)
    db.session.commit()
    [event] = audit_events("person.left-organisation")
    assert event.before == {"organisation_id": schools["larkrise"].id, "employment_ended_on": None}
    assert event.after == {"organisation_id": None, "employment_ended_on": "2026-11-20"}
    [told] = emails("teacher@larkrise.example")
    assert told.subject == "You are no longer recorded at Larkrise Primary School"
    assert "20 November 2026" in told.body_text
    with pytest.raises(NotFound):  # no longer anyone's staff
        staff.record_leaving(lead, teacher, ended_on=date(2026, 11, 20), now=NOW)


def test_only_self_registration_asks(schools, now):
    """An admin creating someone, the command line and an import are confirmed by who did them."""
    made = accounts.create_user(email="cli@larkrise.example", full_name="Cleo Line", password=STRONG,
                                role="practitioner", organisation_id=schools["larkrise"].id, now=now)
    db.session.commit()
    assert made.organisation_id == schools["larkrise"].id and made.open_join_request is None
    assert db.session.scalar(select(JoinRequest.id)) is None


# --- pages ----------------------------------------------------------------------------

def test_the_staff_page_lists_people_asking_apart_and_confirming_moves_them(app, schools):
    larkrise = schools["larkrise"]
    person = register("new@larkrise.example", "Nia New", larkrise, role="teacher")
    client = app.test_client()
    login(client, schools["lead"])
    html = client.get("/organisation/staff").get_data(as_text=True)
    asking, _, staff_part = html.partition('<h2 class="govuk-heading-m">Staff</h2>')
    assert "People asking to join (1)" in asking and "Nia New" in asking
    assert "Nia New" not in staff_part and "Tess Teacher" in staff_part
    request_id = person.open_join_request.id
    response = client.post(f"/organisation/staff/join-requests/{request_id}/confirm")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/organisation/staff#asking-to-join")
    html = client.get("/organisation/staff").get_data(as_text=True)
    assert "Nia New is now on the staff of Larkrise Primary School" in html
    assert "People asking to join" not in html and "Nia New" in html
    again = client.post(f"/organisation/staff/join-requests/{request_id}/decline", follow_redirects=True)
    assert "This request has already been confirmed" in again.get_data(as_text=True)


def test_does_not_work_here_button(app, schools):
    person = register("stranger@mail.example", "Sam Stranger", schools["larkrise"])
    client = app.test_client()
    login(client, schools["lead"])
    response = client.post(f"/organisation/staff/join-requests/{person.open_join_request.id}/decline",
                           follow_redirects=True)
    assert "You have said that Sam Stranger does not work at Larkrise Primary School" in response.get_data(as_text=True)
    db.session.expire_all()
    assert person.join_requests[0].outcome == "declined"


def test_non_leads_are_refused_and_missing_requests_are_404(app, schools):
    person = register("stranger@mail.example", "Sam Stranger", schools["larkrise"])
    request_id = person.open_join_request.id
    client = app.test_client()
    login(client, schools["teacher"])
    assert client.post(f"/organisation/staff/join-requests/{request_id}/confirm").status_code == 403
    assert client.post(f"/organisation/staff/join-requests/{request_id}/decline").status_code == 403
    assert client.get(f"/organisation/staff/{schools['teacher'].id}/left").status_code == 403
    anonymous = app.test_client()
    assert anonymous.post(f"/organisation/staff/join-requests/{request_id}/confirm").status_code == 302
    lead = app.test_client()
    login(lead, schools["lead"])
    assert lead.post("/organisation/staff/join-requests/999999/confirm").status_code == 404
    # An asking person is not staff: their page is not the lead's to see.
    assert lead.get(f"/organisation/staff/{person.id}").status_code == 404
    db.session.expire_all()
    assert person.open_join_request is not None


def test_admins_see_and_decide_every_request(app, schools):
    person = register("stranger@mail.example", "Sam Stranger", schools["oakfield"])
    client = app.test_client()
    login(client, schools["admin"])
    html = client.get("/organisation/staff").get_data(as_text=True)
    assert "People asking to join (1)" in html and "Sam Stranger" in html
    response = client.post(f"/organisation/staff/join-requests/{person.open_join_request.id}/confirm")
    assert response.headers["Location"].endswith(f"/organisation/staff?organisation={schools['oakfield'].id}#asking-to-join")
    db.session.expire_all()
    assert person.organisation_id == schools["oakfield"].id


def test_recording_leaving_page(app, schools):
    teacher = schools["teacher"]
    client = app.test_client()
    login(client, schools["lead"])
    member = client.get(f"/organisation/staff/{teacher.id}").get_data(as_text=True)
    assert f'href="/organisation/staff/{teacher.id}/left"' in member
    own = client.get(f"/organisation/staff/{schools['lead'].id}").get_data(as_text=True)
    assert "/left" not in own
    page = client.get(f"/organisation/staff/{teacher.id}/left")
    assert page.status_code == 200 and "Record that Tess Teacher has left" in page.get_data(as_text=True)
    bad = client.post(f"/organisation/staff/{teacher.id}/left", data={"ended_on": ["1", "1", "2030"]})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 200
    assert "govuk-error-summary" in html and 'href="#ended_on' in html
    assert "The date they left must be today or in the past" in html
    missing = client.post(f"/organisation/staff/{teacher.id}/left", data={"ended_on": ["", "", ""]})
    assert "Enter the date they left" in missing.get_data(as_text=True)
    db.session.expire_all()
    assert teacher.organisation_id == schools["larkrise"].id
    done = client.post(f"/organisation/staff/{teacher.id}/left", data={"ended_on": ["20", "11", "2026"]})
    assert done.status_code == 302
    db.session.expire_all()
    assert teacher.organisation_id is None
    assert client.get(f"/organisation/staff/{teacher.id}").status_code == 404


def test_the_person_sees_they_are_waiting(app, schools):
    person = register("new@larkrise.example", "Nia New", schools["larkrise"], role="teacher")
    client = app.test_client()
    assert factories.sign_in(client, person, STRONG).status_code == 302
    html = client.get("/account").get_data(as_text=True)
    assert "You are waiting for Larkrise Primary School to confirm that you work there" in html
    assert "None recorded (asking to join Larkrise Primary School)" in html


def test_forms_need_a_csrf_token(csrf_app, schools):
    from tests.organisations.conftest import login_directly

    person = register("stranger@mail.example", "Sam Stranger", schools["larkrise"])
    client = csrf_app.test_client()
    login_directly(client, schools["lead"])
    response = client.post(f"/organisation/staff/join-requests/{person.open_join_request.id}/confirm")
    assert response.status_code in (302, 400)
    assert client.post(f"/organisation/staff/{schools['teacher'].id}/left",
                       data={"ended_on": ["1", "11", "2026"]}).status_code in (200, 400)
    db.session.expire_all()
    assert person.open_join_request is not None
    assert schools["teacher"].organisation_id == schools["larkrise"].id


def test_an_admin_moving_someone_answers_their_request_to_join_there(schools):
    from lms.accounts.admin import services as admin_services

    person = register("new@larkrise.example", "Nia New", schools["larkrise"], role="teacher")
    join_request = person.open_join_request
    admin_services.change_person_organisation(schools["admin"], person, schools["larkrise"], on=NOW.date(), now=NOW)
    db.session.commit()
    db.session.refresh(join_request)
    assert (join_request.outcome, join_request.decided_by_id) == ("confirmed", schools["admin"].id)
    assert person.open_join_request is None and person.organisation_id == schools["larkrise"].id
    assert list(db.session.scalars(staff.join_requests_for(schools["lead"]))) == []
