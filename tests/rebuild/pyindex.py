"""A loopback package index for rebuild tests: real wheels (of the build tools installed here, and of fixture
backends written by the test) served by the World's registry with chosen upload times, so the sandboxed
`pip install` of a rebuild resolves from 127.0.0.1 only, through the timewarp proxy."""

from __future__ import annotations

import base64
import csv
import hashlib
import importlib.metadata
import io
import json
import zipfile
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from ossprov.fixtures.world import World

BUILD_TOOLS = ("build", "setuptools", "wheel", "hatchling", "flit_core")
"""What the rebuild of a setuptools, hatchling or flit fixture installs (the test extra has them all), with
their dependencies (`with_dependencies`)."""


def with_dependencies(names: tuple[str, ...]) -> list[str]:
    """The installed distributions `names` need, themselves included (markers evaluated here)."""
    seen: dict[str, None] = {}
    todo = list(names)
    while todo:
        name = canonicalize_name(todo.pop())
        if name in seen:
            continue
        seen[name] = None
        for text in importlib.metadata.requires(name) or ():
            req = Requirement(text)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    return list(seen)


def _record(files: dict[str, bytes], info_dir: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for name, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        writer.writerow([name, f"sha256={digest}", len(data)])
    writer.writerow([f"{info_dir}/RECORD", "", ""])
    return out.getvalue().encode()


def make_wheel(dest: Path, name: str, version: str, files: dict[str, bytes], *, tag: str = "py3-none-any",
               generator: str = "pyindex") -> Path:
    """A wheel of `files` (paths inside the wheel) with METADATA, WHEEL and RECORD written as a backend does."""
    dist = f"{name.replace('-', '_')}-{version}"
    info_dir = f"{dist}.dist-info"
    files = dict(files)
    files.setdefault(f"{info_dir}/METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\n".encode())
    files.setdefault(f"{info_dir}/WHEEL", f"Wheel-Version: 1.0\nGenerator: {generator}\nRoot-Is-Purelib: true\n"
                                          f"Tag: {tag}\n".encode())
    files[f"{info_dir}/RECORD"] = _record(files, info_dir)
    dest.mkdir(parents=True, exist_ok=True)
    path = dest / f"{dist}-{tag}.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for rel, data in files.items():
            zf.writestr(rel, data)
    return path


def wheel_of_installed(name: str, dest: Path) -> Path:
    """A wheel of a distribution installed here, from the files its RECORD lists (scripts and bytecode left
    out): the real build tools, without reaching an index."""
    dist = importlib.metadata.distribution(name)
    files = {}
    wheel_meta = b""
    for f in dist.files or ():
        rel = str(f)
        if rel.startswith("..") or "__pycache__" in rel or rel.endswith((".pyc", "/RECORD", "/INSTALLER",
                                                                        "/REQUESTED", "/direct_url.json")):
            continue
        data = Path(str(f.locate())).read_bytes()
        files[rel] = data
        if rel.endswith(".dist-info/WHEEL"):
            wheel_meta = data
    tag = next((line.split(":", 1)[1].strip() for line in wheel_meta.decode().splitlines()
                if line.startswith("Tag:")), "py3-none-any")
    return make_wheel(dest, dist.metadata["Name"], dist.version, files, tag=tag)


def publish_files(world: World, files: list[tuple[Path, str]]) -> None:
    """Add distribution files to the World's PyPI index (PEP 691 JSON pages), each with its upload time."""
    assert world.server
    root = world.root / "registry" / "pypi"
    (root / "files").mkdir(parents=True, exist_ok=True)
    for path, uploaded in files:
        project = canonicalize_name(path.name.split("-")[0])
        target = root / "files" / path.name
        target.write_bytes(path.read_bytes())
        page = root / "simple" / project
        page.mkdir(parents=True, exist_ok=True)
        index = page / "index.json"
        doc: dict[str, Any] = (json.loads(index.read_text()) if index.exists() else
                               {"meta": {"api-version": "1.1"}, "name": project, "files": []})
        doc["files"] = [e for e in doc["files"] if e["filename"] != path.name] + [{
            "filename": path.name, "url": f"{world.server.url}/pypi/files/{path.name}",
            "hashes": {"sha256": hashlib.sha256(target.read_bytes()).hexdigest()}, "upload-time": uploaded}]
        index.write_text(json.dumps(doc))
        anchors = "".join(f'<a href="{e["url"]}#sha256={e["hashes"]["sha256"]}">{e["filename"]}</a>\n'
                          for e in doc["files"])
        (page / "index.html").write_text(f"<!DOCTYPE html><html><body>\n{anchors}</body></html>\n")

