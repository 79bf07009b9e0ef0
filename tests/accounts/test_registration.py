import re
from datetime import date

import pytest
from sqlalchemy import func, select

from lms.accounts.models import Employment, PersonRole, User
from lms.extensions import db
from tests import factories
from tests.accounts.helpers import link_in, outbox

STRONG = "lantern meadow copper violin"


def form_data(org, **overrides):
    teacher = factories.job_role("teacher")
    data = {
        "full_name": "Priya Shah",
        "email": "Priya.Shah@Example.org",
        "password": STRONG,
        "organisation": str(org.id),
        "job_role_1": str(teacher.id),
        "job_role_1_started": ["1", "9", "2021"],
    }
    data.update(overrides)
    return data


def count_users():
    return db.session.scalar(select(func.count(User.id)))


def test_register_confirm_and_sign_in(client):
    school = factories.organisation("Brook Lane Primary")
    db.session.commit()
    response = client.post("/register", data=form_data(school))
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/register/check-your-email")

    user = db.session.scalar(select(User).where(User.email == "priya.shah@example.org"))
    assert user.full_name == "Priya Shah"
    assert user.email_confirmed_at is None
    # They ask to join the school: it is not their organisation until someone confirms them.
    assert user.organisation_id is None
    assert user.open_join_request.organisation_id == school.id
    assert [(r.job_role.code, r.started_on) for r in user.roles] == [("teacher", date(2021, 9, 1))]
    assert user.employments == []
    assert user.password_hash.startswith("$argon2")

    # Unconfirmed accounts cannot sign in yet.
    response = client.post("/sign-in", data={"email": "priya.shah@example.org", "password": STRONG})
    assert b"Confirm your email address first" in response.data

    [email] = outbox("priya.shah@example.org")
    assert email.subject == "Confirm your email address"
    link = link_in(email)
    response = client.get(link)
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.email_confirmed_at is not None
    # The link works once.
    assert client.get(link).status_code == 400

    response = client.post("/sign-in", data={"email": "PRIYA.SHAH@example.org", "password": STRONG})
    assert response.status_code == 302
    assert b"Hello, Priya Shah" in client.get("/").data


def test_register_with_two_roles(client):
    school = factories.organisation()
    db.session.commit()
    dsl = factories.job_role("school-dsl")
    response = client.post(
        "/register", data=form_data(school, job_role_2=str(dsl.id), job_role_2_started=["1", "1", "2024"])
    )
    assert response.status_code == 302
    codes = sorted(db.session.scalars(select(PersonRole.job_role_id)))
    assert len(codes) == 2


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"email": "not-an-email"}, b"Enter an email address in the correct format"),
        ({"email": ""}, b"Enter your work email address"),
        ({"password": "short1"}, b"Password must be 10 characters or more"),
        ({"password": "password1234"}, b"Password is too easy to guess"),
        ({"password": "priyashah2021"}, b"Password must not be based on your name"),
        ({"full_name": "  "}, b"Enter your full name"),
        ({"organisation": "999999"}, b"Select your organisation from the list"),
        ({"organisation": "not-a-number"}, b"Select your organisation from the list"),
        ({"organisation": ""}, b"Select your organisation, or select"),
        ({"job_role_1": ""}, b"Select your job role"),
        ({"job_role_1_started": ["31", "2", "2021"]}, b"must be a real date"),
        ({"job_role_1_started": ["", "", ""]}, b"Enter the date you started in this role"),
        ({"job_role_1_started": ["1", "1", "2099"]}, b"must be today or in the past"),
    ],
)
def test_bad_registration_shows_error_and_creates_nothing(client, overrides, message):
    school = factories.organisation()
    db.session.commit()
    before = count_users()
    response = client.post("/register", data=form_data(school, **overrides))
    assert response.status_code == 200
    assert b"There is a problem" in response.data  # the GOV.UK error summary
    assert b"govuk-error-message" in response.data
    assert message in response.data, response.data.decode()[:3000]
    assert count_users() == before
    assert outbox() == []
    assert db.session.scalar(select(func.count(Employment.id))) == 0


