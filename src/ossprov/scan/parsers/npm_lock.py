"""package-lock.json and npm-shrinkwrap.json, lockfile versions 1, 2 and 3, transitive entries included.

Versions 2 and 3 list every installed package under `packages` by install path (`node_modules/a/node_modules/b`);
version 1 nests `dependencies` objects. Local (`file:`, `link: true`, workspace) and git entries are not
registry packages and are reported as skipped.
"""

from __future__ import annotations

from typing import Any

from ossprov.scan.parsers.base import (
    Collector,
    LockFormat,
    ParseResult,
    Source,
    TextLocator,
    load_json,
    make_purl,
    require,
    sri_digests,
)

_NM = "node_modules/"
_DECLARED = ("dependencies", "devDependencies", "optionalDependencies", "peerDependencies")
_RUNTIME = ("dependencies", "optionalDependencies", "peerDependencies")


def _not_registry(spec: str) -> str | None:
    """Why a version/resolved value is not a registry package, or None when it is one."""
    if spec.startswith(("file:", "link:")):
        return "local path dependency"
    if spec.startswith(("git+", "git:", "git@", "github:", "gitlab:", "bitbucket:")):
        return "git dependency"
    return None


def _add(out: Collector, name: str, entry: dict[str, Any], line: int | None, direct: bool | None,
         requires: list[str] | None = None) -> None:
    version = entry.get("version")
    resolved = entry.get("resolved")
    for spec in (version, resolved):
        reason = _not_registry(spec) if isinstance(spec, str) else None
        if reason:
            out.skip(name, line, reason)
            return
    if isinstance(version, str) and version.startswith("npm:"):  # v1 alias: "npm:real-name@1.2.3"
        name, _, version = version[4:].rpartition("@")
    if not isinstance(version, str) or not version or "/" in version or ":" in version:
        out.skip(name, line, "no registry version recorded")
        return
    integrity = entry.get("integrity")
    hashes = sri_digests(out.source, line, integrity) if isinstance(integrity, str) else {}
    out.add("npm", name, version, line, hashes=hashes, direct=direct,
            resolved_url=resolved if isinstance(resolved, str) else None, requires=requires or ())


def _declared(entry: Any) -> set[str]:
    if not isinstance(entry, dict):
        return set()
    return {name for key in _DECLARED if isinstance(entry.get(key), dict) for name in entry[key]}


def _install_purl(path: str, packages: dict[str, Any]) -> str | None:
    """The purl of the package installed at `path`, when it is a registry package."""
    entry = packages.get(path)
    if not isinstance(entry, dict) or not isinstance(entry.get("version"), str):
        return None
    version = entry["version"]
    if _not_registry(version) or "/" in version or ":" in version:
        return None
    return make_purl("npm", str(entry.get("name") or path.rpartition(_NM)[2]), version)


def _resolve(path: str, name: str, packages: dict[str, Any]) -> str | None:
    """Where Node finds `name` required from the package at `path`: its own node_modules, then each parent's."""
    base = path
    while True:
        candidate = f"{base}/{_NM}{name}" if base else f"{_NM}{name}"
        if candidate in packages:
            return _install_purl(candidate, packages)
        if not base:
            return None
        cut = base.rfind("/" + _NM)
        base = base[:cut] if cut != -1 else ""


def _declared_runtime(entry: dict[str, Any]) -> set[str]:
    """What an installed package itself depends on (its devDependencies are never installed)."""
    return {name for key in _RUNTIME if isinstance(entry.get(key), dict) for name in entry[key]}


def _read_packages(src: Source, packages: dict[str, Any], out: Collector) -> None:
    """Lockfile v2/v3: one entry per install path."""
    locator = TextLocator(src.text)
    declared = set().union(*(_declared(e) for p, e in packages.items() if _NM not in p))
    for path, entry in packages.items():
        if _NM not in path:
            continue  # the root project and workspace members: local sources
        line = locator.json_entry(path)
        if not isinstance(entry, dict):
            raise src.error(locator.json_key(path),
                            f'malformed: packages["{path}"] should be a mapping')
        owner, _, installed_as = path.rpartition(_NM)
        if entry.get("link"):
            out.skip(installed_as, line, "linked local package (link: true)")
            continue
        direct = installed_as in declared and _NM not in owner
        requires = [p for n in sorted(_declared_runtime(entry)) if (p := _resolve(path, n, packages))]
        _add(out, str(entry.get("name") or installed_as), entry, line, direct, requires)


def _read_tree(src: Source, deps: dict[str, Any], out: Collector, locator: TextLocator, top: bool) -> None:
    """Lockfile v1: nested `dependencies`, walked in document order so lines follow the text."""
    for name, entry in deps.items():
        line = locator.json_entry(name)
        entry = require(src, entry, dict, f'dependencies["{name}"]', line)
        _add(out, name, entry, line, None if top else False)
        nested = entry.get("dependencies")
        if nested is not None:
            _read_tree(src, require(src, nested, dict, f'dependencies["{name}"].dependencies', line),
                       out, locator, top=False)


def parse(src: Source) -> ParseResult:
    data = require(src, load_json(src), dict, "the top level", 1)
    out = Collector(src)
    packages = data.get("packages")
    if isinstance(packages, dict):
        _read_packages(src, packages, out)
    elif "dependencies" in data:
        deps = require(src, data["dependencies"], dict, "dependencies")
        _read_tree(src, deps, out, TextLocator(src.text), top=True)
    elif "lockfileVersion" not in data:
        raise src.error(1, "not an npm lockfile (no lockfileVersion, packages or dependencies)")
    return out.result()


FORMAT = LockFormat(
    name="npm",
    parse=parse,
    matches_name=lambda path: path.name in ("package-lock.json", "npm-shrinkwrap.json"),
    sniff=lambda head: head.lstrip().startswith("{") and '"lockfileVersion"' in head and '"pipfile-spec"' not in head,
)
