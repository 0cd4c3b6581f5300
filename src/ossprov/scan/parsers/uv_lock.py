"""uv.lock: `[[package]]` tables with a `source`, an `sdist` and `wheels`, each with a digest.

The project itself (source `editable` or `virtual`) is not a dependency; what it lists under `dependencies`,
`optional-dependencies` and `dev-dependencies` are the direct dependencies.
"""

from __future__ import annotations

from typing import Any

from ossprov.scan.parsers.base import (
    Collector,
    LockFormat,
    ParseResult,
    Source,
    TextLocator,
    load_toml,
    make_purl,
    prefixed_digest,
    pypi_key,
    require,
    sdist_first,
)

_PROJECT_SOURCES = ("editable", "virtual")


def _names(deps: Any) -> set[str]:
    return {str(d.get("name")) for d in deps if isinstance(d, dict)} if isinstance(deps, list) else set()


def _direct_names(packages: list[dict[str, Any]]) -> set[str]:
    direct: set[str] = set()
    for package in packages:
        source = package.get("source")
        if isinstance(source, dict) and any(k in source for k in _PROJECT_SOURCES):
            direct |= _names(package.get("dependencies"))
            for groups in ("optional-dependencies", "dev-dependencies"):
                for deps in (package.get(groups) or {}).values():
                    direct |= _names(deps)
    return direct


def parse(src: Source) -> ParseResult:
    data = load_toml(src)
    listed = require(src, data.get("package", []), list, "[[package]]")
    packages = [require(src, p, dict, "[[package]]") for p in listed]
    direct = _direct_names(packages)
    locator = TextLocator(src.text)
    out = Collector(src)
    versions = {pypi_key(str(p.get("name"))): p.get("version") for p in packages
                if isinstance(p.get("version"), str) and "registry" in (p.get("source") or {})}
    for package in packages:
        name, version = package.get("name"), package.get("version")
        if not isinstance(name, str):
            raise src.error(None, "malformed uv.lock: a [[package]] without a name")
        line = locator.toml_name(name)
        source = package.get("source") if isinstance(package.get("source"), dict) else {}
        if any(k in source for k in _PROJECT_SOURCES):
            continue
        if "registry" not in source or not isinstance(version, str):
            out.skip(name, line, f"not a registry package (source {', '.join(source) or 'unknown'})")
            continue
        files = [package["sdist"]] if isinstance(package.get("sdist"), dict) else []
        files += [w for w in package.get("wheels", []) if isinstance(w, dict)]
        chosen = sdist_first((str(f.get("url") or f.get("filename") or ""), f) for f in files)
        hashes = dict([prefixed_digest(src, line, chosen["hash"])]) if chosen and "hash" in chosen else {}
        allowed = [prefixed_digest(src, line, f["hash"]) for f in files if isinstance(f.get("hash"), str)]
        requires = [make_purl("pypi", d, versions[pypi_key(d)]) for d in _names(package.get("dependencies"))
                    if pypi_key(d) in versions]
        out.add("pypi", name, version, line, hashes=hashes, allowed=allowed, direct=name in direct,
                resolved_url=chosen.get("url") if chosen else None, requires=requires)
    return out.result()


FORMAT = LockFormat(
    name="uv",
    parse=parse,
    matches_name=lambda path: path.name == "uv.lock",
    sniff=lambda head: "[[package]]" in head and "requires-python" in head and "source = {" in head,
)
