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
    _reports_database(app)
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

    from lms.accounts.admin.views import connect_signals as connect_accounts_admin
    from lms.accounts.registrations import connect_signals as connect_registrations
    from lms.certificates.services import connect_signals as connect_certificates
    from lms.compliance.receivers import connect_signals as connect_compliance_receivers
    from lms.compliance.kept_rules import connect_signals as connect_kept_rules
    from lms.compliance.services import connect_signals as connect_compliance
    from lms.courses.sessions.services import connect_signals as connect_course_sessions
    from lms.evaluations.followup.services import connect_signals as connect_followup
    from lms.licences.services import connect_signals as connect_licences
    from lms.programmes.twilights.services import connect_signals as connect_twilights
    from lms.programmes.week.services import connect_signals as connect_week
    from lms.records.external.services import connect_signals as connect_external_cpd
    from lms.records.uptake import connect_signals as connect_uptake

    connect_compliance()
    connect_kept_rules()
    connect_compliance_receivers()
    connect_certificates()
    connect_course_sessions()
    connect_external_cpd()
    connect_uptake()
    connect_registrations()
    connect_licences()
    connect_accounts_admin()
    connect_twilights()
    connect_week()
    connect_followup()

    from lms.compliance.downloads import register_kinds as register_export_downloads
    from lms.courses.sessions.downloads import register_kinds as register_certificate_downloads
    from lms.reports.portfolio.downloads import register_kinds as register_pack_downloads

    register_pack_downloads()
    register_certificate_downloads()
    register_export_downloads()

    from lms.cli import register_cli

    register_cli(app)
    return app


# The features with pages, in the order their blueprints are registered. Each names a module
# with one blueprint, `bp`; a big feature's blueprint nests its sub-features' blueprints.
FEATURES = [
    "lms.pages.views",
    "lms.accounts.views",
    "lms.organisations.views",
    "lms.licences.views",
    "lms.audit.views",
    "lms.notifications.views",
    "lms.catalogue.views",
    "lms.courses.views",
    "lms.elearning.views",
    "lms.api",
    "lms.api.tokens",
    "lms.compliance.views",
    "lms.records.views",
    "lms.bookings.views",
    "lms.programmes.views",
    "lms.certificates.views",
    "lms.evaluations.views",
    "lms.reports.views",
    "lms.downloads.views",
    "lms.privacy.views",
]


def _blueprints():
    from importlib import import_module

    return [import_module(name).bp for name in FEATURES]


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


def _reports_database(app: Flask) -> None:
    """REPORTS_DATABASE_URL, when set: an engine of its own for the report reads
    (lms.core.db_routing), with the primary's engine options. Not a Flask-SQLAlchemy bind,
    so create_all, drop_all and the migrations never see it."""
    url = app.config.get("REPORTS_DATABASE_URL")
    if not url:
        return
    from sqlalchemy import create_engine

    from lms.extensions import REPORTS_BIND

    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if url.startswith("sqlite"):
        options["connect_args"] = {"timeout": 30}
    elif app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        options.pop("connect_args", None)
    app.extensions[REPORTS_BIND] = create_engine(url, **options)


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
