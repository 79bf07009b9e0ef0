"""A setting's staff matrix export (CSV or XLSX) as a prepared download (lms.downloads):
an export of more than COMPLIANCE_EXPORT_DIRECT_LIMIT people is made by the run-downloads
job. The same people may have it as may see the matrix: the setting's leads and admins,
checked again when the job runs and when the file is fetched, which is audited as the
direct export is."""
from __future__ import annotations

from datetime import date, datetime

from flask import current_app

from lms.accounts.models import User
from lms.audit import services as audit
from lms.compliance import exports
from lms.compliance import matrix as matrix_queries
from lms.core.errors import NotFound
from lms.core.tables import MIMETYPES
from lms.downloads.kinds import Kind, led_organisation, register
from lms.organisations.models import Organisation

KIND = "compliance-export"


def direct_limit() -> int:
    return int(current_app.config.get("COMPLIANCE_EXPORT_DIRECT_LIMIT") or 500)


def params_for(organisation: Organisation, *, extension: str, as_of: date, filters: matrix_queries.MatrixFilters,
               described: list[tuple[str, str]], args: dict) -> dict:
    return {
        "organisation_id": organisation.id, "format": extension, "as_of": as_of.isoformat(),
        "filters": {"requirement": filters.requirement, "status": filters.status, "job_role_id": filters.job_role_id,
                    "search": filters.search, "sort": filters.sort},
        "described": [list(item) for item in described], "args": args,
    }


def title_for(organisation: Organisation, extension: str, as_of: date, filtered: bool) -> str:
    return (f"Training compliance{' (filtered)' if filtered else ''}: {organisation.name}, "
            f"{as_of:%-d %b %Y} ({extension.upper()})")


def can_access(actor: User | None, params: dict) -> bool:
    return led_organisation(actor, params) is not None


def produce(params: dict, *, actor: User, now: datetime, progress) -> tuple[bytes, str, str]:
    organisation = led_organisation(actor, params)
    if organisation is None:
        raise NotFound("There is no such organisation")
    extension = params["format"] if params.get("format") in exports.FORMATS else "csv"
    as_of = date.fromisoformat(params["as_of"])
    filters = matrix_queries.MatrixFilters(**params.get("filters") or {})
    requirements = matrix_queries.matrix_columns(organisation.id, as_of=as_of).requirements
    table = matrix_queries.matrix(organisation, as_of=as_of, filters=filters, requirements=requirements, page=None)
    progress(0, len(table.rows), "people")
    if extension == "csv":
        body = exports.matrix_csv(table)
    else:
        body = exports.matrix_xlsx(table, generated_at=now,
                                   filters=[tuple(item) for item in params.get("described") or []])
    progress(len(table.rows), len(table.rows), "people")
    return body, exports.matrix_filename(table, extension), MIMETYPES[extension]


def record_download(actor: User, params: dict, *, now: datetime, download) -> None:
    organisation = led_organisation(actor, params)
    extension = params.get("format", "csv")
    audit.record(
        actor, "compliance.export", target=organisation, now=now,
        summary=f"Downloaded the training compliance of {organisation.name} as {extension.upper()} "
                f"(prepared download)",
        after={"format": extension, "as_of": params.get("as_of"), "prepared_download": download.id,
               "filters": {label: value for label, value in params.get("described") or []}},
    )


def _source(params: dict) -> tuple[str, dict]:
    return "compliance.matrix", dict(params.get("args") or {"organisation": params.get("organisation_id")})


def register_kinds() -> None:
    register(Kind(KIND, produce=produce, can_access=can_access, audit=record_download, source=_source))