def test_a_known_email_gets_the_same_answer_and_its_owner_an_email(client):
    school = factories.organisation()
    db.session.commit()
    new = client.post("/register", data=form_data(school, email="someone.new@example.org"))
    new_page = client.get(new.headers["Location"])
    factories.user("priya.shah@example.org", full_name="Priya Shah")
    db.session.commit()
    before = count_users()
    known = client.post("/register", data=form_data(school))
    # The same answer: a redirect to the same page, which reads the same apart from the address.
    assert (new.status_code, new.headers["Location"]) == (known.status_code, known.headers["Location"]) == (
        302, "/register/check-your-email")
    known_page = client.get(known.headers["Location"])
    same = lambda html: re.sub(rb'nonce="[^"]+"', b"", html.replace(b"priya.shah@example.org", b"EMAIL")  # noqa: E731
                               .replace(b"someone.new@example.org", b"EMAIL"))
    assert same(known_page.data) == same(new_page.data)
    assert count_users() == before
    # The owner hears of it, with a way in rather than a second account.
    [email] = outbox("priya.shah@example.org")
    assert email.subject == "Someone tried to create an account with your email address"
    assert "http://localhost/sign-in" in email.body_text and "http://localhost/forgot-password" in email.body_text
    assert "confirm" not in email.body_text.lower()


def test_a_known_email_with_a_weak_password_gets_the_same_error_as_a_new_one(client):
    school = factories.organisation()
    factories.user("priya.shah@example.org")
    db.session.commit()
    known = client.post("/register", data=form_data(school, password="short"))
    new = client.post("/register", data=form_data(school, email="nobody.yet@example.org", password="short"))
    assert known.status_code == new.status_code == 200
    assert b"Password must be 10 characters or more" in known.data and b"already" not in known.data
    assert outbox() == []


def test_its_owner_hears_at_most_three_times_an_hour(client):
    school = factories.organisation()
    factories.user("priya.shah@example.org")
    db.session.commit()
    for _ in range(5):
        assert client.post("/register", data=form_data(school)).status_code == 302
    assert len(outbox("priya.shah@example.org")) == 3


def test_registrations_from_one_address_are_limited(client, app):
    school = factories.organisation()
    factories.user("taken.0@example.org")
    db.session.commit()
    limit = app.config["REGISTER_MAX_PER_ADDRESS"]
    for n in range(limit):
        # Known and new addresses count alike, so the limit says nothing about either.
        answer = client.post("/register", data=form_data(school, email=f"taken.{n}@example.org"))
        assert answer.status_code == 302
    refused = client.post("/register", data=form_data(school, email="one.more@example.org"))
    assert refused.status_code == 200
    assert b"Too many accounts have been created from your network" in refused.data
    assert count_users() == limit  # the known one, and limit - 1 new
    other = client.post("/register", data=form_data(school, email="elsewhere@example.org"),
                        environ_base={"REMOTE_ADDR": "203.0.113.40"})
    assert other.status_code == 302


def test_inactive_organisation_is_refused(client):
    school = factories.organisation(active=False)
    db.session.commit()
    response = client.post("/register", data=form_data(school))
    assert b"Select your organisation from the list" in response.data
    assert count_users() == 0


def test_registration_page_lists_organisations_and_roles(client):
    factories.organisation("Hollybank Nursery", type_code="day-nursery", postcode="HB1 2AA")
    db.session.commit()
    page = client.get("/register").data.decode()
    assert "Hollybank Nursery (HB1 2AA)" in page
    assert "School designated safeguarding lead (DSL)" in page
    assert 'data-module="app-autocomplete"' in page


def test_resend_confirmation(client):
    person = factories.user("late@example.org", confirmed=False)
    db.session.commit()
    response = client.post("/confirm/resend", data={"email": "late@example.org"})
    assert response.status_code == 200
    assert len(outbox("late@example.org")) == 1
    # Unknown addresses get the same answer and no email.
    response = client.post("/confirm/resend", data={"email": "nobody@example.org"})
    assert b"Check your email" in response.data
    assert outbox("nobody@example.org") == []
    # At most three links an hour.
    for _ in range(5):
        client.post("/confirm/resend", data={"email": "late@example.org"})
    assert len(outbox("late@example.org")) == 3
    assert person.email_confirmed_at is None
