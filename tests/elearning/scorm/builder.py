"""SCORM 1.2 packages made by the tests: a small course of our own (two pages and a
question) and hostile packages, as real zip files."""
from __future__ import annotations

import io
import stat
import zipfile

MANIFEST_TEMPLATE = """<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="org.example.signs" version="1.0"
    xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
    xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata>
    <schema>ADL SCORM</schema>
    <schemaversion>1.2</schemaversion>
  </metadata>
  <organizations default="ORG-1">
    <organization identifier="ORG-1">
      <title>{title}</title>
      <item identifier="ITEM-1" identifierref="RES-1">
        <title>{title}</title>{mastery}
      </item>
    </organization>
  </organizations>
  <resources>
    <resource identifier="RES-1" type="webcontent" adlcp:scormtype="sco" href="{launch}">
      <file href="{launch}"/>
    </resource>
  </resources>
</manifest>
"""

PAGE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>{title}</title></head>
<body>
<main>
  <section id="page-1" hidden>
    <h1>Noticing a worry</h1>
    <p>A child who is often hungry, tired or withdrawn may need help. Notice, and write down what you saw.</p>
    <button type="button" data-go="page-2">Next page</button>
  </section>
  <section id="page-2" hidden>
    <h1>Passing it on</h1>
    <p>Tell your designated safeguarding lead the same day. Do not promise to keep a secret.</p>
    <button type="button" data-go="question">Go to the question</button>
  </section>
  <section id="question" hidden>
    <h1>Question</h1>
    <fieldset>
      <legend>Who do you tell about a worry?</legend>
      <label><input type="radio" name="answer" value="dsl"> The designated safeguarding lead</label>
      <label><input type="radio" name="answer" value="nobody"> Nobody, to keep the child's trust</label>
    </fieldset>
    <button type="button" id="submit">Submit answer</button>
    <p id="result"></p>
  </section>
</main>
<script src="js/course.js"></script>
</body>
</html>
"""

COURSE_JS = """(function () {
  function findAPI(win) {
    var tries = 0;
    while (win.API == null && win.parent != null && win.parent != win && tries < 10) { tries++; win = win.parent; }
    return win.API;
  }
  var api = findAPI(window);
  api.LMSInitialize("");
  var where = api.LMSGetValue("cmi.core.lesson_location") || "page-1";
  if (api.LMSGetValue("cmi.core.lesson_status") === "not attempted") {
    api.LMSSetValue("cmi.core.lesson_status", "incomplete");
  }
  var started = Date.now();
  function elapsed() {
    var s = Math.floor((Date.now() - started) / 1000);
    function two(n) { return (n < 10 ? "0" : "") + n; }
    return "00" + two(Math.floor(s / 3600)) + ":" + two(Math.floor(s % 3600 / 60)) + ":" + two(s % 60);
  }
  function show(id) {
    ["page-1", "page-2", "question"].forEach(function (section) {
      document.getElementById(section).hidden = section !== id;
    });
  }
  function go(id) {
    show(id);
    api.LMSSetValue("cmi.core.lesson_location", id);
    api.LMSSetValue("cmi.suspend_data", JSON.stringify({ seen: id }));
    api.LMSSetValue("cmi.core.session_time", elapsed());
    api.LMSCommit("");
  }
  show(where);
  document.querySelectorAll("[data-go]").forEach(function (button) {
    button.addEventListener("click", function () { go(button.getAttribute("data-go")); });
  });
  document.getElementById("submit").addEventListener("click", function () {
    var chosen = document.querySelector("input[name=answer]:checked");
    var right = chosen && chosen.value === "dsl";
    api.LMSSetValue("cmi.core.score.raw", right ? "100" : "0");
    api.LMSSetValue("cmi.core.lesson_status", right ? "passed" : "failed");
    api.LMSSetValue("cmi.core.session_time", elapsed());
    api.LMSCommit("");
    api.LMSFinish("");
    document.getElementById("result").textContent = right ? "Right: you have finished." : "Not quite.";
  });
}());
"""

# A package that tries to reach the service as the learner: it reads document.cookie and
# fetches a page of ours with credentials, and reports what happened in lesson_location.
SNOOP_JS = """(function () {
  var api = window.API;
  api.LMSInitialize("");
  var cookie;
  try { cookie = "cookie=" + (document.cookie || "empty"); } catch (e) { cookie = "cookie=blocked"; }
  function report(fetched) {
    api.LMSSetValue("cmi.core.lesson_location", (cookie + ";fetch=" + fetched).slice(0, 255));
    api.LMSCommit("");
    document.getElementById("result").textContent = "reported";
  }
  fetch("/learning", { credentials: "include" })
    .then(function (response) { return response.text().then(function (text) { report("read " + response.status + " " + text.slice(0, 100)); }); })
    .catch(function () { report("blocked"); });
}());
"""

SNOOP_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Snoop</title></head>
<body><main><h1>Snoop</h1><p id="result"></p></main><script src="snoop.js"></script></body></html>
"""


