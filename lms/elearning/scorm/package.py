"""Reading an uploaded SCORM 1.2 zip before anything is stored.

Every check runs on the zip's own directory first (names, links, counts, sizes, ratios),
then on its manifest (parsed with defusedxml: no DTD entities, no network), then the files
are unpacked into a temporary folder next to the storage folder, counting the bytes really
written. Problems are reported with the file (and the line, for the manifest); any problem
removes the temporary folder, so nothing is left on disk. The caller moves the folder into
place (`Staged.keep`) only after the database rows are committed.
"""
from __future__ import annotations

import hashlib
import os
import posixpath
import re
import shutil
import stat
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO
from xml.etree import ElementTree

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

MANIFEST = "imsmanifest.xml"


@dataclass(frozen=True)
class Limits:
    max_files: int = 2000
    max_unpacked_bytes: int = 200 * 1024 * 1024
    # Unpacked size over compressed size, for each file and for the whole package.
    max_ratio: int = 100
    max_manifest_bytes: int = 1024 * 1024


@dataclass(frozen=True)
class Problem:
    file: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}, line {self.line}" if self.line else self.file
        return f"{where}: {self.message}"


class PackageRejected(Exception):
    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


@dataclass
class Manifest:
    title: str
    launch: str  # the SCO's launch path inside the package (may carry a query string)
    mastery_score: int | None


