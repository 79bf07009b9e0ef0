"""HTML to PDF (lms.core.pdf): real PDFs, and a renderer that loads only the app's own
static files."""
from __future__ import annotations

import io
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import segno
from pypdf import PdfReader
from xhtml2pdf.config.resources import ResourceAccessError

from lms.core.pdf import REFUSED, StaticResources, html_to_pdf, static_resources

pytestmark = pytest.mark.no_database


@pytest.fixture()
def folders(tmp_path):
    """A static folder with an image in it, and the same image outside it."""
    static = tmp_path / "static"
    (static / "img").mkdir(parents=True)
    segno.make("inside").save(str(static / "img" / "badge.png"), scale=4)
    segno.make("outside").save(str(tmp_path / "secret.png"), scale=4)
    return static, tmp_path / "secret.png"


@pytest.fixture()
def web_server():
    """A web server on this machine that counts the requests it gets."""
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the standard library's name)
            hits.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()
    server.server_close()


def document(body: str, head: str = "") -> str:
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'>{head}</head>"
            f"<body><h1>Sign-in sheet</h1>{body}</body></html>")


def read(pdf: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(pdf))


def image_count(pdf: bytes) -> int:
    return sum(len(page.images) for page in read(pdf).pages)


def test_html_becomes_a_pdf(folders):
    resources = StaticResources(static_folder=folders[0])
    rows = "".join(f"<tr><td>Person {n}</td><td>&#160;</td></tr>" for n in range(120))
    table = f"<table repeat='1'><thead><tr><th>Name</th><th>Signature</th></tr></thead>{rows}</table>"

    pdf = html_to_pdf(document(f"<p>Café £25 – ‘quoted’</p>{table}"), resources=resources)

    assert pdf.startswith(b"%PDF-")
    reader = read(pdf)
    assert len(reader.pages) >= 2
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Sign-in sheet" in text and "Café £25 – ‘quoted’" in text
    assert "Person 0" in text and "Person 119" in text
    assert resources.refused == []


def test_the_apps_static_files_load(folders):
    resources = StaticResources(static_folder=folders[0])

    pdf = html_to_pdf(document('<img src="/static/img/badge.png" width="60" height="60">'), resources=resources)

    assert image_count(pdf) == 1
    assert resources.refused == []


@pytest.mark.parametrize("src", [
    "{outside}",                              # an absolute path elsewhere on the disk
    "file://{outside}",
    "/static/../secret.png",                  # climbing out of the static folder
    "/static/img/../../secret.png",
    "/static/img/%2e%2e/%2e%2e/secret.png",
    "/static//{outside}",
    "static/../secret.png",
    "/etc/passwd",
    "/static/img/",                           # a folder, not a file
    "/static/img/missing.png",
])
def test_local_files_outside_the_static_folder_are_refused(folders, src):
    static, outside = folders
    src = src.format(outside=outside)
    resources = StaticResources(static_folder=static)

    pdf = html_to_pdf(document(f'<img src="{src}" width="60" height="60"><p>Still made</p>'), resources=resources)

    assert image_count(pdf) == 0
    assert resources.refused == [src]
    assert "Still made" in read(pdf).pages[0].extract_text()


def test_nothing_is_fetched_over_the_network(folders, web_server):
    base, hits = web_server
    resources = StaticResources(static_folder=folders[0])
    head = (f'<link rel="stylesheet" href="{base}/style.css">'
            f'<style>@import url("{base}/imported.css"); body {{ background-image: url("{base}/bg.png"); }}</style>')
    body = (f'<img src="{base}/logo.png" width="10" height="10">'
            f'<img src="//127.0.0.1:{base.rsplit(":", 1)[1]}/protocol-relative.png" width="10" height="10">'
            f'<img src="/static/img/badge.png" width="10" height="10">')

    pdf = html_to_pdf(document(body, head), resources=resources)

    assert hits == []
    assert image_count(pdf) == 1  # only the static file
    assert f"{base}/logo.png" in resources.refused and f"{base}/style.css" in resources.refused


def test_inline_data_images_are_part_of_the_document(folders):
    data_uri = segno.make("inline").png_data_uri(scale=3)
    resources = StaticResources(static_folder=folders[0])

    pdf = html_to_pdf(document(f'<img src="{data_uri}" width="40" height="40">'), resources=resources)

    assert image_count(pdf) == 1
    assert resources.refused == []


def test_the_policy_refuses_what_the_callback_never_sees(folders):
    """Some fetches (fonts, for one) bypass the link callback: the policy still holds."""
    static, outside = folders
    policy = StaticResources(static_folder=static).policy()

    policy.check_path(static / "img" / "badge.png")
    for path in (outside, Path("/etc/passwd"), static / ".." / "secret.png"):
        with pytest.raises(ResourceAccessError):
            policy.check_path(path)
    for url in ("https://example.com/font.ttf", "http://169.254.169.254/latest/meta-data/", "ftp://example.com/x"):
        with pytest.raises(ResourceAccessError):
            policy.check_url(url)


def test_a_refused_reference_becomes_an_empty_inline_resource(folders):
    resources = StaticResources(static_folder=folders[0])
    assert resources("https://example.com/logo.png") == REFUSED
    assert resources("data:image/png;base64,AAAA") == "data:image/png;base64,AAAA"
    assert resources("/static/img/badge.png") == str((folders[0] / "img" / "badge.png").resolve())


def test_the_default_is_the_apps_own_static_folder(app):
    with app.app_context():
        resources = static_resources()
    assert resources.static_folder == Path(app.static_folder)
    assert resources.static_path("/static/build/app.css") == (Path(app.static_folder) / "build" / "app.css").resolve()
    assert resources.static_path("/static/../config.py") is None
