"""Reviewed exceptions: findings a person looked at and accepted, for a package (and version range) and a rule,
with a reason and an expiry date.

A project keeps them in `.ossprov.toml` (found from the scanned path or the working directory up to the
repository root) or names a file with `--suppressions`:

    [[suppress]]
    purl = "pkg:npm/left-pad"          # without a version: every version; with one: that version only
    versions = ">=1.3,<2"              # optional range (PEP 440 specifiers; versions it cannot read never match)
    rule = "OSP201"                    # or a list of rules
    path = "dist/*"                    # optional glob on the file inside the package
    reason = "bundle reviewed by the security team, ticket SEC-123"
    expires = 2027-06-30

Every field but `versions` and `path` is required: an exception without a reason or an end date is how gates
rot. Expired entries apply to nothing and are reported. Suppressed findings are never dropped silently: they are
counted and shown in every output (SARIF marks them with its own `suppressions`).
"""

from __future__ import annotations

import datetime
import fnmatch
import os
import stat
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from packageurl import PackageURL

from ossprov.errors import InputError
from ossprov.model import Finding

if TYPE_CHECKING:  # packaging loads only for an entry with a version range
    from packaging.specifiers import SpecifierSet

FILE_NAME = ".ossprov.toml"
MAX_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Suppression:
    """One reviewed exception."""

    package: str
    """The purl without its version (canonical form)."""
    version: str | None
    """The exact version it is limited to, when the purl names one."""
    versions: SpecifierSet | None
    rules: frozenset[str]
    path: str | None
    reason: str
    expires: datetime.date
    origin: str
    """`FILE:entry N`, for messages."""

    def covers(self, purl: PackageURL, finding: Finding) -> bool:
        if finding.rule not in self.rules or _package(purl) != self.package:
            return False
        if self.version is not None and purl.version != self.version:
            return False
        if self.versions is not None and not _in_range(purl.version, self.versions):
            return False
        return self.path is None or (finding.path is not None and fnmatch.fnmatchcase(finding.path, self.path))


@dataclass(frozen=True)
class Suppressions:
    """The active exceptions of a project, and the expired ones (reported, never applied)."""

    active: tuple[Suppression, ...] = ()
    expired: tuple[Suppression, ...] = ()
    source: str | None = None

    def split(self, purl: str, findings: Iterable[Finding]) -> tuple[list[Finding], list[tuple[Finding, str]]]:
        """The findings that stand, and those a suppression covers with its justification."""
        try:
            parsed = PackageURL.from_string(purl)
        except ValueError:
            return list(findings), []
        kept: list[Finding] = []
        suppressed: list[tuple[Finding, str]] = []
        for finding in findings:
            cover = next((s for s in self.active if s.covers(parsed, finding)), None)
            if cover is None:
                kept.append(finding)
            else:
                suppressed.append((finding, f"{cover.reason} (until {cover.expires.isoformat()}, {cover.origin})"))
        return kept, suppressed


def _package(purl: PackageURL) -> str:
    return purl._replace(version=None, qualifiers=None, subpath=None).to_string()


def _in_range(version: str | None, spec: SpecifierSet) -> bool:
    from packaging.version import InvalidVersion, Version

    try:
        return version is not None and spec.contains(Version(version), prereleases=True)
    except InvalidVersion:
        return False


def find(start: Path) -> Path | None:
    """`.ossprov.toml` in `start` (or its directory) or the nearest parent, stopping at the repository root."""
    here = start if start.is_dir() else start.parent
    for folder in (here.resolve(), *here.resolve().parents):
        candidate = folder / FILE_NAME
        if candidate.is_file():
            return candidate
        if (folder / ".git").exists():
            return None
    return None


def load(path: Path | None, today: datetime.date | None = None) -> Suppressions:
    """The suppressions of a file (none when `path` is None); a malformed file is an input error naming it."""
    if path is None:
        return Suppressions()
    try:
        document = tomllib.loads(_read(path).decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"{path}: not a TOML suppression file: {str(exc).splitlines()[0]}") from None
    entries = document.get("suppress", [])
    if not isinstance(entries, list):
        raise InputError(f"{path}: `suppress` must be an array of tables ([[suppress]])")
    parsed = [_entry(path, n, e) for n, e in enumerate(entries, 1)]
    today = today or datetime.date.today()
    return Suppressions(tuple(s for s in parsed if s.expires >= today),
                        tuple(s for s in parsed if s.expires < today), str(path))


def _read(path: Path) -> bytes:
    """A regular file's bytes up to MAX_BYTES, whatever `st_size` says (no FIFOs, no /dev/zero)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise InputError(f"{path}: cannot read the suppression file ({exc.strerror})") from None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise InputError(f"{path}: the suppression file is not a regular file")
        data = handle.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise InputError(f"{path}: the suppression file is over {MAX_BYTES} bytes")
    return data


def _entry(path: Path, number: int, entry: object) -> Suppression:
    origin = f"{path.name}: entry {number}"

    def bad(message: str) -> InputError:
        return InputError(f"{path}: suppression {number}: {message}")

    if not isinstance(entry, dict):
        raise bad("must be a table")
    unknown = set(entry) - {"purl", "versions", "rule", "path", "reason", "expires"}
    if unknown:
        raise bad(f"unknown field(s) {', '.join(sorted(unknown))}")
    try:
        purl = PackageURL.from_string(str(entry.get("purl", "")))
    except ValueError as exc:
        raise bad(f"`purl` {entry.get('purl')!r} is not a package URL ({exc})") from None
    rules = entry.get("rule")
    rule_list = [rules] if isinstance(rules, str) else rules
    if not isinstance(rule_list, list) or not rule_list or not all(isinstance(r, str) and r for r in rule_list):
        raise bad("`rule` must name a rule id (or a list of them)")
    reason = entry.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise bad("`reason` is required: say who reviewed what")
    expires = entry.get("expires")
    if not isinstance(expires, datetime.date) or isinstance(expires, datetime.datetime):
        raise bad("`expires` is required, as a TOML date (expires = 2027-06-30)")
    spec = None
    if "versions" in entry:
        from packaging.specifiers import InvalidSpecifier, SpecifierSet

        try:
            spec = SpecifierSet(str(entry["versions"]))
        except InvalidSpecifier:
            raise bad(f"`versions` {entry['versions']!r} is not a version range such as '>=1.2,<2'") from None
    path_glob = entry.get("path")
    if path_glob is not None and not isinstance(path_glob, str):
        raise bad("`path` must be a glob string")
    return Suppression(_package(purl), purl.version, spec, frozenset(rule_list), path_glob, reason.strip(),
                       expires, origin)


def summary(suppressions: Suppressions, counts: Sequence[int]) -> str | None:
    """One line for people: how many findings were suppressed, and which entries have expired."""
    total = sum(counts)
    parts = []
    if total:
        parts.append(f"{total} finding(s) suppressed by {suppressions.source}")
    if suppressions.expired:
        parts.append(f"{len(suppressions.expired)} expired suppression(s) ignored: "
                     + ", ".join(s.origin for s in suppressions.expired[:5]))
    return "; ".join(parts) or None