def manifest(title: str = "Spotting the signs", launch: str = "index.html", mastery: int | None = None) -> str:
    extra = f"\n        <adlcp:masteryscore>{mastery}</adlcp:masteryscore>" if mastery is not None else ""
    return MANIFEST_TEMPLATE.format(title=title, launch=launch, mastery=extra)


def zip_of(files: dict[str, str | bytes], *, extra: list[tuple[zipfile.ZipInfo, bytes]] = ()) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
        for info, content in extra:
            archive.writestr(info, content)
    return buffer.getvalue()


def course_package(title: str = "Spotting the signs", mastery: int | None = None, note: str = "") -> bytes:
    """Our small course: two pages and a question."""
    return zip_of({
        "imsmanifest.xml": manifest(title, mastery=mastery),
        "index.html": PAGE.format(title=title) + (f"<!-- {note} -->" if note else ""),
        "js/course.js": COURSE_JS,
    })


def snoop_package() -> bytes:
    return zip_of({"imsmanifest.xml": manifest("Snoop", launch="snoop.html"), "snoop.html": SNOOP_PAGE,
                   "snoop.js": SNOOP_JS})


def traversal_package() -> bytes:
    return zip_of({"imsmanifest.xml": manifest(), "index.html": "<p>hi</p>", "../../outside.html": "<p>out</p>"})


def absolute_package() -> bytes:
    return zip_of({"imsmanifest.xml": manifest(), "index.html": "<p>hi</p>", "/tmp/absolute.html": "<p>out</p>"})


def symlink_package() -> bytes:
    link = zipfile.ZipInfo("secrets.txt")
    link.create_system = 3
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    return zip_of({"imsmanifest.xml": manifest(), "index.html": "<p>hi</p>"}, extra=[(link, b"/etc/passwd")])


ENTITY_MANIFEST = """<?xml version="1.0"?>
<!DOCTYPE manifest [
  <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
  <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
  <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
]>
<manifest identifier="bomb"><metadata><schemaversion>1.2</schemaversion></metadata>
<organizations default="O"><organization identifier="O"><title>&c;</title></organization></organizations>
</manifest>
"""


def entity_package() -> bytes:
    return zip_of({"imsmanifest.xml": ENTITY_MANIFEST, "index.html": "<p>hi</p>"})


def bomb_package(megabytes: int = 40) -> bytes:
    """One file of zeros that packs to about a thousandth of its size."""
    return zip_of({"imsmanifest.xml": manifest(), "index.html": "<p>hi</p>", "media/video.bin": b"\0" * (megabytes << 20)})


def no_manifest_package() -> bytes:
    return zip_of({"index.html": "<p>hi</p>"})


def missing_launch_package() -> bytes:
    return zip_of({"imsmanifest.xml": manifest(launch="start.html"), "index.html": "<p>hi</p>"})


def broken_manifest_package() -> bytes:
    return zip_of({"imsmanifest.xml": manifest().replace("</organizations>", "</organisations>"), "index.html": "x"})
