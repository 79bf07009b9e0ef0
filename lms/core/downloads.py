"""File downloads: the response that saves a file, and safe file names."""
from __future__ import annotations

import re

from flask import Response

MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def attachment(body: bytes | str, kind: str, filename: str) -> Response:
    """A response the browser saves as `filename`; `kind` is a key of MIMETYPES."""
    return Response(body, headers={"Content-Type": MIMETYPES[kind],
                                   "Content-Disposition": f'attachment; filename="{filename}"'})


def slug(text: str, *, default: str, limit: int = 60) -> str:
    """'Hillside Primary School' -> 'hillside-primary-school': lower-case letters and digits
    joined by hyphens, at most `limit` characters, `default` when nothing is left."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:limit].strip("-") or default
