"""The partnership's details as the pages, emails and certificates use them: the admin's
saved value where there is one, otherwise the environment's (config.py), read once per
request; and saving an admin's changes."""
from __future__ import annotations

import base64
import time
from dataclasses import dataclass
from datetime import date, datetime

from email_validator import EmailNotValidError, validate_email
from flask import Flask, current_app
from sqlalchemy import event, select

from lms.core.errors import DomainError
from lms.extensions import db
from lms.partnership.models import PartnershipSettings

# Each text detail, with the environment setting it falls back to.
TEXT_FIELDS = {
    "name": "PARTNERSHIP_NAME",
    "service_name": "SERVICE_NAME",
    "contact_email": "PARTNERSHIP_CONTACT_EMAIL",
    "contact_phone": "PARTNERSHIP_CONTACT_PHONE",
    "postal_address": "PARTNERSHIP_ADDRESS",
    "dpo_name": "DPO_NAME",
    "dpo_email": "DPO_EMAIL",
    "ico_registration": "ICO_REGISTRATION",
    "signatory_name": "CERTIFICATE_SIGNATORY_NAME",
    "signatory_role": "CERTIFICATE_SIGNATORY_ROLE",
    "accessibility_email": "ACCESSIBILITY_CONTACT_EMAIL",
    "accessibility_known_issues": "ACCESSIBILITY_KNOWN_ISSUES",
}
LIMITS = {"name": 200, "service_name": 200, "contact_email": 254, "contact_phone": 40, "postal_address": 500,
          "dpo_name": 200, "dpo_email": 254, "ico_registration": 20, "signatory_name": 200, "signatory_role": 200,
          "accessibility_email": 254, "accessibility_known_issues": 5000}
LABELS = {"name": "Partnership name", "service_name": "Service name", "contact_email": "Contact email address",
          "contact_phone": "Contact telephone number", "postal_address": "Postal address",
          "dpo_name": "Data protection officer", "dpo_email": "Data protection officer's email address",
          "ico_registration": "ICO registration number", "signatory_name": "Certificate signatory",
          "signatory_role": "Signatory's role", "accessibility_email": "Accessibility contact email address",
          "accessibility_known_issues": "Known accessibility issues"}
EMAIL_FIELDS = ("contact_email", "dpo_email", "accessibility_email")
REQUIRED = ("name", "service_name", "contact_email")
LOGO_TYPES = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}
MAX_LOGO_BYTES = 200 * 1024
CACHE_KEY = "partnership_details"


@dataclass(frozen=True)
class Details:
    name: str
    service_name: str
    contact_email: str
    contact_phone: str
    postal_address: str
    dpo_name: str
    dpo_email: str
    ico_registration: str
    signatory_name: str
    signatory_role: str
    accessibility_email: str
    accessibility_known_issues: str
    accessibility_checked_on: date | None
    has_logo: bool

    @property
    def signatory(self) -> str:
        return ", ".join(part for part in (self.signatory_name, self.signatory_role) if part)


def _row() -> PartnershipSettings | None:
    return db.session.scalar(select(PartnershipSettings).order_by(PartnershipSettings.id).limit(1))


def _load() -> Details:
    config = current_app.config
    row = _row()
    values = {}
    for name, setting in TEXT_FIELDS.items():
        saved = getattr(row, name) if row is not None else None
        values[name] = (saved or config.get(setting) or "").strip()
    checked = row.accessibility_checked_on if row is not None and row.accessibility_checked_on else None
    return Details(**values, accessibility_checked_on=checked or _checked_default(current_app),
                   has_logo=row is not None and row.logo_type is not None)


def _checked_default(app: Flask) -> date | None:
    value = app.config.get("ACCESSIBILITY_CHECKED_ON")
    return date.fromisoformat(value) if value else None


def details() -> Details:
    """The details now. Every page's header needs them, so each process keeps them for
    PARTNERSHIP_DETAILS_SECONDS (None: until this process changes them); a change saved in
    one web worker reaches the others within that time."""
    cached = current_app.extensions.get(CACHE_KEY)
    if cached is not None and (cached[0] is None or cached[0] > time.monotonic()):
        return cached[1]
    return _remember(current_app, _load())


