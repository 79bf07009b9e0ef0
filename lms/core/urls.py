"""Links for emails and documents, built from BASE_URL so they work in jobs and the CLI
as well as in requests."""
from __future__ import annotations

from flask import current_app


def external_url(endpoint: str, **values) -> str:
    base = current_app.config["BASE_URL"].rstrip("/")
    adapter = current_app.url_map.bind("localhost")
    return base + adapter.build(endpoint, values)
