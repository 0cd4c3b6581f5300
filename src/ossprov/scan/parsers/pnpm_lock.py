"""pnpm-lock.yaml, lockfile versions 5.x, 6.x and 9.x, whose package keys differ:

- 5.x: `/name/1.0.0`, `/@scope/name/1.0.0_peer@2.0.0`
- 6.x: `/name@1.0.0`, `/@scope/name@1.0.0(peer@2.0.0)`
- 9.x: `name@1.0.0`, `@scope/name@1.0.0(peer@2.0.0)` (and `snapshots`, not needed here)

Direct dependencies are what the importers (the root project and workspace members) list.
"""

from __future__ import annotations

from typing import Any

from ossprov.scan.parsers.base import (
    Collector,
    LockFormat,
    ParseResult,
    Source,
    load_yaml,
    require,
    sri_digests,
    yaml_key_lines,
)

_SECTIONS = ("dependencies", "devDependencies", "optionalDependencies")


def _split_key(key: str, v5: bool) -> tuple[str, str] | None:
    """(name, version) from a package key, or None when the key is not a registry package."""
    key = key.removeprefix("/")
    if v5:
        parts = key.split("/")
        n = 2 if key.startswith("@") else 1
        if len(parts) != n + 1:
            return None
        name, version = "/".join(parts[:n]), parts[n].split("_", 1)[0]
    else:
        key = key.split("(", 1)[0]
        at = key.rfind("@")
        if at <= 0:
            return None
        name, version = key[:at], key[at + 1 :]
    if not version or ":" in version or "/" in version or not name:
        return None
    return name, version


def _direct(data: dict[str, Any], v5: bool) -> set[tuple[str, str]]:
    """(name, version) pairs the importers depend on directly (5.x/6.x without workspaces keep them at the
    top level, 9.x always under `importers`)."""
    importers = data.get("importers")
    projects = list(importers.values()) if isinstance(importers, dict) else [data]
    direct: set[tuple[str, str]] = set()
    for project in projects:
        for section in _SECTIONS:
            deps = project.get(section) if isinstance(project, dict) else None
            if not isinstance(deps, dict):
                continue
            for name, value in deps.items():
                version = str(value.get("version") if isinstance(value, dict) else value)
                if version.startswith("/") or (not v5 and "@" in version.split("(", 1)[0]):
                    aliased = _split_key(version, v5)  # an alias (`npm:other@1.0.0`) names another package
                    if aliased:
                        direct.add(aliased)
                else:
                    direct.add((str(name), version.split("(", 1)[0].split("_", 1)[0]))
    return direct


def parse(src: Source) -> ParseResult:
    data, node = load_yaml(src)
    data = require(src, data, dict, "the top level", 1)
    version = str(data.get("lockfileVersion", ""))
    if not version:
        raise src.error(1, "not a pnpm lockfile (no lockfileVersion)")
    v5 = version.split(".", 1)[0] in ("5", "4", "3")
    packages = require(src, data.get("packages") or {}, dict, "packages")
    lines = yaml_key_lines(node, "packages")
    direct = _direct(data, v5)
    out = Collector(src)
    for key, entry in packages.items():
        line = lines.get(str(key))
        entry = require(src, entry or {}, dict, f'packages["{key}"]', line)
        named = _split_key(str(key), v5)
        resolution = entry.get("resolution") or {}
        resolution = require(src, resolution, dict, f'packages["{key}"].resolution', line)
        if named is None or "type" in resolution or "directory" in resolution or "repo" in resolution:
            out.skip(str(key), line, "not a registry package (git, tarball URL or local path)")
            continue
        integrity = resolution.get("integrity")
        hashes = sri_digests(src, line, integrity) if isinstance(integrity, str) else {}
        out.add("npm", named[0], named[1], line, hashes=hashes, direct=named in direct,
                resolved_url=resolution.get("tarball"))
    return out.result()


FORMAT = LockFormat(
    name="pnpm",
    parse=parse,
    matches_name=lambda path: path.name == "pnpm-lock.yaml",
    sniff=lambda head: head.lstrip().startswith(("lockfileVersion:", "lockfileVersion :")),
)
