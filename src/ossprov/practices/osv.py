"""Known vulnerabilities from an OSV export, offline: a directory or a zip of OSV JSON records (the format
OSV publishes, one record per file, e.g. an ecosystem's `all.zip`), read once into an index by package.

A version is affected as the OSV schema defines it: listed in `affected[].versions`, or inside one of
`affected[].ranges`, whose events (`introduced`, `fixed`, `last_affected`, `limit`) are applied in version
order. SEMVER ranges compare as Semantic Versioning 2.0; ECOSYSTEM ranges in the ecosystem's own order,
known here for PyPI (PEP 440, with `packaging`) and npm (SemVer); for other ecosystems only the explicit
`versions` list is used, which OSV's exporters fill in for them. Withdrawn records are ignored.

The export is untrusted input: members larger than `MAX_RECORD_BYTES` (whatever their header says),
damaged or encrypted members and records that are not valid OSV JSON are skipped and counted; member names
are never paths here (nothing is extracted), and links in a directory export are not followed.
"""

from __future__ import annotations

import json
import os
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import semver
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from ossprov.config import config_value
from ossprov.errors import InputError

MAX_RECORD_BYTES = 8 * 1024 * 1024
"""Largest single OSV record read (the biggest real ones are a few hundred KiB)."""
MAX_RECORDS = 2_000_000
"""Most records read from one export (all of OSV today is under a million)."""
ECOSYSTEMS = {"pypi": "PyPI", "npm": "npm", "nuget": "NuGet", "maven": "Maven", "golang": "Go",
              "cargo": "crates.io", "gem": "RubyGems", "composer": "Packagist"}
"""purl type → OSV ecosystem name."""


def osv_data_path(explicit: str | Path | None = None) -> Path | None:
    """Where the OSV export is: the `--osv` option, else OSSPROV_OSV_DATA, else `[osv] data` in the config."""
    value = explicit or os.environ.get("OSSPROV_OSV_DATA") or config_value("osv", "data")
    return Path(str(value)).expanduser() if value else None


def _normal_name(ecosystem: str, name: str) -> str:
    return canonicalize_name(name) if ecosystem == "PyPI" else name


def _semver(text: str) -> semver.Version | None:
    try:
        return semver.Version.parse(text.removeprefix("v"))
    except ValueError:
        return None


