from sqlalchemy import select

from lms.accounts import services
from lms.accounts.models import User
from lms.audit.models import AuditEvent
from lms.extensions import db

PASSWORD = "granite harbour velvet tulip"


def test_create_first_admin_with_prompted_password(runner, now):
    result = runner.invoke(
        args=["lms", "create-user", "Head.Office@Example.org", "--name", "Dana Admin", "--role", "admin"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created admin head.office@example.org" in result.output
    user = db.session.scalar(select(User).where(User.email == "head.office@example.org"))
    assert user.is_admin and not user.is_trainer
    assert user.email_confirmed_at is not None
    assert services.authenticate("head.office@example.org", PASSWORD, ip_address="127.0.0.1", now=now) == user
    assert db.session.scalar(select(AuditEvent.action)) == "person.create"


def test_create_trainer_and_practitioner_with_password_option(runner):
    for email, role in (("t@example.org", "trainer"), ("p@example.org", "practitioner")):
        result = runner.invoke(args=["lms", "create-user", email, "--name", "Some One", "--role", role, "--password", PASSWORD])
        assert result.exit_code == 0, result.output
    trainer = db.session.scalar(select(User).where(User.email == "t@example.org"))
    practitioner = db.session.scalar(select(User).where(User.email == "p@example.org"))
    assert trainer.is_trainer and not trainer.is_admin
    assert not practitioner.is_trainer and not practitioner.is_admin


def test_create_user_refuses_bad_input_and_changes_nothing(runner):
    runner.invoke(args=["lms", "create-user", "a@example.org", "--name", "A", "--password", PASSWORD])
    for args, message in (
        (["lms", "create-user", "a@example.org", "--name", "Again", "--password", PASSWORD], "already uses"),
        (["lms", "create-user", "not-an-email", "--name", "X", "--password", PASSWORD], "correct format"),
        (["lms", "create-user", "b@example.org", "--name", "X", "--password", "weak"], "10 characters"),
        (["lms", "create-user", "c@example.org", "--name", "X", "--password", PASSWORD, "--organisation-id", "999"], "No organisation"),
    ):
        result = runner.invoke(args=args)
        assert result.exit_code != 0
        assert message in result.output
    assert db.session.scalar(select(db.func.count(User.id))) == 1


def test_seed_is_idempotent(runner):
    result = runner.invoke(args=["lms", "seed"])
    assert result.exit_code == 0
    assert "0 sectors added, 0 organisation types added, 0 job roles added, 0 requirements added" in result.output
