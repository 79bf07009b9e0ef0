"""`flask lms ...`: the command-line interface. Each command commits at the end."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from lms.core.time import utcnow
from lms.extensions import db

lms_cli = AppGroup("lms", help="Safeguarding Partnership LMS commands.")


@lms_cli.command("seed")
def seed_command():
    """Load the shipped reference data (sectors, organisation types, job roles, requirements)."""
    from lms.compliance.baseline import load_baseline
    from lms.organisations.reference.services import load_reference_data

    added = load_reference_data()
    added["requirements"] = load_baseline()
    db.session.commit()
    click.echo("Reference data: " + ", ".join(f"{count} {name.replace('_', ' ')} added" for name, count in added.items()))


@lms_cli.command("create-user")
@click.argument("email")
@click.option("--name", required=True, help="Full name.")
@click.option("--role", type=click.Choice(["admin", "trainer", "practitioner"]), default="practitioner", show_default=True)
@click.option("--password", help="Password (prompted for if not given).")
@click.option("--organisation-id", type=int, help="Organisation the person works for.")
def create_user_command(email, name, role, password, organisation_id):
    """Create a confirmed account: the first admin of a new install, trainers, practitioners."""
    from lms.accounts.services import create_user
    from lms.core.errors import DomainError

    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = create_user(
            email=email, full_name=name, password=password, role=role, organisation_id=organisation_id, now=utcnow()
        )
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    db.session.commit()
    click.echo(f"Created {role} {user.email} (id {user.id}).")


token_cli = AppGroup("token", help="Personal API tokens.")
lms_cli.add_command(token_cli)


@token_cli.command("create")
@click.argument("email")
@click.option("--name", default="Command line", show_default=True, help="A name to recognise the token by.")
@click.option("--read-only", is_flag=True,
              help="A reporting token: it reads, and is refused (403) on anything that would change something. "
                   "It must expire (--expires-in).")
@click.option("--expires-in", "expires_in", type=click.IntRange(1, 366), metavar="DAYS",
              help="The token stops working this many days from now (at most a year).")
def token_create_command(email, name, read_only, expires_in):
    """Create an API token for EMAIL and print only the token."""
    from datetime import timedelta

    from lms.accounts.services import get_user_by_email
    from lms.api.services import create_token

    user = get_user_by_email(email)
    if user is None:
        raise click.ClickException(f"No account has the email address {email}")
    from lms.core.errors import DomainError

    now = utcnow()
    try:
        token, _ = create_token(user, name=name, now=now, read_only=read_only,
                                expires_at=now + timedelta(days=expires_in) if expires_in else None)
    except DomainError as error:
        db.session.rollback()
        message = error.message
        if error.field == "expires":
            message += " (--expires-in DAYS)"
        raise click.ClickException(message) from None
    db.session.commit()
    click.echo(token)


jobs_cli = AppGroup("jobs", help="Scheduled jobs.")
lms_cli.add_command(jobs_cli)


@jobs_cli.command("list")
def jobs_list_command():
    """List the scheduled jobs and when they run."""
    from lms.scheduler import JOBS

    for job in JOBS:
        click.echo(f"{job.name:28} {job.describe()}")


@jobs_cli.command("run")
@click.argument("name")
def jobs_run_command(name):
    """Run one job now (tests, or cron as a fallback)."""
    from lms.runner import run_job

    try:
        result = run_job(name)
    except KeyError:
        raise click.ClickException(f"No job is called {name}. See `flask lms jobs list`.") from None
    click.echo(f"{name}: {result}")


@lms_cli.command("scheduler")
def scheduler_command():
    """Run the scheduler process (one per install)."""
    from lms.runner import run_scheduler

    run_scheduler()


@lms_cli.command("demo-data")
@click.option("--if-empty", is_flag=True, help="Do nothing if there are already people.")
@click.option("--seed", default=2026, show_default=True, help="Random seed, for the same data each time.")
def demo_data_command(if_empty, seed):
    """Create a fictional borough partnership with organisations, people and demo sign-ins."""
    from lms.demo.data import create_demo_data, demo_sign_ins

    from lms.compliance.services import rebuild_status_table
    from lms.records.uptake import rebuild_uptake

    now = utcnow()
    created = create_demo_data(if_empty=if_empty, seed=seed, now=now)
    if created:
        import random

        from lms.demo.followup import add_demo_followups
        from lms.demo.history import create_demo_history
        from lms.demo.partnership import add_demo_partnership_details
        from lms.demo.sessions import add_demo_sessions
        from lms.demo.week import add_demo_week

        history = create_demo_history(seed=seed, now=now)
        sessions = add_demo_sessions(now, random.Random(seed))
        week = add_demo_week(now, random.Random(seed))
        followups = add_demo_followups(now, random.Random(seed))
        add_demo_partnership_details(now)
        rebuild_status_table(now=now)
        rebuild_uptake()  # the history went in round records.services
    db.session.commit()
    if created:
        click.echo(created.summary())
        click.echo(f"Training history: {history.courses} partnership courses, {history.completions} completions.")
        click.echo(sessions.summary())
        click.echo(week.summary())
        click.echo(followups.summary())
    else:
        click.echo("Demo data is already loaded.")
    click.echo("Demo sign-ins (password for all: see below):")
    for line in demo_sign_ins():
        click.echo("  " + line)


reports_cli = AppGroup("reports", help="Reports.")
lms_cli.add_command(reports_cli)


@reports_cli.command("rebuild-uptake")
def rebuild_uptake_command():
    """Rebuild the kept uptake rows from the training record (after loading data round the
    services; the nightly rebuild-uptake job does the same)."""
    import time

    from lms.records.uptake import rebuild_uptake, vacuum_uptake

    started = time.perf_counter()
    rows = rebuild_uptake()
    db.session.commit()
    tidied = vacuum_uptake()
    click.echo(f"{rows} uptake rows rebuilt in {time.perf_counter() - started:.1f} s"
               + (", table vacuumed and analysed" if tidied else ""))


courses_cli = AppGroup("courses", help="E-learning courses in the courses/ folder.")
lms_cli.add_command(courses_cli)


def _courses_root(path: str | None):
    from pathlib import Path

    from flask import current_app

    return Path(path) if path else Path(current_app.root_path).parent / "courses"


@courses_cli.command("check")
@click.option("--path", help="The courses folder (default: courses/ beside the app).")
def courses_check_command(path):
    """Check every course folder; report each problem with its file and line."""
    from lms.catalogue.services import check_course_files

    sources, problems = check_course_files(_courses_root(path))
    for problem in problems:
        click.echo(str(problem), err=True)
    if problems:
        raise click.ClickException(f"{len(problems)} problem{'s' if len(problems) != 1 else ''} found; nothing was changed.")
    click.echo(f"{len(sources)} course{'s' if len(sources) != 1 else ''} checked: no problems.")


@courses_cli.command("sync")
@click.option("--path", help="The courses folder (default: courses/ beside the app).")
def courses_sync_command(path):
    """Check, then load every course folder. Changes nothing if any folder has a problem."""
    from lms.catalogue.services import check_course_files, sync_courses

    sources, problems = check_course_files(_courses_root(path))
    for problem in problems:
        click.echo(str(problem), err=True)
    if problems:
        raise click.ClickException(f"{len(problems)} problem{'s' if len(problems) != 1 else ''} found; nothing was changed.")
    result = sync_courses(sources, now=utcnow())
    db.session.commit()
    click.echo(f"Courses synced. {result.summary()}.")


@lms_cli.command("import-records")
@click.argument("csv_file", metavar="FILE.csv", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check the file and say what it would add; change nothing.")
@click.option("--mapping", "mapping_file", metavar="MAP.csv", type=click.Path(exists=True, dir_okay=False),
              help="A course mapping (old_code,course_code): old course codes to count as catalogue courses.")
def import_records_command(csv_file, dry_run, mapping_file):
    """Import training history from a CSV file (see docs/import.md). Imports nothing if any
    row is bad; importing the same file again adds nothing."""
    from pathlib import Path

    from sqlalchemy.exc import IntegrityError

    from lms.records.imports.services import import_bytes

    path = Path(csv_file)
    try:
        mapping = Path(mapping_file) if mapping_file else None
        report = import_bytes(
            path.read_bytes(), file_name=path.name, actor=None, dry_run=dry_run, now=utcnow(),
            mapping=mapping.read_bytes() if mapping else None, mapping_name=mapping.name if mapping else None,
        )
    except IntegrityError:
        db.session.rollback()
        raise click.ClickException(
            "The records changed while importing (is another import running?). Nothing was imported; try again."
        ) from None
    for problem in report.errors:
        click.echo(str(problem), err=True)
    if not report.ok:
        db.session.rollback()
        count = len(report.errors)
        raise click.ClickException(
            f"{count:,} problem{'s' if count != 1 else ''} found in {report.rows:,} row{'s' if report.rows != 1 else ''}; "
            "nothing was imported."
        )
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    for label, number in report.totals():
        click.echo(f"{label}: {number:,}")
    for item in report.course_codes:
        if item.mapped:
            course = f"mapped to {item.course.code}"
        elif item.course is not None and item.course.active:
            course = "in the catalogue"
        else:
            course = "not in the catalogue, not mapped"
        meets = ", ".join(item.requirements) if item.requirements else "MEETS NO REQUIREMENT"
        click.echo(f"course {item.code}: {item.rows:,} row{'s' if item.rows != 1 else ''}, {course}; meets: {meets}")
    if dry_run:
        db.session.rollback()
        click.echo("Dry run: nothing was imported.")
    else:
        db.session.commit()
        click.echo("Import complete.")


certificates_cli = AppGroup("certificates", help="Certificates of completed training.")
lms_cli.add_command(certificates_cli)


@certificates_cli.command("issue-missing")
def certificates_issue_missing_command():
    """Issue certificates for e-learning completed before certificates were issued (once;
    a revoked certificate stays revoked). A session's certificates are issued by its
    trainer from the register."""
    from lms.certificates.services import issue_missing_elearning

    issued = issue_missing_elearning(now=utcnow())
    db.session.commit()
    click.echo(f"{issued} certificate{'s' if issued != 1 else ''} issued for e-learning completed before certificates.")


def register_cli(app: Flask) -> None:
    app.cli.add_command(lms_cli)
