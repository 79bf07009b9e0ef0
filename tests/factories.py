"""Small builders for test data. Each flushes; the test (or the view under test) commits."""
from __future__ import annotations

from datetime import date, datetime
from itertools import count

from sqlalchemy import select

from lms.accounts import services as accounts
from lms.accounts.models import Employment, PersonRole, SettingLead, User
from lms.core.time import utcnow
from lms.extensions import db
from lms.organisations.models import Area, JobRole, Organisation, OrganisationType

PASSWORD = "correct horse battery staple"
_PASSWORD_HASH = None
_sequence = count(1)


def _password_hash() -> str:
    global _PASSWORD_HASH
    if _PASSWORD_HASH is None:
        _PASSWORD_HASH = accounts.hash_password(PASSWORD)
    return _PASSWORD_HASH


def area(name: str = "North", code: str | None = None) -> Area:
    row = Area(code=code or f"area-{next(_sequence)}", name=name)
    db.session.add(row)
    db.session.flush()
    return row


def organisation(name: str | None = None, type_code: str = "primary-school", area: Area | None = None, **kwargs) -> Organisation:
    org_type = db.session.scalar(select(OrganisationType).where(OrganisationType.code == type_code))
    row = Organisation(
        name=name or f"Test Organisation {next(_sequence)}",
        type_id=org_type.id,
        sector_id=org_type.sector_id,
        area_id=area.id if area else None,
        created_at=kwargs.pop("created_at", None) or _now(),
        **kwargs,
    )
    db.session.add(row)
    db.session.flush()
    return row


def _now():
    from tests.conftest import NOW

    return NOW


def job_role(code: str) -> JobRole:
    return db.session.scalar(select(JobRole).where(JobRole.code == code))


def user(
    email: str | None = None,
    *,
    full_name: str | None = None,
    organisation: Organisation | None = None,
    roles: tuple[str, ...] = ("teacher",),
    role_start: date = date(2020, 9, 1),
    admin: bool = False,
    trainer: bool = False,
    leads: tuple[Organisation, ...] = (),
    confirmed: bool = True,
    created_at: datetime | None = None,
) -> User:
    n = next(_sequence)
    person = User(
        email=email or f"person{n}@example.org",
        full_name=full_name or f"Person {n}",
        password_hash=_password_hash(),
        email_confirmed_at=_now() if confirmed else None,
        is_admin=admin,
        is_trainer=trainer,
        organisation_id=organisation.id if organisation else None,
        created_at=created_at or _now(),
    )
    db.session.add(person)
    for code in roles:
        person.roles.append(PersonRole(job_role=job_role(code), started_on=role_start))
    if organisation is not None:
        person.employments.append(Employment(organisation_id=organisation.id, started_on=role_start))
    db.session.flush()
    for led in leads:
        db.session.add(SettingLead(user_id=person.id, organisation_id=led.id, created_at=_now()))
    db.session.flush()
    return person


def sign_in(client, person: User, password: str = PASSWORD):
    """Sign in through the real form; returns the response."""
    return client.post("/sign-in", data={"email": person.email, "password": password}, follow_redirects=False)


def sign_in_directly(client, person: User) -> None:
    """Sign a test client in without the sign-in form (so it works with CSRF protection
    on): start a server-side session, against the real clock as sessions time out, and put
    its token where Flask-Login keeps the id."""
    token = accounts.start_session(person, now=utcnow())
    db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = token
        session["_fresh"] = True


def signed_in_client(app, person: User):
    """A new client of `app`, signed in as `person` without the sign-in form."""
    client = app.test_client()
    sign_in_directly(client, person)
    return client
