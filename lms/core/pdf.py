"""HTML to PDF bytes with xhtml2pdf, for sign-in sheets, certificates and other documents.

The renderer may load nothing but the app's own static files. Two locks keep it that way:

- the link callback turns `/static/...` (as `url_for("static", ...)` writes it) into the
  file's path inside the static folder and turns every other reference (a remote URL, a
  `file:` URL, any other path, a `..` escape) into an empty inline resource, so nothing
  else is even looked up;
- the resource policy, which xhtml2pdf applies to every fetch including the ones that do
  not pass through the callback (fonts, backgrounds), refuses the network outright and
  confines local reads to the static folder.

`data:` URIs are part of the document itself, not something fetched, so they stay usable
(a QR code drawn into the document, for instance), with a size limit.
"""
from __future__ import annotations

import io
import logging
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import current_app, render_template
from werkzeug.security import safe_join
from xhtml2pdf import pisa
from xhtml2pdf.config.resources import ResourceAccessPolicy

log = logging.getLogger(__name__)

# What a refused reference becomes: an empty inline resource, which loads nothing.
REFUSED = "data:,"
MAX_RESOURCE_BYTES = 5 * 1024 * 1024


class PdfError(Exception):
    """The document could not be turned into a PDF."""


@dataclass
class StaticResources:
    """The link callback for one render: the app's static files and nothing else. Keeps
    the references it refused, for logging and tests."""

    static_folder: Path
    url_path: str = "/static"
    refused: list[str] = field(default_factory=list)

    def __call__(self, uri, rel=None) -> str:
        text = str(uri or "")
        if text.startswith("data:"):
            return text
        path = self.static_path(text)
        if path is None:
            self.refused.append(text)
            log.warning("PDF resource refused: %.200s", text)
            return REFUSED
        return str(path)

    def static_path(self, uri: str) -> Path | None:
        """The file a `/static/...` reference names, inside the static folder, or None."""
        parts = urlsplit(uri)
        if parts.scheme or parts.netloc:
            return None
        prefix = self.url_path.rstrip("/") + "/"
        if not parts.path.startswith(prefix):
            return None
        relative = unquote(parts.path[len(prefix):])
        if not relative or "\\" in relative or "\x00" in relative:
            return None
        joined = safe_join(str(self.static_folder), relative)
        if joined is None:
            return None
        path = Path(joined).resolve()
        root = self.static_folder.resolve()
        if not path.is_relative_to(root) or not path.is_file():
            return None
        return path

    def policy(self) -> ResourceAccessPolicy:
        """No network; local reads only inside the static folder; every render limit on."""
        return ResourceAccessPolicy.server(
            base_dir=self.static_folder.resolve(),
            allow_remote=False,
            allowed_hosts=frozenset(),
            max_resource_bytes=MAX_RESOURCE_BYTES,
            max_local_bytes=MAX_RESOURCE_BYTES,
        )


def static_resources(static_folder: str | Path | None = None) -> StaticResources:
    """The resource rules for the current app (or for another static folder)."""
    if static_folder is None:
        static_folder = current_app.static_folder
        url_path = current_app.static_url_path or "/static"
    else:
        url_path = "/static"
    return StaticResources(static_folder=Path(static_folder), url_path=url_path)


def html_to_pdf(html: str, *, resources: StaticResources | None = None) -> bytes:
    """The PDF for an HTML document. Raises PdfError if xhtml2pdf reports errors."""
    resources = resources or static_resources()
    output = io.BytesIO()
    status = pisa.CreatePDF(
        html,
        dest=output,
        encoding="utf-8",
        link_callback=resources,
        resource_policy=resources.policy(),
    )
    if status.err:
        raise PdfError(f"The PDF could not be made ({status.err} error{'s' if status.err != 1 else ''})")
    return output.getvalue()


def html_to_pdf_in(html: str, static_folder: str) -> bytes:
    """html_to_pdf with the resource rules of `static_folder`, needing no app: for a worker
    process that renders one part of a long document."""
    return html_to_pdf(html, resources=static_resources(static_folder))


def render_pdf(template: str, **context) -> bytes:
    """Render a Jinja template to HTML and that to PDF bytes."""
    return html_to_pdf(render_template(template, **context))
