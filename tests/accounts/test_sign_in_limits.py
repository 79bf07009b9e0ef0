"""Sign-in limits behind a proxy and under a race: the client's real address counts (and a
forged header does not), made-up accounts from one address cannot lock anyone else out,
and guesses at one account sent at the same moment, each on its own database connection,
check no more than the limit."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from lms import create_app
from lms.accounts import services
from lms.accounts.models import LoginAttempt
from lms.core.errors import DomainError
from lms.core.time import utcnow
from lms.extensions import db
from tests import factories


@pytest.fixture()
def proxied(app):
    """The same database, served behind one trusted proxy (TRUSTED_PROXIES=1)."""
    return create_app("testing", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                      WTF_CSRF_ENABLED=False, TRUSTED_PROXIES=1)


def _sign_in(client, email, password, client_address):
    # The proxy connects from 127.0.0.1 and says who its client was.
    return client.post("/sign-in", data={"email": email, "password": password},
                       headers={"X-Forwarded-For": client_address}, environ_base={"REMOTE_ADDR": "127.0.0.1"})


def test_made_up_accounts_from_one_address_do_not_lock_out_anyone_else(app, proxied):
    person = factories.user("dsl@school.example")
    admin = factories.user("admin@partnership.example", admin=True)
    db.session.commit()
    attacker = proxied.test_client()
    for n in range(200):
        answer = _sign_in(attacker, f"made.up.{n}@nowhere.example", "not the password at all", "198.51.100.7")
        assert answer.status_code == 400
    # Counted against the attacker's own address, not the proxy's.
    addresses = set(db.session.scalars(select(LoginAttempt.ip_address)))
    assert addresses == {"198.51.100.7"}
    for someone, address in ((person, "203.0.113.20"), (admin, "203.0.113.21")):
        answer = _sign_in(proxied.test_client(), someone.email, factories.PASSWORD, address)
        assert answer.status_code == 302, answer.data[-500:]
    # A colleague behind the same address as the failures still signs in: 200 is far
    # below the per-address ceiling.
    colleague = factories.user("teacher@school.example")
    db.session.commit()
    assert _sign_in(proxied.test_client(), colleague.email, factories.PASSWORD, "198.51.100.7").status_code == 302


def test_without_a_trusted_proxy_a_forged_header_is_ignored(app, client):
    client.post("/sign-in", data={"email": "someone@nowhere.example", "password": "not the password at all"},
                headers={"X-Forwarded-For": "192.0.2.99"}, environ_base={"REMOTE_ADDR": "203.0.113.5"})
    assert set(db.session.scalars(select(LoginAttempt.ip_address))) == {"203.0.113.5"}


def test_behind_a_proxy_a_client_cannot_put_its_own_address_first(proxied):
    # The client sends "X-Forwarded-For: 192.0.2.99"; the proxy appends the real address.
    _sign_in(proxied.test_client(), "someone@nowhere.example", "not the password at all", "192.0.2.99, 198.51.100.7")
    assert set(db.session.scalars(select(LoginAttempt.ip_address))) == {"198.51.100.7"}


def test_thirty_guesses_at_once_check_no_more_than_the_limit(app):
    person = factories.user("target@school.example")
    db.session.commit()
    limit = app.config["SIGNIN_MAX_FAILURES_PER_ACCOUNT"]
    racing = create_app("testing", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 32, "max_overflow": 0, "pool_timeout": 120})
    start = threading.Barrier(30)
    outcomes: list[str] = []

    def guess(n: int) -> None:
        with racing.app_context():
            db.session.execute(select(1))  # its own connection, open before the race
            db.session.commit()
            start.wait()
            try:
                services.authenticate(person.email, f"wrong guess number {n}", ip_address=f"198.51.100.{n}",
                                      now=utcnow())
            except services.SignInLocked:
                outcomes.append("locked")
            except DomainError:
                outcomes.append("checked")
            db.session.commit()
            db.session.remove()

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    with racing.app_context():
        db.engine.dispose()
    assert len(outcomes) == 30
    checked = db.session.scalar(select(func.count(LoginAttempt.id)).where(LoginAttempt.email == person.email))
    assert checked == outcomes.count("checked") == limit
    assert outcomes.count("locked") == 30 - limit
