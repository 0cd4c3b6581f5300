"""The Python package index: its URL from ossprov's configuration or pip's own, and a project's files from the
simple API (PEP 691 JSON or PEP 503 HTML, whichever the index answers), with their versions and yank state."""

from __future__ import annotations

import posixpath
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from ossprov import http
from ossprov.config import explicit_registry, pip_configured_index
from ossprov.ecosystems.interface import once_per_run
from ossprov.errors import InputError, RegistryError

SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
ACCEPT = f"{SIMPLE_JSON}, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.1"


def index_url() -> str:
    """The index URL, with a trailing slash."""
    url = explicit_registry("pypi") or pip_configured_index()
    if not url:
        raise InputError("no Python package index configured: set OSSPROV_PYPI_INDEX or pip's index-url")
    return url.rstrip("/") + "/"


class _LinkParser(HTMLParser):
    """PEP 503 anchors with their data-* attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.links.append(dict(attrs))


def file_entries(name: str) -> list[dict[str, Any]]:
    """The project's files from the simple API, in PEP 691 shape (fetched once per run)."""
    url = index_url() + canonicalize_name(name) + "/"
    return once_per_run(url, lambda: _fetch_file_entries(url, name))


def _fetch_file_entries(url: str, name: str) -> list[dict[str, Any]]:
    """The project page at `url`, whichever form the index answers in."""
    response = http.client().get(url, headers={"Accept": ACCEPT})
    content_type = response.headers.get("content-type", "")
    if SIMPLE_JSON in content_type or content_type.startswith("application/json"):
        try:
            doc = response.json()
        except ValueError:
            raise RegistryError(f"the index sent malformed JSON for {name}") from None
        files = doc.get("files") if isinstance(doc, dict) else None
        if not isinstance(files, list):
            raise RegistryError(f"the index sent a malformed project page for {name}")
        return [{**f, "url": urljoin(url, f.get("url", ""))} for f in files if isinstance(f, dict)]
    parser = _LinkParser()
    parser.feed(response.text)
    entries = []
    for link in parser.links:
        href = link.get("href") or ""
        base, _, fragment = href.partition("#")
        hashes = dict([fragment.split("=", 1)]) if "=" in fragment else {}
        filename = posixpath.basename(urlsplit(base).path)
        yanked = link.get("data-yanked")
        entries.append({"filename": filename, "url": urljoin(url, base), "hashes": hashes,
                        "yanked": yanked if yanked is not None else False,
                        "requires-python": link.get("data-requires-python")})
    return entries


def version_of(filename: str) -> tuple[str, str] | None:
    """(kind, version string) from a distribution filename, or None for files we don't handle."""
    try:
        if filename.endswith(".whl"):
            return "wheel", str(parse_wheel_filename(filename)[1])
        if filename.endswith((".tar.gz", ".zip", ".tar.bz2", ".tgz")):
            return "sdist", str(parse_sdist_filename(filename if not filename.endswith(".tgz") else
                                                     filename[:-4] + ".tar.gz")[1])
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        return None
    return None


def same_version(a: str, b: str) -> bool:
    """Equal as PEP 440 versions (`1.0` and `1.0.0`), or as strings when either is not one."""
    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a == b


def yank(entry: dict[str, Any]) -> str | None:
    """The yank reason of a file entry (\"\" when yanked without one), None when it is not yanked."""
    value = entry.get("yanked")
    if value is True:
        return ""
    return value if isinstance(value, str) else None