def _pep440(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


Parse = Callable[[str], Any]
ORDERS: dict[str, Parse] = {"PyPI": _pep440, "npm": _semver}
"""The ecosystems whose ECOSYSTEM ranges can be ordered here, by their version parser."""


def _in_range(events: list[dict[str, Any]], version: Any, parse: Parse) -> bool:
    """OSV's evaluation of one range's events for a parsed version (the schema's pseudo-code)."""
    keyed = []
    for event in events:
        if not isinstance(event, dict) or len(event) != 1:
            continue
        (kind, value), = event.items()
        if not isinstance(value, str):
            continue
        parsed = None if (kind == "introduced" and value == "0") else parse(value)
        if parsed is None and not (kind == "introduced" and value == "0"):
            continue  # an event this order cannot read is left out rather than guessed
        keyed.append((kind, parsed))
    if any(kind == "limit" and bound is not None and version >= bound for kind, bound in keyed):
        return False
    ordered = sorted((e for e in keyed if e[0] != "limit"), key=lambda e: (e[1] is not None, version if e[1] is None else e[1]))
    affected = False
    for kind, bound in ordered:
        if kind == "introduced" and (bound is None or bound <= version):
            affected = True
        elif bound is not None and ((kind == "fixed" and bound <= version) or
                                    (kind == "last_affected" and bound < version)):
            affected = False
    return affected


def affects(entry: dict[str, Any], ecosystem: str, version: str) -> bool:
    """Whether one `affected[]` entry of a record covers `version`."""
    listed = entry.get("versions")
    if isinstance(listed, list) and version in listed:
        return True
    for span in entry.get("ranges") or []:
        if not isinstance(span, dict) or not isinstance(span.get("events"), list):
            continue
        kind = span.get("type")
        parse = _semver if kind == "SEMVER" else ORDERS.get(ecosystem) if kind == "ECOSYSTEM" else None
        parsed = parse(version) if parse else None
        if parse is not None and parsed is not None and _in_range(span["events"], parsed, parse):
            return True
    return False


@dataclass(frozen=True)
class Vulnerability:
    """One OSV record that affects a package version."""

    id: str
    """The record's id (GHSA-..., PYSEC-..., ...)."""
    aliases: tuple[str, ...]
    """Other ids of the same flaw (CVE-...), which group records that are one vulnerability."""
    summary: str
    package: str
    """The package as the lockfile or purl names it."""
    version: str
    ecosystem: str
    """OSV's name of the ecosystem (PyPI, npm, ...)."""


@dataclass
class OsvDatabase:
    """OSV records indexed by (ecosystem, normalised package name)."""

    source: str
    records: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    read: int = 0
    skipped: int = 0
    """Members that were not readable OSV records (too big, not JSON, no id)."""

    def add(self, record: Any, wanted: set[tuple[str, str]] | None = None) -> None:
        """Index a record under the packages it affects (only those in `wanted`, when given)."""
        if not isinstance(record, dict) or not isinstance(record.get("id"), str) or record.get("withdrawn"):
            self.skipped += not (isinstance(record, dict) and record.get("withdrawn"))
            return
        self.read += 1
        keys = set()
        for entry in record.get("affected") or []:
            package = entry.get("package") if isinstance(entry, dict) else None
            if isinstance(package, dict) and isinstance(package.get("ecosystem"), str) \
                    and isinstance(package.get("name"), str):
                ecosystem = package["ecosystem"].split(":", 1)[0]  # "Debian:12" → Debian
                keys.add((ecosystem, _normal_name(ecosystem, package["name"])))
        for key in keys if wanted is None else keys & wanted:
            self.records.setdefault(key, []).append(record)

    def lookup(self, purl_type: str, name: str, version: str) -> list[Vulnerability]:
        """The records affecting `name@version` of the ecosystem the purl type names."""
        key = package_key(purl_type, name)
        if key is None:
            return []
        ecosystem, wanted = key
        found = []
        for record in self.records.get(key, []):
            for entry in record.get("affected") or []:
                package = entry.get("package") or {}
                if package.get("ecosystem", "").split(":", 1)[0] != ecosystem or \
                        _normal_name(ecosystem, str(package.get("name", ""))) != wanted:
                    continue
                if affects(entry, ecosystem, version):
                    aliases = tuple(a for a in record.get("aliases") or [] if isinstance(a, str))
                    found.append(Vulnerability(record["id"], aliases, str(record.get("summary") or "")[:200],
                                               name, version, ecosystem))
                    break
        return found


def check_export(path: Path) -> Path:
    """`path` when it is a directory or a zip (the export is read only when a check needs it); else the
    InputError the user sees at once."""
    if not path.exists():
        raise InputError(f"OSV data not found: {path}")
    if not path.is_dir() and not zipfile.is_zipfile(path):
        raise InputError(f"{path}: not a directory or zip of OSV records")
    return path


def _members(path: Path) -> Iterator[bytes | None]:
    """The bytes of each JSON record of the export (None for one skipped as too big)."""
    if path.is_dir():
        for directory, _, names in os.walk(path):  # links to directories are not followed
            for name in sorted(names):
                file = Path(directory, name)
                if name.endswith(".json") and not file.is_symlink() and file.is_file():
                    yield file.read_bytes() if file.stat().st_size <= MAX_RECORD_BYTES else None
        return
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(f"{path}: not a directory or zip of OSV records ({exc})") from None
    with archive:
        for info in archive.infolist():
            if info.is_dir() or not info.filename.endswith(".json"):
                continue
            if info.file_size > MAX_RECORD_BYTES:
                yield None
                continue
            try:
                with archive.open(info) as member:
                    data = member.read(MAX_RECORD_BYTES + 1)  # the header's size is not trusted
            except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError):
                yield None  # a damaged, encrypted or oddly compressed member is skipped, not fatal
                continue
            yield data if len(data) <= MAX_RECORD_BYTES else None


def package_key(purl_type: str, name: str) -> tuple[str, str] | None:
    """The index key of a package named as purls and lockfiles name it, or None for an ecosystem OSV lacks."""
    ecosystem = ECOSYSTEMS.get(purl_type)
    return (ecosystem, _normal_name(ecosystem, name)) if ecosystem else None


def load(path: Path, wanted: Iterable[tuple[str, str]] | None = None) -> OsvDatabase:
    """Read an OSV export (directory or zip), keeping only the records of the `wanted` (purl type, name)
    packages when given, so a whole-ecosystem export costs no more memory than the records that matter."""
    check_export(path)
    keys = None if wanted is None else {k for t, n in wanted if (k := package_key(t, n))}
    database = OsvDatabase(str(path))
    for count, data in enumerate(_members(path)):
        if count >= MAX_RECORDS:
            raise InputError(f"{path}: more than {MAX_RECORDS} records; not an OSV export")
        if data is None:
            database.skipped += 1
            continue
        try:
            database.add(json.loads(data), keys)
        except (ValueError, RecursionError):
            database.skipped += 1
    return database


def groups(vulns: Iterable[Vulnerability]) -> list[list[Vulnerability]]:
    """Vulnerabilities grouped so that records naming each other (an id or a shared alias) are one, as
    Scorecard counts them: a GHSA and the PYSEC record of the same CVE are one vulnerability."""
    parent: dict[str, str] = {}

    def root(key: str) -> str:
        while parent.setdefault(key, key) != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    items = list(vulns)
    for vuln in items:
        for alias in vuln.aliases:
            parent[root(alias)] = root(vuln.id)
    grouped: dict[str, list[Vulnerability]] = {}
    for vuln in items:
        grouped.setdefault(root(vuln.id), []).append(vuln)
    return list(grouped.values())
