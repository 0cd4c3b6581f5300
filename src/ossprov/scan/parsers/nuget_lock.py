"""NuGet packages.lock.json: per target framework, each package with its type (Direct, Transitive,
CentralTransitive, Project), resolved version and `contentHash` (base64 SHA-512 of the .nupkg).
"""

from __future__ import annotations

from ossprov.scan.parsers.base import (
    Collector,
    LockFormat,
    ParseResult,
    Source,
    TextLocator,
    base64_digest,
    load_json,
    require,
)


def parse(src: Source) -> ParseResult:
    data = require(src, load_json(src), dict, "the top level", 1)
    frameworks = require(src, data.get("dependencies"), dict, '"dependencies"', 1)
    locator = TextLocator(src.text)
    out = Collector(src)
    for framework, packages in frameworks.items():
        line = locator.json_entry(framework)
        packages = require(src, packages, dict, f'"dependencies"["{framework}"]', line)
        for name, entry in packages.items():
            line = locator.json_entry(name)
            entry = require(src, entry, dict, f'"{framework}"["{name}"]', line)
            kind, version = entry.get("type"), entry.get("resolved")
            if kind == "Project" or not isinstance(version, str):
                out.skip(name, line, "project reference, not a registry package")
                continue
            content_hash = entry.get("contentHash")
            hashes = base64_digest(src, line, "sha512", content_hash) if isinstance(content_hash, str) else {}
            out.add("nuget", name, version, line, hashes=hashes, direct=kind == "Direct")
    return out.result()


FORMAT = LockFormat(
    name="nuget",
    parse=parse,
    matches_name=lambda path: path.name == "packages.lock.json",
    sniff=lambda head: '"contentHash"' in head or ('"resolved"' in head and '"type"' in head and '"net' in head),
)
