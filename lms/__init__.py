"""Safeguarding Partnership LMS: the application factory."""
from __future__ import annotations

from flask import Flask
from jinja2 import ChoiceLoader, PackageLoader, PrefixLoader

from config import get_config


def create_app(config_name: str | None = None, **overrides) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_object(get_config(config_name))
    app.config.update(overrides)
    _sqlite_waits_for_writers(app)
    _ensure_instance_folder(app)

    from lms.extensions import csrf, db, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(app.root_path + "/../migrations"), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)

    _configure_jinja(app)

    from lms import models  # noqa: F401  (every model, for Alembic and the ORM)
    from lms import security

    security.init_app(app)

    from lms.accounts import session as account_session

    account_session.init_app(app)

    for blueprint in _blueprints():
        app.register_blueprint(blueprint)

    from lms.certificates.services import connect_signals as connect_certificates
    from lms.compliance.services import connect_signals as connect_compliance
    from lms.records.external import connect_signals as connect_external_cpd

    connect_compliance()
    connect_certificates()
    connect_external_cpd()

    from lms.cli import register_cli

    register_cli(app)
    return app


def _blueprints():
    from lms.accounts.views import bp as accounts
    from lms.admin.views import bp as admin
    from lms.api import bp as api
    from lms.api import tokens_bp as api_tokens
    from lms.audit.views import bp as audit
    from lms.catalogue.admin_views import bp as courses_admin
    from lms.catalogue.views import bp as catalogue
    from lms.compliance.views import bp as compliance
    from lms.compliance.rules_views import bp as requirements_admin
    from lms.elearning.views import bp as elearning
    from lms.home.views import bp as home
    from lms.licences.views import bp as licences
    from lms.notifications.views import bp as notifications
    from lms.organisations.views import bp as organisations
    from lms.records.import_views import bp as records_import
    from lms.records.external_views import bp as external_cpd
    from lms.elearning.staff_views import bp as staff_learning
    from lms.bookings.views import bp as bookings
    from lms.bookings.manage_views import bp as sessions_admin
    from lms.bookings.register_views import bp as registers
    from lms.bookings.charges_views import bp as charges
    from lms.bookings.calendar_views import bp as session_calendar
    from lms.certificates.views import bp as certificates
    from lms.evaluations.views import bp as evaluations
    from lms.reports.views import bp as reports
    from lms.portfolio.views import bp as portfolio

    return [home, accounts, organisations, admin, licences, audit, notifications, catalogue, elearning, api, api_tokens, staff_learning, compliance, requirements_admin, records_import, external_cpd,
            bookings, session_calendar, sessions_admin, registers, charges, courses_admin, certificates, evaluations, reports, portfolio]


def _sqlite_waits_for_writers(app: Flask) -> None:
    """SQLite has one write lock for the whole database; a writer that finds it taken
    sleeps and retries, by default for 5 seconds before "database is locked". Many people
    booking at once queue for it, so wait up to 30 seconds rather than fail a request."""
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        connect_args = dict(options.get("connect_args") or {})
        connect_args.setdefault("timeout", 30)
        options["connect_args"] = connect_args
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def _ensure_instance_folder(app: Flask) -> None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite:///"):
        from pathlib import Path

        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)


def _configure_jinja(app: Flask) -> None:
    from lms.core import template_helpers

    app.jinja_loader = ChoiceLoader(
        [
            app.jinja_loader,
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    template_helpers.init_app(app)