@dataclass
class Staged:
    """A checked package unpacked in a temporary folder."""

    folder: Path
    manifest: Manifest
    content_hash: str
    file_count: int
    unpacked_bytes: int
    storage_key: str = field(default="")

    def keep(self, storage_dir: Path) -> Path:
        """Move the files into place under their storage key (after the commit)."""
        final = storage_dir / self.storage_key
        os.replace(self.folder, final)
        self.folder = final
        return final

    def discard(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


# --- names ------------------------------------------------------------------------------

_DRIVE = re.compile(r"^[A-Za-z]:")


def _name_problem(name: str) -> str | None:
    if "\x00" in name:
        return "has a NUL character in its name"
    if name.startswith(("/", "\\")) or _DRIVE.match(name):
        return "is an absolute path; every file must be inside the package"
    parts = re.split(r"[\\/]", name)
    if ".." in parts:
        return "has '..' in its path; every file must be inside the package"
    return None


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    return info.create_system == 3 and stat.S_ISLNK(info.external_attr >> 16)


def check_directory(archive: zipfile.ZipFile, compressed_size: int, limits: Limits) -> list[Problem]:
    """Problems found in the zip's directory alone, before anything is read or written."""
    problems: list[Problem] = []
    infos = archive.infolist()
    files = [info for info in infos if not info.is_dir()]
    if len(files) > limits.max_files:
        problems.append(Problem("the package", f"has {len(files)} files; the most a package may have is {limits.max_files}"))
    seen: set[str] = set()
    total = 0
    for info in infos:
        name = info.filename
        problem = _name_problem(name)
        if problem:
            problems.append(Problem(name, problem))
            continue
        if _is_symlink(info):
            problems.append(Problem(name, "is a symbolic link; packages may hold only files and folders"))
            continue
        normal = posixpath.normpath(name).lower()
        if normal in seen and not info.is_dir():
            problems.append(Problem(name, "appears twice in the package"))
        seen.add(normal)
        total += info.file_size
        if info.file_size > 1024 * 1024 and info.compress_size and info.file_size / info.compress_size > limits.max_ratio:
            problems.append(Problem(name, f"unpacks to {info.file_size // info.compress_size} times its packed size; "
                                          f"the most allowed is {limits.max_ratio} (a zip bomb?)"))
    if total > limits.max_unpacked_bytes:
        problems.append(Problem("the package", f"unpacks to {total:,} bytes; the most allowed is {limits.max_unpacked_bytes:,}"))
    elif compressed_size and total > 1024 * 1024 and total / compressed_size > limits.max_ratio:
        problems.append(Problem("the package", f"unpacks to {total // compressed_size} times its size; "
                                               f"the most allowed is {limits.max_ratio} (a zip bomb?)"))
    return problems


# --- the manifest -----------------------------------------------------------------------

def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _attr(element, name: str) -> str | None:
    for key, value in element.attrib.items():
        if _local(key).lower() == name.lower():
            return value
    return None


def _children(element, name: str) -> list:
    return [child for child in element if _local(child.tag) == name]


def _text(element, name: str) -> str:
    found = _children(element, name)
    return (found[0].text or "").strip() if found else ""


class _LineBuilder(ElementTree.TreeBuilder):
    """Keeps each element's line, so problems can say where they are."""

    parser = None

    def __init__(self):
        super().__init__()
        self.lines: dict = {}

    def start(self, tag, attrs):
        element = super().start(tag, attrs)
        self.lines[element] = self.parser.parser.CurrentLineNumber
        return element


def _line_of(text: bytes, needle: bytes) -> int | None:
    index = text.find(needle)
    return text.count(b"\n", 0, index) + 1 if index >= 0 else None


def parse_manifest(data: bytes) -> tuple[Manifest | None, list[Problem]]:
    builder = _LineBuilder()
    parser = DefusedXMLParser(target=builder, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    builder.parser = parser
    try:
        parser.feed(data)
        root = parser.close()
    except DefusedXmlException as error:
        line = parser.parser.CurrentLineNumber or _line_of(data, b"<!ENTITY")
        kind = type(error).__name__
        reason = {
            "EntitiesForbidden": "declares an XML entity, which packages may not do",
            "ExternalReferenceForbidden": "refers to an external resource, which packages may not do",
            "NotSupportedError": "uses an XML feature packages may not use",
        }.get(kind, "uses XML that is not allowed")
        return None, [Problem(MANIFEST, reason, line)]
    except ElementTree.ParseError as error:
        reason = re.sub(r": line \d+, column \d+$", "", str(error))
        return None, [Problem(MANIFEST, f"is not well-formed XML ({reason}, column {error.position[1] + 1})",
                              error.position[0])]

    def line(element) -> int | None:
        return builder.lines.get(element)

    problems: list[Problem] = []
    if _local(root.tag) != "manifest":
        return None, [Problem(MANIFEST, "does not start with a <manifest> element", line(root))]
    version = ""
    for metadata in _children(root, "metadata"):
        version = _text(metadata, "schemaversion")
    if version and version.replace(" ", "").upper() not in {"1.2", "CAM1.3"} and not version.startswith("1.2"):
        problems.append(Problem(MANIFEST, f"says schema version {version!r}; only SCORM 1.2 packages can be played",
                                line(root)))
    if version.startswith("2004") or version.upper().startswith("CAM"):
        problems.append(Problem(MANIFEST, "is a SCORM 2004 manifest; only SCORM 1.2 packages can be played", line(root)))

    resources = {}
    for group in _children(root, "resources"):
        base = _attr(group, "base") or ""
        for resource in _children(group, "resource"):
            identifier = _attr(resource, "identifier")
            if identifier:
                resources[identifier] = (resource, base + (_attr(resource, "base") or ""))
    organizations = _children(root, "organizations")
    if not organizations or not _children(organizations[0], "organization"):
        problems.append(Problem(MANIFEST, "has no <organization>, so there is no course to play", line(root)))
        return None, problems
    default = _attr(organizations[0], "default")
    orgs = _children(organizations[0], "organization")
    organization = next((o for o in orgs if _attr(o, "identifier") == default), orgs[0])
    title = _text(organization, "title")

    scos = []
    for item in organization.iter():
        if _local(item.tag) != "item":
            continue
        ref = _attr(item, "identifierref")
        if not ref:
            continue
        if ref not in resources:
            problems.append(Problem(MANIFEST, f"item {_attr(item, 'identifier') or ''} refers to resource {ref!r}, "
                                              "which is not in <resources>", line(item)))
            continue
        resource, base = resources[ref]
        if (_attr(resource, "scormtype") or "").lower() == "sco":
            scos.append((item, resource, base))
    if not scos:
        problems.append(Problem(MANIFEST, "has no SCO (a resource with adlcp:scormtype=\"sco\") for an item to launch",
                                line(organization)))
        return None, problems
    if len(scos) > 1:
        problems.append(Problem(MANIFEST, f"has {len(scos)} SCOs; only packages with one SCO can be played",
                                line(scos[1][0])))
        return None, problems
    item, resource, base = scos[0]
    href = _attr(resource, "href")
    if not href:
        problems.append(Problem(MANIFEST, "the SCO's <resource> has no href (its launch file)", line(resource)))
        return None, problems
    launch = base + href + (_attr(item, "parameters") or "")
    mastery = None
    mastery_text = _text(item, "masteryscore")
    if mastery_text:
        try:
            mastery = round(float(mastery_text))
        except ValueError:
            mastery = -1
        if not 0 <= mastery <= 100:
            problems.append(Problem(MANIFEST, f"adlcp:masteryscore {mastery_text!r} is not a number from 0 to 100",
                                    line(item)))
    if problems:
        return None, problems
    return Manifest(title=title or _text(item, "title"), launch=launch, mastery_score=mastery), []


def launch_file(launch: str) -> str:
    """The file part of a launch path (without a query string or fragment)."""
    return re.split(r"[?#]", launch, maxsplit=1)[0]


# --- the whole package ------------------------------------------------------------------

def stage(upload: BinaryIO, storage_dir: Path, limits: Limits) -> Staged:
    """Check the zip and unpack it into a temporary folder under `storage_dir`. Raises
    PackageRejected with every problem found; nothing is left on disk then."""
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in iter(lambda: upload.read(1024 * 1024), b""):
        digest.update(chunk)
    compressed_size = upload.tell()
    upload.seek(0)
    try:
        archive = zipfile.ZipFile(upload)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise PackageRejected([Problem("the upload", "is not a zip file")]) from None
    with archive:
        problems = check_directory(archive, compressed_size, limits)
        if problems:
            raise PackageRejected(problems)
        names = {info.filename: info for info in archive.infolist() if not info.is_dir()}
        if MANIFEST not in names:
            raise PackageRejected([Problem(MANIFEST, "is missing: a SCORM package has imsmanifest.xml at the top of the zip")])
        manifest_info = names[MANIFEST]
        if manifest_info.file_size > limits.max_manifest_bytes:
            raise PackageRejected([Problem(MANIFEST, f"is larger than {limits.max_manifest_bytes:,} bytes")])
        try:
            data = archive.read(manifest_info)
        except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as error:
            raise PackageRejected([Problem(MANIFEST, f"cannot be read ({error})")]) from None
        manifest, problems = parse_manifest(data)
        if problems:
            raise PackageRejected(problems)
        launch = launch_file(manifest.launch)
        if _name_problem(launch):
            raise PackageRejected([Problem(MANIFEST, f"launch file {launch!r} {_name_problem(launch)}")])
        if posixpath.normpath(launch) not in {posixpath.normpath(n) for n in names}:
            raise PackageRejected([Problem(launch, "is the SCO's launch file in imsmanifest.xml, but it is not in the package")])
        storage_dir.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix=".upload-", dir=storage_dir))
        try:
            written = _unpack(archive, folder, limits)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
    return Staged(folder=folder, manifest=manifest, content_hash=digest.hexdigest(), file_count=len(names),
                  unpacked_bytes=written)


def _unpack(archive: zipfile.ZipFile, folder: Path, limits: Limits) -> int:
    """Write every file, counting the bytes really unpacked (a zip's directory may lie)."""
    total = 0
    root = folder.resolve()
    for info in archive.infolist():
        target = (folder / info.filename).resolve()
        if root not in target.parents and target != root:
            raise PackageRejected([Problem(info.filename, "would be written outside the package")])
        if info.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        written = 0
        try:
            with archive.open(info) as source, open(target, "xb") as out:
                for chunk in iter(lambda: source.read(64 * 1024), b""):
                    written += len(chunk)
                    total += len(chunk)
                    if written > max(info.file_size, 0) or total > limits.max_unpacked_bytes:
                        raise PackageRejected([Problem(info.filename, "unpacks to more than the zip says "
                                                                      "or than a package may hold (a zip bomb?)")])
                    out.write(chunk)
        except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError) as error:
            raise PackageRejected([Problem(info.filename, f"cannot be unpacked ({error})")]) from None
    return total
