"""Vulnerabilities: known, unfixed vulnerabilities of the package and of the dependencies its lockfiles pin,
from an OSV export read offline (`--osv PATH`, OSSPROV_OSV_DATA, or `[osv] data` in the config), scored as
Scorecard v5 does: 10 minus the number of vulnerabilities, 0 at the least, where records naming each other
(a GHSA and the PYSEC or CVE record of the same flaw) count once.

The lockfiles are those `ossprov scan` reads (package-lock.json, yarn.lock, pnpm-lock.yaml, poetry.lock,
uv.lock, Pipfile.lock, pylock.toml, pinned requirements files, NuGet packages.lock.json), read from the
commit's tree; installed trees (node_modules, virtualenvs) are left out. Without OSV data the check is
inconclusive and says where to point it, unless there is nothing to look up (no lockfile and no package
named), which scores 10 as it does in Scorecard.
"""

from __future__ import annotations

import tempfile
from pathlib import Path, PurePosixPath
from typing import ClassVar

from packageurl import PackageURL

from ossprov.errors import InputError
from ossprov.practices.context import Context
from ossprov.practices.interface import Check, Inconclusive, Scored
from ossprov.practices.osv import Vulnerability, groups, load
from ossprov.practices.records import Probe, Risk
from ossprov.purls import package_name
from ossprov.scan.discover import PRUNED_DIRS
from ossprov.scan.parsers import FORMATS
from ossprov.scan.parsers.base import Dependency, LockFormat, Source

LOCKFILE_FORMATS = tuple(f for f in FORMATS if f.name not in {"spdx", "cyclonedx"})
"""Dependency files that pin versions; SBOMs describe a build rather than pin the project's dependencies."""
MAX_LOCKFILE_BYTES = 64 * 1024 * 1024
OWN = "the package itself"
"""Where a vulnerability of the package the user named (rather than of a dependency) was found."""


def _lockfile_format(path: str) -> LockFormat | None:
    pure = PurePosixPath(path)
    if any(part in PRUNED_DIRS for part in pure.parts[:-1]):
        return None
    return next((f for f in LOCKFILE_FORMATS if f.matches_name(pure)), None)


def pinned_dependencies(ctx: Context) -> tuple[list[Dependency], list[str]]:
    """The packages the commit's lockfiles pin, and the lockfiles that could not be read (with why)."""
    formats = {p: f for p in ctx.files if (f := _lockfile_format(p))}
    deps: list[Dependency] = []
    unreadable = []
    # Requirement files may include others by path: they are resolved in an empty directory, so an include
    # can never read a file of this machine.
    with tempfile.TemporaryDirectory(prefix="ossprov-lock-") as empty:
        for path, raw in sorted(ctx.read_many(sorted(formats)).items()):
            if len(raw) > MAX_LOCKFILE_BYTES:
                unreadable.append(f"{path}: too large")
                continue
            try:
                source = Source(Path(empty, path), path, Path(empty), raw.decode("utf-8-sig"))
                deps += formats[path].parse(source).dependencies
            except (InputError, UnicodeDecodeError, ValueError) as exc:
                unreadable.append(f"{path}: {exc}")
    return deps, unreadable


def _own(package: PackageURL | None) -> tuple[str, str, str] | None:
    """(purl type, name as OSV names it, version) of the package the user named."""
    if package is None or not package.version:
        return None
    return package.type, package_name(package), package.version


def _probe(group: list[Vulnerability], where: list[str]) -> Probe:
    ids = sorted({v.id for v in group} | {a for v in group for a in v.aliases})
    first = group[0]
    summary = f": {first.summary}" if first.summary else ""
    files = [w for w in where if w != OWN]
    return Probe("hasOSVVulnerabilities", True, files[0] if files else None, None,
                 f"{first.package}@{first.version}{' (the package itself)' if OWN in where else ''} is affected by "
                 f"{', '.join(ids[:4])}{summary}",
                 {"ids": ids, "package": first.package, "version": first.version, "ecosystem": first.ecosystem,
                  "where": where})


class Vulnerabilities(Check):
    name: ClassVar[str] = "Vulnerabilities"
    risk: ClassVar[Risk] = Risk.HIGH

    def probe(self, ctx: Context) -> list[Probe]:
        deps, unreadable = pinned_dependencies(ctx)
        if ctx.osv is None:
            if deps or ctx.package is not None or unreadable:
                raise Inconclusive("no OSV data: point --osv or OSSPROV_OSV_DATA at an OSV export (a directory or "
                                   "zip of OSV JSON records)")
            return [Probe("hasOSVVulnerabilities", False, None, None, "", {"dependencies": 0})]
        pinned: dict[tuple[str, str, str], set[str]] = {}
        for dep in deps:
            pinned.setdefault((dep.ecosystem, dep.name, dep.version), set()).add(dep.location.file)
        own = _own(ctx.package)
        database = load(ctx.osv, [(t, n) for t, n, _ in pinned] + ([own[:2]] if own else []))
        found: list[tuple[Vulnerability, str]] = []
        if own:
            found += [(v, OWN) for v in database.lookup(*own)]
        for (ecosystem, name, version), files in pinned.items():
            found += [(v, file) for v in database.lookup(ecosystem, name, version) for file in sorted(files)]
        probes = [_probe(group, sorted({w for v, w in found if v in group}))
                  for group in groups(v for v, _ in found)]
        probes += [Probe("lockfileUnreadable", None, path.split(":", 1)[0], None, f"not read: {path}")
                   for path in unreadable]
        if not any(p.outcome for p in probes):
            probes.append(Probe("hasOSVVulnerabilities", False, None, None, "",
                                {"dependencies": len(pinned), "records": database.read}))
        return probes

    def score(self, probes: list[Probe]) -> Scored:
        count = sum(1 for p in probes if p.name == "hasOSVVulnerabilities" and p.outcome)
        if not count:
            checked = next((p.data for p in probes if p.name == "hasOSVVulnerabilities"), {})
            if not checked.get("dependencies") and "records" not in checked:
                return 10, "no lockfiles and no package named: no dependency to look up"
            return 10, (f"no known vulnerabilities in the package or the {checked.get('dependencies', 0)} "
                        "dependencies its lockfiles pin")
        return max(0, 10 - count), f"{count} existing vulnerabilities detected: update the affected packages"
