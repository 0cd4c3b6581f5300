"""Cargo.lock: `[[package]]` tables with `source` (`registry+…` or `sparse+…` for registry crates, `git+…`,
none for the workspace's own packages) and `checksum` (sha256 of the .crate). Version 1 lockfiles keep the
checksums in `[metadata]` as `"checksum NAME VERSION (SOURCE)" = "HEX"`.

Only registry crates are dependencies to verify; git and path packages are skipped with the reason.
"""

from __future__ import annotations

from ossprov.ecosystems.cargo.manifest import table
from ossprov.scan.parsers.base import (
    Collector,
    LockFormat,
    ParseResult,
    Source,
    TextLocator,
    hex_digest,
    load_toml,
    require,
)


def parse(src: Source) -> ParseResult:
    data = load_toml(src)
    packages = require(src, data.get("package", []), list, "[[package]]")
    metadata = table(data, "metadata")
    locator = TextLocator(src.text)
    out = Collector(src)
    for package in packages:
        package = require(src, package, dict, "[[package]]")
        name, version = package.get("name"), package.get("version")
        if not isinstance(name, str) or not isinstance(version, str):
            raise src.error(None, "malformed Cargo.lock: a [[package]] without name or version")
        line = locator.toml_name(name)
        source = package.get("source")
        if not isinstance(source, str):
            continue  # a package of the workspace itself
        if not source.startswith(("registry+", "sparse+")):
            out.skip(f"{name}@{version}", line, f"not a registry crate ({source.split('+', 1)[0]} source)")
            continue
        checksum = package.get("checksum") or metadata.get(f"checksum {name} {version} ({source})")
        hashes = dict([hex_digest(src, line, "sha256", checksum)]) if isinstance(checksum, str) else {}
        out.add("cargo", name, version, line, hashes=hashes, resolved_url=source.split("+", 1)[1])
    return out.result()


FORMAT = LockFormat(
    name="cargo",
    parse=parse,
    matches_name=lambda path: path.name == "Cargo.lock",
    sniff=lambda head: "[[package]]" in head and ('source = "registry+' in head or 'source = "sparse+' in head),
)
