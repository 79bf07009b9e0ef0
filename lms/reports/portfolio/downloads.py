"""A setting's evidence pack as a prepared download (lms.downloads): a pack of more than
EVIDENCE_PACK_DIRECT_LIMIT staff is made by the run-downloads job rather than in the
request. The same people may have it as may see the pack: the setting's leads and admins,
checked again when the job runs and when the file is fetched."""
from __future__ import annotations

from datetime import date, datetime

from flask import current_app

from lms.accounts.models import User
from lms.audit import services as audit
from lms.core.errors import NotFound
from lms.core.tables import MIMETYPES, slug
from lms.core.urls import external_url
from lms.downloads.kinds import Kind, led_organisation, register
from lms.organisations.models import Organisation
from lms.reports.portfolio import services
from lms.reports.portfolio.pdf import pack_pdf

KIND = "evidence-pack"


def direct_limit() -> int:
    return int(current_app.config.get("EVIDENCE_PACK_DIRECT_LIMIT") or 100)


def params_for(organisation: Organisation, start: date, end: date) -> dict:
    return {"organisation_id": organisation.id, "from": start.isoformat(), "to": end.isoformat()}


def title_for(organisation: Organisation, start: date, end: date) -> str:
    return f"Training evidence pack: {organisation.name}, {start:%-d %b %Y} to {end:%-d %b %Y}"


def can_access(actor: User | None, params: dict) -> bool:
    return led_organisation(actor, params) is not None


def _period(params: dict) -> tuple[date, date]:
    return date.fromisoformat(params["from"]), date.fromisoformat(params["to"])


def produce(params: dict, *, actor: User, now: datetime, progress) -> tuple[bytes, str, str]:
    organisation = led_organisation(actor, params)
    if organisation is None:
        raise NotFound("There is no such evidence pack")
    start, end = _period(params)
    pack = services.evidence_pack(organisation, start=start, end=end, actor=actor, now=now)
    progress(0, len(pack.matrix.rows), "people")
    body, _ = pack_pdf(pack, verify_url=external_url("certificates.verify"), progress=progress,
                       workers=int(current_app.config.get("PDF_WORKERS") or 1))
    name = f"training-evidence-{slug(organisation.name, default='organisation')}-{end.isoformat()}.pdf"
    return body, name, MIMETYPES["pdf"]


def record_download(actor: User, params: dict, *, now: datetime, download) -> None:
    organisation = led_organisation(actor, params)
    start, end = _period(params)
    audit.record(
        actor, "evidence_pack.download", target=organisation, now=now,
        summary=f"Downloaded the training evidence pack of {organisation.name} "
                f"({start.isoformat()} to {end.isoformat()})",
        after={"from": start, "to": end, "prepared_download": download.id, "size": download.size},
    )


def _source(params: dict) -> tuple[str, dict]:
    return "reports.portfolio.pack", {"organisation": params.get("organisation_id"),
                                      "from": params.get("from"), "to": params.get("to")}


def register_kinds() -> None:
    register(Kind(KIND, produce=produce, can_access=can_access, audit=record_download, source=_source))