def _remember(app: Flask, value: Details) -> Details:
    seconds = app.config.get("PARTNERSHIP_DETAILS_SECONDS", 60)
    app.extensions[CACHE_KEY] = (None if seconds is None else time.monotonic() + seconds, value)
    return value


def remember_environment(app: Flask) -> None:
    """Keep the environment's details, as when no admin has saved any (no query)."""
    _remember(app, Details(**{name: (app.config.get(setting) or "").strip() for name, setting in TEXT_FIELDS.items()},
                           accessibility_checked_on=_checked_default(app), has_logo=False))


def forget(app: Flask | None = None) -> None:
    """Read the details afresh next time."""
    (app or current_app).extensions.pop(CACHE_KEY, None)


def logo_data_uri() -> str | None:
    """The logo as a data: URI for a PDF (nothing is fetched while rendering)."""
    row = _row()
    if row is None or row.logo_type is None or not row.logo:
        return None
    return f"data:{row.logo_type};base64,{base64.b64encode(row.logo).decode()}"


def logo_type_of(content: bytes) -> str:
    for start, kind in LOGO_TYPES.items():
        if content.startswith(start):
            return kind
    raise DomainError("The logo must be a PNG or JPEG image", field="logo")


def update(values: dict, *, actor, now: datetime, logo: bytes | None = None, remove_logo: bool = False,
           accessibility_checked_on: date | None = None) -> tuple[dict, dict]:
    """Save an admin's changes; (before, after) of what changed, for the audit log.
    DomainError (nothing changed) on a bad value."""
    cleaned = {}
    for name in TEXT_FIELDS:
        value = " ".join((values.get(name) or "").split()) if name not in ("postal_address", "accessibility_known_issues") \
            else (values.get(name) or "").strip().replace("\r\n", "\n")
        if len(value) > LIMITS[name]:
            raise DomainError(f"{LABELS[name]} must be {LIMITS[name]:,} characters or fewer", field=name)
        if name in REQUIRED and not value:
            raise DomainError(f"Enter the {LABELS[name][0].lower()}{LABELS[name][1:]}", field=name)
        if name in EMAIL_FIELDS and value:
            try:
                value = validate_email(value, check_deliverability=False).normalized.lower()
            except EmailNotValidError:
                raise DomainError(f"Enter the {LABELS[name][0].lower()}{LABELS[name][1:]} in the correct format, "
                                  "like training@partnership.org.uk", field=name) from None
        cleaned[name] = value or None
    if accessibility_checked_on is not None and accessibility_checked_on > now.date():
        raise DomainError("The date the service was last checked must be today or in the past",
                          field="accessibility_checked_on")
    logo_type = None
    if logo:
        if len(logo) > MAX_LOGO_BYTES:
            raise DomainError("The logo must be smaller than 200 KB", field="logo")
        logo_type = logo_type_of(logo)
    row = _row()
    if row is None:
        row = PartnershipSettings()
        db.session.add(row)
    before, after = {}, {}
    for name, value in [*cleaned.items(), ("accessibility_checked_on", accessibility_checked_on)]:
        old = getattr(row, name)
        if old != value:
            before[name], after[name] = _plain(old), _plain(value)
            setattr(row, name, value)
    if logo:
        row.logo, row.logo_type = logo, logo_type
        before["logo"], after["logo"] = "earlier logo" if row.logo_type else None, f"{logo_type}, {len(logo):,} bytes"
    elif remove_logo and row.logo_type:
        row.logo, row.logo_type = None, None
        before["logo"], after["logo"] = "logo", None
    row.updated_at, row.updated_by_id = now, actor.id
    db.session.flush()
    forget()
    return before, after


def _plain(value):
    return value.isoformat() if isinstance(value, date) else value


def init_app(app: Flask) -> None:
    """The header, the page titles and the footer name the partnership and its service."""

    @event.listens_for(PartnershipSettings.__table__, "after_create")
    def _empty(target, connection, **_):
        # A table just made holds no row: the details are the environment's (no need to ask).
        remember_environment(app)

    @app.context_processor
    def inject_partnership():
        try:
            current = details()
        except Exception:  # the database is not there yet (first run before migrating)
            db.session.rollback()
            return {}
        return {"service_name": current.service_name, "partnership_name": current.name, "partnership": current}
