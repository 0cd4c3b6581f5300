"""poetry.lock: `[[package]]` tables with `files` digests (poetry ≥ 1.2) or `[metadata.files]` (older).

Packages from git, a local directory or file, or a URL are skipped; packages from a secondary index (`legacy`
source) keep that index as their resolved URL.
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


def _digests(src: Source, line: int | None, files: Any) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """The sdist's digest (else the first file's), and every file's."""
    pairs = [(str(f.get("file", "")), f["hash"]) for f in files or []
             if isinstance(f, dict) and isinstance(f.get("hash"), str)]
    chosen = sdist_first(pairs)
    preferred = dict([prefixed_digest(src, line, chosen)]) if chosen else {}
    return preferred, [prefixed_digest(src, line, h) for _, h in pairs]


def parse(src: Source) -> ParseResult:
    data = load_toml(src)
    packages = require(src, data.get("package", []), list, "[[package]]")
    old_files = data.get("metadata", {}).get("files", {}) if isinstance(data.get("metadata"), dict) else {}
    locator = TextLocator(src.text)
    out = Collector(src)
    versions = {pypi_key(str(p.get("name"))): str(p.get("version")) for p in packages if isinstance(p, dict)}
    for package in packages:
        package = require(src, package, dict, "[[package]]")
        name, version = package.get("name"), package.get("version")
        if not isinstance(name, str) or not isinstance(version, str):
            raise src.error(None, "malformed poetry.lock: a [[package]] without name or version")
        line = locator.toml_name(name)
        source = package.get("source") if isinstance(package.get("source"), dict) else {}
        kind = source.get("type")
        if kind and kind != "legacy":
            out.skip(name, line, f"not a registry package (source type {kind})")
            continue
        files = package.get("files", old_files.get(name))
        hashes, allowed = _digests(src, line, files)
        deps = package.get("dependencies") if isinstance(package.get("dependencies"), dict) else {}
        requires = [make_purl("pypi", d, versions[pypi_key(d)]) for d in deps if pypi_key(d) in versions]
        out.add("pypi", name, version, line, hashes=hashes, allowed=allowed, resolved_url=source.get("url"),
                requires=requires)
    return out.result()


FORMAT = LockFormat(
    name="poetry",
    parse=parse,
    matches_name=lambda path: path.name == "poetry.lock",
    sniff=lambda head: "[[package]]" in head and "python-versions" in head,
)
