"""Configuration classes, chosen by the LMS_CONFIG environment variable.

development (default), testing, production. Every setting can be overridden from the
environment; production refuses to start without SECRET_KEY and DATABASE_URL.
"""
from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def _engine_options() -> dict:
    """SQLAlchemy engine options, from the environment (docs/operations.md, "National scale"):
    DATABASE_POOL_SIZE and DATABASE_MAX_OVERFLOW (connections each worker process keeps and
    may add), DATABASE_POOL_RECYCLE (seconds before a connection is replaced), and
    DATABASE_PGBOUNCER=1 behind PgBouncer in transaction mode: no server-side prepared
    statements (psycopg's prepare_threshold), which a pooled server connection cannot keep."""
    options: dict = {"pool_pre_ping": True}
    for name, key in (("DATABASE_POOL_SIZE", "pool_size"), ("DATABASE_MAX_OVERFLOW", "max_overflow"),
                      ("DATABASE_POOL_RECYCLE", "pool_recycle")):
        if os.environ.get(name):
            options[key] = int(os.environ[name])
    if _bool("DATABASE_PGBOUNCER", False):
        options["connect_args"] = {"prepare_threshold": None}
    return options


class Config:
    SERVICE_NAME = os.environ.get("SERVICE_NAME", "Safeguarding Partnership Training")
    PARTNERSHIP_NAME = os.environ.get("PARTNERSHIP_NAME", "Safeguarding Children Partnership")
    # The partnership's own details (lms.partnership): these are the defaults an admin's
    # saved values on /admin/partnership override.
    PARTNERSHIP_CONTACT_EMAIL = os.environ.get("PARTNERSHIP_CONTACT_EMAIL", "training@partnership.example")
    PARTNERSHIP_CONTACT_PHONE = os.environ.get("PARTNERSHIP_CONTACT_PHONE", "")
    PARTNERSHIP_ADDRESS = os.environ.get("PARTNERSHIP_ADDRESS", "")
    DPO_NAME = os.environ.get("DPO_NAME", "")
    DPO_EMAIL = os.environ.get("DPO_EMAIL", "")
    ICO_REGISTRATION = os.environ.get("ICO_REGISTRATION", "")
    CERTIFICATE_SIGNATORY_NAME = os.environ.get("CERTIFICATE_SIGNATORY_NAME", "")
    CERTIFICATE_SIGNATORY_ROLE = os.environ.get("CERTIFICATE_SIGNATORY_ROLE", "")
    ACCESSIBILITY_CONTACT_EMAIL = os.environ.get("ACCESSIBILITY_CONTACT_EMAIL", "")
    ACCESSIBILITY_KNOWN_ISSUES = os.environ.get("ACCESSIBILITY_KNOWN_ISSUES", "")
    ACCESSIBILITY_CHECKED_ON = os.environ.get("ACCESSIBILITY_CHECKED_ON", "2026-12-07")
    # How long a process keeps the details before reading them again (a change saved in one
    # web worker reaches the others within this many seconds).
    PARTNERSHIP_DETAILS_SECONDS = _int("PARTNERSHIP_DETAILS_SECONDS", 60)
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-secret-change-me")
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{BASE_DIR / 'instance' / 'lms.sqlite'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS: dict = _engine_options()
    # A read replica for the report queries (lms.core.db_routing); unset: the main database.
    REPORTS_DATABASE_URL = os.environ.get("REPORTS_DATABASE_URL") or None
    # Base URL used in emails and certificates (no trailing slash): the address the app is
    # served on. Unless set, it follows PORT (the port `make run` serves on).
    BASE_URL = os.environ.get("BASE_URL") or f"http://127.0.0.1:{os.environ.get('PORT') or 5000}"

    # Sessions: a server-side record per sign-in; the cookie only carries its id.
    SESSION_COOKIE_NAME = "lms_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    SESSION_IDLE_TIMEOUT = timedelta(minutes=_int("SESSION_IDLE_MINUTES", 30))
    SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=_int("SESSION_ABSOLUTE_HOURS", 12))
    REMEMBER_COOKIE_HTTPONLY = True
    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session

    # How many proxies in front of the app add X-Forwarded-For / X-Forwarded-Proto (0: none,
    # the headers are ignored). With 1, the client's address is the one the proxy saw.
    TRUSTED_PROXIES = _int("TRUSTED_PROXIES", 0)
    # Rate limits, counted in the database so they hold across worker processes. The
    # per-address ceiling is high on purpose (docs/accounts.md): a school or a council sits
    # behind one address, and the per-account limit is what stops guessing.
    SIGNIN_MAX_FAILURES_PER_ACCOUNT = _int("SIGNIN_MAX_FAILURES_PER_ACCOUNT", 10)
    SIGNIN_MAX_FAILURES_PER_ADDRESS = _int("SIGNIN_MAX_FAILURES_PER_ADDRESS", 500)
    SIGNIN_LOCK_WINDOW = timedelta(minutes=_int("SIGNIN_LOCK_MINUTES", 15))
    RESET_MAX_PER_ACCOUNT = _int("RESET_MAX_PER_ACCOUNT", 3)
    RESET_MAX_PER_ADDRESS = _int("RESET_MAX_PER_ADDRESS", 20)
    RESET_WINDOW = timedelta(hours=1)
    RESET_TOKEN_LIFETIME = timedelta(hours=1)
    # Registration answers the same whether or not the email is in use; these limit it.
    REGISTER_MAX_PER_ADDRESS = _int("REGISTER_MAX_PER_ADDRESS", 20)
    REGISTER_MAX_PER_ACCOUNT = _int("REGISTER_MAX_PER_ACCOUNT", 3)
    REGISTER_WINDOW = timedelta(hours=1)
    CONFIRM_TOKEN_LIFETIME = timedelta(days=7)
    INVITE_TOKEN_LIFETIME = timedelta(days=_int("INVITE_TOKEN_DAYS", 7))

    # Email: "console" (development), "smtp" or "notify".
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "console")
    MAIL_FROM = os.environ.get("MAIL_FROM", "training@partnership.example")
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "127.0.0.1")
    MAIL_PORT = _int("MAIL_PORT", 25)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", False)
    MAIL_USE_SSL = _bool("MAIL_USE_SSL", False)
    MAIL_TIMEOUT = _int("MAIL_TIMEOUT", 30)
    MAIL_MAX_ATTEMPTS = _int("MAIL_MAX_ATTEMPTS", 8)
    # Retention: the nightly prune-sent-emails job clears the text, HTML and attachments of
    # emails sent (or given up on) more than this many days ago; the rest of the row stays.
    EMAIL_BODY_RETENTION_DAYS = _int("EMAIL_BODY_RETENTION_DAYS", 180)
    # Retention: the nightly anonymise-closed-accounts job erases the name, email and other
    # personal details of accounts closed longer ago than this, keeping what reports count.
    CLOSED_ACCOUNT_RETENTION_DAYS = _int("CLOSED_ACCOUNT_RETENTION_DAYS", 365)
    NOTIFY_API_KEY = os.environ.get("NOTIFY_API_KEY")
    NOTIFY_TEMPLATE_ID = os.environ.get("NOTIFY_TEMPLATE_ID")
    # Optional: a second Notify template with a ((link_to_file)) field for one attachment.
    NOTIFY_FILE_TEMPLATE_ID = os.environ.get("NOTIFY_FILE_TEMPLATE_ID")
    # SQLite installs: the file the scheduler locks so only one runs (default instance/scheduler.lock).
    SCHEDULER_LOCK_FILE = os.environ.get("SCHEDULER_LOCK_FILE")
    NOTIFY_BASE_URL = os.environ.get("NOTIFY_BASE_URL", "https://api.notifications.service.gov.uk")

    # Unfiltered uptake reports of whole months read the kept uptake rows (docs/reports.md,
    # "How the figures are kept"); 0 counts every report from the completions instead (the
    # benchmark's --direct, or a fallback while the kept rows are being rebuilt).
    UPTAKE_KEPT_FIGURES = _bool("UPTAKE_KEPT_FIGURES", True)

    # Evidence files people upload with external CPD: a folder outside the static folder,
    # kept with the database's backups (default instance/evidence).
    EVIDENCE_FOLDER = os.environ.get("EVIDENCE_FOLDER")
    # SCORM packages' files, one folder per package version (default instance/scorm).
    SCORM_STORAGE_DIR = os.environ.get("SCORM_STORAGE_DIR")
    # Prepared downloads (docs/downloads.md): where their files are kept (default
    # instance/downloads), for how many days, and above what size a document is made in the
    # background rather than in the request.
    DOWNLOADS_FOLDER = os.environ.get("DOWNLOADS_FOLDER")
    DOWNLOAD_RETENTION_DAYS = _int("DOWNLOAD_RETENTION_DAYS", 7)
    EVIDENCE_PACK_DIRECT_LIMIT = _int("EVIDENCE_PACK_DIRECT_LIMIT", 100)
    CERTIFICATE_ZIP_DIRECT_LIMIT = _int("CERTIFICATE_ZIP_DIRECT_LIMIT", 50)
    COMPLIANCE_EXPORT_DIRECT_LIMIT = _int("COMPLIANCE_EXPORT_DIRECT_LIMIT", 500)
    # Worker processes the run-downloads job renders a long PDF's parts with (1: in the job's own
    # process; 2 on a machine whose cores are free for it: docs/downloads.md).
    PDF_WORKERS = _int("PDF_WORKERS", 1)

    # Safeguarding Week's public registration: how long a held place waits for the
    # emailed link to be followed, how many attempts one address may make in the window,
    # and how long after the week the registrants' names and emails are kept.
    PUBLIC_REGISTRATION_CONFIRM_HOURS = _int("PUBLIC_REGISTRATION_CONFIRM_HOURS", 24)
    PUBLIC_REGISTRATION_MAX_PER_ADDRESS = _int("PUBLIC_REGISTRATION_MAX_PER_ADDRESS", 20)
    PUBLIC_REGISTRATION_WINDOW = timedelta(minutes=_int("PUBLIC_REGISTRATION_WINDOW_MINUTES", 60))
    PUBLIC_REGISTRATION_RETENTION_DAYS = _int("PUBLIC_REGISTRATION_RETENTION_DAYS", 30)

    # The largest request body any page takes, refused with a 413 before it is read; pages
    # that take files allow more (lms.core.limits.body_limit: history import, evidence).
    MAX_CONTENT_LENGTH = _int("MAX_CONTENT_LENGTH", 2 * 1024 * 1024)

    # A history file larger than this is imported by the scheduler's run-imports job, with
    # its progress on a page, rather than within the upload's request.
    IMPORT_BACKGROUND_BYTES = _int("IMPORT_BACKGROUND_BYTES", 1024 * 1024)

    API_PAGE_SIZE = 50
    API_MAX_PAGE_SIZE = 500
    # Front-end packages installed by npm (see package.json), served from node_modules.
    NODE_MODULES_DIR = os.environ.get("NODE_MODULES_DIR", str(BASE_DIR / "node_modules"))
    TESTING = False
    DEBUG = False


class DevelopmentConfig(Config):
    DEBUG = False
    # The development mailbox (/dev/mailbox): every email the service has queued or sent,
    # readable from this machine only, so `make run` needs no mail server.
    DEV_MAILBOX = _bool("DEV_MAILBOX", True)


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing-secret"
    PARTNERSHIP_DETAILS_SECONDS = None  # kept until changed: pages run the same statements every time
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    MAIL_BACKEND = os.environ.get("TEST_MAIL_BACKEND", "console")
    BASE_URL = "http://localhost"
    SERVER_NAME = None


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"

    @classmethod
    def check(cls) -> None:
        missing = [name for name in ("SECRET_KEY", "DATABASE_URL") if not os.environ.get(name)]
        if missing:
            raise RuntimeError(
                "Production configuration needs these environment variables: " + ", ".join(missing)
            )


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def get_config(name: str | None = None) -> type[Config]:
    name = name or os.environ.get("LMS_CONFIG", "development")
    try:
        config = CONFIGS[name]
    except KeyError:
        raise RuntimeError(f"LMS_CONFIG must be one of {', '.join(CONFIGS)}; got {name!r}") from None
    if config is ProductionConfig:
        ProductionConfig.check()
    return config
