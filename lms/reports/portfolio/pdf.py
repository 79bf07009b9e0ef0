"""A setting's evidence pack as a PDF, made in parts: the front (the setting, the summary,
the designated leads), the staff matrix some people at a time, and the training some
entries at a time. xhtml2pdf slows down as one document grows, so each part is rendered
on its own, the parts are joined with pypdf and the pages numbered ("Page 3 of 120") in
the footer afterwards. `progress(done, total, label)` is told after each part, so a
prepared download's page can say "1,200 of 2,000 people".

In the background job (`workers` > 1) the parts are rendered by that many worker
processes at once (started fresh, "spawn", so nothing of the scheduler's threads or
database connections is copied into them): xhtml2pdf is pure Python and holds one core.
"""
from __future__ import annotations

import io
import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor

from flask import current_app, render_template
from pypdf import PdfReader, PdfWriter
from reportlab.lib.units import cm
from reportlab.pdfgen import canvas

from lms.compliance import queries
from lms.core.pdf import html_to_pdf, html_to_pdf_in
from lms.reports.portfolio.services import EvidencePack

TEMPLATE = "reports/portfolio/pack_pdf.html"
# People a part of the matrix holds, and entries a part of the training list: a few dozen
# pages each, where xhtml2pdf is still at its fastest per page.
STAFF_PER_PART = 100
ENTRIES_PER_PART = 150
# Worker processes are worth starting (a second or so each) only for a long document.
PARALLEL_FROM_PARTS = 6


def _parts(pack: EvidencePack):
    """(part, context, people done after it, entries done after it), in document order."""
    rows, entries = pack.matrix.rows, pack.entries
    yield "front", {}, 0, 0
    staff_parts = [rows[i:i + STAFF_PER_PART] for i in range(0, len(rows), STAFF_PER_PART)] or [[]]
    done = 0
    for index, chunk in enumerate(staff_parts):
        done += len(chunk)
        yield "staff", {"rows": chunk, "first": index == 0, "last": index == len(staff_parts) - 1}, done, 0
    entry_parts = [entries[i:i + ENTRIES_PER_PART] for i in range(0, len(entries), ENTRIES_PER_PART)] or [[]]
    listed = 0
    for index, chunk in enumerate(entry_parts):
        listed += len(chunk)
        yield "training", {"entries": chunk, "first": index == 0, "last": index == len(entry_parts) - 1,
                           "closing": index == len(entry_parts) - 1}, done, listed


def pack_pdf(pack: EvidencePack, *, verify_url: str, progress: Callable[..., None] | None = None,
             workers: int = 1) -> tuple[bytes, int]:
    """The pack's PDF and its number of pages."""
    people, entries = len(pack.matrix.rows), len(pack.entries)
    parts = []
    for part, context, people_done, entries_done in _parts(pack):
        html = render_template(TEMPLATE, pack=pack, labels=queries.STATUS_LABELS, verify_url=verify_url,
                               part=part, numbered=False, **context)
        parts.append((part, html, people_done, entries_done))

    def told(part: str, people_done: int, entries_done: int) -> None:
        if progress is None:
            return
        if part == "training" and entries:
            progress(entries_done, entries, "training records")
        elif part == "staff":
            progress(people_done, people, "people")

    writer = PdfWriter()
    if workers > 1 and len(parts) >= PARALLEL_FROM_PARTS:
        folder = str(current_app.static_folder)
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            futures = [pool.submit(html_to_pdf_in, html, folder) for _, html, _, _ in parts]
            for (part, _, people_done, entries_done), future in zip(parts, futures):
                writer.append(PdfReader(io.BytesIO(future.result())))
                told(part, people_done, entries_done)
    else:
        for part, html, people_done, entries_done in parts:
            writer.append(PdfReader(io.BytesIO(html_to_pdf(html))))
            told(part, people_done, entries_done)
    _number_pages(writer)
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue(), len(writer.pages)


def _number_pages(writer: PdfWriter) -> None:
    """'Page N of M' at the right of each page's footer line, drawn onto the page."""
    total = len(writer.pages)
    for number, page in enumerate(writer.pages, start=1):
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        buffer = io.BytesIO()
        stamp = canvas.Canvas(buffer, pagesize=(width, height))
        stamp.setFont("Helvetica", 8)
        stamp.setFillColorRGB(0x50 / 255, 0x5a / 255, 0x5f / 255)
        stamp.drawRightString(width - 1.5 * cm, 1.3 * cm + 2, f"Page {number} of {total}")
        stamp.save()
        page.merge_page(PdfReader(buffer).pages[0])
